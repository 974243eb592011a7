/*
 * fuzz_wire.c — libFuzzer target: any bytes as what the library sends down the pipe,
 * through the CLI's decoder (recorder_feed) in random splits, in each children mode,
 * with the RSS points mprof run's poll adds between reads, to the end of the run
 * (recorder_finish: the tables, TOP, FUNC and end lines) and the tables as printed.
 *
 * An input is: one byte of mode (bits 0-1: enum recorder_children, bit 2: -a), one byte
 * that seeds the splits, then the stream. The main pid is the first record's, as in a
 * real run (its HELLO comes first). The seed corpus is streams of real runs, captured
 * from the pipe (tests/fuzz/seeds.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "mprof/protocol.h"
#include "recorder.h"
#include "report.h"

/* A small generator for the split sizes: the same input always splits the same way. */
static uint32_t fuzz_next(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned children = data[0] & 3u;
    bool all_samples = (data[0] & 4u) != 0;
    uint32_t state = 0x9e3779b9u ^ ((uint32_t)data[1] << 8 | data[1]);
    const uint8_t *stream = data + 2;
    size_t length = size - 2;
    int32_t main_pid = 1;
    if (length >= sizeof(struct mprof_record_header))
        memcpy(&main_pid, stream + offsetof(struct mprof_record_header, pid), sizeof main_pid);

    /* The .dat in a file of its own, so that the recorder's tail can be cut as on disk. */
    int fd = memfd_create("mprof-fuzz-dat", MFD_CLOEXEC);
    FILE *out = fd >= 0 ? fdopen(fd, "w+") : NULL;
    if (out == NULL)
        abort();
    struct recorder recorder;
    recorder_init(&recorder, out, fuzz_sink(), main_pid, children, all_samples,
                  MPROF_INTERVAL_DEFAULT_NS);
    (void)recorder_write_header(&recorder, "fuzz");
    double time_s = 1700000000.0;
    for (size_t at = 0; at < length; ) {
        size_t piece = 1 + fuzz_next(&state) % (2 * MPROF_RECORD_MAX);
        if (piece > length - at)
            piece = length - at;
        (void)recorder_feed(&recorder, stream + at, piece);
        at += piece;
        /* Between two reads of the pipe, mprof run polls /proc. */
        time_s += 0.1;
        uint64_t rss_bytes = (uint64_t)(fuzz_next(&state) % 4096u) << 20;
        (void)recorder_mem(&recorder, time_s, rss_bytes);
        if (children & RECORDER_CHILDREN_SERIES) {
            pid_t child = main_pid + 1 + (pid_t)(fuzz_next(&state) % 3u);
            (void)recorder_child_mem(&recorder, child, time_s, rss_bytes / 2);
            (void)recorder_children_alive(&recorder, &child, fuzz_next(&state) % 2u);
        }
        if (fuzz_next(&state) % 4u == 0)
            (void)recorder_sync(&recorder);
    }
    (void)recorder_end_of_run_sample(&recorder);
    (void)recorder_finish(&recorder, 0);
    struct report_options options = { REPORT_UNIT_B, 0 };
    (void)report_write_tables(fuzz_sink(), recorder.profiled, recorder.profiled_count,
                              main_pid, &options);
    recorder_free(&recorder);
    fclose(out);
    return 0;
}
