/*
 * recorder_end.c — the recorder's first and last lines (recorder.h): the header, the
 * run's last RSS point, the peaks, and the end metadata recorder_finish() writes.
 *
 * Invariant: MPROF end is written last and only when every line before it was, so a
 * file that has it is whole.
 */
#include "recorder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dat.h"
#include "interval.h"
#include "recorder_tables.h"

int recorder_meta_u64(struct recorder *recorder, const char *key, uint64_t value)
{
    if (recorder_tail_drop(recorder) < 0)
        return -1;
    char text[32];
    snprintf(text, sizeof(text), "%" PRIu64, value);
    return recorder_check(recorder, dat_write_meta(recorder->out, key, text));
}

int recorder_write_header(struct recorder *recorder, const char *cmdline)
{
    char interval_text[32];
    snprintf(interval_text, sizeof(interval_text), "%.9g",
             interval_seconds(recorder->interval_ns));
    errno = 0;
    if (recorder_check(recorder, dat_write_cmdline(recorder->out, cmdline)) < 0 ||
        recorder_check(recorder, dat_write_meta(recorder->out, "version", "3")) < 0 ||
        recorder_check(recorder, dat_write_meta(recorder->out, "interval", interval_text)) < 0)
        return -1;
    if (recorder->backend != BACKEND_PSUTIL &&
        recorder_check(recorder, dat_write_meta(recorder->out, "backend",
                                                backend_name(recorder->backend))) < 0)
        return -1;
    return 0;
}

void recorder_set_backend(struct recorder *recorder, enum backend backend)
{
    recorder->backend = backend;
}

void recorder_set_attached(struct recorder *recorder, pid_t pid)
{
    recorder->attached_pid = pid;
    recorder->main_pid = pid;
}

void recorder_set_timeout(struct recorder *recorder, double seconds)
{
    recorder->timeout_s = seconds;
}

void recorder_set_main_pid(struct recorder *recorder, pid_t main_pid)
{
    recorder->main_pid = main_pid;
}

int recorder_end_of_run_sample(struct recorder *recorder)
{
    /* The library's sample is RSS: it can end no other series. */
    if (!backend_is_rss(recorder->backend) ||
        (recorder->children & RECORDER_CHILDREN_SUM) || !recorder->have_main_sample ||
        recorder->main_sample_rss_bytes == 0 ||
        !(recorder->main_sample_time_s > recorder->last_mem_time_s + 1e-4))
        return 0;
    return recorder_mem(recorder, recorder->main_sample_time_s,
                        recorder->main_sample_rss_bytes);
}

void recorder_set_signal(struct recorder *recorder, int signal_number)
{
    recorder->end_signal = signal_number;
}

/* With -C the series are sums, and marks do not add up: each process's own mark is a
 * floor under the tree's peak (a child's spike between two samples is one). */
static uint64_t recorder_highest_child_mark(const struct recorder *recorder, bool heap)
{
    uint64_t highest = 0;
    if (!(recorder->children & RECORDER_CHILDREN_SUM))
        return 0;
    for (size_t i = 0; i < recorder->child_count; i++) {
        const struct recorder_child *child = &recorder->child_list[i];
        uint64_t mark = heap ? child->heap_hwm_bytes : child->rss_hwm_bytes;
        if (mark > highest)
            highest = mark;
    }
    return highest;
}

uint64_t recorder_peak_rss_bytes(const struct recorder *recorder)
{
    if (recorder->backend == BACKEND_TRACEMALLOC)  /* MEM is the heap */
        return dat_peak_combine(recorder->rss_sample_peak_bytes,
                                recorder_peak_heap_bytes(recorder));
    return dat_peak_combine(dat_peak_combine(recorder->rss_sample_peak_bytes,
                                             recorder->rss_hwm_bytes),
                            recorder_highest_child_mark(recorder, false));
}

