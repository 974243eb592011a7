/*
 * run_channel.h — what `mprof run` hands the library besides the environment numbers:
 * the record pipe's identity (MPROF_PIPE_ID), so that the library writes only into this
 * very pipe.
 *
 * Error convention: 0, or -1 with errno.
 */
#ifndef MPROF_RUN_CHANNEL_H
#define MPROF_RUN_CHANNEL_H

#include "mprof/protocol.h"

struct run_channel {
    char pipe_id[48];                 /* MPROF_PIPE_ID's value */
};

/* Nothing held: safe to close. */
void run_channel_init(struct run_channel *channel);

/* Name the pipe whose write end is `write_fd`. 0, or -1 with errno. */
int run_channel_open(struct run_channel *channel, int write_fd);

/* In the forked child before exec: the variable is set. Returns 0, or the errno that
 * stops the exec. */
int run_channel_export(const struct run_channel *channel);

#endif
