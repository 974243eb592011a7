/*
 * dat_read_profiles.c — the reader's parsers of the @profile lines (PROFILE_FUNC,
 * PROFILE_LINE) and the whole-program TOP lines (dat_reader.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "dat_fields.h"
#include "dat_reader.h"

/* A malloc'd unescaped copy of `text`, or NULL when out of memory. */
static char *dat_unescaped_copy(const char *text)
{
    char *copy = strdup(text);
    if (copy != NULL)
        dat_unescape(copy);
    return copy;
}

/* PROFILE_FUNC <pid> <id> <first line> <last line> <calls> <name> <file...> */
int dat_parse_profiled_function(struct dat_reader *reader, char *text)
{
    static const char word[] = "PROFILE_FUNC";
    struct dat_profile *profile = reader->profile;
    char *fields[6], *rest;
    if (dat_split_with_rest(text, fields, 6, &rest) < 6) {
        snprintf(reader->why, sizeof reader->why,
                 "PROFILE_FUNC needs <pid> <id> <first line> <last line> <calls> <name> <file>");
        return -1;
    }
    struct dat_profiled_function function = { 0 };
    if (!dat_field_int(reader, word, "<pid>", fields[0], &function.pid) ||
        !dat_field_u32(reader, word, "<id>", fields[1], &function.id) ||
        !dat_field_u32(reader, word, "<first line>", fields[2], &function.first_line) ||
        !dat_field_u32(reader, word, "<last line>", fields[3], &function.last_line) ||
        !dat_field_u32(reader, word, "<calls>", fields[4], &function.call_count))
        return -1;
    if (function.last_line < function.first_line) {
        snprintf(reader->why, sizeof reader->why,
                 "PROFILE_FUNC: <last line> %u is before <first line> %u",
                 function.last_line, function.first_line);
        return -1;
    }
    /* Its table prints every line of its range: the rows no PROFILE_LINE gives are
     * bounded by what a source holds (dat.h), the others by the file's own lines. */
    uint64_t rows = (uint64_t)function.last_line - function.first_line + 1;
    if (reader->ungiven_rows + rows > DAT_UNGIVEN_ROWS_MAX) {
        snprintf(reader->why, sizeof reader->why,
                 "PROFILE_FUNC: lines %u-%u are %" PRIu64 " table rows: with those before "
                 "it, %" PRIu64 " rows no PROFILE_LINE gives, more than any source holds (%u)",
                 function.first_line, function.last_line, rows, reader->ungiven_rows + rows,
                 DAT_UNGIVEN_ROWS_MAX);
        return -1;
    }
    if (mprof_grow_array((void **)&profile->profiled, &reader->profiled_capacity,
                 profile->profiled_count, sizeof *profile->profiled) < 0)
        return DAT_OUT_OF_MEMORY;
    reader->ungiven_rows += rows;
    function.name = dat_unescaped_copy(fields[5]);
    function.filename = dat_unescaped_copy(rest);
    if (function.name == NULL || function.filename == NULL) {
        dat_free_profiled_function(&function);
        return DAT_OUT_OF_MEMORY;
    }
    profile->profiled[profile->profiled_count++] = function;
    return 0;
}

/* The function a PROFILE_LINE belongs to: the latest PROFILE_FUNC with its pid and id. */
static struct dat_profiled_function *dat_reader_profiled(struct dat_reader *reader, int pid,
                                                         uint32_t id)
{
    struct dat_profile *profile = reader->profile;
    for (size_t i = profile->profiled_count; i-- > 0; )
        if (profile->profiled[i].pid == pid && profile->profiled[i].id == id)
            return &profile->profiled[i];
    return NULL;
}

