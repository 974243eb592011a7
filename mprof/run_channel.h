/*
 * run_channel.h — what `mprof run` hands the library besides the environment numbers:
 * the record pipe's identity (MPROF_PIPE_ID) and a shared page of counters
 * (MPROF_COUNTERS), so that the library writes only into this very pipe and counts what
 * it had to drop where the CLI can read it however full the pipe stayed.
 *
 * Error convention: 0, or -1 with errno.
 */
#ifndef MPROF_RUN_CHANNEL_H
#define MPROF_RUN_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "mprof/protocol.h"

struct run_channel {
    int counters_fd;                  /* the page's descriptor, until the child has it */
    struct mprof_counters *counters;  /* the page, mapped here; NULL before */
    size_t counters_size;             /* its bytes (its slots as the size limit allows) */
    char pipe_id[48];                 /* MPROF_PIPE_ID's value */
    char counters_id[80];             /* MPROF_COUNTERS's value */
};

/* Nothing held: safe to close. */
void run_channel_init(struct run_channel *channel);

/* Name the pipe whose write end is `write_fd` and make the counters page (close-on-exec
 * until run_channel_export). 0, or -1 with errno. */
int run_channel_open(struct run_channel *channel, int write_fd);

/* In the forked child before exec: the page's descriptor crosses exec and the two
 * variables are set. Returns 0, or the errno that stops the exec. */
int run_channel_export(const struct run_channel *channel);

/* Once the child runs: the descriptor is the child's alone (the page stays mapped). */
void run_channel_started(struct run_channel *channel);

/* What every library of the run dropped so far (0 and 0 without a page). */
void run_channel_dropped(const struct run_channel *channel, uint64_t *records, uint64_t *bytes);

/* Release the page and the descriptor. */
void run_channel_close(struct run_channel *channel);

#endif
