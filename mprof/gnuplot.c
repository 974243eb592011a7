/*
 * gnuplot.c — plot scripts for gnuplot (contract in gnuplot.h; gnuplot_run.c runs them).
 *
 * Invariant: the only text from outside that reaches a script goes through
 * gnuplot_quote(); everything else in the script is our own fixed words and numbers we
 * formatted from doubles (finite: the .dat reader refuses nan and inf). The data itself
 * lives in a separate file gnuplot reads as numbers, never as commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gnuplot.h"
#include "utf8.h"

/* ---------------------------------------------------------------- quoting */

/* Why a quote is not always doubled: gnuplot's scanner (scanner.c) reads '' as an
 * escaped quote only when it looks ahead from a plain character. Right after the opening
 * quote, or right after another escaped quote, '' would end the literal and let the rest
 * of the text be read as code. There a quote is written as U+2019 instead. */
#define GNUPLOT_RIGHT_QUOTE "\xe2\x80\x99"   /* ' where '' cannot be used */
#define GNUPLOT_LEFT_QUOTE  "\xe2\x80\x98"   /* ` */

size_t gnuplot_quote(const char *text, char *quoted, size_t quoted_size)
{
    static const char ellipsis[] = "...";
    if (quoted_size < 8) {  /* no room for text: the empty string, or nothing */
        if (quoted_size >= 3) {
            memcpy(quoted, "''", 3);
            return 2;
        }
        if (quoted_size > 0)
            quoted[0] = '\0';
        return 0;
    }
    /* Room kept for the opening and closing quotes, a possible "..." and the NUL. */
    size_t content_max = quoted_size - (2 + (sizeof ellipsis - 1) + 1);
    if (content_max > GNUPLOT_STRING_MAX)
        content_max = GNUPLOT_STRING_MAX;
    size_t used = 0;
    bool after_plain = false;  /* the last content byte can carry a doubled quote */
    const unsigned char *cursor = (const unsigned char *)(text != NULL ? text : "");
    quoted[used++] = '\'';
    while (*cursor != '\0') {
        const char *piece;
        size_t piece_length, consumed = 1;
        bool plain = true;
        size_t character_length = utf8_sequence_length(cursor);
        if (character_length == 0) {         /* invalid UTF-8: one byte becomes '?' */
            piece = "?";
        } else if (*cursor == '\'' && after_plain) {
            piece = "''";
            plain = false;
        } else if (*cursor == '\'') {
            piece = GNUPLOT_RIGHT_QUOTE;
        } else if (*cursor == '`') {
            piece = GNUPLOT_LEFT_QUOTE;      /* never command substitution */
        } else if (*cursor == '@') {
            piece = "?";                     /* never a macro */
        } else if (*cursor < 0x20 || *cursor == 0x7f) {
            piece = " ";                     /* no newline can end the command */
        } else {
            piece = (const char *)cursor;
            consumed = character_length;
        }
        piece_length = piece == (const char *)cursor ? consumed : strlen(piece);
        if (used - 1 + piece_length > content_max) {
            memcpy(quoted + used, ellipsis, sizeof ellipsis - 1);
            used += sizeof ellipsis - 1;
            break;
        }
        memcpy(quoted + used, piece, piece_length);
        used += piece_length;
        after_plain = plain;
        cursor += consumed;
    }
    quoted[used++] = '\'';
    quoted[used] = '\0';
    return used;
}

/* ---------------------------------------------------------------- script text */

/* A growing script; the first failure sticks and is reported once at the end. */
struct gnuplot_script {
    char *text;
    size_t length, capacity;
    bool failed;
};

