/*
 * recorder.c — pipe records and polled RSS → .dat lines (see recorder.h).
 *
 * Invariant: every point goes through its series' filter, and the peaks and counts
 * are taken before the filter, so simplification never changes what `MPROF
 * rss_peak_bytes` / `heap_peak_bytes` say (the peaks as dat.h defines them). Records
 * are framed only by mprof_record_frame(): the first one that does not frame ends the
 * stream, and all that came before it has been written.
 */
#include "recorder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "dat.h"
#include "interval.h"
#include "recorder_tables.h"
#include "terminal_text.h"

static void recorder_filter_init(const struct recorder *recorder,
                                 struct recorder_filter *filter)
{
    simplify_init(&filter->door, !recorder->all_samples, SIMPLIFY_MIN_TOLERANCE_BYTES,
                  SIMPLIFY_REL_TOLERANCE);
    envelope_init(&filter->envelope, recorder->envelope_window_s);
}

void recorder_init(struct recorder *recorder, FILE *out, FILE *notices, pid_t main_pid,
                   unsigned children, bool all_samples, uint64_t interval_ns)
{
    double interval_s = interval_seconds(interval_ns);
    memset(recorder, 0, sizeof(*recorder));
    recorder->out = out;
    recorder->notices = notices;
    recorder->main_pid = main_pid;
    recorder->children = children;
    recorder->all_samples = all_samples;
    recorder->interval_ns = interval_ns;
    recorder->envelope_window_s = all_samples ? 0 : envelope_window_for_interval(interval_s);
    recorder_filter_init(recorder, &recorder->mem_filter);
    recorder_filter_init(recorder, &recorder->heap_filter);
}

void recorder_free(struct recorder *recorder)
{
    for (size_t i = 0; i < recorder->child_count; i++)
        free(recorder->child_list[i].mem_points.points);
    free(recorder->child_list);
    recorder->child_list = NULL;
    recorder->child_count = recorder->child_capacity = 0;
    free(recorder->mem_points.points);
    recorder->mem_points = (struct recorder_points){ 0 };
    recorder_tables_free(recorder);
}

/* Keep a written point for interpolation; out of memory, the series just has fewer. */
static void recorder_keep_point(struct recorder_points *points, struct simplify_point point)
{
    if (mprof_grow_array((void **)&points->points, &points->capacity, points->count,
                      sizeof *points->points) == 0)
        points->points[points->count++] = point;
}

/* The kinds of series a filter can feed; each knows its .dat line. */
enum recorder_series { SERIES_MEM, SERIES_HEAP, SERIES_CHILD_MEM, SERIES_CHILD_HEAP };

static int recorder_write_point(struct recorder *recorder, enum recorder_series series,
                                int index, struct simplify_point point)
{
    /* Heap values are whole bytes held in a double: exact below 2^53. A library's
     * figure from 2^64 up (RSS is sent as 64 bits, sums of them under -C) is the most
     * there is: converting it would be undefined. */
    uint64_t bytes = point.value <= 0 ? 0
                   : point.value >= 0x1p64 ? UINT64_MAX : (uint64_t)(point.value + 0.5);
    if (recorder_tail_drop(recorder) < 0)
        return -1;
    int status = -1;
    switch (series) {
    case SERIES_MEM:
        status = dat_write_mem(recorder->out, point.value / DAT_BYTES_PER_MIB, point.time_s);
        recorder_keep_point(&recorder->mem_points, point);
        break;
    case SERIES_HEAP:
        status = dat_write_heap(recorder->out, bytes, point.time_s);
        break;
    case SERIES_CHILD_MEM:
        status = dat_write_child_mem(recorder->out, index, point.value / DAT_BYTES_PER_MIB,
                                     point.time_s);
        for (size_t i = 0; i < recorder->child_count; i++)
            if (recorder->child_list[i].index == index)
                recorder_keep_point(&recorder->child_list[i].mem_points, point);
        break;
    case SERIES_CHILD_HEAP:
        status = dat_write_child_heap(recorder->out, index, bytes, point.time_s);
        break;
    }
    return recorder_check(recorder, status);
}

