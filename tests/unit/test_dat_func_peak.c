/*
 * test_dat_func_peak.c — mprof/dat_func_peak.c: the peak within one function's calls,
 * as memory_profiler 0.61's `mprof peak --func` takes it (samples with start <= t <=
 * end), on .dat files read by dat_read: nested and overlapping calls, a sample on a
 * span's end, calls written out of order, and a function with no sample inside.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dat.h"
#include "check_main.h"
#include "fixture.h"

static char test_dir[FIXTURE_DIR_MAX];
static char test_path[512];

static void setup(void)
{
    fixture_dir_make(test_dir, sizeof test_dir, "dat-func-peak");
    snprintf(test_path, sizeof test_path, "%s/x.dat", test_dir);
}

static void teardown(void)
{
    fixture_dir_remove(test_dir);
}

static void read_fixture(const char *content, struct dat_profile *profile)
{
    FILE *out = fopen(test_path, "w");
    ck_assert_ptr_nonnull(out);
    ck_assert_int_ge(fputs(content, out), 0);
    ck_assert_int_eq(fclose(out), 0);
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(test_path, profile, error, sizeof error) == 0, "%s", error);
}

/* The run's peak (50 MiB at 102.0) is outside f; f's two calls (the later one written
 * first) hold 30 MiB at 100.5 and the sample on the first call's end, 101.0. */
static const char two_functions[] =
    "CMDLINE x\n"
    "MEM 10.0 100.0\n"
    "HEAP 100.0 1000\n"
    "MEM 30.0 100.5\n"
    "HEAP 100.5 3000\n"
    "MEM 20.0 101.0\n"
    "HEAP 101.0 9000\n"
    "MEM 50.0 102.0\n"
    "HEAP 102.0 90000\n"
    "MEM 25.0 103.0\n"
    "FUNC m.f 10.0 102.9 20.0 103.5 0\n"
    "FUNC m.f 10.0 100.4 20.0 101.0 0\n"
    "FUNC m.g 10.0 100.6 20.0 100.7 1\n"
    "CHLD 0 5.0 100.5\n"
    "CHLD 0 7.0 101.5\n";

START_TEST(peak_within_the_calls)
{
    struct dat_profile profile;
    read_fixture(two_functions, &profile);
    struct dat_func_spans spans;
    ck_assert_int_eq(dat_func_spans_of(&profile, "m.f", &spans), 0);
    ck_assert_uint_eq(spans.call_count, 2);
    ck_assert_uint_eq(spans.span_count, 2);
    ck_assert_double_eq_tol(spans.start_s[0], 100.4, 1e-9);   /* sorted */
    ck_assert_double_eq_tol(spans.total_s, 0.6 + 0.6, 1e-9);
    double when;
    ck_assert_double_eq(dat_func_spans_peak_mem_mib(&spans, profile.mem, profile.mem_count,
                                                    &when), 30.0);
    ck_assert_double_eq_tol(when, 100.5, 1e-9);
    uint64_t heap;
    ck_assert(dat_func_spans_peak_heap_bytes(&spans, profile.heap, profile.heap_count, &heap,
                                             &when));
    ck_assert_uint_eq(heap, 9000);            /* the sample on the end is inside */
    ck_assert_double_eq_tol(when, 101.0, 1e-9);
    ck_assert_double_eq(dat_func_spans_peak_mem_mib(&spans, profile.children[0].mem,
                                                    profile.children[0].mem_count, &when), 5.0);
    ck_assert(dat_func_spans_cover(&spans, 100.4));
    ck_assert(dat_func_spans_cover(&spans, 103.5));
    ck_assert(!dat_func_spans_cover(&spans, 102.0));
    ck_assert(!dat_func_spans_cover(&spans, 100.3999));
    ck_assert(!dat_func_spans_cover(&spans, 103.5001));
    dat_func_spans_free(&spans);
    ck_assert_ptr_null(spans.start_s);
    dat_free(&profile);
}
END_TEST

