/*
 * wire.h — how libmprof.so speaks: records to the CLI through the pipe (writer.c), one-
 * line messages on stderr or as NOTICE records (diag.c), the clock that stamps them
 * (clock.c), and this process's heap in the CLI's shared page (heap_slot.c).
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

struct mprof_counters;

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
/* The CLI's counters page writer_counters_open adopted, or NULL. */
struct mprof_counters *writer_counters_page(void);

/* ---- heap_slot.c: this process's heap where mprof attach can read it ------------- */

/* Claim one of the page->slot_count slots of `page` (NULL: none) for `pid`: the one that holds `pid` already (this
 * image's before an exec), else a free one or one whose process has ended, taken with a
 * compare-and-swap; its figures start at zero. It is never given back: it is free again
 * once its process has ended. 0, or -1 when every slot is taken. */
int heap_slot_claim(struct mprof_counters *page, int32_t pid);
/* Publish a sample into the claimed slot (nothing without one). From any thread; a
 * second thread of the same process writing at that moment makes this one a no-op. */
void heap_slot_publish(uint64_t time_ns, int64_t live_bytes, int64_t peak_bytes);
/* In a fork child: the slot is the parent's, never this process's to write or free. */
void heap_slot_forget(void);

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