static void gnuplot_append(struct gnuplot_script *script, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void gnuplot_append(struct gnuplot_script *script, const char *format, ...)
{
    if (script->failed)
        return;
    for (;;) {
        va_list args;
        va_start(args, format);
        int needed = vsnprintf(script->text + script->length, script->capacity - script->length,
                               format, args);
        va_end(args);
        if (needed < 0) {
            script->failed = true;
            return;
        }
        if ((size_t)needed < script->capacity - script->length) {
            script->length += (size_t)needed;
            return;
        }
        size_t capacity = script->capacity * 2 + (size_t)needed + 1;
        char *grown = realloc(script->text, capacity);
        if (grown == NULL) {
            script->failed = true;
            return;
        }
        script->text = grown;
        script->capacity = capacity;
    }
}

/* Append `text` as a quoted string: the one way outside text enters a script. */
static void gnuplot_append_string(struct gnuplot_script *script, const char *text)
{
    char quoted[GNUPLOT_STRING_MAX + 8];
    gnuplot_quote(text, quoted, sizeof quoted);
    gnuplot_append(script, "%s", quoted);
}

/* ---------------------------------------------------------------- numbers */

struct gnuplot_fit gnuplot_fit_line(const double *times_s, const double *mems_mib, size_t count)
{
    struct gnuplot_fit fit = { .valid = false };
    if (count < 2)
        return fit;
    double mean_t = 0, mean_m = 0;
    for (size_t i = 0; i < count; i++) {
        mean_t += times_s[i];
        mean_m += mems_mib[i];
    }
    mean_t /= (double)count;
    mean_m /= (double)count;
    double covariance = 0, variance = 0;
    for (size_t i = 0; i < count; i++) {
        covariance += (times_s[i] - mean_t) * (mems_mib[i] - mean_m);
        variance += (times_s[i] - mean_t) * (times_s[i] - mean_t);
    }
    if (!(variance > 0))
        return fit;
    fit.valid = true;
    fit.slope_mib_per_s = covariance / variance;
    fit.intercept_mib = mean_m - fit.slope_mib_per_s * mean_t;
    return fit;
}

double gnuplot_profile_start(const struct dat_profile *profile)
{
    double start = profile->mem_count > 0 ? profile->mem[0].time_s : 0.0;
    for (size_t i = 0; i < profile->mem_count; i++)
        if (profile->mem[i].time_s < start)
            start = profile->mem[i].time_s;
    for (size_t i = 0; i < profile->func_count; i++)
        if (profile->funcs[i].start_s < start)
            start = profile->funcs[i].start_s;
    return start;
}

/* Fit a MEM-like or HEAP-like series, times relative to `start`. */
static struct gnuplot_fit gnuplot_fit_mem(const struct dat_sample *samples, size_t count,
                                          double start)
{
    struct gnuplot_fit fit = { .valid = false };
    double *times = malloc((count ? count : 1) * sizeof *times);
    double *mems = malloc((count ? count : 1) * sizeof *mems);
    if (times != NULL && mems != NULL) {
        for (size_t i = 0; i < count; i++) {
            times[i] = samples[i].time_s - start;
            mems[i] = samples[i].mem_mib;
        }
        fit = gnuplot_fit_line(times, mems, count);
    }
    free(times);
    free(mems);
    return fit;
}

static struct gnuplot_fit gnuplot_fit_heap(const struct dat_heap_sample *samples, size_t count,
                                           double start)
{
    struct gnuplot_fit fit = { .valid = false };
    struct dat_sample *in_mib = malloc((count ? count : 1) * sizeof *in_mib);
    if (in_mib != NULL) {
        for (size_t i = 0; i < count; i++) {
            in_mib[i].time_s = samples[i].time_s;
            in_mib[i].mem_mib = (double)samples[i].heap_bytes / DAT_BYTES_PER_MIB;
        }
        fit = gnuplot_fit_mem(in_mib, count, start);
    }
    free(in_mib);
    return fit;
}

/* ---------------------------------------------------------------- building */

/* What the plot command accumulates: one element per drawn series. */
struct gnuplot_builder {
    struct gnuplot_script script;    /* the settings */
    struct gnuplot_script plots;     /* the plot elements, joined with ", \" */
    FILE *data;
    const char *data_path;
    int block;                       /* index of the next data block */
    size_t plot_count;
    double x_min, x_max, y_min, y_max;  /* extent of everything drawn */
};

static void gnuplot_extend(struct gnuplot_builder *builder, double x, double y)
{
    if (x < builder->x_min) builder->x_min = x;
    if (x > builder->x_max) builder->x_max = x;
    if (y < builder->y_min) builder->y_min = y;
    if (y > builder->y_max) builder->y_max = y;
}

/* End the data block just written and start a plot element reading it. The caller appends
 * the style and then ends the element with gnuplot_end_plot(). */
static void gnuplot_begin_plot(struct gnuplot_builder *builder)
{
    fputs("\n\n", builder->data);
    gnuplot_append(&builder->plots, "%s", builder->plot_count > 0 ? ", \\\n     " : "plot ");
    gnuplot_append_string(&builder->plots, builder->data_path);
    gnuplot_append(&builder->plots, " index %d using 1:2", builder->block);
    builder->block++;
    builder->plot_count++;
}

static void gnuplot_end_plot(struct gnuplot_builder *builder, const char *title)
{
    if (title == NULL) {
        gnuplot_append(&builder->plots, " notitle");
    } else {
        gnuplot_append(&builder->plots, " title ");
        gnuplot_append_string(&builder->plots, title);
    }
}

static void gnuplot_write_point(struct gnuplot_builder *builder, double x, double y)
{
    fprintf(builder->data, "%.6f %.6f\n", x, y);
    gnuplot_extend(builder, x, y);
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

/* The legend of a profile's RSS line: its start time, as the original writes it. */
static void gnuplot_start_label(double start, char *label, size_t label_size)
{
    time_t seconds = (time_t)floor(start);
    int millis = (int)lround((start - floor(start)) * 1000.0);
    if (millis >= 1000)
        millis = 999;
    struct tm local;
    size_t written = 0;
    if (localtime_r(&seconds, &local) != NULL)
        written = strftime(label, label_size, "%d / %m / %Y - start at %H:%M:%S", &local);
    if (written == 0)
        written = (size_t)snprintf(label, label_size, "start at %.0f", floor(start));
    if (written < label_size)
        snprintf(label + written, label_size - written, ".%03d", millis);
}

static void gnuplot_trend(struct gnuplot_builder *builder, struct gnuplot_fit fit,
                          double x_first, double x_last, const char *colour)
{
    if (!fit.valid)
        return;
    fprintf(builder->data, "%.6f %.6f\n%.6f %.6f\n", x_first,
            fit.slope_mib_per_s * x_first + fit.intercept_mib, x_last,
            fit.slope_mib_per_s * x_last + fit.intercept_mib);
    gnuplot_begin_plot(builder);
    gnuplot_append(&builder->plots, " with lines dt 2 lw 1 lc rgb '%s'", colour);
    gnuplot_end_plot(builder, NULL);
}

static void gnuplot_add_profile(struct gnuplot_builder *builder, const struct dat_profile *profile,
                                size_t n, size_t count, const struct gnuplot_options *options,
                                struct gnuplot_profile_fits *fits)
{
    double start = gnuplot_profile_start(profile);
    char label[GNUPLOT_STRING_MAX + 64];
    struct gnuplot_profile_fits local_fits = { { .valid = false }, { .valid = false } };
    if (options->slope) {
        local_fits.mem = gnuplot_fit_mem(profile->mem, profile->mem_count, start);
        local_fits.heap = gnuplot_fit_heap(profile->heap, profile->heap_count, start);
    }
    if (fits != NULL)
        fits[n] = local_fits;

    /* RSS: points and line, as the original's "+-". */
    double first_x = profile->mem[0].time_s - start, last_x = first_x;
    for (size_t i = 0; i < profile->mem_count; i++) {
        double x = profile->mem[i].time_s - start;
        gnuplot_write_point(builder, x, profile->mem[i].mem_mib);
        if (x < first_x) first_x = x;
        if (x > last_x) last_x = x;
    }
    gnuplot_start_label(start, label, sizeof label);
    if (local_fits.mem.valid) {
        size_t used = strlen(label);
        snprintf(label + used, sizeof label - used, " slope %.5f", local_fits.mem.slope_mib_per_s);
    }
    gnuplot_begin_plot(builder);
    gnuplot_append(&builder->plots, " with linespoints pt 1 ps 0.6 lw 1.5 lc rgb '%s'",
                   GNUPLOT_COLOURS(gnuplot_mem_colours, n));
    gnuplot_end_plot(builder, label);
    gnuplot_trend(builder, local_fits.mem, first_x, last_x, "#00e3d8");

    /* Live heap: a dashed line in its own colour. */
    if (profile->heap_count > 0) {
        for (size_t i = 0; i < profile->heap_count; i++)
            gnuplot_write_point(builder, profile->heap[i].time_s - start,
                                (double)profile->heap[i].heap_bytes / DAT_BYTES_PER_MIB);
        if (count == 1)
            snprintf(label, sizeof label, "heap");
        else
            snprintf(label, sizeof label, "heap %.*s", GNUPLOT_STRING_MAX, profile->path);
        if (local_fits.heap.valid) {
            size_t used = strlen(label);
            snprintf(label + used, sizeof label - used, " slope %.5f",
                     local_fits.heap.slope_mib_per_s);
        }
        gnuplot_begin_plot(builder);
        gnuplot_append(&builder->plots, " with lines dt 2 lw 2 lc rgb '%s'",
                       GNUPLOT_COLOURS(gnuplot_heap_colours, n));
        gnuplot_end_plot(builder, label);
        gnuplot_trend(builder, local_fits.heap, first_x, last_x, "#ff9900");
    }

    /* Children (-M): RSS and heap per child index. */
    for (size_t c = 0; c < profile->child_count; c++) {
        const struct dat_child *child = &profile->children[c];
        if (child->mem_count > 0) {
            for (size_t i = 0; i < child->mem_count; i++)
                gnuplot_write_point(builder, child->mem[i].time_s - start, child->mem[i].mem_mib);
            snprintf(label, sizeof label, "child %d", child->index);
            if (options->slope) {
                struct gnuplot_fit fit = gnuplot_fit_mem(child->mem, child->mem_count, start);
                if (fit.valid) {
                    size_t used = strlen(label);
                    snprintf(label + used, sizeof label - used, " slope %.5f", fit.slope_mib_per_s);
                }
            }
            gnuplot_begin_plot(builder);
            gnuplot_append(&builder->plots, " with linespoints pt 1 ps 0.6 lc rgb '%s'",
                           GNUPLOT_COLOURS(gnuplot_mem_colours, n + c + 1));
            gnuplot_end_plot(builder, label);
        }
        if (child->heap_count > 0) {
            for (size_t i = 0; i < child->heap_count; i++)
                gnuplot_write_point(builder, child->heap[i].time_s - start,
                                    (double)child->heap[i].heap_bytes / DAT_BYTES_PER_MIB);
            snprintf(label, sizeof label, "child %d heap", child->index);
            gnuplot_begin_plot(builder);
            gnuplot_append(&builder->plots, " with lines dt 2 lc rgb '%s'",
                           GNUPLOT_COLOURS(gnuplot_heap_colours, n + c + 1));
            gnuplot_end_plot(builder, label);
        }
    }
}

/* FUNC brackets, the original's shape: "[" at (start, MiB start) and "]" at (end, MiB
 * end), sized from the plot's extent. One legend entry per function name. */
/* How many calls of `name` the run made: the decorated functions' own count
 * (PROFILE_FUNC), which the FUNC brackets can fall short of (a process keeps at most
 * 10,000 of them); `drawn` when the file has none (memory_profiler's). */
static size_t gnuplot_calls_made(const struct dat_profile *profile, const char *name,
                                 size_t drawn)
{
    size_t made = 0;
    for (size_t p = 0; p < profile->profiled_count; p++)
        if (strcmp(profile->profiled[p].name, name) == 0)
            made += profile->profiled[p].call_count;
    return made > drawn ? made : drawn;
}

static void gnuplot_add_brackets(struct gnuplot_builder *builder, const struct dat_profile *profile)
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
        gnuplot_begin_plot(builder);
        gnuplot_append(&builder->plots, " with lines lw 2 lc rgb '%s'",
                       GNUPLOT_COLOURS(gnuplot_func_colours, colour));
        gnuplot_end_plot(builder, label);
        colour++;
    }
}

