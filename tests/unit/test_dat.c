/*
 * test_dat.c — mprof/dat_read.c, dat_write.c and dat_list.c: every writer read back
 * exactly, the original tool's files read, ours read by the original, every reader
 * error with its message and line, and the order of listed names.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "dat.h"
#include "fixture.h"

static char test_dir[FIXTURE_DIR_MAX];

static void setup(void)
{
    fixture_dir_make(test_dir, sizeof test_dir, "dat");
}

static void teardown(void)
{
    fixture_dir_remove(test_dir);
}

/* A file named `name` in the test directory holding exactly `length` bytes. */
static const char *write_file(const char *name, const char *content, size_t length)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", test_dir, name);
    FILE *out = fopen(path, "wb");
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(fwrite(content, 1, length, out), length);
    ck_assert_int_eq(fclose(out), 0);
    return path;
}

static const char *write_text(const char *name, const char *content)
{
    return write_file(name, content, strlen(content));
}

static char *read_whole(const char *path)
{
    FILE *in = fopen(path, "rb");
    ck_assert_ptr_nonnull(in);
    static char text[65536];
    size_t length = fread(text, 1, sizeof text - 1, in);
    text[length] = '\0';
    fclose(in);
    return text;
}

/* The error dat_read gives for `content`, with the test directory cut from the path. */
static const char *read_error(const char *content, size_t length)
{
    const char *path = write_file("x.dat", content, length);
    struct dat_profile profile;
    static char error[DAT_ERROR_MAX];
    ck_assert_int_eq(dat_read(path, &profile, error, sizeof error), -1);
    size_t prefix = strlen(test_dir) + 1;
    ck_assert(strncmp(error, path, strlen(path)) == 0);
    return error + prefix;
}

#define ERROR_OF(text) read_error((text), sizeof(text) - 1)

/* ---------------------------------------------------------------- writers */

static void write_every_line(FILE *out)
{
    ck_assert_int_eq(dat_write_cmdline(out, "python3 x.py 'a b'\nsecond\rline"), 0);
    ck_assert_int_eq(dat_write_meta(out, "version", "0.1.0"), 0);
    ck_assert_int_eq(dat_write_mem(out, 1.5, 1700000000.1234), 0);
    ck_assert_int_eq(dat_write_heap(out, 3145728, 1700000000.1234), 0);
    ck_assert_int_eq(dat_write_mem(out, 22.804688, 1700000000.2239), 0);
    ck_assert_int_eq(dat_write_heap(out, 10000057, 1700000000.2239), 0);
    ck_assert_int_eq(dat_write_child_mem(out, 0, 7.25, 1700000000.2239), 0);
    ck_assert_int_eq(dat_write_child_heap(out, 0, 99, 1700000000.2239), 0);
    ck_assert_int_eq(dat_write_child_mem(out, 3, 1.0, 1700000000.3000), 0);
    struct dat_func with_level = { (char *)"__main__.my_func", 1.5, 1700000000.1, 22.8047,
                                   1700000000.2, 2 };
    struct dat_func without_level = { (char *)"name with space", 1.0, 1700000000.15, 2.0,
                                      1700000000.25, -1 };
    ck_assert_int_eq(dat_write_func(out, &with_level), 0);
    ck_assert_int_eq(dat_write_func(out, &without_level), 0);
}

START_TEST(test_writers_exact_text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/w.dat", test_dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    write_every_line(out);
    /* Each writer flushed: the text is on disk before fclose. */
    ck_assert_str_eq(read_whole(path),
        "CMDLINE python3 x.py 'a b' second line\n"
        "MPROF version 0.1.0\n"
        "MEM 1.500000 1700000000.1234\n"
        "HEAP 1700000000.1234 3145728\n"
        "MEM 22.804688 1700000000.2239\n"
        "HEAP 1700000000.2239 10000057\n"
        "CHLD 0 7.250000 1700000000.2239\n"
        "CHLDHEAP 0 1700000000.2239 99\n"
        "CHLD 3 1.000000 1700000000.3000\n"
        "FUNC __main__.my_func 1.5000 1700000000.1000 22.8047 1700000000.2000 2\n"
        "FUNC name_with_space 1.0000 1700000000.1500 2.0000 1700000000.2500\n");
    fclose(out);
}
END_TEST

