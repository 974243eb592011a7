/*
 * dat.c — memory_profiler's .dat text format: reader, line writers, and the listing of
 * a directory's mprofile_*.dat files (the contract is mprof/dat.h).
 *
 * Invariant: whatever the writers produce, the reader here and the original tool's
 * reader (mprof.py's read_mprofile_file, which splits on single spaces and skips unknown
 * first words) both read back. So every field a writer emits is a single space-free
 * token except CMDLINE's and MPROF's value, which run to the end of the line and never
 * contain a newline.
 *
 * The reader trusts nothing: a .dat can come from anyone. Each line is checked whole;
 * the first bad line stops the read with one message naming the file and the line.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dat.h"
#include "utf8.h"

#define DAT_FIELDS_MAX 8

/* ---------------------------------------------------------------- reader helpers */

static void dat_set_error(char *error, size_t error_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void dat_set_error(char *error, size_t error_size, const char *format, ...)
{
    if (error == NULL || error_size == 0)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_size, format, args);
    va_end(args);
}

/* Split `line` in place on spaces and tabs into at most `max` fields; the last field
 * keeps the rest of the line when there are more. Returns the field count. */
static size_t dat_split(char *line, char **fields, size_t max)
{
    size_t count = 0;
    char *cursor = line;
    while (count < max) {
        while (*cursor == ' ' || *cursor == '\t')
            cursor++;
        if (*cursor == '\0')
            break;
        fields[count++] = cursor;
        if (count == max)
            break;
        while (*cursor != '\0' && *cursor != ' ' && *cursor != '\t')
            cursor++;
        if (*cursor == '\0')
            break;
        *cursor++ = '\0';
    }
    return count;
}

/* A finite number filling the whole field ("nan", "inf", "12abc" are refused). */
static bool dat_parse_double(const char *field, double *value)
{
    char *end;
    errno = 0;
    double parsed = strtod(field, &end);
    if (end == field || *end != '\0' || errno == ERANGE || !isfinite(parsed))
        return false;
    *value = parsed;
    return true;
}

static bool dat_parse_int(const char *field, int *value)
{
    char *end;
    errno = 0;
    long parsed = strtol(field, &end, 10);
    if (end == field || *end != '\0' || errno == ERANGE || parsed < INT32_MIN || parsed > INT32_MAX)
        return false;
    *value = (int)parsed;
    return true;
}

