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
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "interval.h"
#include "proc.h"

#define WATCH_DRAIN_LIMIT_BYTES (4u << 20) /* a chatty straggler cannot keep us draining */

static double watch_clock(clockid_t clock)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* One tick: RSS of the main process (and with -C/-M of its descendants) from /proc. */
static void watch_sample_rss(struct watch *session)
{
    double time_s = watch_clock(CLOCK_REALTIME);
    uint64_t total;
    /* A zombie reads as 0: the process has ended and its last word is in the pipe. */
    if (proc_rss_bytes(session->pid, &total) < 0 || total == 0)
        return;
    if (session->children != RECORDER_CHILDREN_IGNORE) {
        pid_t *pids = NULL;
        size_t count = 0;
        if (proc_descendants(session->pid, &pids, &count) == 0) {
            for (size_t i = 0; i < count; i++) {
                uint64_t rss;
                if (proc_rss_bytes(pids[i], &rss) < 0 || rss == 0)
                    continue;
                if (session->children & RECORDER_CHILDREN_SUM)
                    total += rss;
                recorder_child_mem(session->recorder, pids[i], time_s, rss);
            }
            recorder_children_alive(session->recorder, pids, count);
            free(pids);
        }
    }
    recorder_mem(session->recorder, time_s, total);
    recorder_sync(session->recorder);
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

int watch_until_exit(struct watch *session, const sigset_t *wait_mask)
{
    double interval = interval_seconds(session->interval_ns);
    double next_tick = watch_clock(CLOCK_MONOTONIC);
    int wait_status = 0;
    for (;;) {
        double now = watch_clock(CLOCK_MONOTONIC);
        if (now >= next_tick) {
            watch_sample_rss(session);
            next_tick += interval;
            if (next_tick <= now)
                next_tick = now + interval; /* we were late: do not burst to catch up */
        }
        pid_t done = waitpid(session->pid, &wait_status, WNOHANG);
        if (done == session->pid)
            return wait_status;
        if (done < 0 && errno != EINTR) {
            mprof_error("%d: lost track of the program: %s", (int)session->pid, strerror(errno));
            return -1;
        }
        double wait_s = next_tick - watch_clock(CLOCK_MONOTONIC);
        if (wait_s < 0)
            wait_s = 0;
        struct timespec timeout = { (time_t)wait_s, (long)((wait_s - floor(wait_s)) * 1e9) };
        struct pollfd poller = { .fd = session->pipe_fd, .events = POLLIN };
        /* SIGCHLD is blocked except inside ppoll: the end of the target wakes us at
         * once instead of at the next tick, and cannot slip in between the checks. */
        int ready = ppoll(&poller, session->pipe_fd >= 0 ? 1 : 0, &timeout, wait_mask);
        if (ready > 0 && session->pipe_fd >= 0 && (poller.revents & (POLLIN | POLLHUP | POLLERR)))
            watch_read_pipe(session);
    }
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
