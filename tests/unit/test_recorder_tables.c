/*
 * test_recorder_tables.c — mprof/recorder_tables.c: the order of a run's tables (the
 * main pid's first, then each pid's at its first FUNCTION record, each pid's in arrival
 * order), a repeated (pid, id) counted once (the first), calls matched to their
 * function however many there are, and a named bracket (lines 0 to 0): FUNC lines, no
 * table.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recorder.h"
#include "check_main.h"

#define MAIN_PID 1000
#define T0_NS    1700000000000000000ull

/* Feed one record to the recorder. */
static void feed(struct recorder *recorder, const void *record, size_t size)
{
    ck_assert_int_eq(recorder_feed(recorder, record, size), 0);
}

static void feed_function_at(struct recorder *recorder, int32_t pid, uint32_t id,
                             const char *name, uint32_t first_line)
{
    struct mprof_function record;
    memset(&record, 0, sizeof(record));
    size_t name_size = strlen(name) + 1;
    memcpy(record.text, name, name_size);
    memcpy(record.text + name_size, "", 1);  /* no file: empty Line Contents */
    size_t size = offsetof(struct mprof_function, text) + name_size + 1;
    mprof_record_header_init(&record.header, MPROF_RECORD_FUNCTION, (uint32_t)size, pid);
    record.function_id = id;
    record.first_line = first_line;
    record.last_line = first_line;
    record.call_count = 1;
    feed(recorder, &record, size);
}

static void feed_function(struct recorder *recorder, int32_t pid, uint32_t id,
                          const char *name)
{
    feed_function_at(recorder, pid, id, name, 1);
}

static void feed_call(struct recorder *recorder, int32_t pid, uint32_t id, uint64_t start_ms)
{
    struct mprof_call call;
    memset(&call, 0, sizeof(call));
    mprof_record_header_init(&call.header, MPROF_RECORD_CALL, sizeof(call), pid);
    call.function_id = id;
    call.start_ns = T0_NS + start_ms * 1000000ull;
    call.end_ns = call.start_ns + 1000000ull;
    feed(recorder, &call, sizeof(call));
}

struct capture {
    FILE *out;
    char *text;
    size_t size;
};

static void capture_open(struct capture *capture, struct recorder *recorder)
{
    capture->out = open_memstream(&capture->text, &capture->size);
    ck_assert_ptr_nonnull(capture->out);
    recorder_init(recorder, capture->out, NULL, MAIN_PID, RECORDER_CHILDREN_SERIES, true,
                  100000000u);
}

static void capture_close(struct capture *capture, struct recorder *recorder)
{
    recorder_free(recorder);
    ck_assert_int_eq(fclose(capture->out), 0);
    free(capture->text);
}

static size_t count_of(const char *text, const char *needle)
{
    size_t count = 0;
    for (const char *at = strstr(text, needle); at != NULL; at = strstr(at + 1, needle))
        count++;
    return count;
}