static bool dat_parse_u64(const char *field, uint64_t *value)
{
    if (!isdigit((unsigned char)field[0]))  /* strtoull would take "-1" as 2^64-1 */
        return false;
    char *end;
    errno = 0;
    unsigned long long parsed = strtoull(field, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return false;
    *value = parsed;
    return true;
}

static bool dat_parse_i64(const char *field, int64_t *value)
{
    const char *digits = field[0] == '-' ? field + 1 : field;
    if (!isdigit((unsigned char)digits[0]))
        return false;
    char *end;
    errno = 0;
    long long parsed = strtoll(field, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return false;
    *value = parsed;
    return true;
}

static bool dat_parse_u32(const char *field, uint32_t *value)
{
    uint64_t parsed;
    if (!dat_parse_u64(field, &parsed) || parsed > UINT32_MAX)
        return false;
    *value = (uint32_t)parsed;
    return true;
}

/* Split `text` in place into exactly `count` space-free tokens, each followed by one
 * space, and the rest of the line (which keeps its spaces and tabs; "" when the line
 * ends after the last token). Returns the number of tokens found. */
static size_t dat_split_with_rest(char *text, char **fields, size_t count, char **rest)
{
    size_t found = 0;
    char *cursor = text;
    *rest = NULL;
    while (found < count && *cursor != '\0') {
        fields[found++] = cursor;
        cursor += strcspn(cursor, " ");
        if (*cursor == '\0')
            break;
        *cursor++ = '\0';
    }
    if (found == count)
        *rest = cursor;
    return found;
}

static int dat_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Undo the writers' escaping in place: "\\" and "\xHH" (not \x00, which a C string
 * cannot hold: it stays as written). Anything else stays as it is. */
static void dat_unescape(char *text)
{
    char *out = text;
    for (const char *in = text; *in != '\0'; ) {
        if (in[0] == '\\' && in[1] == '\\') {
            *out++ = '\\';
            in += 2;
            continue;
        }
        if (in[0] == '\\' && in[1] == 'x') {
            int high = dat_hex_value(in[2]), low = high >= 0 ? dat_hex_value(in[3]) : -1;
            if (low >= 0 && (high | low) != 0) {
                *out++ = (char)(high * 16 + low);
                in += 4;
                continue;
            }
        }
        *out++ = *in++;
    }
    *out = '\0';
}

/* The reader's working state: capacities beside the profile's arrays. */
struct dat_reader {
    struct dat_profile *profile;
    size_t mem_capacity, heap_capacity, child_capacity, func_capacity, meta_capacity;
    size_t profiled_capacity, top_capacity;
    size_t line_capacity;  /* of the lines of profiled[line_owner] */
    size_t line_owner;
    size_t *child_mem_capacity, *child_heap_capacity;  /* parallel to profile->children */
    bool any_known_line;
    char why[DAT_ERROR_MAX];  /* what is wrong with the current line */
};

static const char *const dat_known_words[] = {
    "CMDLINE", "MEM", "CHLD", "FUNC", "HEAP", "CHLDHEAP", "MPROF",
    "PROFILE_FUNC", "PROFILE_LINE", "TOP",
};

static bool dat_is_known_word(const char *word)
{
    for (size_t i = 0; i < sizeof dat_known_words / sizeof dat_known_words[0]; i++)
        if (strcmp(word, dat_known_words[i]) == 0)
            return true;
    return false;
}

/* A final line cut short may have lost the end of its first word: "ME" of "MEM". */
static bool dat_is_prefix_of_known_word(const char *word)
{
    size_t length = strlen(word);
    for (size_t i = 0; i < sizeof dat_known_words / sizeof dat_known_words[0]; i++)
        if (length > 0 && strncmp(word, dat_known_words[i], length) == 0)
            return true;
    return false;
}

static struct dat_child *dat_reader_child(struct dat_reader *reader, int index)
{
    struct dat_profile *profile = reader->profile;
    for (size_t i = 0; i < profile->child_count; i++)
        if (profile->children[i].index == index)
            return &profile->children[i];
    size_t old_capacity = reader->child_capacity;
    if (mprof_grow_array((void **)&profile->children, &reader->child_capacity, profile->child_count,
                 sizeof *profile->children) < 0)
        return NULL;
    if (reader->child_capacity != old_capacity) {
        size_t *mem_caps = realloc(reader->child_mem_capacity,
                                   reader->child_capacity * sizeof *mem_caps);
        if (mem_caps == NULL)
            return NULL;
        reader->child_mem_capacity = mem_caps;
        size_t *heap_caps = realloc(reader->child_heap_capacity,
                                    reader->child_capacity * sizeof *heap_caps);
        if (heap_caps == NULL)
            return NULL;
        reader->child_heap_capacity = heap_caps;
    }
    size_t slot = profile->child_count++;
    profile->children[slot] = (struct dat_child){ .index = index };
    reader->child_mem_capacity[slot] = 0;
    reader->child_heap_capacity[slot] = 0;
    return &profile->children[slot];
}

static size_t dat_reader_child_slot(struct dat_reader *reader, const struct dat_child *child)
{
    return (size_t)(child - reader->profile->children);
}

/* Field checks that explain themselves: "MEM: <time> is not a number: '12x'". The
 * field is quoted with anything unprintable replaced, since it goes to a terminal. */
static bool dat_reject_field(struct dat_reader *reader, const char *word, const char *label,
                             const char *field, const char *kind)
{
    char shown[41];
    size_t i = 0;
    for (; field[i] != '\0' && i < sizeof shown - 1; i++)
        shown[i] = isprint((unsigned char)field[i]) ? field[i] : '?';
    shown[i] = '\0';
    snprintf(reader->why, sizeof reader->why, "%s: %s is not %s: '%s%s'", word, label, kind,
             shown, field[i] != '\0' ? "..." : "");
    return false;
}

static bool dat_field_double(struct dat_reader *reader, const char *word, const char *label,
                             const char *field, double *value)
{
    return dat_parse_double(field, value) ||
           dat_reject_field(reader, word, label, field, "a number");
}

static bool dat_field_int(struct dat_reader *reader, const char *word, const char *label,
                          const char *field, int *value)
{
    return dat_parse_int(field, value) ||
           dat_reject_field(reader, word, label, field, "an integer");
}

static bool dat_field_u64(struct dat_reader *reader, const char *word, const char *label,
                          const char *field, uint64_t *value)
{
    return dat_parse_u64(field, value) ||
           dat_reject_field(reader, word, label, field, "a byte count");
}

#define DAT_OUT_OF_MEMORY (-2)

static bool dat_field_i64(struct dat_reader *reader, const char *word, const char *label,
                          const char *field, int64_t *value)
{
    return dat_parse_i64(field, value) ||
           dat_reject_field(reader, word, label, field, "an integer");
}

static bool dat_field_u32(struct dat_reader *reader, const char *word, const char *label,
                          const char *field, uint32_t *value)
{
    return dat_parse_u32(field, value) ||
           dat_reject_field(reader, word, label, field, "a count");
}

/* A malloc'd unescaped copy of `text`, or NULL when out of memory. */
static char *dat_unescaped_copy(const char *text)
{
    char *copy = strdup(text);
    if (copy != NULL)
        dat_unescape(copy);
    return copy;
}

/* PROFILE_FUNC <pid> <id> <first line> <last line> <calls> <name> <file...> */
static int dat_parse_profiled_function(struct dat_reader *reader, char *text)
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
    if (mprof_grow_array((void **)&profile->profiled, &reader->profiled_capacity,
                 profile->profiled_count, sizeof *profile->profiled) < 0)
        return DAT_OUT_OF_MEMORY;
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
static int dat_parse_profiled_line(struct dat_reader *reader, char *text)
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
    return 0;
}