static int recorder_write_points(struct recorder *recorder, enum recorder_series series,
                                 int index, const struct simplify_point *points, size_t count)
{
    int status = 0;
    for (size_t i = 0; i < count; i++)
        if (recorder_write_point(recorder, series, index, points[i]) < 0)
            status = -1;
    return status;
}

static int recorder_push(struct recorder *recorder, struct recorder_filter *filter,
                         enum recorder_series series, int index, double time_s, double value)
{
    struct simplify_point kept, out[ENVELOPE_OUT_MAX];
    if (simplify_push(&filter->door, (struct simplify_point){ time_s, value }, &kept) == 0)
        return 0;
    size_t count = envelope_push(&filter->envelope, kept, out);
    return recorder_write_points(recorder, series, index, out, count);
}

/* The end of a series: the door's held point goes through the envelope, then the
 * envelope's open window is closed. */
static int recorder_flush(struct recorder *recorder, struct recorder_filter *filter,
                          enum recorder_series series, int index)
{
    struct simplify_point kept, out[ENVELOPE_OUT_MAX];
    int status = 0;
    if (simplify_flush(&filter->door, &kept) != 0) {
        size_t count = envelope_push(&filter->envelope, kept, out);
        status = recorder_write_points(recorder, series, index, out, count);
    }
    size_t count = envelope_flush(&filter->envelope, out);
    if (recorder_write_points(recorder, series, index, out, count) < 0)
        status = -1;
    return status;
}

static struct recorder_child *recorder_find_child(struct recorder *recorder, pid_t pid)
{
    for (size_t i = 0; i < recorder->child_count; i++)
        if (recorder->child_list[i].pid == pid)
            return &recorder->child_list[i];
    return NULL;
}

/* The child entry for `pid`, created (without an index) when new; NULL when out of
 * memory. A pid seen again after it ended is the same child again. */
static struct recorder_child *recorder_get_child(struct recorder *recorder, pid_t pid)
{
    struct recorder_child *child = recorder_find_child(recorder, pid);
    if (child != NULL) {
        child->live = true;
        return child;
    }
    if (mprof_grow_array((void **)&recorder->child_list, &recorder->child_capacity,
                         recorder->child_count, sizeof *recorder->child_list) < 0)
        return NULL;
    child = &recorder->child_list[recorder->child_count];
    memset(child, 0, sizeof(*child));
    child->pid = pid;
    child->index = -1;
    child->live = true;
    recorder_filter_init(recorder, &child->mem_filter);
    recorder_filter_init(recorder, &child->heap_filter);
    recorder->child_count++;
    return child;
}

/* The child entry for `pid` with a CHLD index, assigned now if it has none. */
static struct recorder_child *recorder_get_indexed_child(struct recorder *recorder, pid_t pid)
{
    struct recorder_child *child = recorder_get_child(recorder, pid);
    if (child != NULL && child->index < 0)
        child->index = recorder->next_child_index++;
    return child;
}

int recorder_child_index(struct recorder *recorder, pid_t pid)
{
    struct recorder_child *child = recorder_get_indexed_child(recorder, pid);
    return child != NULL ? child->index : -1;
}

/* A child has ended: its heap leaves the -C sum and its series are complete. */
static int recorder_end_child(struct recorder *recorder, struct recorder_child *child)
{
    child->live = false;
    child->have_heap = false;
    if (child->index < 0)
        return 0; /* never had a series */
    int status = recorder_flush(recorder, &child->mem_filter, SERIES_CHILD_MEM, child->index);
    if (recorder_flush(recorder, &child->heap_filter, SERIES_CHILD_HEAP, child->index) < 0)
        status = -1;
    return status;
}

static int recorder_mem_point(struct recorder *recorder, double time_s, uint64_t bytes)
{
    recorder->mem_samples++;
    recorder->last_mem_time_s = time_s;
    if (bytes > recorder->rss_sample_peak_bytes)
        recorder->rss_sample_peak_bytes = bytes;
    return recorder_push(recorder, &recorder->mem_filter, SERIES_MEM, 0, time_s, (double)bytes);
}

