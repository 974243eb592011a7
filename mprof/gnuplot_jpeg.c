/*
 * gnuplot_jpeg.c — a JPEG that is the PNG's picture (contract in gnuplot.h): gnuplot's
 * jpeg terminal, which draws with libgd (no dashes, its own line widths), is given the
 * finished PNG to show, pixel for pixel, instead of the plot to draw.
 *
 * Invariant: each PNG pixel lands on the JPEG pixel of the same row and column. The
 * frame is the whole page (margins at the screen's edges, no border, tics or key), and
 * the ranges were measured on gnuplot 5.4's jpeg terminal: x [0:W-1] puts column c at c;
 * y [1:H] puts row r at r (libgd counts rows from the top, the image from the bottom).
 * Every pixel then differs from the PNG's by what JPEG's quantisation changes alone
 * (at most 46 of 255 on a plot, 0.6 on average: tests/integration/plot.sh).
 */
#include <stdlib.h>

#include "gnuplot.h"
#include "gnuplot_script.h"

char *gnuplot_jpeg_script(const char *png_path)
{
    struct gnuplot_script script = { 0 };
    gnuplot_script_append(&script, "# mprof plot: the PNG below, re-encoded as a JPEG\n"
                                   "set terminal jpeg size %d,%d\n"
                                   "set lmargin at screen 0\nset rmargin at screen 1\n"
                                   "set tmargin at screen 1\nset bmargin at screen 0\n"
                                   "unset border\nunset tics\nunset key\n"
                                   "set xrange [0:%d]\nset yrange [1:%d]\nplot ",
                          GNUPLOT_IMAGE_WIDTH, GNUPLOT_IMAGE_HEIGHT, GNUPLOT_IMAGE_WIDTH - 1,
                          GNUPLOT_IMAGE_HEIGHT);
    gnuplot_script_append_string(&script, png_path);
    gnuplot_script_append(&script, " binary filetype=png with rgbimage notitle\n");
    if (script.failed) {
        free(script.text);
        return NULL;
    }
    return script.text;
}
