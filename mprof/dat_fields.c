/*
 * dat_fields.c — the pieces of a .dat line (contract in dat_fields.h): fields split on
 * blanks, numbers that must fill their field, and the writers' escaping undone.
 *
 * Invariant: a field is accepted only whole: "12abc", "nan", "-1" as a count are
 * refused, never read as far as they go.
 */
#include "dat_fields.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Split `line` in place on spaces and tabs into at most `max` fields; the last field
 * keeps the rest of the line when there are more. Returns the field count. */
size_t dat_split(char *line, char **fields, size_t max)
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
bool dat_parse_double(const char *field, double *value)
{
    char *end;
    errno = 0;
    double parsed = strtod(field, &end);
    if (end == field || *end != '\0' || errno == ERANGE || !isfinite(parsed))
        return false;
    *value = parsed;
    return true;
}

bool dat_parse_int(const char *field, int *value)
{
    char *end;
    errno = 0;
    long parsed = strtol(field, &end, 10);
    if (end == field || *end != '\0' || errno == ERANGE || parsed < INT32_MIN || parsed > INT32_MAX)
        return false;
    *value = (int)parsed;
    return true;
}

bool dat_parse_u64(const char *field, uint64_t *value)
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

bool dat_parse_i64(const char *field, int64_t *value)
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

bool dat_parse_u32(const char *field, uint32_t *value)
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
size_t dat_split_with_rest(char *text, char **fields, size_t count, char **rest)
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
void dat_unescape(char *text)
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

void dat_set_error(char *error, size_t error_size, const char *format, ...)
{
    if (error == NULL || error_size == 0)
        return;
    va_list args;
    va_start(args, format);
    vsnprintf(error, error_size, format, args);
    va_end(args);
}
