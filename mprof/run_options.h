/*
 * run_options.h — `mprof run`'s command line: its options, read and checked.
 */
#ifndef MPROF_RUN_OPTIONS_H
#define MPROF_RUN_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "report.h"
#include "target.h"

#define RUN_EXIT_USAGE        2
#define RUN_EXIT_FAILURE      1

struct run_options {
    uint64_t interval_ns;     /* -T, validated: the library samples at exactly this */
    const char *output_path;  /* -o, or NULL for the default name */
    unsigned children;        /* enum recorder_children bits */
    bool all_samples;
    struct target_spec target;  /* the program, -m MODULE, --python/--nopython */
    struct report_options report;
    bool no_report;           /* --no-report: tables only in the .dat */
    const char *report_path;  /* --report-file: the tables go there, not to stderr */
    bool lines;               /* -l/--lines: charge the heap to source lines (--top) */
    bool lines_user;          /* --lines=user: to the nearest line of the user's files */
};

/* Read `argv` into `options` (zeroed by the caller): 0 to run, 1 when the help was
 * printed, or RUN_EXIT_USAGE after a one-line error on stderr. */
int run_parse(int argc, char **argv, struct run_options *options);

#endif
