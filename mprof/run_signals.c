/*
 * run_signals.c — mprof run's signals while the program runs (run_signals.h).
 */
#include "run_signals.h"

#include <stddef.h>

/* The pid the forwarding handler signals. Signal handlers can only reach globals; it is
 * set for the one target a run has and cleared when the run ends. */
static volatile sig_atomic_t run_forward_pid;

static void run_forward_signal(int signal_number)
{
    if (run_forward_pid > 0)
        kill((pid_t)run_forward_pid, signal_number);
}

/* Set by SIGINT, SIGTERM or SIGHUP while attached: the watch ends at once. */
static volatile sig_atomic_t run_stop_requested;

static void run_note_stop(int signal_number)
{
    (void)signal_number;
    run_stop_requested = 1;
}

void run_signals_take_for_attach(struct run_signals *signals)
{
    struct sigaction on_stop = { .sa_handler = run_note_stop };
    sigemptyset(&on_stop.sa_mask);
    sigaction(SIGINT, &on_stop, &signals->saved_int);
    sigaction(SIGTERM, &on_stop, &signals->saved_term);
    sigaction(SIGHUP, &on_stop, &signals->saved_hup);
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop_set, &signals->saved_mask);
    signals->wait_mask = signals->saved_mask;
    sigdelset(&signals->wait_mask, SIGINT);
    sigdelset(&signals->wait_mask, SIGTERM);
    sigdelset(&signals->wait_mask, SIGHUP);
    signals->attach_taken = true;
}

const volatile sig_atomic_t *run_signals_stop_flag(void)
{
    return &run_stop_requested;
}

static void run_note_child(int signal_number)
{
    (void)signal_number; /* only here to interrupt ppoll() */
}

/* Like time(1): Ctrl-C and Ctrl-\ are for the target; we outlive it to write the
 * file. SIGCHLD is blocked so that it is only delivered inside ppoll(). */
void run_signals_take(struct run_signals *signals)
{
    struct sigaction ignore = { .sa_handler = SIG_IGN };
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &signals->saved_int);
    sigaction(SIGQUIT, &ignore, &signals->saved_quit);
    struct sigaction on_child = { .sa_handler = run_note_child };
    sigemptyset(&on_child.sa_mask);
    sigaction(SIGCHLD, &on_child, &signals->saved_child);
    sigset_t child_set;
    sigemptyset(&child_set);
    sigaddset(&child_set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &child_set, &signals->saved_mask);
    signals->wait_mask = signals->saved_mask;
    sigdelset(&signals->wait_mask, SIGCHLD);
    signals->taken = true;
}

/* SIGTERM and SIGHUP meant for us go to the target; its end then ends the run. */
void run_signals_forward(struct run_signals *signals, pid_t pid)
{
    run_forward_pid = pid;
    struct sigaction forward = { .sa_handler = run_forward_signal };
    sigemptyset(&forward.sa_mask);
    sigaction(SIGTERM, &forward, &signals->saved_term);
    sigaction(SIGHUP, &forward, &signals->saved_hup);
    signals->forwarding = true;
}

void run_signals_restore(struct run_signals *signals)
{
    run_forward_pid = 0;
    if (signals->forwarding) {
        sigaction(SIGTERM, &signals->saved_term, NULL);
        sigaction(SIGHUP, &signals->saved_hup, NULL);
        signals->forwarding = false;
    }
    if (signals->attach_taken) {
        sigaction(SIGINT, &signals->saved_int, NULL);
        sigaction(SIGTERM, &signals->saved_term, NULL);
        sigaction(SIGHUP, &signals->saved_hup, NULL);
        sigprocmask(SIG_SETMASK, &signals->saved_mask, NULL);
        signals->attach_taken = false;
    }
    if (signals->taken) {
        sigaction(SIGINT, &signals->saved_int, NULL);
        sigaction(SIGQUIT, &signals->saved_quit, NULL);
        sigaction(SIGCHLD, &signals->saved_child, NULL);
        sigprocmask(SIG_SETMASK, &signals->saved_mask, NULL);
        signals->taken = false;
    }
}

void run_signals_stop_forwarding(void)
{
    run_forward_pid = 0;
}

void run_signals_undo_in_child(const struct run_signals *signals)
{
    sigaction(SIGINT, &signals->saved_int, NULL);
    sigaction(SIGQUIT, &signals->saved_quit, NULL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigprocmask(SIG_SETMASK, &signals->saved_mask, NULL);
}
