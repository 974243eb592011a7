/*
 * test_gnuplot_jpeg.c — mprof/gnuplot_jpeg.c: the script that re-encodes the PNG as a
 * JPEG, exactly, and its one string (the PNG's path) as a quoted literal.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "check_main.h"

START_TEST(script_is_exact)
{
    char *script = gnuplot_jpeg_script("/tmp/mprof-plot-png-abc123");
    ck_assert_ptr_nonnull(script);
    ck_assert_str_eq(script,
                     "# mprof plot: the PNG below, re-encoded as a JPEG\n"
                     "set terminal jpeg size 1260,540\n"
                     "set lmargin at screen 0\nset rmargin at screen 1\n"
                     "set tmargin at screen 1\nset bmargin at screen 0\n"
                     "unset border\nunset tics\nunset key\n"
                     "set xrange [0:1259]\nset yrange [1:540]\n"
                     "plot '/tmp/mprof-plot-png-abc123' binary filetype=png with rgbimage "
                     "notitle\n");
    free(script);
}
END_TEST

/* A path is text: its quote cannot end the literal, nor a newline start a command. */
START_TEST(path_is_quoted)
{
    char *script = gnuplot_jpeg_script("/t/x'; system('id')\nshow");
    ck_assert_ptr_nonnull(script);
    const char *plot = strstr(script, "\nplot ");
    ck_assert_ptr_nonnull(plot);
    ck_assert_ptr_eq(strchr(plot + 1, '\n'), script + strlen(script) - 1);  /* one line */
    ck_assert_ptr_nonnull(strstr(plot, "x''; system(''id'') show'"));
    free(script);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("gnuplot_jpeg");
    TCase *tcase = tcase_create("jpeg");
    tcase_add_test(tcase, script_is_exact);
    tcase_add_test(tcase, path_is_quoted);
    suite_add_tcase(suite, tcase);
    return suite;
}
