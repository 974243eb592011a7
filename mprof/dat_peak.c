/*
 * dat_peak.c — the one definition of each peak over a .dat (see dat.h): the highest
 * sample, raised to the high-water mark the file's MPROF lines carry.
 */
#include "dat.h"

#include <stdio.h>
#include <string.h>

uint64_t dat_peak_combine(uint64_t highest_sample_bytes, uint64_t high_water_mark_bytes)
{
    return high_water_mark_bytes > highest_sample_bytes ? high_water_mark_bytes
                                                        : highest_sample_bytes;
}

double dat_series_peak_mem_mib(const struct dat_sample *samples, size_t count,
                               double *peak_time_s)
{
    double peak = -1.0, peak_time = 0.0;
    for (size_t i = 0; i < count; i++) {
        if (samples[i].mem_mib > peak) {  /* strict: the first of equal peaks */
            peak = samples[i].mem_mib;
            peak_time = samples[i].time_s;
        }
    }
    if (peak_time_s != NULL)
        *peak_time_s = peak_time;
    return peak;
}

uint64_t dat_series_peak_heap_bytes(const struct dat_heap_sample *samples, size_t count,
                                    double *peak_time_s)
{
    uint64_t peak = 0;
    double peak_time = 0.0;
    for (size_t i = 0; i < count; i++) {
        if (i == 0 || samples[i].heap_bytes > peak) {
            peak = samples[i].heap_bytes;
            peak_time = samples[i].time_s;
        }
    }
    if (peak_time_s != NULL)
        *peak_time_s = peak_time;
    return peak;
}

double dat_peak_mem_mib(const struct dat_profile *profile, double *peak_time_s)
{
    double peak_mib = dat_series_peak_mem_mib(profile->mem, profile->mem_count, peak_time_s);
    if (profile->mem_count == 0)
        return peak_mib;
    uint64_t sample_peak, hwm = 0, mark;
    if (dat_meta_u64(profile, "rss_peak_bytes", &mark))
        hwm = mark;
    if (dat_meta_u64(profile, "rss_hwm_bytes", &mark))
        hwm = dat_peak_combine(hwm, mark);
    /* Compared in bytes; the sample's MiB is returned as written when no mark is above
     * it (MEM's six decimals are within a byte or two of the bytes it was). */
    sample_peak = (uint64_t)(peak_mib * DAT_BYTES_PER_MIB + 0.5);
    if (dat_peak_combine(sample_peak, hwm) > sample_peak)
        return (double)hwm / DAT_BYTES_PER_MIB;
    return peak_mib;
}

uint64_t dat_peak_heap_bytes(const struct dat_profile *profile, double *peak_time_s)
{
    uint64_t peak = dat_series_peak_heap_bytes(profile->heap, profile->heap_count, peak_time_s);
    uint64_t mark;
    if (dat_meta_u64(profile, "heap_peak_bytes", &mark))
        peak = dat_peak_combine(peak, mark);
    return peak;
}

int dat_child_marks(const struct dat_profile *profile, int index, uint64_t *rss_bytes,
                    uint64_t *heap_bytes)
{
    for (size_t i = profile->meta_count; i-- > 0; ) {
        if (strcmp(profile->meta[i].key, "child_peak") != 0)
            continue;
        int found_index;
        unsigned long long rss, heap;
        char extra;
        if (sscanf(profile->meta[i].value, "%d %llu %llu %c", &found_index, &rss, &heap,
                   &extra) == 3 && found_index == index) {
            *rss_bytes = rss;
            *heap_bytes = heap;
            return 1;
        }
    }
    return 0;
}

double dat_child_peak_mem_mib(const struct dat_profile *profile, const struct dat_child *child,
                              double *peak_time_s)
{
    double peak_mib = dat_series_peak_mem_mib(child->mem, child->mem_count, peak_time_s);
    uint64_t rss, heap;
    if (!dat_child_marks(profile, child->index, &rss, &heap))
        return peak_mib;
    uint64_t sample_peak = peak_mib > 0 ? (uint64_t)(peak_mib * DAT_BYTES_PER_MIB + 0.5) : 0;
    return rss > sample_peak ? (double)rss / DAT_BYTES_PER_MIB : peak_mib;
}

uint64_t dat_child_peak_heap_bytes(const struct dat_profile *profile,
                                   const struct dat_child *child, double *peak_time_s)
{
    uint64_t peak = dat_series_peak_heap_bytes(child->heap, child->heap_count, peak_time_s);
    uint64_t rss, heap;
    if (dat_child_marks(profile, child->index, &rss, &heap))
        peak = dat_peak_combine(peak, heap);
    return peak;
}
