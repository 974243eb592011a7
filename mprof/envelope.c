/*
 * envelope.c — the window filter described in envelope.h.
 *
 * A window is not a grid: it opens at the first point after the previous one closed, so
 * a series that pauses (the door keeps nothing on a plateau) starts afresh when it moves
 * again. Only a constant amount is held per series whatever the window receives: its
 * first ENVELOPE_SAVED_MAX points (handed out unchanged when they fit the budget), its
 * lowest, its highest and its newest.
 *
 * The budget is earned continuously, ENVELOPE_POINTS_PER_WINDOW per window_s, and spent
 * by what each window hands out. A window of at most two points always passes whole,
 * so the budget can dip below zero; what it hands out is then earned back before a
 * larger window passes whole again, which keeps the bound in envelope.h.
 */
#include "envelope.h"

#define ENVELOPE_WINDOW_MAX_S 1.0
#define ENVELOPE_WINDOW_SAMPLES 10.0

double envelope_window_for_interval(double interval_s)
{
    double window_s = interval_s * ENVELOPE_WINDOW_SAMPLES;
    return window_s < ENVELOPE_WINDOW_MAX_S ? window_s : ENVELOPE_WINDOW_MAX_S;
}

void envelope_init(struct envelope *envelope, double window_s)
{
    *envelope = (struct envelope){ .window_s = window_s, .budget = ENVELOPE_SAVED_MAX };
}

/* Earn the budget for the time since it was last earned, up to what may be saved. */
static void envelope_earn(struct envelope *envelope, double now_s)
{
    /* Time that went back (the wall clock was stepped) earns nothing, and the time it
     * went back over is not earned twice: the budget's clock never goes backwards. */
    double elapsed_s = now_s - envelope->budget_time_s;
    if (!(elapsed_s > 0))
        return;
    envelope->budget += ENVELOPE_POINTS_PER_WINDOW * elapsed_s / envelope->window_s;
    if (envelope->budget > ENVELOPE_SAVED_MAX)
        envelope->budget = ENVELOPE_SAVED_MAX;
    envelope->budget_time_s = now_s;
}

static bool envelope_same_point(struct simplify_point a, struct simplify_point b)
{
    return a.time_s == b.time_s && a.value == b.value;
}

/* Close the open window: hand out what it keeps, in time order. With `keep_last`, its
 * newest point is kept too (the end of the series). */
static size_t envelope_close(struct envelope *envelope, bool keep_last,
                             struct simplify_point out[ENVELOPE_OUT_MAX])
{
    size_t emitted = 0;
    if (envelope->count == 0)
        return 0;
    envelope_earn(envelope, envelope->last.time_s);
    if (envelope->count <= 2 ||
        (envelope->count <= ENVELOPE_SAVED_MAX && (double)envelope->count <= envelope->budget)) {
        for (size_t i = 0; i < envelope->count; i++)
            out[emitted++] = envelope->held[i];
    } else {
        struct simplify_point earlier = envelope->low, later = envelope->high;
        if (later.time_s < earlier.time_s) {
            earlier = envelope->high;
            later = envelope->low;
        }
        out[emitted++] = earlier;
        if (!envelope_same_point(later, earlier))
            out[emitted++] = later;
        if (keep_last && !envelope_same_point(envelope->last, later))
            out[emitted++] = envelope->last;
    }
    envelope->budget -= (double)emitted;
    envelope->count = 0;
    return emitted;
}

size_t envelope_push(struct envelope *envelope, struct simplify_point point,
                     struct simplify_point out[ENVELOPE_OUT_MAX])
{
    if (!(envelope->window_s > 0)) {
        out[0] = point;
        return 1;
    }
    if (!envelope->started) {
        /* The first point goes out at once and opens no window: it is always kept. */
        envelope->started = true;
        envelope->window_end_s = point.time_s;
        envelope->budget_time_s = point.time_s;
        out[0] = point;
        return 1;
    }
    size_t emitted = 0;
    bool time_went_back = envelope->count > 0 && point.time_s < envelope->last.time_s;
    if (point.time_s >= envelope->window_end_s || time_went_back) {
        emitted = envelope_close(envelope, false, out);
        envelope->window_end_s = point.time_s + envelope->window_s;
    }
    if (envelope->count < ENVELOPE_SAVED_MAX)
        envelope->held[envelope->count] = point;
    if (envelope->count == 0 || point.value < envelope->low.value)
        envelope->low = point;
    if (envelope->count == 0 || point.value > envelope->high.value)
        envelope->high = point;
    envelope->last = point;
    envelope->count++;
    return emitted;
}

size_t envelope_flush(struct envelope *envelope, struct simplify_point out[ENVELOPE_OUT_MAX])
{
    size_t emitted = envelope_close(envelope, true, out);
    envelope_init(envelope, envelope->window_s);
    return emitted;
}
