/*
 * test_gnuplot.c — mprof/gnuplot.c: the script for a known profile, quoting, and hostile
 * text (from a .dat anyone could write) that must stay data: checked on the script text
 * and by running real gnuplot on it.
 */
#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "fixture.h"
#include "gnuplot.h"

static char test_dir[FIXTURE_DIR_MAX];

static void setup(void)
{
    fixture_dir_make(test_dir, sizeof test_dir, "gnuplot");
}

static void teardown(void)
{
    fixture_dir_remove(test_dir);
}

/* ---------------------------------------------------------------- quoting */

static const char *quote(const char *text)
{
    static char quoted[GNUPLOT_STRING_MAX + 8];
    gnuplot_quote(text, quoted, sizeof quoted);
    return quoted;
}

#define RQ "\xe2\x80\x99"  /* U+2019, where '' would not be read as a quote */

START_TEST(test_quote_plain_and_quotes)
{
    ck_assert_str_eq(quote("python3 x.py"), "'python3 x.py'");
    ck_assert_str_eq(quote(""), "''");
    ck_assert_str_eq(quote(NULL), "''");
    ck_assert_str_eq(quote("it's"), "'it''s'");
    ck_assert_str_eq(quote("end'"), "'end'''");
    /* gnuplot's scanner takes '' as a quote only after a plain character. */
    ck_assert_str_eq(quote("'start"), "'" RQ "start'");
    ck_assert_str_eq(quote("a''b"), "'a''" RQ "b'");
    ck_assert_str_eq(quote("''''"), "'" RQ "''" RQ "'''");
    ck_assert_str_eq(quote("\"double\""), "'\"double\"'");
    ck_assert_str_eq(quote("caf\xc3\xa9 \xe2\x86\x92"), "'caf\xc3\xa9 \xe2\x86\x92'");
}
END_TEST

START_TEST(test_quote_neutralises)
{
    /* Inside a single-quoted literal gnuplot expands neither: they are kept as written
     * (test_quote_read_back_by_gnuplot has real gnuplot say so). */
    ck_assert_str_eq(quote("`touch /tmp/pwned`"), "'`touch /tmp/pwned`'");
    ck_assert_str_eq(quote("@macro"), "'@macro'");
    ck_assert_str_eq(quote("a\nset output '/tmp/x'"), "'a set output ''/tmp/x'''");
    ck_assert_str_eq(quote("tab\there\r\x1b[31m\x7f"), "'tab here  [31m '");
    ck_assert_str_eq(quote("bad \xff\xc3( utf8"), "'bad ?" "?( utf8'");
    ck_assert_str_eq(quote("\xed\xa0\x80"), "'?" "?" "?'");  /* a UTF-16 surrogate is not UTF-8 */
}
END_TEST

START_TEST(test_quote_length_limited)
{
    char text[5000];
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    const char *quoted = quote(text);
    ck_assert_uint_eq(strlen(quoted), 1 + GNUPLOT_STRING_MAX + 3 + 1);
    ck_assert(strncmp(quoted + 1 + GNUPLOT_STRING_MAX, "...'", 4) == 0);

    /* All quotes: the escapes never overflow and the literal stays closed. */
    memset(text, '\'', sizeof text - 1);
    quoted = quote(text);
    size_t length = strlen(quoted);
    ck_assert_uint_le(length, 1 + GNUPLOT_STRING_MAX + 3 + 1);
    ck_assert_str_eq(quoted + length - 4, "...'");

    /* A multi-byte character is never cut. */
    char accents[600] = "";
    for (int i = 0; i < 250; i++)
        strcat(accents, "\xc3\xa9");
    quoted = quote(accents);
    length = strlen(quoted);
    ck_assert_uint_eq(length, 1 + GNUPLOT_STRING_MAX + 3 + 1);

    /* Small buffers still get a closed literal. */
    char tiny[3];
    ck_assert_uint_eq(gnuplot_quote("abc", tiny, sizeof tiny), 2);
    ck_assert_str_eq(tiny, "''");
    char small[10];
    gnuplot_quote("abcdefghijkl", small, sizeof small);
    ck_assert_str_eq(small, "'abcd...'");
}
END_TEST

START_TEST(test_fit_line)
{
    double t[] = { 0, 1, 2, 3 }, m[] = { 1, 3, 5, 7 };
    struct gnuplot_fit fit = gnuplot_fit_line(t, m, 4);
    ck_assert(fit.valid);
    ck_assert_double_eq_tol(fit.slope_mib_per_s, 2.0, 1e-12);
    ck_assert_double_eq_tol(fit.intercept_mib, 1.0, 1e-12);
    ck_assert(!gnuplot_fit_line(t, m, 1).valid);
    double same[] = { 5, 5 };
    ck_assert(!gnuplot_fit_line(same, m, 2).valid);
}
END_TEST

