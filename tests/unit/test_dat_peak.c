/*
 * test_dat_peak.c — mprof/dat_peak.c: the one definition of each peak, on .dat files
 * read by dat_read: our files whose MPROF high-water marks exceed every sample, the
 * original tool's files with samples only, and the files in between.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dat.h"
#include "check_main.h"
#include "fixture.h"

static char test_dir[FIXTURE_DIR_MAX];
static char test_path[512];

static void setup(void)
{
    fixture_dir_make(test_dir, sizeof test_dir, "dat-peak");
    snprintf(test_path, sizeof test_path, "%s/x.dat", test_dir);
}

static void teardown(void)
{
    fixture_dir_remove(test_dir);
}

/* Write `content` to the test file and read it as a profile. */
static void read_fixture(const char *content, struct dat_profile *profile)
{
    FILE *out = fopen(test_path, "w");
    ck_assert_ptr_nonnull(out);
    ck_assert_int_ge(fputs(content, out), 0);
    ck_assert_int_eq(fclose(out), 0);
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(test_path, profile, error, sizeof error) == 0, "%s", error);
}

/* Ours: RSS sampled up to 73.25 MiB while VmHWM saw 80 MiB; the heap sampled up to
 * 50,000,057 bytes while the library's mark saw 63,856,640. */
static const char marks_above_samples[] =
    "CMDLINE python3 fixture.py\n"
    "MPROF version 2\n"
    "MPROF interval 0.1\n"
    "MEM 10.000000 1767225600.0000\n"
    "HEAP 1767225600.0000 1048576\n"
    "MEM 73.250000 1767225600.5000\n"
    "HEAP 1767225600.5000 50000057\n"
    "MEM 73.250000 1767225600.9000\n"
    "HEAP 1767225600.9000 50000057\n"
    "MEM 20.000000 1767225602.0000\n"
    "MPROF exit_status 0\n"
    "MPROF rss_peak_bytes 80000000\n"
    "MPROF heap_peak_bytes 63856640\n"
    "MPROF rss_hwm_bytes 83886080\n";

START_TEST(marks_above_the_samples_are_the_peaks)
{
    struct dat_profile profile;
    read_fixture(marks_above_samples, &profile);
    double when;
    ck_assert_double_eq(dat_peak_mem_mib(&profile, &when), 80.0);
    ck_assert_double_eq_tol(when, 1767225600.5, 1e-6);   /* the first highest sample */
    ck_assert_uint_eq(dat_peak_heap_bytes(&profile, &when), 63856640);
    ck_assert_double_eq_tol(when, 1767225600.5, 1e-6);
    dat_free(&profile);
}
END_TEST

/* memory_profiler's own file: no MPROF line, no HEAP: the highest sample, no heap. */
START_TEST(samples_only_from_memory_profiler)
{
    struct dat_profile profile;
    read_fixture("MEM 0.285156 1795562436.3615\n"
                 "MEM 22.804688 1795562436.5624\n"
                 "MEM 22.804688 1795562436.6629\n"
                 "MEM 12.605469 1795562436.7620\n"
                 "CHLD 0 5.000000 1795562436.4620\n"
                 "CHLD 0 6.500000 1795562436.5624\n"
                 "CHLD 0 6.500000 1795562436.6629\n"
                 "CMDLINE /usr/bin/python3 f.py\n", &profile);
    double when;
    ck_assert_double_eq(dat_peak_mem_mib(&profile, &when), 22.804688);
    ck_assert_double_eq_tol(when, 1795562436.5624, 1e-6);
    ck_assert_uint_eq(dat_peak_heap_bytes(&profile, &when), 0);
    ck_assert_double_eq(when, 0.0);
    /* A child's peak is its highest sample: the file holds no mark for it. */
    ck_assert_uint_eq(profile.child_count, 1);
    ck_assert_double_eq(dat_series_peak_mem_mib(profile.children[0].mem,
                                                profile.children[0].mem_count, &when), 6.5);
    ck_assert_double_eq_tol(when, 1795562436.5624, 1e-6);
    ck_assert_uint_eq(dat_series_peak_heap_bytes(profile.children[0].heap,
                                                 profile.children[0].heap_count, &when), 0);
    ck_assert_double_eq(when, 0.0);
    dat_free(&profile);
}
END_TEST

