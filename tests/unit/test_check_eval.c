/*
 * test_check_eval.c — mprof/check_eval.c and check_lines.c: `mprof check`'s verdicts on
 * .dat files read by dat_read, to the byte: a peak at its limit passes and one byte
 * over fails; growth in percent is the floor of the exact product; the peak is the one
 * `mprof peak` prints; a file that lacks a figure is an error, never a pass; the lines
 * are matched by file, line and function, absent ones counting 0, grown most first.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_eval.h"
#include "check_main.h"
#include "dat.h"
#include "fixture.h"

static char test_dir[FIXTURE_DIR_MAX];

static void setup(void)
{
    fixture_dir_make(test_dir, sizeof test_dir, "check-eval");
}

static void teardown(void)
{
    fixture_dir_remove(test_dir);
}

static void read_fixture(const char *name, const char *content, struct dat_profile *profile)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", test_dir, name);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    ck_assert_int_ge(fputs(content, out), 0);
    ck_assert_int_eq(fclose(out), 0);
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(path, profile, error, sizeof error) == 0, "%s", error);
}

/* The baseline: heap sampled to 10,000,000 bytes, the library's mark 10,000,100; RSS
 * 40 MiB sampled, VmHWM 42 MiB; 1,000,000 bytes live at exit. */
static const char baseline_dat[] =
    "CMDLINE python3 app.py\n"
    "MPROF version 2\n"
    "MEM 20.000000 1767225600.0000\n"
    "HEAP 1767225600.0000 1000000\n"
    "MEM 40.000000 1767225600.1000\n"
    "HEAP 1767225600.1000 10000000\n"
    "TOP 1 6000000 1 1 88 load app/cache.py\n"
    "TOP 2 3000000 1 1 12 parse app/io.py\n"
    "TOP 3 500000 1 1 7 gone app/old.py\n"
    "MPROF exit_status 0\n"
    "MPROF samples 2\n"
    "MPROF rss_peak_bytes 41943040\n"
    "MPROF heap_peak_bytes 10000100\n"
    "MPROF rss_hwm_bytes 44040192\n"
    "MPROF heap_exit_bytes 1000000\n";

/* The new run: the heap peak 12,000,100 (+20%); cache.py:88 grew 1.5 MB, a new line
 * holds 600 KB, io.py:12 shrank, old.py:7 is gone. */
static const char current_dat[] =
    "CMDLINE python3 app.py\n"
    "MPROF version 2\n"
    "MEM 20.000000 1767225700.0000\n"
    "HEAP 1767225700.0000 1000000\n"
    "MEM 40.000000 1767225700.1000\n"
    "HEAP 1767225700.1000 12000100\n"
    "TOP 1 7500000 1 1 88 load app/cache.py\n"
    "TOP 2 2900000 1 1 12 parse app/io.py\n"
    "TOP 3 600000 1 1 40 fresh app/new.py\n"
    "TOP 4 100000 1 1 88 load app/cache.py\n"
    "MPROF exit_status 0\n"
    "MPROF samples 2\n"
    "MPROF rss_peak_bytes 41943040\n"
    "MPROF heap_peak_bytes 12000000\n"
    "MPROF heap_exit_bytes 3000000\n";