/* PROFILE_LINE <pid> <id> <line> <occurrences> <increment> <mem usage> <text...> */
int dat_parse_profiled_line(struct dat_reader *reader, char *text)
{
    static const char word[] = "PROFILE_LINE";
    char *fields[6], *rest;
    if (dat_split_with_rest(text, fields, 6, &rest) < 6) {
        snprintf(reader->why, sizeof reader->why,
                 "PROFILE_LINE needs <pid> <id> <line> <occurrences> <increment> <mem usage> "
                 "<text>");
        return -1;
    }
    int pid = 0;
    uint32_t id = 0;
    struct dat_profiled_line line = { 0 };
    if (!dat_field_int(reader, word, "<pid>", fields[0], &pid) ||
        !dat_field_u32(reader, word, "<id>", fields[1], &id) ||
        !dat_field_u32(reader, word, "<line>", fields[2], &line.line) ||
        !dat_field_u64(reader, word, "<occurrences>", fields[3], &line.occurrences) ||
        !dat_field_i64(reader, word, "<increment>", fields[4], &line.increment_bytes) ||
        !dat_field_i64(reader, word, "<mem usage>", fields[5], &line.mem_usage_bytes))
        return -1;
    struct dat_profiled_function *function = dat_reader_profiled(reader, pid, id);
    if (function == NULL) {
        snprintf(reader->why, sizeof reader->why,
                 "PROFILE_LINE: no PROFILE_FUNC %d %u before it", pid, id);
        return -1;
    }
    size_t owner = (size_t)(function - reader->profile->profiled);
    if (owner != reader->line_owner) {
        /* Another function's lines: its capacity is at least its count. */
        reader->line_owner = owner;
        reader->line_capacity = function->line_count;
    }
    if (line.line < function->first_line || line.line > function->last_line) {
        snprintf(reader->why, sizeof reader->why,
                 "PROFILE_LINE: line %u is outside its function's lines %u-%u", line.line,
                 function->first_line, function->last_line);
        return -1;
    }
    if (function->line_count > 0 && function->lines[function->line_count - 1].line >= line.line) {
        snprintf(reader->why, sizeof reader->why,
                 "PROFILE_LINE: line %u comes after line %u", line.line,
                 function->lines[function->line_count - 1].line);
        return -1;
    }
    if (mprof_grow_array((void **)&function->lines, &reader->line_capacity, function->line_count,
                 sizeof *function->lines) < 0)
        return DAT_OUT_OF_MEMORY;
    line.contents = dat_unescaped_copy(rest);
    if (line.contents == NULL)
        return DAT_OUT_OF_MEMORY;
    function->lines[function->line_count++] = line;
    reader->ungiven_rows--;  /* a row of its range, given once (ascending, within it) */
    return 0;
}

/* TOP <rank> <live bytes> <live blocks> <allocations> <line> <function> <file...> */
int dat_parse_top_site(struct dat_reader *reader, char *text)
{
    static const char word[] = "TOP";
    struct dat_profile *profile = reader->profile;
    char *fields[6], *rest;
    if (dat_split_with_rest(text, fields, 6, &rest) < 6) {
        snprintf(reader->why, sizeof reader->why,
                 "TOP needs <rank> <live bytes> <live blocks> <allocations> <line> <function> "
                 "<file>");
        return -1;
    }
    struct dat_top_site site = { 0 };
    if (!dat_field_u32(reader, word, "<rank>", fields[0], &site.rank) ||
        !dat_field_i64(reader, word, "<live bytes>", fields[1], &site.live_bytes) ||
        !dat_field_u64(reader, word, "<live blocks>", fields[2], &site.live_blocks) ||
        !dat_field_u64(reader, word, "<allocations>", fields[3], &site.alloc_count) ||
        !dat_field_u32(reader, word, "<line>", fields[4], &site.line))
        return -1;
    if (mprof_grow_array((void **)&profile->top_sites, &reader->top_capacity, profile->top_site_count,
                 sizeof *profile->top_sites) < 0)
        return DAT_OUT_OF_MEMORY;
    site.function = dat_unescaped_copy(fields[5]);
    site.filename = dat_unescaped_copy(rest);
    if (site.function == NULL || site.filename == NULL) {
        dat_free_top_site(&site);
        return DAT_OUT_OF_MEMORY;
    }
    profile->top_sites[profile->top_site_count++] = site;
    return 0;
}

/* Each keyword's parser takes the rest of the line after its word (split in place)
 * and returns 0, -1 with reader->why filled, or DAT_OUT_OF_MEMORY. */

