/*
 * check_eval.c — the verdicts of `mprof check` (contract in check_eval.h): each requested check's
 * figures from the files, compared in whole bytes.
 *
 * Invariant: a check only passes on figures the files really hold. A figure a file
 * lacks is an error naming what is missing, never a zero that would pass.
 */
#include "check_eval.h"

#include <stdio.h>
#include <stdlib.h>

#include "terminal_text.h"

static void check_set_error(char *error, size_t error_size, const char *format,
                            const char *path)
{
    if (error != NULL && error_size > 0)
        snprintf(error, error_size, format, path);
}

const char *check_kind_name(enum check_kind kind)
{
    switch (kind) {
    case CHECK_MAX_GROWTH:
        return "max-growth";
    case CHECK_MAX_LEAK:
        return "max-leak";
    case CHECK_MAX_PEAK:
    default:
        return "max-peak";
    }
}

const char *check_metric_name(enum check_metric metric)
{
    return metric == CHECK_METRIC_RSS ? "rss" : "heap";
}

int check_peak_bytes(const struct dat_profile *profile, enum check_metric metric,
                     uint64_t *bytes, char *error, size_t error_size)
{
    if (metric == CHECK_METRIC_RSS) {
        double peak_mib = dat_peak_mem_mib(profile, NULL);
        if (peak_mib < 0) {  /* dat_read refuses such a file; said in case one is built */
            check_set_error(error, error_size, "%s: no MEM line (no RSS samples)",
                            profile->path);
            return -1;
        }
        *bytes = (uint64_t)(peak_mib * DAT_BYTES_PER_MIB + 0.5);
        return 0;
    }
    uint64_t mark;
    if (profile->heap_count == 0 && !dat_meta_u64(profile, "heap_peak_bytes", &mark)) {
        check_set_error(error, error_size,
                        "%s: no heap data (no HEAP lines: memory_profiler wrote it, or the "
                        "run's heap was not seen); use --metric rss to check its RSS",
                        profile->path);
        return -1;
    }
    *bytes = dat_peak_heap_bytes(profile, NULL);
    return 0;
}

int check_exit_heap_bytes(const struct dat_profile *profile, uint64_t *bytes, char *error,
                          size_t error_size)
{
    if (dat_meta_u64(profile, "heap_exit_bytes", bytes))
        return 0;
    const char *written = dat_meta_text_prefixed(profile, "heap_exit_bytes", "");
    if (written != NULL) {  /* a negative count, say: the file is not to be trusted */
        char shown[48];  /* the file's text, escaped for the terminal */
        if (error != NULL && error_size > 0)
            snprintf(error, error_size, "%s: MPROF heap_exit_bytes %s is not a byte count",
                     profile->path, terminal_text_format(shown, sizeof shown, written));
        return -1;
    }
    uint64_t signal_number;
    if (dat_meta_u64(profile, "signal", &signal_number))
        check_set_error(error, error_size,
                        "%s: records no heap at exit (no MPROF heap_exit_bytes): the program "
                        "was ended by a signal before its code finished", profile->path);
    else if (profile->heap_count == 0)
        check_set_error(error, error_size,
                        "%s: records no heap at exit (no MPROF heap_exit_bytes, no HEAP "
                        "lines: memory_profiler wrote it, or the run's heap was not seen)",
                        profile->path);
    else
        check_set_error(error, error_size,
                        "%s: records no heap at exit (no MPROF heap_exit_bytes): the program "
                        "did not reach its end (killed, or it exec'd), or an older mprof "
                        "wrote the file", profile->path);
    return -1;
}

int check_complete(const struct dat_profile *profile, char *error, size_t error_size)
{
    char why[DAT_ERROR_MAX];
    if (dat_profile_whole(profile, why, sizeof why))
        return 0;
    if (error != NULL && error_size > 0)
        snprintf(error, error_size, "%s: %s: not a whole profile", profile->path, why);
    return -1;
}

static void check_result_compare(struct check_result *result)
{
    result->passed = result->value_bytes <= result->limit_bytes;
}

int check_evaluate(const struct check_request *request, const struct dat_profile *current,
                   const struct dat_profile *baseline, struct check_outcome *outcome,
                   char *error, size_t error_size)
{
    *outcome = (struct check_outcome){ .passed = true };
    if (check_complete(current, error, error_size) < 0 ||
        (baseline != NULL && check_complete(baseline, error, error_size) < 0))
        return -1;
    uint64_t peak = 0;
    if ((request->max_peak_set || request->max_growth_set) &&
        check_peak_bytes(current, request->metric, &peak, error, error_size) < 0)
        return -1;
    if (request->max_peak_set) {
        struct check_result *result = &outcome->results[outcome->result_count++];
        *result = (struct check_result){ .kind = CHECK_MAX_PEAK, .metric = request->metric,
                                         .value_bytes = peak,
                                         .limit_bytes = request->max_peak_bytes };
        check_result_compare(result);
    }
    if (request->max_growth_set) {
        uint64_t baseline_peak;
        if (baseline == NULL) {
            check_set_error(error, error_size, "%s: --max-growth needs a --baseline",
                            current->path);
            return -1;
        }
        if (check_peak_bytes(baseline, request->metric, &baseline_peak, error, error_size) < 0)
            return -1;
        struct check_result *result = &outcome->results[outcome->result_count++];
        uint64_t allowed = limit_growth_allowed_bytes(&request->max_growth, baseline_peak);
        uint64_t limit = baseline_peak + allowed;  /* both at most INT64_MAX: no wrap */
        *result = (struct check_result){
            .kind = CHECK_MAX_GROWTH, .metric = request->metric, .value_bytes = peak,
            .limit_bytes = limit > LIMIT_BYTES_MAX ? LIMIT_BYTES_MAX : limit,
            .has_baseline = true, .baseline_bytes = baseline_peak,
            .growth_bytes = (int64_t)peak - (int64_t)baseline_peak,
            .allowed_growth_bytes = allowed,
        };
        check_result_compare(result);
    }
    if (request->max_leak_set) {
        uint64_t exit_heap;
        if (check_exit_heap_bytes(current, &exit_heap, error, error_size) < 0)
            return -1;
        struct check_result *result = &outcome->results[outcome->result_count++];
        *result = (struct check_result){ .kind = CHECK_MAX_LEAK, .metric = CHECK_METRIC_HEAP,
                                         .value_bytes = exit_heap,
                                         .limit_bytes = request->max_leak_bytes };
        check_result_compare(result);
    }
    for (size_t i = 0; i < outcome->result_count; i++) {
        struct check_result *result = &outcome->results[i];
        outcome->passed = outcome->passed && result->passed;
        if (result->kind == CHECK_MAX_LEAK)
            snprintf(result->figure, sizeof(result->figure), "heap at exit");
        else
            snprintf(result->figure, sizeof(result->figure), "peak %s",
                     result->metric == CHECK_METRIC_RSS ? dat_mem_label(current) : "heap");
    }

    outcome->compared = baseline != NULL;
    outcome->lines_recorded = current->top_site_count > 0 &&
                              (baseline == NULL || baseline->top_site_count > 0);
    if (outcome->lines_recorded &&
        check_lines(current, baseline, CHECK_LINES_MAX, &outcome->lines,
                    &outcome->line_count) < 0) {
        check_set_error(error, error_size, "%s: out of memory", current->path);
        return -1;
    }
    return 0;
}

void check_outcome_free(struct check_outcome *outcome)
{
    free(outcome->lines);
    outcome->lines = NULL;
    outcome->line_count = 0;
}
