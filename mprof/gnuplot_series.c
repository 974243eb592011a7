/*
 * gnuplot_series.c — the curves of a plot and their legend entries (contract in
 * gnuplot_builder.h): each profile's RSS and live heap, its children's (-M), linear fits
 * (-s) and the FUNC brackets.
 *
 * Invariant: a legend entry says what its line is ("RSS", "heap", "child 2 heap"), and
 * with several files which file, so no two entries read alike. The points go to the data
 * file in MiB, x in seconds from the profile's start.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gnuplot_builder.h"

/* ---------------------------------------------------------------- elements */

static void gnuplot_extend(struct gnuplot_builder *builder, double x, double y)
{
    if (x < builder->x_min) builder->x_min = x;
    if (x > builder->x_max) builder->x_max = x;
    if (y < builder->y_min) builder->y_min = y;
    if (y > builder->y_max) builder->y_max = y;
    if (y > 0 && y < builder->y_min_positive) builder->y_min_positive = y;
}

void gnuplot_builder_point(struct gnuplot_builder *builder, double x, double y)
{
    const struct gnuplot_options *options = builder->options;
    /* A log scale has no 0: the lowest values sit on its floor instead of vanishing. */
    double drawn_y = options->log_scale && y < GNUPLOT_LOG_FLOOR_MIB ? GNUPLOT_LOG_FLOOR_MIB : y;
    fprintf(builder->data, "%.6f %.6f\n", x, drawn_y);
    if (!options->window) {
        gnuplot_extend(builder, x, y);
    } else {
        if (x >= options->window_min_s && x <= options->window_max_s)
            gnuplot_extend(builder, x, y);
        /* A line that enters or leaves the window is drawn up to its edge. */
        const double edges[2] = { options->window_min_s, options->window_max_s };
        for (int e = 0; e < 2 && builder->has_previous; e++) {
            double from = builder->previous_x, edge = edges[e];
            if ((from < edge && x > edge) || (from > edge && x < edge)) {
                double share = (edge - from) / (x - from);
                gnuplot_extend(builder, edge,
                               builder->previous_y + share * (y - builder->previous_y));
            }
        }
    }
    builder->has_previous = true;
    builder->previous_x = x;
    builder->previous_y = y;
}

void gnuplot_builder_begin_plot(struct gnuplot_builder *builder)
{
    fputs("\n\n", builder->data);
    builder->has_previous = false;  /* the next block is another line */
    gnuplot_script_append(&builder->plots, "%s", builder->plot_count > 0 ? ", \\\n     " : "plot ");
    gnuplot_script_append_string(&builder->plots, builder->data_path);
    gnuplot_script_append(&builder->plots, " index %d using 1:2", builder->block);
    builder->block++;
    builder->plot_count++;
}

void gnuplot_builder_end_plot(struct gnuplot_builder *builder, const char *title)
{
    if (title == NULL) {
        gnuplot_script_append(&builder->plots, " notitle");
    } else {
        gnuplot_script_append(&builder->plots, " title ");
        gnuplot_script_append_string(&builder->plots, title);
    }
}

/* RSS and heap colours per profile: the original's line colours for RSS, a distinct
 * lighter partner for the heap. */
static const char *const gnuplot_mem_colours[] = {
    "#000000", "#1f3fbf", "#c0202f", "#208020", "#10a0a0", "#a0a000", "#a020a0",
};
static const char *const gnuplot_heap_colours[] = {
    "#e66100", "#5fa8ff", "#ff8f9f", "#80d080", "#70e0e0", "#e0e060", "#e080e0",
};
static const char *const gnuplot_func_colours[] = {
    "#00bfbf", "#bfbf00", "#00a000", "#e00000", "#0000e0",
};
#define GNUPLOT_COLOURS(table, n) (table[(size_t)(n) % (sizeof table / sizeof table[0])])

