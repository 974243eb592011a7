/*
 * simplify.c — the swinging-door filter described in simplify.h.
 *
 * State: `anchor` is the last point written; `pending` is the newest point, which may
 * still turn out to be an interior point of a straight stretch. [slope_low, slope_high]
 * is the set of slopes a line from the anchor may have and still pass within tolerance
 * of every point dropped since the anchor. Holding only these, the filter runs in
 * constant space however long the stretch.
 */
#include "simplify.h"

#include <math.h>

void simplify_init(struct simplify *filter, bool enabled, double min_tolerance,
                   double rel_tolerance)
{
    *filter = (struct simplify){
        .enabled = enabled,
        .min_tolerance = min_tolerance,
        .rel_tolerance = rel_tolerance,
        .slope_low = -INFINITY,
        .slope_high = INFINITY,
    };
}

static double simplify_tolerance(const struct simplify *filter, double value)
{
    double relative = fabs(value) * filter->rel_tolerance;
    return relative > filter->min_tolerance ? relative : filter->min_tolerance;
}

/* Make `point` the new anchor: the corridor starts wide open again. */
static void simplify_anchor(struct simplify *filter, struct simplify_point point)
{
    filter->anchor = point;
    if (!filter->have_anchor || point.value > filter->max_kept)
        filter->max_kept = point.value;
    filter->have_anchor = true;
    filter->slope_low = -INFINITY;
    filter->slope_high = INFINITY;
}

size_t simplify_push(struct simplify *filter, struct simplify_point point,
                     struct simplify_point *out)
{
    if (!filter->enabled) {
        *out = point;
        return 1;
    }
    if (!filter->have_anchor) {
        simplify_anchor(filter, point);
        filter->max_value = point.value;
        *out = point;
        return 1;
    }
    if (!filter->have_pending) {
        filter->pending = point;
        filter->have_pending = true;
        return 0;
    }

    struct simplify_point held = filter->pending;
    double held_span = held.time_s - filter->anchor.time_s;
    double next_span = point.time_s - filter->anchor.time_s;
    bool keep_held;
    double low = filter->slope_low, high = filter->slope_high;
    if (!(held_span > 0) || !(point.time_s > held.time_s)) {
        keep_held = true; /* time stood still or went back: no line to lie on */
    } else {
        /* The held point becomes interior if a line from the anchor to the new point
         * passes within tolerance of it and of everything dropped before it. */
        double tolerance = simplify_tolerance(filter, held.value);
        double held_low = (held.value - tolerance - filter->anchor.value) / held_span;
        double held_high = (held.value + tolerance - filter->anchor.value) / held_span;
        if (held_low > low)
            low = held_low;
        if (held_high < high)
            high = held_high;
        double slope = (point.value - filter->anchor.value) / next_span;
        keep_held = !(low <= slope && slope <= high);
        /* A running maximum that the series then falls away from is the peak so far:
         * keep it exactly, even when the bend is within tolerance, unless a kept point
         * already has that value (a level revisited by noise costs nothing). */
        if (held.value >= filter->max_value && held.value > filter->max_kept &&
            point.value < held.value)
            keep_held = true;
    }
    if (held.value > filter->max_value)
        filter->max_value = held.value;
    filter->pending = point;
    if (keep_held) {
        simplify_anchor(filter, held);
        *out = held;
        return 1;
    }
    filter->slope_low = low;
    filter->slope_high = high;
    return 0;
}

size_t simplify_flush(struct simplify *filter, struct simplify_point *out)
{
    size_t emitted = 0;
    if (filter->enabled && filter->have_pending) {
        *out = filter->pending;
        emitted = 1;
    }
    simplify_init(filter, filter->enabled, filter->min_tolerance, filter->rel_tolerance);
    return emitted;
}