START_TEST(peak_at_the_limit_passes_one_byte_over_fails)
{
    struct dat_profile current;
    read_fixture("new.dat", current_dat, &current);
    struct check_request request = { .metric = CHECK_METRIC_HEAP, .max_peak_set = true,
                                     .max_peak_bytes = 12000100 };
    struct check_outcome outcome;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(check_evaluate(&request, &current, NULL, &outcome, error, sizeof error) == 0,
                  "%s", error);
    ck_assert_uint_eq(outcome.result_count, 1);
    ck_assert_int_eq(outcome.results[0].kind, CHECK_MAX_PEAK);
    /* The highest HEAP sample is above the mark: the peak `mprof peak` prints. */
    ck_assert_uint_eq(outcome.results[0].value_bytes, 12000100);
    ck_assert_uint_eq(outcome.results[0].value_bytes, dat_peak_heap_bytes(&current, NULL));
    ck_assert(outcome.results[0].passed);
    ck_assert(outcome.passed);
    check_outcome_free(&outcome);

    request.max_peak_bytes = 12000099;
    ck_assert_int_eq(check_evaluate(&request, &current, NULL, &outcome, error, sizeof error), 0);
    ck_assert(!outcome.results[0].passed);
    ck_assert(!outcome.passed);
    ck_assert_uint_eq(outcome.results[0].limit_bytes, 12000099);
    /* Without a baseline, the lines are the new run's, held most first, a line's two
     * records summed. */
    ck_assert(!outcome.compared);
    ck_assert(outcome.lines_recorded);
    ck_assert_uint_eq(outcome.line_count, 3);
    ck_assert_str_eq(outcome.lines[0].filename, "app/cache.py");
    ck_assert_int_eq(outcome.lines[0].new_bytes, 7600000);
    ck_assert_str_eq(outcome.lines[1].filename, "app/io.py");
    ck_assert_str_eq(outcome.lines[2].function, "fresh");
    check_outcome_free(&outcome);
    dat_free(&current);
}
END_TEST

START_TEST(rss_peak_is_the_high_water_mark)
{
    struct dat_profile baseline;
    read_fixture("base.dat", baseline_dat, &baseline);
    uint64_t bytes = 0;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_int_eq(check_peak_bytes(&baseline, CHECK_METRIC_RSS, &bytes, error, sizeof error), 0);
    ck_assert_uint_eq(bytes, 44040192);  /* VmHWM, above the samples and rss_peak_bytes */
    ck_assert_int_eq(check_peak_bytes(&baseline, CHECK_METRIC_HEAP, &bytes, error, sizeof error), 0);
    ck_assert_uint_eq(bytes, 10000100);  /* the mark, above the highest sample */
    ck_assert_int_eq(check_exit_heap_bytes(&baseline, &bytes, error, sizeof error), 0);
    ck_assert_uint_eq(bytes, 1000000);
    dat_free(&baseline);
}
END_TEST

START_TEST(rss_metric_is_named_by_the_backend)
{
    /* --metric rss checks MEM, which under --backend psutil_pss holds PSS: the figure
     * says so; a heap check and the heap at exit keep their names. */
    static const char pss_dat[] =
        "CMDLINE python3 app.py\n"
        "MPROF version 2\n"
        "MPROF backend psutil_pss\n"
        "MEM 20.000000 1767225600.0000\n"
        "HEAP 1767225600.0000 1000000\n"
        "MPROF exit_status 0\n"
        "MPROF samples 1\n"
        "MPROF rss_peak_bytes 20971520\n"
        "MPROF heap_peak_bytes 1000000\n"
        "MPROF heap_exit_bytes 1000\n";
    struct dat_profile current;
    read_fixture("pss.dat", pss_dat, &current);
    struct check_request request = { .metric = CHECK_METRIC_RSS, .max_peak_set = true,
                                     .max_peak_bytes = 30000000, .max_leak_set = true,
                                     .max_leak_bytes = 2000 };
    struct check_outcome outcome;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(check_evaluate(&request, &current, NULL, &outcome, error, sizeof error) == 0,
                  "%s", error);
    ck_assert_uint_eq(outcome.result_count, 2);
    ck_assert_str_eq(outcome.results[0].figure, "peak PSS");
    ck_assert_uint_eq(outcome.results[0].value_bytes, 20971520);
    ck_assert_str_eq(outcome.results[1].figure, "heap at exit");
    check_outcome_free(&outcome);
    request.metric = CHECK_METRIC_HEAP;
    ck_assert_int_eq(check_evaluate(&request, &current, NULL, &outcome, error, sizeof error), 0);
    ck_assert_str_eq(outcome.results[0].figure, "peak heap");
    check_outcome_free(&outcome);
    dat_free(&current);
}
END_TEST

