/*
 * check_output.h — the three ways `mprof check` tells its verdicts: the text report
 * (check_text.c: stdout, and the body of a JUnit failure), one JSON object for scripts
 * (check_json.c) and JUnit XML for CI systems (check_junit.c). They print the same
 * figures, from check_eval.h's model; none decides anything.
 *
 * Text from a .dat (file and function names) can hold any byte: each writer escapes
 * what its format cannot carry (a byte that is not UTF-8, or a control character, is
 * written \xHH), so the output is always valid text, JSON or XML.
 *
 * Error convention: 0 on success; -1 when writing failed (errno from stdio).
 */
#ifndef MPROF_CHECK_OUTPUT_H
#define MPROF_CHECK_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "check_eval.h"

/* What --update-baseline did. */
enum check_baseline_update {
    CHECK_BASELINE_KEPT = 0,   /* not asked */
    CHECK_BASELINE_UPDATED,    /* the new file was copied over the baseline */
    CHECK_BASELINE_CREATED,    /* there was no baseline: the new file is it now */
    CHECK_BASELINE_SAME,       /* the new file is the baseline itself: nothing to copy */
};

/* Everything a writer prints. */
struct check_report {
    const char *current_path;
    const char *baseline_path;          /* NULL when no --baseline was given */
    const struct check_request *request;
    const struct check_outcome *outcome;  /* NULL after an input error */
    const char *error;                  /* the input error's line, when outcome is NULL */
    bool baseline_missing;              /* --baseline named no file (with --update-baseline) */
    enum check_baseline_update baseline_update;
    int exit_status;                    /* 0 within budget, 1 over, 2 input error */
};

/* The report for people: one line per check (PASS or FAIL with its figures), then on a
 * failure the peaks side by side (with a baseline) and the lines that grew or held
 * most, then what --update-baseline did. Nothing for an input error (stderr has it). */
int check_text_write(FILE *out, const struct check_report *report);

/* The text report as one malloc'd string (for the JUnit failure's body), or NULL on no
 * memory. */
char *check_text_string(const struct check_report *report);

/* One JSON object, the figures of each check and the lines (see check_json.c for the
 * fields), ended by a newline. */
int check_json_write(FILE *out, const struct check_report *report);

/* A JUnit XML document: one testsuite, one testcase per check (a <failure> holding the
 * text report when it failed), or one testcase with an <error> for an input error. */
int check_junit_write(FILE *out, const struct check_report *report);

#endif