/* An older file of ours: rss_peak_bytes was the highest sample, and a mark at or below
 * the samples (the main process's VmHWM under -C, where MEM is the tree's sum) leaves
 * the sample's value exactly as written. */
START_TEST(marks_at_or_below_the_samples_change_nothing)
{
    struct dat_profile profile;
    read_fixture("MPROF version 1\n"
                 "MEM 10.000000 1767225600.0000\n"
                 "MEM 73.250000 1767225600.5000\n"
                 "HEAP 47.683770 1767225600.5000 50000057\n"
                 "MPROF rss_peak_bytes 76808192\n"
                 "MPROF rss_hwm_bytes 41943040\n"
                 "MPROF heap_peak_bytes 50000000\n", &profile);
    double when;
    ck_assert_double_eq(dat_peak_mem_mib(&profile, &when), 73.25);
    ck_assert_double_eq_tol(when, 1767225600.5, 1e-6);
    ck_assert_uint_eq(dat_peak_heap_bytes(&profile, &when), 50000057);
    dat_free(&profile);
}
END_TEST

/* The heap's mark without a HEAP line (every sample lost to a kill) is still the peak;
 * a file without MEM has no RSS peak at all. */
START_TEST(heap_mark_without_heap_lines)
{
    struct dat_profile profile;
    read_fixture("MEM 1.000000 1767225600.0000\n"
                 "MPROF heap_peak_bytes 4096\n", &profile);
    double when = 99;
    ck_assert_uint_eq(dat_peak_heap_bytes(&profile, &when), 4096);
    ck_assert_double_eq(when, 0.0);
    dat_free(&profile);
    struct dat_profile empty = { 0 };
    ck_assert_double_eq(dat_peak_mem_mib(&empty, &when), -1.0);
    ck_assert_double_eq(when, 0.0);
}
END_TEST

START_TEST(meta_numbers)
{
    struct dat_profile profile;
    read_fixture("MEM 1 2\n"
                 "MPROF rss_hwm_bytes 5\n"
                 "MPROF rss_hwm_bytes 7\n"
                 "MPROF heap_peak_bytes -3\n"
                 "MPROF samples 12x\n", &profile);
    uint64_t value = 0;
    ck_assert_int_eq(dat_meta_u64(&profile, "rss_hwm_bytes", &value), 1);
    ck_assert_uint_eq(value, 7);  /* the last line wins */
    ck_assert_int_eq(dat_meta_u64(&profile, "heap_peak_bytes", &value), 0);
    ck_assert_int_eq(dat_meta_u64(&profile, "samples", &value), 0);
    ck_assert_int_eq(dat_meta_u64(&profile, "nothing", &value), 0);
    ck_assert_uint_eq(value, 7);
    dat_free(&profile);
    ck_assert_uint_eq(dat_peak_combine(10, 0), 10);
    ck_assert_uint_eq(dat_peak_combine(10, 11), 11);
    ck_assert_uint_eq(dat_peak_combine(0, 0), 0);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("dat_peak");
    TCase *tcase = tcase_create("peaks");
    tcase_add_checked_fixture(tcase, setup, teardown);
    tcase_add_test(tcase, marks_above_the_samples_are_the_peaks);
    tcase_add_test(tcase, samples_only_from_memory_profiler);
    tcase_add_test(tcase, marks_at_or_below_the_samples_change_nothing);
    tcase_add_test(tcase, heap_mark_without_heap_lines);
    tcase_add_test(tcase, meta_numbers);
    suite_add_tcase(suite, tcase);
    return suite;
}
