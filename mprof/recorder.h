/*
 * recorder.h — turns what `mprof run` learns during a run into .dat lines: RSS polled
 * from /proc by the CLI (MEM, CHLD) and the library's records from the pipe (HEAP,
 * CHLDHEAP, notices), each series through its own simplify filter.
 *
 * @profile data (FUNCTION, LINE, CALL and SITE records, sent once at the end of each
 * profiled process) is kept until recorder_finish(), which writes it as PROFILE_FUNC,
 * PROFILE_LINE, TOP and FUNC lines (see dat.h) and keeps the tables for `mprof run` to
 * print. FUNC lines carry RSS interpolated from the MEM points written (CHLD points for
 * a child with its own series), so their brackets sit on the plotted RSS curve.
 *
 * The recorder does no I/O of its own besides the two streams it is given and, at the
 * end, reading the profiled functions' source files (for the Line Contents column), so
 * a test can feed it byte streams and read back the exact lines. It keeps no global
 * state.
 *
 * Error convention: functions returning int give 0, or -1 when writing the .dat failed
 * (errno from stdio); the first such failure is also kept in `write_errno`.
 */
#ifndef MPROF_RECORDER_H
#define MPROF_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "backend.h"
#include "dat.h"
#include "mprof/protocol.h"
#include "envelope.h"
#include "simplify.h"

enum recorder_children {
    RECORDER_CHILDREN_IGNORE = 0,  /* only the main process */
    RECORDER_CHILDREN_SUM = 1,     /* -C: children summed into MEM and HEAP */
    RECORDER_CHILDREN_SERIES = 2,  /* -M: each child its own CHLD/CHLDHEAP series */
};

/* Points of a series as written to the .dat (after simplification), for interpolation. */
struct recorder_points {
    struct simplify_point *points;  /* in time order */
    size_t count, capacity;
};

/* A series' filter: the swinging door, then the window envelope (both no-ops with -a). */
struct recorder_filter {
    struct simplify door;
    struct envelope envelope;
};

struct recorder_child {
    pid_t pid;
    int index;             /* CHLD index in order of discovery by /proc, -1 before */
    bool live;             /* still running, as far as we know */
    bool have_heap;
    uint64_t heap_bytes;   /* its latest live heap */
    uint64_t rss_hwm_bytes, heap_hwm_bytes; /* its own high-water marks, as its library
                                             * last sent them (between samples too) */
    double heap_time_s;    /* and when it was sampled */
    struct recorder_filter mem_filter, heap_filter;
    struct recorder_points mem_points;  /* its CHLD points */
};

struct recorder {
    FILE *out;                 /* the .dat */
    FILE *notices;             /* where "mprof: <notice>" lines go (stderr) */
    pid_t main_pid;
    unsigned children;         /* enum recorder_children bits */
    bool all_samples;          /* -a: no simplification */
    uint64_t interval_ns;      /* the interval the library was asked to sample at */
    double envelope_window_s;  /* each series' envelope window (envelope.h) */
    enum backend backend;      /* what MEM (and CHLD) hold: the CLI's polls, or under
                                * tracemalloc the libraries' heap samples */
    pid_t attached_pid;        /* a process we did not start: no exit status is known */
    double timeout_s;          /* the --timeout that ended the run, 0 if none did */

    /* The pipe: bytes not yet framed into a whole record. */
    unsigned char pending[2 * MPROF_RECORD_MAX];
    size_t pending_length;
    bool stream_broken;        /* a record did not frame; the rest of the pipe is ignored */

    struct recorder_filter mem_filter, heap_filter;
    struct recorder_child *child_list;
    size_t child_count, child_capacity;
    int next_child_index;

