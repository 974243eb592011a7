/*
 * writer.c — records to the CLI through the pipe named by MPROF_FD.
 *
 * Each record goes out in one write(2) of less than PIPE_BUF bytes, so records from
 * several processes sharing the pipe never interleave. We write only into the very pipe
 * the CLI made (its device and inode, from MPROF_PIPE_ID), checked before every write: if
 * the program closes our descriptor and the number is reused for one of its own files,
 * we stop writing rather than scribble into its file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

static int writer_fd = -1;
static dev_t writer_device;
static ino_t writer_inode;

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
    writer_device = info.st_dev;
    writer_inode = info.st_ino;
    __atomic_store_n(&writer_fd, fd, __ATOMIC_RELEASE);
    return 0;
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
    ssize_t written;
    do {
        written = write(fd, record, size);
    } while (written < 0 && errno == EINTR);
    int write_errno = errno;
    if (written < 0 && write_errno == EPIPE && !sigismember(&previous, SIGPIPE)) {
        struct timespec no_wait = {0, 0};
        sigtimedwait(&pipe_only, NULL, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (written != (ssize_t)size) {
        writer_close();
        errno = write_errno;
        return -1;
    }
    return 0;
}
