/*
 * test_terminal_text.c — mprof/terminal_text.c: the bytes a terminal would take as a
 * control sequence (OSC 52 clipboard writes, window titles, CSI, C1 controls, broken
 * UTF-8) come out as "\xHH", exactly; text, tabs, backslashes and valid UTF-8 as they are.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "terminal_text.h"

/* What terminal_text_put writes for `text`, malloc'd. */
static char *put_text(const char *text)
{
    char *written = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&written, &size);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(terminal_text_put(out, text), 0);
    ck_assert_int_eq(fclose(out), 0);
    return written;
}

static void assert_put(const char *text, const char *expected)
{
    char *written = put_text(text);
    ck_assert_str_eq(written, expected);
    /* The formatter gives the same when there is room. */
    char shown[256];
    ck_assert_str_eq(terminal_text_format(shown, sizeof shown, text), expected);
    free(written);
}

START_TEST(escape_sequences_are_shown_not_run)
{
    /* OSC 52: write "hi" to the clipboard, ended by BEL. */
    assert_put("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07");
    /* OSC 0: the window title, ended by ST (ESC \). */
    assert_put("x\x1b]0;owned\x1b\\y", "x\\x1b]0;owned\\x1b\\y");
    /* CSI: clear the screen; and the same through the 8-bit C1 CSI, U+009B. */
    assert_put("\x1b[2J", "\\x1b[2J");
    assert_put("a\xc2\x9b" "2Jb", "a\\xc2\\x9b2Jb");
    assert_put("\r\n\b\x7f\x01", "\\x0d\\x0a\\x08\\x7f\\x01");
}
END_TEST

START_TEST(text_is_kept)
{
    assert_put("    b.append(str(i) + \"\\t\")", "    b.append(str(i) + \"\\t\")");
    assert_put("\tcaf\xc3\xa9 \xe2\x86\x92 100% \xf0\x9f\x90\x8d", "\tcaf\xc3\xa9 \xe2\x86\x92 100% \xf0\x9f\x90\x8d");
    assert_put("\xc2\xa0nbsp", "\xc2\xa0nbsp");  /* U+00A0 is past the C1 controls */
    assert_put("", "");
}
END_TEST

START_TEST(invalid_utf8_is_escaped_byte_by_byte)
{
    assert_put("\xff\xfe", "\\xff\\xfe");
    assert_put("\xc3(", "\\xc3(");                    /* a lead byte without its tail */
    assert_put("\xe2\x86", "\\xe2\\x86");             /* cut by the end */
    assert_put("\xed\xa0\x80", "\\xed\\xa0\\x80");    /* a surrogate */
    assert_put("\xc0\xaf", "\\xc0\\xaf");             /* overlong '/' */
}
END_TEST

START_TEST(format_cuts_at_a_whole_piece)
{
    char shown[10];
    ck_assert_str_eq(terminal_text_format(shown, sizeof shown, "abcdefghi"), "abcdefghi");
    ck_assert_str_eq(terminal_text_format(shown, sizeof shown, "abcdefghij"), "abcdef...");
    ck_assert_str_eq(terminal_text_format(shown, sizeof shown, "ab\x1b\x1b\x1b"), "ab\\x1b...");
    ck_assert_str_eq(terminal_text_format(shown, sizeof shown, "abc\xe2\x86\x92\xe2\x86\x92"),
                     "abc\xe2\x86\x92\xe2\x86\x92");
    /* "abcd" and one arrow, then "...", would need 11: never half a character. */
    ck_assert_str_eq(terminal_text_format(shown, sizeof shown, "abcd\xe2\x86\x92\xe2\x86\x92"),
                     "abcd...");
    char tiny[3];
    ck_assert_str_eq(terminal_text_format(tiny, sizeof tiny, "abc"), "");
    ck_assert_str_eq(terminal_text_format(tiny, sizeof tiny, "ab"), "ab");
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("terminal_text");
    TCase *tcase = tcase_create("escape");
    tcase_add_test(tcase, escape_sequences_are_shown_not_run);
    tcase_add_test(tcase, text_is_kept);
    tcase_add_test(tcase, invalid_utf8_is_escaped_byte_by_byte);
    tcase_add_test(tcase, format_cuts_at_a_whole_piece);
    suite_add_tcase(suite, tcase);
    return suite;
}