static void gnuplot_add_terminal(struct gnuplot_script *script, const struct gnuplot_options *options)
{
    switch (options->format) {
    case GNUPLOT_FORMAT_PNG:
        gnuplot_append(script, "set terminal pngcairo size 1260,540 noenhanced font 'sans,10'\n");
        break;
    case GNUPLOT_FORMAT_SVG:
        gnuplot_append(script, "set terminal svg size 1260,540 dynamic noenhanced font 'sans,10'\n");
        break;
    case GNUPLOT_FORMAT_PDF:
        gnuplot_append(script, "set terminal pdfcairo size 14in,6in noenhanced font 'sans,10'\n");
        break;
    case GNUPLOT_FORMAT_DUMB: {
        int columns = options->columns >= 40 && options->columns <= 1000 ? options->columns : 100;
        int lines = options->lines >= 15 && options->lines <= 1000 ? options->lines : 30;
        gnuplot_append(script, "set terminal dumb size %d,%d noenhanced\n", columns, lines);
        break;
    }
    }
}

char *gnuplot_build(const struct dat_profile *profiles, size_t count,
                    const struct gnuplot_options *options, FILE *data, const char *data_path,
                    struct gnuplot_profile_fits *fits, char *error, size_t error_size)
{
    struct gnuplot_builder builder = {
        .data = data, .data_path = data_path,
        .x_min = INFINITY, .x_max = -INFINITY, .y_min = INFINITY, .y_max = -INFINITY,
    };
    struct gnuplot_script *script = &builder.script;

