/*
 * test_simplify.c — the series filter of mprof/simplify.c: exact points kept for
 * flat runs, ramps, steps and spikes; the peak is never lost; every dropped point lies
 * within tolerance of the kept polyline.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "check_main.h"
#include "simplify.h"

#define MIB 1048576.0
#define MAX_POINTS 4096

struct series {
    struct simplify_point points[MAX_POINTS];
    size_t count;
};

/* Run `values` (one per second from t = 0) through a filter with the memory
 * tolerances; the kept points land in `kept`. */
static void run_filter(const double *values, size_t count, bool enabled, struct series *kept)
{
    struct simplify filter;
    simplify_init(&filter, enabled, SIMPLIFY_MIN_TOLERANCE_BYTES, SIMPLIFY_REL_TOLERANCE);
    kept->count = 0;
    for (size_t i = 0; i < count; i++) {
        struct simplify_point out;
        size_t emitted = simplify_push(&filter, (struct simplify_point){ (double)i, values[i] },
                                       &out);
        ck_assert_uint_le(emitted, 1);
        if (emitted)
            kept->points[kept->count++] = out;
    }
    struct simplify_point out;
    if (simplify_flush(&filter, &out))
        kept->points[kept->count++] = out;
}

static void assert_kept(const struct series *kept, const double *times, const double *values,
                        size_t count)
{
    ck_assert_uint_eq(kept->count, count);
    for (size_t i = 0; i < count; i++) {
        ck_assert_double_eq(kept->points[i].time_s, times[i]);
        ck_assert_double_eq(kept->points[i].value, values[i]);
    }
}

/* Every input point is within its tolerance of the kept polyline at its time. */
static void assert_within_tolerance(const double *values, size_t count, const struct series *kept)
{
    size_t segment = 0;
    for (size_t i = 0; i < count; i++) {
        double t = (double)i;
        while (segment + 1 < kept->count && kept->points[segment + 1].time_s < t)
            segment++;
        const struct simplify_point *a = &kept->points[segment];
        const struct simplify_point *b = &kept->points[segment + 1 < kept->count ? segment + 1 : segment];
        double line = b->time_s > a->time_s
                          ? a->value + (b->value - a->value) * (t - a->time_s) / (b->time_s - a->time_s)
                          : a->value;
        double tolerance = fmax(SIMPLIFY_MIN_TOLERANCE_BYTES, fabs(values[i]) * SIMPLIFY_REL_TOLERANCE);
        ck_assert_msg(fabs(line - values[i]) <= tolerance * (1 + 1e-9),
                      "point %zu: %.1f is %.1f from the kept line (tolerance %.1f)", i, values[i],
                      fabs(line - values[i]), tolerance);
    }
}

static double series_max(const double *values, size_t count)
{
    double max = values[0];
    for (size_t i = 1; i < count; i++)
        max = fmax(max, values[i]);
    return max;
}

static double kept_max(const struct series *kept)
{
    double max = kept->points[0].value;
    for (size_t i = 1; i < kept->count; i++)
        max = fmax(max, kept->points[i].value);
    return max;
}

START_TEST(flat_run_keeps_two_points)
{
    double values[600];
    for (size_t i = 0; i < 600; i++)
        values[i] = 100 * MIB;
    struct series kept;
    run_filter(values, 600, true, &kept);
    assert_kept(&kept, (double[]){ 0, 599 }, (double[]){ 100 * MIB, 100 * MIB }, 2);
}
END_TEST

START_TEST(ramp_keeps_its_ends)
{
    double values[100];
    for (size_t i = 0; i < 100; i++)
        values[i] = 10 * MIB + (double)i * MIB;
    struct series kept;
    run_filter(values, 100, true, &kept);
    assert_kept(&kept, (double[]){ 0, 99 }, (double[]){ 10 * MIB, 109 * MIB }, 2);
}
END_TEST

START_TEST(step_keeps_its_corners)
{
    double values[10];
    for (size_t i = 0; i < 10; i++)
        values[i] = i < 5 ? 10 * MIB : 20 * MIB;
    struct series kept;
    run_filter(values, 10, true, &kept);
    assert_kept(&kept, (double[]){ 0, 4, 5, 9 },
                (double[]){ 10 * MIB, 10 * MIB, 20 * MIB, 20 * MIB }, 4);
}
END_TEST

START_TEST(one_sample_spike_is_kept)
{
    double values[10];
    for (size_t i = 0; i < 10; i++)
        values[i] = 10 * MIB;
    values[5] = 30 * MIB;
    struct series kept;
    run_filter(values, 10, true, &kept);
    assert_kept(&kept, (double[]){ 0, 4, 5, 6, 9 },
                (double[]){ 10 * MIB, 10 * MIB, 30 * MIB, 10 * MIB, 10 * MIB }, 5);
}
END_TEST

START_TEST(one_sample_dip_is_kept)
{
    double values[10];
    for (size_t i = 0; i < 10; i++)
        values[i] = 10 * MIB;
    values[5] = 2 * MIB;
    struct series kept;
    run_filter(values, 10, true, &kept);
    assert_kept(&kept, (double[]){ 0, 4, 5, 6, 9 },
                (double[]){ 10 * MIB, 10 * MIB, 2 * MIB, 10 * MIB, 10 * MIB }, 5);
}
END_TEST

/* A peak whose bend is smaller than the tolerance would be dropped as "on the line":
 * the running-maximum rule keeps it, so the series' maximum is exact. */
START_TEST(peak_within_tolerance_is_kept)
{
    double values[11];
    for (size_t i = 0; i < 11; i++)
        values[i] = 100 * MIB + 1024.0 * (double)(i <= 5 ? i : 10 - i);
    struct series kept;
    run_filter(values, 11, true, &kept);
    assert_kept(&kept, (double[]){ 0, 5, 10 },
                (double[]){ 100 * MIB, 100 * MIB + 5120, 100 * MIB }, 3);
}
END_TEST

