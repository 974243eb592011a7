/*
 * gnuplot_text.c — what the text plot (gnuplot's dumb terminal, for terminals and CI
 * logs) draws differently (contract in gnuplot_builder.h).
 *
 * In characters, a line across the frame is drawn on the cells of the border, the title
 * and any label it crosses; so the text plot draws no arrow and no label inside the
 * frame: its peak lines are data lines that end at the peak, and what they are is said
 * in the legend below. The y unit is written horizontally above the axis (the dumb
 * terminal cannot turn text, and beside the axis it would cover a tic label).
 */
#include <stdio.h>

#include "gnuplot_builder.h"

/* The size used when neither the terminal nor the environment says, and the sizes a
 * text plot can be drawn in at all. */
#define GNUPLOT_TEXT_COLUMNS 100
#define GNUPLOT_TEXT_LINES 30
#define GNUPLOT_TEXT_COLUMNS_MIN 40
#define GNUPLOT_TEXT_LINES_MIN 15
#define GNUPLOT_TEXT_SIZE_MAX 1000

void gnuplot_text_settings(struct gnuplot_builder *builder)
{
    const struct gnuplot_options *options = builder->options;
    int columns = options->columns >= GNUPLOT_TEXT_COLUMNS_MIN &&
                  options->columns <= GNUPLOT_TEXT_SIZE_MAX ? options->columns
                                                            : GNUPLOT_TEXT_COLUMNS;
    int lines = options->lines >= GNUPLOT_TEXT_LINES_MIN && options->lines <= GNUPLOT_TEXT_SIZE_MAX
                ? options->lines : GNUPLOT_TEXT_LINES;
    gnuplot_script_append(&builder->script, "set terminal dumb size %d,%d noenhanced\n",
                          columns, lines);
}

void gnuplot_text_add_peaks(struct gnuplot_builder *builder, const struct gnuplot_peaks *peaks)
{
    /* From the y axis across to the peak (and for RSS down to the bottom of what is
     * drawn): the lines point at the peak and cover nothing beyond it. */
    double bottom = builder->y_min, left = builder->x_min;
    char label[96];
    if (peaks->has_rss) {
        fprintf(builder->data, "%.6f %.6f\n%.6f %.6f\n%.6f %.6f\n", left, peaks->rss_mib,
                peaks->rss_time_s, peaks->rss_mib, peaks->rss_time_s, bottom);
        snprintf(label, sizeof label, "%s peak %.3f MiB%s at %.3f s", peaks->mem_label,
                 peaks->rss_mib,
                 peaks->rss_whose, peaks->rss_time_s);
        gnuplot_builder_begin_plot(builder);
        gnuplot_script_append(&builder->plots, " with lines dt 2 lc rgb '#ff0000'");
        gnuplot_builder_end_plot(builder, label);
    }
    if (peaks->has_heap) {
        fprintf(builder->data, "%.6f %.6f\n%.6f %.6f\n", left, peaks->heap_mib,
                peaks->heap_time_s, peaks->heap_mib);
        snprintf(label, sizeof label, "heap peak %.3f MiB%s at %.3f s", peaks->heap_mib,
                 peaks->heap_whose, peaks->heap_time_s);
        gnuplot_builder_begin_plot(builder);
        gnuplot_script_append(&builder->plots, " with lines dt 3 lc rgb '%s'",
                              gnuplot_heap_colour(peaks->heap_rank));
        gnuplot_builder_end_plot(builder, label);
    }
}
