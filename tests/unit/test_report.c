/*
 * test_report.c — mprof/report.c: @profile tables and top lines compared byte for byte
 * with the files of tests/golden. The MiB goldens were printed by memory_profiler's own
 * show_results on the same numbers (tests/golden/memory_profiler_tables.py), and are
 * checked against it again here when it is installed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "report.h"

/* tests/golden beside tests/unit, from this file's path as the Makefile compiles it. */
static const char *golden_path(const char *name)
{
    static char path[1024];
    const char *slash = strrchr(__FILE__, '/');
    int dir_length = slash != NULL ? (int)(slash - __FILE__) : 1;
    snprintf(path, sizeof path, "%.*s/../golden/%s", dir_length,
             slash != NULL ? __FILE__ : ".", name);
    return path;
}

static char *read_all(FILE *in)
{
    size_t capacity = 4096, length = 0;
    char *text = malloc(capacity);
    ck_assert_ptr_nonnull(text);
    size_t got;
    while ((got = fread(text + length, 1, capacity - length - 1, in)) > 0) {
        length += got;
        if (length + 1 == capacity) {
            capacity *= 2;
            text = realloc(text, capacity);
            ck_assert_ptr_nonnull(text);
        }
    }
    text[length] = '\0';
    return text;
}

static char *golden(const char *name)
{
    FILE *in = fopen(golden_path(name), "rb");
    ck_assert_msg(in != NULL, "%s: cannot open", golden_path(name));
    char *text = read_all(in);
    fclose(in);
    return text;
}

/* Compare, and on a difference show the first line that differs. */
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
    ck_abort_msg("%s differs at line %zu:\n got:      '%.80s'\n expected: '%.80s'", what, line,
                 got + line_start, expected + line_start);
}

/* ---------------------------------------------------------------- the model */

struct model_line { uint32_t line; uint64_t occurrences; int64_t increment, mem; const char *text; };

/* The same numbers and source as tests/golden/memory_profiler_tables.py. */
static const struct model_line build_lines[] = {
    { 2, 1, 22125000, 22125000, "@profile" },
    { 3, 0, 0, 0, "def build():" },
    { 4, 1, 50000057, 72125057, "    a = bytearray(50_000_000)" },
    { 5, 1, 8000056, 80125113, "    b = [0] * 1_000_000" },
    { 6, 4, 1216, 80126329, "    for i in range(3):" },
    { 7, 3, 330, 80126659, "        b.append(str(i) + \"\\t\")" },
    { 8, 1, -24, 80126659, "    if not b:" },
    { 9, 0, 0, 0, "        print(\"never\")" },
    { 10, 0, 0, 0, "\t# a comment after a tab, caf\xc3\xa9 \xe2\x86\x92 100%" },
    { 11, 0, 0, 0, "" },
    { 12, 1, -50000057, 30126602, "    del a" },
    { 13, 1, 0, 30126602, "    return b" },
};

static const struct model_line step_lines[] = {
    { 20, 2, 30126602, 30127000, "    @profile" },
    { 21, 0, 0, 0, "    def step(self, n):" },
    { 22, 2, 8000000, 38127000, "        self.items.extend(range(n))" },
    { 23, 2, 0, 38127000, "        return len(self.items)" },
};

static void model_function(struct dat_profiled_function *function, int pid, uint32_t id,
                           const char *name, const char *filename,
                           const struct model_line *lines, size_t count)
{
    memset(function, 0, sizeof *function);
    function->pid = pid;
    function->id = id;
    function->first_line = lines[0].line;
    function->last_line = lines[count - 1].line;
    function->call_count = (uint32_t)lines[0].occurrences;
    function->name = (char *)name;
    function->filename = (char *)filename;
    function->lines = calloc(count, sizeof *function->lines);
    ck_assert_ptr_nonnull(function->lines);
    for (size_t i = 0; i < count; i++) {
        function->lines[i] = (struct dat_profiled_line){
            lines[i].line, lines[i].occurrences, lines[i].increment, lines[i].mem,
            (char *)lines[i].text };
    }
    function->line_count = count;
}

#define MODEL_FUNCTION(function, pid, id, name, file, lines) \
    model_function((function), (pid), (id), (name), (file), (lines), \
                   sizeof(lines) / sizeof((lines)[0]))

