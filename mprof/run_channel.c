/*
 * run_channel.c — the pipe's identity (run_channel.h): fstat gives both ends of a pipe
 * the same device and inode, and no other open file has them while the pipe lives.
 */
#include "run_channel.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

void run_channel_init(struct run_channel *channel)
{
    channel->pipe_id[0] = '\0';
}

int run_channel_open(struct run_channel *channel, int write_fd)
{
    struct stat pipe_info;
    if (fstat(write_fd, &pipe_info) < 0)
        return -1;
    snprintf(channel->pipe_id, sizeof(channel->pipe_id), "%" PRIu64 ":%" PRIu64,
             (uint64_t)pipe_info.st_dev, (uint64_t)pipe_info.st_ino);
    return 0;
}

int run_channel_export(const struct run_channel *channel)
{
    if (setenv(MPROF_ENV_PIPE_ID, channel->pipe_id, 1) < 0)
        return errno != 0 ? errno : EINVAL;
    return 0;
}