/* g's one call (100.6 to 100.7) holds no sample; h is not in the file. */
START_TEST(no_sample_and_no_call)
{
    struct dat_profile profile;
    read_fixture(two_functions, &profile);
    struct dat_func_spans spans;
    ck_assert_int_eq(dat_func_spans_of(&profile, "m.g", &spans), 0);
    ck_assert_uint_eq(spans.call_count, 1);
    double when = 99;
    ck_assert_double_eq(dat_func_spans_peak_mem_mib(&spans, profile.mem, profile.mem_count,
                                                    &when), -1.0);
    ck_assert_double_eq(when, 0.0);
    uint64_t heap = 7;
    ck_assert(!dat_func_spans_peak_heap_bytes(&spans, profile.heap, profile.heap_count, &heap,
                                              &when));
    ck_assert_uint_eq(heap, 0);
    dat_func_spans_free(&spans);
    ck_assert_int_eq(dat_func_spans_of(&profile, "m.h", &spans), 0);
    ck_assert_uint_eq(spans.call_count, 0);
    ck_assert_uint_eq(spans.span_count, 0);
    ck_assert(!dat_func_spans_cover(&spans, 100.5));
    dat_func_spans_free(&spans);
    /* A prefix or a suffix of a name is not the name, as in the original. */
    ck_assert_int_eq(dat_func_spans_of(&profile, "f", &spans), 0);
    ck_assert_uint_eq(spans.call_count, 0);
    dat_func_spans_free(&spans);
    dat_free(&profile);
}
END_TEST

/* Recursive calls nest and overlap: merged into one span, each sample counted once. */
START_TEST(nested_calls_merge)
{
    struct dat_profile profile;
    read_fixture("MEM 1.0 10.0\nMEM 4.0 11.0\nMEM 2.0 12.5\nMEM 9.0 14.0\n"
                 "FUNC r 1 10.5 1 13.0 0\nFUNC r 1 11.0 1 12.0 1\nFUNC r 1 12.0 1 12.6 1\n"
                 "FUNC r 1 13.9 1 13.8 0\n", &profile);
    struct dat_func_spans spans;
    ck_assert_int_eq(dat_func_spans_of(&profile, "r", &spans), 0);
    ck_assert_uint_eq(spans.call_count, 4);
    /* 10.5-13.0 only: the call written end first (13.9 to 13.8) holds no time, as the
     * original's start <= t <= end is never true of it */
    ck_assert_uint_eq(spans.span_count, 1);
    ck_assert_double_eq_tol(spans.end_s[0], 13.0, 1e-9);
    ck_assert_double_eq_tol(spans.total_s, 2.5 + 1.0 + 0.6, 1e-9);
    ck_assert(!dat_func_spans_cover(&spans, 13.85));
    double when;
    ck_assert_double_eq(dat_func_spans_peak_mem_mib(&spans, profile.mem, profile.mem_count,
                                                    &when), 4.0);
    ck_assert_double_eq_tol(when, 11.0, 1e-9);
    dat_func_spans_free(&spans);
    dat_free(&profile);
}
END_TEST

/* A call written end first holds no sample, as in the original (whose max() of no
 * sample fails): alone, it leaves the function with no peak. */
START_TEST(reversed_call_holds_no_sample)
{
    struct dat_profile profile;
    read_fixture("MEM 1.0 10.0\nMEM 4.0 11.0\nMEM 2.0 12.0\nFUNC b 1 11.5 1 10.5 0\n",
                 &profile);
    struct dat_func_spans spans;
    ck_assert_int_eq(dat_func_spans_of(&profile, "b", &spans), 0);
    ck_assert_uint_eq(spans.call_count, 1);
    ck_assert_uint_eq(spans.span_count, 0);
    ck_assert_double_eq(spans.total_s, 0.0);
    ck_assert(!dat_func_spans_cover(&spans, 11.0));
    double when = 5.0;
    ck_assert_double_eq(dat_func_spans_peak_mem_mib(&spans, profile.mem, profile.mem_count,
                                                    &when), -1.0);
    ck_assert_double_eq(when, 0.0);
    dat_func_spans_free(&spans);
    dat_free(&profile);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("dat_func_peak");
    TCase *tcase = tcase_create("func_peak");
    tcase_add_checked_fixture(tcase, setup, teardown);
    tcase_add_test(tcase, peak_within_the_calls);
    tcase_add_test(tcase, no_sample_and_no_call);
    tcase_add_test(tcase, nested_calls_merge);
    tcase_add_test(tcase, reversed_call_holds_no_sample);
    suite_add_tcase(suite, tcase);
    return suite;
}