/* ---------------------------------------------------------------- a known profile */

static struct dat_sample mem[] = {
    { 1000.0, 10.0 }, { 1000.5, 30.0 }, { 1001.0, 50.0 }, { 1001.5, 20.0 },
};
static struct dat_heap_sample heap[] = {
    { 1000.0, 1048576 }, { 1000.5, 20 * 1048576 }, { 1001.0, 40 * 1048576 }, { 1001.5, 0 },
};
static struct dat_func funcs[] = {
    { (char *)"__main__.grow", 10.0, 1000.2, 50.0, 1001.1, 0 },
};

static struct dat_profile known_profile(void)
{
    struct dat_profile profile = {
        .path = (char *)"mprofile_20250101120000.dat",
        .cmdline = (char *)"python3 grow.py --size 40",
        .mem = mem, .mem_count = 4, .heap = heap, .heap_count = 4,
        .funcs = funcs, .func_count = 1,
    };
    return profile;
}

/* Build a script and its data file; both texts returned (static storage). */
static const char *build(const struct dat_profile *profiles, size_t count,
                         const struct gnuplot_options *options, const char **data_text)
{
    static char data_path[512], data_buffer[65536];
    snprintf(data_path, sizeof data_path, "%s/data", test_dir);
    FILE *data = fopen(data_path, "w");
    ck_assert_ptr_nonnull(data);
    char error[256] = "";
    static struct gnuplot_profile_fits fits[4];
    static char *script;
    free(script);
    script = gnuplot_build(profiles, count, options, data, data_path, fits, error, sizeof error);
    ck_assert_msg(script != NULL, "%s", error);
    fclose(data);
    if (data_text != NULL) {
        FILE *in = fopen(data_path, "r");
        size_t length = fread(data_buffer, 1, sizeof data_buffer - 1, in);
        data_buffer[length] = '\0';
        fclose(in);
        *data_text = data_buffer;
    }
    return script;
}

#define ASSERT_HAS(script, text) \
    ck_assert_msg(strstr((script), (text)) != NULL, "missing <%s> in:\n%s", (text), (script))
#define ASSERT_HAS_NOT(script, text) \
    ck_assert_msg(strstr((script), (text)) == NULL, "unexpected <%s> in:\n%s", (text), (script))

START_TEST(test_script_known_profile)
{
    setenv("TZ", "UTC", 1);
    struct dat_profile profile = known_profile();
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .function_marks = true };
    const char *data;
    const char *script = build(&profile, 1, &options, &data);
    ASSERT_HAS(script, "set terminal pngcairo size 1260,540 noenhanced");
    ASSERT_HAS(script, "set title 'python3 grow.py --size 40' noenhanced\n");
    /* One profile: the x axis says when its 0 was (the original put it in the legend). */
    ASSERT_HAS(script, "set xlabel 'time (in seconds) from 01 / 01 / 1970 00:16:40.000'\n");
    ASSERT_HAS(script, "set ylabel 'memory used (in MiB)'\n");
    ASSERT_HAS(script, "set xrange [0:*]\n");
    /* The peak: 50 MiB at 1.0 s after the start, dashed red both ways. */
    ASSERT_HAS(script, "set arrow 1 from first 1.000000, graph 0 to first 1.000000, graph 1 "
                       "nohead dt 2");
    ASSERT_HAS(script, "set arrow 2 from graph 0, first 50.000000 to graph 1, first 50.000000 "
                       "nohead dt 2");
    ASSERT_HAS(script, "set label 1 'RSS peak 50.000 MiB'");
    /* The heap's peak, 40 MiB, in the heap's colour, labelled below its line at the left. */
    ASSERT_HAS(script, "set arrow 3 from graph 0, first 40.000000 to graph 1, first 40.000000 "
                       "nohead dt 3 lw 1 lc rgb '#e66100' front\n");
    ASSERT_HAS(script, "set label 2 'heap peak 40.000 MiB' at graph 0, first 40.000000 "
                       "offset 1,-0.9 tc rgb '#e66100' front\n");
    /* RSS and heap named so in the legend, heap dashed in another colour, the bracket. */
    char expected[1024];
    snprintf(expected, sizeof expected,
             "plot '%s/data' index 0 using 1:2 with linespoints pt 7 ps 0.35 lw 1.5 lc rgb "
             "'#000000' title 'RSS', \\\n"
             "     '%s/data' index 1 using 1:2 with lines dt 2 lw 2 lc rgb '#e66100' title "
             "'heap', \\\n"
             "     '%s/data' index 2 using 1:2 with lines lw 2 lc rgb '#00bfbf' title "
             "'__main__.grow 0.900s'\n",
             test_dir, test_dir, test_dir);
    ASSERT_HAS(script, expected);
    ASSERT_HAS_NOT(script, "set output");
    /* The numbers: relative seconds, MiB; heap bytes converted. */
    ck_assert(strncmp(data,
                      "0.000000 10.000000\n0.500000 30.000000\n1.000000 50.000000\n"
                      "1.500000 20.000000\n\n\n"
                      "0.000000 1.000000\n0.500000 20.000000\n1.000000 40.000000\n"
                      "1.500000 0.000000\n\n\n",
                      strlen("0.000000 10.000000\n0.500000 30.000000\n1.000000 50.000000\n"
                             "1.500000 20.000000\n\n\n"
                             "0.000000 1.000000\n0.500000 20.000000\n1.000000 40.000000\n"
                             "1.500000 0.000000\n\n\n")) == 0);
    /* The bracket "[" at (0.2 s, 10 MiB): y span 0..50 -> half-height 2.5, x 0..1.5 -> 0.025. */
    ASSERT_HAS(data, "0.225000 12.500000\n0.200000 12.500000\n0.200000 7.500000\n"
                     "0.225000 7.500000\n\n");
}
END_TEST

