/*
 * test_recorder.c — mprof/recorder.c: byte streams from the pipe, split at every
 * possible boundary, and polled RSS points become exactly the expected .dat lines;
 * @profile records become PROFILE_FUNC/PROFILE_LINE/TOP/FUNC lines and tables.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "fixture.h"
#include "mprof/protocol.h"
#include "recorder.h"

#define MAIN_PID 1000
#define T0_NS    1700000000000000000ull /* 1700000000.0000 s */
#define MS_NS    1000000ull

struct stream {
    unsigned char bytes[32768];
    size_t length;
};

static void stream_add(struct stream *stream, const void *record, size_t size)
{
    ck_assert_uint_le(stream->length + size, sizeof(stream->bytes));
    memcpy(stream->bytes + stream->length, record, size);
    stream->length += size;
}

static void add_hello(struct stream *stream, int32_t pid, uint32_t flags)
{
    struct mprof_hello hello;
    memset(&hello, 0, sizeof(hello));
    mprof_record_header_init(&hello.header, MPROF_RECORD_HELLO, sizeof(hello), pid);
    hello.flags = flags;
    hello.interval_ns = 100 * MS_NS;
    hello.start_time_ns = T0_NS;
    stream_add(stream, &hello, sizeof(hello));
}

static void add_sample(struct stream *stream, int32_t pid, uint64_t time_ms, int64_t heap_bytes,
                       uint64_t rss_bytes)
{
    struct mprof_sample sample;
    memset(&sample, 0, sizeof(sample));
    mprof_record_header_init(&sample.header, MPROF_RECORD_SAMPLE, sizeof(sample), pid);
    sample.time_ns = T0_NS + time_ms * MS_NS;
    sample.heap_live_bytes = heap_bytes;
    sample.rss_bytes = rss_bytes;
    sample.rss_peak_bytes = rss_bytes;
    stream_add(stream, &sample, sizeof(sample));
}

static void add_notice(struct stream *stream, int32_t pid, const char *text)
{
    struct mprof_notice notice;
    memset(&notice, 0, sizeof(notice));
    size_t size = sizeof(notice.header) + strlen(text) + 1;
    mprof_record_header_init(&notice.header, MPROF_RECORD_NOTICE, (uint32_t)size, pid);
    memcpy(notice.text, text, strlen(text) + 1);
    stream_add(stream, &notice, size);
}

static void add_bye(struct stream *stream, int32_t pid)
{
    struct mprof_record_header bye;
    mprof_record_header_init(&bye, MPROF_RECORD_BYE, sizeof(bye), pid);
    stream_add(stream, &bye, sizeof(bye));
}

static void add_ending(struct stream *stream, int32_t pid, int64_t heap_bytes)
{
    struct mprof_ending ending;
    memset(&ending, 0, sizeof(ending));
    mprof_record_header_init(&ending.header, MPROF_RECORD_ENDING, sizeof(ending), pid);
    ending.time_ns = T0_NS;
    ending.heap_live_bytes = heap_bytes;
    stream_add(stream, &ending, sizeof(ending));
}

/* FUNCTION and SITE records carry "first\0second\0" and are sent only as long as that. */
static size_t put_text_pair(char *text, size_t room, const char *first, const char *second)
{
    size_t first_size = strlen(first) + 1, second_size = strlen(second) + 1;
    ck_assert_uint_le(first_size + second_size, room);
    memcpy(text, first, first_size);
    memcpy(text + first_size, second, second_size);
    return first_size + second_size;
}

static void add_function(struct stream *stream, int32_t pid, uint32_t id, uint32_t first_line,
                         uint32_t last_line, uint32_t calls, const char *name, const char *file)
{
    static struct mprof_function function;
    memset(&function, 0, sizeof(function));
    size_t size = offsetof(struct mprof_function, text) +
                  put_text_pair(function.text, sizeof(function.text), name, file);
    mprof_record_header_init(&function.header, MPROF_RECORD_FUNCTION, (uint32_t)size, pid);
    function.function_id = id;
    function.first_line = first_line;
    function.last_line = last_line;
    function.call_count = calls;
    stream_add(stream, &function, size);
}

static void add_line(struct stream *stream, int32_t pid, uint32_t id, uint32_t line,
                     uint64_t occurrences, int64_t increment, int64_t mem_usage)
{
    struct mprof_line record;
    memset(&record, 0, sizeof(record));
    mprof_record_header_init(&record.header, MPROF_RECORD_LINE, sizeof(record), pid);
    record.function_id = id;
    record.line = line;
    record.occurrences = occurrences;
    record.increment_bytes = increment;
    record.mem_usage_bytes = mem_usage;
    stream_add(stream, &record, sizeof(record));
}

static void add_call(struct stream *stream, int32_t pid, uint32_t id, uint32_t level,
                     uint64_t start_ms, uint64_t end_ms, int64_t heap_start, int64_t heap_end)
{
    struct mprof_call call;
    memset(&call, 0, sizeof(call));
    mprof_record_header_init(&call.header, MPROF_RECORD_CALL, sizeof(call), pid);
    call.function_id = id;
    call.stack_level = level;
    call.start_ns = T0_NS + start_ms * MS_NS;
    call.end_ns = T0_NS + end_ms * MS_NS;
    call.heap_start_bytes = heap_start;
    call.heap_end_bytes = heap_end;
    stream_add(stream, &call, sizeof(call));
}

static void add_site(struct stream *stream, int32_t pid, uint32_t rank, uint32_t line,
                     int64_t live_bytes, uint64_t live_blocks, uint64_t allocs,
                     const char *function, const char *file)
{
    static struct mprof_site site;
    memset(&site, 0, sizeof(site));
    size_t size = offsetof(struct mprof_site, text) +
                  put_text_pair(site.text, sizeof(site.text), function, file);
    mprof_record_header_init(&site.header, MPROF_RECORD_SITE, (uint32_t)size, pid);
    site.rank = rank;
    site.line = line;
    site.live_bytes = live_bytes;
    site.live_blocks = live_blocks;
    site.alloc_count = allocs;
    stream_add(stream, &site, size);
}

/* A recorder writing into memory streams. */
struct harness {
    struct recorder recorder;
    FILE *out, *notices;
    char *out_text, *notice_text;
    size_t out_size, notice_size;
};

static void harness_open(struct harness *harness, unsigned children, bool all_samples)
{
    memset(harness, 0, sizeof(*harness));
    harness->out = open_memstream(&harness->out_text, &harness->out_size);
    harness->notices = open_memstream(&harness->notice_text, &harness->notice_size);
    ck_assert_ptr_nonnull(harness->out);
    ck_assert_ptr_nonnull(harness->notices);
    recorder_init(&harness->recorder, harness->out, harness->notices, MAIN_PID, children,
                  all_samples, 100 * MS_NS);
}