static void golden_model(struct dat_profiled_function functions[2])
{
    MODEL_FUNCTION(&functions[0], 100, 1, "__main__.build", "/tmp/golden dir/my script.py",
                   build_lines);
    MODEL_FUNCTION(&functions[1], 100, 2, "__main__.Grow.step", "/tmp/other.py", step_lines);
}

static char *tables_text(const struct dat_profiled_function *functions, size_t count,
                         int main_pid, struct report_options options, int expect_written)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(report_write_tables(out, functions, count, main_pid, &options),
                     expect_written);
    ck_assert_int_eq(fclose(out), 0);
    return text;
}

static void check_golden_tables(struct report_options options, const char *name)
{
    struct dat_profiled_function functions[2];
    golden_model(functions);
    char *text = tables_text(functions, 2, 100, options, 2);
    char *expected = golden(name);
    assert_same_text(text, expected, name);
    free(text);
    free(expected);
    free(functions[0].lines);
    free(functions[1].lines);
}

/* ---------------------------------------------------------------- tables */

START_TEST(test_mib_default_matches_golden)
{
    check_golden_tables((struct report_options){ REPORT_UNIT_MIB, 1 }, "table_mib.txt");
}
END_TEST

START_TEST(test_mib_precision_3_matches_golden)
{
    check_golden_tables((struct report_options){ REPORT_UNIT_MIB, 3 }, "table_mib_p3.txt");
}
END_TEST

START_TEST(test_bytes_match_golden)
{
    check_golden_tables((struct report_options){ REPORT_UNIT_B, 1 }, "table_b.txt");
}
END_TEST

START_TEST(test_kib_match_golden)
{
    check_golden_tables((struct report_options){ REPORT_UNIT_KIB, 2 }, "table_kib.txt");
}
END_TEST