static int recorder_heap_point(struct recorder *recorder, double time_s, uint64_t heap_bytes)
{
    recorder->heap_samples++;
    if (heap_bytes > recorder->heap_sample_peak_bytes)
        recorder->heap_sample_peak_bytes = heap_bytes;
    int status = recorder_push(recorder, &recorder->heap_filter, SERIES_HEAP, 0, time_s,
                               (double)heap_bytes);
    if (recorder->backend == BACKEND_TRACEMALLOC &&
        recorder_mem_point(recorder, time_s, heap_bytes) < 0)
        status = -1;
    return status;
}

static int recorder_on_sample(struct recorder *recorder, const struct mprof_sample *sample)
{
    double time_s = (double)sample->time_ns / 1e9;
    uint64_t heap_bytes = sample->heap_live_bytes > 0 ? (uint64_t)sample->heap_live_bytes : 0;
    if (sample->header.pid == recorder->main_pid) {
        recorder->have_main_sample = true;
        recorder->main_sample_time_s = time_s;
        recorder->main_sample_rss_bytes = sample->rss_bytes;
        if (sample->rss_peak_bytes > recorder->vm_hwm_bytes)
            recorder->vm_hwm_bytes = sample->rss_peak_bytes;
        /* VmHWM is a mark of RSS: under PSS, USS or the heap it marks nothing of MEM. */
        if (backend_is_rss(recorder->backend) && sample->rss_peak_bytes > recorder->rss_hwm_bytes)
            recorder->rss_hwm_bytes = sample->rss_peak_bytes;
        /* The library's own high-water mark sees peaks between two samples. */
        if (sample->heap_peak_bytes > 0 && (uint64_t)sample->heap_peak_bytes > recorder->heap_hwm_bytes)
            recorder->heap_hwm_bytes = (uint64_t)sample->heap_peak_bytes;
        uint64_t total = heap_bytes;
        if (recorder->children & RECORDER_CHILDREN_SUM)
            for (size_t i = 0; i < recorder->child_count; i++)
                if (recorder->child_list[i].live && recorder->child_list[i].have_heap)
                    total += recorder->child_list[i].heap_bytes;
        return recorder_heap_point(recorder, time_s, total);
    }
    if (recorder->children == RECORDER_CHILDREN_IGNORE)
        return 0; /* a child whose library should have stayed quiet */
    struct recorder_child *child = recorder_get_child(recorder, sample->header.pid);
    if (child == NULL)
        return 0; /* out of memory: this child's heap is lost, the run goes on */
    child->have_heap = true;
    child->heap_bytes = heap_bytes;
    child->heap_time_s = time_s;
    if (backend_is_rss(recorder->backend) && sample->rss_peak_bytes > child->rss_hwm_bytes)
        child->rss_hwm_bytes = sample->rss_peak_bytes;
    if (sample->heap_peak_bytes > 0 && (uint64_t)sample->heap_peak_bytes > child->heap_hwm_bytes)
        child->heap_hwm_bytes = (uint64_t)sample->heap_peak_bytes;
    if (!(recorder->children & RECORDER_CHILDREN_SERIES) || child->index < 0)
        return 0;
    int status = recorder_push(recorder, &child->heap_filter, SERIES_CHILD_HEAP, child->index,
                               time_s, (double)heap_bytes);
    if (recorder->backend == BACKEND_TRACEMALLOC &&
        recorder_push(recorder, &child->mem_filter, SERIES_CHILD_MEM, child->index, time_s,
                      (double)heap_bytes) < 0)
        status = -1;
    return status;
}

int recorder_sample(struct recorder *recorder, const struct mprof_sample *sample)
{
    return recorder_on_sample(recorder, sample);
}

/* A notice is said on `notices` and kept in the .dat (MPROF notice), so what the run
 * could not record is still known when the file is read: `report --top` quotes it. */
