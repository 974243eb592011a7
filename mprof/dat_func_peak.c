/*
 * dat_func_peak.c — the peak within one function's calls (`mprof peak --func`, contract
 * in dat.h): the highest sample whose time falls within one of the function's FUNC
 * spans, both ends included, as memory_profiler 0.61 filters them (so a call whose end
 * is before its start holds none).
 *
 * Invariant: the spans are merged into disjoint ascending ones before any sample is
 * looked at, so each sample costs one binary search, whatever the order of the file's
 * lines (the original's nested loop would take hours on an hour of 10 ms samples with
 * ten thousand calls, and would count a sample once per overlapping call).
 */
#include "dat.h"

#include <stdlib.h>
#include <string.h>

struct dat_span {
    double start_s, end_s;
};

static int dat_span_compare(const void *left, const void *right)
{
    const struct dat_span *a = left, *b = right;
    if (a->start_s != b->start_s)
        return a->start_s < b->start_s ? -1 : 1;
    return (a->end_s > b->end_s) - (a->end_s < b->end_s);
}

int dat_func_spans_of(const struct dat_profile *profile, const char *name,
                      struct dat_func_spans *spans)
{
    memset(spans, 0, sizeof *spans);
    for (size_t i = 0; i < profile->func_count; i++)
        if (strcmp(profile->funcs[i].name, name) == 0)
            spans->call_count++;
    if (spans->call_count == 0)
        return 0;
    struct dat_span *all = malloc(spans->call_count * sizeof *all);
    if (all == NULL)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < profile->func_count; i++) {
        const struct dat_func *func = &profile->funcs[i];
        if (strcmp(func->name, name) != 0)
            continue;
        /* A call written end first (a foreign file) holds no sample: the original's
         * start <= t <= end is never true of it. It still counts as a call. */
        if (!(func->start_s <= func->end_s))
            continue;
        all[n].start_s = func->start_s;
        all[n].end_s = func->end_s;
        spans->total_s += func->end_s - func->start_s;
        n++;
    }
    qsort(all, n, sizeof *all, dat_span_compare);
    size_t merged = 0;
    for (size_t i = 0; i < n; i++) {
        if (merged > 0 && all[i].start_s <= all[merged - 1].end_s) {
            if (all[i].end_s > all[merged - 1].end_s)
                all[merged - 1].end_s = all[i].end_s;  /* a nested or overlapping call */
            continue;
        }
        all[merged++] = all[i];
    }
    if (merged == 0) {   /* only calls written end first: no span (malloc(0) may fail) */
        free(all);
        return 0;
    }
    spans->start_s = malloc(merged * sizeof *spans->start_s);
    spans->end_s = malloc(merged * sizeof *spans->end_s);
    if (spans->start_s == NULL || spans->end_s == NULL) {
        free(all);
        dat_func_spans_free(spans);
        return -1;
    }
    for (size_t i = 0; i < merged; i++) {
        spans->start_s[i] = all[i].start_s;
        spans->end_s[i] = all[i].end_s;
    }
    spans->span_count = merged;
    free(all);
    return 0;
}

void dat_func_spans_free(struct dat_func_spans *spans)
{
    free(spans->start_s);
    free(spans->end_s);
    memset(spans, 0, sizeof *spans);
}

bool dat_func_spans_cover(const struct dat_func_spans *spans, double time_s)
{
    /* The last span that starts at or before time_s, if any, is the only candidate. */
    size_t low = 0, high = spans->span_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (spans->start_s[middle] <= time_s)
            low = middle + 1;
        else
            high = middle;
    }
    return low > 0 && time_s <= spans->end_s[low - 1];
}

double dat_func_spans_peak_mem_mib(const struct dat_func_spans *spans,
                                   const struct dat_sample *samples, size_t count,
                                   double *peak_time_s)
{
    double peak = -1.0, peak_time = 0.0;
    for (size_t i = 0; i < count; i++) {
        /* strict: the first of equal peaks, as dat_series_peak_mem_mib */
        if (samples[i].mem_mib > peak && dat_func_spans_cover(spans, samples[i].time_s)) {
            peak = samples[i].mem_mib;
            peak_time = samples[i].time_s;
        }
    }
    if (peak_time_s != NULL)
        *peak_time_s = peak_time;
    return peak;
}

bool dat_func_spans_peak_heap_bytes(const struct dat_func_spans *spans,
                                    const struct dat_heap_sample *samples, size_t count,
                                    uint64_t *peak_bytes, double *peak_time_s)
{
    bool found = false;
    uint64_t peak = 0;
    double peak_time = 0.0;
    for (size_t i = 0; i < count; i++) {
        if ((!found || samples[i].heap_bytes > peak) &&
            dat_func_spans_cover(spans, samples[i].time_s)) {
            found = true;
            peak = samples[i].heap_bytes;
            peak_time = samples[i].time_s;
        }
    }
    *peak_bytes = peak;
    if (peak_time_s != NULL)
        *peak_time_s = peak_time;
    return found;
}
