/*
 * gnuplot_script.h — the text of a gnuplot script as it grows, and the one way text from
 * outside enters it (gnuplot_script.c).
 *
 * Invariant: a string from a profile or the command line reaches a script only through
 * gnuplot_script_append_string(), which writes it as one closed single-quoted literal
 * (gnuplot_quote() in gnuplot.h); everything else appended is our own words and numbers.
 * The first failure to grow sticks (`failed`), so callers append freely and check once.
 */
#ifndef MPROF_GNUPLOT_SCRIPT_H
#define MPROF_GNUPLOT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

struct gnuplot_script {
    char *text;               /* NUL-terminated once anything was appended; NULL before */
    size_t length, capacity;
    bool failed;              /* out of memory: the text is incomplete */
};

/* Append printf-formatted text of our own (never a string from outside). */
void gnuplot_script_append(struct gnuplot_script *script, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Append `text` (NULL: the empty string) as one quoted literal. */
void gnuplot_script_append_string(struct gnuplot_script *script, const char *text);

#endif
