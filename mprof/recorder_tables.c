/*
 * recorder_tables.c — the @profile data of a run (FUNCTION, LINE, CALL and SITE records,
 * sent once at the end of each profiled process), kept as they come and turned into the
 * .dat's PROFILE_FUNC, PROFILE_LINE, TOP and FUNC lines when the run ends (see
 * recorder.h for what they become, recorder_tables.h for the contract).
 *
 * Invariant: every table is built from sorted copies (lines by (pid, id, line),
 * functions by (pid, id, arrival)), so the end of a run costs O(n log n) however many
 * functions, lines and calls the library sent, and a repeated record changes nothing.
 */
#include "recorder_tables.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "dat.h"
#include "source.h"
#include "terminal_text.h"

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

static void recorder_keep_function(struct recorder *recorder, const unsigned char *bytes,
                                 size_t size)
{
    struct mprof_function record;
    memcpy(&record, bytes, size);
    struct dat_profiled_function function = {
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
    /* A third string, when there is one, names the FUNC lines (protocol.h). */
    size_t pair_length = strlen(function.name) + 1 + strlen(function.filename) + 1;
    if (pair_length < text_length) {
        const char *third = record.text + pair_length;
        size_t third_length = strnlen(third, text_length - pair_length);
        if (third_length > 0 && strcmp(third, function.name) != 0 &&
            (function.bracket_name = strndup(third, third_length)) == NULL) {
            dat_free_profiled_function(&function);
            recorder_lose_profile_data(recorder);
            return;
        }
    }
    recorder->functions[recorder->function_count++] = function;
}

static void recorder_keep_site(struct recorder *recorder, const unsigned char *bytes, size_t size)
{
    struct mprof_site record;
    memcpy(&record, bytes, size);
    if (record.rank == 0) {
        recorder->have_no_line = true;
        recorder->no_line_bytes = record.live_bytes;
        recorder->no_line_heap_bytes = record.alloc_count;
        return;
    }
    struct dat_top_site site = {
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

void recorder_tables_keep(struct recorder *recorder, const unsigned char *bytes, size_t size)
{
    struct mprof_record_header header;
    memcpy(&header, bytes, sizeof(header));
    switch (header.type) {
    case MPROF_RECORD_FUNCTION:
        recorder_keep_function(recorder, bytes, size);
        break;
    case MPROF_RECORD_SITE:
        recorder_keep_site(recorder, bytes, size);
        break;
    case MPROF_RECORD_LINE:
        if (mprof_grow_array((void **)&recorder->lines, &recorder->line_capacity,
                             recorder->line_count, sizeof *recorder->lines) < 0)
            recorder_lose_profile_data(recorder);
        else
            memcpy(&recorder->lines[recorder->line_count++], bytes, sizeof *recorder->lines);
        break;
    case MPROF_RECORD_CALL:
        if (mprof_grow_array((void **)&recorder->calls, &recorder->call_capacity,
                             recorder->call_count, sizeof *recorder->calls) < 0)
            recorder_lose_profile_data(recorder);
        else
            memcpy(&recorder->calls[recorder->call_count++], bytes, sizeof *recorder->calls);
        break;
    default:
        break;  /* not a table's record */
    }
}

void recorder_tables_free(struct recorder *recorder)
{
    for (size_t i = 0; i < recorder->function_count; i++)
        dat_free_profiled_function(&recorder->functions[i]);
    free(recorder->functions);
    recorder->functions = NULL;
    recorder->function_count = recorder->function_capacity = 0;
    free(recorder->lines);
    recorder->lines = NULL;
    recorder->line_count = recorder->line_capacity = 0;
    free(recorder->calls);
    recorder->calls = NULL;
    recorder->call_count = recorder->call_capacity = 0;
    for (size_t i = 0; i < recorder->site_count; i++)
        dat_free_top_site(&recorder->sites[i]);
    free(recorder->sites);
    recorder->sites = NULL;
    recorder->site_count = recorder->site_capacity = 0;
    for (size_t i = 0; i < recorder->profiled_count; i++)
        dat_free_profiled_function(&recorder->profiled[i]);
    free(recorder->profiled);
    recorder->profiled = NULL;
    recorder->profiled_count = 0;
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
        int read_errno = errno;
        fputs("mprof: ", recorder->notices);
        terminal_text_put(recorder->notices, path[0] != '\0' ? path : "(no file name)");
        fprintf(recorder->notices, ": cannot read the source (%s): its @profile lines are "
                "shown without their text\n", strerror(read_errno));
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
 * that ran outside it), the lines that ran filled in, each with its source text. The
 * rows no LINE record gave are counted in *ungiven_rows: past DAT_UNGIVEN_ROWS_MAX over
 * the run (a range no source has, as a broken library could send) the table is left
 * out, and 1 returned with *table untouched; else 0, or -1 out of memory. */
static int recorder_build_function(struct recorder *recorder, struct recorder_sources *sources,
                                   const struct dat_profiled_function *function,
                                   struct dat_profiled_function *table, uint64_t *ungiven_rows)
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
    uint64_t row_count = (uint64_t)last - first + 1, ran_rows = 0;
    for (size_t i = begin; i < end; i++)
        if (i == begin || recorder->lines[i].line != recorder->lines[i - 1].line)
            ran_rows++;
    if (*ungiven_rows + (row_count - ran_rows) > DAT_UNGIVEN_ROWS_MAX)
        return 1;
    *ungiven_rows += row_count - ran_rows;
    *table = (struct dat_profiled_function){
        .pid = function->pid, .id = function->id, .first_line = first, .last_line = last,
        .call_count = function->call_count,
        .name = strdup(function->name), .filename = strdup(function->filename),
        .lines = calloc((size_t)row_count, sizeof *table->lines),
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
            if (__builtin_add_overflow(row.occurrences, record->occurrences, &row.occurrences))
                row.occurrences = UINT64_MAX;
            if (__builtin_add_overflow(row.increment_bytes, record->increment_bytes,
                                       &row.increment_bytes))
                row.increment_bytes = record->increment_bytes < 0 ? INT64_MIN : INT64_MAX;
            if (!ran || record->mem_usage_bytes > row.mem_usage_bytes)
                row.mem_usage_bytes = record->mem_usage_bytes;
            ran = true;
        }
        row.contents = strdup(source_line(source, (uint32_t)number));
        if (row.contents == NULL)
            return -1;
        table->lines[table->line_count++] = row;
    }
    return 0;
}

/* A function whose table would print rows no source has: said, once per function. */
static void recorder_leave_out(struct recorder *recorder,
                               const struct dat_profiled_function *function)
{
    if (recorder->notices == NULL)
        return;
    fprintf(recorder->notices, "mprof: %d: @profile function ", function->pid);
    terminal_text_put(recorder->notices, function->name);
    fprintf(recorder->notices, ": lines %u-%u are more rows than any source holds (over %u "
            "with the tables before it that no line ran in): its table is left out\n",
            function->first_line, function->last_line, DAT_UNGIVEN_ROWS_MAX);
    fflush(recorder->notices);
}

/* One FUNCTION record in the orders the tables need: by (pid, id, arrival) to find a
 * function and its repeats, then by where its table goes. */
struct recorder_function_ref {
    size_t index;        /* in recorder->functions, i.e. arrival order */
    pid_t pid;
    uint32_t id;
    size_t pid_first;    /* arrival index of its pid's first FUNCTION record */
    bool main;           /* the main pid's: its tables come first */
};

static int recorder_compare_by_key(const void *left, const void *right)
{
    const struct recorder_function_ref *a = left, *b = right;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int recorder_compare_by_table_order(const void *left, const void *right)
{
    const struct recorder_function_ref *a = left, *b = right;
    if (a->main != b->main)
        return a->main ? -1 : 1;
    if (a->pid_first != b->pid_first)
        return a->pid_first < b->pid_first ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* The FUNCTION records sorted by (pid, id, arrival), each with its pid's first
 * arrival: malloc'd, function_count long, or NULL out of memory. */
static struct recorder_function_ref *recorder_sorted_functions(const struct recorder *recorder)
{
    size_t count = recorder->function_count;
    struct recorder_function_ref *refs = calloc(count > 0 ? count : 1, sizeof *refs);
    if (refs == NULL)
        return NULL;
    for (size_t i = 0; i < count; i++)
        refs[i] = (struct recorder_function_ref){
            .index = i, .pid = recorder->functions[i].pid, .id = recorder->functions[i].id,
            .main = recorder->functions[i].pid == recorder->main_pid,
        };
    qsort(refs, count, sizeof *refs, recorder_compare_by_key);
    for (size_t start = 0; start < count; ) {
        size_t end = start, first = refs[start].index;
        for (; end < count && refs[end].pid == refs[start].pid; end++)
            if (refs[end].index < first)
                first = refs[end].index;
        for (size_t i = start; i < end; i++)
            refs[i].pid_first = first;
        start = end;
    }
    return refs;
}

/* The first FUNCTION record of (pid, id) in `refs` (sorted by key), or NULL. */
static const struct dat_profiled_function *recorder_lookup_function(
    const struct recorder *recorder, const struct recorder_function_ref *refs, pid_t pid,
    uint32_t id)
{
    size_t low = 0, high = recorder->function_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (refs[middle].pid < pid || (refs[middle].pid == pid && refs[middle].id < id))
            low = middle + 1;
        else
            high = middle;
    }
    if (low < recorder->function_count && refs[low].pid == pid && refs[low].id == id)
        return &recorder->functions[refs[low].index];
    return NULL;
}

/* Whether a FUNCTION record is a named bracket, a timed block (protocol.h). */
static bool recorder_is_bracket(const struct dat_profiled_function *function)
{
    return function->first_line == 0 && function->last_line == 0;
}

/* The tables of the main pid, then of each other pid in order of its first FUNCTION
 * record; within a pid in arrival order; a repeated (pid, id) counts once, the first.
 * `refs` is sorted by key and comes back so. */
static int recorder_build_profiled(struct recorder *recorder, struct recorder_function_ref *refs)
{
    if (recorder->function_count == 0)
        return 0;
    if (recorder->line_count > 1)
        qsort(recorder->lines, recorder->line_count, sizeof *recorder->lines,
              recorder_compare_lines);
    recorder->profiled = calloc(recorder->function_count, sizeof *recorder->profiled);
    struct recorder_function_ref *order = malloc(recorder->function_count * sizeof *order);
    if (recorder->profiled == NULL || order == NULL) {
        free(order);
        return -1;
    }
    /* The first of each (pid, id) run in key order is the one that counts; a named
     * bracket (lines 0 to 0, protocol.h) has FUNC lines but no table. */
    size_t kept = 0;
    for (size_t i = 0; i < recorder->function_count; i++)
        if ((i == 0 || refs[i].pid != refs[i - 1].pid || refs[i].id != refs[i - 1].id) &&
            !recorder_is_bracket(&recorder->functions[refs[i].index]))
            order[kept++] = refs[i];
    qsort(order, kept, sizeof *order, recorder_compare_by_table_order);
    struct recorder_sources sources = { 0 };
    uint64_t ungiven_rows = 0;
    int status = 0;
    for (size_t i = 0; i < kept && status >= 0; i++) {
        const struct dat_profiled_function *function = &recorder->functions[order[i].index];
        struct dat_profiled_function *table = &recorder->profiled[recorder->profiled_count++];
        status = recorder_build_function(recorder, &sources, function, table, &ungiven_rows);
        if (status == 1) {
            recorder->profiled_count--;
            recorder_leave_out(recorder, function);
        }
    }
    if (status > 0)
        status = 0;
    recorder_free_sources(&sources);
    free(order);
    return status;
}

static int recorder_compare_sites(const void *left, const void *right)
{
    const struct dat_top_site *a = left, *b = right;
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

int recorder_tables_write(struct recorder *recorder)
{
    struct recorder_function_ref *refs = recorder_sorted_functions(recorder);
    if (refs == NULL || recorder_build_profiled(recorder, refs) < 0)
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
    for (size_t i = 0; i < recorder->site_count && status == 0; i++)
        if (recorder_check(recorder, dat_write_top_site(recorder->out, &recorder->sites[i])) < 0)
            status = -1;
    if (recorder->have_no_line && recorder->site_count > 0 && status == 0) {
        char text[32];
        snprintf(text, sizeof text, "%" PRId64, recorder->no_line_bytes > 0 ? recorder->no_line_bytes : 0);
        if (recorder_check(recorder, dat_write_meta(recorder->out, "top_no_line_bytes", text)) < 0)
            status = -1;
        snprintf(text, sizeof text, "%" PRIu64, recorder->no_line_heap_bytes);
        if (status == 0 &&
            recorder_check(recorder, dat_write_meta(recorder->out, "top_heap_bytes", text)) < 0)
            status = -1;
    }
    for (size_t i = 0; i < recorder->call_count && status == 0; i++) {
        const struct mprof_call *call = &recorder->calls[i];
        const struct dat_profiled_function *function =
            refs != NULL ? recorder_lookup_function(recorder, refs, call->header.pid,
                                                    call->function_id)
                         : NULL;
        if (function == NULL)
            continue;  /* a call of a function never described: nothing to name it by */
        double start_s = (double)call->start_ns / 1e9, end_s = (double)call->end_ns / 1e9;
        struct dat_func func = {
            .name = function->bracket_name != NULL ? function->bracket_name : function->name,
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
    free(refs);
    return status;
}
