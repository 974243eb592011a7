/*
 * spawn.h — the CLI's one way to start a program: fork, set the child up, exec, and
 * know for sure whether the exec happened.
 *
 * The child reports a failure before or at exec (its set-up, or execvp itself) through
 * a close-on-exec pipe: a successful exec closes it without a word, so when
 * spawn_start() returns 0 the program is running, and when it fails the caller has the
 * real errno (ENOENT for a missing program, EACCES, ...) rather than an exit status
 * to guess from. Both mprof run (the target) and mprof plot (gnuplot) start their
 * programs here.
 */
#ifndef MPROF_SPAWN_H
#define MPROF_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

/* The exit statuses a shell gives a command it could not run, which mprof run passes on
 * for a target that never ran. */
#define SPAWN_EXIT_NOT_EXEC  126  /* found but cannot be run */
#define SPAWN_EXIT_NOT_FOUND 127  /* no such command */

struct spawn_request {
    char *const *argv;     /* argv[0] is looked up on PATH as execvp does */
    /* Descriptors to become the child's stdin, stdout and stderr; -1 keeps ours. */
    int stdin_fd, stdout_fd, stderr_fd;
    /* Run in the child after the redirections, before exec (signal dispositions, the
     * environment, descriptors to pass on). Returns 0, or an errno to report as the
     * failure. NULL: nothing to do. It runs in a forked copy of the CLI: it must not
     * return to the caller's code, only set up and return. */
    int (*prepare)(void *context);
    void *context;
    /* The child leads a process group of its own (its pid), so that it and whatever it
     * starts can be signalled as one, as timeout(1) does. */
    bool own_group;
    /* With own_group: a terminal whose foreground group is ours (spawn_terminal), which
     * the child's group gets, so that Ctrl-C, Ctrl-\ and reading the terminal stay the
     * program's; -1 for none. spawn_terminal_back() takes it back. */
    int terminal_fd;
};

/* Of stdin, stdout and stderr, one that is a terminal whose foreground process group
 * is ours (we run in the foreground), or -1. */
int spawn_terminal(void);

/* Make `group` the foreground process group of `terminal_fd` (nothing for -1): the
 * child's, or ours (getpgrp()) again once it has ended. SIGTTOU, which a background
 * group gets for this, is held off meanwhile. */
void spawn_terminal_give(int terminal_fd, pid_t group);


/* Start the program. Returns 0 with *pid once it has exec'd. Returns -1 with errno
 * when it did not start: *exec_failed is false when no child was made (pipe, fork),
 * true when the child's set-up or exec failed (that child is reaped already). stdout
 * and stderr are flushed first so the child does not inherit unwritten output. */
int spawn_start(const struct spawn_request *request, pid_t *pid, bool *exec_failed);

/* Wait for `pid` to end, retrying when a signal interrupts. Returns 0 with its wait
 * status in *wait_status, or -1 with errno (ECHILD). */
int spawn_wait(pid_t pid, int *wait_status);

#endif
