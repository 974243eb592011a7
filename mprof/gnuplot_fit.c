/*
 * gnuplot_fit.c — the numbers behind -s and the x axis: least-squares fits of a series
 * and the time a profile starts at (contracts in gnuplot.h and gnuplot_builder.h).
 */
#include <stdbool.h>
#include <stdlib.h>

#include "gnuplot.h"
#include "gnuplot_builder.h"

struct gnuplot_fit gnuplot_fit_line(const double *times_s, const double *mems_mib, size_t count)
{
    struct gnuplot_fit fit = { .valid = false };
    if (count < 2)
        return fit;
    double mean_t = 0, mean_m = 0;
    for (size_t i = 0; i < count; i++) {
        mean_t += times_s[i];
        mean_m += mems_mib[i];
    }
    mean_t /= (double)count;
    mean_m /= (double)count;
    double covariance = 0, variance = 0;
    for (size_t i = 0; i < count; i++) {
        covariance += (times_s[i] - mean_t) * (mems_mib[i] - mean_m);
        variance += (times_s[i] - mean_t) * (times_s[i] - mean_t);
    }
    if (!(variance > 0))
        return fit;
    fit.valid = true;
    fit.slope_mib_per_s = covariance / variance;
    fit.intercept_mib = mean_m - fit.slope_mib_per_s * mean_t;
    return fit;
}

double gnuplot_profile_start(const struct dat_profile *profile)
{
    double start = profile->mem_count > 0 ? profile->mem[0].time_s : 0.0;
    for (size_t i = 0; i < profile->mem_count; i++)
        if (profile->mem[i].time_s < start)
            start = profile->mem[i].time_s;
    for (size_t i = 0; i < profile->func_count; i++)
        if (profile->funcs[i].start_s < start)
            start = profile->funcs[i].start_s;
    /* The library's first HEAP sample may come a few ms before the CLI's first MEM: it
     * is drawn from 0 too, not off the frame. */
    bool known = profile->mem_count > 0;
    for (size_t i = 0; i < profile->heap_count; i++)
        if (!known || profile->heap[i].time_s < start) {
            start = profile->heap[i].time_s;
            known = true;
        }
    return start;
}

struct gnuplot_fit gnuplot_fit_mem(const struct dat_sample *samples, size_t count, double start)
{
    struct gnuplot_fit fit = { .valid = false };
    double *times = malloc((count ? count : 1) * sizeof *times);
    double *mems = malloc((count ? count : 1) * sizeof *mems);
    if (times != NULL && mems != NULL) {
        for (size_t i = 0; i < count; i++) {
            times[i] = samples[i].time_s - start;
            mems[i] = samples[i].mem_mib;
        }
        fit = gnuplot_fit_line(times, mems, count);
    }
    free(times);
    free(mems);
    return fit;
}

struct gnuplot_fit gnuplot_fit_heap(const struct dat_heap_sample *samples, size_t count,
                                    double start)
{
    struct gnuplot_fit fit = { .valid = false };
    struct dat_sample *in_mib = malloc((count ? count : 1) * sizeof *in_mib);
    if (in_mib != NULL) {
        for (size_t i = 0; i < count; i++) {
            in_mib[i].time_s = samples[i].time_s;
            in_mib[i].mem_mib = (double)samples[i].heap_bytes / DAT_BYTES_PER_MIB;
        }
        fit = gnuplot_fit_mem(in_mib, count, start);
    }
    free(in_mib);
    return fit;
}
