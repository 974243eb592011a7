/*
 * test_envelope.c — the window budget of mprof/envelope.c: isolated bends pass exactly,
 * a series that never holds still is held to two points a window (plus what it saved),
 * and the first point, the last point and every window's maximum are always kept.
 */
#include <check.h>
#include <stdlib.h>

#include "check_main.h"
#include "envelope.h"

#define MAX_POINTS 8192

struct series {
    struct simplify_point points[MAX_POINTS];
    size_t count;
};

static void series_take(struct series *kept, const struct simplify_point *out, size_t count)
{
    ck_assert_uint_le(count, ENVELOPE_OUT_MAX);
    for (size_t i = 0; i < count; i++) {
        ck_assert_uint_lt(kept->count, MAX_POINTS);
        kept->points[kept->count++] = out[i];
    }
}

/* Push `count` points (times[i], values[i]) through an envelope of `window_s`, then
 * flush it. */
static void run_envelope(double window_s, const double *times, const double *values,
                         size_t count, struct series *kept)
{
    struct envelope envelope;
    envelope_init(&envelope, window_s);
    struct simplify_point out[ENVELOPE_OUT_MAX];
    kept->count = 0;
    for (size_t i = 0; i < count; i++)
        series_take(kept, out,
                    envelope_push(&envelope, (struct simplify_point){ times[i], values[i] }, out));
    series_take(kept, out, envelope_flush(&envelope, out));
}

static void assert_point(const struct series *kept, size_t index, double time_s, double value)
{
    ck_assert_uint_lt(index, kept->count);
    ck_assert_double_eq(kept->points[index].time_s, time_s);
    ck_assert_double_eq(kept->points[index].value, value);
}

/* Every point went through, unchanged and in order. */
static void assert_all_kept(const struct series *kept, const double *times,
                            const double *values, size_t count)
{
    ck_assert_uint_eq(kept->count, count);
    for (size_t i = 0; i < count; i++)
        assert_point(kept, i, times[i], values[i]);
}

static void assert_time_order(const struct series *kept)
{
    for (size_t i = 1; i < kept->count; i++)
        ck_assert_double_lt(kept->points[i - 1].time_s, kept->points[i].time_s);
}

START_TEST(window_for_interval)
{
    ck_assert_double_eq_tol(envelope_window_for_interval(0.1), 1.0, 1e-12);
    ck_assert_double_eq_tol(envelope_window_for_interval(0.01), 0.1, 1e-12);
    ck_assert_double_eq(envelope_window_for_interval(0.5), 1.0);
    ck_assert_double_eq(envelope_window_for_interval(5.0), 1.0);
}
END_TEST

START_TEST(no_window_passes_everything)
{
    double times[] = { 0, 0.1, 0.2, 0.3, 0.4, 0.5 }, values[] = { 1, 9, 2, 8, 3, 7 };
    struct series kept;
    run_envelope(0, times, values, 6, &kept);
    assert_all_kept(&kept, times, values, 6);
}
END_TEST

/* What the door keeps of a one-sample spike on a plateau: the bend up, the top and the
 * bend down, all inside one window. It fits the budget and passes unchanged. */
START_TEST(isolated_spike_passes_exactly)
{
    double times[] = { 0, 5.0, 5.1, 5.2, 9.0 }, values[] = { 10, 10, 30, 10, 10 };
    struct series kept;
    run_envelope(1.0, times, values, 5, &kept);
    assert_all_kept(&kept, times, values, 5);
}
END_TEST

/* Ten bends a second for a minute: the band is kept (each window's lowest and highest),
 * within the bound of envelope.h, first and last points and the peak exact. */
START_TEST(always_moving_is_held_to_budget)
{
    enum { COUNT = 600 };
    static double times[COUNT], values[COUNT];
    for (size_t i = 0; i < COUNT; i++) {
        times[i] = 0.1 * (double)i;
        values[i] = (double)((i * 7919) % 1000); /* scattered, never two equal in a row */
    }
    values[333] = 5000; /* the peak, somewhere inside a window */
    static struct series kept;
    run_envelope(1.0, times, values, COUNT, &kept);
    double span_s = times[COUNT - 1] - times[0];
    size_t bound = (size_t)(ENVELOPE_POINTS_PER_WINDOW * span_s / 1.0) + ENVELOPE_SAVED_MAX + 2;
    ck_assert_uint_le(kept.count, bound);
    ck_assert_uint_ge(kept.count, 100); /* and it is still a series: ~2 a window */
    assert_time_order(&kept);
    assert_point(&kept, 0, times[0], values[0]);
    assert_point(&kept, kept.count - 1, times[COUNT - 1], values[COUNT - 1]);
    bool peak_kept = false;
    for (size_t i = 0; i < kept.count; i++)
        if (kept.points[i].time_s == times[333] && kept.points[i].value == 5000)
            peak_kept = true;
    ck_assert(peak_kept);
    /* Every kept point is one that went in. */
    for (size_t i = 0; i < kept.count; i++) {
        size_t index = (size_t)(kept.points[i].time_s * 10 + 0.5);
        ck_assert_double_eq(kept.points[i].value, values[index]);
    }
}
END_TEST

