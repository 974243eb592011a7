/*
 * dat_read.c — the .dat reader (contract in dat.h): one table of line keywords, each
 * with its parser.
 *
 * The reader trusts nothing: a .dat can come from anyone. Each line is checked whole;
 * the first bad line stops the read with one message naming the file and the line.
 * What it reads back is exactly what dat_write.c writes, and what the original tool
 * writes (MEM, CHLD, FUNC, CMDLINE in any order).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "dat.h"
#include "dat_fields.h"
#include "dat_reader.h"


static struct dat_child *dat_reader_child(struct dat_reader *reader, int index)
{
    struct dat_profile *profile = reader->profile;
    for (size_t i = 0; i < profile->child_count; i++)
        if (profile->children[i].index == index)
            return &profile->children[i];
    if (mprof_grow_array((void **)&profile->children, &reader->child_capacity,
                         profile->child_count, sizeof *profile->children) < 0 ||
        mprof_grow_array((void **)&reader->child_capacities, &reader->child_capacities_capacity,
                         profile->child_count, sizeof *reader->child_capacities) < 0)
        return NULL;
    size_t slot = profile->child_count++;
    profile->children[slot] = (struct dat_child){ .index = index };
    reader->child_capacities[slot] = (struct dat_child_capacity){ 0, 0 };
    return &profile->children[slot];
}

static size_t dat_reader_child_slot(struct dat_reader *reader, const struct dat_child *child)
{
    return (size_t)(child - reader->profile->children);
}

static int dat_parse_cmdline(struct dat_reader *reader, char *rest)
{
    char *copy = strdup(rest);
    if (copy == NULL)
        return DAT_OUT_OF_MEMORY;
    free(reader->profile->cmdline);  /* the last one wins, as in the original */
    reader->profile->cmdline = copy;
    return 0;
}

static int dat_parse_meta(struct dat_reader *reader, char *rest)
{
    struct dat_profile *profile = reader->profile;
    char *fields[2];
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
    if (strcmp(key, "end") == 0) {
        profile->end_line = reader->line_number;
        profile->end_offset = reader->line_offset;
    }
    return 0;
}

/* MEM <MiB> <time> */
static int dat_parse_mem(struct dat_reader *reader, char *rest)
{
    static const char word[] = "MEM";
    struct dat_profile *profile = reader->profile;
    char *fields[DAT_FIELDS_MAX];
    size_t count = dat_split(rest, fields, DAT_FIELDS_MAX);
    struct dat_sample sample;
    if (count < 2) {
        snprintf(reader->why, sizeof reader->why, "MEM needs <MiB> <time>");
        return -1;
    }
    if (!dat_field_mib(reader, word, "<MiB>", fields[0], &sample.mem_mib) ||
        !dat_field_time(reader, word, "<time>", fields[1], &sample.time_s))
        return -1;
    if (mprof_grow_array((void **)&profile->mem, &reader->mem_capacity, profile->mem_count,
                         sizeof *profile->mem) < 0)
        return DAT_OUT_OF_MEMORY;
    profile->mem[profile->mem_count++] = sample;
    return 0;
}

/* HEAP <time> <bytes>; version 1 files had the MiB before the time. */
static int dat_parse_heap(struct dat_reader *reader, char *rest)
{
    static const char word[] = "HEAP";
    struct dat_profile *profile = reader->profile;
    char *fields[DAT_FIELDS_MAX];
    size_t count = dat_split(rest, fields, DAT_FIELDS_MAX);
    struct dat_heap_sample sample;
    if (count < 2) {
        snprintf(reader->why, sizeof reader->why, "HEAP needs <time> <bytes>");
        return -1;
    }
    size_t first = count >= 3 ? 1 : 0;
    if (!dat_field_time(reader, word, "<time>", fields[first], &sample.time_s) ||
        !dat_field_u64(reader, word, "<bytes>", fields[first + 1], &sample.heap_bytes))
        return -1;
    if (mprof_grow_array((void **)&profile->heap, &reader->heap_capacity, profile->heap_count,
                         sizeof *profile->heap) < 0)
        return DAT_OUT_OF_MEMORY;
    profile->heap[profile->heap_count++] = sample;
    return 0;
}

