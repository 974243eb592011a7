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

#include "cli.h"
#include "dat.h"
#include "source.h"

/* A decorated function's range is its source: past this many lines it is not. */
#define RECORDER_FUNCTION_LINES_MAX 1000000u

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
    double interval_s = (double)interval_ns / 1e9;
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
    for (size_t i = 0; i < recorder->function_count; i++) {
        free(recorder->functions[i].name);
        free(recorder->functions[i].filename);
    }
    free(recorder->functions);
    recorder->functions = NULL;
    recorder->function_count = recorder->function_capacity = 0;
    free(recorder->lines);
    recorder->lines = NULL;
    recorder->line_count = recorder->line_capacity = 0;
    free(recorder->calls);
    recorder->calls = NULL;
    recorder->call_count = recorder->call_capacity = 0;
    for (size_t i = 0; i < recorder->site_count; i++) {
        free(recorder->sites[i].function);
        free(recorder->sites[i].filename);
    }
    free(recorder->sites);
    recorder->sites = NULL;
    recorder->site_count = recorder->site_capacity = 0;
    for (size_t i = 0; i < recorder->profiled_count; i++)
        dat_free_profiled_function(&recorder->profiled[i]);
    free(recorder->profiled);
    recorder->profiled = NULL;
    recorder->profiled_count = 0;
}

/* Keep a written point for interpolation; out of memory, the series just has fewer. */
static void recorder_keep_point(struct recorder_points *points, struct simplify_point point)
{
    if (mprof_grow_array((void **)&points->points, &points->capacity, points->count,
                      sizeof *points->points) == 0)
        points->points[points->count++] = point;
}

/* The value of `points` at `time_s`: linear between the points around it, the first or
 * last value outside them. `fallback` when there are none. */
static double recorder_interpolate(const struct recorder_points *points, double time_s,
                                   double fallback)
{
    if (points->count == 0)
        return fallback;
    const struct simplify_point *p = points->points;
    if (time_s <= p[0].time_s)
        return p[0].value;
    if (time_s >= p[points->count - 1].time_s)
        return p[points->count - 1].value;
    size_t low = 0, high = points->count - 1;  /* p[low].time_s < time_s < p[high] */
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (p[middle].time_s <= time_s)
            low = middle;
        else
            high = middle;
    }
    double span = p[high].time_s - p[low].time_s;
    if (!(span > 0))
        return p[high].value;
    return p[low].value + (p[high].value - p[low].value) * (time_s - p[low].time_s) / span;
}

/* Note a failed write once and pass the status on. */
static int recorder_check(struct recorder *recorder, int status)
{
    if (status < 0 && recorder->write_errno == 0)
        recorder->write_errno = errno != 0 ? errno : EIO;
    return status;
}

/* The kinds of series a filter can feed; each knows its .dat line. */
enum recorder_series { SERIES_MEM, SERIES_HEAP, SERIES_CHILD_MEM, SERIES_CHILD_HEAP };