/* Once the savings are spent, a busy window gives exactly its lowest and highest point,
 * in time order (here the highest comes first). */
START_TEST(busy_window_gives_low_and_high)
{
    enum { COUNT = 200 };
    static double times[COUNT], values[COUNT];
    for (size_t i = 0; i < COUNT; i++) {
        times[i] = 0.1 * (double)i;
        values[i] = (double)(i % 2 ? 100 : 200);
    }
    /* Around t = 15.5 the series moves less, but one window holds a high at 15.2 and a
     * low at 15.7 with calmer points all around them. */
    for (size_t i = 150; i < 160; i++)
        values[i] = 150;
    values[152] = 900;
    values[157] = 1;
    static struct series kept;
    run_envelope(1.0, times, values, COUNT, &kept);
    assert_time_order(&kept);
    size_t at = kept.count;
    for (size_t i = 0; i < kept.count; i++)
        if (kept.points[i].value == 900)
            at = i;
    ck_assert_uint_lt(at + 2, kept.count);
    assert_point(&kept, at, times[152], 900);
    assert_point(&kept, at + 1, times[157], 1);
    /* Nothing else of that window: the calm 150s after the low are dropped. */
    ck_assert_double_gt(kept.points[at + 2].time_s, times[159]);
    ck_assert_double_lt(kept.points[at - 1].time_s, times[151]);
}
END_TEST

/* A quiet series saves up: a burst of six bends after a long plateau passes whole. */
START_TEST(quiet_series_saves_for_a_burst)
{
    double times[] = { 0, 30.0, 30.1, 30.2, 30.3, 30.4, 30.5, 60.0 };
    double values[] = { 5, 5, 50, 6, 40, 7, 5, 5 };
    struct series kept;
    run_envelope(1.0, times, values, 8, &kept);
    assert_all_kept(&kept, times, values, 8);
}
END_TEST

/* What the savings are for: a staircase of 16 steps a quarter-second apart (two door
 * points a step, 8 a window) after a quiet minute comes out exact, every corner. */
START_TEST(staircase_after_quiet_minute_is_exact)
{
    enum { STEPS = 16, COUNT = 2 * STEPS + 2 };
    double times[COUNT], values[COUNT];
    times[0] = 0;
    values[0] = 10;
    for (int step = 0; step < STEPS; step++) {
        times[1 + 2 * step] = 60.0 + 0.25 * step;
        values[1 + 2 * step] = 11 + step;
        times[2 + 2 * step] = 60.0 + 0.25 * step + 0.2;
        values[2 + 2 * step] = 11 + step;
    }
    times[COUNT - 1] = 100;
    values[COUNT - 1] = 11 + STEPS;
    static struct series kept;
    run_envelope(1.0, times, values, COUNT, &kept);
    assert_all_kept(&kept, times, values, COUNT);
}
END_TEST

/* The end of the series keeps its newest point even when the last window is busy. */
START_TEST(flush_keeps_the_last_point)
{
    enum { COUNT = 120 };
    static double times[COUNT], values[COUNT];
    for (size_t i = 0; i < COUNT; i++) {
        times[i] = 0.1 * (double)i;
        values[i] = (double)((i * 37) % 11);
    }
    values[COUNT - 1] = 5.5; /* neither the lowest nor the highest of its window */
    static struct series kept;
    run_envelope(1.0, times, values, COUNT, &kept);
    assert_time_order(&kept);
    assert_point(&kept, kept.count - 1, times[COUNT - 1], 5.5);
    /* And the envelope can start a new series. */
    struct envelope envelope;
    envelope_init(&envelope, 1.0);
    struct simplify_point out[ENVELOPE_OUT_MAX];
    ck_assert_uint_eq(envelope_push(&envelope, (struct simplify_point){ 1, 1 }, out), 1);
    ck_assert_uint_eq(envelope_flush(&envelope, out), 0);
    ck_assert_uint_eq(envelope_push(&envelope, (struct simplify_point){ 7, 3 }, out), 1);
    ck_assert_double_eq(out[0].time_s, 7);
    ck_assert_double_eq(out[0].value, 3);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("envelope");
    TCase *tcase = tcase_create("window");
    tcase_add_test(tcase, window_for_interval);
    tcase_add_test(tcase, no_window_passes_everything);
    tcase_add_test(tcase, isolated_spike_passes_exactly);
    tcase_add_test(tcase, always_moving_is_held_to_budget);
    tcase_add_test(tcase, busy_window_gives_low_and_high);
    tcase_add_test(tcase, quiet_series_saves_for_a_burst);
    tcase_add_test(tcase, staircase_after_quiet_minute_is_exact);
    tcase_add_test(tcase, flush_keeps_the_last_point);
    suite_add_tcase(suite, tcase);
    return suite;
}
