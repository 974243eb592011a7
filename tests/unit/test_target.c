/*
 * test_target.c — mprof/target.c: the recorded command line reads back, in a shell, as
 * the very arguments that ran.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "target.h"
#include "check_main.h"

static void assert_cmdline(char **argv, const char *expected)
{
    char *text = target_cmdline(argv);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, expected);
    free(text);
}

START_TEST(plain_arguments_stay_bare)
{
    char *argv[] = { "python3", "/w/x.py", "--size=40", "a,b", "é", NULL };
    assert_cmdline(argv, "python3 /w/x.py --size=40 a,b é");
}
END_TEST

START_TEST(others_are_single_quoted)
{
    char *argv[] = { "python3", "my scr'ipt \"é\".py", "", "$HOME", "a*b", "x;y", NULL };
    assert_cmdline(argv, "python3 'my scr'\\''ipt \"é\".py' '' '$HOME' 'a*b' 'x;y'");
}
END_TEST

/* Read back by a real shell (sh, as system() runs it), the line gives the same
 * arguments. */
START_TEST(a_shell_reads_it_back)
{
    char *argv[] = { "printf", "[%s]", "my scr'ipt \"é\".py", "", "a  b", "'", "\\n", NULL };
    char *text = target_cmdline(argv);
    ck_assert_ptr_nonnull(text);
    char path[] = "/tmp/mprof-test-target-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char script[1024];
    snprintf(script, sizeof script, "%s > %s", text, path);
    ck_assert_int_eq(system(script), 0);
    FILE *out = fopen(path, "r");
    ck_assert_ptr_nonnull(out);
    char got[256];
    size_t length = fread(got, 1, sizeof got - 1, out);
    got[length] = '\0';
    fclose(out);
    remove(path);
    ck_assert_str_eq(got, "[my scr'ipt \"é\".py][][a  b]['][\\n]");
    free(text);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("target");
    TCase *tcase = tcase_create("cmdline");
    tcase_add_test(tcase, plain_arguments_stay_bare);
    tcase_add_test(tcase, others_are_single_quoted);
    tcase_add_test(tcase, a_shell_reads_it_back);
    suite_add_tcase(suite, tcase);
    return suite;
}