/* The goldens are what memory_profiler itself prints (skipped when it is missing). */
START_TEST(test_golden_is_memory_profilers_output)
{
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import memory_profiler' >/dev/null 2>&1") != 0)
        return;
    static const struct { const char *arguments, *name; } cases[] = {
        { "", "table_mib.txt" }, { "3", "table_mib_p3.txt" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char command[2048];
        snprintf(command, sizeof command, "PYTHONIOENCODING=utf-8 /usr/bin/python3 '%s' %s",
                 golden_path("memory_profiler_tables.py"), cases[i].arguments);
        FILE *run = popen(command, "r");
        ck_assert_ptr_nonnull(run);
        char *text = read_all(run);
        ck_assert_int_eq(pclose(run), 0);
        char *expected = golden(cases[i].name);
        assert_same_text(text, expected, cases[i].name);
        free(text);
        free(expected);
    }
}
END_TEST

/* Children's tables follow the main process's, under their pid; functions that never
 * ran (no row with occurrences) are left out, as memory_profiler leaves them out. */
START_TEST(test_children_headed_and_unrun_left_out)
{
    static const struct model_line child_lines[] = {
        { 5, 1, 1048576, 2097152, "@profile" },
        { 6, 0, 0, 0, "def work():" },
        { 7, 1, 4096, 2101248, "    return [0] * 500" },
    };
    static const struct model_line unrun_lines[] = {
        { 9, 0, 0, 0, "@profile" },
        { 10, 0, 0, 0, "def never(): pass" },
    };
    struct dat_profiled_function functions[4];
    MODEL_FUNCTION(&functions[0], 201, 1, "__main__.work", "/w.py", child_lines);
    MODEL_FUNCTION(&functions[1], 100, 1, "__main__.work", "/w.py", child_lines);
    MODEL_FUNCTION(&functions[2], 100, 2, "__main__.never", "/w.py", unrun_lines);
    MODEL_FUNCTION(&functions[3], 202, 1, "__main__.work", "/w.py", child_lines);
    char *text = tables_text(functions, 4, 100, (struct report_options){ REPORT_UNIT_MIB, 1 }, 3);
    char *expected = golden("tables_children.txt");
    assert_same_text(text, expected, "tables_children.txt");
    free(text);
    free(expected);
    for (int i = 0; i < 4; i++)
        free(functions[i].lines);
}
END_TEST

/* Lines missing from the model inside the range print as blank rows with no text. */
START_TEST(test_missing_lines_are_blank_rows)
{
    static const struct model_line sparse[] = {
        { 3, 1, 0, 0, "@profile" },
        { 6, 2, 2097152, 2097152, "    x = y" },
    };
    struct dat_profiled_function function;
    MODEL_FUNCTION(&function, 1, 1, "m.f", "f.py", sparse);
    char *text = tables_text(&function, 1, 1, (struct report_options){ REPORT_UNIT_MIB, 0 }, 1);
    assert_same_text(text,
        "Filename: f.py\n\n"
        "Line #    Mem usage    Increment  Occurrences   Line Contents\n"
        "=============================================================\n"
        "     3        0 MiB        0 MiB           1   @profile\n"
        "     4                                         \n"
        "     5                                         \n"
        "     6        2 MiB        2 MiB           2       x = y\n"
        "\n\n", "sparse table");
    free(text);
    free(function.lines);
}
END_TEST

/* A script given as ./noext is /dir/./noext to CPython: the table names /dir/noext. */
START_TEST(test_filename_is_tidied)
{
    static const struct model_line one[] = { { 1, 1, 0, 0, "@profile" } };
    struct dat_profiled_function function;
    MODEL_FUNCTION(&function, 1, 1, "m.f", "/w/./sub//./noext", one);
    char *text = tables_text(&function, 1, 1, (struct report_options){ REPORT_UNIT_MIB, 0 }, 1);
    ck_assert_msg(strncmp(text, "Filename: /w/sub/noext\n", 23) == 0, "got: %s", text);
    free(text);
    free(function.lines);
}
END_TEST

/* In bytes a 1 GB cell is 12 characters: the byte columns widen so that cells never touch. */
START_TEST(test_bytes_columns_widen)
{
    static const struct model_line big[] = {
        { 1, 1, 253931160, 253931160, "@profile" },
        { 2, 1, 1760000000, 2013931160, "    a = bytes(1_760_000_000)" },
    };
    struct dat_profiled_function function;
    MODEL_FUNCTION(&function, 1, 1, "m.f", "f.py", big);
    char *text = tables_text(&function, 1, 1, (struct report_options){ REPORT_UNIT_B, 1 }, 1);
    assert_same_text(text,
        "Filename: f.py\n\n"
        "Line #     Mem usage     Increment  Occurrences   Line Contents\n"
        "===============================================================\n"
        "     1   253931160 B   253931160 B           1   @profile\n"
        "     2  2013931160 B  1760000000 B           1       a = bytes(1_760_000_000)\n"
        "\n\n", "wide bytes table");
    free(text);
    free(function.lines);
}
END_TEST

/* A line whose runs add up to more than the function ever held gets a note saying why;
 * a line that held what it added does not. */
START_TEST(test_footnote_when_the_caller_freed)
{
    static const struct model_line freed[] = {
        { 1, 200000, 5872025, 5872025, "@profile" },
        { 2, 0, 0, 0, "def make(i):" },
        { 3, 200000, 160000000, 5872857, "    return [i] * 100" },
    };
    struct dat_profiled_function function;
    MODEL_FUNCTION(&function, 1, 1, "__main__.make", "f.py", freed);
    char *text = tables_text(&function, 1, 1, (struct report_options){ REPORT_UNIT_MIB, 1 }, 1);
    ck_assert_msg(strstr(text, "       return [i] * 100\n"
                               "\nLine 3 ran 200000 times and adds up to 152.6 MiB, yet the heap "
                               "never rose more than\n0.0 MiB in __main__.make: Increment sums what "
                               "each run left live when the line ended, and what\nthe caller freed "
                               "after each call (or nested calls of a recursion share) is not taken "
                               "off.\n\n\n") != NULL,
                  "no note in:\n%s", text);
    free(text);
    free(function.lines);
    static const struct model_line kept[] = {
        { 1, 20000, 5872025, 5872025, "@profile" },
        { 3, 20000, 17120000, 22992025, "    return [i] * 100" },
    };
    MODEL_FUNCTION(&function, 1, 1, "__main__.make", "f.py", kept);
    text = tables_text(&function, 1, 1, (struct report_options){ REPORT_UNIT_MIB, 1 }, 1);
    ck_assert_msg(strstr(text, "Line 3 ran") == NULL, "a note for a line that held it:\n%s", text);
    free(text);
    free(function.lines);
}
END_TEST

/* ---------------------------------------------------------------- top lines */

START_TEST(test_top_matches_golden)
{
    struct dat_top_site sites[] = {
        { 2, 8000056, 1, 1, 5, (char *)"build", (char *)"/tmp/golden dir/my script.py" },
        { 1, 50000057, 1, 1, 4, (char *)"build", (char *)"/tmp/golden dir/my script.py" },
        { 3, 4200, 75, 1210, 17, (char *)"<module>", (char *)"/usr/lib/python3.11/x.py" },
        { 4, 24, 1, 9, 1, (char *)"f", (char *)"y.py" },
    };
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct report_options options = { REPORT_UNIT_MIB, 1 };
    ck_assert_int_eq(report_write_top(out, sites, 4, 3, &options), 0);
    options.unit = REPORT_UNIT_B;
    ck_assert_int_eq(report_write_top(out, sites, 4, 10, &options), 0);
    ck_assert_int_eq(fclose(out), 0);
    char *expected = golden("top.txt");
    assert_same_text(text, expected, "top.txt");
    free(text);
    free(expected);
}
END_TEST

/* Found by fuzzing: figures near the ends of 64 bits made the note's sums overflow
 * (UBSan), and a wrapped sum printed a note for a line that held it all. */
START_TEST(test_footnote_at_the_ends_of_64_bits)
{
    struct model_line lines[] = {
        { 1, 1, 0, 0, "@profile" },
        { 2, 2, INT64_MAX, INT64_MAX - 1, "    x = f()" },
    };
    struct dat_profiled_function function;
    for (int variant = 0; variant < 2; variant++) {
        /* Mem usage less the entry's Increment: near the top, then past it. */
        lines[0].increment = variant == 0 ? 0 : -5;
        lines[1].mem = variant == 0 ? INT64_MAX - 1 : INT64_MAX;
        MODEL_FUNCTION(&function, 1, 1, "m.f", "f.py", lines);
        char *text = tables_text(&function, 1, 1, (struct report_options){ REPORT_UNIT_B, 0 }, 1);
        ck_assert_msg(strstr(text, " ran 2 times") == NULL, "a note at the ends:\n%s", text);
        ck_assert_ptr_nonnull(strstr(text, "9223372036854775807 B"));
        free(text);
        free(function.lines);
    }
}
END_TEST

/* ---------------------------------------------------------------- hostile text */

/* A .dat is anyone's: escape sequences in its names and lines are shown, never sent
 * (OSC 52 writes the clipboard, OSC 0 the window title, CSI 2J clears the screen). */
START_TEST(test_escape_sequences_are_shown)
{
    static const struct model_line lines[] = {
        { 1, 2, 0, 0, "x = '\x1b]52;c;aGk=\x07'" },
        { 2, 2, 1048576, 1048576, "y = 1\r\x1b[2J" },
    };
    struct dat_profiled_function function;
    MODEL_FUNCTION(&function, 1, 1, "m.\x1b]0;title\x07", "/tmp/\x1b]0;t\x1b\\.py", lines);
    function.lines[1].increment_bytes = 4194304;  /* run twice for 4 MiB, held 1: a note */
    char *text = tables_text(&function, 1, 1, (struct report_options){ REPORT_UNIT_MIB, 0 }, 1);
    assert_same_text(text,
        "Filename: /tmp/\\x1b]0;t\\x1b\\.py\n\n"
        "Line #    Mem usage    Increment  Occurrences   Line Contents\n"
        "=============================================================\n"
        "     1        0 MiB        0 MiB           2   x = '\\x1b]52;c;aGk=\\x07'\n"
        "     2        1 MiB        4 MiB           2   y = 1\\x0d\\x1b[2J\n"
        "\nLine 2 ran 2 times and adds up to 4 MiB, yet the heap never rose more than\n"
        "1 MiB in m.\\x1b]0;title\\x07: Increment sums what each run left live when the line "
        "ended, and what\nthe caller freed after each call (or nested calls of a recursion "
        "share) is not taken off.\n"
        "\n\n", "escaped table");
    free(text);
    free(function.lines);

    struct dat_top_site site = { 1, 1024, 1, 1, 3, (char *)"\x1b[2J", (char *)"\x9b\x1b]0;t\x07.py" };
    char *top = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&top, &size);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(report_write_top(out, &site, 1, 1,
                                      &(struct report_options){ REPORT_UNIT_B, 0 }), 0);
    ck_assert_int_eq(fclose(out), 0);
    assert_same_text(top,
        "  Rank   Heap at peak   Live blocks   Allocations   Line (function)\n"
        "===================================================================\n"
        "     1         1024 B             1             1   "
        "\\x9b\\x1b]0;t\\x07.py:3 (\\x1b[2J)\n", "escaped top");
    free(top);
}
END_TEST