/* A function called more often than the brackets a process keeps (10,000) says so in
 * the legend: the count comes from PROFILE_FUNC, not from the FUNC lines drawn. */
START_TEST(test_legend_counts_every_call)
{
    struct dat_profile profile = known_profile();
    static struct dat_func two[2];
    two[0] = funcs[0];
    two[1] = funcs[0];
    profile.funcs = two;
    profile.func_count = 2;
    struct dat_profiled_function profiled = {
        .pid = 1, .id = 0, .first_line = 1, .last_line = 2, .call_count = 200000,
        .name = (char *)"__main__.grow", .filename = (char *)"grow.py",
    };
    profile.profiled = &profiled;
    profile.profiled_count = 1;
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .function_marks = true };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "title '__main__.grow (200000 calls, the first 2 drawn)'");
    /* Without PROFILE_FUNC (memory_profiler's file): the lines drawn are all there is. */
    profile.profiled_count = 0;
    script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "title '__main__.grow (2 calls)'");
}
END_TEST

/* A method's FUNC lines are memory_profiler's module.name (`__main__.grow`), its table
 * module.qualname (`__main__.Box.grow`): the legend's count is still the table's, and a
 * table whose qualified name only begins so (`__main__.Box.grown`) is another's. */
START_TEST(test_legend_counts_a_methods_calls)
{
    struct dat_profile profile = known_profile();
    static struct dat_func two[2];
    two[0] = funcs[0];
    two[1] = funcs[0];
    two[0].name = two[1].name = (char *)"__main__.grow";
    profile.funcs = two;
    profile.func_count = 2;
    struct dat_profiled_function profiled = {
        .pid = 1, .id = 0, .first_line = 1, .last_line = 2, .call_count = 200000,
        .name = (char *)"__main__.Box.grow", .filename = (char *)"grow.py",
    };
    profile.profiled = &profiled;
    profile.profiled_count = 1;
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .function_marks = true };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "title '__main__.grow (200000 calls, the first 2 drawn)'");
    profiled.name = (char *)"__main__.Box.grown";
    script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "title '__main__.grow (2 calls)'");
    profiled.name = (char *)"other.Box.grow";
    script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "title '__main__.grow (2 calls)'");
}
END_TEST

/* With -M the marker stands at the highest of the program's and its children's peaks,
 * a child's own mark included, and says whose it was. */
START_TEST(test_marker_at_a_childs_peak)
{
    struct dat_profile profile = known_profile();
    static struct dat_sample child_mem[] = { { 1000.5, 100.0 }, { 1001.0, 120.0 } };
    static struct dat_child child = { .index = 2, .mem = child_mem, .mem_count = 2 };
    profile.children = &child;
    profile.child_count = 1;
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .function_marks = true };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "set label 1 'RSS peak 120.000 MiB (child 2)'");
    ASSERT_HAS(script, "set arrow 1 from first 1.000000, graph 0");
    /* Its mark (a spike between two samples) is its peak. */
    static struct dat_meta marks[] = { { (char *)"child_peak", (char *)"2 335544320 0" } };
    profile.meta = marks;
    profile.meta_count = 1;
    script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "set label 1 'RSS peak 320.000 MiB (child 2)'");
    /* A child below the program: the program's peak, unnamed. */
    child_mem[0].mem_mib = 20.0;
    child_mem[1].mem_mib = 20.0;
    profile.meta_count = 0;
    script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "set label 1 'RSS peak 50.000 MiB' ");
}
END_TEST