/* Finish the recorder (when `exit_status` >= 0), close the streams, and compare. */
static void harness_close(struct harness *harness, int exit_status, const char *expected_out,
                          const char *expected_notices)
{
    if (exit_status >= 0)
        ck_assert_int_eq(recorder_finish(&harness->recorder, exit_status), 0);
    recorder_free(&harness->recorder);
    ck_assert_int_eq(fclose(harness->out), 0);
    ck_assert_int_eq(fclose(harness->notices), 0);
    /* A finished file ends with MPROF end and the bytes before that line. */
    char *end = strstr(harness->out_text, "MPROF end ");
    if (exit_status >= 0)
        ck_assert_msg(end != NULL, "no MPROF end in:\n%s", harness->out_text);
    if (end != NULL) {
        char expected_end[64];
        snprintf(expected_end, sizeof expected_end, "MPROF end %zu\n",
                 (size_t)(end - harness->out_text));
        ck_assert_str_eq(end, expected_end);
        *end = '\0';
    }
    ck_assert_str_eq(harness->out_text, expected_out);
    ck_assert_str_eq(harness->notice_text, expected_notices);
    free(harness->out_text);
    free(harness->notice_text);
}

/* The main process's life as its library tells it. */
static void main_life(struct stream *stream)
{
    memset(stream, 0, sizeof(*stream));
    add_hello(stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
    add_sample(stream, MAIN_PID, 100, 1048576, 8u << 20);
    add_notice(stream, MAIN_PID, "python layer on");
    add_sample(stream, MAIN_PID, 200, 3145728, 9u << 20);
    add_sample(stream, MAIN_PID, 300, 2097152, 12u << 20);
    add_bye(stream, MAIN_PID);
}

static const char main_life_lines[] =
    "HEAP 1700000000.1000 1048576\n"
    "MPROF notice python layer on\n"  /* kept with the data it explains */
    "HEAP 1700000000.2000 3145728\n"
    "HEAP 1700000000.3000 2097152\n"
    "MPROF exit_status 0\n"
    "MPROF samples 0\n"
    "MPROF rss_peak_bytes 12582912\n"  /* no MEM point: the peak is VmHWM */
    "MPROF heap_samples 3\n"
    "MPROF heap_peak_bytes 3145728\n"
    "MPROF rss_hwm_bytes 12582912\n";

/* Under --backend tracemalloc MEM is the heap: each heap sample is a MEM point too, the
 * CLI's RSS polls are not, VmHWM (a mark of RSS) is not taken, and the .dat names it. */
START_TEST(tracemalloc_backend_makes_mem_the_heap)
{
    struct stream stream;
    main_life(&stream);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_set_backend(&harness.recorder, BACKEND_TRACEMALLOC);
    ck_assert_int_eq(recorder_write_header(&harness.recorder, "prog"), 0);
    ck_assert_int_eq(recorder_mem(&harness.recorder, 1700000000.05, 7u << 20), 0);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    ck_assert_int_eq(recorder_end_of_run_sample(&harness.recorder), 0);
    harness_close(&harness, 0,
                  "CMDLINE prog\n"
                  "MPROF version 3\n"
                  "MPROF interval 0.1\n"
                  "MPROF backend tracemalloc\n"
                  "HEAP 1700000000.1000 1048576\n"
                  "MEM 1.000000 1700000000.1000\n"
                  "MPROF notice python layer on\n"
                  "HEAP 1700000000.2000 3145728\n"
                  "MEM 3.000000 1700000000.2000\n"
                  "HEAP 1700000000.3000 2097152\n"
                  "MEM 2.000000 1700000000.3000\n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 3\n"
                  "MPROF rss_peak_bytes 3145728\n"
                  "MPROF heap_samples 3\n"
                  "MPROF heap_peak_bytes 3145728\n",
                  "mprof: python layer on\n");
}
END_TEST

/* PSS or USS in MEM: the library's RSS neither ends the series nor marks its peak. */
START_TEST(pss_backend_takes_no_rss_mark)
{
    struct stream stream;
    main_life(&stream);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_set_backend(&harness.recorder, BACKEND_PSUTIL_PSS);
    ck_assert_int_eq(recorder_mem(&harness.recorder, 1700000000.05, 5u << 20), 0);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    ck_assert_int_eq(recorder_end_of_run_sample(&harness.recorder), 0);
    harness_close(&harness, 0,
                  "MEM 5.000000 1700000000.0500\n"
                  "HEAP 1700000000.1000 1048576\n"
                  "MPROF notice python layer on\n"
                  "HEAP 1700000000.2000 3145728\n"
                  "HEAP 1700000000.3000 2097152\n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 1\n"
                  "MPROF rss_peak_bytes 5242880\n"
                  "MPROF heap_samples 3\n"
                  "MPROF heap_peak_bytes 3145728\n",
                  "mprof: python layer on\n");
}
END_TEST

/* An attached process has no exit status we know: its pid stands there; a timeout that
 * ended the run is said. */
START_TEST(attached_run_names_its_pid_and_timeout)
{
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_set_attached(&harness.recorder, 4242);
    recorder_set_timeout(&harness.recorder, 1.5);
    ck_assert_int_eq(recorder_mem(&harness.recorder, 1700000000.05, 5u << 20), 0);
    harness_close(&harness, 0,
                  "MEM 5.000000 1700000000.0500\n"
                  "MPROF attached_pid 4242\n"
                  "MPROF timeout 1.5\n"
                  "MPROF samples 1\n"
                  "MPROF rss_peak_bytes 5242880\n", "");
}
END_TEST

START_TEST(whole_stream_at_once)
{
    struct stream stream;
    main_life(&stream);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    ck_assert(harness.recorder.main_hello);
    ck_assert_uint_eq(harness.recorder.main_flags, MPROF_HELLO_HEAP_COUNTED);
    ck_assert(!harness.recorder.stream_broken);
    ck_assert_uint_eq(harness.recorder.pending_length, 0);
    harness_close(&harness, 0, main_life_lines, "mprof: python layer on\n");
}
END_TEST

START_TEST(stream_split_at_every_boundary)
{
    struct stream stream;
    main_life(&stream);
    for (size_t split = 0; split <= stream.length; split++) {
        struct harness harness;
        harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
        ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, split), 0);
        ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes + split,
                                       stream.length - split), 0);
        harness_close(&harness, 0, main_life_lines, "mprof: python layer on\n");
    }
}
END_TEST

START_TEST(stream_split_in_three_everywhere)
{
    struct stream stream;
    main_life(&stream);
    for (size_t first = 0; first <= stream.length; first += 3) {
        for (size_t second = first; second <= stream.length; second += 5) {
            struct harness harness;
            harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
            recorder_feed(&harness.recorder, stream.bytes, first);
            recorder_feed(&harness.recorder, stream.bytes + first, second - first);
            recorder_feed(&harness.recorder, stream.bytes + second, stream.length - second);
            harness_close(&harness, 0, main_life_lines, "mprof: python layer on\n");
        }
    }
}
END_TEST