START_TEST(growth_against_a_baseline)
{
    struct dat_profile current, baseline;
    read_fixture("new.dat", current_dat, &current);
    read_fixture("base.dat", baseline_dat, &baseline);
    struct check_request request = { .metric = CHECK_METRIC_HEAP, .max_growth_set = true,
                                     .max_growth = { .is_percent = true,
                                                     .micropercent = 20000000 } };
    struct check_outcome outcome;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(check_evaluate(&request, &current, &baseline, &outcome, error,
                                 sizeof error) == 0, "%s", error);
    const struct check_result *growth = &outcome.results[0];
    ck_assert_int_eq(growth->kind, CHECK_MAX_GROWTH);
    ck_assert_uint_eq(growth->baseline_bytes, 10000100);
    ck_assert_uint_eq(growth->value_bytes, 12000100);
    ck_assert_int_eq(growth->growth_bytes, 2000000);
    ck_assert_uint_eq(growth->allowed_growth_bytes, 2000020);  /* 20% of 10,000,100 */
    ck_assert_uint_eq(growth->limit_bytes, 12000120);
    ck_assert(growth->passed);
    check_outcome_free(&outcome);

    request.max_growth.micropercent = 19999999;  /* 19.999999%: 2,000,019 allowed */
    ck_assert_int_eq(check_evaluate(&request, &current, &baseline, &outcome, error, sizeof error), 0);
    ck_assert(outcome.results[0].passed);
    request.max_growth.micropercent = 19999800;  /* 1,999,999 allowed: one byte short */
    check_outcome_free(&outcome);
    ck_assert_int_eq(check_evaluate(&request, &current, &baseline, &outcome, error, sizeof error), 0);
    ck_assert_uint_eq(outcome.results[0].allowed_growth_bytes, 1999999);
    ck_assert(!outcome.results[0].passed);
    ck_assert(!outcome.passed);

    /* The lines that grew, most first: cache.py:88 by 1,600,000 (its two new records
     * summed), new.py:40 by all of its 600,000 (absent from the baseline); io.py:12
     * shrank and old.py:7 is gone, so neither is listed. */
    ck_assert(outcome.compared);
    ck_assert(outcome.lines_recorded);
    ck_assert_uint_eq(outcome.line_count, 2);
    ck_assert_str_eq(outcome.lines[0].filename, "app/cache.py");
    ck_assert_uint_eq(outcome.lines[0].line, 88);
    ck_assert_str_eq(outcome.lines[0].function, "load");
    ck_assert_int_eq(outcome.lines[0].baseline_bytes, 6000000);
    ck_assert_int_eq(outcome.lines[0].new_bytes, 7600000);
    ck_assert_int_eq(outcome.lines[0].growth_bytes, 1600000);
    ck_assert_str_eq(outcome.lines[1].filename, "app/new.py");
    ck_assert_int_eq(outcome.lines[1].baseline_bytes, 0);
    ck_assert_int_eq(outcome.lines[1].growth_bytes, 600000);
    check_outcome_free(&outcome);

    /* A size: 2,000,000 bytes allowed passes exactly; 1,999,999 does not. */
    request.max_growth = (struct limit_growth){ .bytes = 2000000 };
    ck_assert_int_eq(check_evaluate(&request, &current, &baseline, &outcome, error, sizeof error), 0);
    ck_assert(outcome.results[0].passed);
    check_outcome_free(&outcome);
    request.max_growth.bytes = 1999999;
    ck_assert_int_eq(check_evaluate(&request, &current, &baseline, &outcome, error, sizeof error), 0);
    ck_assert(!outcome.results[0].passed);
    check_outcome_free(&outcome);

    /* Shrinking always passes, even a 0% gate. */
    request.max_growth = (struct limit_growth){ .is_percent = true, .micropercent = 0 };
    ck_assert_int_eq(check_evaluate(&request, &baseline, &current, &outcome, error, sizeof error), 0);
    ck_assert_int_eq(outcome.results[0].growth_bytes, -2000000);
    ck_assert(outcome.results[0].passed);
    check_outcome_free(&outcome);
    dat_free(&current);
    dat_free(&baseline);
}
END_TEST