/* A child's heap above the program's: the heap marker stands at it, says whose it is,
 * and takes the child's heap colour (its line's), not the program's. */
START_TEST(test_tracemalloc_draws_the_heap_once)
{
    /* Under tracemalloc MEM is the heap: one heap series and one heap peak label, not a
     * "heap" MEM line and a heap line over it with two labels. */
    struct dat_profile profile = known_profile();
    static struct dat_meta backend[] = { { (char *)"backend", (char *)"tracemalloc" } };
    profile.meta = backend;
    profile.meta_count = 1;
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "title 'heap'");
    ASSERT_HAS_NOT(script, "with linespoints");
    ASSERT_HAS(script, "'heap peak 40.000 MiB'");
    ASSERT_HAS_NOT(script, "'heap peak 50.000 MiB'");  /* MEM's peak, labelled "heap" */
    /* With the heap hidden, MEM is drawn in its place, named by what it holds. */
    options.hide_heap = true;
    script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "with linespoints");
    ASSERT_HAS(script, "'heap peak 50.000 MiB'");
}
END_TEST

START_TEST(test_heap_marker_at_a_childs_peak)
{
    struct dat_profile profile = known_profile();
    static struct dat_heap_sample child_heap[] = { { 1000.5, 100 * 1048576 },
                                                   { 1001.0, 10 * 1048576 } };
    static struct dat_child child = { .index = 3, .heap = child_heap, .heap_count = 2 };
    profile.children = &child;
    profile.child_count = 1;
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "set label 2 'heap peak 100.000 MiB (child 3)' at graph 0, first "
                       "100.000000 offset 1,0.7 tc rgb '#5fa8ff' front\n");
    ASSERT_HAS(script, "title 'child 3 heap'");
}
END_TEST

/* The marker stands at the peak as dat.h defines it: a VmHWM of 80 MiB above every
 * sample (50 MiB) is the peak, at the highest sample's time, and the frame holds it. */
START_TEST(test_script_marks_the_high_water_mark)
{
    struct dat_profile profile = known_profile();
    struct dat_meta meta[] = { { (char *)"rss_hwm_bytes", (char *)"83886080" } };
    profile.meta = meta;
    profile.meta_count = 1;
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "set arrow 1 from first 1.000000, graph 0 to first 1.000000, graph 1 "
                       "nohead dt 2");
    ASSERT_HAS(script, "set arrow 2 from graph 0, first 80.000000 to graph 1, first 80.000000 "
                       "nohead dt 2");
    ASSERT_HAS(script, "set label 1 'RSS peak 80.000 MiB'");
    /* y from 0 (the heap's lowest) to 80: 5% below, 8% above. */
    ASSERT_HAS(script, "set yrange [-4.000000:86.400000]\n");
}
END_TEST

START_TEST(test_script_terminals)
{
    struct dat_profile profile = known_profile();
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_SVG };
    ASSERT_HAS(build(&profile, 1, &options, NULL), "set terminal svg size 1260,540 dynamic noenhanced");
    options.format = GNUPLOT_FORMAT_PDF;
    ASSERT_HAS(build(&profile, 1, &options, NULL),
               "set terminal pdfcairo size 13.125in,5.625in noenhanced");
    options.format = GNUPLOT_FORMAT_DUMB;
    ASSERT_HAS(build(&profile, 1, &options, NULL), "set terminal dumb size 100,30 noenhanced\n");
    options.columns = 132;
    options.lines = 50;
    ASSERT_HAS(build(&profile, 1, &options, NULL), "set terminal dumb size 132,50 noenhanced\n");
    options.columns = 5;  /* nonsense sizes fall back */
    ASSERT_HAS(build(&profile, 1, &options, NULL), "set terminal dumb size 100,50 noenhanced\n");
}
END_TEST

START_TEST(test_script_options)
{
    struct dat_profile profile = known_profile();
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .title = "My title",
                                       .function_marks = false, .slope = true, .window = true,
                                       .window_min_s = 0.25, .window_max_s = 1.25 };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "set title 'My title' noenhanced\n");
    ASSERT_HAS(script, "set xrange [0.250000:1.250000]\n");
    ASSERT_HAS_NOT(script, "__main__.grow");          /* -n */
    ASSERT_HAS(script, "title 'RSS slope 10.00000'");  /* fit of 10,30,50,20 */
    ASSERT_HAS(script, "title 'heap slope ");
    ASSERT_HAS(script, "dt 2 lw 1 lc rgb '#00e3d8' notitle");

    /* Several files: no title from a CMDLINE, no brackets or peak marker, heap named. */
    struct dat_profile two[2] = { known_profile(), known_profile() };
    two[1].path = (char *)"other.dat";
    struct gnuplot_options plain = { .format = GNUPLOT_FORMAT_PNG, .function_marks = true };
    script = build(two, 2, &plain, NULL);
    ASSERT_HAS_NOT(script, "set title");
    ASSERT_HAS_NOT(script, "set arrow");
    ASSERT_HAS_NOT(script, "__main__.grow");
    ASSERT_HAS(script, "title 'heap other.dat'");
    ASSERT_HAS(script, "title 'RSS other.dat'");
    ASSERT_HAS(script, "title 'RSS mprofile_20250101120000.dat'");
    ASSERT_HAS(script, "set xlabel 'time (in seconds)'\n");
    ASSERT_HAS(script, "index 3 using 1:2");
}
END_TEST

