/*
 * writer.c — records to the CLI through the pipe named by MPROF_FD.
 *
 * Each record goes out in one write(2) of less than PIPE_BUF bytes, so records from
 * several processes sharing the pipe never interleave. We write only into the very pipe
 * the CLI made (its device and inode, from MPROF_PIPE_ID), checked before every write: if
 * the program closes our descriptor and the number is reused for one of its own files,
 * we stop writing rather than scribble into its file.
 *
 * The program never waits long on its profiler. The pipe is non-blocking; a record that
 * finds it full waits for room at most WRITER_STALL_WAIT_MS, all the waits of one image
 * together at most WRITER_WAIT_BUDGET_MS in each WRITER_WAIT_WINDOW_MS (a program that
 * ends holds on at most that long), and after a wait ran out none waits again until
 * a write goes through. What is not sent is counted in the CLI's shared page, which needs
 * no room in the pipe, so the CLI learns of it even when the pipe stayed full to the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mprof/protocol.h"
#include "wire.h"

#define WRITER_STALL_WAIT_MS  1000 /* the longest one record waits for a full pipe */
#define WRITER_WAIT_BUDGET_MS 2000 /* all of one image's waits together, per window */
#define WRITER_WAIT_WINDOW_MS 20000 /* the budget is whole again after this long: a busy
                                     * CLI costs a long run at most a tenth of its time,
                                     * and never empties the budget for good */

static int writer_fd = -1;
static dev_t writer_device;
static ino_t writer_inode;
static struct mprof_counters *writer_counters;  /* the CLI's page, or NULL */
static int writer_stalled;      /* a wait ran out, and no write went through since */
static int writer_waited_ms;    /* this image's waits so far, in this window */
static int64_t writer_window_ms; /* when this window began (0: none yet) */

/* Whether `fd` is open on the file (device, inode) and that file is of `type`. */
static int fd_is_file(int fd, unsigned type, uint64_t device, uint64_t inode, struct stat *info)
{
    return fd >= 0 && fstat(fd, info) == 0 && (info->st_mode & S_IFMT) == type &&
           (uint64_t)info->st_dev == device && (uint64_t)info->st_ino == inode;
}

int writer_open(int fd, uint64_t device, uint64_t inode)
{
    struct stat info;
    if (!fd_is_file(fd, S_IFIFO, device, inode, &info))
        return -1;
    /* The description is shared by every process of the run, all of them ours. */
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    writer_device = info.st_dev;
    writer_inode = info.st_ino;
    __atomic_store_n(&writer_waited_ms, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&writer_stalled, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&writer_fd, fd, __ATOMIC_RELEASE);
    return 0;
}

int writer_counters_open(int fd, uint64_t device, uint64_t inode)
{
    struct stat info;
    /* A page of another protocol's layout is another build's: refused whole, as its
     * version is. Its slots are as many as its size holds, and as its header says. */
    if (!fd_is_file(fd, S_IFREG, device, inode, &info) ||
        info.st_size < (off_t)mprof_counters_size(0))
        return -1;
    size_t size = info.st_size < (off_t)sizeof(struct mprof_counters)
                      ? (size_t)info.st_size : sizeof(struct mprof_counters);
    void *page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (page == MAP_FAILED)
        return -1;
    struct mprof_counters *counters = page;
    if (counters->magic != MPROF_COUNTERS_MAGIC || counters->version != MPROF_PROTOCOL_VERSION ||
        counters->slot_count > MPROF_HEAP_SLOT_COUNT ||
        mprof_counters_size(counters->slot_count) > size) {
        munmap(page, size);
        return -1;
    }
    writer_counters = counters;
    return 0;
}

struct mprof_counters *writer_counters_page(void)
{
    return writer_counters;
}

int writer_is_open(void)
{
    return __atomic_load_n(&writer_fd, __ATOMIC_ACQUIRE) >= 0;
}

void writer_close(void)
{
    __atomic_store_n(&writer_fd, -1, __ATOMIC_RELEASE);
}

static int still_our_pipe(int fd)
{
    struct stat info;
    return fd_is_file(fd, S_IFIFO, (uint64_t)writer_device, (uint64_t)writer_inode, &info);
}

static int64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The pipe is full: wait for room within what this image may still wait. Returns 1
 * when there may be room now, 0 when the record is to be dropped. */
static int wait_for_room(int fd)
{
    if (__atomic_load_n(&writer_stalled, __ATOMIC_RELAXED))
        return 0;
    int64_t now_ms = monotonic_ms();
    int64_t window_ms = __atomic_load_n(&writer_window_ms, __ATOMIC_RELAXED);
    if (window_ms == 0 || now_ms - window_ms >= WRITER_WAIT_WINDOW_MS) {
        /* Two threads may both start the window: the budget is then at most doubled. */
        __atomic_store_n(&writer_window_ms, now_ms, __ATOMIC_RELAXED);
        __atomic_store_n(&writer_waited_ms, 0, __ATOMIC_RELAXED);
    }
    int left_ms = WRITER_WAIT_BUDGET_MS - __atomic_load_n(&writer_waited_ms, __ATOMIC_RELAXED);
    if (left_ms <= 0)
        return 0;
    int timeout_ms = left_ms < WRITER_STALL_WAIT_MS ? left_ms : WRITER_STALL_WAIT_MS;
    int64_t start_ms = monotonic_ms();
    struct pollfd room = { .fd = fd, .events = POLLOUT };
    int ready = poll(&room, 1, timeout_ms);
    int waited_ms = (int)(monotonic_ms() - start_ms);
    /* A wait always costs something, so that a poll woken again and again (a signal)
     * still runs out of budget. */
    __atomic_add_fetch(&writer_waited_ms, waited_ms > 0 ? waited_ms : 1, __ATOMIC_RELAXED);
    if (ready == 0) {
        __atomic_store_n(&writer_stalled, 1, __ATOMIC_RELAXED);
        return 0;
    }
    return 1;
}

/* One write of the whole record, waiting for room as wait_for_room allows. */
static ssize_t write_bounded(int fd, const void *record, size_t size)
{
    for (;;) {
        ssize_t written = write(fd, record, size);
        if (written >= 0) {
            __atomic_store_n(&writer_stalled, 0, __ATOMIC_RELAXED);
            return written;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN || !wait_for_room(fd)) {
            return -1;
        }
    }
}

static void count_dropped(size_t size)
{
    struct mprof_counters *counters = writer_counters;
    if (counters == NULL)
        return;
    __atomic_add_fetch(&counters->dropped_records, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&counters->dropped_bytes, (uint64_t)size, __ATOMIC_RELAXED);
}

int writer_send(const void *record, size_t size)
{
    int fd = __atomic_load_n(&writer_fd, __ATOMIC_ACQUIRE);
    if (fd < 0)
        return -1;
    if (!still_our_pipe(fd)) {
        writer_close();
        return -1;
    }
    /* A reader that went away must not kill the program with SIGPIPE: block it for
     * this thread, and swallow the one our write raised. */
    sigset_t pipe_only, previous;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    ssize_t written = write_bounded(fd, record, size);
    int write_errno = errno;
    if (written < 0 && write_errno == EPIPE && !sigismember(&previous, SIGPIPE)) {
        struct timespec no_wait = {0, 0};
        sigtimedwait(&pipe_only, NULL, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (written == (ssize_t)size)
        return 0;
    if (written < 0 && write_errno == EAGAIN) {
        /* The CLI is slow or stopped, not gone: this record is lost, later ones may not. */
        count_dropped(size);
    } else {
        writer_close();
    }
    errno = write_errno;
    return -1;
}
