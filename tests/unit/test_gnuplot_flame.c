/*
 * test_gnuplot_flame.c — mprof/gnuplot_flame.c: --flame's colours (memory_profiler's
 * hsv red and orange, paler by level, half over white), the short names of its labels
 * (the original's shortest unambiguous dotted tail), and the bars in a built script: a
 * level for a FUNC line without one, a name that tries to end its literal, a call too
 * narrow for its name or its white edge.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot_builder.h"
#include "check_main.h"
#include "fixture.h"

static char test_dir[FIXTURE_DIR_MAX];

static void setup(void)
{
    fixture_dir_make(test_dir, sizeof test_dir, "gnuplot-flame");
}

static void teardown(void)
{
    fixture_dir_remove(test_dir);
}

START_TEST(colours_are_the_originals)
{
    /* level 0 of 3: hsv(0, 1, 1) red and hsv(0.1, 1, 1) orange, over white */
    ck_assert_uint_eq(gnuplot_flame_colour(0, 3, 0), 0xff8080);
    ck_assert_uint_eq(gnuplot_flame_colour(0, 3, 1), 0xffcc80);
    ck_assert_uint_eq(gnuplot_flame_colour(0, 3, 2), 0xff8080);   /* by turns */
    /* level 1: saturation 0.75; level 2: 0.5 */
    ck_assert_uint_eq(gnuplot_flame_colour(1, 3, 0), 0xff9f9f);
    ck_assert_uint_eq(gnuplot_flame_colour(1, 3, 1), 0xffd99f);
    ck_assert_uint_eq(gnuplot_flame_colour(2, 3, 0), 0xffbfbf);
    ck_assert_uint_eq(gnuplot_flame_colour(2, 3, 1), 0xffe6bf);
    ck_assert_uint_eq(gnuplot_flame_colour(0, 0, 0), 0xff8080);
}
END_TEST

START_TEST(short_names_are_unambiguous)
{
    const char *names[] = { "__main__.inner", "__main__.middle", "a.b.f", "c.b.f", "x.g",
                            "y.x.g", "plain" };
    size_t count = sizeof names / sizeof names[0];
    ck_assert_str_eq(gnuplot_flame_short_name(names[0], names, count), "inner");
    ck_assert_str_eq(gnuplot_flame_short_name(names[1], names, count), "middle");
    ck_assert_str_eq(gnuplot_flame_short_name(names[2], names, count), "a.b.f");
    ck_assert_str_eq(gnuplot_flame_short_name(names[3], names, count), "c.b.f");
    /* "x.g" is a tail of "y.x.g": the whole of it is all it has */
    ck_assert_str_eq(gnuplot_flame_short_name(names[4], names, count), "x.g");
    ck_assert_str_eq(gnuplot_flame_short_name(names[5], names, count), "y.x.g");
    ck_assert_str_eq(gnuplot_flame_short_name(names[6], names, count), "plain");
    /* never an empty label, never past the string */
    const char *odd[] = { "m.", ".f", "f" };
    ck_assert_str_eq(gnuplot_flame_short_name(odd[0], odd, 3), "m.");
    ck_assert_str_eq(gnuplot_flame_short_name(odd[1], odd, 3), ".f");
    ck_assert_str_eq(gnuplot_flame_short_name(odd[2], odd, 3), "f");
}
END_TEST

static struct dat_sample flame_mem[] = {
    { 100.0, 10.0 }, { 101.0, 30.0 }, { 102.0, 20.0 }, { 110.0, 12.0 },
};
static struct dat_func flame_funcs[] = {
    /* no stack level (an older file): level 0 */
    { (char *)"m.evil'\nset output 'x", 10.0, 100.5, 20.0, 109.5, -1 },
    { (char *)"m.child", 10.0, 101.0, 20.0, 105.0, 1 },
    { (char *)"m.tiny", 10.0, 106.0, 20.0, 106.001, 1 },
};

