/*
 * limit.c — sizes and percentages as a user writes them (contract in limit.h).
 *
 * Invariant: no floating point between the text and the verdict. A number is read as
 * whole digits and fraction digits, and every product is taken in 128 bits, so 1.1KB is
 * 1100 bytes and 5% of 13,983,266 bytes is 699,163 bytes on every machine.
 */
#include "limit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef unsigned __int128 limit_u128;

#define LIMIT_SIZE_FRACTION_DIGITS_MAX 9
#define LIMIT_PERCENT_FRACTION_DIGITS_MAX 6

static const char limit_not_a_size[] =
    "not a size (a number, then B, KiB, MiB, GiB, KB, MB or GB)";
static const char limit_not_a_percent[] = "not a percentage (a number, then %)";

/* A decimal number at the start of `text`: its digits as one integer `scaled` (whole and
 * fraction digits together) with `fraction_digits` of them after the point. Returns the
 * end of the number, or NULL when there is none, it has more fraction digits than
 * `fraction_digits_max`, or it does not fit in 64 bits (*too_large set). */
static const char *limit_parse_decimal(const char *text, int fraction_digits_max,
                                       uint64_t *scaled, int *fraction_digits,
                                       bool *too_large)
{
    const char *cursor = text;
    limit_u128 value = 0;
    int after_point = 0;
    *too_large = false;
    if (*cursor < '0' || *cursor > '9')
        return NULL;
    while (*cursor >= '0' && *cursor <= '9') {
        value = value * 10 + (unsigned)(*cursor++ - '0');
        if (value > UINT64_MAX) {
            *too_large = true;
            return NULL;
        }
    }
    if (*cursor == '.') {
        cursor++;
        if (*cursor < '0' || *cursor > '9')
            return NULL;  /* "1." is not a number here */
        while (*cursor >= '0' && *cursor <= '9') {
            if (++after_point > fraction_digits_max)
                return NULL;
            value = value * 10 + (unsigned)(*cursor++ - '0');
            if (value > UINT64_MAX) {
                *too_large = true;
                return NULL;
            }
        }
    }
    *scaled = (uint64_t)value;
    *fraction_digits = after_point;
    return cursor;
}

static uint64_t limit_power_of_ten(int exponent)
{
    uint64_t power = 1;
    while (exponent-- > 0)
        power *= 10;
    return power;
}

