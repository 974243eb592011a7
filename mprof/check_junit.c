/*
 * check_junit.c — `mprof check --junit FILE` (contract in check_output.h): the JUnit XML
 * that CI systems (GitLab, Jenkins, GitHub's test reporters) display, one testcase per
 * check, named "max-peak (heap)" and so on, under one testsuite named for the file.
 *
 * Invariant: the document is well-formed for any .dat. XML 1.0 cannot carry most control
 * characters even as references, nor U+FFFE and U+FFFF, nor bytes that are not UTF-8:
 * those are written as the text \xHH; the five markup characters as entities.
 */
#include "check_output.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "utf8.h"

static void check_junit_put_text(FILE *out, const char *text)
{
    const unsigned char *c = (const unsigned char *)(text != NULL ? text : "");
    while (*c != '\0') {
        switch (*c) {
        case '&':
            fputs("&amp;", out);
            c++;
            continue;
        case '<':
            fputs("&lt;", out);
            c++;
            continue;
        case '>':
            fputs("&gt;", out);
            c++;
            continue;
        case '"':
            fputs("&quot;", out);
            c++;
            continue;
        case '\'':
            fputs("&apos;", out);
            c++;
            continue;
        case '\t':
        case '\n':
            fputc(*c++, out);
            continue;
        default:
            break;
        }
        if (*c < 0x20) {
            fprintf(out, "\\x%02x", *c++);
            continue;
        }
        size_t length = utf8_sequence_length(c);
        /* U+FFFE and U+FFFF are valid UTF-8 but no XML character. */
        bool non_character = length == 3 && c[0] == 0xef && c[1] == 0xbf && c[2] >= 0xbe;
        if (length == 0 || non_character) {
            size_t bytes = length == 0 ? 1 : length;
            for (size_t i = 0; i < bytes; i++)
                fprintf(out, "\\x%02x", c[i]);
            c += bytes;
            continue;
        }
        fwrite(c, 1, length, out);
        c += length;
    }
}

/* The message attribute: the check's own line, without its newline. */
static void check_junit_put_message(FILE *out, const char *report_text, const char *kind)
{
    const char *line = report_text;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "FAIL %s:", kind);
    for (const char *at = report_text; at != NULL && *at != '\0';) {
        if (strncmp(at, prefix, strlen(prefix)) == 0) {
            line = at;
            break;
        }
        at = strchr(at, '\n');
        at = at != NULL ? at + 1 : NULL;
    }
    const char *end = line != NULL ? strchr(line, '\n') : NULL;
    size_t length = end != NULL ? (size_t)(end - line) : (line != NULL ? strlen(line) : 0);
    char *message = strndup(line != NULL ? line : "", length);
    check_junit_put_text(out, message != NULL ? message : "over budget");
    free(message);
}

static void check_junit_put_case(FILE *out, const struct check_result *result,
                                 const char *report_text)
{
    fprintf(out, "    <testcase classname=\"mprof.check\" name=\"%s (%s)\" time=\"0\"",
            check_kind_name(result->kind), check_metric_name(result->metric));
    if (result->passed) {
        fputs("/>\n", out);
        return;
    }
    fprintf(out, ">\n      <failure type=\"%s\" message=\"", check_kind_name(result->kind));
    check_junit_put_message(out, report_text, check_kind_name(result->kind));
    fputs("\">", out);
    check_junit_put_text(out, report_text);
    fputs("</failure>\n    </testcase>\n", out);
}

int check_junit_write(FILE *out, const struct check_report *report)
{
    const struct check_outcome *outcome = report->outcome;
    size_t tests = outcome != NULL ? outcome->result_count : 1;
    size_t failures = 0, skipped = 0;
    for (size_t i = 0; outcome != NULL && i < outcome->result_count; i++)
        failures += !outcome->results[i].passed;
    bool skipped_growth = outcome != NULL && report->baseline_missing &&
                          report->request->max_growth_set;
    if (skipped_growth) {
        tests++;
        skipped++;
    }
    size_t errors = outcome == NULL ? 1 : 0;
    char *report_text = outcome != NULL ? check_text_string(report) : NULL;
    if (outcome != NULL && report_text == NULL)
        return -1;

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"mprof check\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\""
                 " skipped=\"%zu\">\n", tests, failures, errors, skipped);
    fputs("  <testsuite name=\"mprof check ", out);
    check_junit_put_text(out, report->current_path);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"0\">\n",
            tests, failures, errors, skipped);
    if (outcome == NULL) {
        fputs("    <testcase classname=\"mprof.check\" name=\"input\" time=\"0\">\n"
              "      <error type=\"input\" message=\"", out);
        check_junit_put_text(out, report->error);
        fputs("\">", out);
        check_junit_put_text(out, report->error);
        fputs("</error>\n    </testcase>\n", out);
    }
    for (size_t i = 0; outcome != NULL && i < outcome->result_count; i++)
        check_junit_put_case(out, &outcome->results[i], report_text);
    if (skipped_growth) {
        fprintf(out, "    <testcase classname=\"mprof.check\" name=\"max-growth (%s)\" time=\"0\">\n"
                     "      <skipped message=\"no baseline yet: ",
                check_metric_name(report->request->metric));
        check_junit_put_text(out, report->baseline_path);
        fputs(" was created from this run\"/>\n    </testcase>\n", out);
    }
    if (report_text != NULL) {
        fputs("    <system-out>", out);
        check_junit_put_text(out, report_text);
        fputs("</system-out>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
    free(report_text);
    return ferror(out) ? -1 : 0;
}
