/*
 * check_eval.h — `mprof check`'s verdicts: a new run's .dat held to a budget (its peak, its
 * growth over a baseline run, the heap it left live at exit), and which source lines
 * grew. A model in (dat.h's profiles, the limits), verdicts out; the writers
 * (check_text.c, check_json.c, check_junit.c) print them and nothing else decides.
 *
 * Every figure is the one the other commands show: a peak is dat_peak_heap_bytes or
 * dat_peak_mem_mib (in bytes), so `mprof peak` and `mprof check` never disagree. The
 * lines come from the TOP records (`mprof run --lines`): the heap each source line held
 * at the peak, matched across the two runs by file, line and function; a line one run
 * lacks held 0 there.
 *
 * Error convention: 0 on success; -1 with one line in `error` (no "mprof: " prefix)
 * when a file lacks what a check needs, or on no memory.
 */
#ifndef MPROF_CHECK_EVAL_H
#define MPROF_CHECK_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dat.h"
#include "limit.h"

enum check_metric { CHECK_METRIC_HEAP = 0, CHECK_METRIC_RSS };
enum check_kind { CHECK_MAX_PEAK = 0, CHECK_MAX_GROWTH, CHECK_MAX_LEAK };

/* What the command line asked for. */
struct check_request {
    enum check_metric metric;      /* of max-peak and max-growth; max-leak is the heap */
    bool max_peak_set;
    uint64_t max_peak_bytes;
    bool max_growth_set;           /* needs a baseline */
    struct limit_growth max_growth;
    bool max_leak_set;
    uint64_t max_leak_bytes;
};

/* One check's figures. A check passes when value_bytes <= limit_bytes. */
struct check_result {
    enum check_kind kind;
    enum check_metric metric;
    uint64_t value_bytes;      /* the new run's peak, or its heap at exit */
    uint64_t limit_bytes;      /* the highest value that passes */
    bool has_baseline;         /* max-growth only */
    uint64_t baseline_bytes;
    int64_t growth_bytes;      /* value - baseline */
    uint64_t allowed_growth_bytes;
    bool passed;
    char figure[24];           /* what value_bytes is: "peak RSS", "peak PSS", "peak USS"
                                * or "peak heap" by the new run's backend (--metric rss
                                * is MEM, whatever that holds), or "heap at exit" */
};

/* One source line, as the lines list shows it. The strings are the profiles'. */
struct check_line {
    const char *filename;
    const char *function;
    uint32_t line;
    int64_t baseline_bytes;    /* held at the baseline's peak; 0 without a baseline */
    int64_t new_bytes;         /* held at the new run's peak */
    int64_t growth_bytes;      /* new - baseline */
};

/* At most this many lines are listed. */
#define CHECK_LINES_MAX 10

struct check_outcome {
    struct check_result results[3];
    size_t result_count;       /* in the order max-peak, max-growth, max-leak */
    bool passed;               /* every result passed */
    bool compared;             /* lines are grown lines (a baseline was given) */
    bool lines_recorded;       /* every file compared has TOP records */
    struct check_line *lines;  /* grown most first, or held most first; malloc'd */
    size_t line_count;
};

/* The names as the options spell them ("max-peak") and as they are printed ("heap"). */
const char *check_kind_name(enum check_kind kind);
const char *check_metric_name(enum check_metric metric);

/* The peak of `metric` in bytes, or -1 when the file has none (a heap peak needs HEAP
 * lines or MPROF heap_peak_bytes: memory_profiler writes neither). */
int check_peak_bytes(const struct dat_profile *profile, enum check_metric metric,
                     uint64_t *bytes, char *error, size_t error_size);

/* The live heap when the program's own code had finished (MPROF heap_exit_bytes), or -1
 * when the file records none. */
int check_exit_heap_bytes(const struct dat_profile *profile, uint64_t *bytes, char *error,
                          size_t error_size);

/* Whether the .dat is a whole profile (dat_profile_whole: a file mprof run wrote ends
 * with MPROF end, which a cut at any byte loses or contradicts; memory_profiler's files
 * have no end to check). 0 when whole, -1 with *error saying why not. */
int check_complete(const struct dat_profile *profile, char *error, size_t error_size);

/* Every check of `request` on `current`, against `baseline` (NULL when there is none;
 * max-growth then needs one). Fills `outcome` (free with check_outcome_free): the
 * verdicts, and the lines: with a baseline, those whose held bytes grew, most first;
 * without, the new run's that held the most. */
int check_evaluate(const struct check_request *request, const struct dat_profile *current,
                   const struct dat_profile *baseline, struct check_outcome *outcome,
                   char *error, size_t error_size);
void check_outcome_free(struct check_outcome *outcome);

/* The lines alone (check_evaluate's second half): grown lines when `baseline` is not
 * NULL, else the top lines of `current`; at most `limit`. 0, or -1 on no memory. */
int check_lines(const struct dat_profile *current, const struct dat_profile *baseline,
                size_t limit, struct check_line **lines, size_t *line_count);

#endif
