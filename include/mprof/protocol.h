/*
 * protocol.h — the wire between libmprof.so (in the target) and the mprof CLI.
 *
 * The library writes fixed-layout records to the pipe named by MPROF_FD. Each record
 * is written with a single write(2) of at most MPROF_RECORD_MAX bytes (< PIPE_BUF),
 * so records from several processes sharing the pipe (children, exec'd images) never
 * interleave: the reader frames the stream by header.size alone.
 *
 * Invariant: a record is self-describing (magic, version, type, size, pid) and is
 * little-endian; a reader rejects anything whose header does not validate rather than
 * guessing, and keeps every record that came before it.
 */
#ifndef MPROF_PROTOCOL_H
#define MPROF_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mprof's wire format is little-endian; this host is not"
#endif

#define MPROF_PROTOCOL_MAGIC   0x4650524dU /* bytes "MRPF" */
#define MPROF_PROTOCOL_VERSION 4  /* 2: ENDING records; a CLI of 1 refuses them whole.
                                  * 3: MPROF_PIPE_ID and MPROF_COUNTERS: a library of 3
                                  * writes only into the pipe the CLI names, and
                                  * ends its SITE records with one of rank 0.
                                  * 4: the counters page holds the heap slots */
#define MPROF_RECORD_MAX       4096        /* PIPE_BUF on Linux: one write is atomic */
#define MPROF_NOTICE_TEXT_MAX  256

/* Environment the CLI hands to the target (and so to every process it starts). */
#define MPROF_ENV_FD          "MPROF_FD"          /* write end of the record pipe */
#define MPROF_ENV_INTERVAL_NS "MPROF_INTERVAL_NS" /* sample interval: decimal integer ns */
#define MPROF_ENV_TARGET_PID  "MPROF_TARGET_PID"  /* pid of the profiled main process */
#define MPROF_ENV_CHILDREN    "MPROF_CHILDREN"    /* "1": children report too (-C/-M) */
#define MPROF_ENV_LINES       "MPROF_LINES"       /* "1": charge heap to source lines (--lines);
                                                   * "user": to the user's own (--lines=user) */
/* The pipe's identity, "<st_dev>:<st_ino>" in decimal (fstat gives both ends the same):
 * a descriptor numbered MPROF_FD that is not this very pipe (the program closed ours and
 * reused the number, or set MPROF_FD itself) is never written to. */
#define MPROF_ENV_PIPE_ID     "MPROF_PIPE_ID"
/* "<fd>:<st_dev>:<st_ino>": a shared page holding struct mprof_counters, which every
 * process of the run updates in place (it needs no room in a full pipe). */
#define MPROF_ENV_COUNTERS    "MPROF_COUNTERS"

/* The name the CLI gives the page's memfd: /proc/PID/fd/N of a process that holds it
 * reads "/memfd:" MPROF_COUNTERS_MEMFD_NAME " (deleted)". */
#define MPROF_COUNTERS_MEMFD_NAME "mprof-counters"

/* One process's live heap, published where a reader outside the process (mprof attach,
 * through /proc/PID/fd of the page) can see it. `pid` says whose it is: 0 is a free
 * slot, and a process claims one with a compare-and-swap of 0 (or of a pid that is no
 * longer alive) to its own. Only its owner writes the rest, as a sequence lock: it makes
 * `sequence` odd (a compare-and-swap from even, so a second writer of the same process
 * skips rather than interleaves), stores the figures, then makes it even again. A reader
 * takes the figures only when `sequence` was the same even number before and after. */
struct mprof_heap_slot {
    int32_t  pid;              /* the owner (its own pid namespace's number), 0: free */
    uint32_t sequence;         /* odd while the owner writes */
    uint64_t sample_time_ns;   /* CLOCK_REALTIME of the sample, 0 before the first */
    int64_t  heap_live_bytes;  /* as mprof_sample's */
    int64_t  heap_peak_bytes;  /* as mprof_sample's: the image's high-water mark so far */
};

#define MPROF_HEAP_SLOT_COUNT 256 /* processes of one run that report at once, at most */

