/*
 * dat_read_fields.c — the reader's field checks (dat_reader.h): each says, when a field
 * is wrong, which line word and field it is and what it should have been.
 */
#include <ctype.h>
#include <stdio.h>

#include "dat_fields.h"
#include "dat_reader.h"

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

/* What a figure can honestly be: MiB up to 2^64 bytes, and times within three thousand
 * years of the epoch. A file that says more is not a profile, and its numbers would
 * print as hundreds of digits or overflow a time_t. */
#define DAT_MIB_MOST  17592186044416.0   /* 2^64 bytes */
#define DAT_TIME_MOST 1e11               /* seconds: the year 5138 */

static bool dat_field_double(struct dat_reader *reader, const char *word, const char *label,
                             const char *field, double least, double most, double *value)
{
    if (!dat_parse_double(field, value))
        return dat_reject_field(reader, word, label, field, "a number");
    if (*value < least || *value > most) {
        char kind[64];
        snprintf(kind, sizeof kind, "within %.0f..%.0f", least, most);
        return dat_reject_field(reader, word, label, field, kind);
    }
    return true;
}

bool dat_field_mib(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, double *value)
{
    return dat_field_double(reader, word, label, field, 0.0, DAT_MIB_MOST, value);
}

bool dat_field_time(struct dat_reader *reader, const char *word, const char *label,
                    const char *field, double *value)
{
    return dat_field_double(reader, word, label, field, -DAT_TIME_MOST, DAT_TIME_MOST, value);
}

bool dat_field_int(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, int *value)
{
    return dat_parse_int(field, value) ||
           dat_reject_field(reader, word, label, field, "an integer");
}

bool dat_field_u64(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, uint64_t *value)
{
    return dat_parse_u64(field, value) ||
           dat_reject_field(reader, word, label, field, "a byte count");
}

bool dat_field_i64(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, int64_t *value)
{
    return dat_parse_i64(field, value) ||
           dat_reject_field(reader, word, label, field, "an integer");
}

bool dat_field_u32(struct dat_reader *reader, const char *word, const char *label,
                   const char *field, uint32_t *value)
{
    return dat_parse_u32(field, value) ||
           dat_reject_field(reader, word, label, field, "a count");
}