START_TEST(repeats_count_once_and_pids_keep_their_order)
{
    struct recorder recorder;
    struct capture capture;
    capture_open(&capture, &recorder);
    feed_function(&recorder, 2000, 1, "child.first");
    feed_function(&recorder, MAIN_PID, 5, "main.five");
    feed_function(&recorder, 2000, 1, "child.repeat");   /* the same (pid, id) again */
    feed_function(&recorder, 3000, 2, "other.two");
    feed_function(&recorder, MAIN_PID, 5, "main.repeat");
    feed_function(&recorder, MAIN_PID, 3, "main.three");
    feed_function(&recorder, 2000, 0, "child.zero");
    feed_call(&recorder, 2000, 1, 10);
    feed_call(&recorder, MAIN_PID, 3, 20);
    feed_call(&recorder, 4000, 1, 30);                    /* never described: skipped */
    ck_assert_int_eq(recorder_finish(&recorder, 0), 0);
    static const char *const expected[] = {
        "main.five", "main.three", "child.first", "child.zero", "other.two",
    };
    ck_assert_uint_eq(recorder.profiled_count, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(recorder.profiled[i].name, expected[i]);
    fflush(capture.out);
    ck_assert_uint_eq(count_of(capture.text, "\nFUNC "), 2);
    ck_assert_ptr_nonnull(strstr(capture.text, "FUNC child.first "));
    ck_assert_ptr_nonnull(strstr(capture.text, "FUNC main.three "));
    ck_assert_ptr_null(strstr(capture.text, "repeat"));
    capture_close(&capture, &recorder);
}
END_TEST

/* A named bracket (a timed block, lines 0 to 0) among functions: its calls are FUNC
 * lines under its name, at their stack level, and it has no table. */
START_TEST(brackets_have_func_lines_and_no_table)
{
    struct recorder recorder;
    struct capture capture;
    capture_open(&capture, &recorder);
    feed_function(&recorder, MAIN_PID, 0, "__main__.work");
    feed_function_at(&recorder, MAIN_PID, 1, ".load", 0);
    feed_call(&recorder, MAIN_PID, 1, 10);
    feed_call(&recorder, MAIN_PID, 1, 20);
    feed_call(&recorder, MAIN_PID, 0, 30);
    ck_assert_int_eq(recorder_finish(&recorder, 0), 0);
    ck_assert_uint_eq(recorder.profiled_count, 1);
    ck_assert_str_eq(recorder.profiled[0].name, "__main__.work");
    fflush(capture.out);
    ck_assert_uint_eq(count_of(capture.text, "\nFUNC .load "), 2);
    ck_assert_uint_eq(count_of(capture.text, "\nFUNC __main__.work "), 1);
    ck_assert_uint_eq(count_of(capture.text, "PROFILE_FUNC "), 1);
    capture_close(&capture, &recorder);
}
END_TEST

/* A FUNCTION record's third string names its FUNC lines (memory_profiler's module.name
 * for a method), while its table keeps module.qualname; one that repeats the first, or
 * is empty, changes nothing. */
START_TEST(a_third_string_names_the_func_lines)
{
    struct recorder recorder;
    struct capture capture;
    capture_open(&capture, &recorder);
    static const char method[] = "__main__.A.m\0a.py\0__main__.m";
    static const char same[] = "__main__.f\0a.py\0__main__.f";
    static const char empty[] = "__main__.g\0a.py\0";
    const char *const texts[] = { method, same, empty };
    const size_t sizes[] = { sizeof method, sizeof same, sizeof empty };
    for (uint32_t id = 0; id < 3; id++) {
        struct mprof_function record;
        memset(&record, 0, sizeof(record));
        memcpy(record.text, texts[id], sizes[id]);
        size_t size = offsetof(struct mprof_function, text) + sizes[id];
        mprof_record_header_init(&record.header, MPROF_RECORD_FUNCTION, (uint32_t)size, MAIN_PID);
        record.function_id = id;
        record.first_line = record.last_line = 1;
        record.call_count = 1;
        feed(&recorder, &record, size);
        feed_call(&recorder, MAIN_PID, id, 10 * id);
    }
    ck_assert_int_eq(recorder_finish(&recorder, 0), 0);
    ck_assert_uint_eq(recorder.profiled_count, 3);
    ck_assert_str_eq(recorder.profiled[0].name, "__main__.A.m");
    fflush(capture.out);
    ck_assert_uint_eq(count_of(capture.text, "\nFUNC __main__.m "), 1);
    ck_assert_uint_eq(count_of(capture.text, "\nFUNC __main__.f "), 1);
    ck_assert_uint_eq(count_of(capture.text, "\nFUNC __main__.g "), 1);
    ck_assert_uint_eq(count_of(capture.text, "FUNC __main__.A.m"), 0);
    ck_assert_ptr_nonnull(strstr(capture.text, "PROFILE_FUNC "));
    ck_assert_ptr_nonnull(strstr(capture.text, " __main__.A.m "));
    capture_close(&capture, &recorder);
}
END_TEST

/* Thousands of functions over many pids, each sent twice, and a call of each: every
 * table once, in order, every call named (nested loops over them were cubic). */
START_TEST(many_functions_and_calls)
{
    enum { PIDS = 40, PER_PID = 100 };
    struct recorder recorder;
    struct capture capture;
    capture_open(&capture, &recorder);
    char name[64];
    for (int round = 0; round < 2; round++)
        for (int pid = PIDS - 1; pid >= 0; pid--)
            for (int id = 0; id < PER_PID; id++) {
                snprintf(name, sizeof name, "p%d.f%d.r%d", pid, id, round);
                feed_function(&recorder, pid == 0 ? MAIN_PID : 2000 + pid, (uint32_t)id, name);
            }
    for (int pid = 0; pid < PIDS; pid++)
        for (int id = 0; id < PER_PID; id++)
            feed_call(&recorder, pid == 0 ? MAIN_PID : 2000 + pid, (uint32_t)id,
                      (uint64_t)(pid * PER_PID + id));
    ck_assert_int_eq(recorder_finish(&recorder, 0), 0);
    ck_assert_uint_eq(recorder.profiled_count, PIDS * PER_PID);
    size_t at = 0;
    /* Main first; then pids in order of first appearance (they came PIDS-1 down to 1). */
    for (int id = 0; id < PER_PID; id++, at++) {
        snprintf(name, sizeof name, "p0.f%d.r0", id);
        ck_assert_str_eq(recorder.profiled[at].name, name);
    }
    for (int pid = PIDS - 1; pid >= 1; pid--)
        for (int id = 0; id < PER_PID; id++, at++) {
            snprintf(name, sizeof name, "p%d.f%d.r0", pid, id);
            ck_assert_str_eq(recorder.profiled[at].name, name);
        }
    fflush(capture.out);
    ck_assert_uint_eq(count_of(capture.text, "\nFUNC "), PIDS * PER_PID);
    ck_assert_ptr_null(strstr(capture.text, ".r1"));
    capture_close(&capture, &recorder);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("recorder_tables");
    TCase *tcase = tcase_create("tables");
    tcase_add_test(tcase, repeats_count_once_and_pids_keep_their_order);
    tcase_add_test(tcase, many_functions_and_calls);
    tcase_add_test(tcase, brackets_have_func_lines_and_no_table);
    tcase_add_test(tcase, a_third_string_names_the_func_lines);
    suite_add_tcase(suite, tcase);
    return suite;
}
