/*
 * watch.h — the loop of `mprof run` while the target runs: the CLI polls RSS itself
 * every interval (so static binaries, exec chains and crashed targets still get a MEM
 * series) and feeds the recorder what the library sends through the pipe.
 */
#ifndef MPROF_WATCH_H
#define MPROF_WATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "recorder.h"

struct watch {
    struct recorder *recorder; /* gets every MEM/CHLD point and every pipe byte */
    pid_t pid;                 /* the main process */
    int pipe_fd;               /* the pipe's read end, -1 once closed (EOF, error) */
    unsigned children;         /* enum recorder_children bits: which /proc pids to poll */
    uint64_t interval_ns;
    enum backend backend;      /* what the MEM poll measures (proc_memory_bytes) */
    double timeout_s;          /* --timeout, 0 for none: our child's process group then
                                * gets SIGTERM and WATCH_KILL_GRACE_S later SIGKILL; an
                                * attached process is left alone and the watch ends */
    bool own_group;            /* our child leads a process group of its own (--timeout) */
    int terminal_fd;           /* which then has this terminal (-1: none): handed back to
                                * us while Ctrl-Z has the program stopped */
    int pidfd;                 /* an attached process: readable once it has ended; -1
                                * where pidfds are not had (valgrind, Linux < 5.3): */
    unsigned long long start_ticks; /* then its start time tells it from a reused pid */
    const volatile sig_atomic_t *stop; /* attached: set by a signal to end the watch */
    void (*on_tick)(void *context); /* attached: called at every tick before the RSS
                                     * poll and once at the end, or NULL */
    void *tick_context;
    /* How it ended. */
    bool timed_out;            /* the timeout came */
    bool stopped;              /* *stop was set (attached) */
    bool write_failed;         /* a sample could not be written (attached: the watch
                                * ended at it) */
    bool attached;             /* set by watch_attached: samples are kept only while
                                * the pid still names the process */
};

#define WATCH_KILL_GRACE_S 2.0 /* from --timeout's SIGTERM to its SIGKILL */

/* Poll RSS every interval and the pipe in between until the main process ends, and
 * reap it. SIGCHLD must be blocked by the caller; `wait_mask` is the mask to wait with
 * (the caller's without SIGCHLD), so the end of the process wakes the loop at once.
 * Returns its wait status, or -1 when it cannot be waited for (said on stderr). */
int watch_until_exit(struct watch *session, const sigset_t *wait_mask);

/* Poll a process we did not start (session->pidfd) every interval until it ends, *stop
 * is set or the timeout comes (on_tick with it, and once more at the end, whichever way
 * it ends); it is never signalled. The signals that set *stop must
 * be blocked by the caller and unblocked in `wait_mask`, so that they end the wait at
 * once; the first sample that cannot be written ends it too. A sample is kept only when
 * the pid still named the process after it was read. Returns 0 (timed_out, stopped
 * and write_failed say why it ended). */
int watch_attached(struct watch *session, const sigset_t *wait_mask);

/* The main process has ended: take what the pipe already holds, without waiting for
 * EOF (a daemonized grandchild may hold the write end forever), at most a few MiB;
 * then close the pipe. */
void watch_drain(struct watch *session);

#endif
