/*
 * dat_fields.h — what the .dat reader (dat_read.c) and the model (dat.c) share to take a
 * line apart: splitting, strict numbers, unescaping. Internal to the .dat component.
 */
#ifndef MPROF_DAT_FIELDS_H
#define MPROF_DAT_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Split `line` in place on spaces and tabs into at most `max` fields; the last field
 * keeps the rest of the line when there are more. Returns the field count. */
size_t dat_split(char *line, char **fields, size_t max);

/* Split `text` in place into exactly `count` space-free tokens, each followed by one
 * space, and the rest of the line (which keeps its spaces and tabs; "" when the line
 * ends after the last token). Returns the number of tokens found. */
size_t dat_split_with_rest(char *text, char **fields, size_t count, char **rest);

/* Numbers that fill the whole field; false (value untouched) otherwise. A double must
 * be finite; u64/u32 refuse a sign; each refuses what does not fit its type. */
bool dat_parse_double(const char *field, double *value);
bool dat_parse_int(const char *field, int *value);
bool dat_parse_u64(const char *field, uint64_t *value);
bool dat_parse_i64(const char *field, int64_t *value);
bool dat_parse_u32(const char *field, uint32_t *value);

/* Undo the writers' escaping in place (dat.h): "\\" and "\xHH" (not \x00, which a C
 * string cannot hold: it stays as written). Anything else stays as it is. */
void dat_unescape(char *text);

/* Format one line into `error` (when given): the messages dat.h's error convention
 * describes. */
void dat_set_error(char *error, size_t error_size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

#endif
