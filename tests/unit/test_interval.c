/*
 * test_interval.c — mprof/interval.c: `-T SECONDS` becomes whole nanoseconds within the
 * bounds of protocol.h, and everything else is refused with one line naming the value.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "interval.h"
#include "mprof/protocol.h"
#include "check_main.h"

static uint64_t parse_ok(const char *text)
{
    uint64_t interval_ns = 0;
    char error[128] = "";
    ck_assert_msg(interval_parse(text, &interval_ns, error, sizeof(error)) == 0,
                  "%s refused: %s", text, error);
    return interval_ns;
}

static void parse_refused(const char *text, const char *expected_error)
{
    uint64_t interval_ns = 12345;
    char error[128] = "";
    ck_assert_int_eq(interval_parse(text, &interval_ns, error, sizeof(error)), -1);
    ck_assert_str_eq(error, expected_error);
    ck_assert_uint_eq(interval_ns, 12345); /* untouched on failure */
}

START_TEST(decimal_and_exponent_forms)
{
    ck_assert_uint_eq(parse_ok("0.1"), 100000000u);
    ck_assert_uint_eq(parse_ok("1e-2"), 10000000u);
    ck_assert_uint_eq(parse_ok("5E-3"), 5000000u);
    ck_assert_uint_eq(parse_ok("3"), 3000000000u);
}
END_TEST

START_TEST(floor_is_exact)
{
    ck_assert_uint_eq(parse_ok("0.001"), MPROF_INTERVAL_MIN_NS);
    ck_assert_uint_eq(parse_ok("1e-3"), MPROF_INTERVAL_MIN_NS);
    ck_assert_uint_eq(parse_ok("0.0010000001"), 1000000u); /* rounds to the nearest ns */
    ck_assert_uint_eq(parse_ok("2.5"), 2500000000u);
    ck_assert_uint_eq(parse_ok("86400"), MPROF_INTERVAL_MAX_NS);
}
END_TEST

START_TEST(below_the_floor_is_refused)
{
    parse_refused("0.0005", "-T 0.0005: below the 0.001 s floor (the shortest interval "
                            "the library samples at)");
    parse_refused("1e-05", "-T 1e-05: below the 0.001 s floor (the shortest interval "
                           "the library samples at)");
    parse_refused("1e-9", "-T 1e-9: below the 0.001 s floor (the shortest interval "
                          "the library samples at)");
    parse_refused("0", "-T 0: below the 0.001 s floor (the shortest interval "
                       "the library samples at)");
    parse_refused("-1", "-T -1: below the 0.001 s floor (the shortest interval "
                        "the library samples at)");
    parse_refused("1e-400", "-T 1e-400: below the 0.001 s floor (the shortest interval "
                            "the library samples at)");
    parse_refused("1e-310", "-T 1e-310: below the 0.001 s floor (the shortest interval "
                            "the library samples at)"); /* a denormal: ERANGE, not 0 */
}
END_TEST

START_TEST(not_a_number_is_refused)
{
    parse_refused("abc", "-T abc: not a number of seconds");
    parse_refused("", "-T : not a number of seconds");
    parse_refused("0.1s", "-T 0.1s: not a number of seconds");
    parse_refused("nan", "-T nan: not a number of seconds");
    parse_refused("inf", "-T inf: not a number of seconds");
    parse_refused("1e400", "-T 1e400: not a number of seconds");
}
END_TEST

START_TEST(above_the_ceiling_is_refused)
{
    parse_refused("86401", "-T 86401: above the 86400 s ceiling");
}
END_TEST

START_TEST(seconds_of_nanoseconds)
{
    ck_assert_double_eq(interval_seconds(100000000u), 0.1);
    ck_assert_double_eq(interval_seconds(MPROF_INTERVAL_MIN_NS), 0.001);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("interval");
    TCase *tcase = tcase_create("parse");
    tcase_add_test(tcase, decimal_and_exponent_forms);
    tcase_add_test(tcase, floor_is_exact);
    tcase_add_test(tcase, below_the_floor_is_refused);
    tcase_add_test(tcase, not_a_number_is_refused);
    tcase_add_test(tcase, above_the_ceiling_is_refused);
    tcase_add_test(tcase, seconds_of_nanoseconds);
    suite_add_tcase(suite, tcase);
    return suite;
}