    gnuplot_append(script, "# mprof plot: every string below is a quoted literal; the numbers "
                           "are in the data file\n");
    gnuplot_append(script, "set encoding utf8\n");
    gnuplot_add_terminal(script, options);
    gnuplot_append(script, "set termoption noenhanced\n");

    const char *title = options->title;
    if (title == NULL && count == 1)
        title = profiles[0].cmdline;
    if (title != NULL) {
        gnuplot_append(script, "set title ");
        gnuplot_append_string(script, title);
        gnuplot_append(script, " noenhanced\n");
    }
    gnuplot_append(script, "set xlabel 'time (in seconds)'\n");
    gnuplot_append(script, "set ylabel 'memory used (in MiB)'\n");
    /* In text, a grid and a legend inside the frame would bury the curves. */
    if (options->format == GNUPLOT_FORMAT_DUMB) {
        gnuplot_append(script, "set key outside below\n");
    } else {
        gnuplot_append(script, "set grid\n");
        gnuplot_append(script, "set key outside right center box opaque\n");
    }
    if (options->window)
        gnuplot_append(script, "set xrange [%.6f:%.6f]\n", options->window_min_s,
                       options->window_max_s);

    for (size_t n = 0; n < count; n++)
        gnuplot_add_profile(&builder, &profiles[n], n, count, options, fits);
    if (options->window) {
        builder.x_min = options->window_min_s;
        builder.x_max = options->window_max_s;
    }
    if (count == 1 && options->function_marks && profiles[0].func_count > 0)
        gnuplot_add_brackets(&builder, &profiles[0]);

