/*
 * check_lines.c — which source lines a check's report names (contract in check_eval.h): the
 * TOP records of the two runs matched by file, line and function, and the growth of
 * each; or, without a baseline, the new run's lines that held the most.
 *
 * Invariant: the order is total (growth, then bytes held, then file, line, function),
 * so the same two files always list the same lines in the same order. Matching sorts
 * both runs' records together, so it stays n log n for any number of TOP lines.
 */
#include "check_eval.h"

#include <stdlib.h>
#include <string.h>

/* One TOP record of either run, tagged with its side, for the merge. */
struct check_site_ref {
    const struct dat_top_site *site;
    bool from_baseline;
};

static int check_compare_key(const char *filename_a, uint32_t line_a, const char *function_a,
                             const char *filename_b, uint32_t line_b, const char *function_b)
{
    int order = strcmp(filename_a, filename_b);
    if (order != 0)
        return order;
    if (line_a != line_b)
        return line_a < line_b ? -1 : 1;
    return strcmp(function_a, function_b);
}

static int check_compare_site_refs(const void *a, const void *b)
{
    const struct dat_top_site *left = ((const struct check_site_ref *)a)->site;
    const struct dat_top_site *right = ((const struct check_site_ref *)b)->site;
    return check_compare_key(left->filename, left->line, left->function, right->filename,
                             right->line, right->function);
}

/* Grown most first, then held most, then by key: the listing order. */
static int check_compare_lines(const void *a, const void *b)
{
    const struct check_line *left = a, *right = b;
    if (left->growth_bytes != right->growth_bytes)
        return left->growth_bytes > right->growth_bytes ? -1 : 1;
    if (left->new_bytes != right->new_bytes)
        return left->new_bytes > right->new_bytes ? -1 : 1;
    return check_compare_key(left->filename, left->line, left->function, right->filename,
                             right->line, right->function);
}

/* Saturating, since a .dat from anywhere can hold any int64 in a TOP line. */
static int64_t check_add_bytes(int64_t sum, int64_t bytes)
{
    if (bytes > 0 && sum > INT64_MAX - bytes)
        return INT64_MAX;
    if (bytes < 0 && sum < INT64_MIN - bytes)
        return INT64_MIN;
    return sum + bytes;
}

static int64_t check_subtract_bytes(int64_t minuend, int64_t subtrahend)
{
    if (subtrahend == INT64_MIN)
        return minuend >= 0 ? INT64_MAX : minuend - INT64_MIN;
    return check_add_bytes(minuend, -subtrahend);
}

int check_lines(const struct dat_profile *current, const struct dat_profile *baseline,
                size_t limit, struct check_line **lines, size_t *line_count)
{
    *lines = NULL;
    *line_count = 0;
    size_t baseline_count = baseline != NULL ? baseline->top_site_count : 0;
    size_t total = current->top_site_count + baseline_count;
    if (total == 0)
        return 0;
    struct check_site_ref *refs = malloc(total * sizeof *refs);
    struct check_line *merged = malloc(total * sizeof *merged);
    if (refs == NULL || merged == NULL) {
        free(refs);
        free(merged);
        return -1;
    }
    for (size_t i = 0; i < current->top_site_count; i++)
        refs[i] = (struct check_site_ref){ &current->top_sites[i], false };
    for (size_t i = 0; i < baseline_count; i++)
        refs[current->top_site_count + i] = (struct check_site_ref){ &baseline->top_sites[i], true };
    qsort(refs, total, sizeof *refs, check_compare_site_refs);

    /* Equal keys are now adjacent: one line each, a side's records summed. */
    size_t count = 0;
    for (size_t i = 0; i < total; i++) {
        const struct dat_top_site *site = refs[i].site;
        if (i == 0 || check_compare_site_refs(&refs[i - 1], &refs[i]) != 0)
            merged[count++] = (struct check_line){ .filename = site->filename,
                                                   .function = site->function,
                                                   .line = site->line };
        struct check_line *line = &merged[count - 1];
        if (refs[i].from_baseline)
            line->baseline_bytes = check_add_bytes(line->baseline_bytes, site->live_bytes);
        else
            line->new_bytes = check_add_bytes(line->new_bytes, site->live_bytes);
    }
    free(refs);

    /* Keep the lines that grew (with a baseline) or that hold anything (without). */
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        merged[i].growth_bytes = check_subtract_bytes(merged[i].new_bytes,
                                                      merged[i].baseline_bytes);
        if (baseline != NULL ? merged[i].growth_bytes > 0 : merged[i].new_bytes > 0)
            merged[kept++] = merged[i];
    }
    qsort(merged, kept, sizeof *merged, check_compare_lines);
    if (kept > limit)
        kept = limit;
    if (kept == 0) {
        free(merged);
        return 0;
    }
    *lines = merged;
    *line_count = kept;
    return 0;
}