const char *gnuplot_rss_colour(size_t n)
{
    return GNUPLOT_COLOURS(gnuplot_mem_colours, n);
}

const char *gnuplot_heap_colour(size_t n)
{
    return GNUPLOT_COLOURS(gnuplot_heap_colours, n);
}

/* The same markers and widths in every format: small filled dots on the samples. */
#define GNUPLOT_RSS_STYLE "with linespoints pt 7 ps 0.35"

void gnuplot_series_start_label(double start, char *label, size_t label_size)
{
    /* The reader keeps times within 10^11 s of the epoch; a caller that did not is
     * shown a number, never a time_t overflowed on the way to localtime. */
    struct tm local;
    bool dated = false;
    if (start > -1e15 && start < 1e15) {
        time_t seconds = (time_t)floor(start);
        int millis = (int)lround((start - floor(start)) * 1000.0);
        if (millis >= 1000)
            millis = 999;
        char date[64];
        if (localtime_r(&seconds, &local) != NULL &&
            strftime(date, sizeof date, "%d / %m / %Y %H:%M:%S", &local) > 0) {
            snprintf(label, label_size, "%s.%03d", date, millis);
            dated = true;
        }
    }
    if (!dated)
        snprintf(label, label_size, "%.6g s", start);
}

/* "<what>", or "<what> <file>" when several files share the plot; then the fit. */
static void gnuplot_series_label(char *label, size_t label_size, const char *what,
                                 const struct dat_profile *profile, size_t count,
                                 struct gnuplot_fit fit)
{
    int used;
    if (count == 1)
        used = snprintf(label, label_size, "%s", what);
    else
        used = snprintf(label, label_size, "%s %.*s", what, GNUPLOT_STRING_MAX, profile->path);
    if (fit.valid && used >= 0 && (size_t)used < label_size)
        snprintf(label + used, label_size - (size_t)used, " slope %.5f", fit.slope_mib_per_s);
}

static void gnuplot_trend(struct gnuplot_builder *builder, struct gnuplot_fit fit,
                          double x_first, double x_last, const char *colour)
{
    if (!fit.valid)
        return;
    fprintf(builder->data, "%.6f %.6f\n%.6f %.6f\n", x_first,
            fit.slope_mib_per_s * x_first + fit.intercept_mib, x_last,
            fit.slope_mib_per_s * x_last + fit.intercept_mib);
    gnuplot_builder_begin_plot(builder);
    gnuplot_script_append(&builder->plots, " with lines dt 2 lw 1 lc rgb '%s'", colour);
    gnuplot_builder_end_plot(builder, NULL);
}

/* A long series is drawn from what a picture can show: the time axis split into
 * GNUPLOT_COLUMNS columns (over 3 a pixel of the widest picture), and of the samples in
 * each column its first, its last, its lowest and its highest, in time order. Every
 * extreme stays, so the line looks the same and every peak is where it was; an hour
 * sampled every 10 ms (360,000 samples a series) is drawn from at most 4 x 4,096. */
#define GNUPLOT_COLUMNS      4096
#define GNUPLOT_REDUCE_ABOVE (4 * GNUPLOT_COLUMNS)

struct gnuplot_column {
    struct gnuplot_builder *builder;
    double x0, width;
    long index;
    bool open;
    double x[4], y[4];  /* first, lowest, highest, last */
};

static void gnuplot_column_flush(struct gnuplot_column *column)
{
    if (!column->open)
        return;
    column->open = false;
    int order[4] = { 0, 1, 2, 3 };
    for (int i = 1; i < 4; i++)
        for (int j = i; j > 0 && column->x[order[j]] < column->x[order[j - 1]]; j--) {
            int swap = order[j];
            order[j] = order[j - 1];
            order[j - 1] = swap;
        }
    for (int i = 0; i < 4; i++) {
        int k = order[i];
        if (i > 0 && column->x[k] == column->x[order[i - 1]] && column->y[k] == column->y[order[i - 1]])
            continue;
        gnuplot_builder_point(column->builder, column->x[k], column->y[k]);
    }
}