/* -w: y fits what the window shows, the lines drawn up to its edges (0.6 to 0.9 s holds
 * no sample: RSS crosses it from 34 to 46 MiB, the heap from 24 to 36), and a peak
 * outside it (both at 1.0 s) is not marked. A window with nothing in it is an error. */
START_TEST(test_window_rescales_y)
{
    struct dat_profile profile = known_profile();
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .window = true,
                                       .window_min_s = 0.6, .window_max_s = 0.9 };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "set xrange [0.600000:0.900000]\n");
    ASSERT_HAS(script, "set yrange [22.900000:47.760000]\n");
    ASSERT_HAS_NOT(script, "set arrow");
    ASSERT_HAS_NOT(script, "set label");
    /* Inside the window, the peak is marked, and y reaches it. */
    options.window_max_s = 1.2;
    script = build(&profile, 1, &options, NULL);
    ASSERT_HAS(script, "set label 1 'RSS peak 50.000 MiB'");
    ASSERT_HAS(script, "set label 2 'heap peak 40.000 MiB'");

    options.window_min_s = 2;
    options.window_max_s = 3;
    char data_path[512], error[256] = "";
    snprintf(data_path, sizeof data_path, "%s/data", test_dir);
    FILE *data = fopen(data_path, "w");
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_null(gnuplot_build(&profile, 1, &options, data, data_path, NULL, error,
                                     sizeof error));
    fclose(data);
    ck_assert_str_eq(error, "-w 2,3: no samples between 2 s and 3 s (the profile runs from 0 "
                            "to 1.500 s)");
}
END_TEST

/* --no-heap, --no-rss: the series and its peak are gone; --log: y on a log scale from
 * below the lowest value above 0 (the heap's 1 MiB), a heap of 0 drawn on its floor. */
START_TEST(test_hide_series_and_log_scale)
{
    struct dat_profile profile = known_profile();
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .hide_heap = true };
    const char *script = build(&profile, 1, &options, NULL);
    ASSERT_HAS_NOT(script, "title 'heap'");
    ASSERT_HAS_NOT(script, "heap peak");
    ASSERT_HAS(script, "title 'RSS'");
    ASSERT_HAS(script, "set label 1 'RSS peak 50.000 MiB'");
    options = (struct gnuplot_options){ .format = GNUPLOT_FORMAT_PNG, .hide_rss = true };
    script = build(&profile, 1, &options, NULL);
    ASSERT_HAS_NOT(script, "title 'RSS'");
    ASSERT_HAS_NOT(script, "set arrow 1 ");
    ASSERT_HAS_NOT(script, "RSS peak");
    ASSERT_HAS(script, "title 'heap'");
    ASSERT_HAS(script, "set label 2 'heap peak 40.000 MiB' at graph 0, first 40.000000 "
                       "offset 1,0.7 ");
    options = (struct gnuplot_options){ .format = GNUPLOT_FORMAT_PNG, .log_scale = true };
    const char *data;
    script = build(&profile, 1, &options, &data);
    ASSERT_HAS(script, "set logscale y 10\n");
    ASSERT_HAS(script, "set yrange [0.666666667:80.000000]\n");
    ASSERT_HAS(data, "\n1.500000 0.000977\n");
}
END_TEST

/* A start no date can hold (the reader refuses it, a caller might not) is shown as a
 * number, never converted to an overflowing time_t. */
START_TEST(test_start_beyond_any_date)
{
    struct dat_profile profile = known_profile();
    static struct dat_sample far[] = { { -1e30, 10.0 }, { -1e30, 20.0 } };
    profile.mem = far;
    profile.mem_count = 2;
    profile.heap_count = 0;
    profile.func_count = 0;
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG };
    ASSERT_HAS(build(&profile, 1, &options, NULL),
               "set xlabel 'time (in seconds) from -1e+30 s'\n");
}
END_TEST

/* ---------------------------------------------------------------- hostile text */