    /* What the run learned, for the end metadata and the closing message. */
    bool main_hello;           /* the main process's library said HELLO */
    uint32_t main_flags;       /* MPROF_HELLO_* of its latest HELLO */
    bool main_python;          /* some image of the main process ran inside CPython */
    bool main_bye;             /* its latest image said BYE: its last sample is final */
    uint64_t library_interval_ns; /* the first HELLO interval that was not interval_ns
                                   * (0: every library echoed what it was asked for) */
    bool have_main_sample;
    double main_sample_time_s; /* the main process's latest SAMPLE */
    uint64_t main_sample_rss_bytes;
    uint64_t mem_samples;      /* MEM points recorded (before simplification) */
    uint64_t heap_samples;     /* HEAP points recorded */
    double last_mem_time_s;
    uint64_t rss_sample_peak_bytes;  /* highest MEM point, before simplification */
    uint64_t heap_sample_peak_bytes; /* highest HEAP point, before simplification */
    uint64_t rss_hwm_bytes;    /* the main process's VmHWM as its library last saw it,
                                * under an RSS backend (a mark of MEM) */
    uint64_t vm_hwm_bytes;     /* the same whatever the backend: its RSS peak */
    uint64_t heap_hwm_bytes;   /* the main process's heap high-water mark, likewise */
    bool have_heap_exit;       /* the main image's first ENDING since its HELLO came */
    int64_t heap_exit_bytes;   /* the heap it left (MPROF heap_exit_bytes) */
    int write_errno;           /* first write failure, 0 if none */
    /* The held-back points written after what is final (recorder_tail.c). */
    bool tail_written;         /* a tail stands after final_bytes */
    bool tail_off;             /* the .dat is not a file that can be cut: no tail */
    off_t final_bytes;         /* where what is final ends */
    int end_signal;            /* the signal that ended the main process, 0 if none */
    /* What the run lost (recorder_losses.c). */
    double main_start_time_s;  /* the main process's first HELLO */
    uint64_t dropped_records;  /* records the libraries could not send in time */
    uint64_t dropped_bytes;
    bool heap_lost;            /* the main process went on without the library or its pipe */

    /* @profile records, in arrival order, until recorder_finish(). */
    struct recorder_points mem_points;  /* MEM points written */
    struct dat_profiled_function *functions;  /* FUNCTION records: no lines yet */
    size_t function_count, function_capacity;
    struct mprof_line *lines;
    size_t line_count, line_capacity;
    struct mprof_call *calls;
    size_t call_count, call_capacity;
    struct dat_top_site *sites;        /* the main process's SITE records */
    size_t site_count, site_capacity;
    bool have_no_line;         /* the rank-0 SITE record came: */
    int64_t no_line_bytes;     /* the heap at the lines' peak that no line holds */
    uint64_t no_line_heap_bytes;  /* the heap at that moment */
    bool profile_data_lost;    /* out of memory: some of it was dropped (said once) */

    /* Built by recorder_finish(): the tables as written to the .dat, the main pid's
     * first, then each child's, each pid's in the order its FUNCTION records came. */
    struct dat_profiled_function *profiled;
    size_t profiled_count;
};

/* Start recording into `out`. `children` is an enum recorder_children value (the two
 * modes may be or'ed: -C -M). Unless `all_samples`, series are simplified and kept to an
 * envelope sized for the sampling `interval_ns`, which is also what every library's
 * HELLO must echo: one that does not is said once on `notices` and at the end in the
 * .dat (`MPROF library_interval_ns`). Cannot fail. */
void recorder_init(struct recorder *recorder, FILE *out, FILE *notices, pid_t main_pid,
                   unsigned children, bool all_samples, uint64_t interval_ns);

/* The .dat's first lines: CMDLINE `cmdline`, the format version and the interval.
 * Written before the program starts, so a file that cannot be written stops the run
 * before anything ran. Returns 0, or -1 (errno in write_errno). */
int recorder_write_header(struct recorder *recorder, const char *cmdline);

/* What MEM holds (backend.h; the default is RSS). Under BACKEND_TRACEMALLOC recorder_mem
 * and recorder_child_mem record no value (CHLD indexes are still given) and every heap
 * sample is a MEM (CHLD) point too. Call before recorder_write_header(), which writes
 * it (MPROF backend) when it is not the default. */
void recorder_set_backend(struct recorder *recorder, enum backend backend);

/* The run follows `pid`, which it did not start: recorder_finish() writes MPROF
 * attached_pid instead of an exit status. */
void recorder_set_attached(struct recorder *recorder, pid_t pid);

/* The run was ended by --timeout `seconds`: recorder_finish() says so (MPROF timeout). */
void recorder_set_timeout(struct recorder *recorder, double seconds);

/* The main process's pid, once it is known (the recorder may be made before the fork
 * so that it writes the header). */
void recorder_set_main_pid(struct recorder *recorder, pid_t main_pid);

/* The run's last RSS point: the library's last SAMPLE comes from the very end of the
 * main process, later than the CLI's last poll, so when it is later it becomes the last
 * MEM point. Not under -C (it lacks the children). Call once, after the pipe is drained
 * and before recorder_finish(). Returns 0, or -1 when writing the .dat failed. */
int recorder_end_of_run_sample(struct recorder *recorder);