/* What the library could not send, counted where the CLI reads it even when the pipe
 * was full to the end (a stopped or slow CLI: a write waits a bounded time, then the
 * record is dropped), and each reporting process's heap slot. The counters are updated
 * with atomic adds, the slots as struct mprof_heap_slot says. */
#define MPROF_COUNTERS_MAGIC 0x434d524dU /* bytes "MRMC" */
struct mprof_counters {
    uint32_t magic;            /* MPROF_COUNTERS_MAGIC, set by the CLI */
    uint32_t version;          /* MPROF_PROTOCOL_VERSION */
    uint64_t dropped_records;  /* records not sent: the pipe stayed full */
    uint64_t dropped_bytes;    /* their bytes */
    uint32_t slot_count;       /* slots the page holds (its size is mprof_counters_size of
                                * it): MPROF_HEAP_SLOT_COUNT, or fewer where a file size
                                * limit (ulimit -f) made the CLI's memfd smaller */
    uint32_t reserved;         /* zero */
    struct mprof_heap_slot slots[MPROF_HEAP_SLOT_COUNT]; /* the first slot_count exist */
};

/* The bytes of a counters page with `slot_count` slots. */
static inline size_t mprof_counters_size(uint32_t slot_count)
{
    return offsetof(struct mprof_counters, slots) +
           (size_t)slot_count * sizeof(struct mprof_heap_slot);
}

/* The sampling interval's contract. The CLI alone validates what the user asked for
 * and hands the library a whole number of nanoseconds within these bounds; the library
 * samples at exactly that and echoes it in HELLO.interval_ns, so a library that did
 * otherwise is caught by the CLI rather than trusted. The floor is one the library's
 * sampler and the CLI's poll both keep pace with (one /proc read and one record per
 * tick each); the ceiling keeps the nanoseconds far inside 64 bits. */
#define MPROF_INTERVAL_MIN_NS     1000000ull          /* 1 ms */
#define MPROF_INTERVAL_MAX_NS     86400000000000ull   /* one day */
#define MPROF_INTERVAL_DEFAULT_NS 100000000ull        /* 0.1 s, memory_profiler's */

enum mprof_record_type {
    MPROF_RECORD_HELLO  = 1, /* a process image starts reporting (also after exec) */
    MPROF_RECORD_SAMPLE = 2, /* one periodic sample of RSS and live heap */
    MPROF_RECORD_NOTICE = 3, /* a one-line message for the user */
    MPROF_RECORD_BYE    = 4, /* the image is exiting normally; a last SAMPLE precedes it */
    /* @profile line tables (sent once, at the end, before the interpreter finalizes): */
    MPROF_RECORD_FUNCTION = 5, /* a decorated function: id, line range, name, file */
    MPROF_RECORD_LINE     = 6, /* one line of a decorated function that ran */
    MPROF_RECORD_CALL     = 7, /* one call of a decorated function (plot brackets) */
    MPROF_RECORD_SITE     = 8, /* whole-program: a source line holding heap at the peak */
    MPROF_RECORD_ENDING   = 9, /* the program's own code has finished: the heap it left */
};

struct mprof_record_header {
    uint32_t magic;   /* MPROF_PROTOCOL_MAGIC */
    uint16_t version; /* MPROF_PROTOCOL_VERSION */
    uint16_t type;    /* enum mprof_record_type */
    uint32_t size;    /* whole record in bytes, header included */
    int32_t  pid;     /* the process the record speaks for */
};

/* HELLO flags */
#define MPROF_HELLO_HEAP_COUNTED 0x1u /* malloc family interposed: heap bytes are real */
#define MPROF_HELLO_PYTHON       0x2u /* running inside CPython */
#define MPROF_HELLO_PYMALLOC     0x4u /* pymalloc blocks are counted too */

struct mprof_hello {
    struct mprof_record_header header;
    int32_t  parent_pid;
    uint32_t flags;          /* MPROF_HELLO_* */
    uint64_t interval_ns;    /* the sampler's interval: MPROF_INTERVAL_NS as it read it */
    uint64_t start_time_ns;  /* CLOCK_REALTIME, ns since the epoch */
};

