/*
 * simplify.h — a streaming filter that keeps a memory series small without changing
 * its shape.
 *
 * At the default 0.1 s interval a plain MEM line per sample is ~18 KB a minute; our
 * target is 10 KB (make bench measures it). Most of a memory series is flat or a straight ramp, so a point
 * that lies on the straight line between the points kept around it (within a
 * tolerance) says nothing and is dropped. The filter is a "swinging door": from the
 * last kept point (the anchor) it narrows a corridor of slopes that passes within
 * tolerance of every dropped point, and keeps the held-back point only when the next
 * one falls outside the corridor (a bend).
 *
 * Invariants: the first and last points are always kept; every dropped point lies
 * within its tolerance of the segment between the kept points around it; points come
 * out in the order they went in; and the series' maximum is always among the kept
 * points (a running maximum that the next point falls away from is kept unless a
 * kept point already has its value), so the peak is exact.
 */
#ifndef MPROF_SIMPLIFY_H
#define MPROF_SIMPLIFY_H

#include <stdbool.h>
#include <stddef.h>

struct simplify_point {
    double time_s;
    double value;
};

struct simplify {
    bool enabled;          /* false: every point goes straight through */
    double min_tolerance;  /* absolute floor of the tolerance, in value units */
    double rel_tolerance;  /* fraction of a point's own value */
    bool have_anchor, have_pending;
    struct simplify_point anchor;  /* the last point kept */
    struct simplify_point pending; /* the last point seen, not yet decided */
    double slope_low, slope_high;  /* corridor from the anchor over dropped points */
    double max_value;              /* the highest value seen before `pending` */
    double max_kept;               /* the highest value among the kept points */
};

/* The tolerances used for memory series in bytes: max(16 KiB, 0.2% of the value). */
#define SIMPLIFY_MIN_TOLERANCE_BYTES 16384.0
#define SIMPLIFY_REL_TOLERANCE       0.002

/* Start an empty series. With `enabled` false the filter passes every point on. */
void simplify_init(struct simplify *filter, bool enabled, double min_tolerance,
                   double rel_tolerance);

/* Offer the next point (time should not go backwards; if it does, nothing is dropped
 * around it). Returns how many points (0 or 1) are now final, written to *out. */
size_t simplify_push(struct simplify *filter, struct simplify_point point,
                     struct simplify_point *out);

/* End the series: returns the held-back point, if any (0 or 1, in *out). The filter is
 * then empty and may be reused for a new series. */
size_t simplify_flush(struct simplify *filter, struct simplify_point *out);

#endif