START_TEST(stream_byte_by_byte)
{
    struct stream stream;
    main_life(&stream);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    for (size_t i = 0; i < stream.length; i++)
        ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes + i, 1), 0);
    harness_close(&harness, 0, main_life_lines, "mprof: python layer on\n");
}
END_TEST

START_TEST(bad_record_keeps_what_came_before)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_sample(&stream, MAIN_PID, 100, 1048576, 0);
    size_t good = stream.length;
    add_sample(&stream, MAIN_PID, 200, 2097152, 0);
    stream.bytes[good] ^= 0xff; /* the second record's magic */
    add_sample(&stream, MAIN_PID, 300, 4194304, 0);
    for (size_t split = 0; split <= stream.length; split++) {
        struct harness harness;
        harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
        recorder_feed(&harness.recorder, stream.bytes, split);
        recorder_feed(&harness.recorder, stream.bytes + split, stream.length - split);
        ck_assert(harness.recorder.stream_broken);
        ck_assert_uint_eq(harness.recorder.heap_samples, 1);
        harness_close(&harness, 1,
                      "HEAP 1700000000.1000 1048576\n"
                      "MPROF exit_status 1\n"
                      "MPROF samples 0\n"
                      "MPROF rss_peak_bytes 0\n"
                      "MPROF heap_samples 1\n"
                      "MPROF heap_peak_bytes 1048576\n",
                      "");
    }
}
END_TEST

/* A notice's text is the program's: an escape sequence in it is shown, never sent. */
START_TEST(notice_escape_sequences_are_shown)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_notice(&stream, MAIN_PID, "\x1b]52;c;aGk=\x07 and \x1b]0;title\x1b\\");
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    /* The .dat keeps the text as it came (its readers escape it when they show it). */
    harness_close(&harness, -1,
                  "MPROF notice \x1b]52;c;aGk=\x07 and \x1b]0;title\x1b\\\n",
                  "mprof: \\x1b]52;c;aGk=\\x07 and \\x1b]0;title\\x1b\\\n");
}
END_TEST

START_TEST(notice_newlines_become_one_line)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_notice(&stream, MAIN_PID, "two\nlines\n");
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    harness_close(&harness, -1, "MPROF notice two lines\n", "mprof: two lines\n");
}
END_TEST

START_TEST(negative_heap_is_written_as_zero)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_sample(&stream, MAIN_PID, 100, -4096, 0);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    harness_close(&harness, -1, "HEAP 1700000000.1000 0\n", "");
}
END_TEST

/* Polled RSS through the filter: a flat run costs two lines, the peak survives in the
 * series and, exactly, in the metadata. */
START_TEST(mem_series_is_simplified)
{
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, false);
    for (int i = 0; i < 10; i++)
        recorder_mem(&harness.recorder, 1700000000.0 + 0.1 * i, 10u << 20);
    recorder_mem(&harness.recorder, 1700000001.0, 30u << 20);
    for (int i = 11; i < 20; i++)
        recorder_mem(&harness.recorder, 1700000000.0 + 0.1 * i, 10u << 20);
    harness_close(&harness, 3,
                  "MEM 10.000000 1700000000.0000\n"
                  "MEM 10.000000 1700000000.9000\n"
                  "MEM 30.000000 1700000001.0000\n"
                  "MEM 10.000000 1700000001.1000\n"
                  "MEM 10.000000 1700000001.9000\n"
                  "MPROF exit_status 3\n"
                  "MPROF samples 20\n"
                  "MPROF rss_peak_bytes 31457280\n",
                  "");
}
END_TEST

START_TEST(heap_series_is_simplified)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    for (uint64_t i = 0; i < 10; i++)
        add_sample(&stream, MAIN_PID, 100 * i, (int64_t)(i << 20), 0); /* a straight ramp */
    for (uint64_t i = 10; i < 20; i++)
        add_sample(&stream, MAIN_PID, 100 * i, 9 << 20, 0);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, false);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    harness_close(&harness, 0,
                  "HEAP 1700000000.0000 0\n"
                  "HEAP 1700000000.9000 9437184\n"
                  "HEAP 1700000001.9000 9437184\n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 0\n"
                  "MPROF rss_peak_bytes 0\n"
                  "MPROF heap_samples 20\n"
                  "MPROF heap_peak_bytes 9437184\n",
                  "");
}
END_TEST

START_TEST(children_are_ignored_without_c_or_m)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_hello(&stream, 2000, MPROF_HELLO_HEAP_COUNTED);
    add_sample(&stream, 2000, 100, 5 << 20, 0);
    add_sample(&stream, MAIN_PID, 100, 1 << 20, 0);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    recorder_child_mem(&harness.recorder, 2000, 1700000000.1, 7u << 20);
    ck_assert_uint_eq(harness.recorder.child_count, 0);
    ck_assert(!harness.recorder.main_hello);
    harness_close(&harness, -1, "HEAP 1700000000.1000 1048576\n", "");
}
END_TEST

/* -C: a child's latest heap is added to the main process's HEAP until it ends. */
START_TEST(include_children_sums_heap)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_sample(&stream, MAIN_PID, 100, 1 << 20, 0);
    add_hello(&stream, 2000, MPROF_HELLO_HEAP_COUNTED);
    add_sample(&stream, 2000, 150, 4 << 20, 0);
    add_sample(&stream, MAIN_PID, 200, 1 << 20, 0);
    add_bye(&stream, 2000);
    add_sample(&stream, MAIN_PID, 300, 1 << 20, 0);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_SUM, true);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    harness_close(&harness, -1,
                  "HEAP 1700000000.1000 1048576\n"
                  "HEAP 1700000000.2000 5242880\n"
                  "HEAP 1700000000.3000 1048576\n",
                  "");
}
END_TEST

/* -C: a child that vanished without BYE (SIGKILL) stops counting when /proc says so. */
START_TEST(include_children_forgets_killed_child)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_sample(&stream, 2000, 150, 4 << 20, 0);
    add_sample(&stream, MAIN_PID, 200, 1 << 20, 0);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_SUM, true);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    pid_t alive[] = { 2000 };
    recorder_children_alive(&harness.recorder, alive, 1);
    recorder_children_alive(&harness.recorder, NULL, 0);
    memset(&stream, 0, sizeof(stream));
    add_sample(&stream, MAIN_PID, 300, 1 << 20, 0);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    harness_close(&harness, -1,
                  "HEAP 1700000000.2000 5242880\n"
                  "HEAP 1700000000.3000 1048576\n",
                  "");
}
END_TEST

/* -M: each child its own CHLD and CHLDHEAP series, indexed in the order /proc finds
 * them; a child known only from the pipe (gone within one interval) gets no series. */