/* CHLD <index> <MiB> <time> */
static int dat_parse_child_mem(struct dat_reader *reader, char *rest)
{
    static const char word[] = "CHLD";
    char *fields[DAT_FIELDS_MAX];
    size_t count = dat_split(rest, fields, DAT_FIELDS_MAX);
    struct dat_sample sample;
    int index;
    if (count < 3) {
        snprintf(reader->why, sizeof reader->why, "CHLD needs <index> <MiB> <time>");
        return -1;
    }
    if (!dat_field_int(reader, word, "<index>", fields[0], &index) ||
        !dat_field_mib(reader, word, "<MiB>", fields[1], &sample.mem_mib) ||
        !dat_field_time(reader, word, "<time>", fields[2], &sample.time_s))
        return -1;
    struct dat_child *child = dat_reader_child(reader, index);
    if (child == NULL)
        return DAT_OUT_OF_MEMORY;
    size_t slot = dat_reader_child_slot(reader, child);
    if (mprof_grow_array((void **)&child->mem, &reader->child_capacities[slot].mem,
                         child->mem_count, sizeof *child->mem) < 0)
        return DAT_OUT_OF_MEMORY;
    child->mem[child->mem_count++] = sample;
    return 0;
}

/* CHLDHEAP <index> <time> <bytes>; version 1: "CHLDHEAP <index> <MiB> <time> <bytes>". */
static int dat_parse_child_heap(struct dat_reader *reader, char *rest)
{
    static const char word[] = "CHLDHEAP";
    char *fields[DAT_FIELDS_MAX];
    size_t count = dat_split(rest, fields, DAT_FIELDS_MAX);
    struct dat_heap_sample sample;
    int index;
    if (count < 3) {
        snprintf(reader->why, sizeof reader->why, "CHLDHEAP needs <index> <time> <bytes>");
        return -1;
    }
    size_t first = count >= 4 ? 2 : 1;
    if (!dat_field_int(reader, word, "<index>", fields[0], &index) ||
        !dat_field_time(reader, word, "<time>", fields[first], &sample.time_s) ||
        !dat_field_u64(reader, word, "<bytes>", fields[first + 1], &sample.heap_bytes))
        return -1;
    struct dat_child *child = dat_reader_child(reader, index);
    if (child == NULL)
        return DAT_OUT_OF_MEMORY;
    size_t slot = dat_reader_child_slot(reader, child);
    if (mprof_grow_array((void **)&child->heap, &reader->child_capacities[slot].heap,
                         child->heap_count, sizeof *child->heap) < 0)
        return DAT_OUT_OF_MEMORY;
    child->heap[child->heap_count++] = sample;
    return 0;
}