START_TEST(test_round_trip)
{
    char path[512];
    snprintf(path, sizeof path, "%s/w.dat", test_dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    write_every_line(out);
    fclose(out);

    struct dat_profile p;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(path, &p, error, sizeof error) == 0, "%s", error);
    ck_assert_str_eq(p.path, path);
    ck_assert_str_eq(p.cmdline, "python3 x.py 'a b' second line");
    ck_assert_uint_eq(p.mem_count, 2);
    ck_assert_double_eq(p.mem[0].mem_mib, 1.5);
    ck_assert_double_eq_tol(p.mem[0].time_s, 1700000000.1234, 1e-6);
    ck_assert_double_eq(p.mem[1].mem_mib, 22.804688);
    ck_assert_uint_eq(p.heap_count, 2);
    ck_assert_uint_eq(p.heap[0].heap_bytes, 3145728);
    ck_assert_uint_eq(p.heap[1].heap_bytes, 10000057);  /* bytes exact, not via MiB */
    ck_assert_double_eq_tol(p.heap[1].time_s, 1700000000.2239, 1e-6);
    ck_assert_uint_eq(p.child_count, 2);
    ck_assert_int_eq(p.children[0].index, 0);
    ck_assert_uint_eq(p.children[0].mem_count, 1);
    ck_assert_double_eq(p.children[0].mem[0].mem_mib, 7.25);
    ck_assert_uint_eq(p.children[0].heap_count, 1);
    ck_assert_uint_eq(p.children[0].heap[0].heap_bytes, 99);
    ck_assert_int_eq(p.children[1].index, 3);
    ck_assert_uint_eq(p.children[1].heap_count, 0);
    ck_assert_uint_eq(p.func_count, 2);
    ck_assert_str_eq(p.funcs[0].name, "__main__.my_func");
    ck_assert_double_eq(p.funcs[0].mem_start_mib, 1.5);
    ck_assert_double_eq_tol(p.funcs[0].start_s, 1700000000.1, 1e-6);
    ck_assert_double_eq(p.funcs[0].mem_end_mib, 22.8047);
    ck_assert_double_eq_tol(p.funcs[0].end_s, 1700000000.2, 1e-6);
    ck_assert_int_eq(p.funcs[0].stack_level, 2);
    ck_assert_str_eq(p.funcs[1].name, "name_with_space");
    ck_assert_int_eq(p.funcs[1].stack_level, -1);
    ck_assert_uint_eq(p.meta_count, 1);
    ck_assert_str_eq(p.meta[0].key, "version");
    ck_assert_str_eq(p.meta[0].value, "0.1.0");

    double when;
    ck_assert_double_eq(dat_peak_mem_mib(&p, &when), 22.804688);
    ck_assert_double_eq_tol(when, 1700000000.2239, 1e-6);
    ck_assert_uint_eq(dat_peak_heap_bytes(&p, &when), 10000057);
    ck_assert_double_eq_tol(when, 1700000000.2239, 1e-6);
    dat_free(&p);
}
END_TEST

START_TEST(test_writer_error_reported)
{
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        return;  /* no /dev/full in this sandbox: nothing to test */
    ck_assert_int_eq(dat_write_mem(full, 1.0, 2.0), -1);
    ck_assert_int_eq(dat_write_cmdline(full, "x"), -1);
    fclose(full);
}
END_TEST

/* ---------------------------------------------------------------- the original's files */

/* As memory_profiler 0.61's `mprof run --python` writes: MEM lines, then FUNC lines with
 * a stack level, then CMDLINE last (it is appended after the run). */
START_TEST(test_reads_original_format)
{
    const char *path = write_text("orig.dat",
        "MEM 0.285156 1795562436.3615\n"
        "MEM 12.605469 1795562436.4620\n"
        "MEM 22.804688 1795562436.5624\n"
        "MEM 22.804688 1795562436.6629\n"
        "CHLD 0 5.000000 1795562436.4620\n"
        "CHLD 0 6.500000 1795562436.5624\n"
        "FUNC __main__.f 21.6758 1795562437.1615 31.2148 1795562437.3682 0\n"
        "FUNC __main__.f 21.0000 1795562436.4000 22.0000 1795562436.5000 1\n"
        "CMDLINE /usr/bin/python3 f.py\n");
    struct dat_profile p;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(path, &p, error, sizeof error) == 0, "%s", error);
    ck_assert_str_eq(p.cmdline, "/usr/bin/python3 f.py");
    ck_assert_uint_eq(p.mem_count, 4);
    ck_assert_uint_eq(p.heap_count, 0);
    ck_assert_uint_eq(p.child_count, 1);
    ck_assert_uint_eq(p.children[0].mem_count, 2);
    ck_assert_double_eq(p.children[0].mem[1].mem_mib, 6.5);
    ck_assert_uint_eq(p.func_count, 2);
    ck_assert_int_eq(p.funcs[1].stack_level, 1);
    double when;
    ck_assert_double_eq(dat_peak_mem_mib(&p, &when), 22.804688);
    ck_assert_double_eq_tol(when, 1795562436.5624, 1e-6);  /* the first of equal peaks */
    ck_assert_uint_eq(dat_peak_heap_bytes(&p, &when), 0);
    ck_assert_double_eq(when, 0.0);
    dat_free(&p);
}
END_TEST

/* Old files: no stack level, Windows line ends, lines we do not know, a last line with
 * no newline that parses fine. */
START_TEST(test_reads_tolerantly)
{
    const char *path = write_text("old.dat",
        "CMDLINE python x.py\r\n"
        "SOMETHING new 1 2 3\r\n"
        "\n"
        "FUNC f 1.0 10.0 2.0 11.0\r\n"
        "MEM 1.0 10.0\r\n"
        "MEM 3.0 11.0");
    struct dat_profile p;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(path, &p, error, sizeof error) == 0, "%s", error);
    ck_assert_str_eq(p.cmdline, "python x.py");
    ck_assert_uint_eq(p.mem_count, 2);
    ck_assert_double_eq(p.mem[1].mem_mib, 3.0);
    ck_assert_int_eq(p.funcs[0].stack_level, -1);
    dat_free(&p);
}
END_TEST