START_TEST(multiprocess_gives_each_child_an_index)
{
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_SERIES, true);
    recorder_child_mem(&harness.recorder, 3000, 1700000000.1, 2u << 20);
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_hello(&stream, 2000, MPROF_HELLO_HEAP_COUNTED);
    add_sample(&stream, 2000, 150, 4 << 20, 0);
    add_sample(&stream, 3000, 160, 6 << 20, 0);
    add_hello(&stream, 4000, MPROF_HELLO_HEAP_COUNTED);
    add_sample(&stream, 4000, 170, 8 << 20, 0);
    add_bye(&stream, 4000);
    add_sample(&stream, MAIN_PID, 200, 1 << 20, 0);
    recorder_feed(&harness.recorder, stream.bytes, stream.length);
    recorder_child_mem(&harness.recorder, 2000, 1700000000.2, 3u << 20);
    ck_assert_int_eq(recorder_child_index(&harness.recorder, 3000), 0);
    ck_assert_int_eq(recorder_child_index(&harness.recorder, 2000), 1);
    ck_assert_uint_eq(harness.recorder.child_count, 3);
    ck_assert_int_eq(harness.recorder.next_child_index, 2);
    harness_close(&harness, -1,
                  "CHLD 0 2.000000 1700000000.1000\n"
                  "CHLDHEAP 0 1700000000.1600 6291456\n"
                  "HEAP 1700000000.2000 1048576\n"
                  "CHLDHEAP 1 1700000000.1500 4194304\n"
                  "CHLD 1 3.000000 1700000000.2000\n",
                  "");
}
END_TEST

/* A sample whose marks (VmHWM, the library's heap mark) stand above its figures. */
static void add_marked_sample(struct stream *stream, int32_t pid, uint64_t time_ms,
                              int64_t heap_bytes, int64_t heap_mark_bytes, uint64_t rss_bytes,
                              uint64_t rss_mark_bytes)
{
    struct mprof_sample sample;
    memset(&sample, 0, sizeof(sample));
    mprof_record_header_init(&sample.header, MPROF_RECORD_SAMPLE, sizeof(sample), pid);
    sample.time_ns = T0_NS + time_ms * MS_NS;
    sample.heap_live_bytes = heap_bytes;
    sample.heap_peak_bytes = heap_mark_bytes;
    sample.rss_bytes = rss_bytes;
    sample.rss_peak_bytes = rss_mark_bytes;
    stream_add(stream, &sample, sizeof(sample));
}

/* A child's peak between two samples: -M keeps each child's own marks (MPROF
 * child_peak), -C raises the tree's peaks to the highest process's mark. */
START_TEST(children_keep_their_marks)
{
    for (int sum = 0; sum <= 1; sum++) {
        struct harness harness;
        harness_open(&harness, sum ? RECORDER_CHILDREN_SUM : RECORDER_CHILDREN_SERIES, true);
        struct stream stream;
        memset(&stream, 0, sizeof(stream));
        add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
        add_marked_sample(&stream, MAIN_PID, 100, 1 << 20, 1 << 20, 3u << 20, 3u << 20);
        add_hello(&stream, 2000, MPROF_HELLO_HEAP_COUNTED);
        /* The child's 40 MiB lasted less than an interval: only its marks saw it. */
        add_marked_sample(&stream, 2000, 150, 2 << 20, 40 << 20, 4u << 20, 44u << 20);
        recorder_child_mem(&harness.recorder, 2000, 1700000000.12, 4u << 20);
        ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
        if (sum) {
            ck_assert_uint_eq(recorder_peak_heap_bytes(&harness.recorder), 40u << 20);
            ck_assert_uint_eq(recorder_peak_rss_bytes(&harness.recorder), 44u << 20);
            recorder_free(&harness.recorder);
            fclose(harness.out);
            fclose(harness.notices);
            free(harness.out_text);
            free(harness.notice_text);
            continue;
        }
        ck_assert_uint_eq(recorder_peak_heap_bytes(&harness.recorder), 1u << 20);
        ck_assert_int_eq(recorder_finish(&harness.recorder, 0), 0);
        fflush(harness.out);
        ck_assert_msg(strstr(harness.out_text, "MPROF child_peak 0 46137344 41943040\n") != NULL,
                      "no child_peak in:\n%s", harness.out_text);
        recorder_free(&harness.recorder);
        fclose(harness.out);
        fclose(harness.notices);
        free(harness.out_text);
        free(harness.notice_text);
    }
}
END_TEST

/* -M with simplification: an ended child's held-back points are written when it ends,
 * not only at the end of the run. */
START_TEST(multiprocess_flushes_an_ended_child)
{
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_SERIES, false);
    for (int i = 0; i < 5; i++)
        recorder_child_mem(&harness.recorder, 2000, 1700000000.0 + 0.1 * i, 2u << 20);
    ck_assert_int_eq(recorder_children_alive(&harness.recorder, NULL, 0), 0);
    ck_assert(!harness.recorder.child_list[0].live);
    harness_close(&harness, -1,
                  "CHLD 0 2.000000 1700000000.0000\n"
                  "CHLD 0 2.000000 1700000000.4000\n",
                  "");
}
END_TEST

/* A library that samples at another interval than asked (100 ms here) is said once on
 * the notices, whichever process it is, and named in the .dat's end metadata. */
START_TEST(hello_with_another_interval_is_said_once)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    for (int32_t pid = MAIN_PID; pid <= MAIN_PID + 1; pid++) {
        struct mprof_hello hello;
        memset(&hello, 0, sizeof(hello));
        mprof_record_header_init(&hello.header, MPROF_RECORD_HELLO, sizeof(hello), pid);
        hello.interval_ns = 5 * MS_NS;
        hello.start_time_ns = T0_NS;
        stream_add(&stream, &hello, sizeof(hello));
    }
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_SERIES, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    ck_assert_uint_eq(harness.recorder.library_interval_ns, 5 * MS_NS);
    harness_close(&harness, 0,
                  "MPROF exit_status 0\n"
                  "MPROF samples 0\n"
                  "MPROF rss_peak_bytes 0\n"
                  "MPROF library_interval_ns 5000000\n",
                  "mprof: 1000: the library samples every 0.005 s, not the 0.1 s asked for "
                  "(library and mprof from different builds?)\n");
}
END_TEST

START_TEST(hello_with_the_asked_interval_is_silent)
{
    struct stream stream;
    main_life(&stream);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    ck_assert_uint_eq(harness.recorder.library_interval_ns, 0);
    harness_close(&harness, 0, main_life_lines, "mprof: python layer on\n");
}
END_TEST

/* The peaks are the higher of the highest sample and the main process's own marks,
 * which see between samples: MEM sampled 30 MiB while VmHWM saw 40; HEAP sampled
 * 2 MiB while the library's mark saw 5. One of each lower than a sample is ignored. */
