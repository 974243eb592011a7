/*
 * wire.h — how libmprof.so speaks: records to the CLI through the pipe (writer.c), one-
 * line messages on stderr or as NOTICE records (diag.c), and the clock that stamps them
 * (clock.c).
 *
 * The rule that binds every line in wire/: it is the bottom layer and calls nothing else
 * of ours, and it may be called from anywhere (a hook's rare path, the sampler thread,
 * _exit, a fork child), so it never calls malloc and never takes a lock: each record is
 * one write(2) of less than PIPE_BUF bytes, formatted on the stack. Its system calls keep
 * it off the hot path: no malloc or free of the program's ever waits on it.
 */
#ifndef MPROF_WIRE_H
#define MPROF_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Hidden, as everything of the library's (core.h says why). */
#pragma GCC visibility push(hidden)

/* ---- writer.c: records to the CLI ---------------------------------------------- */

/* Adopt `fd` (MPROF_FD) if it is the very pipe (`device`, `inode`: MPROF_PIPE_ID) the
 * CLI made, and make its writes non-blocking. 0 on success, -1 otherwise. */
int writer_open(int fd, uint64_t device, uint64_t inode);
/* Count what cannot be sent in the CLI's shared page (MPROF_COUNTERS), if `fd` is that
 * very file. 0 on success, -1 otherwise (nothing is counted then). */
int writer_counters_open(int fd, uint64_t device, uint64_t inode);
/* Send one record in one write(2); SIGPIPE never kills the program, and a full pipe
 * holds the caller a bounded time (writer.c says how long). 0, or -1: the record was
 * dropped (errno EAGAIN: counted, the writer stays open) or the pipe is gone (the writer
 * then stays closed). */
int writer_send(const void *record, size_t size);
/* Whether records reach a CLI now. */
int writer_is_open(void);
/* Forget the pipe (a quiet child, or after the CLI went away). */
void writer_close(void);

/* ---- diag.c: messages ------------------------------------------------------------ */

/* Format into a stack buffer and write(2) to stderr as "mprof: ...": never mallocs. */
void diag(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* The same text as a NOTICE record when the pipe is open, else on stderr. */
void diag_notice(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* ---- clock.c --------------------------------------------------------------------- */

/* Wall-clock nanoseconds since the epoch (CLOCK_REALTIME): the time base of records. */
uint64_t clock_realtime_ns(void);

#pragma GCC visibility pop

#endif