/* Files of MPROF version 1 carried the heap's MiB before the time; both forms read to
 * the same samples. */
START_TEST(test_reads_version_1_heap_lines)
{
    const char *path = write_text("v1.dat",
        "MPROF version 1\n"
        "MEM 1.0 10.0\n"
        "HEAP 3.000000 10.0000 3145728\n"
        "HEAP 11.0000 10000057\n"
        "CHLD 0 2.0 10.0\n"
        "CHLDHEAP 0 0.000094 10.5000 99\n"
        "CHLDHEAP 0 11.5000 100\n");
    struct dat_profile p;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(path, &p, error, sizeof error) == 0, "%s", error);
    ck_assert_uint_eq(p.heap_count, 2);
    ck_assert_double_eq(p.heap[0].time_s, 10.0);
    ck_assert_uint_eq(p.heap[0].heap_bytes, 3145728);
    ck_assert_double_eq(p.heap[1].time_s, 11.0);
    ck_assert_uint_eq(p.heap[1].heap_bytes, 10000057);
    ck_assert_uint_eq(p.child_count, 1);
    ck_assert_uint_eq(p.children[0].heap_count, 2);
    ck_assert_double_eq(p.children[0].heap[0].time_s, 10.5);
    ck_assert_uint_eq(p.children[0].heap[0].heap_bytes, 99);
    ck_assert_double_eq(p.children[0].heap[1].time_s, 11.5);
    ck_assert_uint_eq(p.children[0].heap[1].heap_bytes, 100);
    dat_free(&p);
}
END_TEST

static int run_shell(const char *command)
{
    int status = system(command);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The real original writes a file; we read it. Skipped when it is not installed. */
START_TEST(test_reads_file_written_by_original)
{
    if (access("/usr/bin/python3-mprof", X_OK) != 0)
        return;
    char command[1024], path[512];
    snprintf(path, sizeof path, "%s/real.dat", test_dir);
    snprintf(command, sizeof command,
             "cd '%s' && /usr/bin/python3-mprof run -T 0.05 --output real.dat /usr/bin/python3 -c "
             "'import time; a = bytearray(30 * 2**20); time.sleep(0.4)' >/dev/null 2>&1",
             test_dir);
    ck_assert_int_eq(run_shell(command), 0);
    struct dat_profile p;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(path, &p, error, sizeof error) == 0, "%s", error);
    ck_assert_ptr_nonnull(p.cmdline);
    ck_assert_ptr_nonnull(strstr(p.cmdline, "bytearray(30 * 2**20)"));
    ck_assert_uint_ge(p.mem_count, 3);
    double peak = dat_peak_mem_mib(&p, NULL);
    ck_assert_msg(peak > 30.0 && peak < 80.0, "peak %f MiB for a 30 MiB bytearray", peak);
    dat_free(&p);
}
END_TEST

/* The original reads ours, our extra lines included, and finds the same peak. */
START_TEST(test_original_reads_ours)
{
    if (access("/usr/bin/python3-mprof", X_OK) != 0)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/ours.dat", test_dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    write_every_line(out);
    fclose(out);
    char command[1024];
    snprintf(command, sizeof command, "cd '%s' && /usr/bin/python3-mprof peak ours.dat 2>&1",
             test_dir);
    FILE *peak = popen(command, "r");
    ck_assert_ptr_nonnull(peak);
    char output[4096];
    size_t length = fread(output, 1, sizeof output - 1, peak);
    output[length] = '\0';
    ck_assert_int_eq(pclose(peak), 0);
    ck_assert_str_eq(output,
                     "ours.dat\t22.805 MiB\n"
                     "  Child 0\t\t\t7.250 MiB\n"
                     "  Child 3\t\t\t1.000 MiB\n");
}
END_TEST


/* ---------------------------------------------------------------- @profile lines */

/* Source text with everything a line of source can hold: tabs, trailing blanks,
 * backslashes (also one that looks like our escape), a form feed, a lone CR, DEL, bytes
 * that are not UTF-8, UTF-8. */
static const char *const odd_contents[] = {
    "@profile",
    "\tx = 'tab\there'  ",
    "    s = '\\x41\\\\n' + \"\\\\\"",
    "form\x0c" "feed\rcr\x7f" "del",
    "\xff\xfe latin \xe9 cut \xe2\x86",
    "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\x8d",
    "",
};
#define ODD_COUNT (sizeof odd_contents / sizeof odd_contents[0])

