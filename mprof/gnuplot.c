/*
 * gnuplot.c — plot scripts for gnuplot (contract in gnuplot.h): the settings of a plot
 * and the order it is built in; the curves, marks and text plot are in the files that
 * gnuplot_builder.h lists, and gnuplot_run.c runs the result.
 *
 * Invariant: the only text from outside that reaches a script goes through
 * gnuplot_quote(); everything else in the script is our own fixed words and numbers we
 * formatted from doubles (finite: the .dat reader refuses nan and inf). The data itself
 * lives in a separate file gnuplot reads as numbers, never as commands.
 *
 * PNG, SVG, PDF, EPS and JPEG are one picture: the same page (1260 x 540 px; a PDF or
 * EPS page of 13.125 x 5.625 in, which is that at 96 pixels per inch), and text and
 * lines of the same size on it (EPS from the PDF's cairo renderer, JPEG re-encoded from
 * the PNG). The terminals do not agree on what a point is (pdfcairo halves fonts and
 * lines, svg sets text smaller than pngcairo), so the scales below were measured on
 * gnuplot 5.4: the title and the x label take the same pixels (to 2 px) in each, and a
 * 3-wide line the same rows, rendered at 96 per inch (pdftoppm, rsvg-convert).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot_builder.h"

static void gnuplot_add_terminal(struct gnuplot_builder *builder)
{
    struct gnuplot_script *script = &builder->script;
    switch (builder->options->format) {
    case GNUPLOT_FORMAT_PNG:
    case GNUPLOT_FORMAT_JPEG:  /* drawn as the PNG, then re-encoded */
        gnuplot_script_append(script, "set terminal pngcairo size %d,%d noenhanced "
                                      "font 'sans,10'\n", GNUPLOT_IMAGE_WIDTH,
                              GNUPLOT_IMAGE_HEIGHT);
        break;
    case GNUPLOT_FORMAT_SVG:
        gnuplot_script_append(script, "set terminal svg size %d,%d dynamic noenhanced "
                                      "font 'sans,10' fontscale 1.3\n", GNUPLOT_IMAGE_WIDTH,
                              GNUPLOT_IMAGE_HEIGHT);
        break;
    case GNUPLOT_FORMAT_PDF:
    case GNUPLOT_FORMAT_EPS:
        /* The same cairo renderer draws both pages, so the same scales hold. */
        gnuplot_script_append(script, "set terminal %s size %.3fin,%.3fin noenhanced "
                                      "font 'sans,10' fontscale 0.72 linewidth 1.5\n",
                              builder->options->format == GNUPLOT_FORMAT_PDF ? "pdfcairo"
                                                                               : "epscairo",
                              GNUPLOT_IMAGE_WIDTH / 96.0, GNUPLOT_IMAGE_HEIGHT / 96.0);
        break;
    case GNUPLOT_FORMAT_DUMB:
        gnuplot_text_settings(builder);
        break;
    }
}

/* The axes' words and the legend's place. The legend goes below the frame, in rows,
 * so the curves keep the whole width; its rows are spaced so that the descenders of the
 * last one (underscores) are inside the picture. */
static void gnuplot_add_axes(struct gnuplot_builder *builder, const struct dat_profile *profiles,
                             size_t count)
{
    struct gnuplot_script *script = &builder->script;
    const struct gnuplot_options *options = builder->options;
    if (count == 1) {
        char start[96];
        gnuplot_series_start_label(gnuplot_profile_start(&profiles[0]), start, sizeof start);
        gnuplot_script_append(script, "set xlabel 'time (in seconds) from %s'\n", start);
    } else {
        gnuplot_script_append(script, "set xlabel 'time (in seconds)'\n");
    }
    if (options->format == GNUPLOT_FORMAT_DUMB) {
        gnuplot_script_append(script, "set label 10 'MiB' at graph 0, graph 1 right "
                                      "offset 0,1\n");
        gnuplot_script_append(script, "set key outside below width 2\n");
    } else {
        gnuplot_script_append(script, "set ylabel 'memory used (in MiB)'\n");
        gnuplot_script_append(script, "set grid lt 1 lw 0.5 lc rgb '#dcdcdc'\n");
        gnuplot_script_append(script, "set key outside below center horizontal "
                                      "spacing 1.4 samplen 3 height 0.6\n");
    }
    if (options->window)
        gnuplot_script_append(script, "set xrange [%.6f:%.6f]\n", options->window_min_s,
                              options->window_max_s);
    else
        gnuplot_script_append(script, "set xrange [0:*]\n");  /* time starts at 0 */
    if (options->log_scale)
        gnuplot_script_append(script, "set logscale y 10\n");
}