struct mprof_sample {
    struct mprof_record_header header;
    uint64_t time_ns;         /* CLOCK_REALTIME, ns since the epoch */
    uint64_t rss_bytes;       /* resident set size now */
    uint64_t rss_peak_bytes;  /* VmHWM: highest RSS so far */
    int64_t  heap_live_bytes; /* bytes requested and not yet freed (see preload/core/hooks.c) */
    int64_t  heap_peak_bytes; /* highest live heap so far, between samples too (to within
                               * 256 KiB of allocation per thread) */
};

struct mprof_notice {
    struct mprof_record_header header;
    char text[MPROF_NOTICE_TEXT_MAX]; /* NUL-terminated; record size covers only text+NUL */
};

/* A decorated function. Lines first_line..last_line are its source (first_line is
 * co_firstlineno: the first decorator). text = qualified name NUL file name NUL, then
 * optionally the name its CALL records' FUNC lines take, NUL (memory_profiler's
 * module.name, where the table's header keeps module.qualname); without it, the first.
 * first_line and last_line both 0 (no source has a line 0) is no function but a named
 * bracket, a block the program timed (memory_profiler's `with profile.timestamp(name):`):
 * it has no table and no LINE records; its CALL records are its brackets, named by `text`. */
struct mprof_function {
    struct mprof_record_header header;
    uint32_t function_id;   /* unique within the sending process */
    uint32_t first_line;
    uint32_t last_line;
    uint32_t call_count;    /* calls made (CALL records may be fewer: they are capped) */
    char text[MPROF_RECORD_MAX - 32];
};

/* One source line of a decorated function that ran at least once. */
struct mprof_line {
    struct mprof_record_header header;
    uint32_t function_id;
    uint32_t line;
    uint64_t occurrences;      /* times the line ran (a loop header: iterations + 1) */
    int64_t  increment_bytes;  /* net heap change while it ran, callees included, this thread */
    int64_t  mem_usage_bytes;  /* the process's live heap after the line, max over runs */
};

/* One call of a decorated function, for the plot's brackets. */
struct mprof_call {
    struct mprof_record_header header;
    uint32_t function_id;
    uint32_t stack_level;      /* decorated calls already on this thread's stack */
    uint64_t start_ns;         /* CLOCK_REALTIME */
    uint64_t end_ns;
    int64_t  heap_start_bytes; /* process live heap at entry and at exit */
    int64_t  heap_end_bytes;
};

/* Whole program: one source line and the heap its allocations held at the heap's peak.
 * text = function name NUL file name NUL. */
/* Rank 0, after the ranked ones: the heap at the peak that no line holds (live_bytes),
 * and the heap at that moment (alloc_count); no text but two NULs. */
struct mprof_site {
    struct mprof_record_header header;
    uint32_t line;
    uint32_t rank;             /* 1 = holds the most; 0: see above */
    int64_t  live_bytes;       /* bytes allocated there and still live at the peak */
    uint64_t live_blocks;      /* blocks allocated there and still live at the peak */
    uint64_t alloc_count;      /* allocations made there over the whole run */
    char text[MPROF_RECORD_MAX - 48];
};

/* The heap still live when the program's own code has finished: inside CPython after
 * its atexit handlers (before the interpreter's finalization frees what modules held),
 * otherwise at exit() or _exit(), after the program's own exit handlers. An image may
 * send more than one (Python's, then the exit's): the first after its HELLO counts. */
struct mprof_ending {
    struct mprof_record_header header;
    uint64_t time_ns;          /* CLOCK_REALTIME */
    int64_t  heap_live_bytes;
};