static void write_profile_lines(FILE *out)
{
    ck_assert_int_eq(dat_write_cmdline(out, "python3 'my script.py'"), 0);
    ck_assert_int_eq(dat_write_mem(out, 22.5, 1700000000.1), 0);
    ck_assert_int_eq(dat_write_meta(out, "main_pid", "4242"), 0);
    struct dat_profiled_line lines[ODD_COUNT];
    for (size_t i = 0; i < ODD_COUNT; i++)
        lines[i] = (struct dat_profiled_line){ (uint32_t)(10 + i), i == 2 ? 0 : 3,
                                               i == 3 ? -50000057 : (int64_t)i * 1000,
                                               (int64_t)i * 1000 + 7, (char *)odd_contents[i] };
    struct dat_profiled_function function = {
        .pid = 4242, .id = 3, .first_line = 10, .last_line = 10 + ODD_COUNT - 1,
        .call_count = 3, .name = (char *)"__main__.weird name", .filename =
        (char *)"/tmp/a dir/my script\t1.py", .lines = lines, .line_count = ODD_COUNT,
    };
    ck_assert_int_eq(dat_write_profiled(out, &function), 0);
    struct dat_profiled_function empty = {
        .pid = 7, .id = 0, .first_line = 1, .last_line = 1, .name = (char *)"",
        .filename = (char *)"",
    };
    ck_assert_int_eq(dat_write_profiled_function(out, &empty), 0);
    ck_assert_int_eq(dat_write_profiled_line(out, 7, 0, &(struct dat_profiled_line){
                                                 1, 1, 2, 3, (char *)"  x" }), 0);
    struct dat_top_site top = { 1, 50000057, 1, 2, 9, (char *)"<module>", (char *)"/x/a b.py" };
    struct dat_top_site odd = { 2, 24, 3, 4, 5, (char *)"f g", (char *)"\\odd\\path" };
    ck_assert_int_eq(dat_write_top_site(out, &top), 0);
    ck_assert_int_eq(dat_write_top_site(out, &odd), 0);
    struct dat_func call = { (char *)"__main__.weird name", 20.0, 1700000000.2, 30.0,
                             1700000000.3, 0 };
    ck_assert_int_eq(dat_write_func(out, &call), 0);
}

START_TEST(test_profile_writers_exact_text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/p.dat", test_dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    write_profile_lines(out);
    ck_assert_str_eq(read_whole(path),
        "CMDLINE python3 'my script.py'\n"
        "MEM 22.500000 1700000000.1000\n"
        "MPROF main_pid 4242\n"
        "PROFILE_FUNC 4242 3 10 16 3 __main__.weird\\x20name /tmp/a dir/my script\t1.py\n"
        "PROFILE_LINE 4242 3 10 3 0 7 @profile\n"
        "PROFILE_LINE 4242 3 11 3 1000 1007 \tx = 'tab\there'  \n"
        "PROFILE_LINE 4242 3 12 0 2000 2007     s = '\\\\x41\\\\\\\\n' + \"\\\\\\\\\"\n"
        "PROFILE_LINE 4242 3 13 3 -50000057 3007 form\\x0cfeed\\x0dcr\\x7fdel\n"
        "PROFILE_LINE 4242 3 14 3 4000 4007 \\xff\\xfe latin \\xe9 cut \\xe2\\x86\n"
        "PROFILE_LINE 4242 3 15 3 5000 5007 caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x90\x8d\n"
        "PROFILE_LINE 4242 3 16 3 6000 6007 \n"
        "PROFILE_FUNC 7 0 1 1 0 ? \n"
        "PROFILE_LINE 7 0 1 1 2 3   x\n"
        "TOP 1 50000057 1 2 9 <module> /x/a b.py\n"
        "TOP 2 24 3 4 5 f\\x20g \\\\odd\\\\path\n"
        "FUNC __main__.weird_name 20.0000 1700000000.2000 30.0000 1700000000.3000 0\n");
    fclose(out);
}
END_TEST

