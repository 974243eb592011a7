/*
 * attach.h — recording a process that is already running (mprof attach, mprof run
 * --attach): found by pid or by name, polled from /proc into the same .dat mprof run
 * writes, never signalled.
 */
#ifndef MPROF_ATTACH_H
#define MPROF_ATTACH_H

#include "run_options.h"

/* Record the process `options->attach_hint` names until it ends, a stop signal
 * (SIGINT, SIGTERM, SIGHUP) or options->timeout_s. Returns the exit status: 0 when it
 * stopped in any of those ways, RUN_EXIT_FAILURE after a one-line error (no such
 * process, not readable, this mprof itself, the .dat not writable). */
int attach_run(const struct run_options *options);

#endif
