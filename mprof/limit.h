/*
 * limit.h — the limits a user writes on `mprof check`'s command line: sizes ("300MiB",
 * "1.5 GB", "4096") and percentages ("5%", "2.5%"), parsed exactly, in integers: a
 * budget of 1.1KB is 1100 bytes, and 5% of a baseline is the floor of the exact product,
 * so the same files always give the same verdict. Also sizes written back for people.
 *
 * A size is a decimal number (digits, optionally a point and up to 9 more digits), then
 * optional spaces, then a unit: B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (of
 * 1000), in any case; no unit is bytes. A fraction of a byte rounds to the nearest byte
 * (half up). Sizes fit in int64_t, so differences of two never overflow.
 *
 * Error convention: 0 on success; -1 with *why set to a static phrase for the message
 * ("not a size (...)", "a size cannot be negative", "too large (...)").
 */
#ifndef MPROF_LIMIT_H
#define MPROF_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest size or value: INT64_MAX bytes (8 EiB less one). */
#define LIMIT_BYTES_MAX ((uint64_t)INT64_MAX)
/* Percentages are kept in millionths of a percent: "5.5%" is 5,500,000. */
#define LIMIT_MICROPERCENT_PER_PERCENT 1000000ULL
/* The largest percentage taken: 1,000,000% (a growth of 10,000 times). */
#define LIMIT_PERCENT_MAX 1000000ULL

/* A --max-growth value: a percentage of the baseline or a size. */
struct limit_growth {
    bool is_percent;
    uint64_t bytes;           /* when !is_percent */
    uint64_t micropercent;    /* when is_percent */
};

/* A size (see above) into *bytes. */
int limit_parse_size(const char *text, uint64_t *bytes, const char **why);

/* A percentage: a decimal number (up to 6 digits after the point) then '%'. */
int limit_parse_percent(const char *text, uint64_t *micropercent, const char **why);

/* A percentage when `text` ends in '%', else a size. */
int limit_parse_growth(const char *text, struct limit_growth *growth, const char **why);

/* How many bytes a peak may grow over `baseline_bytes`: the size, or the floor of
 * baseline * percent / 100, capped at LIMIT_BYTES_MAX. */
uint64_t limit_growth_allowed_bytes(const struct limit_growth *growth, uint64_t baseline_bytes);

/* The room any of the formatters below needs. */
#define LIMIT_TEXT_MAX 48

/* `bytes` for people, in the largest binary unit it reaches, one decimal for KiB and
 * up: "512 B", "2.0 KiB", "13.3 MiB", "1.5 GiB". */
void limit_format_bytes(char *text, size_t text_size, uint64_t bytes);
/* A difference with its sign: "+2.9 MiB", "-512 B", "+0 B". */
void limit_format_signed_bytes(char *text, size_t text_size, int64_t bytes);
/* A percentage as written back: "5%", "5.5%", "0.000001%". */
void limit_format_percent(char *text, size_t text_size, uint64_t micropercent);

#endif
