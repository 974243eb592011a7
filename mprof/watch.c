/*
 * watch.c — following the target while it runs (contract in watch.h): RSS from /proc
 * at every tick of the interval, the library's records from the pipe in between, and
 * at the end whatever the pipe already holds.
 *
 * Invariant: the loop never waits on anything but the clock, the pipe and SIGCHLD, so
 * the end of the main process ends the watch at once, however its descendants hold
 * the pipe.
 */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "interval.h"
#include "proc.h"
#include "spawn.h"

#define WATCH_DRAIN_LIMIT_BYTES (4u << 20) /* a chatty straggler cannot keep us draining */

static double watch_clock(clockid_t clock)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Without a pidfd: the process has ended (or its pid is another's now). */
static bool watch_attached_gone(const struct watch *session)
{
    char state;
    unsigned long long ticks;
    return proc_state(session->pid, &state) < 0 || state == 'Z' || state == 'X' ||
           proc_start_ticks(session->pid, &ticks) < 0 || ticks != session->start_ticks;
}

/* Whether what was just read of session->pid was read of the process we follow. Our
 * own child cannot be another until we reap it; an attached one can have ended and its
 * pid been given to a new process since the last tick: its pidfd is then readable, or
 * (without one) its start time differs. */
static bool watch_still_ours(const struct watch *session)
{
    if (!session->attached)
        return true;
    if (session->pidfd >= 0) {
        struct pollfd poller = { .fd = session->pidfd, .events = POLLIN };
        return poll(&poller, 1, 0) == 0;
    }
    return !watch_attached_gone(session);
}

/* One tick: RSS of the main process (and with -C/-M of its descendants) from /proc,
 * kept only when it was read of the process followed (watch_still_ours). A failed
 * write sets write_failed. */
static void watch_sample_rss(struct watch *session)
{
    double time_s = watch_clock(CLOCK_REALTIME);
    uint64_t total;
    /* A zombie reads as 0: the process has ended and its last word is in the pipe. */
    if (proc_memory_bytes(session->pid, session->backend, &total) < 0 || total == 0)
        return;
    pid_t *pids = NULL;
    uint64_t *child_bytes = NULL;
    size_t count = 0;
    bool have_children = false;
    if (session->children != RECORDER_CHILDREN_IGNORE &&
        proc_descendants(session->pid, &pids, &count) == 0) {
        child_bytes = count > 0 ? calloc(count, sizeof(*child_bytes)) : NULL;
        have_children = count == 0 || child_bytes != NULL;
        for (size_t i = 0; have_children && i < count; i++)
            if (proc_memory_bytes(pids[i], session->backend, &child_bytes[i]) < 0)
                child_bytes[i] = 0;
    }
    if (watch_still_ours(session)) {
        for (size_t i = 0; have_children && i < count; i++) {
            if (child_bytes[i] == 0)
                continue;
            if (session->children & RECORDER_CHILDREN_SUM)
                total += child_bytes[i];
            recorder_child_mem(session->recorder, pids[i], time_s, child_bytes[i]);
        }
        if (have_children)
            recorder_children_alive(session->recorder, pids, count);
        recorder_mem(session->recorder, time_s, total);
        /* write_errno keeps the first failure of any write, which a flush after it
         * may not see again. */
        if (recorder_sync(session->recorder) < 0 || session->recorder->write_errno != 0)
            session->write_failed = true;
    }
    free(pids);
    free(child_bytes);
}

/* From now to the monotonic time `wake_at`, for ppoll (0 when it has passed). */
static struct timespec watch_timeout(double wake_at)
{
    double wait_s = wake_at - watch_clock(CLOCK_MONOTONIC);
    if (wait_s < 0)
        wait_s = 0;
    return (struct timespec){ (time_t)wait_s, (long)((wait_s - floor(wait_s)) * 1e9) };
}

/* Read what the pipe has. Returns the bytes read, 0 at EOF (the pipe is then closed),
 * or -1 when nothing is there now. Bytes after a broken record are read and dropped,
 * so writers never block on a full pipe. */
static ssize_t watch_read_pipe(struct watch *session)
{
    unsigned char buffer[16384];
    ssize_t got = read(session->pipe_fd, buffer, sizeof(buffer));
    if (got > 0) {
        recorder_feed(session->recorder, buffer, (size_t)got);
        return got;
    }
    if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(session->pipe_fd);
        session->pipe_fd = -1;
        return 0;
    }
    return -1;
}

/* --timeout for our own child: SIGTERM when it comes, SIGKILL WATCH_KILL_GRACE_S later
 * (the profile is the CLI's: the program only has to end). Returns when to act next
 * (0: nothing more to do). */
static double watch_enforce_timeout(struct watch *session, double start, double now)
{
    if (session->timeout_s <= 0)
        return 0;
    double term_at = start + session->timeout_s, kill_at = term_at + WATCH_KILL_GRACE_S;
    if (now < term_at)
        return term_at;
    /* The group is the program and what it started (timeout(1)'s rule): a child left
     * running would outlive the timeout. */
    pid_t target = session->own_group ? -session->pid : session->pid;
    if (!session->timed_out) {
        session->timed_out = true;
        kill(target, SIGTERM);
        if (session->own_group)
            kill(target, SIGCONT); /* a stopped group cannot act on the SIGTERM */
    }
    if (now < kill_at)
        return kill_at;
    kill(target, SIGKILL);
    return 0;
}