START_TEST(test_profile_round_trip)
{
    char path[512];
    snprintf(path, sizeof path, "%s/p.dat", test_dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    write_profile_lines(out);
    fclose(out);
    struct dat_profile p;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(path, &p, error, sizeof error) == 0, "%s", error);
    ck_assert_int_eq(dat_main_pid(&p), 4242);
    ck_assert_uint_eq(p.profiled_count, 2);
    const struct dat_profiled_function *f = &p.profiled[0];
    ck_assert_int_eq(f->pid, 4242);
    ck_assert_uint_eq(f->id, 3);
    ck_assert_uint_eq(f->first_line, 10);
    ck_assert_uint_eq(f->last_line, 16);
    ck_assert_uint_eq(f->call_count, 3);
    ck_assert_str_eq(f->name, "__main__.weird name");
    ck_assert_str_eq(f->filename, "/tmp/a dir/my script\t1.py");
    ck_assert_uint_eq(f->line_count, ODD_COUNT);
    for (size_t i = 0; i < ODD_COUNT; i++) {
        ck_assert_uint_eq(f->lines[i].line, 10 + i);
        ck_assert_str_eq(f->lines[i].contents, odd_contents[i]);
        ck_assert_uint_eq(f->lines[i].occurrences, i == 2 ? 0 : 3);
        ck_assert_int_eq(f->lines[i].mem_usage_bytes, (int64_t)i * 1000 + 7);
    }
    ck_assert_int_eq(f->lines[3].increment_bytes, -50000057);
    ck_assert_str_eq(p.profiled[1].name, "?");
    ck_assert_str_eq(p.profiled[1].filename, "");
    ck_assert_uint_eq(p.profiled[1].line_count, 1);
    ck_assert_str_eq(p.profiled[1].lines[0].contents, "  x");
    ck_assert_uint_eq(p.top_site_count, 2);
    ck_assert_uint_eq(p.top_sites[0].rank, 1);
    ck_assert_int_eq(p.top_sites[0].live_bytes, 50000057);
    ck_assert_uint_eq(p.top_sites[0].live_blocks, 1);
    ck_assert_uint_eq(p.top_sites[0].alloc_count, 2);
    ck_assert_uint_eq(p.top_sites[0].line, 9);
    ck_assert_str_eq(p.top_sites[0].function, "<module>");
    ck_assert_str_eq(p.top_sites[0].filename, "/x/a b.py");
    ck_assert_str_eq(p.top_sites[1].function, "f g");
    ck_assert_str_eq(p.top_sites[1].filename, "\\odd\\path");
    ck_assert_uint_eq(p.func_count, 1);
    ck_assert_str_eq(p.funcs[0].name, "__main__.weird_name");
    dat_free(&p);
}
END_TEST

/* Escapes we never write are read as they stand; lines of two functions may interleave. */
START_TEST(test_profile_reader_tolerates)
{
    const char *path = write_text("t.dat",
        "MEM 1.0 10.0\n"
        "PROFILE_FUNC 1 1 1 3 1 a f.py\n"
        "PROFILE_FUNC 1 2 5 6 1 b g.py\n"
        "PROFILE_LINE 1 1 1 1 0 0 \\q \\x0 \\x00 \\\n"
        "PROFILE_LINE 1 2 5 1 0 0 five\n"
        "PROFILE_LINE 1 1 2 1 0 0\n"
        "PROFILE_LINE 1 2 6 1 0 0 six\n");
    struct dat_profile p;
    char error[DAT_ERROR_MAX] = "";
    ck_assert_msg(dat_read(path, &p, error, sizeof error) == 0, "%s", error);
    ck_assert_uint_eq(p.profiled[0].line_count, 2);
    ck_assert_str_eq(p.profiled[0].lines[0].contents, "\\q \\x0 \\x00 \\");
    ck_assert_str_eq(p.profiled[0].lines[1].contents, "");
    ck_assert_uint_eq(p.profiled[1].line_count, 2);
    ck_assert_str_eq(p.profiled[1].lines[1].contents, "six");
    ck_assert_int_eq(dat_main_pid(&p), 1);
    dat_free(&p);
}
END_TEST

/* The original reads a .dat with our @profile lines and finds the same peak. */
START_TEST(test_original_reads_profile_lines)
{
    if (access("/usr/bin/python3-mprof", X_OK) != 0)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/prof.dat", test_dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    write_profile_lines(out);
    fclose(out);
    char command[1024];
    /* LC_ALL=C: the original then reads text as ASCII unless Python coerces to UTF-8;
     * either way it must not choke. */
    static const char *const locales[] = { "C.UTF-8", "C" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(command, sizeof command,
                 "cd '%s' && LC_ALL=%s /usr/bin/python3-mprof peak prof.dat 2>&1", test_dir,
                 locales[i]);
        FILE *peak = popen(command, "r");
        ck_assert_ptr_nonnull(peak);
        char output[4096];
        size_t length = fread(output, 1, sizeof output - 1, peak);
        output[length] = '\0';
        ck_assert_msg(pclose(peak) == 0, "%s", output);
        ck_assert_str_eq(output, "prof.dat\t22.500 MiB\n");
    }
}
END_TEST

/* ---------------------------------------------------------------- reader errors */

START_TEST(test_error_missing_file)
{
    struct dat_profile profile;
    char error[DAT_ERROR_MAX];
    ck_assert_int_eq(dat_read("/nonexistent/m.dat", &profile, error, sizeof error), -1);
    ck_assert_str_eq(error, "/nonexistent/m.dat: No such file or directory");
}
END_TEST

START_TEST(test_error_empty)
{
    ck_assert_str_eq(ERROR_OF(""), "x.dat: empty file");
}
END_TEST

START_TEST(test_error_mem_without_time)
{
    ck_assert_str_eq(ERROR_OF("CMDLINE x\nMEM 1.0 2.0\nMEM 12.3\nMEM 1.0 3.0\n"),
                     "x.dat: line 3: MEM needs <MiB> <time>");
    ck_assert_str_eq(ERROR_OF("MEM\n"), "x.dat: line 1: MEM needs <MiB> <time>");
}
END_TEST