START_TEST(bars_in_the_script)
{
    struct dat_profile profile = {
        .path = (char *)"f.dat", .cmdline = (char *)"x",
        .mem = flame_mem, .mem_count = 4, .funcs = flame_funcs, .func_count = 3,
    };
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .function_marks = true,
                                       .flame = true };
    char data_path[512], error[256] = "";
    snprintf(data_path, sizeof data_path, "%s/data", test_dir);
    FILE *data = fopen(data_path, "w");
    ck_assert_ptr_nonnull(data);
    char *script = gnuplot_build(&profile, 1, &options, data, data_path, NULL, error,
                                 sizeof error);
    fclose(data);
    ck_assert_msg(script != NULL, "%s", error);
    ck_assert_ptr_nonnull(strstr(script, "set y2range [0:3]\nunset y2tics\n"));
    ck_assert_ptr_nonnull(strstr(script,
        "set object 1000 rect from first 0.500000, second 0 to first 9.500000, second 1 fc "
        "rgb '#ff8080' fs solid 1.0 border lc rgb '#ffffff' lw 0.5 back\n"));
    /* the name is one literal: its quote doubled, its newline a space */
    ck_assert_ptr_nonnull(strstr(script, "set label 1000 'evil'' set output ''x' at first "
                                         "5.000000, second 0.500000 center front noenhanced\n"));
    ck_assert_ptr_nonnull(strstr(script, "set label 1001 'child' at first 3.000000, second "
                                         "1.500000 center front noenhanced\n"));
    /* a millisecond of 10 s: no white edge, no room for a name; level 1 of 2 is
     * saturation 0.625, its second bar orange */
    ck_assert_ptr_nonnull(strstr(script, "set object 1002 rect from first 6.000000, second 1 to "
                                         "first 6.001000, second 2 fc rgb '#ffdfaf' fs solid "
                                         "1.0 noborder back\n"));
    ck_assert_ptr_null(strstr(script, "set label 1002"));
    ck_assert_ptr_null(strstr(script, "\nset output"));
    free(script);
}
END_TEST

/* A level from a file is any int: the deepest share the last of 10,000 levels. */
START_TEST(levels_are_bounded)
{
    struct dat_func deep[] = {
        { (char *)"m.deep", 1.0, 100.0, 1.0, 101.0, 2147483647 },
    };
    struct dat_profile profile = {
        .path = (char *)"f.dat", .mem = flame_mem, .mem_count = 4, .funcs = deep,
        .func_count = 1,
    };
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_DUMB, .function_marks = true,
                                       .flame = true };
    char data_path[512], error[256] = "";
    snprintf(data_path, sizeof data_path, "%s/data", test_dir);
    FILE *data = fopen(data_path, "w");
    ck_assert_ptr_nonnull(data);
    char *script = gnuplot_build(&profile, 1, &options, data, data_path, NULL, error,
                                 sizeof error);
    fclose(data);
    ck_assert_msg(script != NULL, "%s", error);
    ck_assert_ptr_nonnull(strstr(script, "set y2range [0:10001]\n"));
    /* the text plot's outline, in the bar's colour: level 9999 of 10000, the palest */
    ck_assert_ptr_nonnull(strstr(script, "set object 1000 rect from first 0.000000, second "
                                         "9999 to first 1.000000, second 10000 fc rgb "
                                         "'#ffdfdf' fs empty border lc rgb '#ffdfdf' back\n"));
    free(script);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("gnuplot_flame");
    TCase *tcase = tcase_create("flame");
    tcase_add_checked_fixture(tcase, setup, teardown);
    tcase_add_test(tcase, colours_are_the_originals);
    tcase_add_test(tcase, short_names_are_unambiguous);
    tcase_add_test(tcase, bars_in_the_script);
    tcase_add_test(tcase, levels_are_bounded);
    suite_add_tcase(suite, tcase);
    return suite;
}