/* The main process was ended by `signal_number`: recorder_finish() says so last
 * (MPROF signal). */
void recorder_set_signal(struct recorder *recorder, int signal_number);

/* Release what the recorder holds (not the streams). */
void recorder_free(struct recorder *recorder);

/* Feed bytes read from the pipe, in any split: records are framed across calls. A
 * record from the main pid gives HEAP (plus the children's latest heaps under -C); one
 * from another pid only counts when children are recorded. NOTICE text goes to
 * `notices`. After a record that does not frame, stream_broken is set and the rest is
 * ignored. Returns 0, or -1 when writing the .dat failed. */
int recorder_feed(struct recorder *recorder, const void *bytes, size_t length);

/* A library's SAMPLE that did not come through the pipe (mprof attach reads the heap
 * slot of the run's shared page): recorded as recorder_feed records one. Its rss fields
 * may be 0 (the CLI polls RSS itself), its heap_peak_bytes 0 when no mark is known.
 * Returns 0, or -1 when writing the .dat failed. */
int recorder_sample(struct recorder *recorder, const struct mprof_sample *sample);

/* A MEM point: the main process's memory as the backend measures it (with -C, plus its
 * descendants'). */
int recorder_mem(struct recorder *recorder, double time_s, uint64_t rss_bytes);

/* A CHLD point for descendant `pid` (under -M); the pid gets an index if new.
 * Only children seen by the /proc poll get an index and series: a child known only
 * from the pipe (the dozens of helpers an exec chain such as the pyenv shim forks and
 * reaps within one interval) counts in the -C sum but gets no CHLD/CHLDHEAP series,
 * just as polling alone would never have seen it. */
int recorder_child_mem(struct recorder *recorder, pid_t pid, double time_s, uint64_t rss_bytes);

/* The descendants alive now. A known child missing from `pids` has ended: its heap no
 * longer counts under -C and its series are flushed. */
int recorder_children_alive(struct recorder *recorder, const pid_t *pids, size_t count);

/* The CHLD index of `pid`, assigning the next one when it has none yet. -1 if out of
 * memory. */
int recorder_child_index(struct recorder *recorder, pid_t pid);

/* The run's peak RSS and peak live heap so far, as dat.h defines them (the highest
 * sample raised to the main process's high-water mark): what MPROF rss_peak_bytes and
 * heap_peak_bytes say, and what mprof peak and mprof plot read back from them. */
uint64_t recorder_peak_rss_bytes(const struct recorder *recorder);
uint64_t recorder_peak_heap_bytes(const struct recorder *recorder);

/* End of run: flush every series, write the @profile data (PROFILE_FUNC, PROFILE_LINE
 * with each line's source text, TOP, FUNC) and the end metadata (exit status, peaks).
 * A source file that cannot be read gets one notice and empty Line Contents. After
 * this, `profiled` holds the tables (see report.h to print them).
 * Returns 0, or -1 when writing failed now or earlier. */
int recorder_finish(struct recorder *recorder, int exit_status);

/* Once an interval (recorder_tail.c): put everything received on disk, the points the
 * filters still hold back included, written after what is final as a flush would
 * write them, so that the .dat is whole if mprof run dies before the next interval.
 * 0, or -1 when writing failed. */
int recorder_sync(struct recorder *recorder);
/* Before anything final is written: cut off the tail recorder_sync wrote. 0 or -1. */
int recorder_tail_drop(struct recorder *recorder);

/* End of run, before recorder_finish() (recorder_losses.c): what the libraries dropped
 * (the counters page), and whether the main process, which ended by itself when
 * `exited`, lost the library or its pipe on the way: its latest image said HELLO and
 * never BYE, which every image that keeps both says at exit and _exit. recorder_finish()
 * writes them (MPROF dropped_records, dropped_bytes, heap_lost). */
void recorder_set_losses(struct recorder *recorder, bool exited, uint64_t dropped_records,
                         uint64_t dropped_bytes);
/* Write the MPROF lines of the losses, if any. 0, or -1 when writing failed. */
int recorder_losses_write(struct recorder *recorder);
/* The summary's words for the losses: "" when nothing was lost, else a clause that
 * begins with "; ". */
void recorder_losses_text(const struct recorder *recorder, char *text, size_t text_size);

/* Say `text` (one line) as the library's notices are said: on the notices stream as
 * "mprof: <text>", and in the .dat as MPROF notice. 0, or -1 when the write failed. */
int recorder_notice(struct recorder *recorder, const char *text);

#endif