START_TEST(peaks_are_the_high_water_marks)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
    struct mprof_sample sample;
    memset(&sample, 0, sizeof(sample));
    mprof_record_header_init(&sample.header, MPROF_RECORD_SAMPLE, sizeof(sample), MAIN_PID);
    sample.time_ns = T0_NS + 100 * MS_NS;
    sample.rss_bytes = 20u << 20;
    sample.rss_peak_bytes = 40u << 20;
    sample.heap_live_bytes = 2u << 20;
    sample.heap_peak_bytes = 5u << 20;
    stream_add(&stream, &sample, sizeof(sample));
    sample.time_ns = T0_NS + 200 * MS_NS;
    sample.rss_peak_bytes = 1u << 20;   /* after an exec: a new image's marks start low */
    sample.heap_live_bytes = 1u << 20;
    sample.heap_peak_bytes = 1u << 20;
    stream_add(&stream, &sample, sizeof(sample));
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_mem(&harness.recorder, 1700000000.1, 30u << 20);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    recorder_mem(&harness.recorder, 1700000000.2, 10u << 20);
    ck_assert_uint_eq(recorder_peak_rss_bytes(&harness.recorder), 40u << 20);
    ck_assert_uint_eq(recorder_peak_heap_bytes(&harness.recorder), 5u << 20);
    harness_close(&harness, 0,
                  "MEM 30.000000 1700000000.1000\n"
                  "HEAP 1700000000.1000 2097152\n"
                  "HEAP 1700000000.2000 1048576\n"
                  "MEM 10.000000 1700000000.2000\n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 2\n"
                  "MPROF rss_peak_bytes 41943040\n"
                  "MPROF heap_samples 2\n"
                  "MPROF heap_peak_bytes 5242880\n"
                  "MPROF rss_hwm_bytes 41943040\n",
                  "");
}
END_TEST

/* Without marks (a library that sent none, or none at all) the samples are the peaks. */
START_TEST(peaks_without_marks_are_the_highest_samples)
{
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    recorder_mem(&harness.recorder, 1700000000.1, 30u << 20);
    recorder_mem(&harness.recorder, 1700000000.2, 10u << 20);
    ck_assert_uint_eq(recorder_peak_rss_bytes(&harness.recorder), 30u << 20);
    ck_assert_uint_eq(recorder_peak_heap_bytes(&harness.recorder), 0);
    harness_close(&harness, 0,
                  "MEM 30.000000 1700000000.1000\n"
                  "MEM 10.000000 1700000000.2000\n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 2\n"
                  "MPROF rss_peak_bytes 31457280\n",
                  "");
}
END_TEST

/* The recorder writes the whole .dat: the header before the program runs, the
 * library's last sample as the last MEM point when it is later than the last poll,
 * and the signal that ended the program last. */
START_TEST(header_last_sample_and_signal)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
    add_sample(&stream, MAIN_PID, 300, 1048576, 5u << 20);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    ck_assert_int_eq(recorder_write_header(&harness.recorder, "python3 'a b.py'"), 0);
    recorder_mem(&harness.recorder, 1700000000.2, 4u << 20);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    ck_assert_int_eq(recorder_end_of_run_sample(&harness.recorder), 0);
    recorder_set_signal(&harness.recorder, 9);
    harness_close(&harness, 137,
                  "CMDLINE python3 'a b.py'\n"
                  "MPROF version 3\n"
                  "MPROF interval 0.1\n"
                  "MEM 4.000000 1700000000.2000\n"
                  "HEAP 1700000000.3000 1048576\n"
                  "MEM 5.000000 1700000000.3000\n"
                  "MPROF exit_status 137\n"
                  "MPROF samples 2\n"
                  "MPROF rss_peak_bytes 5242880\n"
                  "MPROF heap_samples 1\n"
                  "MPROF heap_peak_bytes 1048576\n"
                  "MPROF rss_hwm_bytes 5242880\n"
                  "MPROF signal 9\n",
                  "");
}
END_TEST

/* The whole file as it stands on disk now. */
static char *file_text(FILE *file)
{
    struct stat info;
    ck_assert_int_eq(fstat(fileno(file), &info), 0);
    char *text = calloc(1, (size_t)info.st_size + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(pread(fileno(file), text, (size_t)info.st_size, 0), info.st_size);
    return text;
}

/* One series of samples: a plateau (held back by the filter), a step, a plateau. */
static void plateau_run(struct recorder *recorder, FILE *file, bool sync, char **on_disk)
{
    static const double mib[] = { 1, 1, 1, 1, 5, 5, 5 };
    for (size_t i = 0; i < sizeof mib / sizeof mib[0]; i++) {
        ck_assert_int_eq(recorder_mem(recorder, 1700000000.0 + 0.1 * (double)i,
                                      (uint64_t)(mib[i] * 1048576)), 0);
        if (sync) {
            ck_assert_int_eq(recorder_sync(recorder), 0);
            if (i == 3)
                *on_disk = file_text(file);
        }
    }
}

/* At every interval the points the filter holds back are on disk after what is final,
 * so a killed mprof run leaves a whole profile; the finished file is the same as one
 * never synced. */
START_TEST(sync_puts_held_points_on_disk)
{
    FILE *synced = tmpfile(), *plain = tmpfile();
    ck_assert_ptr_nonnull(synced);
    ck_assert_ptr_nonnull(plain);
    struct recorder with_sync, without_sync;
    recorder_init(&with_sync, synced, NULL, MAIN_PID, RECORDER_CHILDREN_IGNORE, false, 100 * MS_NS);
    recorder_init(&without_sync, plain, NULL, MAIN_PID, RECORDER_CHILDREN_IGNORE, false,
                  100 * MS_NS);
    char *mid_run = NULL;
    plateau_run(&with_sync, synced, true, &mid_run);
    plateau_run(&without_sync, plain, false, NULL);
    /* Four samples into the plateau: its first point is final, its end is the tail. */
    ck_assert_str_eq(mid_run, "MEM 1.000000 1700000000.0000\nMEM 1.000000 1700000000.3000\n");
    ck_assert_int_eq(recorder_finish(&with_sync, 0), 0);
    ck_assert_int_eq(recorder_finish(&without_sync, 0), 0);
    fflush(synced);
    fflush(plain);
    char *synced_text = file_text(synced), *plain_text = file_text(plain);
    ck_assert_str_eq(synced_text, plain_text);
    ck_assert_ptr_nonnull(strstr(synced_text, "MEM 5.000000 1700000000.6000\n"));
    free(mid_run);
    free(synced_text);
    free(plain_text);
    recorder_free(&with_sync);
    recorder_free(&without_sync);
    fclose(synced);
    fclose(plain);
}
END_TEST

/* A .dat that is no regular file (a pipe, /dev/null, a memory stream here) cannot be
 * cut back: it gets what is final only, and the run ends as it always did. */
START_TEST(sync_without_a_file_flushes_only)
{
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, false);
    ck_assert_int_eq(recorder_mem(&harness.recorder, 1700000000.0, 1048576), 0);
    ck_assert_int_eq(recorder_mem(&harness.recorder, 1700000000.1, 1048576), 0);
    ck_assert_int_eq(recorder_mem(&harness.recorder, 1700000000.2, 1048576), 0);
    ck_assert_int_eq(recorder_sync(&harness.recorder), 0);
    ck_assert(harness.recorder.tail_off);
    ck_assert_int_eq(recorder_sync(&harness.recorder), 0);
    harness_close(&harness, 0,
                  "MEM 1.000000 1700000000.0000\n"
                  "MEM 1.000000 1700000000.2000\n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 3\n"
                  "MPROF rss_peak_bytes 1048576\n",
                  "");
}
END_TEST