/* ---------------------------------------------------------------- options */

START_TEST(test_parse_unit_and_precision)
{
    enum report_unit unit;
    ck_assert_int_eq(report_parse_unit("B", &unit), 0);
    ck_assert_int_eq(unit, REPORT_UNIT_B);
    ck_assert_int_eq(report_parse_unit("kib", &unit), 0);
    ck_assert_int_eq(unit, REPORT_UNIT_KIB);
    ck_assert_int_eq(report_parse_unit("MiB", &unit), 0);
    ck_assert_int_eq(unit, REPORT_UNIT_MIB);
    ck_assert_int_eq(report_parse_unit("GiB", &unit), -1);
    ck_assert_int_eq(report_parse_unit("", &unit), -1);
    int precision;
    ck_assert_int_eq(report_parse_precision("0", &precision), 0);
    ck_assert_int_eq(precision, 0);
    ck_assert_int_eq(report_parse_precision("12", &precision), 0);
    ck_assert_int_eq(report_parse_precision("13", &precision), -1);
    ck_assert_int_eq(report_parse_precision("-1", &precision), -1);
    ck_assert_int_eq(report_parse_precision("2x", &precision), -1);
    ck_assert_int_eq(report_parse_precision("", &precision), -1);
}
END_TEST

START_TEST(test_format_bytes)
{
    char cell[64];
    struct report_options options = { REPORT_UNIT_MIB, 1 };
    report_format_bytes(cell, sizeof cell, -50000057, &options);
    ck_assert_str_eq(cell, "-47.7 MiB");
    report_format_bytes(cell, sizeof cell, 0, &options);
    ck_assert_str_eq(cell, "  0.0 MiB");
    options.unit = REPORT_UNIT_B;
    report_format_bytes(cell, sizeof cell, 50000057, &options);
    ck_assert_str_eq(cell, "50000057 B");
    report_format_bytes(cell, sizeof cell, -24, &options);
    ck_assert_str_eq(cell, "-24 B");
    options.unit = REPORT_UNIT_KIB;
    options.precision = 0;
    report_format_bytes(cell, sizeof cell, 1536, &options);
    ck_assert_str_eq(cell, "   2 KiB");
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("report");
    TCase *tables = tcase_create("tables");
    tcase_add_test(tables, test_mib_default_matches_golden);
    tcase_add_test(tables, test_mib_precision_3_matches_golden);
    tcase_add_test(tables, test_bytes_match_golden);
    tcase_add_test(tables, test_kib_match_golden);
    tcase_add_test(tables, test_golden_is_memory_profilers_output);
    tcase_set_timeout(tables, 30);
    tcase_add_test(tables, test_children_headed_and_unrun_left_out);
    tcase_add_test(tables, test_missing_lines_are_blank_rows);
    suite_add_tcase(suite, tables);
    TCase *top = tcase_create("top");
    tcase_add_test(top, test_top_matches_golden);
    suite_add_tcase(suite, top);
    TCase *options = tcase_create("options");
    tcase_add_test(options, test_parse_unit_and_precision);
    tcase_add_test(options, test_format_bytes);
    tcase_add_test(options, test_filename_is_tidied);
    tcase_add_test(options, test_bytes_columns_widen);
    tcase_add_test(options, test_footnote_when_the_caller_freed);
    tcase_add_test(options, test_escape_sequences_are_shown);
    tcase_add_test(options, test_footnote_at_the_ends_of_64_bits);
    suite_add_tcase(suite, options);
    return suite;
}
