/*
 * test_check_output.c — mprof/check_text.c, check_json.c, check_junit.c: the three
 * reports of `mprof check`, byte for byte against the files of tests/golden, on the
 * .dat files beside them (check_base.dat, check_new.dat, whose one TOP line holds a
 * control byte, markup, a quote and a byte that is not UTF-8, to be escaped by each).
 * The goldens are what `mprof check` printed for those files (see each test's command).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_eval.h"
#include "check_main.h"
#include "check_output.h"
#include "dat.h"

static const char *golden_path(const char *name)
{
    static char path[1024];
    const char *slash = strrchr(__FILE__, '/');
    int dir_length = slash != NULL ? (int)(slash - __FILE__) : 1;
    snprintf(path, sizeof path, "%.*s/../golden/%s", dir_length,
             slash != NULL ? __FILE__ : ".", name);
    return path;
}

static char *golden(const char *name)
{
    FILE *in = fopen(golden_path(name), "rb");
    ck_assert_msg(in != NULL, "%s: cannot open", golden_path(name));
    size_t capacity = 1 << 16;
    char *text = malloc(capacity);
    ck_assert_ptr_nonnull(text);
    size_t length = fread(text, 1, capacity - 1, in);
    ck_assert_uint_lt(length, capacity - 1);
    text[length] = '\0';
    fclose(in);
    return text;
}

static void assert_same_text(const char *got, const char *expected, const char *what)
{
    if (strcmp(got, expected) == 0)
        return;
    size_t at = 0, line = 1, line_start = 0;
    while (got[at] == expected[at]) {
        if (got[at] == '\n') {
            line++;
            line_start = at + 1;
        }
        at++;
    }
    ck_abort_msg("%s differs at line %zu:\n got:      '%.100s'\n expected: '%.100s'", what,
                 line, got + line_start, expected + line_start);
}

/* The two files, read, and one request's outcome on them. */
struct fixture {
    struct dat_profile current, baseline;
    struct check_request request;
    struct check_outcome outcome;
    struct check_report report;
};

static void fixture_open(struct fixture *fixture, const struct check_request *request)
{
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(golden_path("check_new.dat"), &fixture->current, error,
                           sizeof error) == 0, "%s", error);
    ck_assert_msg(dat_read(golden_path("check_base.dat"), &fixture->baseline, error,
                           sizeof error) == 0, "%s", error);
    fixture->request = *request;
    ck_assert_msg(check_evaluate(&fixture->request, &fixture->current, &fixture->baseline,
                                 &fixture->outcome, error, sizeof error) == 0, "%s", error);
    fixture->report = (struct check_report){
        .current_path = "check_new.dat", .baseline_path = "check_base.dat",
        .request = &fixture->request, .outcome = &fixture->outcome,
        .exit_status = fixture->outcome.passed ? 0 : 1,
    };
}

static void fixture_close(struct fixture *fixture)
{
    check_outcome_free(&fixture->outcome);
    dat_free(&fixture->current);
    dat_free(&fixture->baseline);
}

/* What a writer wrote, as one string. */
static char *written(int (*writer)(FILE *, const struct check_report *),
                     const struct check_report *report)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(writer(out, report), 0);
    ck_assert_int_eq(fclose(out), 0);
    return text;
}

/* mprof check check_new.dat --baseline check_base.dat --max-growth 10%
 *     --max-peak 12000000 --max-leak 3MB [--json | --junit FILE] */
static const struct check_request failing_request = {
    .metric = CHECK_METRIC_HEAP,
    .max_peak_set = true, .max_peak_bytes = 12000000,
    .max_growth_set = true, .max_growth = { .is_percent = true, .micropercent = 10000000 },
    .max_leak_set = true, .max_leak_bytes = 3000000,
};

static void assert_writer_matches(int (*writer)(FILE *, const struct check_report *),
                                  const struct check_request *request, const char *name)
{
    struct fixture fixture;
    fixture_open(&fixture, request);
    char *got = written(writer, &fixture.report);
    char *expected = golden(name);
    assert_same_text(got, expected, name);
    free(got);
    free(expected);
    fixture_close(&fixture);
}

START_TEST(text_of_a_failure)
{
    assert_writer_matches(check_text_write, &failing_request, "check_fail.txt");
}
END_TEST

START_TEST(json_of_a_failure)
{
    assert_writer_matches(check_json_write, &failing_request, "check_fail.json");
}
END_TEST

START_TEST(junit_of_a_failure)
{
    assert_writer_matches(check_junit_write, &failing_request, "check_fail.xml");
}
END_TEST

/* mprof check check_new.dat --baseline check_base.dat --max-growth 25%
 *     --max-peak 12000100 --max-leak 3MB: one line per check, nothing else. */
START_TEST(text_of_a_pass)
{
    struct check_request request = failing_request;
    request.max_peak_bytes = 12000100;
    request.max_growth.micropercent = 25000000;
    assert_writer_matches(check_text_write, &request, "check_pass.txt");
}
END_TEST

/* The report's text is also the JUnit failure's body: the same string. */
START_TEST(text_string_is_the_text)
{
    struct fixture fixture;
    fixture_open(&fixture, &failing_request);
    char *text = check_text_string(&fixture.report);
    ck_assert_ptr_nonnull(text);
    char *expected = golden("check_fail.txt");
    assert_same_text(text, expected, "check_text_string");
    free(text);
    free(expected);
    fixture_close(&fixture);
}
END_TEST

/* An input error: no text (stderr has it), a JSON object and a JUnit <error>. */
START_TEST(input_error_in_each_format)
{
    struct check_request request = failing_request;
    struct check_report report = { .current_path = "x.dat", .request = &request,
                                   .error = "x.dat: empty file", .exit_status = 2 };
    char *text = written(check_text_write, &report);
    ck_assert_str_eq(text, "");
    free(text);
    char *json = written(check_json_write, &report);
    ck_assert_str_eq(json,
                     "{\"file\": \"x.dat\", \"baseline\": null, \"metric\": \"heap\", "
                     "\"exit_status\": 2, \"passed\": false, \"error\": \"x.dat: empty file\",\n"
                     " \"checks\": [],\n \"skipped\": [],\n \"lines_recorded\": false, "
                     "\"lines\": [],\n \"baseline_update\": null}\n");
    free(json);
    char *junit = written(check_junit_write, &report);
    ck_assert_msg(strstr(junit, "<testsuites name=\"mprof check\" tests=\"1\" failures=\"0\" "
                                "errors=\"1\" skipped=\"0\">") != NULL, "%s", junit);
    ck_assert_msg(strstr(junit, "<error type=\"input\" message=\"x.dat: empty file\">"
                                "x.dat: empty file</error>") != NULL, "%s", junit);
    free(junit);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("check_output");
    TCase *tcase = tcase_create("reports");
    tcase_add_test(tcase, text_of_a_failure);
    tcase_add_test(tcase, json_of_a_failure);
    tcase_add_test(tcase, junit_of_a_failure);
    tcase_add_test(tcase, text_of_a_pass);
    tcase_add_test(tcase, text_string_is_the_text);
    tcase_add_test(tcase, input_error_in_each_format);
    suite_add_tcase(suite, tcase);
    return suite;
}