/* The heap the program left: the first ENDING of the main process's latest image (a
 * Python image sends one at atexit and another at exit; an exec starts anew), never a
 * child's. */
START_TEST(heap_exit_is_the_latest_images_first_ending)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
    add_ending(&stream, MAIN_PID, 999);               /* an image that then exec'd */
    add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
    add_hello(&stream, 2000, MPROF_HELLO_HEAP_COUNTED);
    add_ending(&stream, 2000, 77);                    /* a child: not the program's */
    add_ending(&stream, MAIN_PID, 3000057);           /* Python's atexit */
    add_ending(&stream, MAIN_PID, 400000);            /* exit, after finalization */
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_SUM, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    harness_close(&harness, 0,
                  "MPROF exit_status 0\n"
                  "MPROF samples 0\n"
                  "MPROF rss_peak_bytes 0\n"
                  "MPROF heap_exit_bytes 3000057\n",
                  "");
}
END_TEST

/* A heap below zero at the end (blocks freed that were made before the library counted)
 * is written as the byte count it is: none of what was counted is left. */
START_TEST(heap_exit_below_zero_is_zero)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
    add_ending(&stream, MAIN_PID, -4096);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    harness_close(&harness, 0,
                  "MPROF exit_status 0\n"
                  "MPROF samples 0\n"
                  "MPROF rss_peak_bytes 0\n"
                  "MPROF heap_exit_bytes 0\n",
                  "");
}
END_TEST

/* No ENDING (killed by a signal, or a library of before): no heap_exit_bytes line. */
START_TEST(no_ending_no_heap_exit)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
    add_ending(&stream, MAIN_PID, 5);
    add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED); /* exec'd, then killed */
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    harness_close(&harness, 137,
                  "MPROF exit_status 137\n"
                  "MPROF samples 0\n"
                  "MPROF rss_peak_bytes 0\n",
                  "");
}
END_TEST

/* No later sample, or -C (the library's sample lacks the children): nothing is added. */
START_TEST(last_sample_only_when_later_and_alone)
{
    for (int sum = 0; sum <= 1; sum++) {
        struct stream stream;
        memset(&stream, 0, sizeof(stream));
        add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
        add_sample(&stream, MAIN_PID, sum ? 300 : 200, 0, 5u << 20);
        struct harness harness;
        harness_open(&harness, sum ? RECORDER_CHILDREN_SUM : RECORDER_CHILDREN_IGNORE, true);
        recorder_mem(&harness.recorder, 1700000000.2, 4u << 20);
        ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
        ck_assert_int_eq(recorder_end_of_run_sample(&harness.recorder), 0);
        ck_assert_uint_eq(harness.recorder.mem_samples, 1);
        harness_close(&harness, -1,
                      sum ? "MEM 4.000000 1700000000.2000\nHEAP 1700000000.3000 0\n"
                          : "MEM 4.000000 1700000000.2000\nHEAP 1700000000.2000 0\n",
                      "");
    }
}
END_TEST

START_TEST(finish_reports_a_failed_write)
{
    /* A read-only stream: every write fails, and finish says so. */
    FILE *out = fopen("/dev/null", "r");
    ck_assert_ptr_nonnull(out);
    struct recorder recorder;
    recorder_init(&recorder, out, NULL, MAIN_PID, RECORDER_CHILDREN_IGNORE, true, 100 * MS_NS);
    ck_assert_int_eq(recorder_mem(&recorder, 1700000000.0, 1u << 20), -1);
    ck_assert_int_eq(recorder_finish(&recorder, 0), -1);
    ck_assert_int_ne(recorder.write_errno, 0);
    recorder_free(&recorder);
    fclose(out);
}
END_TEST


/* ---------------------------------------------------------------- @profile records */

static char source_dir[FIXTURE_DIR_MAX];
static char source_path[256];

/* A source file whose name has a space, with CRLF endings, a tab, a backslash and
 * trailing blanks: line N of the file is line N of the table. */
static void source_setup(void)
{
    fixture_dir_make(source_dir, sizeof source_dir, "recorder");
    snprintf(source_path, sizeof(source_path), "%s/my src.py", source_dir);
    FILE *out = fopen(source_path, "wb");
    ck_assert_ptr_nonnull(out);
    fputs("import os\r\n@profile\r\ndef f(n):\r\n\tx = 'a\\b'  \r\n    return x\r\n", out);
    ck_assert_int_eq(fclose(out), 0);
}

static void source_teardown(void)
{
    fixture_dir_remove(source_dir);
}

/* The main process's tables, calls and top sites, out of order where order is free. */
static void profile_life(struct stream *stream)
{
    memset(stream, 0, sizeof(*stream));
    add_function(stream, MAIN_PID, 7, 2, 5, 2, "__main__.f", source_path);
    add_line(stream, MAIN_PID, 7, 5, 2, 0, 3000);
    add_line(stream, MAIN_PID, 7, 2, 2, 1000, 1000);
    add_line(stream, MAIN_PID, 7, 4, 2, -2000, 3000);
    add_call(stream, MAIN_PID, 7, 0, 200, 400, 1000, 3000);
    add_call(stream, MAIN_PID, 7, 1, 250, 260, 1500, 2500);
    add_site(stream, MAIN_PID, 2, 4, 2000, 2, 5, "f", source_path);
    add_site(stream, MAIN_PID, 1, 9, 50000057, 1, 1, "<module>", "/x/a b.py");
    /* A child's records count only with -C/-M. */
    add_function(stream, 2000, 7, 1, 1, 1, "__main__.g", source_path);
    add_line(stream, 2000, 7, 1, 1, 1, 1);
}