/* FUNC <name> <MiB start> <start> <MiB end> <end> [<level>] */
static int dat_parse_func(struct dat_reader *reader, char *rest)
{
    static const char word[] = "FUNC";
    struct dat_profile *profile = reader->profile;
    char *fields[DAT_FIELDS_MAX];
    size_t count = dat_split(rest, fields, DAT_FIELDS_MAX);
    struct dat_func func = { .stack_level = -1 };
    if (count < 5) {
        snprintf(reader->why, sizeof reader->why,
                 "FUNC needs <name> <MiB start> <start> <MiB end> <end> [<level>]");
        return -1;
    }
    if (!dat_field_mib(reader, word, "<MiB start>", fields[1], &func.mem_start_mib) ||
        !dat_field_time(reader, word, "<start>", fields[2], &func.start_s) ||
        !dat_field_mib(reader, word, "<MiB end>", fields[3], &func.mem_end_mib) ||
        !dat_field_time(reader, word, "<end>", fields[4], &func.end_s) ||
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

/* The line keywords, each with its parser: the reader knows these words and no others
 * (the original skips unknown ones, and so do we). */
static const struct dat_keyword {
    const char *word;
    int (*parse)(struct dat_reader *reader, char *rest);
} dat_keywords[] = {
    { "CMDLINE", dat_parse_cmdline },
    { "MEM", dat_parse_mem },
    { "CHLD", dat_parse_child_mem },
    { "FUNC", dat_parse_func },
    { "HEAP", dat_parse_heap },
    { "CHLDHEAP", dat_parse_child_heap },
    { "MPROF", dat_parse_meta },
    { "PROFILE_FUNC", dat_parse_profiled_function },
    { "PROFILE_LINE", dat_parse_profiled_line },
    { "TOP", dat_parse_top_site },
};

static const struct dat_keyword *dat_find_keyword(const char *word)
{
    for (size_t i = 0; i < sizeof dat_keywords / sizeof dat_keywords[0]; i++)
        if (strcmp(word, dat_keywords[i].word) == 0)
            return &dat_keywords[i];
    return NULL;
}

/* A final line cut short may have lost the end of its first word: "ME" of "MEM". */
static bool dat_is_prefix_of_keyword(const char *word)
{
    size_t length = strlen(word);
    for (size_t i = 0; i < sizeof dat_keywords / sizeof dat_keywords[0]; i++)
        if (length > 0 && strncmp(word, dat_keywords[i].word, length) == 0)
            return true;
    return false;
}

/* Parse one line (newline and CR stripped) by its first word's parser. Returns 0, -1
 * with reader->why filled, or DAT_OUT_OF_MEMORY. Unknown first words are skipped. */
static int dat_parse_line(struct dat_reader *reader, char *line)
{
    char *word_end = line + strcspn(line, " \t");
    char saved = *word_end;
    *word_end = '\0';
    const struct dat_keyword *keyword = dat_find_keyword(line);
    if (keyword == NULL) {
        *word_end = saved;
        return 0;
    }
    reader->any_known_line = true;
    return keyword->parse(reader, saved == '\0' ? word_end : word_end + 1);
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

/* Read `path`; with `valid_part`, a bad line ends the reading (dat_read_valid_part). */
static int dat_read_lines(const char *path, struct dat_profile *profile, char *error,
                          size_t error_size, bool valid_part)
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
    ssize_t length, previous_length = 0;
    errno = 0;
    while ((length = getline(&line, &line_capacity, in)) >= 0) {
        line_number++;
        reader.line_number = line_number;
        if (line_number > 1)
            reader.line_offset += (uint64_t)previous_length;
        previous_length = length;
        if (dat_line_is_binary(line, (size_t)length)) {
            dat_set_error(error, error_size, "%s: line %zu: binary data, not a .dat file",
                          path, line_number);
            status = -1;
            break;
        }
        bool terminated = length > 0 && line[length - 1] == '\n';
        /* The valid part ends before a line that was cut short: its last field may be
         * cut too ("HEAP 1796147384.9634 23" of a longer number), and reads as valid. */
        if (!terminated && valid_part && line_number > 1) {
            char cut[64];
            snprintf(cut, sizeof cut, "line %zu: truncated (no newline at its end)", line_number);
            profile->cut_short = strdup(cut);
            if (profile->cut_short != NULL)
                break;
        }
        profile->last_line_cut = !terminated;
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
        if (parsed == -1 && valid_part) {
            char cut[DAT_ERROR_MAX + 64];
            snprintf(cut, sizeof cut, "line %zu: %s%s%s", line_number,
                     terminated ? "" : "truncated (", reader.why, terminated ? "" : ")");
            profile->cut_short = strdup(cut);
            if (profile->cut_short == NULL)
                parsed = DAT_OUT_OF_MEMORY;
            else
                break;
        }
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
        if (!terminated && dat_find_keyword(first_word) == NULL &&
            word_length == (size_t)length && dat_is_prefix_of_keyword(first_word)) {
            if (valid_part) {
                char cut[64];
                snprintf(cut, sizeof cut, "line %zu: truncated (a known word cut short)",
                         line_number);
                profile->cut_short = strdup(cut);
                if (profile->cut_short != NULL)
                    break;
            }
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
    free(reader.child_capacities);
    profile->line_count = profile->cut_short != NULL ? line_number - 1 : line_number;

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

int dat_read(const char *path, struct dat_profile *profile, char *error, size_t error_size)
{
    return dat_read_lines(path, profile, error, error_size, false);
}

int dat_read_valid_part(const char *path, struct dat_profile *profile, char *error,
                        size_t error_size)
{
    return dat_read_lines(path, profile, error, error_size, true);
}