START_TEST(test_error_non_numeric)
{
    ck_assert_str_eq(ERROR_OF("MEM 1.0 2.0\nMEM abc 3.0\n"),
                     "x.dat: line 2: MEM: <MiB> is not a number: 'abc'");
    ck_assert_str_eq(ERROR_OF("MEM 1.0 2.0x\n"),
                     "x.dat: line 1: MEM: <time> is not a number: '2.0x'");
    ck_assert_str_eq(ERROR_OF("MEM nan 2.0\n"),
                     "x.dat: line 1: MEM: <MiB> is not a number: 'nan'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nHEAP 1.0 2.0 -5\n"),
                     "x.dat: line 2: HEAP: <bytes> is not a byte count: '-5'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nHEAP 1.0\n"),
                     "x.dat: line 2: HEAP needs <time> <bytes>");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nHEAP 1.0 2.0\n"),
                     "x.dat: line 2: HEAP: <bytes> is not a byte count: '2.0'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nCHLD x 1.0 2.0\n"),
                     "x.dat: line 2: CHLD: <index> is not an integer: 'x'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nCHLDHEAP 0 1.0\n"),
                     "x.dat: line 2: CHLDHEAP needs <index> <time> <bytes>");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nFUNC f 1 2 3\n"),
                     "x.dat: line 2: FUNC needs <name> <MiB start> <start> <MiB end> <end> "
                     "[<level>]");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nFUNC f 1 2 3 4 top\n"),
                     "x.dat: line 2: FUNC: <level> is not an integer: 'top'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nMPROF\n"), "x.dat: line 2: MPROF needs <key> <value>");
}
END_TEST

/* The valid part of a file cut inside a line ends before that line: its last field may
 * be cut too, and would read as a number. */
START_TEST(test_valid_part_leaves_out_a_cut_line)
{
    char path[512];
    snprintf(path, sizeof path, "%s/cut.dat", test_dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    fputs("MPROF version 3\nMEM 1.0 1700000000.0\nHEAP 1700000000.0 5000000\nHEAP 1700000000.1 23", out);
    fclose(out);
    struct dat_profile profile;
    char error[DAT_ERROR_MAX];
    ck_assert_int_eq(dat_read_valid_part(path, &profile, error, sizeof error), 0);
    ck_assert_uint_eq(profile.heap_count, 1);
    ck_assert_str_eq(profile.cut_short, "line 4: truncated (no newline at its end)");
    ck_assert_int_eq(dat_profile_whole(&profile, error, sizeof error), 0);
    dat_free(&profile);
    /* Read whole, the same file is not whole either: its last line has no newline. */
    ck_assert_int_eq(dat_read(path, &profile, error, sizeof error), 0);
    ck_assert_int_eq(dat_profile_whole(&profile, error, sizeof error), 0);
    dat_free(&profile);
}
END_TEST

/* Figures no run can have (more MiB than 2^64 bytes, a time 10^30 s from the epoch) are
 * refused: they printed as 300 digits, or overflowed a time_t on the way to gnuplot. */
START_TEST(test_error_out_of_range)
{
    ck_assert_str_eq(ERROR_OF("MEM 1e300 2.0\n"),
                     "x.dat: line 1: MEM: <MiB> is not within 0..17592186044416: '1e300'");
    ck_assert_str_eq(ERROR_OF("MEM -1 2.0\n"),
                     "x.dat: line 1: MEM: <MiB> is not within 0..17592186044416: '-1'");
    ck_assert_str_eq(ERROR_OF("MEM 1 -1e30\n"),
                     "x.dat: line 1: MEM: <time> is not within -100000000000..100000000000: '-1e30'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nCHLD 0 1e20 3\n"),
                     "x.dat: line 2: CHLD: <MiB> is not within 0..17592186044416: '1e20'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nFUNC f 1 2 3 1e12\n"),
                     "x.dat: line 2: FUNC: <end> is not within -100000000000..100000000000: '1e12'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nHEAP 1e12 5\n"),
                     "x.dat: line 2: HEAP: <time> is not within -100000000000..100000000000: '1e12'");
}
END_TEST

START_TEST(test_error_shows_long_field_cut)
{
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nMEM 1 0123456789012345678901234567890123456789xyz\n"),
                     "x.dat: line 2: MEM: <time> is not a number: "
                     "'0123456789012345678901234567890123456789...'");
}
END_TEST

START_TEST(test_error_truncated_last_line)
{
    ck_assert_str_eq(ERROR_OF("MEM 1.0 2.0\nMEM 1.5"),
                     "x.dat: line 2: truncated (MEM needs <MiB> <time>)");
    ck_assert_str_eq(ERROR_OF("MEM 1.0 2.0\nMEM 1.5 3."
                              "\x31\x32\x33x"),  /* "3.123x": cut mid-write */
                     "x.dat: line 2: truncated (MEM: <time> is not a number: '3.123x')");
    ck_assert_str_eq(ERROR_OF("MEM 1.0 2.0\nME"),
                     "x.dat: line 2: truncated (a known word cut short)");
}
END_TEST