_Static_assert(sizeof(struct mprof_record_header) == 16, "header layout");
_Static_assert(sizeof(struct mprof_ending) == 32, "ending layout");
_Static_assert(sizeof(struct mprof_function) == MPROF_RECORD_MAX, "function layout");
_Static_assert(sizeof(struct mprof_line) == 48, "line layout");
_Static_assert(sizeof(struct mprof_call) == 56, "call layout");
_Static_assert(sizeof(struct mprof_site) == MPROF_RECORD_MAX, "site layout");
_Static_assert(sizeof(struct mprof_hello) == 40, "hello layout");
_Static_assert(sizeof(struct mprof_sample) == 56, "sample layout");
_Static_assert(sizeof(struct mprof_notice) <= MPROF_RECORD_MAX, "notice fits");
_Static_assert(sizeof(struct mprof_heap_slot) == 32, "heap slot layout");
_Static_assert(sizeof(struct mprof_counters) == 32 + 32 * MPROF_HEAP_SLOT_COUNT, "counters layout");

static inline void mprof_record_header_init(struct mprof_record_header *header,
                                            enum mprof_record_type type,
                                            uint32_t size, int32_t pid)
{
    header->magic = MPROF_PROTOCOL_MAGIC;
    header->version = MPROF_PROTOCOL_VERSION;
    header->type = (uint16_t)type;
    header->size = size;
    header->pid = pid;
}

/* The size a record of this type must have, or 0 for an unknown type. Records that end
 * in text (NOTICE, FUNCTION, SITE) vary: their minimum is returned (the fixed part and
 * the NULs of empty strings); they may be longer, up to their struct's size. */
static inline uint32_t mprof_record_expected_size(uint16_t type)
{
    switch (type) {
    case MPROF_RECORD_HELLO:    return sizeof(struct mprof_hello);
    case MPROF_RECORD_SAMPLE:   return sizeof(struct mprof_sample);
    case MPROF_RECORD_NOTICE:   return sizeof(struct mprof_record_header) + 1;
    case MPROF_RECORD_BYE:      return sizeof(struct mprof_record_header);
    case MPROF_RECORD_FUNCTION: return offsetof(struct mprof_function, text) + 2;
    case MPROF_RECORD_LINE:     return sizeof(struct mprof_line);
    case MPROF_RECORD_CALL:     return sizeof(struct mprof_call);
    case MPROF_RECORD_SITE:     return offsetof(struct mprof_site, text) + 2;
    case MPROF_RECORD_ENDING:   return sizeof(struct mprof_ending);
    default:                    return 0;
    }
}

/* The largest size a record of this type may have (its struct's size). */
static inline uint32_t mprof_record_max_size(uint16_t type)
{
    switch (type) {
    case MPROF_RECORD_NOTICE:   return sizeof(struct mprof_notice);
    case MPROF_RECORD_FUNCTION: return sizeof(struct mprof_function);
    case MPROF_RECORD_SITE:     return sizeof(struct mprof_site);
    default:                    return mprof_record_expected_size(type);
    }
}

/* Whether records of this type end in NUL-terminated text. */
static inline int mprof_record_has_text(uint16_t type)
{
    return type == MPROF_RECORD_NOTICE || type == MPROF_RECORD_FUNCTION ||
           type == MPROF_RECORD_SITE;
}

/*
 * Frame one record at the start of `data` (`available` bytes).
 * Returns the record's size when a whole valid record is there, 0 when more bytes are
 * needed, and -1 when the bytes cannot be a record (bad magic, version, type or size):
 * the caller stops reading the stream there.
 */
static inline long mprof_record_frame(const void *data, size_t available)
{
    struct mprof_record_header header;
    if (available < sizeof(header))
        return 0;
    memcpy(&header, data, sizeof(header));
    if (header.magic != MPROF_PROTOCOL_MAGIC || header.version != MPROF_PROTOCOL_VERSION)
        return -1;
    uint32_t expected = mprof_record_expected_size(header.type);
    if (expected == 0 || header.size > MPROF_RECORD_MAX)
        return -1;
    if (header.size < expected || header.size > mprof_record_max_size(header.type))
        return -1;
    if (available < header.size)
        return 0;
    if (mprof_record_has_text(header.type) && ((const char *)data)[header.size - 1] != '\0')
        return -1;
    return (long)header.size;
}

#endif
