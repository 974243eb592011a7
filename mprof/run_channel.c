/*
 * run_channel.c — the pipe's identity and the shared counters page (run_channel.h).
 *
 * The page is a memfd: it has no name in any directory, the library maps it from the
 * inherited descriptor after checking that descriptor's device and inode, and a
 * MAP_SHARED page is shared by every process of the run (fork keeps it, exec maps it
 * anew from the descriptor), so their atomic adds meet in one place that needs no room
 * in the pipe.
 */
#include "run_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void run_channel_init(struct run_channel *channel)
{
    channel->counters_fd = -1;
    channel->counters = NULL;
    channel->pipe_id[0] = '\0';
    channel->counters_id[0] = '\0';
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
    if (ftruncate(channel->counters_fd, (off_t)sizeof(struct mprof_counters)) < 0 ||
        fstat(channel->counters_fd, &page_info) < 0)
        return -1;
    void *page = mmap(NULL, sizeof(struct mprof_counters), PROT_READ | PROT_WRITE, MAP_SHARED,
                      channel->counters_fd, 0);
    if (page == MAP_FAILED)
        return -1;
    channel->counters = page;
    channel->counters->magic = MPROF_COUNTERS_MAGIC;
    channel->counters->version = MPROF_PROTOCOL_VERSION;
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
        munmap(channel->counters, sizeof(struct mprof_counters));
    channel->counters = NULL;
}