START_TEST(test_error_binary)
{
    static const char binary[] = "\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0";
    ck_assert_str_eq(read_error(binary, sizeof binary - 1),
                     "x.dat: line 1: binary data, not a .dat file");
    /* A PNG's header: the "\x89PNG\r" line alone passes for text, the next does not. */
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nMEM 1 3\n\x89PNG\r\n\x1a\n"),
                     "x.dat: line 4: binary data, not a .dat file");
}
END_TEST

START_TEST(test_error_not_a_dat)
{
    ck_assert_str_eq(ERROR_OF("import time\nprint('hello')\n"),
                     "x.dat: not a .dat file (no CMDLINE, MEM, CHLD or FUNC line in 2 lines)");
}
END_TEST

START_TEST(test_error_no_mem)
{
    ck_assert_str_eq(ERROR_OF("CMDLINE python3 x.py\nFUNC f 1 2 3 4\n"),
                     "x.dat: no MEM line (no memory samples)");
}
END_TEST

/* ---------------------------------------------------------------- listing */

static void touch(const char *name)
{
    write_text(name, "MEM 1 2\n");
}

START_TEST(test_list_sorted_oldest_first)
{
    touch("mprofile_20250101120500_10.dat");
    touch("mprofile_20250101120500.dat");
    touch("mprofile_20241231235959.dat");
    touch("mprofile_20250101120500_2.dat");
    touch("mprofile_20260101000000.dat");
    /* Not profiles: wrong digit count, suffix, extension, prefix. */
    touch("mprofile_2025010112050.dat");
    touch("mprofile_20250101120500_.dat");
    touch("mprofile_20250101120500.dat.png");
    touch("mprofile_20250101120500.png");
    touch("xmprofile_20250101120500.dat");
    touch("mprofile_2025010112050a.dat");
    char **names;
    size_t count;
    char error[DAT_ERROR_MAX];
    ck_assert_int_eq(dat_list_files(test_dir, &names, &count, error, sizeof error), 0);
    ck_assert_uint_eq(count, 5);
    ck_assert_str_eq(names[0], "mprofile_20241231235959.dat");
    ck_assert_str_eq(names[1], "mprofile_20250101120500.dat");
    ck_assert_str_eq(names[2], "mprofile_20250101120500_2.dat");
    ck_assert_str_eq(names[3], "mprofile_20250101120500_10.dat");
    ck_assert_str_eq(names[4], "mprofile_20260101000000.dat");
    dat_free_list(names, count);
}
END_TEST

START_TEST(test_list_empty_and_missing_dir)
{
    char **names;
    size_t count = 99;
    char error[DAT_ERROR_MAX];
    ck_assert_int_eq(dat_list_files(test_dir, &names, &count, error, sizeof error), 0);
    ck_assert_uint_eq(count, 0);
    dat_free_list(names, count);
    ck_assert_int_eq(dat_list_files("/nonexistent", &names, &count, error, sizeof error), -1);
    ck_assert_str_eq(error, "/nonexistent: No such file or directory");
}
END_TEST

START_TEST(test_default_name)
{
    setenv("TZ", "UTC", 1);
    tzset();
    char name[64];
    dat_default_name(name, sizeof name, 1795562436L);  /* 2026-11-24 23:20:36 UTC */
    ck_assert_str_eq(name, "mprofile_20261124232036.dat");
}
END_TEST


START_TEST(test_error_profile_lines)
{
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nPROFILE_LINE 1 1 1 1 0 0 x\n"),
                     "x.dat: line 2: PROFILE_LINE: no PROFILE_FUNC 1 1 before it");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nPROFILE_FUNC 1 1 5 6 1\n"),
                     "x.dat: line 2: PROFILE_FUNC needs <pid> <id> <first line> <last line> "
                     "<calls> <name> <file>");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nPROFILE_FUNC 1 1 5 4 1 f a.py\n"),
                     "x.dat: line 2: PROFILE_FUNC: <last line> 4 is before <first line> 5");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nPROFILE_FUNC 1 1 5 6 -1 f a.py\n"),
                     "x.dat: line 2: PROFILE_FUNC: <calls> is not a count: '-1'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nPROFILE_FUNC 1 1 5 6 1 f a.py\n"
                              "PROFILE_LINE 1 1 7 1 0 0 x\n"),
                     "x.dat: line 3: PROFILE_LINE: line 7 is outside its function's lines 5-6");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nPROFILE_FUNC 1 1 5 6 1 f a.py\n"
                              "PROFILE_LINE 1 1 6 1 0 0 x\nPROFILE_LINE 1 1 5 1 0 0 x\n"),
                     "x.dat: line 4: PROFILE_LINE: line 5 comes after line 6");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nPROFILE_FUNC 1 1 5 6 1 f a.py\n"
                              "PROFILE_LINE 1 1 5 1 1.5 0 x\n"),
                     "x.dat: line 3: PROFILE_LINE: <increment> is not an integer: '1.5'");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nTOP 1 2 3 4 5\n"),
                     "x.dat: line 2: TOP needs <rank> <live bytes> <live blocks> <allocations> "
                     "<line> <function> <file>");
    ck_assert_str_eq(ERROR_OF("MEM 1 2\nTOP 1 2 x 4 5 f a.py\n"),
                     "x.dat: line 2: TOP: <live blocks> is not a byte count: 'x'");
}
END_TEST

