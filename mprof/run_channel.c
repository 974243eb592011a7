/*
 * run_channel.c — the pipe's identity and the shared counters page (run_channel.h).
 *
 * The page is a memfd: it has no name in any directory, the library maps it from the
 * inherited descriptor after checking that descriptor's device and inode, and a
 * MAP_SHARED page is shared by every process of the run (fork keeps it, exec maps it
 * anew from the descriptor), so their atomic adds meet in one place that needs no room
 * in the pipe, and each reporting process's heap slot (protocol.h), which mprof attach
 * reads through /proc/PID/fd.
 */
#include "run_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

void run_channel_init(struct run_channel *channel)
{
    channel->counters_fd = -1;
    channel->counters = NULL;
    channel->pipe_id[0] = '\0';
    channel->counters_id[0] = '\0';
}

/* As many heap slots as the file size limit lets the memfd hold (ulimit -f counts it
 * too): a run under a tight limit keeps its drop counters, with fewer processes that
 * mprof attach can read the heap of. */
static uint32_t run_channel_slot_count(void)
{
    struct rlimit limit;
    uint32_t count = MPROF_HEAP_SLOT_COUNT;
    if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        if (limit.rlim_cur < mprof_counters_size(0))
            return 0;  /* no room even for the counters: ftruncate says so */
        rlim_t fit = (limit.rlim_cur - mprof_counters_size(0)) / sizeof(struct mprof_heap_slot);
        if (fit < count)
            count = (uint32_t)fit;
    }
    return count;
}

int run_channel_open(struct run_channel *channel, int write_fd)
{
    struct stat pipe_info, page_info;
    if (fstat(write_fd, &pipe_info) < 0)
        return -1;
    snprintf(channel->pipe_id, sizeof(channel->pipe_id), "%" PRIu64 ":%" PRIu64,
             (uint64_t)pipe_info.st_dev, (uint64_t)pipe_info.st_ino);
    channel->counters_fd = memfd_create(MPROF_COUNTERS_MEMFD_NAME, MFD_CLOEXEC);
    if (channel->counters_fd < 0)
        return -1;
    uint32_t slot_count = run_channel_slot_count();
    size_t size = mprof_counters_size(slot_count);
    if (ftruncate(channel->counters_fd, (off_t)size) < 0 ||
        fstat(channel->counters_fd, &page_info) < 0)
        return -1;
    void *page = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, channel->counters_fd, 0);
    if (page == MAP_FAILED)
        return -1;
    channel->counters = page;
    channel->counters_size = size;
    channel->counters->magic = MPROF_COUNTERS_MAGIC;
    channel->counters->version = MPROF_PROTOCOL_VERSION;
    channel->counters->slot_count = slot_count;
    snprintf(channel->counters_id, sizeof(channel->counters_id),
             "%d:%" PRIu64 ":%" PRIu64, channel->counters_fd, (uint64_t)page_info.st_dev,
             (uint64_t)page_info.st_ino);
    return 0;
}

int run_channel_export(const struct run_channel *channel)
{
    int flags = fcntl(channel->counters_fd, F_GETFD);
    if (flags < 0 || fcntl(channel->counters_fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return errno;
    if (setenv(MPROF_ENV_PIPE_ID, channel->pipe_id, 1) < 0 ||
        setenv(MPROF_ENV_COUNTERS, channel->counters_id, 1) < 0)
        return errno != 0 ? errno : EINVAL;
    return 0;
}

void run_channel_started(struct run_channel *channel)
{
    if (channel->counters_fd >= 0)
        close(channel->counters_fd);
    channel->counters_fd = -1;
}

void run_channel_dropped(const struct run_channel *channel, uint64_t *records, uint64_t *bytes)
{
    *records = *bytes = 0;
    if (channel->counters == NULL)
        return;
    *records = __atomic_load_n(&channel->counters->dropped_records, __ATOMIC_RELAXED);
    *bytes = __atomic_load_n(&channel->counters->dropped_bytes, __ATOMIC_RELAXED);
}

void run_channel_close(struct run_channel *channel)
{
    run_channel_started(channel);
    if (channel->counters != NULL)
        munmap(channel->counters, channel->counters_size);
    channel->counters = NULL;
}