START_TEST(leak_is_the_heap_at_exit)
{
    struct dat_profile current;
    read_fixture("new.dat", current_dat, &current);
    struct check_request request = { .max_leak_set = true, .max_leak_bytes = 3000000,
                                     .max_peak_set = true, .max_peak_bytes = 1ULL << 30 };
    struct check_outcome outcome;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_int_eq(check_evaluate(&request, &current, NULL, &outcome, error, sizeof error), 0);
    ck_assert_uint_eq(outcome.result_count, 2);
    ck_assert_int_eq(outcome.results[1].kind, CHECK_MAX_LEAK);
    ck_assert_uint_eq(outcome.results[1].value_bytes, 3000000);
    ck_assert(outcome.passed);
    check_outcome_free(&outcome);
    request.max_leak_bytes = 2999999;
    ck_assert_int_eq(check_evaluate(&request, &current, NULL, &outcome, error, sizeof error), 0);
    ck_assert(outcome.results[0].passed);
    ck_assert(!outcome.results[1].passed);
    ck_assert(!outcome.passed);
    check_outcome_free(&outcome);
    dat_free(&current);
}
END_TEST

/* What a file lacks is said, and is never a pass. */
START_TEST(missing_figures_are_errors)
{
    struct dat_profile memory_profiler, killed, cut, no_lines;
    read_fixture("mp.dat", "CMDLINE python3 app.py\n"
                           "MEM 0.285156 1795562436.3615\n"
                           "MEM 22.804688 1795562436.5624\n", &memory_profiler);
    read_fixture("killed.dat", "MPROF version 2\n"
                               "MEM 20.000000 1767225600.0000\n"
                               "HEAP 1767225600.0000 1000000\n"
                               "MPROF exit_status -9\n"
                               "MPROF samples 1\n"
                               "MPROF rss_peak_bytes 20971520\n"
                               "MPROF signal 9\n", &killed);
    read_fixture("cut.dat", "MPROF version 2\n"
                            "MEM 20.000000 1767225600.0000\n"
                            "HEAP 1767225600.0000 1000000\n", &cut);
    read_fixture("nolines.dat", "MPROF version 2\n"
                                "MEM 20.000000 1767225600.0000\n"
                                "HEAP 1767225600.0000 1000000\n"
                                "MPROF samples 1\n"
                                "MPROF rss_peak_bytes 20971520\n", &no_lines);
    char error[DAT_ERROR_MAX] = "";
    uint64_t bytes;
    struct check_outcome outcome;
    struct check_request peak = { .max_peak_set = true, .max_peak_bytes = 1ULL << 40 };

    ck_assert_int_eq(check_evaluate(&peak, &memory_profiler, NULL, &outcome, error, sizeof error), -1);
    ck_assert_msg(strstr(error, "mp.dat: no heap data") != NULL, "%s", error);
    ck_assert_msg(strstr(error, "--metric rss") != NULL, "%s", error);
    peak.metric = CHECK_METRIC_RSS;
    ck_assert_int_eq(check_evaluate(&peak, &memory_profiler, NULL, &outcome, error, sizeof error), 0);
    ck_assert_uint_eq(outcome.results[0].value_bytes, 23912449);  /* 22.804688 MiB, rounded */
    ck_assert(outcome.passed);
    ck_assert(!outcome.lines_recorded);
    check_outcome_free(&outcome);

    struct check_request leak = { .max_leak_set = true, .max_leak_bytes = 1ULL << 40 };
    ck_assert_int_eq(check_evaluate(&leak, &killed, NULL, &outcome, error, sizeof error), -1);
    ck_assert_msg(strstr(error, "killed.dat: records no heap at exit") != NULL, "%s", error);
    ck_assert_msg(strstr(error, "signal") != NULL, "%s", error);
    ck_assert_int_eq(check_exit_heap_bytes(&memory_profiler, &bytes, error, sizeof error), -1);
    ck_assert_msg(strstr(error, "memory_profiler") != NULL, "%s", error);
    struct dat_profile negative;
    read_fixture("negative.dat", "MPROF version 2\n"
                                 "MEM 20.000000 1767225600.0000\n"
                                 "MPROF samples 1\n"
                                 "MPROF rss_peak_bytes 20971520\n"
                                 "MPROF heap_exit_bytes -5\n", &negative);
    ck_assert_int_eq(check_exit_heap_bytes(&negative, &bytes, error, sizeof error), -1);
    ck_assert_msg(strstr(error, "negative.dat: MPROF heap_exit_bytes -5 is not a byte count") != NULL,
                  "%s", error);
    dat_free(&negative);

    ck_assert_int_eq(check_evaluate(&peak, &cut, NULL, &outcome, error, sizeof error), -1);
    ck_assert_msg(strstr(error, "cut.dat: ends at line 3 before its closing MPROF lines") != NULL &&
                  strstr(error, ": not a whole profile") != NULL, "%s", error);
    /* The baseline is held to the same. */
    struct check_request growth = { .max_growth_set = true,
                                    .max_growth = { .is_percent = true, .micropercent = 1 } };
    ck_assert_int_eq(check_evaluate(&growth, &no_lines, &cut, &outcome, error, sizeof error), -1);
    ck_assert_msg(strstr(error, "cut.dat: ends at line 3 before its closing MPROF lines") != NULL &&
                  strstr(error, ": not a whole profile") != NULL, "%s", error);
    ck_assert_int_eq(check_evaluate(&growth, &no_lines, &memory_profiler, &outcome, error,
                                    sizeof error), -1);
    ck_assert_msg(strstr(error, "mp.dat: no heap data") != NULL, "%s", error);
    ck_assert_int_eq(check_evaluate(&growth, &no_lines, NULL, &outcome, error, sizeof error), -1);
    ck_assert_msg(strstr(error, "needs a --baseline") != NULL, "%s", error);

    /* A baseline without TOP records: the lines are not recorded, and said so. */
    ck_assert_int_eq(check_evaluate(&growth, &no_lines, &no_lines, &outcome, error, sizeof error), 0);
    ck_assert(outcome.passed);
    ck_assert(!outcome.lines_recorded);
    ck_assert_uint_eq(outcome.line_count, 0);
    check_outcome_free(&outcome);
    dat_free(&memory_profiler);
    dat_free(&killed);
    dat_free(&cut);
    dat_free(&no_lines);
}
END_TEST

