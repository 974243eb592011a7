/*
 * check_text.c — `mprof check`'s report for people (contract in check_output.h).
 *
 * A check's line gives its figures both ways, for people and exact ("13.3 MiB
 * (13983266 B)"), since a budget in CI is set from those bytes. Names from the .dat go
 * through terminal_text_put, so no control byte, nor a byte that is not UTF-8,
 * reaches a terminal.
 */
#include "check_output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "terminal_text.h"

/* The percentage `growth` is of `baseline` ("+21.45%"), or "n/a" for a zero baseline. */
static void check_text_format_growth_percent(char *text, size_t text_size, int64_t growth,
                                             uint64_t baseline)
{
    if (baseline == 0)
        snprintf(text, text_size, "n/a");
    else
        snprintf(text, text_size, "%+.2f%%", (double)growth * 100.0 / (double)baseline);
}

static void check_text_put_result(FILE *out, const struct check_result *result)
{
    char value[LIMIT_TEXT_MAX], limit[LIMIT_TEXT_MAX], over[LIMIT_TEXT_MAX];
    limit_format_bytes(value, sizeof value, result->value_bytes);
    fprintf(out, "%s %s: %s %s (%" PRIu64 " B)", result->passed ? "PASS" : "FAIL",
            check_kind_name(result->kind), result->figure, value,
            result->value_bytes);
    if (result->kind == CHECK_MAX_GROWTH) {
        char baseline[LIMIT_TEXT_MAX], growth[LIMIT_TEXT_MAX], percent[LIMIT_TEXT_MAX];
        limit_format_bytes(baseline, sizeof baseline, result->baseline_bytes);
        limit_format_signed_bytes(growth, sizeof growth, result->growth_bytes);
        check_text_format_growth_percent(percent, sizeof percent, result->growth_bytes,
                                         result->baseline_bytes);
        fprintf(out, ", baseline %s (%" PRIu64 " B): %s (%+" PRId64 " B, %s)", baseline,
                result->baseline_bytes, growth, result->growth_bytes, percent);
        return;  /* the allowed growth follows, from the request */
    }
    limit_format_bytes(limit, sizeof limit, result->limit_bytes);
    if (result->passed) {
        fprintf(out, ", within %s (%" PRIu64 " B)\n", limit, result->limit_bytes);
    } else {
        limit_format_bytes(over, sizeof over, result->value_bytes - result->limit_bytes);
        fprintf(out, ", over %s (%" PRIu64 " B) by %s (%" PRIu64 " B)\n", limit,
                result->limit_bytes, over, result->value_bytes - result->limit_bytes);
    }
}

/* ", within the 5% allowed (+699163 B)" after a growth line. */
static void check_text_put_allowed_growth(FILE *out, const struct check_result *result,
                                          const struct limit_growth *growth)
{
    char allowed[LIMIT_TEXT_MAX];
    if (growth->is_percent)
        limit_format_percent(allowed, sizeof allowed, growth->micropercent);
    else
        limit_format_bytes(allowed, sizeof allowed, growth->bytes);
    fprintf(out, ", %s the %s allowed (+%" PRIu64 " B)\n", result->passed ? "within" : "over",
            allowed, result->allowed_growth_bytes);
}

/* The peaks side by side: one column per run, and the growth. */
static void check_text_put_peaks(FILE *out, const struct check_result *result)
{
    char baseline[LIMIT_TEXT_MAX], current[LIMIT_TEXT_MAX], growth[LIMIT_TEXT_MAX];
    char percent[LIMIT_TEXT_MAX], exact[3][LIMIT_TEXT_MAX];
    limit_format_bytes(baseline, sizeof baseline, result->baseline_bytes);
    limit_format_bytes(current, sizeof current, result->value_bytes);
    limit_format_signed_bytes(growth, sizeof growth, result->growth_bytes);
    check_text_format_growth_percent(percent, sizeof percent, result->growth_bytes,
                                     result->baseline_bytes);
    snprintf(exact[0], sizeof exact[0], "%" PRIu64 " B", result->baseline_bytes);
    snprintf(exact[1], sizeof exact[1], "%" PRIu64 " B", result->value_bytes);
    snprintf(exact[2], sizeof exact[2], "%+" PRId64 " B", result->growth_bytes);
    fprintf(out, "\n%-12s  %-16s  %-16s  %s\n", "", "baseline", "new", "growth");
    fprintf(out, "%-12s  %-16s  %-16s  %s (%s)\n", result->figure, baseline,
            current, growth, percent);
    fprintf(out, "%-12s  %-16s  %-16s  %s\n", "", exact[0], exact[1], exact[2]);
}