/* The script with every quoted literal removed, scanned exactly as gnuplot's scanner.c
 * does: a literal ends at the first quote, except that from a plain character a look
 * ahead takes in a following '' pair. Fails the test when a literal is not closed on its
 * own line (a newline would let the rest run as a command). */
static char *code_outside_strings(const char *script)
{
    char *code = malloc(strlen(script) + 1);
    ck_assert_ptr_nonnull(code);
    size_t out = 0;
    for (const char *c = script; *c != '\0'; c++) {
        if (*c == '#') {  /* a comment: to the end of the line */
            while (c[1] != '\0' && c[1] != '\n')
                c++;
            continue;
        }
        if (*c != '\'') {
            code[out++] = *c;
            continue;
        }
        while (*++c != '\'') {
            ck_assert_msg(*c != '\0' && *c != '\n', "unclosed quote in:\n%s", script);
            if (c[1] == '\'' && c[2] == '\'')
                c += 2;
        }
        code[out++] = 'S';  /* where a string was */
    }
    code[out] = '\0';
    return code;
}

static void assert_script_is_safe(const char *script)
{
    /* Nothing that substitutes, expands or escapes survives outside a literal (inside
     * one, gnuplot takes a backquote and '@' as text), and no control byte anywhere. */
    for (const char *c = script; *c != '\0'; c++)
        ck_assert_msg(*c == '\n' || (unsigned char)*c >= 0x20, "control byte in script");
    char *code = code_outside_strings(script);
    ASSERT_HAS_NOT(code, "`");
    ASSERT_HAS_NOT(code, "@");
    ASSERT_HAS_NOT(code, "system");
    ASSERT_HAS_NOT(code, "set output");
    ASSERT_HAS_NOT(code, "\"");
    ASSERT_HAS_NOT(code, "touch");
    ASSERT_HAS_NOT(code, "pwned");
    ASSERT_HAS_NOT(code, "load");
    ASSERT_HAS_NOT(code, "shell");
    ASSERT_HAS_NOT(code, "eval");
    ASSERT_HAS_NOT(code, ";");
    /* Every line is one of ours: a comment, a set, the plot and its continuations. */
    char *saveptr = NULL;
    for (char *line = strtok_r(code, "\n", &saveptr); line != NULL;
         line = strtok_r(NULL, "\n", &saveptr)) {
        ck_assert_msg(strncmp(line, "set ", 4) == 0 || strncmp(line, "plot S index ", 13) == 0 ||
                      strncmp(line, "     S index ", 13) == 0 || line[0] == '\0',
                      "unexpected line <%s>", line);
    }
    free(code);
}

static char pwned_path[128];

static void hostile_profile(struct dat_profile *profile, struct dat_func *hostile_funcs,
                            char *cmdline, size_t cmdline_size, char *long_name)
{
    snprintf(pwned_path, sizeof pwned_path, "/tmp/mprof_pwned_%d", (int)getpid());
    snprintf(cmdline, cmdline_size,
             "`touch %s_lead` \"; system(\"touch %s_lead2\"); set output '%s_hijack'; \" '"
             " ; system(\"touch %s_system\") ; `touch %s_backquote` "
             "\" ; `touch %s_dq` \" @macro \n set output '%s_output'\n"
             "print \"`touch %s_print`\" \\\n ; eval('system(\"touch %s_eval\")')",
             pwned_path, pwned_path, pwned_path, pwned_path, pwned_path, pwned_path, pwned_path,
             pwned_path, pwned_path);
    memset(long_name, 'F', 9999);
    long_name[9999] = '\0';
    memcpy(long_name + 5000, "'`touch /tmp/mprof_pwned_long`", 30);
    *profile = known_profile();
    profile->cmdline = cmdline;
    profile->path = (char *)"evil'`touch x`@m.dat";
    hostile_funcs[0] = funcs[0];
    hostile_funcs[0].name = (char *)"f'); system('touch /tmp/mprof_pwned_func'); #";
    hostile_funcs[1] = funcs[0];
    hostile_funcs[1].name = long_name;
    hostile_funcs[2] = funcs[0];
    hostile_funcs[2].name = (char *)"'@x `id` \n!touch /tmp/mprof_pwned_bang";
    profile->funcs = hostile_funcs;
    profile->func_count = 3;
}

START_TEST(test_hostile_strings_stay_quoted)
{
    struct dat_profile profile;
    struct dat_func hostile_funcs[3];
    char cmdline[2048];
    static char long_name[10000];
    hostile_profile(&profile, hostile_funcs, cmdline, sizeof cmdline, long_name);
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG, .function_marks = true,
                                       .slope = true };
    assert_script_is_safe(build(&profile, 1, &options, NULL));
    /* A hostile -t title and several files (file names reach the legend). */
    options.title = "t'\n!touch /tmp/mprof_pwned_title\n";
    struct dat_profile two[2] = { profile, profile };
    const char *script = build(two, 2, &options, NULL);
    assert_script_is_safe(script);
    /* The title's text is still shown, as data. */
    ASSERT_HAS(script, "set title 't'' !touch /tmp/mprof_pwned_title ' noenhanced\n");
}
END_TEST