static void gnuplot_column_add(struct gnuplot_column *column, double x, double y)
{
    long index = (long)((x - column->x0) / column->width);
    if (!column->open || index != column->index) {
        gnuplot_column_flush(column);
        column->open = true;
        column->index = index;
        for (int i = 0; i < 4; i++) {
            column->x[i] = x;
            column->y[i] = y;
        }
        return;
    }
    if (y < column->y[1]) {
        column->x[1] = x;
        column->y[1] = y;
    }
    if (y > column->y[2]) {
        column->x[2] = x;
        column->y[2] = y;
    }
    column->x[3] = x;
    column->y[3] = y;
}

/* Columns over the window when there is one, else over the series' own span. */
static void gnuplot_column_begin(struct gnuplot_column *column, struct gnuplot_builder *builder,
                                 double first_x, double last_x)
{
    const struct gnuplot_options *options = builder->options;
    double from = options->window ? options->window_min_s : first_x;
    double to = options->window ? options->window_max_s : last_x;
    column->builder = builder;
    column->x0 = from;
    column->width = to > from ? (to - from) / GNUPLOT_COLUMNS : 1.0;
    column->open = false;
}

static void gnuplot_series_mem(struct gnuplot_builder *builder, const struct dat_sample *samples,
                               size_t sample_count, double start)
{
    if (sample_count <= GNUPLOT_REDUCE_ABOVE) {
        for (size_t i = 0; i < sample_count; i++)
            gnuplot_builder_point(builder, samples[i].time_s - start, samples[i].mem_mib);
        return;
    }
    struct gnuplot_column column;
    gnuplot_column_begin(&column, builder, samples[0].time_s - start,
                         samples[sample_count - 1].time_s - start);
    for (size_t i = 0; i < sample_count; i++)
        gnuplot_column_add(&column, samples[i].time_s - start, samples[i].mem_mib);
    gnuplot_column_flush(&column);
}

static void gnuplot_series_heap(struct gnuplot_builder *builder,
                                const struct dat_heap_sample *samples, size_t sample_count,
                                double start)
{
    if (sample_count <= GNUPLOT_REDUCE_ABOVE) {
        for (size_t i = 0; i < sample_count; i++)
            gnuplot_builder_point(builder, samples[i].time_s - start,
                                  (double)samples[i].heap_bytes / DAT_BYTES_PER_MIB);
        return;
    }
    struct gnuplot_column column;
    gnuplot_column_begin(&column, builder, samples[0].time_s - start,
                         samples[sample_count - 1].time_s - start);
    for (size_t i = 0; i < sample_count; i++)
        gnuplot_column_add(&column, samples[i].time_s - start,
                           (double)samples[i].heap_bytes / DAT_BYTES_PER_MIB);
    gnuplot_column_flush(&column);
}

static void gnuplot_series_children(struct gnuplot_builder *builder,
                                    const struct dat_profile *profile, size_t n, size_t count,
                                    double start)
{
    const struct gnuplot_options *options = builder->options;
    char what[48], label[GNUPLOT_STRING_MAX + 96];
    for (size_t c = 0; c < profile->child_count; c++) {
        const struct dat_child *child = &profile->children[c];
        struct gnuplot_fit no_fit = { .valid = false };
        if (child->mem_count > 0 && !options->hide_rss) {
            gnuplot_series_mem(builder, child->mem, child->mem_count, start);
            snprintf(what, sizeof what, "child %d", child->index);
            struct gnuplot_fit fit = options->slope
                ? gnuplot_fit_mem(child->mem, child->mem_count, start) : no_fit;
            gnuplot_series_label(label, sizeof label, what, profile, count, fit);
            gnuplot_builder_begin_plot(builder);
            gnuplot_script_append(&builder->plots, " " GNUPLOT_RSS_STYLE " lw 1 lc rgb '%s'",
                                  gnuplot_rss_colour(n + c + 1));
            gnuplot_builder_end_plot(builder, label);
        }
        if (child->heap_count > 0 && !options->hide_heap) {
            gnuplot_series_heap(builder, child->heap, child->heap_count, start);
            snprintf(what, sizeof what, "child %d heap", child->index);
            gnuplot_series_label(label, sizeof label, what, profile, count, no_fit);
            gnuplot_builder_begin_plot(builder);
            gnuplot_script_append(&builder->plots, " with lines dt 2 lw 1.5 lc rgb '%s'",
                                  gnuplot_heap_colour(n + c + 1));
            gnuplot_builder_end_plot(builder, label);
        }
    }
}