    /* The peak marker: dashed red lines at the peak RSS as dat.h defines it (the
     * high-water mark where the file has one), at the time of the highest sample (one
     * profile only, as the original; with several the lines would say nothing). With
     * -M, the highest of the program's and each child's, and whose it was. */
    if (count == 1) {
        double peak_time, start = gnuplot_profile_start(&profiles[0]);
        double peak = dat_peak_mem_mib(&profiles[0], &peak_time);
        char whose[32] = "";
        for (size_t c = 0; c < profiles[0].child_count; c++) {
            double child_time;
            double child_peak = dat_child_peak_mem_mib(&profiles[0], &profiles[0].children[c],
                                                       &child_time);
            if (child_peak > peak) {
                peak = child_peak;
                peak_time = child_time;
                snprintf(whose, sizeof whose, " (child %d)", profiles[0].children[c].index);
            }
        }
        peak_time -= start;
        if (peak > builder.y_max)
            builder.y_max = peak;  /* a mark above every sample stays inside the frame */
        gnuplot_append(script, "set arrow 1 from first %.6f, graph 0 to first %.6f, graph 1 "
                               "nohead dt 2 lw 1 lc rgb '#ff0000' front\n", peak_time, peak_time);
        gnuplot_append(script, "set arrow 2 from graph 0, first %.6f to graph 1, first %.6f "
                               "nohead dt 2 lw 1 lc rgb '#ff0000' front\n", peak, peak);
        if (options->format == GNUPLOT_FORMAT_DUMB)
            gnuplot_append(script, "set label 1 'peak %.3f MiB%s' at graph 1, graph 1 right "
                                   "offset -1,-1 front\n", peak, whose);
        else if (peak_time > builder.x_min + 0.7 * (builder.x_max - builder.x_min))
            /* near the right edge: written leftwards, so it stays inside the frame */
            gnuplot_append(script, "set label 1 'peak %.3f MiB%s' at first %.6f, first %.6f "
                                   "right offset -1,0.7 tc rgb '#ff0000' front\n",
                           peak, whose, peak_time, peak);
        else
            gnuplot_append(script, "set label 1 'peak %.3f MiB%s' at first %.6f, first %.6f "
                                   "offset 1,0.7 tc rgb '#ff0000' front\n", peak, whose, peak_time,
                           peak);
    }

    /* A little headroom so that the peak line is not the frame. */
    if (builder.y_max > builder.y_min)
        gnuplot_append(script, "set yrange [%.6f:%.6f]\n",
                       builder.y_min - (builder.y_max - builder.y_min) * 0.05,
                       builder.y_max + (builder.y_max - builder.y_min) * 0.08);

    gnuplot_append(&builder.plots, "\n");
    gnuplot_append(script, "%s", builder.plots.text != NULL ? builder.plots.text : "");
    free(builder.plots.text);

    if (fflush(data) != 0 || ferror(data)) {
        snprintf(error, error_size, "%s: cannot write plot data: %s", data_path, strerror(errno));
        free(script->text);
        return NULL;
    }
    if (script->failed || builder.plots.failed) {
        snprintf(error, error_size, "plot script: out of memory");
        free(script->text);
        return NULL;
    }
    return script->text;
}
