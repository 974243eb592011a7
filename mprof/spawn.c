/*
 * spawn.c — fork and exec with an exec-status pipe (see spawn.h).
 *
 * Invariant: the parent learns the child's errno or nothing. The pipe's write end is
 * close-on-exec, so exec closes it and the parent's read sees EOF; any failure in the
 * child writes its errno first and exits. A short read (the child died in between) is
 * taken as "it ran": its exit status then tells the rest.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>


/* In the child: report `child_errno` to the parent and end. */
static void spawn_child_fail(int status_fd, int child_errno)
{
    ssize_t ignored = write(status_fd, &child_errno, sizeof child_errno);
    (void)ignored;  /* nothing more can be done: the parent sees an exit status */
    _exit(child_errno == ENOENT ? SPAWN_EXIT_NOT_FOUND : SPAWN_EXIT_NOT_EXEC);
}

int spawn_terminal(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
        if (isatty(fd) && tcgetpgrp(fd) == getpgrp())
            return fd;
    return -1;
}

void spawn_terminal_give(int terminal_fd, pid_t group)
{
    if (terminal_fd < 0)
        return;
    sigset_t ttou, saved;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &saved);
    /* It fails only when the terminal is gone (a hangup): nothing is left to give. */
    (void)tcsetpgrp(terminal_fd, group);
    sigprocmask(SIG_SETMASK, &saved, NULL);
}

/* Both the child and the parent make the group and hand it the terminal, as shells do:
 * whichever runs first, the group exists before the exec and before the parent goes on. */
static void spawn_make_group(const struct spawn_request *request, pid_t child)
{
    if (!request->own_group)
        return;
    (void)setpgid(child, child); /* the parent's call fails once the child has exec'd */
    spawn_terminal_give(request->terminal_fd, child);
}

static void spawn_child(const struct spawn_request *request, int status_fd)
{
    spawn_make_group(request, getpid());
    /* dup2 clears close-on-exec on the copy, so exactly these reach the program. */
    if ((request->stdin_fd >= 0 && dup2(request->stdin_fd, STDIN_FILENO) < 0) ||
        (request->stdout_fd >= 0 && dup2(request->stdout_fd, STDOUT_FILENO) < 0) ||
        (request->stderr_fd >= 0 && dup2(request->stderr_fd, STDERR_FILENO) < 0))
        spawn_child_fail(status_fd, errno);
    if (request->prepare != NULL) {
        int prepare_errno = request->prepare(request->context);
        if (prepare_errno != 0)
            spawn_child_fail(status_fd, prepare_errno);
    }
    execvp(request->argv[0], request->argv);
    spawn_child_fail(status_fd, errno);
}

int spawn_start(const struct spawn_request *request, pid_t *pid, bool *exec_failed)
{
    *exec_failed = false;
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) < 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child < 0) {
        int fork_errno = errno;
        close(status_pipe[0]);
        close(status_pipe[1]);
        errno = fork_errno;
        return -1;
    }
    if (child == 0) {
        close(status_pipe[0]);
        spawn_child(request, status_pipe[1]);
    }
    spawn_make_group(request, child);
    close(status_pipe[1]);
    int child_errno = 0;
    ssize_t got;
    do
        got = read(status_pipe[0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    close(status_pipe[0]);
    if (got == (ssize_t)sizeof child_errno) {
        int ignored;
        spawn_wait(child, &ignored);
        if (request->own_group)
            spawn_terminal_give(request->terminal_fd, getpgrp());
        *exec_failed = true;
        errno = child_errno;
        return -1;
    }
    *pid = child;
    return 0;
}

int spawn_wait(pid_t pid, int *wait_status)
{
    while (waitpid(pid, wait_status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}