static void check_text_put_lines(FILE *out, const struct check_outcome *outcome)
{
    if (!outcome->lines_recorded) {
        fputs(outcome->compared
                  ? "\n(record both runs with mprof run --lines to see which lines grew)\n"
                  : "\n(record the run with mprof run --lines to see which lines hold it)\n",
              out);
        return;
    }
    fputs(outcome->compared ? "\nlines whose heap held at the peak grew most:\n"
                            : "\nlines holding the most heap at the peak:\n",
          out);
    if (outcome->line_count == 0)
        fputs(outcome->compared ? "  (no line held more at the peak than in the baseline)\n"
                                : "  (no line held heap at the peak)\n",
              out);
    for (size_t i = 0; i < outcome->line_count; i++) {
        const struct check_line *line = &outcome->lines[i];
        char amount[LIMIT_TEXT_MAX];
        if (outcome->compared)
            limit_format_signed_bytes(amount, sizeof amount, line->growth_bytes);
        else
            limit_format_bytes(amount, sizeof amount, (uint64_t)line->new_bytes);
        fprintf(out, "%10s  ", amount);
        terminal_text_put(out, line->filename);
        fprintf(out, ":%" PRIu32 " ", line->line);
        terminal_text_put(out, line->function);
        fputs("()\n", out);
    }
}

static void check_text_put_baseline_update(FILE *out, const struct check_report *report)
{
    switch (report->baseline_update) {
    case CHECK_BASELINE_UPDATED:
        fputs("baseline ", out);
        terminal_text_put(out, report->baseline_path);
        fputs(" updated: it is now a copy of ", out);
        terminal_text_put(out, report->current_path);
        fputc('\n', out);
        break;
    case CHECK_BASELINE_CREATED:
        fputs("baseline ", out);
        terminal_text_put(out, report->baseline_path);
        fputs(" created from ", out);
        terminal_text_put(out, report->current_path);
        fputs(" (there was none: the next run is checked against it)\n", out);
        break;
    case CHECK_BASELINE_SAME:
        fputs("baseline ", out);
        terminal_text_put(out, report->baseline_path);
        fputs(" left as it is: it is the checked file itself\n", out);
        break;
    case CHECK_BASELINE_KEPT:
    default:
        break;
    }
}

int check_text_write(FILE *out, const struct check_report *report)
{
    const struct check_outcome *outcome = report->outcome;
    if (outcome == NULL)
        return 0;
    for (size_t i = 0; i < outcome->result_count; i++) {
        const struct check_result *result = &outcome->results[i];
        check_text_put_result(out, result);
        if (result->kind == CHECK_MAX_GROWTH)
            check_text_put_allowed_growth(out, result, &report->request->max_growth);
    }
    if (report->baseline_missing && report->request->max_growth_set) {
        fputs("SKIP max-growth: no baseline yet (", out);
        terminal_text_put(out, report->baseline_path);
        fputs(" does not exist)\n", out);
    }
    if (!outcome->passed) {
        for (size_t i = 0; i < outcome->result_count; i++)
            if (outcome->results[i].kind == CHECK_MAX_GROWTH)
                check_text_put_peaks(out, &outcome->results[i]);
        check_text_put_lines(out, outcome);
    }
    check_text_put_baseline_update(out, report);
    return ferror(out) ? -1 : 0;
}

char *check_text_string(const struct check_report *report)
{
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (out == NULL)
        return NULL;
    int written = check_text_write(out, report);
    if (fclose(out) != 0 || written < 0) {
        free(text);
        return NULL;
    }
    return text;
}
