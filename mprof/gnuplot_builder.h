/*
 * gnuplot_builder.h — the inside of gnuplot_build() (gnuplot.h), one job per file:
 *   gnuplot.c         the settings (terminal, axes, key, ranges) and the order of it all
 *   gnuplot_series.c  the curves and their legend: RSS, heap, children, fits, brackets
 *   gnuplot_marks.c   the peaks: which, where, and their marks in an image
 *   gnuplot_text.c    what the text plot (gnuplot's dumb terminal) draws differently
 *   gnuplot_fit.c     least-squares fits and a profile's start
 *   gnuplot_flame.c   --flame: the FUNC calls as bars by nesting level
 *   gnuplot_flame_names.c  --flame: the bars' labels, each name's shortest unambiguous tail
 *
 * Invariant: every number goes to the data file (gnuplot_builder_point and friends) or is
 * formatted by us from a finite double; every string goes through gnuplot_script.h.
 * The extent (x_min..y_max) is that of what is drawn inside the window (-w): a point
 * outside it counts only where its line crosses the window's edge.
 */
#ifndef MPROF_GNUPLOT_BUILDER_H
#define MPROF_GNUPLOT_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dat.h"
#include "gnuplot.h"
#include "gnuplot_script.h"

/* On a log scale nothing is drawn below 1 KiB: a heap of 0 sits on the floor. */
#define GNUPLOT_LOG_FLOOR_MIB (1.0 / 1024.0)

struct gnuplot_builder {
    const struct gnuplot_options *options;
    struct gnuplot_script script;    /* the settings */
    struct gnuplot_script plots;     /* the plot elements, joined with ", \" */
    FILE *data;
    const char *data_path;
    int block;                       /* index of the next data block */
    size_t plot_count;
    double x_min, x_max, y_min, y_max;  /* extent of everything drawn (see above) */
    double y_min_positive;           /* the lowest y above 0, for a log scale */
    bool has_previous;               /* the series being written has a point before */
    double previous_x, previous_y;
};

/* Write one point of the current series to the data file and take it into the extent. */
void gnuplot_builder_point(struct gnuplot_builder *builder, double x, double y);

/* End the data block just written and start a plot element reading it; the caller
 * appends the style, then ends the element with gnuplot_builder_end_plot(). */
void gnuplot_builder_begin_plot(struct gnuplot_builder *builder);
/* End the element with its legend entry (NULL: none). */
void gnuplot_builder_end_plot(struct gnuplot_builder *builder, const char *title);

/* The colours of profile `n`'s RSS and heap lines (a child takes n + its rank + 1). */
const char *gnuplot_rss_colour(size_t n);
const char *gnuplot_heap_colour(size_t n);

/* Every series of profile `n` of `count`, as the options ask (-s fits into *fits). */
void gnuplot_series_add_profile(struct gnuplot_builder *builder,
                                const struct dat_profile *profile, size_t n, size_t count,
                                struct gnuplot_profile_fits *fits);
/* The FUNC brackets of a single profile, one legend entry per function name. */
void gnuplot_series_add_brackets(struct gnuplot_builder *builder,
                                 const struct dat_profile *profile);

/* --flame: every FUNC call of a single profile as a bar at its nesting level, behind
 * the curves, named inside when the name fits (gnuplot_flame.c). Call it once the frame's
 * time span (x_min..x_max) is set. */
void gnuplot_flame_add(struct gnuplot_builder *builder, const struct dat_profile *profile);
/* The bar colour (0xRRGGBB) of the `nth` bar (in time order) at `level` of `levels`:
 * memory_profiler's red and orange by turns, paler with depth, as its half-transparent
 * fill shows on white. */
unsigned gnuplot_flame_colour(int level, int levels, size_t nth);
/* For each of `names` (count of them, a name any number of times), its shortest dotted
 * tail ("b.f" of "a.b.f") that no other name among them ends in, into short_names[i]: a
 * pointer into names[i] (gnuplot_flame_names.c). In O(n log n) comparisons of names.
 * 0, or -1 when out of memory (short_names then unset). */
int gnuplot_flame_short_names(const char *const *names, size_t count, const char **short_names);

/* "start at 19:49:23.537, 01 / 12 / 2026": when profile time `start` was, in local time
 * (or as a number of seconds when it is no date). */
void gnuplot_series_start_label(double start, char *label, size_t label_size);

/* A profile's peaks, as dat.h defines them, relative to its start; with -M the highest
 * of the program's and each child's, `whose` naming the child ("" for the program). */
struct gnuplot_peaks {
    bool has_rss, has_heap;          /* drawn, and inside the window */
    double rss_mib, rss_time_s;
    double heap_mib, heap_time_s;
    char rss_whose[32], heap_whose[32];
    const char *mem_label;           /* what the MEM series is: "RSS", "PSS", ... */
    size_t heap_rank;                /* whose heap colour: 0 the program's, c + 1 child c's */
};

/* The peaks of a single profile that the plot shows (hidden series and peaks outside
 * the window have none). */
struct gnuplot_peaks gnuplot_marks_peaks(const struct gnuplot_builder *builder,
                                         const struct dat_profile *profile);
/* Draw them in an image: dashed lines across the frame and a label at each peak. */
void gnuplot_marks_add(struct gnuplot_builder *builder, const struct gnuplot_peaks *peaks);

/* The text plot's settings (size, labels, key). */
void gnuplot_text_settings(struct gnuplot_builder *builder);
/* Draw the peaks in a text plot: lines that end at the peak and a legend entry, so
 * nothing crosses the title, a label or the border. */
void gnuplot_text_add_peaks(struct gnuplot_builder *builder, const struct gnuplot_peaks *peaks);

/* Fits of a MEM-like or HEAP-like series, times relative to `start`. */
struct gnuplot_fit gnuplot_fit_mem(const struct dat_sample *samples, size_t count, double start);
struct gnuplot_fit gnuplot_fit_heap(const struct dat_heap_sample *samples, size_t count,
                                    double start);

#endif