void gnuplot_series_add_profile(struct gnuplot_builder *builder,
                                const struct dat_profile *profile, size_t n, size_t count,
                                struct gnuplot_profile_fits *fits)
{
    const struct gnuplot_options *options = builder->options;
    double start = gnuplot_profile_start(profile);
    char label[GNUPLOT_STRING_MAX + 96];
    struct gnuplot_profile_fits local_fits = { { .valid = false }, { .valid = false } };
    if (options->slope) {
        local_fits.mem = gnuplot_fit_mem(profile->mem, profile->mem_count, start);
        local_fits.heap = gnuplot_fit_heap(profile->heap, profile->heap_count, start);
    }
    if (fits != NULL)
        fits[n] = local_fits;

    double first_x = profile->mem_count > 0 ? profile->mem[0].time_s - start : 0, last_x = first_x;
    for (size_t i = 0; i < profile->mem_count; i++) {
        double x = profile->mem[i].time_s - start;
        if (x < first_x) first_x = x;
        if (x > last_x) last_x = x;
    }
    /* Under tracemalloc MEM is HEAP point for point: drawn once, as the heap. */
    bool mem_is_heap_drawn = dat_backend(profile) == BACKEND_TRACEMALLOC &&
                             profile->heap_count > 0 && !options->hide_heap;
    /* RSS: a line through dots on the samples, as the original's "+-". */
    if (profile->mem_count > 0 && !options->hide_rss && !mem_is_heap_drawn) {
        gnuplot_series_mem(builder, profile->mem, profile->mem_count, start);
        gnuplot_series_label(label, sizeof label, dat_mem_label(profile), profile, count,
                             local_fits.mem);
        gnuplot_builder_begin_plot(builder);
        gnuplot_script_append(&builder->plots, " " GNUPLOT_RSS_STYLE " lw 1.5 lc rgb '%s'",
                              gnuplot_rss_colour(n));
        gnuplot_builder_end_plot(builder, label);
        gnuplot_trend(builder, local_fits.mem, first_x, last_x, "#00e3d8");
    }
    /* Live heap: a dashed line in its own colour. */
    if (profile->heap_count > 0 && !options->hide_heap) {
        gnuplot_series_heap(builder, profile->heap, profile->heap_count, start);
        gnuplot_series_label(label, sizeof label, "heap", profile, count, local_fits.heap);
        gnuplot_builder_begin_plot(builder);
        gnuplot_script_append(&builder->plots, " with lines dt 2 lw 2 lc rgb '%s'",
                              gnuplot_heap_colour(n));
        gnuplot_builder_end_plot(builder, label);
        gnuplot_trend(builder, local_fits.heap, first_x, last_x, "#ff9900");
    }
    gnuplot_series_children(builder, profile, n, count, start);
}

/* Whether the table `table_name` (PROFILE_FUNC's module.qualname) is of the function
 * whose FUNC lines are `bracket_name` (module.name, as memory_profiler names them): the
 * same, or the module's prefix and then a qualified name that ends in the name
 * (`__main__.A.m` and `__main__.m`). */
