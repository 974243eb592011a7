/*
 * test_utf8.c — mprof/utf8.c: every boundary of strict UTF-8, checked against the
 * rules Python's decoder applies (the .dat is read by the original tool in text mode).
 */
#include <check.h>
#include <stdlib.h>

#include "utf8.h"
#include "check_main.h"

static size_t length_of(const char *text)
{
    return utf8_sequence_length((const unsigned char *)text);
}

START_TEST(ascii_is_one_byte)
{
    ck_assert_uint_eq(length_of("a"), 1);
    ck_assert_uint_eq(length_of("\x7f"), 1);
    ck_assert_uint_eq(length_of("\t"), 1);
    ck_assert_uint_eq(length_of(""), 1);  /* the NUL itself is a character */
}
END_TEST

START_TEST(valid_sequences_and_their_edges)
{
    ck_assert_uint_eq(length_of("\xc2\x80"), 2);          /* U+0080, the first of two */
    ck_assert_uint_eq(length_of("\xdf\xbf"), 2);          /* U+07FF */
    ck_assert_uint_eq(length_of("\xc3\xa9t\xc3\xa9"), 2); /* é, then the rest */
    ck_assert_uint_eq(length_of("\xe0\xa0\x80"), 3);      /* U+0800 */
    ck_assert_uint_eq(length_of("\xe2\x80\x99"), 3);      /* ’ */
    ck_assert_uint_eq(length_of("\xed\x9f\xbf"), 3);      /* U+D7FF, below surrogates */
    ck_assert_uint_eq(length_of("\xee\x80\x80"), 3);      /* U+E000, above them */
    ck_assert_uint_eq(length_of("\xef\xbf\xbf"), 3);      /* U+FFFF */
    ck_assert_uint_eq(length_of("\xf0\x90\x80\x80"), 4);  /* U+10000 */
    ck_assert_uint_eq(length_of("\xf0\x9f\x98\x80"), 4);  /* an emoji */
    ck_assert_uint_eq(length_of("\xf4\x8f\xbf\xbf"), 4);  /* U+10FFFF, the last */
}
END_TEST

START_TEST(invalid_sequences_are_zero)
{
    ck_assert_uint_eq(length_of("\x80"), 0);              /* a lone continuation byte */
    ck_assert_uint_eq(length_of("\xbf"), 0);
    ck_assert_uint_eq(length_of("\xc0\x80"), 0);          /* overlong NUL */
    ck_assert_uint_eq(length_of("\xc1\xbf"), 0);          /* overlong */
    ck_assert_uint_eq(length_of("\xe0\x9f\xbf"), 0);      /* overlong three-byte */
    ck_assert_uint_eq(length_of("\xed\xa0\x80"), 0);      /* U+D800, a surrogate */
    ck_assert_uint_eq(length_of("\xed\xbf\xbf"), 0);      /* U+DFFF */
    ck_assert_uint_eq(length_of("\xf0\x8f\xbf\xbf"), 0);  /* overlong four-byte */
    ck_assert_uint_eq(length_of("\xf4\x90\x80\x80"), 0);  /* U+110000 */
    ck_assert_uint_eq(length_of("\xf5\x80\x80\x80"), 0);  /* no such lead */
    ck_assert_uint_eq(length_of("\xff"), 0);
    ck_assert_uint_eq(length_of("\xc3("), 0);             /* a lead, then ASCII */
    ck_assert_uint_eq(length_of("\xe2\x80("), 0);
    ck_assert_uint_eq(length_of("\xf0\x9f\x98("), 0);
}
END_TEST

START_TEST(cut_by_the_end_of_the_text)
{
    ck_assert_uint_eq(length_of("\xc3"), 0);
    ck_assert_uint_eq(length_of("\xe2\x80"), 0);
    ck_assert_uint_eq(length_of("\xf0\x9f\x98"), 0);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("utf8");
    TCase *tcase = tcase_create("sequence_length");
    tcase_add_test(tcase, ascii_is_one_byte);
    tcase_add_test(tcase, valid_sequences_and_their_edges);
    tcase_add_test(tcase, invalid_sequences_are_zero);
    tcase_add_test(tcase, cut_by_the_end_of_the_text);
    suite_add_tcase(suite, tcase);
    return suite;
}
