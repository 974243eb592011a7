/*
 * gnuplot_marks.c — the peaks a plot marks (contract in gnuplot_builder.h): peak RSS in
 * red across the frame, peak heap in the heap's colour, each labelled with what it is.
 *
 * Invariant: a mark stands only for a series that is drawn and a peak inside the window
 * (a line for a peak the window does not show would mark nothing on it), and the frame
 * holds every mark it draws.
 */
#include <stdio.h>

#include "gnuplot_builder.h"

static bool gnuplot_marks_in_window(const struct gnuplot_options *options, double time_s)
{
    return !options->window ||
           (time_s >= options->window_min_s && time_s <= options->window_max_s);
}

struct gnuplot_peaks gnuplot_marks_peaks(const struct gnuplot_builder *builder,
                                         const struct dat_profile *profile)
{
    const struct gnuplot_options *options = builder->options;
    struct gnuplot_peaks peaks = { .has_rss = false, .mem_label = dat_mem_label(profile) };
    double start = gnuplot_profile_start(profile);

    double time_s;
    peaks.rss_mib = dat_peak_mem_mib(profile, &time_s);
    peaks.rss_time_s = time_s;
    bool any_rss = profile->mem_count > 0;
    for (size_t c = 0; c < profile->child_count; c++) {
        const struct dat_child *child = &profile->children[c];
        double child_peak = dat_child_peak_mem_mib(profile, child, &time_s);
        if (child->mem_count > 0 && (!any_rss || child_peak > peaks.rss_mib)) {
            peaks.rss_mib = child_peak;
            peaks.rss_time_s = time_s;
            snprintf(peaks.rss_whose, sizeof peaks.rss_whose, " (child %d)", child->index);
        }
        any_rss = any_rss || child->mem_count > 0;
    }
    peaks.rss_time_s -= start;
    /* Under tracemalloc that peak is the heap's, which has its own label. */
    bool mem_is_heap = dat_backend(profile) == BACKEND_TRACEMALLOC &&
                       profile->heap_count > 0 && !options->hide_heap;
    peaks.has_rss = any_rss && !options->hide_rss && !mem_is_heap &&
                    gnuplot_marks_in_window(options, peaks.rss_time_s);

    uint64_t heap_bytes = dat_peak_heap_bytes(profile, &time_s);
    bool any_heap = profile->heap_count > 0;
    peaks.heap_time_s = time_s;
    for (size_t c = 0; c < profile->child_count; c++) {
        const struct dat_child *child = &profile->children[c];
        uint64_t child_peak = dat_child_peak_heap_bytes(profile, child, &time_s);
        if (child->heap_count > 0 && (!any_heap || child_peak > heap_bytes)) {
            heap_bytes = child_peak;
            peaks.heap_time_s = time_s;
            snprintf(peaks.heap_whose, sizeof peaks.heap_whose, " (child %d)", child->index);
            peaks.heap_rank = c + 1;
        }
        any_heap = any_heap || child->heap_count > 0;
    }
    peaks.heap_mib = (double)heap_bytes / DAT_BYTES_PER_MIB;
    peaks.heap_time_s -= start;
    peaks.has_heap = any_heap && !options->hide_heap &&
                     gnuplot_marks_in_window(options, peaks.heap_time_s);
    return peaks;
}

/* Label `tag` for the peak `mib` at `time_s`: above its line when `above`, else below;
 * near the right edge written leftwards, so it stays inside the frame. */
static void gnuplot_marks_label(struct gnuplot_builder *builder, int tag, const char *what,
                                double mib, const char *whose, double time_s, bool above,
                                const char *colour)
{
    bool leftwards = time_s > builder->x_min + 0.7 * (builder->x_max - builder->x_min);
    gnuplot_script_append(&builder->script,
                          "set label %d '%s %.3f MiB%s' at first %.6f, first %.6f %soffset "
                          "%d,%s tc rgb '%s' front\n",
                          tag, what, mib, whose, time_s, mib, leftwards ? "right " : "",
                          leftwards ? -1 : 1, above ? "0.7" : "-0.9", colour);
}

void gnuplot_marks_add(struct gnuplot_builder *builder, const struct gnuplot_peaks *peaks)
{
    struct gnuplot_script *script = &builder->script;
    /* The higher peak is labelled above its line, the lower below its own, so the two
     * labels never sit on each other. */
    bool rss_higher = !peaks->has_heap || peaks->rss_mib >= peaks->heap_mib;
    if (peaks->has_rss) {
        gnuplot_script_append(script, "set arrow 1 from first %.6f, graph 0 to first %.6f, "
                                      "graph 1 nohead dt 2 lw 1 lc rgb '#ff0000' front\n",
                              peaks->rss_time_s, peaks->rss_time_s);
        gnuplot_script_append(script, "set arrow 2 from graph 0, first %.6f to graph 1, "
                                      "first %.6f nohead dt 2 lw 1 lc rgb '#ff0000' front\n",
                              peaks->rss_mib, peaks->rss_mib);
        char what[32];
        snprintf(what, sizeof what, "%s peak", peaks->mem_label);
        gnuplot_marks_label(builder, 1, what, peaks->rss_mib, peaks->rss_whose,
                            peaks->rss_time_s, rss_higher, "#ff0000");
    }
    if (peaks->has_heap) {
        const char *colour = gnuplot_heap_colour(peaks->heap_rank);
        gnuplot_script_append(script, "set arrow 3 from graph 0, first %.6f to graph 1, "
                                      "first %.6f nohead dt 3 lw 1 lc rgb '%s' front\n",
                              peaks->heap_mib, peaks->heap_mib, colour);
        /* At the frame's left edge, where a run's curves are usually low: at the peak
         * itself the heap's own plateau and fall would run through it. */
        gnuplot_script_append(script, "set label 2 'heap peak %.3f MiB%s' at graph 0, first "
                                      "%.6f offset 1,%s tc rgb '%s' front\n",
                              peaks->heap_mib, peaks->heap_whose, peaks->heap_mib,
                              !rss_higher || !peaks->has_rss ? "0.7" : "-0.9", colour);
    }
}