/* Ctrl-Z stopped the program's group, which has the terminal: stop with it, as we
 * would in its group, and give the terminal back and it SIGCONT once we are
 * continued (fg, bg). */
static void watch_follow_stop(const struct watch *session)
{
    spawn_terminal_give(session->terminal_fd, getpgrp());
    raise(SIGTSTP);
    /* Continued: the program goes on in the foreground again (for bg, the shell took
     * the terminal back from us, and the program's reads stop it, as they would). */
    if (tcgetpgrp(session->terminal_fd) == getpgrp())
        spawn_terminal_give(session->terminal_fd, session->pid);
    kill(-session->pid, SIGCONT);
}

int watch_until_exit(struct watch *session, const sigset_t *wait_mask)
{
    double interval = interval_seconds(session->interval_ns);
    double start = watch_clock(CLOCK_MONOTONIC);
    double next_tick = start, act_at = session->timeout_s > 0 ? start : 0;
    int wait_status = 0;
    for (;;) {
        double now = watch_clock(CLOCK_MONOTONIC);
        if (act_at > 0 && now >= act_at)
            act_at = watch_enforce_timeout(session, start, now);
        if (now >= next_tick) {
            watch_sample_rss(session);
            next_tick += interval;
            if (next_tick <= now)
                next_tick = now + interval; /* we were late: do not burst to catch up */
        }
        bool terminal_stops = session->own_group && session->terminal_fd >= 0;
        pid_t done = waitpid(session->pid, &wait_status, WNOHANG | (terminal_stops ? WUNTRACED : 0));
        if (done == session->pid && WIFSTOPPED(wait_status)) {
            int stop = WSTOPSIG(wait_status);
            if (stop == SIGTSTP || stop == SIGTTIN || stop == SIGTTOU)
                watch_follow_stop(session);
            continue;
        }
        if (done == session->pid)
            return wait_status;
        if (done < 0 && errno != EINTR) {
            mprof_error("%d: lost track of the program: %s", (int)session->pid, strerror(errno));
            return -1;
        }
        double wake_at = act_at > 0 && act_at < next_tick ? act_at : next_tick;
        struct timespec timeout = watch_timeout(wake_at);
        struct pollfd poller = { .fd = session->pipe_fd, .events = POLLIN };
        /* SIGCHLD is blocked except inside ppoll: the end of the target wakes us at
         * once instead of at the next tick, and cannot slip in between the checks. */
        int ready = ppoll(&poller, session->pipe_fd >= 0 ? 1 : 0, &timeout, wait_mask);
        if (ready > 0 && session->pipe_fd >= 0 && (poller.revents & (POLLIN | POLLHUP | POLLERR)))
            watch_read_pipe(session);
    }
}

static int watch_attached_loop(struct watch *session, const sigset_t *wait_mask)
{
    double interval = interval_seconds(session->interval_ns);
    double start = watch_clock(CLOCK_MONOTONIC);
    double next_tick = start, end_at = start + session->timeout_s;
    session->attached = true;
    for (;;) {
        if (session->stop != NULL && *session->stop) {
            session->stopped = true;
            return 0;
        }
        double now = watch_clock(CLOCK_MONOTONIC);
        if (session->timeout_s > 0 && now >= end_at) {
            session->timed_out = true;
            return 0;
        }
        if (now >= next_tick) {
            if (session->on_tick != NULL)
                session->on_tick(session->tick_context);
            watch_sample_rss(session);
            if (session->write_failed)
                return 0; /* the file would only lose more: the caller says so */
            next_tick += interval;
            if (next_tick <= now)
                next_tick = now + interval;
        }
        double wake_at = session->timeout_s > 0 && end_at < next_tick ? end_at : next_tick;
        struct timespec timeout = watch_timeout(wake_at);
        struct pollfd poller = { .fd = session->pidfd, .events = POLLIN };
        /* The pidfd turns readable when the process ends, however it ends: a pid that
         * is reused meanwhile is never taken for it. Without one, /proc says so at the
         * next tick. */
        if (session->pidfd < 0 && watch_attached_gone(session))
            return 0;
        int ready = ppoll(&poller, session->pidfd >= 0 ? 1 : 0, &timeout, wait_mask);
        if (ready > 0 && (poller.revents & (POLLIN | POLLHUP | POLLERR)))
            return 0;
        if (ready < 0 && errno != EINTR) {
            mprof_error("attach: %d: cannot follow the process: %s", (int)session->pid, strerror(errno));
            return 0;
        }
    }
}

int watch_attached(struct watch *session, const sigset_t *wait_mask)
{
    int status = watch_attached_loop(session, wait_mask);
    /* What the process published last, at its very end too (unless the file failed). */
    if (session->on_tick != NULL && !session->write_failed)
        session->on_tick(session->tick_context);
    return status;
}

void watch_drain(struct watch *session)
{
    if (session->pipe_fd < 0)
        return;
    int flags = fcntl(session->pipe_fd, F_GETFL);
    if (flags >= 0)
        fcntl(session->pipe_fd, F_SETFL, flags | O_NONBLOCK);
    size_t drained = 0;
    while (session->pipe_fd >= 0 && drained < WATCH_DRAIN_LIMIT_BYTES) {
        ssize_t got = watch_read_pipe(session);
        if (got <= 0)
            break;
        drained += (size_t)got;
    }
    if (session->pipe_fd >= 0) {
        close(session->pipe_fd);
        session->pipe_fd = -1;
    }
}