/* A table prints every line of its range: a range of 2^32 lines in a 93-byte file would
 * print for ever. The rows no PROFILE_LINE gives are bounded over the file. */
START_TEST(test_error_range_no_source_holds)
{
    static const char endless[] = "MEM 1.000000 1.0000\n"
                                  "PROFILE_FUNC 1 1 0 4294967295 1 m.f f.py\n"
                                  "PROFILE_LINE 1 1 0 1 0 0 x = []\n";
    ck_assert_uint_eq(sizeof endless - 1, 93);
    ck_assert_str_eq(read_error(endless, sizeof endless - 1),
                     "x.dat: line 2: PROFILE_FUNC: lines 0-4294967295 are 4294967296 table "
                     "rows: with those before it, 4294967296 rows no PROFILE_LINE gives, more "
                     "than any source holds (1000000)");
    /* The bound is over the file, and each line given fills one row: 999,999 rows,
     * two of them given, then 3 more is the most; one more is over. */
    static const char budget[] = "MEM 1 2\n"
                                 "PROFILE_FUNC 1 1 1 999999 1 m.f f.py\n"
                                 "PROFILE_LINE 1 1 1 1 0 0 a\nPROFILE_LINE 1 1 9 1 0 0 b\n"
                                 "PROFILE_FUNC 1 2 1 3 1 m.g f.py\n"
                                 "PROFILE_FUNC 1 3 7 7 1 m.h f.py\n";
    ck_assert_str_eq(read_error(budget, sizeof budget - 1),
                     "x.dat: line 6: PROFILE_FUNC: lines 7-7 are 1 table rows: with those "
                     "before it, 1000001 rows no PROFILE_LINE gives, more than any source "
                     "holds (1000000)");
    struct dat_profile profile;
    char error[DAT_ERROR_MAX];
    const char *path = write_file("budget.dat", budget, strlen(budget) - strlen("PROFILE_FUNC 1 3 7 7 1 m.h f.py\n"));
    ck_assert_int_eq(dat_read(path, &profile, error, sizeof error), 0);
    ck_assert_uint_eq(profile.profiled_count, 2);
    dat_free(&profile);
    /* The valid part ends before that line. */
    path = write_file("budget.dat", budget, sizeof budget - 1);
    ck_assert_int_eq(dat_read_valid_part(path, &profile, error, sizeof error), 0);
    ck_assert_uint_eq(profile.profiled_count, 2);
    ck_assert_str_eq(profile.cut_short, "line 6: PROFILE_FUNC: lines 7-7 are 1 table rows: with "
                     "those before it, 1000001 rows no PROFILE_LINE gives, more than any source "
                     "holds (1000000)");
    dat_free(&profile);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("dat");
    TCase *writers = tcase_create("writers");
    tcase_add_checked_fixture(writers, setup, teardown);
    tcase_add_test(writers, test_writers_exact_text);
    tcase_add_test(writers, test_round_trip);
    tcase_add_test(writers, test_writer_error_reported);
    tcase_add_test(writers, test_profile_writers_exact_text);
    tcase_add_test(writers, test_profile_round_trip);
    tcase_add_test(writers, test_profile_reader_tolerates);
    suite_add_tcase(suite, writers);

    TCase *original = tcase_create("original");
    tcase_add_checked_fixture(original, setup, teardown);
    tcase_set_timeout(original, 30);
    tcase_add_test(original, test_reads_original_format);
    tcase_add_test(original, test_reads_tolerantly);
    tcase_add_test(original, test_reads_version_1_heap_lines);
    tcase_add_test(original, test_reads_file_written_by_original);
    tcase_add_test(original, test_original_reads_ours);
    tcase_add_test(original, test_original_reads_profile_lines);
    suite_add_tcase(suite, original);

    TCase *errors = tcase_create("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, test_error_missing_file);
    tcase_add_test(errors, test_error_empty);
    tcase_add_test(errors, test_error_mem_without_time);
    tcase_add_test(errors, test_error_non_numeric);
    tcase_add_test(errors, test_error_out_of_range);
    tcase_add_test(errors, test_valid_part_leaves_out_a_cut_line);
    tcase_add_test(errors, test_error_shows_long_field_cut);
    tcase_add_test(errors, test_error_truncated_last_line);
    tcase_add_test(errors, test_error_binary);
    tcase_add_test(errors, test_error_not_a_dat);
    tcase_add_test(errors, test_error_no_mem);
    tcase_add_test(errors, test_error_profile_lines);
    tcase_add_test(errors, test_error_range_no_source_holds);
    suite_add_tcase(suite, errors);

    TCase *listing = tcase_create("listing");
    tcase_add_checked_fixture(listing, setup, teardown);
    tcase_add_test(listing, test_list_sorted_oldest_first);
    tcase_add_test(listing, test_list_empty_and_missing_dir);
    tcase_add_test(listing, test_default_name);
    suite_add_tcase(suite, listing);
    return suite;
}