/* TOP <rank> <live bytes> <live blocks> <allocations> <line> <function> <file...> */
static int dat_parse_top_site(struct dat_reader *reader, char *text)
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

/* Parse one line (newline and CR stripped). Returns 0, -1 with reader->why filled, or
 * DAT_OUT_OF_MEMORY. Unknown first words are skipped, as the original does. */
static int dat_parse_line(struct dat_reader *reader, char *line)
{
    struct dat_profile *profile = reader->profile;
    char *fields[DAT_FIELDS_MAX];
    char *word_end = line + strcspn(line, " \t");
    char saved = *word_end;
    *word_end = '\0';
    if (!dat_is_known_word(line)) {
        *word_end = saved;
        return 0;
    }
    const char *word = line;
    char *rest = saved == '\0' ? word_end : word_end + 1;
    reader->any_known_line = true;

    if (strcmp(word, "CMDLINE") == 0) {
        char *copy = strdup(rest);
        if (copy == NULL)
            return DAT_OUT_OF_MEMORY;
        free(profile->cmdline);  /* the last one wins, as in the original */
        profile->cmdline = copy;
        return 0;
    }
    if (strcmp(word, "MPROF") == 0) {
        size_t count = dat_split(rest, fields, 2);
        if (count < 1) {
            snprintf(reader->why, sizeof reader->why, "MPROF needs <key> <value>");
            return -1;
        }
        if (mprof_grow_array((void **)&profile->meta, &reader->meta_capacity, profile->meta_count,
                     sizeof *profile->meta) < 0)
            return DAT_OUT_OF_MEMORY;
        char *key = strdup(fields[0]);
        char *value = strdup(count == 2 ? fields[1] : "");
        if (key == NULL || value == NULL) {
            free(key);
            free(value);
            return DAT_OUT_OF_MEMORY;
        }
        profile->meta[profile->meta_count++] = (struct dat_meta){ key, value };
        return 0;
    }

    if (strcmp(word, "PROFILE_FUNC") == 0)
        return dat_parse_profiled_function(reader, rest);
    if (strcmp(word, "PROFILE_LINE") == 0)
        return dat_parse_profiled_line(reader, rest);
    if (strcmp(word, "TOP") == 0)
        return dat_parse_top_site(reader, rest);

    size_t count = dat_split(rest, fields, DAT_FIELDS_MAX);
    if (strcmp(word, "MEM") == 0) {
        struct dat_sample sample;
        if (count < 2) {
            snprintf(reader->why, sizeof reader->why, "MEM needs <MiB> <time>");
            return -1;
        }
        if (!dat_field_double(reader, word, "<MiB>", fields[0], &sample.mem_mib) ||
            !dat_field_double(reader, word, "<time>", fields[1], &sample.time_s))
            return -1;
        if (mprof_grow_array((void **)&profile->mem, &reader->mem_capacity, profile->mem_count,
                     sizeof *profile->mem) < 0)
            return DAT_OUT_OF_MEMORY;
        profile->mem[profile->mem_count++] = sample;
        return 0;
    }
    if (strcmp(word, "HEAP") == 0) {
        /* Version 1 files had the MiB before the time: "HEAP <MiB> <time> <bytes>". */
        struct dat_heap_sample sample;
        if (count < 2) {
            snprintf(reader->why, sizeof reader->why, "HEAP needs <time> <bytes>");
            return -1;
        }
        size_t first = count >= 3 ? 1 : 0;
        if (!dat_field_double(reader, word, "<time>", fields[first], &sample.time_s) ||
            !dat_field_u64(reader, word, "<bytes>", fields[first + 1], &sample.heap_bytes))
            return -1;
        if (mprof_grow_array((void **)&profile->heap, &reader->heap_capacity, profile->heap_count,
                     sizeof *profile->heap) < 0)
            return DAT_OUT_OF_MEMORY;
        profile->heap[profile->heap_count++] = sample;
        return 0;
    }
    if (strcmp(word, "CHLD") == 0) {
        struct dat_sample sample;
        int index;
        if (count < 3) {
            snprintf(reader->why, sizeof reader->why, "CHLD needs <index> <MiB> <time>");
            return -1;
        }
        if (!dat_field_int(reader, word, "<index>", fields[0], &index) ||
            !dat_field_double(reader, word, "<MiB>", fields[1], &sample.mem_mib) ||
            !dat_field_double(reader, word, "<time>", fields[2], &sample.time_s))
            return -1;
        struct dat_child *child = dat_reader_child(reader, index);
        if (child == NULL)
            return DAT_OUT_OF_MEMORY;
        size_t slot = dat_reader_child_slot(reader, child);
        if (mprof_grow_array((void **)&child->mem, &reader->child_mem_capacity[slot], child->mem_count,
                     sizeof *child->mem) < 0)
            return DAT_OUT_OF_MEMORY;
        child->mem[child->mem_count++] = sample;
        return 0;
    }
    if (strcmp(word, "CHLDHEAP") == 0) {
        /* Version 1: "CHLDHEAP <index> <MiB> <time> <bytes>". */
        struct dat_heap_sample sample;
        int index;
        if (count < 3) {
            snprintf(reader->why, sizeof reader->why, "CHLDHEAP needs <index> <time> <bytes>");
            return -1;
        }
        size_t first = count >= 4 ? 2 : 1;
        if (!dat_field_int(reader, word, "<index>", fields[0], &index) ||
            !dat_field_double(reader, word, "<time>", fields[first], &sample.time_s) ||
            !dat_field_u64(reader, word, "<bytes>", fields[first + 1], &sample.heap_bytes))
            return -1;
        struct dat_child *child = dat_reader_child(reader, index);
        if (child == NULL)
            return DAT_OUT_OF_MEMORY;
        size_t slot = dat_reader_child_slot(reader, child);
        if (mprof_grow_array((void **)&child->heap, &reader->child_heap_capacity[slot], child->heap_count,
                     sizeof *child->heap) < 0)
            return DAT_OUT_OF_MEMORY;
        child->heap[child->heap_count++] = sample;
        return 0;
    }
    /* FUNC */
    struct dat_func func = { .stack_level = -1 };
    if (count < 5) {
        snprintf(reader->why, sizeof reader->why,
                 "FUNC needs <name> <MiB start> <start> <MiB end> <end> [<level>]");
        return -1;
    }
    if (!dat_field_double(reader, word, "<MiB start>", fields[1], &func.mem_start_mib) ||
        !dat_field_double(reader, word, "<start>", fields[2], &func.start_s) ||
        !dat_field_double(reader, word, "<MiB end>", fields[3], &func.mem_end_mib) ||
        !dat_field_double(reader, word, "<end>", fields[4], &func.end_s) ||
        (count >= 6 && !dat_field_int(reader, word, "<level>", fields[5], &func.stack_level)))
        return -1;
    if (mprof_grow_array((void **)&profile->funcs, &reader->func_capacity, profile->func_count,
                 sizeof *profile->funcs) < 0)
        return DAT_OUT_OF_MEMORY;
    func.name = strdup(fields[0]);
    if (func.name == NULL)
        return DAT_OUT_OF_MEMORY;
    profile->funcs[profile->func_count++] = func;
    return 0;
}

