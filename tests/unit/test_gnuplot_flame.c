/*
 * test_gnuplot_flame.c — mprof/gnuplot_flame.c: --flame's colours (memory_profiler's
 * hsv red and orange, paler by level, half over white), the short names of its labels
 * (the original's shortest unambiguous dotted tail, on thousands of names as the
 * definition gives them), and the bars in a built script: a
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

/* The short name of names[which] among `names`, by the batch the bars use. */
static const char *short_name(const char *const *names, size_t count, size_t which)
{
    const char *short_names[16];
    ck_assert_uint_le(count, 16);
    ck_assert_int_eq(gnuplot_flame_short_names(names, count, short_names), 0);
    for (size_t i = 0; i < count; i++) {   /* always a non-empty tail of the name */
        size_t length = strlen(names[i]), tail = strlen(short_names[i]);
        ck_assert(tail <= length && short_names[i] == names[i] + length - tail);
    }
    return short_names[which];
}

START_TEST(short_names_are_unambiguous)
{
    const char *names[] = { "__main__.inner", "__main__.middle", "a.b.f", "c.b.f", "x.g",
                            "y.x.g", "plain" };
    size_t count = sizeof names / sizeof names[0];
    ck_assert_str_eq(short_name(names, count, 0), "inner");
    ck_assert_str_eq(short_name(names, count, 1), "middle");
    ck_assert_str_eq(short_name(names, count, 2), "a.b.f");
    ck_assert_str_eq(short_name(names, count, 3), "c.b.f");
    /* "x.g" is a tail of "y.x.g": the whole of it is all it has */
    ck_assert_str_eq(short_name(names, count, 4), "x.g");
    ck_assert_str_eq(short_name(names, count, 5), "y.x.g");
    ck_assert_str_eq(short_name(names, count, 6), "plain");
    /* never an empty label, never past the string */
    const char *odd[] = { "m.", ".f", "f" };
    ck_assert_str_eq(short_name(odd, 3, 0), "m.");
    ck_assert_str_eq(short_name(odd, 3, 1), ".f");
    ck_assert_str_eq(short_name(odd, 3, 2), "f");
    /* a name called again is not another name; an empty component is a component */
    const char *again[] = { "m.f", "a..b", "m.f", "c..b", "", "n.f" };
    ck_assert_str_eq(short_name(again, 6, 0), "m.f");
    ck_assert_str_eq(short_name(again, 6, 2), "m.f");
    ck_assert_str_eq(short_name(again, 6, 1), "a..b");
    ck_assert_str_eq(short_name(again, 6, 3), "c..b");
    ck_assert_str_eq(short_name(again, 6, 4), "");
    const char *once[] = { "m.f", "m.f", "m.f" };
    ck_assert_str_eq(short_name(once, 3, 1), "f");
}
END_TEST

/* The definition, asked of every other name: what the batch must agree with. */
static bool ends_in(const char *name, const char *tail)
{
    size_t name_length = strlen(name), tail_length = strlen(tail);
    if (tail_length > name_length)
        return false;
    const char *end = name + name_length - tail_length;
    return strcmp(end, tail) == 0 && (end == name || end[-1] == '.');
}

static const char *short_name_by_definition(const char *name, char *const *names, size_t count)
{
    const char *tail = name + strlen(name);
    while (tail > name) {
        do
            tail--;
        while (tail > name && tail[-1] != '.');
        bool shared = false;
        for (size_t i = 0; i < count && !shared; i++)
            shared = strcmp(names[i], name) != 0 && ends_in(names[i], tail);
        if (!shared)
            return tail;
    }
    return name;
}

/* Thousands of names from a few components (so tails are shared at every depth, some
 * names are tails of others, some repeat): each short name is the definition's. */
