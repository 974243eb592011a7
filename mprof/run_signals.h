/*
 * run_signals.h — mprof run's signal handling while the program runs, as time(1) does:
 * Ctrl-C and Ctrl-\ are the program's (we outlive it to write the .dat), SIGTERM and
 * SIGHUP sent to us are passed on to it, and SIGCHLD wakes the watch loop at once.
 */
#ifndef MPROF_RUN_SIGNALS_H
#define MPROF_RUN_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* Our signal handling while the target runs, and what it replaced. */
struct run_signals {
    bool taken, forwarding, attach_taken;
    struct sigaction saved_int, saved_quit, saved_child, saved_term, saved_hup;
    sigset_t saved_mask;       /* the mask before SIGCHLD was blocked */
    sigset_t wait_mask;        /* the same without SIGCHLD: ppoll's */
};

/* Before the program starts: ignore SIGINT and SIGQUIT, catch SIGCHLD and block it
 * (signals->wait_mask unblocks it, for ppoll). */
void run_signals_take(struct run_signals *signals);
/* Once the program runs as `pid`: SIGTERM and SIGHUP sent to us go to it. */
void run_signals_forward(struct run_signals *signals, pid_t pid);
/* The program has ended: nothing more is forwarded. */
void run_signals_stop_forwarding(void);
/* Following a process we did not start (mprof attach): SIGINT, SIGTERM and SIGHUP end
 * the recording and nothing else (the process is never signalled): they set the flag
 * run_signals_stop_flag() gives, and are blocked but in signals->wait_mask, so that
 * they wake ppoll and cannot slip in between its checks. */
void run_signals_take_for_attach(struct run_signals *signals);
const volatile sig_atomic_t *run_signals_stop_flag(void);
/* Put back what was replaced, whatever of it was taken. */
void run_signals_restore(struct run_signals *signals);
/* In the forked child before exec: the program starts with the handling we found. */
void run_signals_undo_in_child(const struct run_signals *signals);

#endif