static bool gnuplot_table_of(const char *table_name, const char *bracket_name)
{
    if (strcmp(table_name, bracket_name) == 0)
        return true;
    const char *dot = strrchr(bracket_name, '.');
    if (dot == NULL)
        return false;
    size_t module_length = (size_t)(dot - bracket_name) + 1, plain_length = strlen(dot);
    size_t length = strlen(table_name);
    return length > module_length + plain_length &&
           strncmp(table_name, bracket_name, module_length) == 0 &&
           strcmp(table_name + length - plain_length, dot) == 0;
}

/* How many calls of `name` the run made: the decorated functions' own count
 * (PROFILE_FUNC), which the FUNC brackets can fall short of (a process keeps 10,000 of
 * them and then each function's first); `drawn` when the file has none (memory_profiler's). */
static size_t gnuplot_calls_made(const struct dat_profile *profile, const char *name,
                                 size_t drawn)
{
    size_t made = 0;
    for (size_t p = 0; p < profile->profiled_count; p++)
        if (gnuplot_table_of(profile->profiled[p].name, name))
            made += profile->profiled[p].call_count;
    return made > drawn ? made : drawn;
}

/* FUNC brackets, the original's shape: "[" at (start, MiB start) and "]" at (end, MiB
 * end), sized from the plot's extent. One legend entry per function name. */
void gnuplot_series_add_brackets(struct gnuplot_builder *builder, const struct dat_profile *profile)
{
    double start = gnuplot_profile_start(profile);
    double x_min = builder->x_min, x_max = builder->x_max;
    double y_span = builder->y_max - builder->y_min;
    if (!(y_span > 0))
        y_span = 1.0;
    double v = y_span / 20.0;
    double h = (x_max - x_min > 0 ? x_max - x_min : 1.0) / 60.0;
    size_t colour = 0;
    for (size_t f = 0; f < profile->func_count; f++) {
        const char *name = profile->funcs[f].name;
        bool seen = false;
        for (size_t g = 0; g < f && !seen; g++)
            seen = strcmp(profile->funcs[g].name, name) == 0;
        if (seen)
            continue;
        size_t calls = 0;
        double duration = 0;
        for (size_t g = f; g < profile->func_count; g++) {
            const struct dat_func *func = &profile->funcs[g];
            if (strcmp(func->name, name) != 0)
                continue;
            double s = func->start_s - start, e = func->end_s - start;
            fprintf(builder->data, "%.6f %.6f\n%.6f %.6f\n%.6f %.6f\n%.6f %.6f\n\n",
                    s + h, func->mem_start_mib + v, s, func->mem_start_mib + v,
                    s, func->mem_start_mib - v, s + h, func->mem_start_mib - v);
            fprintf(builder->data, "%.6f %.6f\n%.6f %.6f\n%.6f %.6f\n%.6f %.6f\n\n",
                    e - h, func->mem_end_mib + v, e, func->mem_end_mib + v,
                    e, func->mem_end_mib - v, e - h, func->mem_end_mib - v);
            calls++;
            duration = func->end_s - func->start_s;
        }
        char label[GNUPLOT_STRING_MAX + 96];
        size_t made = gnuplot_calls_made(profile, name, calls);
        if (made == 1)
            snprintf(label, sizeof label, "%.*s %.3fs", GNUPLOT_STRING_MAX, name, duration);
        else if (made == calls)
            snprintf(label, sizeof label, "%.*s (%zu calls)", GNUPLOT_STRING_MAX, name, calls);
        else
            snprintf(label, sizeof label, "%.*s (%zu calls, the first %zu drawn)",
                     GNUPLOT_STRING_MAX, name, made, calls);
        gnuplot_builder_begin_plot(builder);
        gnuplot_script_append(&builder->plots, " with lines lw 2 lc rgb '%s'",
                              GNUPLOT_COLOURS(gnuplot_func_colours, colour));
        gnuplot_builder_end_plot(builder, label);
        colour++;
    }
}
