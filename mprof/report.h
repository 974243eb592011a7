/*
 * report.h — @profile tables and the whole-program top lines as text: a model in (the
 * .dat's PROFILE_* and TOP data, see dat.h), text out. No other I/O, no state, so the
 * exact text is golden-tested (tests/golden/).
 *
 * A table is memory_profiler's (show_results in memory_profiler.py, 0.61) byte for
 * byte: "Filename: <file>", a blank line, the header
 *   '{0:>6} {1:>12} {2:>12}  {3:>10}   {4:<}'.format('Line #', 'Mem usage', 'Increment',
 *                                                     'Occurrences', 'Line Contents')
 * a rule of '=' as long as the header, one row per line of the function's range (blank
 * cells for lines that never ran), values '{v:{p+4}.{p}f} MiB', then two blank lines.
 * Our values are exact heap bytes, so the B unit prints them whole.
 *
 * Error convention: 0 on success; -1 when writing failed (errno from stdio).
 */
#ifndef MPROF_REPORT_H
#define MPROF_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "dat.h"

enum report_unit { REPORT_UNIT_MIB = 0, REPORT_UNIT_KIB, REPORT_UNIT_B };

#define REPORT_PRECISION_DEFAULT 1
#define REPORT_PRECISION_MAX     12

struct report_options {
    enum report_unit unit;
    int precision;          /* digits after the point for KiB and MiB */
};

/* "B", "KiB" or "MiB" (also "b", "kib", "mib", "KB", "MB"...). 0, or -1 when it is
 * none of them. */
int report_parse_unit(const char *text, enum report_unit *unit);

/* A precision 0..REPORT_PRECISION_MAX. 0, or -1 when `text` is not one. */
int report_parse_precision(const char *text, int *precision);

/* One value as a table cell's text: "47.7 MiB", "-0.0 MiB", "50000057 B". */
void report_format_bytes(char *cell, size_t cell_size, long long bytes,
                         const struct report_options *options);

/* Whether a function has a row that ran (memory_profiler skips those that have none). */
int report_function_ran(const struct dat_profiled_function *function);

/* The table of one function. */
int report_write_function(FILE *out, const struct dat_profiled_function *function,
                          const struct report_options *options);

/* Every table: those of `main_pid` first, in order, then each other pid's (children
 * under -C/-M) under a "Child process <pid>:" heading. Functions that never ran are
 * left out. Returns the number of tables written, or -1 when writing failed. */
int report_write_tables(FILE *out, const struct dat_profiled_function *functions,
                        size_t count, int main_pid, const struct report_options *options);

/* The `limit` top lines (lowest ranks) of `sites` as a small table. */
int report_write_top(FILE *out, const struct dat_top_site *sites, size_t count, size_t limit,
                     const struct report_options *options);

/* Below that table: the row of what no line holds (`no_line_bytes` of the heap's
 * `heap_bytes` at the moment the lines were kept), and a line that sums the heap up:
 * the lines shown, the lines not shown, no line. */
int report_write_top_rest(FILE *out, const struct dat_top_site *sites, size_t count,
                          size_t limit, int64_t no_line_bytes, int64_t heap_bytes,
                          const struct report_options *options);

#endif