uint64_t recorder_peak_heap_bytes(const struct recorder *recorder)
{
    return dat_peak_combine(dat_peak_combine(recorder->heap_sample_peak_bytes,
                                             recorder->heap_hwm_bytes),
                            recorder_highest_child_mark(recorder, true));
}

int recorder_finish(struct recorder *recorder, int exit_status)
{
    int status = recorder_flush_all(recorder);
    if (recorder_tables_write(recorder) < 0)
        status = -1;
    char text[32];
    snprintf(text, sizeof(text), "%d", exit_status);
    if (recorder->attached_pid > 0 ? recorder_meta_u64(recorder, "attached_pid",
                                                       (uint64_t)recorder->attached_pid) < 0
                                   : recorder_check(recorder, dat_write_meta(recorder->out,
                                                    "exit_status", text)) < 0)
        status = -1;
    if (recorder->timeout_s > 0) {
        snprintf(text, sizeof(text), "%.9g", recorder->timeout_s);
        if (recorder_check(recorder, dat_write_meta(recorder->out, "timeout", text)) < 0)
            status = -1;
    }
    if (recorder_meta_u64(recorder, "samples", recorder->mem_samples) < 0 ||
        recorder_meta_u64(recorder, "rss_peak_bytes",
                                recorder_peak_rss_bytes(recorder)) < 0)
        status = -1;
    if (recorder->heap_samples > 0 &&
        (recorder_meta_u64(recorder, "heap_samples", recorder->heap_samples) < 0 ||
         recorder_meta_u64(recorder, "heap_peak_bytes",
                                 recorder_peak_heap_bytes(recorder)) < 0))
        status = -1;
    /* A byte count, as HEAP's: a heap below zero (a program that freed blocks it had
     * before the library counted them) left none of what was counted. */
    if (recorder->have_heap_exit &&
        recorder_meta_u64(recorder, "heap_exit_bytes",
                                recorder->heap_exit_bytes > 0
                                    ? (uint64_t)recorder->heap_exit_bytes : 0) < 0)
        status = -1;
    if (recorder->rss_hwm_bytes > 0 &&
        recorder_meta_u64(recorder, "rss_hwm_bytes", recorder->rss_hwm_bytes) < 0)
        status = -1;
    /* -M: each child's own marks, which see its peaks between samples. */
    for (size_t i = 0; i < recorder->child_count; i++) {
        const struct recorder_child *child = &recorder->child_list[i];
        if (child->index < 0 || (child->rss_hwm_bytes == 0 && child->heap_hwm_bytes == 0))
            continue;
        char marks[80];
        snprintf(marks, sizeof(marks), "%d %" PRIu64 " %" PRIu64, child->index,
                 child->rss_hwm_bytes, child->heap_hwm_bytes);
        if (recorder_check(recorder, dat_write_meta(recorder->out, "child_peak", marks)) < 0)
            status = -1;
    }
    if (recorder->library_interval_ns != 0 &&
        recorder_meta_u64(recorder, "library_interval_ns",
                                recorder->library_interval_ns) < 0)
        status = -1;
    if (recorder_losses_write(recorder) < 0)
        status = -1;
    if (recorder->end_signal != 0 && status == 0 && recorder->write_errno == 0 &&
        recorder_meta_u64(recorder, "signal", (uint64_t)recorder->end_signal) < 0)
        status = -1;
    /* Last, and only when all before it was written: the bytes before it, so that a
     * reader can tell a whole file from one cut short (dat_profile_whole). */
    if (status == 0 && recorder->write_errno == 0) {
        char bytes_text[32] = "-";  /* a pipe: nothing to count from */
        off_t bytes_before = fflush(recorder->out) == 0 ? ftello(recorder->out) : -1;
        if (bytes_before >= 0)
            snprintf(bytes_text, sizeof(bytes_text), "%lld", (long long)bytes_before);
        if (recorder_check(recorder, dat_write_meta(recorder->out, "end", bytes_text)) < 0)
            status = -1;
    }
    return status < 0 || recorder->write_errno != 0 ? -1 : 0;
}