static int recorder_write_point(struct recorder *recorder, enum recorder_series series,
                                int index, struct simplify_point point)
{
    /* Heap values are whole bytes held in a double: exact below 2^53. */
    uint64_t bytes = point.value > 0 ? (uint64_t)(point.value + 0.5) : 0;
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
    if (recorder->child_count == recorder->child_capacity) {
        size_t capacity = recorder->child_capacity ? recorder->child_capacity * 2 : 8;
        struct recorder_child *grown =
            realloc(recorder->child_list, capacity * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        recorder->child_list = grown;
        recorder->child_capacity = capacity;
    }
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

static int recorder_heap_point(struct recorder *recorder, double time_s, uint64_t heap_bytes)
{
    recorder->heap_samples++;
    if (heap_bytes > recorder->heap_sample_peak_bytes)
        recorder->heap_sample_peak_bytes = heap_bytes;
    return recorder_push(recorder, &recorder->heap_filter, SERIES_HEAP, 0, time_s,
                         (double)heap_bytes);
}

static int recorder_on_sample(struct recorder *recorder, const struct mprof_sample *sample)
{
    double time_s = (double)sample->time_ns / 1e9;
    uint64_t heap_bytes = sample->heap_live_bytes > 0 ? (uint64_t)sample->heap_live_bytes : 0;
    if (sample->header.pid == recorder->main_pid) {
        recorder->have_main_sample = true;
        recorder->main_sample_time_s = time_s;
        recorder->main_sample_rss_bytes = sample->rss_bytes;
        if (sample->rss_peak_bytes > recorder->rss_hwm_bytes)
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
    if ((recorder->children & RECORDER_CHILDREN_SERIES) && child->index >= 0)
        return recorder_push(recorder, &child->heap_filter, SERIES_CHILD_HEAP, child->index,
                             time_s, (double)heap_bytes);
    return 0;
}

static void recorder_on_notice(struct recorder *recorder, const struct mprof_notice *notice)
{
    if (recorder->notices == NULL)
        return;
    /* The text is NUL-terminated (framing checked it); one line however it was sent. */
    size_t length = strlen(notice->text);
    while (length > 0 && (notice->text[length - 1] == '\n' || notice->text[length - 1] == '\r'))
        length--;
    fputs("mprof: ", recorder->notices);
    for (size_t i = 0; i < length; i++) {
        char c = notice->text[i];
        fputc(c == '\n' || c == '\r' ? ' ' : c, recorder->notices);
    }
    fputc('\n', recorder->notices);
    fflush(recorder->notices);
}

/* Out of memory while keeping @profile data: the run goes on, the user hears once. */
static void recorder_lose_profile_data(struct recorder *recorder)
{
    if (!recorder->profile_data_lost && recorder->notices != NULL) {
        fputs("mprof: out of memory: some @profile data is missing from the report\n",
              recorder->notices);
        fflush(recorder->notices);
    }
    recorder->profile_data_lost = true;
}

/* The two NUL-terminated strings of a FUNCTION or SITE record's text (`length` bytes,
 * the last a NUL, as framing checked), as malloc'd copies. 0, or -1 out of memory. */
static int recorder_copy_text_pair(const char *text, size_t length, char **first,
                                   char **second)
{
    size_t first_length = strnlen(text, length);
    const char *rest = first_length + 1 < length ? text + first_length + 1 : "";
    size_t rest_length = first_length + 1 < length ? length - first_length - 1 : 0;
    *first = strndup(text, first_length);
    *second = strndup(rest, strnlen(rest, rest_length));
    if (*first == NULL || *second == NULL) {
        free(*first);
        free(*second);
        return -1;
    }
    return 0;
}

static void recorder_on_function(struct recorder *recorder, const unsigned char *bytes,
                                 size_t size)
{
    struct mprof_function record;
    memcpy(&record, bytes, size);
    struct recorder_function function = {
        .pid = record.header.pid, .id = record.function_id, .first_line = record.first_line,
        .last_line = record.last_line, .call_count = record.call_count,
    };
    size_t text_length = size - offsetof(struct mprof_function, text);
    if (mprof_grow_array((void **)&recorder->functions, &recorder->function_capacity,
                      recorder->function_count, sizeof *recorder->functions) < 0 ||
        recorder_copy_text_pair(record.text, text_length, &function.name,
                                &function.filename) < 0) {
        recorder_lose_profile_data(recorder);
        return;
    }
    recorder->functions[recorder->function_count++] = function;
}

static void recorder_on_site(struct recorder *recorder, const unsigned char *bytes, size_t size)
{
    struct mprof_site record;
    memcpy(&record, bytes, size);
    struct recorder_site site = {
        .rank = record.rank, .line = record.line, .live_bytes = record.live_bytes,
        .live_blocks = record.live_blocks, .alloc_count = record.alloc_count,
    };
    size_t text_length = size - offsetof(struct mprof_site, text);
    if (mprof_grow_array((void **)&recorder->sites, &recorder->site_capacity, recorder->site_count,
                      sizeof *recorder->sites) < 0 ||
        recorder_copy_text_pair(record.text, text_length, &site.function, &site.filename) < 0) {
        recorder_lose_profile_data(recorder);
        return;
    }
    recorder->sites[recorder->site_count++] = site;
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
            (double)hello->interval_ns / 1e9, (double)recorder->interval_ns / 1e9);
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
            recorder->main_hello = true;
            recorder->main_flags = hello.flags;
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
        recorder_on_notice(recorder, &notice);
        return 0;
    }
    case MPROF_RECORD_FUNCTION:
    case MPROF_RECORD_LINE:
    case MPROF_RECORD_CALL:
    case MPROF_RECORD_SITE:
        if (!from_main && recorder->children == RECORDER_CHILDREN_IGNORE)
            return 0; /* a child whose library should have stayed quiet */
        if (header.type == MPROF_RECORD_FUNCTION) {
            recorder_on_function(recorder, bytes, size);
        } else if (header.type == MPROF_RECORD_SITE) {
            if (from_main)  /* TOP lines have no pid: the main process's only */
                recorder_on_site(recorder, bytes, size);
        } else if (header.type == MPROF_RECORD_LINE) {
            if (mprof_grow_array((void **)&recorder->lines, &recorder->line_capacity,
                              recorder->line_count, sizeof *recorder->lines) < 0)
                recorder_lose_profile_data(recorder);
            else
                memcpy(&recorder->lines[recorder->line_count++], bytes, sizeof *recorder->lines);
        } else {
            if (mprof_grow_array((void **)&recorder->calls, &recorder->call_capacity,
                              recorder->call_count, sizeof *recorder->calls) < 0)
                recorder_lose_profile_data(recorder);
            else
                memcpy(&recorder->calls[recorder->call_count++], bytes, sizeof *recorder->calls);
        }
        return 0;
    case MPROF_RECORD_BYE:
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
    recorder->mem_samples++;
    recorder->last_mem_time_s = time_s;
    if (rss_bytes > recorder->rss_sample_peak_bytes)
        recorder->rss_sample_peak_bytes = rss_bytes;
    return recorder_push(recorder, &recorder->mem_filter, SERIES_MEM, 0, time_s,
                         (double)rss_bytes);
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

static int recorder_write_meta_u64(struct recorder *recorder, const char *key, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof(text), "%" PRIu64, value);
    return recorder_check(recorder, dat_write_meta(recorder->out, key, text));
}

static int recorder_compare_lines(const void *left, const void *right)
{
    const struct mprof_line *a = left, *b = right;
    if (a->header.pid != b->header.pid)
        return a->header.pid < b->header.pid ? -1 : 1;
    if (a->function_id != b->function_id)
        return a->function_id < b->function_id ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return 0;
}

/* The first of the sorted lines of (pid, id), or line_count when it has none. */
static size_t recorder_first_line_of(const struct recorder *recorder, pid_t pid, uint32_t id)
{
    size_t low = 0, high = recorder->line_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        const struct mprof_line *line = &recorder->lines[middle];
        if (line->header.pid < pid || (line->header.pid == pid && line->function_id < id))
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The source files of the run's tables, each read once; a file that cannot be read is
 * said once. */
struct recorder_sources {
    struct recorder_source {
        const char *path;
        bool readable;
        struct source_file file;
    } *list;
    size_t count, capacity;
};

static const struct source_file *recorder_source(struct recorder *recorder,
                                                 struct recorder_sources *sources,
                                                 const char *path)
{
    static const struct source_file no_file = { 0 };
    for (size_t i = 0; i < sources->count; i++)
        if (strcmp(sources->list[i].path, path) == 0)
            return sources->list[i].readable ? &sources->list[i].file : &no_file;
    if (mprof_grow_array((void **)&sources->list, &sources->capacity, sources->count,
                      sizeof *sources->list) < 0)
        return &no_file;
    struct recorder_source *source = &sources->list[sources->count++];
    source->path = path;
    source->readable = source_read(path, &source->file) == 0;
    if (!source->readable && recorder->notices != NULL) {
        fprintf(recorder->notices,
                "mprof: %s: cannot read the source (%s): its @profile lines are shown "
                "without their text\n", path[0] != '\0' ? path : "(no file name)",
                strerror(errno));
        fflush(recorder->notices);
    }
    return source->readable ? &source->file : &no_file;
}

static void recorder_free_sources(struct recorder_sources *sources)
{
    for (size_t i = 0; i < sources->count; i++)
        if (sources->list[i].readable)
            source_free(&sources->list[i].file);
    free(sources->list);
}

/* The table of one function: a row for every line of its range (extended to any line
 * that ran outside it), the lines that ran filled in, each with its source text. */
static int recorder_build_function(struct recorder *recorder, struct recorder_sources *sources,
                                   const struct recorder_function *function,
                                   struct dat_profiled_function *table)
{
    size_t begin = recorder_first_line_of(recorder, function->pid, function->id), end = begin;
    while (end < recorder->line_count && recorder->lines[end].header.pid == function->pid &&
           recorder->lines[end].function_id == function->id)
        end++;
    uint32_t first = function->first_line, last = function->last_line;
    if (last < first)
        last = first;
    if (begin < end) {
        if (recorder->lines[begin].line < first)
            first = recorder->lines[begin].line;
        if (recorder->lines[end - 1].line > last)
            last = recorder->lines[end - 1].line;
    }
    /* A range no source has: keep only the lines that ran. */
    bool sparse = last - first >= RECORDER_FUNCTION_LINES_MAX;
    size_t row_count = sparse ? end - begin : (size_t)(last - first) + 1;
    *table = (struct dat_profiled_function){
        .pid = function->pid, .id = function->id, .first_line = first, .last_line = last,
        .call_count = function->call_count,
        .name = strdup(function->name), .filename = strdup(function->filename),
        .lines = calloc(row_count > 0 ? row_count : 1, sizeof *table->lines),
    };
    if (table->name == NULL || table->filename == NULL || table->lines == NULL)
        return -1;
    const struct source_file *source = recorder_source(recorder, sources, function->filename);
    size_t next = begin;
    for (uint64_t number = first; number <= last && table->line_count < row_count; number++) {
        struct dat_profiled_line row = { .line = (uint32_t)number };
        bool ran = false;
        for (; next < end && recorder->lines[next].line == number; next++) {
            /* One record per line is the contract; merge repeats rather than drop them. */
            const struct mprof_line *record = &recorder->lines[next];
            row.occurrences += record->occurrences;
            row.increment_bytes += record->increment_bytes;
            if (!ran || record->mem_usage_bytes > row.mem_usage_bytes)
                row.mem_usage_bytes = record->mem_usage_bytes;
            ran = true;
        }
        if (sparse && !ran) {
            if (next < end)
                number = recorder->lines[next].line - 1u;  /* skip to the next that ran */
            else
                break;
            continue;
        }
        row.contents = strdup(source_line(source, (uint32_t)number));
        if (row.contents == NULL)
            return -1;
        table->lines[table->line_count++] = row;
    }
    return 0;
}

/* The tables of the main pid, then of each other pid in order of first appearance. */
static int recorder_build_profiled(struct recorder *recorder)
{
    if (recorder->function_count == 0)
        return 0;
    if (recorder->line_count > 1)
        qsort(recorder->lines, recorder->line_count, sizeof *recorder->lines,
              recorder_compare_lines);
    recorder->profiled = calloc(recorder->function_count, sizeof *recorder->profiled);
    if (recorder->profiled == NULL)
        return -1;
    struct recorder_sources sources = { 0 };
    int status = 0;
    for (int pass = 0; pass < 2 && status == 0; pass++) {
        for (size_t i = 0; i < recorder->function_count && status == 0; i++) {
            const struct recorder_function *function = &recorder->functions[i];
            if ((function->pid == recorder->main_pid) != (pass == 0))
                continue;
            if (pass == 1) {
                /* Other pids: all of a pid's functions at its first one. */
                bool pid_seen = false;
                for (size_t j = 0; j < i && !pid_seen; j++)
                    pid_seen = recorder->functions[j].pid == function->pid;
                if (pid_seen)
                    continue;
            }
            for (size_t j = i; j < recorder->function_count && status == 0; j++) {
                const struct recorder_function *candidate = &recorder->functions[j];
                if (candidate->pid != function->pid)
                    continue;
                bool repeated = false;  /* the same (pid, id) again: the first one counts */
                for (size_t k = 0; k < j && !repeated; k++)
                    repeated = recorder->functions[k].pid == candidate->pid &&
                               recorder->functions[k].id == candidate->id;
                if (repeated)
                    continue;
                struct dat_profiled_function *table = &recorder->profiled[recorder->profiled_count++];
                status = recorder_build_function(recorder, &sources, candidate, table);
            }
            if (pass == 0)
                break;  /* the main pid's functions are all done */
        }
    }
    recorder_free_sources(&sources);
    return status;
}

static int recorder_compare_sites(const void *left, const void *right)
{
    const struct recorder_site *a = left, *b = right;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return 0;
}

/* RSS in MiB at `time_s` for process `pid`, on the curve the plot draws for it. */
static double recorder_rss_mib_at(const struct recorder *recorder, pid_t pid, double time_s,
                                  int64_t fallback_bytes)
{
    const struct recorder_points *points = &recorder->mem_points;
    if (pid != recorder->main_pid && (recorder->children & RECORDER_CHILDREN_SERIES)) {
        for (size_t i = 0; i < recorder->child_count; i++)
            if (recorder->child_list[i].pid == pid && recorder->child_list[i].index >= 0 &&
                recorder->child_list[i].mem_points.count > 0)
                points = &recorder->child_list[i].mem_points;
    }
    double fallback = fallback_bytes > 0 ? (double)fallback_bytes : 0.0;
    return recorder_interpolate(points, time_s, fallback) / DAT_BYTES_PER_MIB;
}

/* PROFILE_FUNC/PROFILE_LINE for every table, TOP for the main process's sites by rank,
 * FUNC for every call. */
static int recorder_write_profile_data(struct recorder *recorder)
{
    if (recorder_build_profiled(recorder) < 0)
        recorder_lose_profile_data(recorder);
    int status = 0;
    if (recorder->profiled_count > 0) {
        char pid_text[24];
        snprintf(pid_text, sizeof pid_text, "%d", (int)recorder->main_pid);
        if (recorder_check(recorder, dat_write_meta(recorder->out, "main_pid", pid_text)) < 0)
            status = -1;
    }
    for (size_t i = 0; i < recorder->profiled_count && status == 0; i++)
        if (recorder_check(recorder, dat_write_profiled(recorder->out,
                                                        &recorder->profiled[i])) < 0)
            status = -1;
    if (recorder->site_count > 1)
        qsort(recorder->sites, recorder->site_count, sizeof *recorder->sites,
              recorder_compare_sites);
    for (size_t i = 0; i < recorder->site_count && status == 0; i++) {
        const struct recorder_site *site = &recorder->sites[i];
        struct dat_top_site top = {
            .rank = site->rank, .live_bytes = site->live_bytes, .live_blocks = site->live_blocks,
            .alloc_count = site->alloc_count, .line = site->line, .function = site->function,
            .filename = site->filename,
        };
        if (recorder_check(recorder, dat_write_top_site(recorder->out, &top)) < 0)
            status = -1;
    }
    for (size_t i = 0; i < recorder->call_count && status == 0; i++) {
        const struct mprof_call *call = &recorder->calls[i];
        const struct recorder_function *function = NULL;
        for (size_t j = 0; j < recorder->function_count && function == NULL; j++)
            if (recorder->functions[j].pid == call->header.pid &&
                recorder->functions[j].id == call->function_id)
                function = &recorder->functions[j];
        if (function == NULL)
            continue;  /* a call of a function never described: nothing to name it by */
        double start_s = (double)call->start_ns / 1e9, end_s = (double)call->end_ns / 1e9;
        struct dat_func func = {
            .name = function->name,
            .mem_start_mib = recorder_rss_mib_at(recorder, call->header.pid, start_s,
                                                 call->heap_start_bytes),
            .start_s = start_s,
            .mem_end_mib = recorder_rss_mib_at(recorder, call->header.pid, end_s,
                                               call->heap_end_bytes),
            .end_s = end_s,
            .stack_level = (int)(call->stack_level > INT32_MAX ? INT32_MAX : call->stack_level),
        };
        if (recorder_check(recorder, dat_write_func(recorder->out, &func)) < 0)
            status = -1;
    }
    return status;
}

int recorder_write_header(struct recorder *recorder, const char *cmdline)
{
    char interval_text[32];
    snprintf(interval_text, sizeof(interval_text), "%.9g",
             (double)recorder->interval_ns / 1e9);
    errno = 0;
    if (recorder_check(recorder, dat_write_cmdline(recorder->out, cmdline)) < 0 ||
        recorder_check(recorder, dat_write_meta(recorder->out, "version", "2")) < 0 ||
        recorder_check(recorder, dat_write_meta(recorder->out, "interval", interval_text)) < 0)
        return -1;
    return 0;
}

void recorder_set_main_pid(struct recorder *recorder, pid_t main_pid)
{
    recorder->main_pid = main_pid;
}

int recorder_end_of_run_sample(struct recorder *recorder)
{
    if ((recorder->children & RECORDER_CHILDREN_SUM) || !recorder->have_main_sample ||
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

uint64_t recorder_peak_rss_bytes(const struct recorder *recorder)
{
    return dat_peak_combine(recorder->rss_sample_peak_bytes, recorder->rss_hwm_bytes);
}

uint64_t recorder_peak_heap_bytes(const struct recorder *recorder)
{
    return dat_peak_combine(recorder->heap_sample_peak_bytes, recorder->heap_hwm_bytes);
}

int recorder_finish(struct recorder *recorder, int exit_status)
{
    int status = 0;
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
    if (recorder_write_profile_data(recorder) < 0)
        status = -1;
    char text[32];
    snprintf(text, sizeof(text), "%d", exit_status);
    if (recorder_check(recorder, dat_write_meta(recorder->out, "exit_status", text)) < 0 ||
        recorder_write_meta_u64(recorder, "samples", recorder->mem_samples) < 0 ||
        recorder_write_meta_u64(recorder, "rss_peak_bytes",
                                recorder_peak_rss_bytes(recorder)) < 0)
        status = -1;
    if (recorder->heap_samples > 0 &&
        (recorder_write_meta_u64(recorder, "heap_samples", recorder->heap_samples) < 0 ||
         recorder_write_meta_u64(recorder, "heap_peak_bytes",
                                 recorder_peak_heap_bytes(recorder)) < 0))
        status = -1;
    if (recorder->rss_hwm_bytes > 0 &&
        recorder_write_meta_u64(recorder, "rss_hwm_bytes", recorder->rss_hwm_bytes) < 0)
        status = -1;
    if (recorder->library_interval_ns != 0 &&
        recorder_write_meta_u64(recorder, "library_interval_ns",
                                recorder->library_interval_ns) < 0)
        status = -1;
    if (recorder->end_signal != 0 && status == 0 && recorder->write_errno == 0 &&
        recorder_write_meta_u64(recorder, "signal", (uint64_t)recorder->end_signal) < 0)
        status = -1;
    return status < 0 || recorder->write_errno != 0 ? -1 : 0;
}