static char *profile_life_lines(void)
{
    static char text[4096];
    snprintf(text, sizeof(text),
             "MEM 10.000000 1700000000.1000\n"
             "MEM 30.000000 1700000000.3000\n"
             "MPROF main_pid 1000\n"
             "PROFILE_FUNC 1000 7 2 5 2 __main__.f %s\n"
             "PROFILE_LINE 1000 7 2 2 1000 1000 @profile\n"
             "PROFILE_LINE 1000 7 3 0 0 0 def f(n):\n"
             "PROFILE_LINE 1000 7 4 2 -2000 3000 \tx = 'a\\\\b'  \n"
             "PROFILE_LINE 1000 7 5 2 0 3000     return x\n"
             "TOP 1 50000057 1 1 9 <module> /x/a b.py\n"
             "TOP 2 2000 2 5 4 f %s\n"
             "FUNC __main__.f 20.0000 1700000000.2000 30.0000 1700000000.4000 0\n"
             "FUNC __main__.f 25.0000 1700000000.2500 26.0000 1700000000.2600 1\n"
             "MPROF exit_status 0\n"
             "MPROF samples 2\n"
             "MPROF rss_peak_bytes 31457280\n",
             source_path, source_path);
    return text;
}

START_TEST(profile_records_become_dat_lines)
{
    struct stream stream;
    profile_life(&stream);
    for (size_t split = 0; split <= stream.length; split += 97) {
        struct harness harness;
        harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
        recorder_mem(&harness.recorder, 1700000000.1, 10u << 20);
        recorder_mem(&harness.recorder, 1700000000.3, 30u << 20);
        ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, split), 0);
        ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes + split,
                                       stream.length - split), 0);
        ck_assert_int_eq(recorder_finish(&harness.recorder, 0), 0);
        /* The tables stay for `mprof run` to print. */
        ck_assert_uint_eq(harness.recorder.profiled_count, 1);
        const struct dat_profiled_function *table = &harness.recorder.profiled[0];
        ck_assert_str_eq(table->name, "__main__.f");
        ck_assert_uint_eq(table->line_count, 4);
        ck_assert_str_eq(table->lines[2].contents, "\tx = 'a\\b'  ");
        ck_assert_int_eq(table->lines[2].increment_bytes, -2000);
        ck_assert_uint_eq(table->lines[1].occurrences, 0);
        harness_close(&harness, -1, profile_life_lines(), "");
    }
}
END_TEST

/* A file that cannot be read: said once, its rows have no text. Lines of functions
 * never described are dropped, a line outside the range widens it, calls of unknown
 * functions give no FUNC, and with no MEM point a bracket sits at the heap. */
START_TEST(unreadable_source_is_said_once)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_function(&stream, MAIN_PID, 1, 10, 11, 1, "m.a", "/nonexistent/x.py");
    add_function(&stream, MAIN_PID, 2, 20, 20, 1, "m.b", "/nonexistent/x.py");
    add_line(&stream, MAIN_PID, 1, 10, 1, 5, 5);
    add_line(&stream, MAIN_PID, 2, 21, 3, 7, 8);
    add_line(&stream, MAIN_PID, 9, 1, 1, 1, 1);
    add_call(&stream, MAIN_PID, 2, 0, 100, 200, 1048576, 3145728);
    add_call(&stream, MAIN_PID, 9, 0, 100, 200, 0, 0);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    harness_close(&harness, 0,
                  "MPROF main_pid 1000\n"
                  "PROFILE_FUNC 1000 1 10 11 1 m.a /nonexistent/x.py\n"
                  "PROFILE_LINE 1000 1 10 1 5 5 \n"
                  "PROFILE_LINE 1000 1 11 0 0 0 \n"
                  "PROFILE_FUNC 1000 2 20 21 1 m.b /nonexistent/x.py\n"
                  "PROFILE_LINE 1000 2 20 0 0 0 \n"
                  "PROFILE_LINE 1000 2 21 3 7 8 \n"
                  "FUNC m.b 1.0000 1700000000.1000 3.0000 1700000000.2000 0\n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 0\n"
                  "MPROF rss_peak_bytes 0\n",
                  "mprof: /nonexistent/x.py: cannot read the source (No such file or "
                  "directory): its @profile lines are shown without their text\n");
}
END_TEST

/* -M: the main process's tables first, then each child's; a child's brackets sit on
 * its own CHLD curve. */
START_TEST(children_tables_follow_and_bracket_their_curve)
{
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_SERIES, true);
    recorder_child_mem(&harness.recorder, 2000, 1700000000.1, 4u << 20);
    recorder_child_mem(&harness.recorder, 2000, 1700000000.3, 8u << 20);
    recorder_mem(&harness.recorder, 1700000000.1, 100u << 20);
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_function(&stream, 2000, 1, 1, 1, 1, "__main__.g", source_path);
    add_line(&stream, 2000, 1, 1, 1, 1, 1);
    add_call(&stream, 2000, 1, 0, 200, 300, 0, 0);
    add_function(&stream, 3000, 1, 1, 1, 1, "__main__.h", source_path);
    add_function(&stream, MAIN_PID, 1, 2, 2, 1, "__main__.f", source_path);
    add_function(&stream, 2000, 2, 1, 1, 1, "__main__.k", source_path);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    ck_assert_int_eq(recorder_finish(&harness.recorder, 0), 0);
    ck_assert_uint_eq(harness.recorder.profiled_count, 4);
    ck_assert_int_eq(harness.recorder.profiled[0].pid, MAIN_PID);
    ck_assert_str_eq(harness.recorder.profiled[1].name, "__main__.g");
    ck_assert_str_eq(harness.recorder.profiled[2].name, "__main__.k");
    ck_assert_str_eq(harness.recorder.profiled[3].name, "__main__.h");
    ck_assert_str_eq(harness.recorder.profiled[1].lines[0].contents, "import os");
    fflush(harness.out);
    ck_assert_ptr_nonnull(strstr(harness.out_text,
        "FUNC __main__.g 6.0000 1700000000.2000 8.0000 1700000000.3000 0\n"));
    ck_assert_ptr_nonnull(strstr(harness.out_text, "MPROF main_pid 1000\n"
                                 "PROFILE_FUNC 1000 1 2 2 1 __main__.f "));
    recorder_free(&harness.recorder);
    fclose(harness.out);
    fclose(harness.notices);
    free(harness.out_text);
    free(harness.notice_text);
}
END_TEST

/* A FUNCTION record of 34 bytes may claim lines 0..2^32-1, which would print for ever:
 * its table is left out and said, its name escaped; the run's other tables stay. */