/* Binary data is told from text by a NUL or a control character outside the usual
 * whitespace; such a line is never a .dat line. */
static bool dat_line_is_binary(const char *line, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
            return true;
    }
    return false;
}

/* ---------------------------------------------------------------- reader */

int dat_read(const char *path, struct dat_profile *profile, char *error, size_t error_size)
{
    memset(profile, 0, sizeof *profile);
    struct dat_reader reader = { .profile = profile };
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        dat_set_error(error, error_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    profile->path = strdup(path);
    if (profile->path == NULL) {
        dat_set_error(error, error_size, "%s: out of memory", path);
        fclose(in);
        return -1;
    }

    char *line = NULL;
    size_t line_capacity = 0;
    size_t line_number = 0;
    int status = 0;
    ssize_t length;
    errno = 0;
    while ((length = getline(&line, &line_capacity, in)) >= 0) {
        line_number++;
        if (dat_line_is_binary(line, (size_t)length)) {
            dat_set_error(error, error_size, "%s: line %zu: binary data, not a .dat file",
                          path, line_number);
            status = -1;
            break;
        }
        bool terminated = length > 0 && line[length - 1] == '\n';
        if (terminated)
            line[--length] = '\0';
        if (length > 0 && line[length - 1] == '\r')
            line[--length] = '\0';

        /* Keep the first word: the parser splits the line in place. */
        char first_word[16];
        size_t word_length = strcspn(line, " \t");
        snprintf(first_word, sizeof first_word, "%.*s",
                 (int)(word_length < sizeof first_word ? word_length : sizeof first_word - 1),
                 line);

        int parsed = dat_parse_line(&reader, line);
        if (parsed == DAT_OUT_OF_MEMORY) {
            dat_set_error(error, error_size, "%s: line %zu: out of memory", path, line_number);
            status = -1;
            break;
        }
        if (parsed < 0) {
            dat_set_error(error, error_size, "%s: line %zu: %s%s%s", path, line_number,
                          terminated ? "" : "truncated (", reader.why, terminated ? "" : ")");
            status = -1;
            break;
        }
        if (!terminated && !dat_is_known_word(first_word) && word_length == (size_t)length &&
            dat_is_prefix_of_known_word(first_word)) {
            dat_set_error(error, error_size, "%s: line %zu: truncated (%s)", path,
                          line_number, "a known word cut short");
            status = -1;
            break;
        }
        errno = 0;
    }
    if (status == 0 && ferror(in)) {
        dat_set_error(error, error_size, "%s: %s", path, strerror(errno ? errno : EIO));
        status = -1;
    }
    free(line);
    fclose(in);
    free(reader.child_mem_capacity);
    free(reader.child_heap_capacity);

    if (status == 0 && line_number == 0) {
        dat_set_error(error, error_size, "%s: empty file", path);
        status = -1;
    } else if (status == 0 && !reader.any_known_line) {
        dat_set_error(error, error_size,
                      "%s: not a .dat file (no CMDLINE, MEM, CHLD or FUNC line in %zu lines)",
                      path, line_number);
        status = -1;
    } else if (status == 0 && profile->mem_count == 0) {
        dat_set_error(error, error_size, "%s: no MEM line (no memory samples)", path);
        status = -1;
    }
    if (status < 0)
        dat_free(profile);
    return status;
}

void dat_free(struct dat_profile *profile)
{
    if (profile == NULL)
        return;
    free(profile->path);
    free(profile->cmdline);
    free(profile->mem);
    free(profile->heap);
    for (size_t i = 0; i < profile->child_count; i++) {
        free(profile->children[i].mem);
        free(profile->children[i].heap);
    }
    free(profile->children);
    for (size_t i = 0; i < profile->func_count; i++)
        free(profile->funcs[i].name);
    free(profile->funcs);
    for (size_t i = 0; i < profile->meta_count; i++) {
        free(profile->meta[i].key);
        free(profile->meta[i].value);
    }
    free(profile->meta);
    for (size_t i = 0; i < profile->profiled_count; i++)
        dat_free_profiled_function(&profile->profiled[i]);
    free(profile->profiled);
    for (size_t i = 0; i < profile->top_site_count; i++)
        dat_free_top_site(&profile->top_sites[i]);
    free(profile->top_sites);
    memset(profile, 0, sizeof *profile);
}

void dat_free_profiled_function(struct dat_profiled_function *function)
{
    free(function->name);
    free(function->filename);
    for (size_t i = 0; i < function->line_count; i++)
        free(function->lines[i].contents);
    free(function->lines);
    memset(function, 0, sizeof *function);
}

void dat_free_top_site(struct dat_top_site *site)
{
    free(site->function);
    free(site->filename);
    memset(site, 0, sizeof *site);
}

int dat_main_pid(const struct dat_profile *profile)
{
    for (size_t i = profile->meta_count; i-- > 0; ) {
        int pid;
        if (strcmp(profile->meta[i].key, "main_pid") == 0 &&
            dat_parse_int(profile->meta[i].value, &pid))
            return pid;
    }
    return profile->profiled_count > 0 ? profile->profiled[0].pid : 0;
}

/* ---------------------------------------------------------------- writers */

static int dat_finish_line(FILE *out, int printed)
{
    if (printed < 0)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

/* Write `text` with each character that would end or split a field replaced:
 * newlines always (they would end the line), and spaces too when `token` (a FUNC name or
 * MPROF key must stay one field for the original's split(' ')). */
static int dat_put_sanitized(FILE *out, const char *text, bool token)
{
    for (const char *c = text; *c != '\0'; c++) {
        char put = *c;
        if (put == '\n' || put == '\r')
            put = token ? '_' : ' ';
        else if (token && (put == ' ' || put == '\t'))
            put = '_';
        if (putc(put, out) == EOF)
            return -1;
    }
    return 0;
}

int dat_write_cmdline(FILE *out, const char *cmdline)
{
    if (fputs("CMDLINE ", out) == EOF || dat_put_sanitized(out, cmdline, false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

int dat_write_mem(FILE *out, double mem_mib, double time_s)
{
    return dat_finish_line(out, fprintf(out, "MEM %.6f %.4f\n", mem_mib, time_s));
}

int dat_write_heap(FILE *out, uint64_t heap_bytes, double time_s)
{
    return dat_finish_line(out, fprintf(out, "HEAP %.4f %llu\n", time_s,
                                        (unsigned long long)heap_bytes));
}

int dat_write_child_mem(FILE *out, int index, double mem_mib, double time_s)
{
    return dat_finish_line(out, fprintf(out, "CHLD %d %.6f %.4f\n", index, mem_mib, time_s));
}

int dat_write_child_heap(FILE *out, int index, uint64_t heap_bytes, double time_s)
{
    return dat_finish_line(out, fprintf(out, "CHLDHEAP %d %.4f %llu\n", index, time_s,
                                        (unsigned long long)heap_bytes));
}

int dat_write_func(FILE *out, const struct dat_func *func)
{
    const char *name = func->name != NULL && func->name[0] != '\0' ? func->name : "?";
    if (fputs("FUNC ", out) == EOF || dat_put_sanitized(out, name, true) < 0)
        return -1;
    int printed = fprintf(out, " %.4f %.4f %.4f %.4f", func->mem_start_mib, func->start_s,
                          func->mem_end_mib, func->end_s);
    if (printed >= 0 && func->stack_level >= 0)
        printed = fprintf(out, " %d", func->stack_level);
    if (printed >= 0 && putc('\n', out) == EOF)
        printed = -1;
    return dat_finish_line(out, printed);
}

int dat_write_meta(FILE *out, const char *key, const char *value)
{
    if (fputs("MPROF ", out) == EOF || dat_put_sanitized(out, key, true) < 0 ||
        putc(' ', out) == EOF || dat_put_sanitized(out, value, false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

/* Write `text` escaped as dat.h describes; with `token`, spaces and tabs too, and an
 * empty text as "?" so that the field is still there. */
static int dat_put_escaped(FILE *out, const char *text, bool token)
{
    if (token && text[0] == '\0')
        return putc('?', out) == EOF ? -1 : 0;
    const unsigned char *cursor = (const unsigned char *)text;
    while (*cursor != '\0') {
        unsigned char c = *cursor;
        size_t length = utf8_sequence_length(cursor);
        int status;
        if (c == '\\')
            status = fputs("\\\\", out);
        else if (length == 0 || c == 0x7f || (c < 0x20 && c != '\t') ||
                 (token && (c == ' ' || c == '\t')))
            status = fprintf(out, "\\x%02x", c);
        else
            status = fwrite(cursor, 1, length, out) == length ? 0 : EOF;
        if (status < 0)
            return -1;
        cursor += length > 0 ? length : 1;
    }
    return 0;
}

int dat_write_profiled_function(FILE *out, const struct dat_profiled_function *function)
{
    if (fprintf(out, "PROFILE_FUNC %d %u %u %u %u ", function->pid, function->id,
                function->first_line, function->last_line, function->call_count) < 0 ||
        dat_put_escaped(out, function->name != NULL ? function->name : "", true) < 0 ||
        putc(' ', out) == EOF ||
        dat_put_escaped(out, function->filename != NULL ? function->filename : "", false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

/* One PROFILE_LINE, not flushed (a function's lines are flushed together). */
static int dat_put_profiled_line(FILE *out, int pid, uint32_t id,
                                 const struct dat_profiled_line *line)
{
    if (fprintf(out, "PROFILE_LINE %d %u %u %" PRIu64 " %" PRId64 " %" PRId64 " ", pid, id,
                line->line, line->occurrences, line->increment_bytes,
                line->mem_usage_bytes) < 0 ||
        dat_put_escaped(out, line->contents != NULL ? line->contents : "", false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return 0;
}

int dat_write_profiled_line(FILE *out, int pid, uint32_t id, const struct dat_profiled_line *line)
{
    if (dat_put_profiled_line(out, pid, id, line) < 0)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

int dat_write_profiled(FILE *out, const struct dat_profiled_function *function)
{
    if (dat_write_profiled_function(out, function) < 0)
        return -1;
    for (size_t i = 0; i < function->line_count; i++)
        if (dat_put_profiled_line(out, function->pid, function->id, &function->lines[i]) < 0)
            return -1;
    return fflush(out) == 0 ? 0 : -1;
}

int dat_write_top_site(FILE *out, const struct dat_top_site *site)
{
    if (fprintf(out, "TOP %u %" PRId64 " %" PRIu64 " %" PRIu64 " %u ", site->rank,
                site->live_bytes, site->live_blocks, site->alloc_count, site->line) < 0 ||
        dat_put_escaped(out, site->function != NULL ? site->function : "", true) < 0 ||
        putc(' ', out) == EOF ||
        dat_put_escaped(out, site->filename != NULL ? site->filename : "", false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- listing */

/* "mprofile_" + 14 digits + optional "_<n>" + ".dat". Returns true and the stamp and the
 * suffix number (1 for none: "_2" is the second file of that second). */
static bool dat_parse_name(const char *name, char stamp[15], unsigned long *suffix)
{
    static const char prefix[] = "mprofile_";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *cursor = name + sizeof prefix - 1;
    for (int i = 0; i < 14; i++)
        if (!isdigit((unsigned char)cursor[i]))
            return false;
    memcpy(stamp, cursor, 14);
    stamp[14] = '\0';
    cursor += 14;
    *suffix = 1;
    if (*cursor == '_') {
        cursor++;
        if (!isdigit((unsigned char)*cursor))
            return false;
        char *end;
        errno = 0;
        *suffix = strtoul(cursor, &end, 10);
        if (errno == ERANGE)
            return false;
        cursor = end;
    }
    return strcmp(cursor, ".dat") == 0;
}

static int dat_compare_names(const void *left, const void *right)
{
    const char *a = *(const char *const *)left, *b = *(const char *const *)right;
    char stamp_a[15], stamp_b[15];
    unsigned long suffix_a, suffix_b;
    dat_parse_name(a, stamp_a, &suffix_a);  /* listed names all parse */
    dat_parse_name(b, stamp_b, &suffix_b);
    int by_stamp = strcmp(stamp_a, stamp_b);
    if (by_stamp != 0)
        return by_stamp;
    if (suffix_a != suffix_b)
        return suffix_a < suffix_b ? -1 : 1;
    return strcmp(a, b);
}

int dat_list_files(const char *dir, char ***names, size_t *count, char *error, size_t error_size)
{
    *names = NULL;
    *count = 0;
    DIR *directory = opendir(dir);
    if (directory == NULL) {
        dat_set_error(error, error_size, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char **list = NULL;
    size_t list_count = 0, list_capacity = 0;
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(directory)) != NULL) {
        char stamp[15];
        unsigned long suffix;
        if (!dat_parse_name(entry->d_name, stamp, &suffix)) {
            errno = 0;
            continue;
        }
        char *name = NULL;
        if (mprof_grow_array((void **)&list, &list_capacity, list_count, sizeof *list) < 0 ||
            (name = strdup(entry->d_name)) == NULL) {
            dat_set_error(error, error_size, "%s: out of memory", dir);
            dat_free_list(list, list_count);
            closedir(directory);
            return -1;
        }
        list[list_count++] = name;
        errno = 0;
    }
    if (errno != 0) {
        dat_set_error(error, error_size, "%s: %s", dir, strerror(errno));
        dat_free_list(list, list_count);
        closedir(directory);
        return -1;
    }
    closedir(directory);
    if (list_count > 1)
        qsort(list, list_count, sizeof *list, dat_compare_names);
    *names = list;
    *count = list_count;
    return 0;
}

void dat_free_list(char **names, size_t count)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

void dat_default_name(char *name, size_t name_size, long now)
{
    time_t seconds = (time_t)now;
    struct tm local;
    if (localtime_r(&seconds, &local) == NULL ||
        strftime(name, name_size, "mprofile_%Y%m%d%H%M%S.dat", &local) == 0)
        snprintf(name, name_size, "mprofile_%014ld.dat", now);  /* never expected */
}
