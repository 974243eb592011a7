/*
 * recorder_losses.c — what a run could not record, said in the .dat and the summary.
 *
 * Two losses. Records the libraries dropped because mprof run did not read the pipe in
 * time (stopped, or too slow): they count them in the shared page (run_channel.h), so
 * the count is known even when the pipe stayed full to the end. And the main process
 * going on without the library or its pipe (it closed our descriptor, or exec'd with a
 * cleared environment, an LD_PRELOAD of its own, an empty one, a static binary): an
 * image that keeps both says BYE on every way out but a signal (exit, return from main,
 * _exit), and exec ends an image without one, so a main process that ended by itself
 * after a HELLO that no BYE followed ran on unseen after its last sample. That needs no
 * timing (RSS polled while no heap arrives would read a loaded machine's late sampler
 * as a loss) and no /proc/PID/maps scans (which an exec can slip between).
 */
#include <inttypes.h>
#include <stdio.h>

#include "dat.h"
#include "recorder.h"
#include "recorder_tables.h"

void recorder_set_losses(struct recorder *recorder, bool exited, uint64_t dropped_records,
                         uint64_t dropped_bytes)
{
    recorder->dropped_records = dropped_records;
    recorder->dropped_bytes = dropped_bytes;
    /* A dropped BYE is said as dropped records; a broken stream is said on its own. */
    recorder->heap_lost = exited && recorder->end_signal == 0 && recorder->main_hello &&
                          !recorder->main_bye && dropped_records == 0 &&
                          !recorder->stream_broken;
}

/* Where the main process's heap data ends: its last sample, or its HELLO. */
static double recorder_heap_known_until_s(const struct recorder *recorder)
{
    return recorder->have_main_sample ? recorder->main_sample_time_s
                                      : recorder->main_start_time_s;
}

int recorder_losses_write(struct recorder *recorder)
{
    char text[64];
    if (recorder->dropped_records > 0) {
        if (recorder_tail_drop(recorder) < 0)
            return -1;
        snprintf(text, sizeof(text), "%" PRIu64, recorder->dropped_records);
        if (recorder_check(recorder, dat_write_meta(recorder->out, "dropped_records", text)) < 0)
            return -1;
        snprintf(text, sizeof(text), "%" PRIu64, recorder->dropped_bytes);
        if (recorder_check(recorder, dat_write_meta(recorder->out, "dropped_bytes", text)) < 0)
            return -1;
    }
    if (recorder->heap_lost) {
        if (recorder_tail_drop(recorder) < 0)
            return -1;
        snprintf(text, sizeof(text), "%.4f", recorder_heap_known_until_s(recorder));
        if (recorder_check(recorder, dat_write_meta(recorder->out, "heap_lost", text)) < 0)
            return -1;
    }
    return 0;
}

void recorder_losses_text(const struct recorder *recorder, char *text, size_t text_size)
{
    int used = 0;
    text[0] = '\0';
    if (recorder->heap_lost) {
        double known_s = recorder_heap_known_until_s(recorder) - recorder->main_start_time_s;
        used = snprintf(text, text_size, "; heap known for the first %.2f s only: the program "
                        "went on without mprof's library or its pipe (closed descriptors, a "
                        "cleared environment, an LD_PRELOAD of its own)",
                        known_s > 0 ? known_s : 0);
    }
    if (recorder->dropped_records > 0 && used >= 0 && (size_t)used < text_size)
        snprintf(text + used, text_size - (size_t)used, "; %" PRIu64 " records (%" PRIu64
                 " B) dropped: mprof run did not read them in time (stopped or too slow)",
                 recorder->dropped_records, recorder->dropped_bytes);
}