START_TEST(range_no_source_holds_is_left_out)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_function(&stream, MAIN_PID, 1, 0, UINT32_MAX, 1, "m.\x1b]0;t\x07", "/nonexistent/x.py");
    add_line(&stream, MAIN_PID, 1, 0, 1, 0, 0);
    add_function(&stream, MAIN_PID, 2, 20, 20, 1, "m.b", "/nonexistent/x.py");
    add_line(&stream, MAIN_PID, 2, 20, 3, 7, 8);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    harness_close(&harness, 0,
                  "MPROF main_pid 1000\n"
                  "PROFILE_FUNC 1000 2 20 20 1 m.b /nonexistent/x.py\n"
                  "PROFILE_LINE 1000 2 20 3 7 8 \n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 0\n"
                  "MPROF rss_peak_bytes 0\n",
                  "mprof: 1000: @profile function m.\\x1b]0;t\\x07: lines 0-4294967295 are "
                  "more rows than any source holds (over 1000000 with the tables before it "
                  "that no line ran in): its table is left out\n"
                  "mprof: /nonexistent/x.py: cannot read the source (No such file or "
                  "directory): its @profile lines are shown without their text\n");
}
END_TEST

/* Found by fuzzing: the library's last SAMPLE said an RSS of 2^64 - 1 bytes, which
 * became the run's last MEM point; the byte count of a point at 2^64 (the double it is
 * held in rounds up) is the most there is, not an undefined conversion (UBSan). */
START_TEST(rss_at_the_top_of_64_bits)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_hello(&stream, MAIN_PID, MPROF_HELLO_HEAP_COUNTED);
    add_sample(&stream, MAIN_PID, 100, 1, UINT64_MAX);
    add_bye(&stream, MAIN_PID);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, false);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    ck_assert_int_eq(recorder_end_of_run_sample(&harness.recorder), 0);
    harness_close(&harness, 0,
                  "HEAP 1700000000.1000 1\n"
                  "MEM 17592186044416.000000 1700000000.1000\n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 1\n"
                  "MPROF rss_peak_bytes 18446744073709551615\n"
                  "MPROF heap_samples 1\n"
                  "MPROF heap_peak_bytes 1\n"
                  "MPROF rss_hwm_bytes 18446744073709551615\n", "");
}
END_TEST

/* Repeated LINE records are merged: their sums stop at the ends of their types. */
START_TEST(line_sums_saturate)
{
    struct stream stream;
    memset(&stream, 0, sizeof(stream));
    add_function(&stream, MAIN_PID, 1, 5, 5, 1, "m.f", "/nonexistent/x.py");
    add_line(&stream, MAIN_PID, 1, 5, UINT64_MAX, INT64_MAX, 1);
    add_line(&stream, MAIN_PID, 1, 5, 2, INT64_MAX, 2);
    add_function(&stream, MAIN_PID, 2, 6, 6, 1, "m.g", "/nonexistent/x.py");
    add_line(&stream, MAIN_PID, 2, 6, 1, INT64_MIN, 1);
    add_line(&stream, MAIN_PID, 2, 6, 1, -1, 1);
    struct harness harness;
    harness_open(&harness, RECORDER_CHILDREN_IGNORE, true);
    ck_assert_int_eq(recorder_feed(&harness.recorder, stream.bytes, stream.length), 0);
    harness_close(&harness, 0,
                  "MPROF main_pid 1000\n"
                  "PROFILE_FUNC 1000 1 5 5 1 m.f /nonexistent/x.py\n"
                  "PROFILE_LINE 1000 1 5 18446744073709551615 9223372036854775807 2 \n"
                  "PROFILE_FUNC 1000 2 6 6 1 m.g /nonexistent/x.py\n"
                  "PROFILE_LINE 1000 2 6 2 -9223372036854775808 1 \n"
                  "MPROF exit_status 0\n"
                  "MPROF samples 0\n"
                  "MPROF rss_peak_bytes 0\n",
                  "mprof: /nonexistent/x.py: cannot read the source (No such file or "
                  "directory): its @profile lines are shown without their text\n");
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("recorder");
    TCase *pipe_cases = tcase_create("pipe");
    tcase_add_test(pipe_cases, whole_stream_at_once);
    tcase_add_test(pipe_cases, sync_puts_held_points_on_disk);
    tcase_add_test(pipe_cases, sync_without_a_file_flushes_only);
    tcase_add_test(pipe_cases, children_keep_their_marks);
    tcase_add_test(pipe_cases, stream_split_at_every_boundary);
    tcase_add_test(pipe_cases, stream_split_in_three_everywhere);
    tcase_add_test(pipe_cases, stream_byte_by_byte);
    tcase_add_test(pipe_cases, bad_record_keeps_what_came_before);
    tcase_add_test(pipe_cases, notice_newlines_become_one_line);
    tcase_add_test(pipe_cases, notice_escape_sequences_are_shown);
    tcase_add_test(pipe_cases, negative_heap_is_written_as_zero);
    suite_add_tcase(suite, pipe_cases);
    TCase *series_cases = tcase_create("series");
    tcase_add_test(series_cases, mem_series_is_simplified);
    tcase_add_test(series_cases, heap_series_is_simplified);
    tcase_add_test(series_cases, finish_reports_a_failed_write);
    tcase_add_test(series_cases, header_last_sample_and_signal);
    tcase_add_test(series_cases, last_sample_only_when_later_and_alone);
    tcase_add_test(series_cases, peaks_are_the_high_water_marks);
    tcase_add_test(series_cases, peaks_without_marks_are_the_highest_samples);
    tcase_add_test(series_cases, hello_with_another_interval_is_said_once);
    tcase_add_test(series_cases, hello_with_the_asked_interval_is_silent);
    suite_add_tcase(suite, series_cases);
    TCase *children_cases = tcase_create("children");
    tcase_add_test(children_cases, children_are_ignored_without_c_or_m);
    tcase_add_test(children_cases, include_children_sums_heap);
    tcase_add_test(children_cases, include_children_forgets_killed_child);
    tcase_add_test(children_cases, multiprocess_gives_each_child_an_index);
    tcase_add_test(children_cases, multiprocess_flushes_an_ended_child);
    suite_add_tcase(suite, children_cases);
    TCase *profile_cases = tcase_create("profile");
    tcase_add_checked_fixture(profile_cases, source_setup, source_teardown);
    tcase_add_test(profile_cases, profile_records_become_dat_lines);
    tcase_add_test(profile_cases, unreadable_source_is_said_once);
    tcase_add_test(profile_cases, children_tables_follow_and_bracket_their_curve);
    tcase_add_test(profile_cases, heap_exit_is_the_latest_images_first_ending);
    tcase_add_test(profile_cases, no_ending_no_heap_exit);
    tcase_add_test(profile_cases, heap_exit_below_zero_is_zero);
    tcase_add_test(profile_cases, range_no_source_holds_is_left_out);
    tcase_add_test(profile_cases, line_sums_saturate);
    tcase_add_test(profile_cases, rss_at_the_top_of_64_bits);
    tcase_add_test(profile_cases, tracemalloc_backend_makes_mem_the_heap);
    tcase_add_test(profile_cases, pss_backend_takes_no_rss_mark);
    tcase_add_test(profile_cases, attached_run_names_its_pid_and_timeout);
    suite_add_tcase(suite, profile_cases);
    return suite;
}