static bool exists(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0;
}

/* Real gnuplot on the hostile script: it draws, and nothing it was told to run ran. */
START_TEST(test_hostile_strings_real_gnuplot)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        return;  /* gnuplot-nox not installed: the text checks above still ran */
    struct dat_profile profile;
    struct dat_func hostile_funcs[3];
    char cmdline[2048];
    static char long_name[10000];
    hostile_profile(&profile, hostile_funcs, cmdline, sizeof cmdline, long_name);
    static const char *const suffixes[] = { "_system", "_backquote", "_dq", "_output",
                                            "_print", "_eval", "_lead", "_lead2", "_hijack" };
    char path[256];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", pwned_path, suffixes[i]);
        unlink(path);
    }
    enum gnuplot_format formats[] = { GNUPLOT_FORMAT_DUMB, GNUPLOT_FORMAT_PNG };
    for (size_t f = 0; f < 2; f++) {
        struct gnuplot_options options = { .format = formats[f], .function_marks = true,
                                           .title = f == 1 ? "@x `touch /tmp/mprof_pwned_t`"
                                                           : NULL };
        const char *script = build(&profile, 1, &options, NULL);
        char output_path[512];
        snprintf(output_path, sizeof output_path, "%s/out", test_dir);
        int output = open(output_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ck_assert_int_ge(output, 0);
        char error[512] = "";
        ck_assert_msg(gnuplot_run(script, output, error, sizeof error) == 0, "%s", error);
        close(output);
        struct stat info;
        ck_assert_int_eq(stat(output_path, &info), 0);
        ck_assert_int_gt(info.st_size, 500);  /* it did draw */
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", pwned_path, suffixes[i]);
        ck_assert_msg(!exists(path), "%s was created", path);
    }
    ck_assert(!exists("/tmp/mprof_pwned_func"));
    ck_assert(!exists("/tmp/mprof_pwned_long"));
    ck_assert(!exists("/tmp/mprof_pwned_bang"));
    ck_assert(!exists("/tmp/mprof_pwned_t"));
}
END_TEST

/* What gnuplot reads from our literals is the text, with only the documented
 * substitutions: checked by having real gnuplot print them back. */
START_TEST(test_quote_read_back_by_gnuplot)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        return;
    static const char *const texts[] = {
        "plain", "it's", "'start", "end'", "a''b", "''''", "'", "`id`", "x';print 'y",
        "a\nb", "\"dq\" \\ $x #c", "caf\xc3\xa9", "@x", "a@x`id`@", "'@x'", "''`id`''",
        "__main__.my_func",
    };
    static const char *const expected[] = {
        "plain", "it's", RQ "start", "end'", "a'" RQ "b", RQ "'" RQ "'", RQ, "`id`",
        "x';print 'y", "a b", "\"dq\" \\ $x #c", "caf\xc3\xa9", "@x", "a@x`id`@",
        RQ "@x'", RQ "'`id`'" RQ, "__main__.my_func",
    };
    /* x is a macro's name here: were '@x' expanded, the line would print "MACRO". */
    char script[4096] = "set print '-'\nx = 'MACRO'\n";
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        strcat(script, "print ");
        strcat(script, quote(texts[i]));
        strcat(script, "\n");
    }
    char output_path[512];
    snprintf(output_path, sizeof output_path, "%s/printed", test_dir);
    int output = open(output_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(output, 0);
    char error[512] = "";
    ck_assert_msg(gnuplot_run(script, output, error, sizeof error) == 0, "%s\n%s", error, script);
    char printed[4096];
    ssize_t length = pread(output, printed, sizeof printed - 1, 0);
    close(output);
    ck_assert_int_gt(length, 0);
    printed[length] = '\0';
    char *saveptr = NULL, *line = strtok_r(printed, "\n", &saveptr);
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        ck_assert_msg(line != NULL, "gnuplot printed %zu lines", i);
        ck_assert_str_eq(line, expected[i]);
        line = strtok_r(NULL, "\n", &saveptr);
    }
    ck_assert_ptr_null(line);
}
END_TEST

/* ---------------------------------------------------------------- running gnuplot */

