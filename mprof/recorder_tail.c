/*
 * recorder_tail.c — every point received on disk within one interval, whatever ends
 * mprof run.
 *
 * The filters hold points back until the series has moved on from them (the end of a
 * plateau, a window's extremes), and they were written only when the run ended: a
 * `kill -9` of mprof run left a .dat of two samples. Now, at every interval, the points
 * the filters hold are written after everything final, as the ordinary lines a flush
 * would give (a "tail"), so the file can be read and plotted at every moment (it lacks
 * only its closing lines and MPROF end, which tell a reader it was cut short); the next
 * final write cuts the tail off first (ftruncate) and the next interval writes it anew.
 * The finished file is the same as before: a tail never stays.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "dat.h"
#include "recorder.h"
#include "recorder_tables.h"

/* What `filter` would give if its series ended now, leaving the filter as it is. */
static size_t recorder_tail_points(const struct recorder_filter *filter,
                                   struct simplify_point out[2 * ENVELOPE_OUT_MAX])
{
    struct recorder_filter copy = *filter;  /* plain values: the copy owns nothing */
    struct simplify_point kept;
    size_t count = 0;
    if (simplify_flush(&copy.door, &kept) != 0)
        count = envelope_push(&copy.envelope, kept, out);
    return count + envelope_flush(&copy.envelope, out + count);
}

static int recorder_tail_series(FILE *out, const struct recorder_filter *filter, bool heap,
                                int child_index)
{
    struct simplify_point points[2 * ENVELOPE_OUT_MAX];
    size_t count = recorder_tail_points(filter, points);
    for (size_t i = 0; i < count; i++) {
        double value = points[i].value, time_s = points[i].time_s;
        uint64_t bytes = value > 0 ? (uint64_t)(value + 0.5) : 0;
        int status;
        if (child_index < 0)
            status = heap ? dat_write_heap(out, bytes, time_s)
                          : dat_write_mem(out, value / DAT_BYTES_PER_MIB, time_s);
        else
            status = heap ? dat_write_child_heap(out, child_index, bytes, time_s)
                          : dat_write_child_mem(out, child_index, value / DAT_BYTES_PER_MIB,
                                                time_s);
        if (status < 0)
            return -1;
    }
    return 0;
}

int recorder_tail_drop(struct recorder *recorder)
{
    if (!recorder->tail_written)
        return 0;
    recorder->tail_written = false;
    /* The stream stands at the end of what is final (recorder_sync put it there). */
    if (fflush(recorder->out) != 0 ||
        ftruncate(fileno(recorder->out), recorder->final_bytes) != 0)
        return recorder_check(recorder, -1);
    return 0;
}

int recorder_sync(struct recorder *recorder)
{
    if (recorder_tail_drop(recorder) < 0 || recorder_check(recorder, fflush(recorder->out)) < 0)
        return -1;
    if (recorder->tail_off)
        return 0;
    /* Only a regular file can be cut back (a pipe, /dev/null or a memory stream get
     * what is final, as before). */
    struct stat info;
    int fd = fileno(recorder->out);
    off_t final_bytes = fd >= 0 && fstat(fd, &info) == 0 && S_ISREG(info.st_mode)
                            ? ftello(recorder->out) : -1;
    if (final_bytes < 0) {
        recorder->tail_off = true;
        return 0;
    }
    int status = recorder_tail_series(recorder->out, &recorder->mem_filter, false, -1);
    if (status == 0)
        status = recorder_tail_series(recorder->out, &recorder->heap_filter, true, -1);
    for (size_t i = 0; i < recorder->child_count && status == 0; i++) {
        const struct recorder_child *child = &recorder->child_list[i];
        if (child->index < 0)
            continue;
        status = recorder_tail_series(recorder->out, &child->mem_filter, false, child->index);
        if (status == 0)
            status = recorder_tail_series(recorder->out, &child->heap_filter, true,
                                          child->index);
    }
    recorder->final_bytes = final_bytes;
    recorder->tail_written = true;
    /* On disk now; then back to the end of what is final, where the next line goes
     * (after recorder_tail_drop cut the tail). */
    if (status < 0 || fflush(recorder->out) != 0 ||
        fseeko(recorder->out, final_bytes, SEEK_SET) != 0)
        return recorder_check(recorder, -1);
    return 0;
}
