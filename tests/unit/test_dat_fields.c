/*
 * test_dat_fields.c — mprof/dat_fields.c: splitting a .dat line, numbers accepted only
 * whole, and the writers' escaping undone exactly.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dat_fields.h"
#include "check_main.h"

START_TEST(split_on_blanks_keeps_the_rest_in_the_last)
{
    char line[] = "  1.5\t\t2  three four  ";
    char *fields[3];
    ck_assert_uint_eq(dat_split(line, fields, 3), 3);
    ck_assert_str_eq(fields[0], "1.5");
    ck_assert_str_eq(fields[1], "2");
    ck_assert_str_eq(fields[2], "three four  ");
    char empty[] = " \t ";
    ck_assert_uint_eq(dat_split(empty, fields, 3), 0);
}
END_TEST

START_TEST(split_with_rest_keeps_spaces_and_tabs)
{
    char line[] = "1 2 3 \tx = 'a  b'  ";
    char *fields[3], *rest;
    ck_assert_uint_eq(dat_split_with_rest(line, fields, 3, &rest), 3);
    ck_assert_str_eq(fields[2], "3");
    ck_assert_str_eq(rest, "\tx = 'a  b'  ");
    char ends[] = "1 2 3";
    ck_assert_uint_eq(dat_split_with_rest(ends, fields, 3, &rest), 3);
    ck_assert_str_eq(rest, "");
    char short_line[] = "1 2";
    ck_assert_uint_eq(dat_split_with_rest(short_line, fields, 3, &rest), 2);
    ck_assert_ptr_null(rest);
}
END_TEST

START_TEST(numbers_only_whole)
{
    double d = 7;
    ck_assert(dat_parse_double("1.25", &d));
    ck_assert_double_eq(d, 1.25);
    ck_assert(!dat_parse_double("1.25x", &d));
    ck_assert(!dat_parse_double("nan", &d));
    ck_assert(!dat_parse_double("inf", &d));
    ck_assert(!dat_parse_double("1e999", &d));
    ck_assert(!dat_parse_double("", &d));
    ck_assert_double_eq(d, 1.25);

    int i = 0;
    ck_assert(dat_parse_int("-12", &i));
    ck_assert_int_eq(i, -12);
    ck_assert(!dat_parse_int("2147483648", &i));
    ck_assert(!dat_parse_int("3.0", &i));

    uint64_t u = 0;
    ck_assert(dat_parse_u64("18446744073709551615", &u));
    ck_assert_uint_eq(u, UINT64_MAX);
    ck_assert(!dat_parse_u64("18446744073709551616", &u));
    ck_assert(!dat_parse_u64("-1", &u));   /* strtoull would take it as 2^64-1 */
    ck_assert(!dat_parse_u64("+1", &u));

    int64_t s = 0;
    ck_assert(dat_parse_i64("-9223372036854775808", &s));
    ck_assert_int_eq(s, INT64_MIN);
    ck_assert(!dat_parse_i64("-", &s));
    ck_assert(!dat_parse_i64("9223372036854775808", &s));

    uint32_t c = 0;
    ck_assert(dat_parse_u32("4294967295", &c));
    ck_assert_uint_eq(c, UINT32_MAX);
    ck_assert(!dat_parse_u32("4294967296", &c));
}
END_TEST

START_TEST(unescape_undoes_the_writers)
{
    char text[] = "a\\\\b\\x20c\\x09d\\xe2\\x80\\x99\\x00e\\xzz\\";
    dat_unescape(text);
    ck_assert_str_eq(text, "a\\b c\td\xe2\x80\x99\\x00e\\xzz\\");
}
END_TEST

START_TEST(error_is_formatted_when_asked)
{
    char error[16] = "unchanged";
    dat_set_error(NULL, 0, "%s", "ignored");
    dat_set_error(error, sizeof error, "%s: line %d", "x.dat", 7);
    ck_assert_str_eq(error, "x.dat: line 7");
    dat_set_error(error, 6, "%s", "truncated");
    ck_assert_str_eq(error, "trunc");
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("dat_fields");
    TCase *tcase = tcase_create("fields");
    tcase_add_test(tcase, split_on_blanks_keeps_the_rest_in_the_last);
    tcase_add_test(tcase, split_with_rest_keeps_spaces_and_tabs);
    tcase_add_test(tcase, numbers_only_whole);
    tcase_add_test(tcase, unescape_undoes_the_writers);
    tcase_add_test(tcase, error_is_formatted_when_asked);
    suite_add_tcase(suite, tcase);
    return suite;
}
