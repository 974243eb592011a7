/*
 * envelope.h — the second stage of a series' filter: at most a window's lowest and
 * highest point.
 *
 * The swinging door (simplify.h) drops what lies on straight lines, which is most of a
 * series; but memory that never holds still (a heap that fills and drains several
 * times a second, seen at 10 samples a second) bends at every sample, and then every
 * sample is a point: ~40 KB a minute, four times our 10 KB target. So the points the
 * door keeps go on through windows of time, and the series has a budget: two points
 * per window, earned as time passes (quiet stretches save up, up to fifteen windows' worth).
 * A window whose points fit the budget passes them all; one that does not passes only
 * its lowest and highest point, in time order. Isolated bends (a step, a spike that
 * lasts one sample) come out exactly; a series that moves faster than the window
 * comes out as the band it moved within, which is all a plot of it can honestly show.
 *
 * Bound: over any span of T seconds a series gives at most 2 T / window +
 * ENVELOPE_SAVED_MAX + 2 points. Invariants: the series' first and last points are
 * kept; the maximum of every window is kept with its exact value and time, so the
 * series' peak is; points come out in time order.
 */
#ifndef MPROF_ENVELOPE_H
#define MPROF_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>

#include "simplify.h"

/* Points earned per window, and the most a quiet series may save up. */
#define ENVELOPE_POINTS_PER_WINDOW 2.0
#define ENVELOPE_SAVED_MAX 30

/* The most points envelope_push() or envelope_flush() may hand out at once. */
#define ENVELOPE_OUT_MAX (ENVELOPE_SAVED_MAX + 1)

struct envelope {
    double window_s;             /* length of a window; 0 or less: every point passes */
    bool started;                /* the series' first point has gone out */
    double window_end_s;         /* the open window holds points before this time */
    double budget;               /* points the series may still give (may dip below 0) */
    double budget_time_s;        /* when the budget was last earned up to */
    size_t count;                /* points received by the open window */
    struct simplify_point held[ENVELOPE_SAVED_MAX]; /* its first ones */
    struct simplify_point low, high; /* its lowest and highest (first of equals) */
    struct simplify_point last;    /* its newest */
};

/* The window for a series sampled every `interval_s`: ten samples, at most 1 s, so the
 * default 0.1 s interval keeps at most two points a second per series, and a faster
 * interval (the user asked for detail) keeps proportionally more. */
double envelope_window_for_interval(double interval_s);

/* Start an empty series with windows of `window_s` seconds (0: pass everything). */
void envelope_init(struct envelope *envelope, double window_s);

/* Offer the next point. Returns how many points (0 to ENVELOPE_OUT_MAX) are now final,
 * written in time order to out[]. */
size_t envelope_push(struct envelope *envelope, struct simplify_point point,
                     struct simplify_point out[ENVELOPE_OUT_MAX]);

/* End the series: hands out what the open window keeps, and its newest point even if
 * that is neither its lowest nor its highest (the last point is always kept). The
 * envelope is then empty and may start a new series. */
size_t envelope_flush(struct envelope *envelope, struct simplify_point out[ENVELOPE_OUT_MAX]);

#endif