static int recorder_on_notice(struct recorder *recorder, const struct mprof_notice *notice)
{
    /* The text is NUL-terminated (framing checked it); one line however it was sent. */
    char text[MPROF_NOTICE_TEXT_MAX];
    size_t length = 0;
    for (; notice->text[length] != '\0' && length + 1 < sizeof(text); length++) {
        char c = notice->text[length];
        text[length] = c == '\n' || c == '\r' ? ' ' : c;
    }
    while (length > 0 && text[length - 1] == ' ')
        length--;
    text[length] = '\0';
    return recorder_notice(recorder, text);
}

int recorder_notice(struct recorder *recorder, const char *text)
{
    if (recorder_tail_drop(recorder) < 0)
        return -1;
    if (recorder->notices != NULL) {
        /* The library's text is the program's: escaped for the terminal. */
        fputs("mprof: ", recorder->notices);
        terminal_text_put(recorder->notices, text);
        putc('\n', recorder->notices);
        fflush(recorder->notices);
    }
    return recorder_check(recorder, dat_write_meta(recorder->out, "notice", text));
}

/* A library that samples at another interval than it was asked for (one from another
 * build reads another variable, or clamps): its HEAP ticks apart from MEM. Said once. */
static void recorder_check_interval(struct recorder *recorder, const struct mprof_hello *hello)
{
    if (hello->interval_ns == recorder->interval_ns || recorder->library_interval_ns != 0)
        return;
    recorder->library_interval_ns = hello->interval_ns;
    if (recorder->notices == NULL)
        return;
    fprintf(recorder->notices,
            "mprof: %d: the library samples every %.9g s, not the %.9g s asked for "
            "(library and mprof from different builds?)\n", (int)hello->header.pid,
            interval_seconds(hello->interval_ns), interval_seconds(recorder->interval_ns));
    fflush(recorder->notices);
}

static int recorder_on_record(struct recorder *recorder, const unsigned char *bytes,
                              size_t size)
{
    struct mprof_record_header header;
    memcpy(&header, bytes, sizeof(header));
    bool from_main = header.pid == recorder->main_pid;
    switch (header.type) {
    case MPROF_RECORD_HELLO: {
        struct mprof_hello hello;
        memcpy(&hello, bytes, sizeof(hello));
        if (from_main) {
            if (!recorder->main_hello)
                recorder->main_start_time_s = (double)hello.start_time_ns / 1e9;
            recorder->main_hello = true;
            recorder->main_flags = hello.flags;
            recorder->have_heap_exit = false; /* a new image: its own ending counts */
            recorder->main_bye = false;
            if (hello.flags & MPROF_HELLO_PYTHON)
                recorder->main_python = true;
        } else if (recorder->children != RECORDER_CHILDREN_IGNORE) {
            recorder_get_child(recorder, header.pid);
        } else {
            return 0; /* a child whose library should have stayed quiet */
        }
        recorder_check_interval(recorder, &hello);
        return 0;
    }
    case MPROF_RECORD_SAMPLE: {
        struct mprof_sample sample;
        memcpy(&sample, bytes, sizeof(sample));
        return recorder_on_sample(recorder, &sample);
    }
    case MPROF_RECORD_NOTICE: {
        struct mprof_notice notice;
        memset(&notice, 0, sizeof(notice));
        memcpy(&notice, bytes, size);
        return recorder_on_notice(recorder, &notice);
    }
    case MPROF_RECORD_FUNCTION:
    case MPROF_RECORD_LINE:
    case MPROF_RECORD_CALL:
    case MPROF_RECORD_SITE:
        if (!from_main && recorder->children == RECORDER_CHILDREN_IGNORE)
            return 0; /* a child whose library should have stayed quiet */
        if (header.type == MPROF_RECORD_SITE && !from_main)
            return 0;  /* TOP lines have no pid: the main process's only */
        recorder_tables_keep(recorder, bytes, size);
        return 0;
    case MPROF_RECORD_ENDING:
        if (from_main && !recorder->have_heap_exit) {
            struct mprof_ending ending;
            memcpy(&ending, bytes, sizeof(ending));
            recorder->have_heap_exit = true;
            recorder->heap_exit_bytes = ending.heap_live_bytes;
        }
        return 0;
    case MPROF_RECORD_BYE:
        if (from_main)
            recorder->main_bye = true;
        if (!from_main && recorder->children != RECORDER_CHILDREN_IGNORE) {
            struct recorder_child *child = recorder_find_child(recorder, header.pid);
            if (child != NULL && child->live)
                return recorder_end_child(recorder, child);
        }
        return 0;
    default:
        return 0; /* cannot happen: framing rejects unknown types */
    }
}