START_TEST(test_run_gnuplot_missing)
{
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", "/nonexistent", 1);
    char error[512];
    int result = gnuplot_run("plot sin(x)\n", -1, error, sizeof error);
    setenv("PATH", path, 1);  /* teardown needs rm */
    free(path);
    ck_assert_int_eq(result, -1);
    ck_assert_str_eq(error, "gnuplot: not found; install it with: apt-get install gnuplot-nox");
}
END_TEST

START_TEST(test_run_gnuplot_error_reported)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        return;
    char error[512] = "";
    int devnull = open("/dev/null", O_WRONLY);
    ck_assert_int_eq(gnuplot_run("set terminal dumb\nplot '/nonexistent/data' using 1:2\n",
                                 devnull, error, sizeof error), -1);
    close(devnull);
    /* gnuplot's last word: "line 0: No data in plot" (it warned of the file before). */
    ck_assert_msg(strncmp(error, "gnuplot: ", 9) == 0 && strstr(error, "No data in plot"),
                  "%s", error);
    ck_assert_ptr_null(strchr(error, '\n'));
}
END_TEST

/* A series of 360,000 samples (an hour at -T 0.01) is drawn from at most 4 points per
 * column of 4,096, and keeps every extreme: the one-sample spike and the one-sample dip
 * are in the data gnuplot reads, and the y range is theirs. */
START_TEST(test_long_series_keeps_extremes)
{
    enum { SAMPLES = 360000 };
    static struct dat_sample long_mem[SAMPLES];
    for (size_t i = 0; i < SAMPLES; i++) {
        long_mem[i].time_s = 1000.0 + (double)i * 0.01;
        long_mem[i].mem_mib = 100.0 + (double)(i % 1000) / 100.0;
    }
    long_mem[123457].mem_mib = 987.25;   /* the spike */
    long_mem[234568].mem_mib = 3.5;      /* the dip */
    struct dat_profile profile = { .path = (char *)"long.dat", .mem = long_mem,
                                   .mem_count = SAMPLES };
    struct gnuplot_options options = { .format = GNUPLOT_FORMAT_PNG };
    build(&profile, 1, &options, NULL);
    char data_path[512];
    snprintf(data_path, sizeof data_path, "%s/data", test_dir);
    FILE *in = fopen(data_path, "r");
    ck_assert_ptr_nonnull(in);
    char line[128];
    size_t points = 0;
    bool spike = false, dip = false;
    while (fgets(line, sizeof line, in) != NULL) {
        double x, y;
        if (sscanf(line, "%lf %lf", &x, &y) != 2)
            continue;
        points++;
        spike |= y == 987.25 && fabs(x - 1234.57) < 1e-6;
        dip |= y == 3.5 && fabs(x - 2345.68) < 1e-6;
    }
    fclose(in);
    ck_assert_msg(points <= 4 * 4096 + 4 && points > 4096, "%zu points", points);
    ck_assert(spike);
    ck_assert(dip);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("gnuplot");
    TCase *quoting = tcase_create("quoting");
    tcase_add_test(quoting, test_quote_plain_and_quotes);
    tcase_add_test(quoting, test_quote_neutralises);
    tcase_add_test(quoting, test_quote_length_limited);
    tcase_add_test(quoting, test_fit_line);
    suite_add_tcase(suite, quoting);

    TCase *script = tcase_create("script");
    tcase_add_checked_fixture(script, setup, teardown);
    tcase_add_test(script, test_script_known_profile);
    tcase_add_test(script, test_tracemalloc_draws_the_heap_once);
    tcase_add_test(script, test_legend_counts_every_call);
    tcase_add_test(script, test_legend_counts_a_methods_calls);
    tcase_add_test(script, test_marker_at_a_childs_peak);
    tcase_add_test(script, test_heap_marker_at_a_childs_peak);
    tcase_add_test(script, test_script_marks_the_high_water_mark);
    tcase_add_test(script, test_script_terminals);
    tcase_add_test(script, test_script_options);
    tcase_add_test(script, test_window_rescales_y);
    tcase_add_test(script, test_hide_series_and_log_scale);
    tcase_add_test(script, test_start_beyond_any_date);
    tcase_add_test(script, test_long_series_keeps_extremes);
    suite_add_tcase(suite, script);

    TCase *hostile = tcase_create("hostile");
    tcase_add_checked_fixture(hostile, setup, teardown);
    tcase_set_timeout(hostile, 30);
    tcase_add_test(hostile, test_hostile_strings_stay_quoted);
    tcase_add_test(hostile, test_hostile_strings_real_gnuplot);
    tcase_add_test(hostile, test_quote_read_back_by_gnuplot);
    tcase_add_test(hostile, test_run_gnuplot_missing);
    tcase_add_test(hostile, test_run_gnuplot_error_reported);
    suite_add_tcase(suite, hostile);
    return suite;
}
