/*
 * run_options.h — `mprof run`'s command line: its options, read and checked.
 */
#ifndef MPROF_RUN_OPTIONS_H
#define MPROF_RUN_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "report.h"
#include "target.h"

#define RUN_EXIT_USAGE        2
#define RUN_EXIT_FAILURE      1
#define RUN_EXIT_TIMEOUT      124 /* --timeout ended the program, as timeout(1) says it */

#define RUN_ATTACH_TIMEOUT_S  3600.0  /* an attached process is followed at most this long
                                      * unless -t says otherwise, as the original */

struct run_options {
    const char *command;      /* "run" or "attach": what the messages name */
    bool attach;              /* -a/--attach, or mprof attach: follow a running process */
    const char *attach_hint;  /* its pid or a piece of its name */
    double timeout_s;         /* -t/--timeout, 0 for none */
    enum backend backend;     /* --backend: what MEM holds */
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

/* Read `argv` into `options` for `command`, "run" or "attach" (which implies --attach
 * and prints its own help): 0 to run, 1 when the help or the version was printed, or
 * RUN_EXIT_USAGE after a one-line error on stderr. */
int run_parse(const char *command, int argc, char **argv, struct run_options *options);

#endif