int recorder_feed(struct recorder *recorder, const void *bytes, size_t length)
{
    const unsigned char *input = bytes;
    int status = 0;
    while (length > 0 && !recorder->stream_broken) {
        /* Leftovers are always shorter than one record, so there is room for at least
         * MPROF_RECORD_MAX more bytes. */
        size_t room = sizeof(recorder->pending) - recorder->pending_length;
        size_t take = length < room ? length : room;
        memcpy(recorder->pending + recorder->pending_length, input, take);
        recorder->pending_length += take;
        input += take;
        length -= take;

        size_t used = 0;
        for (;;) {
            long size = mprof_record_frame(recorder->pending + used,
                                           recorder->pending_length - used);
            if (size == 0)
                break;
            if (size < 0) {
                recorder->stream_broken = true;
                break;
            }
            if (recorder_on_record(recorder, recorder->pending + used, (size_t)size) < 0)
                status = -1;
            used += (size_t)size;
        }
        if (recorder->stream_broken) {
            recorder->pending_length = 0;
            break;
        }
        memmove(recorder->pending, recorder->pending + used, recorder->pending_length - used);
        recorder->pending_length -= used;
    }
    return status;
}

int recorder_mem(struct recorder *recorder, double time_s, uint64_t rss_bytes)
{
    if (recorder->backend == BACKEND_TRACEMALLOC)
        return 0; /* MEM is the heap, from the library's samples */
    return recorder_mem_point(recorder, time_s, rss_bytes);
}

int recorder_child_mem(struct recorder *recorder, pid_t pid, double time_s, uint64_t rss_bytes)
{
    if (!(recorder->children & RECORDER_CHILDREN_SERIES))
        return 0;
    struct recorder_child *child = recorder_find_child(recorder, pid);
    bool new_series = child == NULL || child->index < 0;
    child = recorder_get_indexed_child(recorder, pid);
    if (child == NULL)
        return 0;
    /* Its heap series starts with what the pipe told before /proc saw it. */
    if (new_series && child->have_heap &&
        recorder_push(recorder, &child->heap_filter, SERIES_CHILD_HEAP, child->index,
                      child->heap_time_s, (double)child->heap_bytes) < 0)
        return -1;
    if (recorder->backend == BACKEND_TRACEMALLOC)
        return 0; /* CHLD is its heap, from its samples */
    return recorder_push(recorder, &child->mem_filter, SERIES_CHILD_MEM, child->index, time_s,
                         (double)rss_bytes);
}

int recorder_children_alive(struct recorder *recorder, const pid_t *pids, size_t count)
{
    int status = 0;
    for (size_t i = 0; i < recorder->child_count; i++) {
        struct recorder_child *child = &recorder->child_list[i];
        if (!child->live)
            continue;
        bool alive = false;
        for (size_t j = 0; j < count && !alive; j++)
            alive = pids[j] == child->pid;
        if (!alive && recorder_end_child(recorder, child) < 0)
            status = -1;
    }
    return status;
}

int recorder_flush_all(struct recorder *recorder)
{
    int status = recorder_tail_drop(recorder);
    if (recorder_flush(recorder, &recorder->mem_filter, SERIES_MEM, 0) < 0)
        status = -1;
    if (recorder_flush(recorder, &recorder->heap_filter, SERIES_HEAP, 0) < 0)
        status = -1;
    for (size_t i = 0; i < recorder->child_count; i++) {
        struct recorder_child *child = &recorder->child_list[i];
        if (child->index < 0)
            continue;
        if (recorder_flush(recorder, &child->mem_filter, SERIES_CHILD_MEM, child->index) < 0 ||
            recorder_flush(recorder, &child->heap_filter, SERIES_CHILD_HEAP, child->index) < 0)
            status = -1;
    }
    return status;
}
