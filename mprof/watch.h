/*
 * watch.h — the loop of `mprof run` while the target runs: the CLI polls RSS itself
 * every interval (so static binaries, exec chains and crashed targets still get a MEM
 * series) and feeds the recorder what the library sends through the pipe.
 */
#ifndef MPROF_WATCH_H
#define MPROF_WATCH_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "recorder.h"

struct watch {
    struct recorder *recorder; /* gets every MEM/CHLD point and every pipe byte */
    pid_t pid;                 /* the main process */
    int pipe_fd;               /* the pipe's read end, -1 once closed (EOF, error) */
    unsigned children;         /* enum recorder_children bits: which /proc pids to poll */
    uint64_t interval_ns;
};

/* Poll RSS every interval and the pipe in between until the main process ends, and
 * reap it. SIGCHLD must be blocked by the caller; `wait_mask` is the mask to wait with
 * (the caller's without SIGCHLD), so the end of the process wakes the loop at once.
 * Returns its wait status, or -1 when it cannot be waited for (said on stderr). */
int watch_until_exit(struct watch *session, const sigset_t *wait_mask);

/* The main process has ended: take what the pipe already holds, without waiting for
 * EOF (a daemonized grandchild may hold the write end forever), at most a few MiB;
 * then close the pipe. */
void watch_drain(struct watch *session);

#endif
