/*
 * check_json.c — `mprof check --json` (contract in check_output.h): one object,
 *   { "file", "baseline" (path or null), "metric", "exit_status", "passed",
 *     "error" (the input error's line, or null),
 *     "checks": [ { "name", "metric", "figure", "limit", "value", "baseline_value", "growth",
 *                   "growth_percent", "allowed_growth", "passed" } ... ],
 *     "skipped": [ { "name", "reason" } ... ],
 *     "lines_recorded", "lines": [ { "file", "line", "function", "baseline_bytes",
 *                                    "new_bytes", "growth_bytes" } ... ],
 *     "baseline_update": "updated" | "created" | "unchanged" | null }
 * Sizes are whole bytes; a check passes when value <= limit. Fields that do not apply
 * (a baseline value without a baseline) are null, never left out, so a script reads
 * every field the same way.
 *
 * Invariant: the output is valid JSON for any .dat: strings are escaped here, and a
 * byte that is not part of valid UTF-8 is written as the text \xHH.
 */
#include "check_output.h"

#include <inttypes.h>
#include <string.h>

#include "utf8.h"

static void check_json_put_string(FILE *out, const char *text)
{
    if (text == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    const unsigned char *c = (const unsigned char *)text;
    while (*c != '\0') {
        if (*c == '"' || *c == '\\') {
            fprintf(out, "\\%c", *c++);
        } else if (*c < 0x20) {
            fprintf(out, "\\u%04x", *c++);
        } else if (*c < 0x80) {
            fputc(*c++, out);
        } else {
            size_t length = utf8_sequence_length(c);
            if (length == 0) {
                fprintf(out, "\\\\x%02x", *c++);
                continue;
            }
            fwrite(c, 1, length, out);
            c += length;
        }
    }
    fputc('"', out);
}

static void check_json_put_result(FILE *out, const struct check_result *result)
{
    fputs("{\"name\": ", out);
    check_json_put_string(out, check_kind_name(result->kind));
    fputs(", \"metric\": ", out);
    check_json_put_string(out, check_metric_name(result->metric));
    fputs(", \"figure\": ", out);
    check_json_put_string(out, result->figure);
    fprintf(out, ", \"limit\": %" PRIu64 ", \"value\": %" PRIu64, result->limit_bytes,
            result->value_bytes);
    if (result->has_baseline) {
        fprintf(out, ", \"baseline_value\": %" PRIu64 ", \"growth\": %" PRId64,
                result->baseline_bytes, result->growth_bytes);
        if (result->baseline_bytes > 0)
            fprintf(out, ", \"growth_percent\": %.4f",
                    (double)result->growth_bytes * 100.0 / (double)result->baseline_bytes);
        else
            fputs(", \"growth_percent\": null", out);
        fprintf(out, ", \"allowed_growth\": %" PRIu64, result->allowed_growth_bytes);
    } else {
        fputs(", \"baseline_value\": null, \"growth\": null, \"growth_percent\": null"
              ", \"allowed_growth\": null", out);
    }
    fprintf(out, ", \"passed\": %s}", result->passed ? "true" : "false");
}

static void check_json_put_line(FILE *out, const struct check_line *line, bool compared)
{
    fputs("{\"file\": ", out);
    check_json_put_string(out, line->filename);
    fprintf(out, ", \"line\": %" PRIu32 ", \"function\": ", line->line);
    check_json_put_string(out, line->function);
    if (compared)
        fprintf(out, ", \"baseline_bytes\": %" PRId64, line->baseline_bytes);
    else
        fputs(", \"baseline_bytes\": null", out);
    fprintf(out, ", \"new_bytes\": %" PRId64 ", \"growth_bytes\": ", line->new_bytes);
    if (compared)
        fprintf(out, "%" PRId64 "}", line->growth_bytes);
    else
        fputs("null}", out);
}

static const char *check_json_update_name(enum check_baseline_update update)
{
    switch (update) {
    case CHECK_BASELINE_UPDATED:
        return "updated";
    case CHECK_BASELINE_CREATED:
        return "created";
    case CHECK_BASELINE_SAME:
        return "unchanged";
    case CHECK_BASELINE_KEPT:
    default:
        return NULL;
    }
}

int check_json_write(FILE *out, const struct check_report *report)
{
    const struct check_outcome *outcome = report->outcome;
    fputs("{\"file\": ", out);
    check_json_put_string(out, report->current_path);
    fputs(", \"baseline\": ", out);
    check_json_put_string(out, report->baseline_path);
    fputs(", \"metric\": ", out);
    check_json_put_string(out, check_metric_name(report->request->metric));
    fprintf(out, ", \"exit_status\": %d, \"passed\": %s, \"error\": ", report->exit_status,
            report->exit_status == 0 ? "true" : "false");
    check_json_put_string(out, outcome == NULL ? report->error : NULL);
    fputs(",\n \"checks\": [", out);
    for (size_t i = 0; outcome != NULL && i < outcome->result_count; i++) {
        fputs(i > 0 ? ",\n  " : "\n  ", out);
        check_json_put_result(out, &outcome->results[i]);
    }
    fputs("],\n \"skipped\": [", out);
    if (outcome != NULL && report->baseline_missing && report->request->max_growth_set)
        fputs("{\"name\": \"max-growth\", \"reason\": \"no baseline yet\"}", out);
    fprintf(out, "],\n \"lines_recorded\": %s, \"lines\": [",
            outcome != NULL && outcome->lines_recorded ? "true" : "false");
    for (size_t i = 0; outcome != NULL && i < outcome->line_count; i++) {
        fputs(i > 0 ? ",\n  " : "\n  ", out);
        check_json_put_line(out, &outcome->lines[i], outcome->compared);
    }
    fputs("],\n \"baseline_update\": ", out);
    check_json_put_string(out, check_json_update_name(report->baseline_update));
    fputs("}\n", out);
    return ferror(out) ? -1 : 0;
}