START_TEST(small_noise_is_flattened)
{
    /* Noise of +-4 KiB around 50 MiB, under the 100 KiB tolerance at that size. */
    double values[300];
    for (size_t i = 0; i < 300; i++)
        values[i] = 50 * MIB + ((i * 7919) % 9 == 0 ? 4096.0 : (i % 2 ? -4096.0 : 0.0));
    struct series kept;
    run_filter(values, 300, true, &kept);
    ck_assert_uint_le(kept.count, 12); /* only new running maxima and the ends survive */
    ck_assert_double_eq(kept_max(&kept), series_max(values, 300));
    assert_within_tolerance(values, 300, &kept);
}
END_TEST

START_TEST(random_walk_stays_within_tolerance_and_keeps_peak)
{
    unsigned seed = 12345;
    double values[MAX_POINTS];
    double value = 200 * MIB;
    for (size_t i = 0; i < MAX_POINTS; i++) {
        value += ((double)(rand_r(&seed) % 2001) - 1000.0) * 1024.0; /* +-1 MiB per step */
        if (value < 0)
            value = 0;
        values[i] = value;
    }
    struct series kept;
    run_filter(values, MAX_POINTS, true, &kept);
    ck_assert_double_eq(kept.points[0].value, values[0]);
    ck_assert_double_eq(kept.points[kept.count - 1].time_s, MAX_POINTS - 1);
    ck_assert_double_eq(kept_max(&kept), series_max(values, MAX_POINTS));
    assert_within_tolerance(values, MAX_POINTS, &kept);
}
END_TEST

START_TEST(slow_curve_does_not_drift)
{
    /* A parabola: each point is nearly on the line through its neighbours, but errors
     * must not accumulate over a long stretch. */
    double values[1000];
    for (size_t i = 0; i < 1000; i++)
        values[i] = 1000.0 * (double)i * (double)i;
    struct series kept;
    run_filter(values, 1000, true, &kept);
    ck_assert_uint_gt(kept.count, 2);
    ck_assert_uint_lt(kept.count, 200);
    assert_within_tolerance(values, 1000, &kept);
}
END_TEST

START_TEST(disabled_filter_keeps_everything)
{
    double values[50];
    for (size_t i = 0; i < 50; i++)
        values[i] = 7 * MIB;
    struct series kept;
    run_filter(values, 50, false, &kept);
    ck_assert_uint_eq(kept.count, 50);
    for (size_t i = 0; i < 50; i++)
        ck_assert_double_eq(kept.points[i].time_s, (double)i);
}
END_TEST

START_TEST(one_and_two_points)
{
    struct series kept;
    run_filter((double[]){ 5 * MIB }, 1, true, &kept);
    assert_kept(&kept, (double[]){ 0 }, (double[]){ 5 * MIB }, 1);
    run_filter((double[]){ 5 * MIB, 6 * MIB }, 2, true, &kept);
    assert_kept(&kept, (double[]){ 0, 1 }, (double[]){ 5 * MIB, 6 * MIB }, 2);
}
END_TEST

START_TEST(time_standing_still_drops_nothing)
{
    struct simplify filter;
    simplify_init(&filter, true, SIMPLIFY_MIN_TOLERANCE_BYTES, SIMPLIFY_REL_TOLERANCE);
    struct simplify_point out, points[] = { { 1, MIB }, { 1, MIB }, { 1, MIB }, { 2, MIB } };
    size_t kept = 0;
    for (size_t i = 0; i < 4; i++)
        kept += simplify_push(&filter, points[i], &out);
    kept += simplify_flush(&filter, &out);
    ck_assert_uint_eq(kept, 4);
}
END_TEST

START_TEST(flush_resets_for_a_new_series)
{
    struct simplify filter;
    simplify_init(&filter, true, SIMPLIFY_MIN_TOLERANCE_BYTES, SIMPLIFY_REL_TOLERANCE);
    struct simplify_point out;
    ck_assert_uint_eq(simplify_push(&filter, (struct simplify_point){ 0, MIB }, &out), 1);
    ck_assert_uint_eq(simplify_push(&filter, (struct simplify_point){ 1, MIB }, &out), 0);
    ck_assert_uint_eq(simplify_flush(&filter, &out), 1);
    ck_assert_double_eq(out.time_s, 1);
    ck_assert_uint_eq(simplify_flush(&filter, &out), 0);
    ck_assert_uint_eq(simplify_push(&filter, (struct simplify_point){ 9, 3 * MIB }, &out), 1);
    ck_assert_double_eq(out.value, 3 * MIB);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("simplify");
    TCase *cases = tcase_create("series");
    tcase_add_test(cases, flat_run_keeps_two_points);
    tcase_add_test(cases, ramp_keeps_its_ends);
    tcase_add_test(cases, step_keeps_its_corners);
    tcase_add_test(cases, one_sample_spike_is_kept);
    tcase_add_test(cases, one_sample_dip_is_kept);
    tcase_add_test(cases, peak_within_tolerance_is_kept);
    tcase_add_test(cases, small_noise_is_flattened);
    tcase_add_test(cases, random_walk_stays_within_tolerance_and_keeps_peak);
    tcase_add_test(cases, slow_curve_does_not_drift);
    tcase_add_test(cases, disabled_filter_keeps_everything);
    tcase_add_test(cases, one_and_two_points);
    tcase_add_test(cases, time_standing_still_drops_nothing);
    tcase_add_test(cases, flush_resets_for_a_new_series);
    suite_add_tcase(suite, cases);
    return suite;
}