/* The unit after a number, or 0 when `text` is not one (an empty text is bytes). */
static uint64_t limit_unit_bytes(const char *text)
{
    static const struct { const char *name; uint64_t bytes; } units[] = {
        { "", 1 }, { "B", 1 },
        { "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 },
        { "KB", 1000ULL }, { "MB", 1000000ULL }, { "GB", 1000000000ULL },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(text, units[i].name) == 0)
            return units[i].bytes;
    return 0;
}

int limit_parse_size(const char *text, uint64_t *bytes, const char **why)
{
    if (text[0] == '-') {
        *why = text[1] >= '0' && text[1] <= '9' ? "a size cannot be negative" : limit_not_a_size;
        return -1;
    }
    uint64_t scaled;
    int fraction_digits;
    bool too_large;
    const char *end = limit_parse_decimal(text, LIMIT_SIZE_FRACTION_DIGITS_MAX, &scaled,
                                          &fraction_digits, &too_large);
    if (end == NULL) {
        *why = too_large ? "too large (at most 8 EiB)" : limit_not_a_size;
        return -1;
    }
    while (*end == ' ')
        end++;
    uint64_t unit = limit_unit_bytes(end);
    if (unit == 0 || (end[0] == '\0' && end > text && end[-1] == ' ')) {
        *why = limit_not_a_size;
        return -1;
    }
    uint64_t divisor = limit_power_of_ten(fraction_digits);
    limit_u128 product = (limit_u128)scaled * unit;
    limit_u128 rounded = (product + divisor / 2) / divisor;  /* half a byte rounds up */
    if (rounded > LIMIT_BYTES_MAX) {
        *why = "too large (at most 8 EiB)";
        return -1;
    }
    *bytes = (uint64_t)rounded;
    return 0;
}

int limit_parse_percent(const char *text, uint64_t *micropercent, const char **why)
{
    if (text[0] == '-') {
        *why = text[1] >= '0' && text[1] <= '9' ? "a percentage cannot be negative"
                                                 : limit_not_a_percent;
        return -1;
    }
    uint64_t scaled;
    int fraction_digits;
    bool too_large;
    const char *end = limit_parse_decimal(text, LIMIT_PERCENT_FRACTION_DIGITS_MAX, &scaled,
                                          &fraction_digits, &too_large);
    if (end == NULL || strcmp(end, "%") != 0) {
        *why = too_large ? "too large (at most 1000000%)" : limit_not_a_percent;
        return -1;
    }
    limit_u128 value = (limit_u128)scaled *
                       limit_power_of_ten(LIMIT_PERCENT_FRACTION_DIGITS_MAX - fraction_digits);
    if (value > (limit_u128)LIMIT_PERCENT_MAX * LIMIT_MICROPERCENT_PER_PERCENT) {
        *why = "too large (at most 1000000%)";
        return -1;
    }
    *micropercent = (uint64_t)value;
    return 0;
}

int limit_parse_growth(const char *text, struct limit_growth *growth, const char **why)
{
    size_t length = strlen(text);
    *growth = (struct limit_growth){ 0 };
    if (length > 0 && text[length - 1] == '%') {
        growth->is_percent = true;
        return limit_parse_percent(text, &growth->micropercent, why);
    }
    return limit_parse_size(text, &growth->bytes, why);
}

uint64_t limit_growth_allowed_bytes(const struct limit_growth *growth, uint64_t baseline_bytes)
{
    if (!growth->is_percent)
        return growth->bytes;
    limit_u128 allowed = (limit_u128)baseline_bytes * growth->micropercent /
                         (100 * LIMIT_MICROPERCENT_PER_PERCENT);
    return allowed > LIMIT_BYTES_MAX ? LIMIT_BYTES_MAX : (uint64_t)allowed;
}

void limit_format_bytes(char *text, size_t text_size, uint64_t bytes)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (bytes < 1024) {
        snprintf(text, text_size, "%" PRIu64 " B", bytes);
        return;
    }
    double value = (double)bytes / 1024.0;
    size_t unit = 0;
    /* Move up a unit when one decimal would print 1024.0 of this one. */
    while (value >= 1023.95 && unit + 1 < sizeof units / sizeof units[0]) {
        value /= 1024.0;
        unit++;
    }
    snprintf(text, text_size, "%.1f %s", value, units[unit]);
}

void limit_format_signed_bytes(char *text, size_t text_size, int64_t bytes)
{
    uint64_t magnitude = bytes < 0 ? (uint64_t)0 - (uint64_t)bytes : (uint64_t)bytes;
    char unsigned_text[LIMIT_TEXT_MAX];
    limit_format_bytes(unsigned_text, sizeof unsigned_text, magnitude);
    snprintf(text, text_size, "%c%s", bytes < 0 ? '-' : '+', unsigned_text);
}

void limit_format_percent(char *text, size_t text_size, uint64_t micropercent)
{
    uint64_t whole = micropercent / LIMIT_MICROPERCENT_PER_PERCENT;
    uint64_t fraction = micropercent % LIMIT_MICROPERCENT_PER_PERCENT;
    if (fraction == 0) {
        snprintf(text, text_size, "%" PRIu64 "%%", whole);
        return;
    }
    char digits[8];
    snprintf(digits, sizeof digits, "%06" PRIu64, fraction);
    size_t length = strlen(digits);
    while (length > 0 && digits[length - 1] == '0')
        digits[--length] = '\0';
    snprintf(text, text_size, "%" PRIu64 ".%s%%", whole, digits);
}