/* The y range: what is drawn, with room for the labels above the highest line. */
static void gnuplot_add_yrange(struct gnuplot_builder *builder)
{
    double low = builder->y_min, high = builder->y_max;
    if (builder->options->log_scale) {
        double floor_mib = isfinite(builder->y_min_positive) ? builder->y_min_positive / 1.5
                                                             : GNUPLOT_LOG_FLOOR_MIB;
        if (floor_mib < GNUPLOT_LOG_FLOOR_MIB)
            floor_mib = GNUPLOT_LOG_FLOOR_MIB;
        double top = high > floor_mib ? high * 1.6 : floor_mib * 16;
        gnuplot_script_append(&builder->script, "set yrange [%.9f:%.6f]\n", floor_mib, top);
    } else if (high > low) {
        /* A little headroom so that the peak line is not the frame. */
        gnuplot_script_append(&builder->script, "set yrange [%.6f:%.6f]\n",
                              low - (high - low) * 0.05, high + (high - low) * 0.08);
    } else if (isfinite(low)) {
        /* A flat line: gnuplot cannot autoscale it when no sample is inside a window. */
        double room = fabs(low) * 0.05 > 1.0 ? fabs(low) * 0.05 : 1.0;
        gnuplot_script_append(&builder->script, "set yrange [%.6f:%.6f]\n", low - room,
                              high + room);
    }
}

/* The error for a plot with nothing in it: an empty window, or every series hidden. */
static void gnuplot_nothing_drawn(const struct gnuplot_options *options,
                                  const struct dat_profile *profiles, size_t count,
                                  char *error, size_t error_size)
{
    if (!options->window) {
        snprintf(error, error_size, "nothing to plot: %s has no %s series to show",
                 profiles[0].path, options->hide_rss ? "heap" : "RSS");
        return;
    }
    double last_s = 0;
    for (size_t n = 0; n < count; n++) {
        double start = gnuplot_profile_start(&profiles[n]);
        for (size_t i = 0; i < profiles[n].mem_count; i++)
            if (profiles[n].mem[i].time_s - start > last_s)
                last_s = profiles[n].mem[i].time_s - start;
    }
    snprintf(error, error_size, "-w %g,%g: no samples between %g s and %g s (the profile "
             "runs from 0 to %.3f s)", options->window_min_s, options->window_max_s,
             options->window_min_s, options->window_max_s, last_s);
}

char *gnuplot_build(const struct dat_profile *profiles, size_t count,
                    const struct gnuplot_options *options, FILE *data, const char *data_path,
                    struct gnuplot_profile_fits *fits, char *error, size_t error_size)
{
    struct gnuplot_builder builder = {
        .options = options, .data = data, .data_path = data_path,
        .x_min = INFINITY, .x_max = -INFINITY, .y_min = INFINITY, .y_max = -INFINITY,
        .y_min_positive = INFINITY,
    };
    struct gnuplot_script *script = &builder.script;

    gnuplot_script_append(script, "# mprof plot: every string below is a quoted literal; "
                                  "the numbers are in the data file\n");
    gnuplot_script_append(script, "set encoding utf8\n");
    gnuplot_add_terminal(&builder);
    gnuplot_script_append(script, "set termoption noenhanced\n");

    const char *title = options->title;
    if (title == NULL && count == 1)
        title = profiles[0].cmdline;
    if (title != NULL) {
        gnuplot_script_append(script, "set title ");
        gnuplot_script_append_string(script, title);
        gnuplot_script_append(script, " noenhanced\n");
    }
    gnuplot_add_axes(&builder, profiles, count);

    for (size_t n = 0; n < count; n++)
        gnuplot_series_add_profile(&builder, &profiles[n], n, count, fits);
    if (!(builder.y_max >= builder.y_min)) {
        gnuplot_nothing_drawn(options, profiles, count, error, error_size);
        free(script->text);
        free(builder.plots.text);
        return NULL;
    }
    /* The frame's time span, as the x range above sets it. */
    builder.x_min = options->window ? options->window_min_s : 0.0;
    if (options->window)
        builder.x_max = options->window_max_s;
    if (count == 1 && options->function_marks && profiles[0].func_count > 0) {
        if (options->flame)
            gnuplot_flame_add(&builder, &profiles[0]);
        else
            gnuplot_series_add_brackets(&builder, &profiles[0]);
    }

    /* The peaks of one profile (as the original; with several the lines would say
     * nothing), inside the frame. */
    if (count == 1) {
        struct gnuplot_peaks peaks = gnuplot_marks_peaks(&builder, &profiles[0]);
        if (options->format == GNUPLOT_FORMAT_DUMB)
            gnuplot_text_add_peaks(&builder, &peaks);
        else
            gnuplot_marks_add(&builder, &peaks);
        if (peaks.has_rss && peaks.rss_mib > builder.y_max)
            builder.y_max = peaks.rss_mib;  /* a mark above every sample stays inside */
        if (peaks.has_heap && peaks.heap_mib > builder.y_max)
            builder.y_max = peaks.heap_mib;
    }
    gnuplot_add_yrange(&builder);

    gnuplot_script_append(&builder.plots, "\n");
    gnuplot_script_append(script, "%s", builder.plots.text != NULL ? builder.plots.text : "");
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