START_TEST(short_names_of_many_names)
{
    enum { COUNT = 1500 };
    static const char *const parts[] = { "a", "b", "f", "", "main", "x" };
    char **names = calloc(COUNT, sizeof *names);
    const char **short_names = calloc(COUNT, sizeof *short_names);
    ck_assert(names != NULL && short_names != NULL);
    unsigned state = 12345;
    for (size_t i = 0; i < COUNT; i++) {
        char name[64] = "";
        state = state * 1103515245u + 12345u;
        size_t components = 1 + (state >> 16) % 5;
        for (size_t c = 0; c < components; c++) {
            state = state * 1103515245u + 12345u;
            if (c > 0)
                strcat(name, ".");
            strcat(name, parts[(state >> 16) % 6]);
        }
        names[i] = strdup(name);
        ck_assert_ptr_nonnull(names[i]);
    }
    ck_assert_int_eq(gnuplot_flame_short_names((const char *const *)names, COUNT,
                                               short_names), 0);
    size_t shortened = 0;
    for (size_t i = 0; i < COUNT; i++) {
        const char *want = short_name_by_definition(names[i], names, COUNT);
        ck_assert_msg(short_names[i] == want, "'%s': '%s', not '%s'", names[i],
                      short_names[i], want);
        shortened += want != names[i];
    }
    ck_assert_uint_gt(shortened, 0);   /* not only whole names */
    for (size_t i = 0; i < COUNT; i++)
        free(names[i]);
    free(names);
    /* Fifty thousand distinct functions of one module: each its last component. */
    enum { MANY = 50000 };
    char (*many)[16] = malloc(MANY * sizeof *many);
    const char **many_names = malloc(MANY * sizeof *many_names);
    const char **many_short = realloc(short_names, MANY * sizeof *many_short);
    ck_assert(many != NULL && many_names != NULL && many_short != NULL);
    for (size_t i = 0; i < MANY; i++) {
        snprintf(many[i], sizeof many[i], "m.f%zu", i);
        many_names[i] = many[i];
    }
    ck_assert_int_eq(gnuplot_flame_short_names(many_names, MANY, many_short), 0);
    for (size_t i = 0; i < MANY; i++)
        ck_assert_ptr_eq(many_short[i], many[i] + 2);
    free(many);
    free(many_names);
    free(many_short);
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

/* A call's colour is its turn among all its level's calls, whatever the window: with
 * the child's bar left out, the tiny call is still its level's second, orange. */
START_TEST(colours_do_not_depend_on_the_window)
{
    struct dat_profile profile = {
        .path = (char *)"f.dat", .cmdline = (char *)"x",
        .mem = flame_mem, .mem_count = 4, .funcs = flame_funcs, .func_count = 3,
    };
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .function_marks = true,
                                       .flame = true, .window = true, .window_min_s = 5.5,
                                       .window_max_s = 10.0 };
    char data_path[512], error[256] = "";
    snprintf(data_path, sizeof data_path, "%s/data", test_dir);
    FILE *data = fopen(data_path, "w");
    ck_assert_ptr_nonnull(data);
    char *script = gnuplot_build(&profile, 1, &options, data, data_path, NULL, error,
                                 sizeof error);
    fclose(data);
    ck_assert_msg(script != NULL, "%s", error);
    ck_assert_ptr_null(strstr(script, "first 1.000000, second 1"));   /* the child's */
    ck_assert_ptr_nonnull(strstr(script, "set object 1001 rect from first 6.000000, second 1 to "
                                         "first 6.001000, second 2 fc rgb '#ffdfaf' "));
    ck_assert_ptr_null(strstr(script, "#ffafaf"));   /* level 1's red: the child's only */
    free(script);
}
END_TEST

/* A call written end first is drawn over the same span, as the original's fill of x1..x0
 * draws it (where `mprof peak --func` counts no sample in it, as the original does). */
START_TEST(reversed_call_is_drawn_over_its_span)
{
    struct dat_func reversed[] = {
        { (char *)"m.back", 1.0, 109.0, 1.0, 101.0, 0 },
    };
    struct dat_profile profile = {
        .path = (char *)"f.dat", .mem = flame_mem, .mem_count = 4, .funcs = reversed,
        .func_count = 1,
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
    ck_assert_ptr_nonnull(strstr(script, "set object 1000 rect from first 1.000000, second 0 to "
                                         "first 9.000000, second 1 fc rgb '#ff8080' "));
    ck_assert_ptr_nonnull(strstr(script, "set label 1000 'back' at first 5.000000, second "
                                         "0.500000 "));
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
    tcase_add_test(tcase, short_names_of_many_names);
    tcase_add_test(tcase, bars_in_the_script);
    tcase_add_test(tcase, levels_are_bounded);
    tcase_add_test(tcase, colours_do_not_depend_on_the_window);
    tcase_add_test(tcase, reversed_call_is_drawn_over_its_span);
    suite_add_tcase(suite, tcase);
    return suite;
}
