/*
 * dat_reader.h — the .dat reader's own parts, shared by its files: the working state,
 * the field checks that explain themselves (dat_read_fields.c), and the parsers of the
 * @profile lines (dat_read_profiles.c). The reader's contract is dat.h's.
 */
#ifndef MPROF_DAT_READER_H
#define MPROF_DAT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dat.h"

#define DAT_FIELDS_MAX 8
/* A parser's answer when memory ran out (the others: 0, or -1 with reader->why). */
#define DAT_OUT_OF_MEMORY (-2)

/* The reader's working state: capacities beside the profile's arrays. */
struct dat_reader {
    struct dat_profile *profile;
    size_t mem_capacity, heap_capacity, child_capacity, func_capacity, meta_capacity;
    size_t profiled_capacity, top_capacity;
    size_t line_capacity;  /* of the lines of profiled[line_owner] */
    size_t line_owner;
    struct dat_child_capacity {  /* parallel to profile->children */
        size_t mem, heap;
    } *child_capacities;
    size_t child_capacities_capacity;
    bool any_known_line;
    uint64_t ungiven_rows;    /* rows of the tables so far no PROFILE_LINE gives */
    size_t line_number;       /* of the line being parsed */
    uint64_t line_offset;     /* the bytes before it */
    char why[DAT_ERROR_MAX];  /* what is wrong with the current line */
};

/* Each checks one field of a `word` line (its `label` as the format names it, such as
 * "<MiB>"): true with *value set, or false with reader->why saying what the field is
 * not. MiB are 0 to 2^64 bytes, times within 1e11 s of the epoch. */
bool dat_field_mib(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, double *value);
bool dat_field_time(struct dat_reader *reader, const char *word, const char *label,
                    const char *field, double *value);
bool dat_field_int(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, int *value);
bool dat_field_u64(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, uint64_t *value);
bool dat_field_i64(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, int64_t *value);
bool dat_field_u32(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, uint32_t *value);

/* The parsers of PROFILE_FUNC, PROFILE_LINE and TOP (the rest of the line after the
 * word): 0, -1 with reader->why, or DAT_OUT_OF_MEMORY. */
int dat_parse_profiled_function(struct dat_reader *reader, char *text);
int dat_parse_profiled_line(struct dat_reader *reader, char *text);
int dat_parse_top_site(struct dat_reader *reader, char *text);

#endif
