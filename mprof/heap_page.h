/*
 * heap_page.h — the live heap of a process that runs mprof's library, read from outside
 * it: the counters page its `mprof run` shares with every process of the run (a memfd,
 * include/mprof/protocol.h), reached through /proc/PID/fd, and that process's slot in it.
 *
 * Reading the page takes nothing from the run that owns it (its records stay on its
 * pipe) and needs no ptrace: /proc/PID/fd is open to the process's own user whatever
 * Yama's ptrace_scope says.
 */
#ifndef MPROF_HEAP_PAGE_H
#define MPROF_HEAP_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mprof/protocol.h"

struct heap_page {
    const struct mprof_counters *page; /* mapped read-only; NULL when closed */
    size_t size;                       /* the bytes mapped */
    pid_t pid;                         /* whose slot is read */
    unsigned slot;                     /* its index in page->slots */
};

/* One consistent reading of a slot. */
struct heap_reading {
    uint64_t time_ns;        /* the library's sample time (CLOCK_REALTIME) */
    int64_t live_bytes;
    int64_t peak_bytes;      /* the image's high-water mark so far */
};

/* Find `pid`'s slot in a counters page it holds open, and map that page. 0, or -1 with
 * `why` (at most `why_size` bytes) saying in a few words what stood in the way: no such
 * descriptor (the process was not started by mprof run, or closed it), /proc/PID/fd not
 * readable (another user's process), a page of another protocol version (mprof and the
 * library from different builds), no slot for that pid (a child that does not report). */
int heap_page_open(struct heap_page *heap, pid_t pid, char *why, size_t why_size);

/* The slot as it is now, when it is still `pid`'s and was read whole: true with
 * *reading set; false when its owner was writing it at each try, or it is no longer
 * that pid's (the process released it at its exit). */
bool heap_page_read(const struct heap_page *heap, struct heap_reading *reading);

/* Read the slot `slot` of `page` for `pid` with the sequence lock protocol.h describes
 * (the part heap_page_read does after the page is mapped; given apart for tests). */
bool heap_slot_read(const struct mprof_heap_slot *slot, pid_t pid,
                    struct heap_reading *reading);

/* Unmap the page (safe on one never opened). */
void heap_page_close(struct heap_page *heap);

#endif