/* Ten lines at most, in a total order: growth, then bytes held, then file and line. */
START_TEST(lines_are_capped_and_ordered)
{
    char content[4096] = "MPROF version 2\nMEM 1.0 1767225600.0\nHEAP 1767225600.0 1\n";
    for (int i = 0; i < 14; i++) {
        char line[128];
        snprintf(line, sizeof line, "TOP %d %d 1 1 %d f z.py\n", i + 1, i < 2 ? 500 : 100 * i,
                 i + 1);
        strcat(content, line);
    }
    strcat(content, "MPROF samples 1\n");
    struct dat_profile current;
    read_fixture("many.dat", content, &current);
    struct check_line *lines;
    size_t count;
    ck_assert_int_eq(check_lines(&current, NULL, CHECK_LINES_MAX, &lines, &count), 0);
    ck_assert_uint_eq(count, 10);
    ck_assert_int_eq(lines[0].new_bytes, 1300);
    ck_assert_uint_eq(lines[0].line, 14);
    ck_assert_uint_eq(lines[7].line, 7);
    ck_assert_int_eq(lines[7].new_bytes, 600);
    /* z.py:1, z.py:2 and z.py:6 hold 500 each: by line, and the tenth place is z.py:2. */
    ck_assert_int_eq(lines[9].new_bytes, 500);
    ck_assert_uint_eq(lines[8].line, 1);
    ck_assert_uint_eq(lines[9].line, 2);
    free(lines);
    dat_free(&current);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("check_eval");
    TCase *tcase = tcase_create("verdicts");
    tcase_add_checked_fixture(tcase, setup, teardown);
    tcase_add_test(tcase, peak_at_the_limit_passes_one_byte_over_fails);
    tcase_add_test(tcase, rss_peak_is_the_high_water_mark);
    tcase_add_test(tcase, growth_against_a_baseline);
    tcase_add_test(tcase, leak_is_the_heap_at_exit);
    tcase_add_test(tcase, missing_figures_are_errors);
    tcase_add_test(tcase, rss_metric_is_named_by_the_backend);
    tcase_add_test(tcase, lines_are_capped_and_ordered);
    suite_add_tcase(suite, tcase);
    return suite;
}
