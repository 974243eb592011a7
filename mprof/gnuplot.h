/*
 * gnuplot.h — plot scripts for gnuplot, built so that data is never code.
 *
 * A .dat comes from anyone, and so do titles and file names. The script therefore
 * carries no number or string from a profile as code: the numbers go into a data file
 * that gnuplot reads with `plot '<file>' index N using 1:2`, and every string (title,
 * legend, data file path) goes through gnuplot_quote(), the only function that puts text
 * into a script. The script never names an output file either: gnuplot writes the image
 * to its stdout, which the caller points at the file it chose.
 *
 * Error convention: 0 on success, -1 with `error` filled with one line (no "mprof: ").
 */
#ifndef MPROF_GNUPLOT_H
#define MPROF_GNUPLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dat.h"

/* Longest text, in bytes, that gnuplot_quote keeps from a string; the rest becomes "...". */
#define GNUPLOT_STRING_MAX 200

/* The size of every picture: pixels of a PNG or JPEG, and of an SVG at 96 per inch; a
 * PDF or EPS page is the same at 96 pixels per inch (13.125 x 5.625 in). */
#define GNUPLOT_IMAGE_WIDTH 1260
#define GNUPLOT_IMAGE_HEIGHT 540

enum gnuplot_format {
    GNUPLOT_FORMAT_PNG,
    GNUPLOT_FORMAT_SVG,
    GNUPLOT_FORMAT_PDF,
    GNUPLOT_FORMAT_EPS,    /* epscairo: the PDF's renderer, so the same picture */
    GNUPLOT_FORMAT_JPEG,   /* the PNG, drawn first, then re-encoded (gnuplot_jpeg_script) */
    GNUPLOT_FORMAT_DUMB,   /* text plot for terminals and CI logs */
};

struct gnuplot_options {
    enum gnuplot_format format;
    const char *title;        /* -t; NULL: the CMDLINE of a single profile, none for several */
    int columns, lines;       /* DUMB only: the text plot's size */
    bool function_marks;      /* FUNC brackets (single profile only, as the original) */
    bool flame;               /* --flame: the FUNC calls as bars by nesting level instead */
    bool slope;               /* -s: draw and label linear fits */
    bool window;              /* -w: limit x to [window_min_s, window_max_s] */
    double window_min_s, window_max_s;
    bool log_scale;           /* --log: y on a log scale (heap and RSS far apart) */
    bool hide_heap;           /* --no-heap: no heap series (nor its peak) */
    bool hide_rss;            /* --no-rss: no RSS series (nor its peak) */
};

/* A least-squares line mem = slope * t + intercept over a series (t from its start). */
struct gnuplot_fit {
    bool valid;               /* false with fewer than two distinct times */
    double slope_mib_per_s;
    double intercept_mib;
};

/* The fits computed for one profile when options->slope is set. */
struct gnuplot_profile_fits {
    struct gnuplot_fit mem;
    struct gnuplot_fit heap;  /* invalid when the profile has no HEAP lines */
};

/* Write `text` as one gnuplot single-quoted string literal into `quoted` (always
 * NUL-terminated; needs at least 3 bytes; GNUPLOT_STRING_MAX + 8 holds any result).
 * Inside: a single quote is doubled where gnuplot's scanner reads '' as a quote (after a
 * plain character), else written as U+2019; a backquote and '@' stay as they are
 * (gnuplot expands neither inside a single-quoted literal); control characters become
 * spaces; invalid UTF-8 bytes become '?'; content beyond GNUPLOT_STRING_MAX bytes is cut
 * at a character boundary and ends in "...". Returns the length written. */
size_t gnuplot_quote(const char *text, char *quoted, size_t quoted_size);

/* Least-squares fit of (t, mem) pairs; times are taken relative to start_s. */
struct gnuplot_fit gnuplot_fit_line(const double *times_s, const double *mems_mib, size_t count);

/* The time a profile's x axis starts at: its earliest MEM or FUNC time (as the original). */
double gnuplot_profile_start(const struct dat_profile *profile);

/* Write every series of `profiles` to `data` (blocks separated by two blank lines) and
 * return the malloc'd script that plots them from `data_path`. When options->slope,
 * `fits` (count entries) receive each profile's fits. Returns NULL with `error` filled
 * when the data cannot be written, or when nothing would be drawn: no sample inside the
 * window (-w), or every series hidden. */
char *gnuplot_build(const struct dat_profile *profiles, size_t count,
                    const struct gnuplot_options *options, FILE *data, const char *data_path,
                    struct gnuplot_profile_fits *fits, char *error, size_t error_size);

/* The script that re-encodes the PNG at `png_path` (a GNUPLOT_IMAGE_WIDTH x
 * GNUPLOT_IMAGE_HEIGHT picture gnuplot_build drew) as a JPEG of the same size, pixel for
 * pixel, with gnuplot's jpeg terminal: its own drawing (libgd) has no dashed lines and
 * other line widths, so a JPEG drawn directly would not be the PNG's picture. malloc'd;
 * NULL when out of memory. */
char *gnuplot_jpeg_script(const char *png_path);

/* Run gnuplot (from PATH, without its init files) with `script` on its stdin and its
 * stdout on `output_fd` (-1: our stdout). gnuplot missing gives
 * "gnuplot: not found; install it with: apt-get install gnuplot-nox"; a failing gnuplot
 * gives "gnuplot: <its last error line>". */
int gnuplot_run(const char *script, int output_fd, char *error, size_t error_size);

#endif
