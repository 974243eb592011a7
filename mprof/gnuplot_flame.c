/*
 * gnuplot_flame.c — `mprof plot --flame` (contract in gnuplot_builder.h): each call of an
 * @profile function (a FUNC line) as a bar from its start to its end, at the height of
 * its nesting level, under the memory lines, as memory_profiler 0.61 draws its flame
 * mode: level L fills L..L+1 of a second axis that runs from 0 to levels + 1, so the
 * bars stack up from the bottom and the top of the frame keeps the curves clear; each
 * level's bars alternate between red and orange, paler the deeper the level.
 *
 * Where the original names a bar only under the mouse, a picture names it inside the
 * bar, when the name fits (its shortest unambiguous dotted tail, as the original's
 * labels). Invariant: a bar and its label are clipped to the frame (the window of -w),
 * and the name reaches the script only as a quoted literal; a bar's colour is its turn
 * among all its level's calls in time order, so the window changes no colour.
 *
 * The bars are gnuplot rectangles behind the curves, filled with the colour the
 * original's half-transparent fill shows on white, so every terminal (EPS and JPEG too)
 * draws the same colours; the text plot, which fills nothing, draws their outlines.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot_builder.h"

/* Names and labels past these are left out: beyond them bars are too thin to read. */
#define GNUPLOT_FLAME_LABELS_MAX 400
#define GNUPLOT_FLAME_TAG_FIRST 1000   /* object and label tags of the bars */
/* Deeper calls share the last level: ten times CPython's default recursion limit, and
 * far past a level a picture can show (levels + 1 must not overflow either). */
#define GNUPLOT_FLAME_LEVELS_MAX 10000

/* A picture's frame, for whether a label fits in a bar (pngcairo's sans 10: 7 px a
 * character on average, 14 px a line). */
#define GNUPLOT_FLAME_FRAME_PX (GNUPLOT_IMAGE_WIDTH - 90)
#define GNUPLOT_FLAME_FRAME_HEIGHT_PX (GNUPLOT_IMAGE_HEIGHT - 130)
#define GNUPLOT_FLAME_CHAR_PX 7.0
#define GNUPLOT_FLAME_LINE_PX 16.0
#define GNUPLOT_FLAME_HAIRLINE_PX 1.0

unsigned gnuplot_flame_colour(int level, int levels, size_t nth)
{
    /* hsv(hue, 1 - 0.75 level / levels, 1), hue 0 (red) or 0.1 (orange) by turns, then
     * half of it over white, as the original's alpha 0.5 shows. */
    double saturation = levels > 0 ? 1.0 - 0.75 * level / levels : 1.0;
    double hue_sixths = nth % 2 == 0 ? 0.0 : 0.6;   /* hue 0.1 is 0.6 of the first sixth */
    /* In the first sixth of the hue circle: red full, blue at 1 - s, green rising. */
    double rgb[3] = { 1.0, 1.0 - saturation * (1.0 - hue_sixths), 1.0 - saturation };
    unsigned packed = 0;
    for (int i = 0; i < 3; i++) {
        double over_white = (rgb[i] + 1.0) / 2.0;
        packed = packed << 8 | (unsigned)lround(over_white * 255.0);
    }
    return packed;
}

/* One call's bar: where and how it is drawn, worked out in time order (each level's
 * colours take turns in it) before any is written. */
struct gnuplot_flame_bar {
    const struct dat_func *func;
    size_t index;        /* in the profile's funcs, for its short name */
    int level;
    bool drawn;          /* within the window */
    bool roomy;          /* wide enough for a label of one character */
    int tag;
    double x0, x1, width;
    unsigned colour;
    const char *label;   /* NULL: none fits */
};

static int gnuplot_flame_bar_order(const void *left, const void *right)
{
    const struct gnuplot_flame_bar *a = left, *b = right;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    return (a->func->start_s > b->func->start_s) - (a->func->start_s < b->func->start_s);
}

/* The frame's size in the units a label is measured in: pixels, or characters and
 * lines of the text plot. */
static void gnuplot_flame_frame(const struct gnuplot_builder *builder, double *width,
                                double *height, double *char_width, double *line_height)
{
    const struct gnuplot_options *options = builder->options;
    if (options->format == GNUPLOT_FORMAT_DUMB) {
        *width = (options->columns > 0 ? options->columns : 100) - 14;
        *height = (options->lines > 0 ? options->lines : 30) - 8;
        *char_width = 1;
        *line_height = 2;   /* a line of text between two outlines */
    } else {
        *width = GNUPLOT_FLAME_FRAME_PX;
        *height = GNUPLOT_FLAME_FRAME_HEIGHT_PX;
        *char_width = GNUPLOT_FLAME_CHAR_PX;
        *line_height = GNUPLOT_FLAME_LINE_PX;
    }
}

/* Whether `label` fits in a bar `bar_width` wide and `bar_height` high. */
static bool gnuplot_flame_label_fits(const char *label, double bar_width, double bar_height,
                                     double char_width, double line_height)
{
    size_t characters = 0;
    for (const char *c = label; *c != '\0'; c++)
        characters += ((unsigned char)*c & 0xc0) != 0x80;  /* UTF-8 characters */
    return bar_height >= line_height && (double)(characters + 1) * char_width <= bar_width;
}

/* The short names of the profile's calls, by index in its funcs, or NULL when out of
 * memory. */
static const char **gnuplot_flame_labels(const struct dat_profile *profile)
{
    const char **names = malloc((profile->func_count + 1) * sizeof *names);
    const char **short_names = malloc((profile->func_count + 1) * sizeof *short_names);
    if (names != NULL && short_names != NULL) {
        for (size_t f = 0; f < profile->func_count; f++)
            names[f] = profile->funcs[f].name;
        if (gnuplot_flame_short_names(names, profile->func_count, short_names) == 0) {
            free(names);
            return short_names;
        }
    }
    free(names);
    free(short_names);
    return NULL;
}

/* Each bar's place, colour and label, in time order by level. Returns 0, or -1 when out
 * of memory. */
static int gnuplot_flame_lay_out(const struct gnuplot_builder *builder,
                                 const struct dat_profile *profile,
                                 struct gnuplot_flame_bar *bars, int levels)
{
    double start = gnuplot_profile_start(profile);
    double x_min = builder->x_min, x_max = builder->x_max;
    double span = x_max - x_min > 0 ? x_max - x_min : 1.0;
    double frame_width, frame_height, char_width, line_height;
    gnuplot_flame_frame(builder, &frame_width, &frame_height, &char_width, &line_height);
    double bar_height = frame_height / (levels + 1);
    bool room = bar_height >= line_height;   /* a level lower than a line holds no label */
    size_t nth = 0;
    int tag = GNUPLOT_FLAME_TAG_FIRST;
    for (size_t b = 0; b < profile->func_count; b++) {
        struct gnuplot_flame_bar *bar = &bars[b];
        if (b > 0 && bar->level != bars[b - 1].level)
            nth = 0;   /* each level starts on red */
        /* Every call takes its turn, drawn or not: its colour is the same in any window. */
        bar->colour = gnuplot_flame_colour(bar->level, levels, nth++);
        /* A call written end first covers the same span, as the original fills it. */
        double x0 = bar->func->start_s - start, x1 = bar->func->end_s - start;
        if (x1 < x0) {
            double swap = x0;
            x0 = x1;
            x1 = swap;
        }
        bar->drawn = !(x1 < x_min || x0 > x_max);
        bar->label = NULL;
        if (!bar->drawn)
            continue;   /* outside the window */
        bar->x0 = x0 < x_min ? x_min : x0;
        bar->x1 = x1 > x_max ? x_max : x1;
        bar->width = (bar->x1 - bar->x0) / span * frame_width;
        bar->tag = tag++;
        /* The narrowest label, one character and its margin: a bar narrower holds none,
         * and needs no name worked out. */
        bar->roomy = room && bar->width >= 2 * char_width;
    }
    const char **short_names = NULL;
    int labels = 0;
    for (size_t b = 0; b < profile->func_count && labels < GNUPLOT_FLAME_LABELS_MAX; b++) {
        if (!bars[b].roomy)
            continue;
        /* Worked out once, and only when some bar has room for a label. */
        if (short_names == NULL && (short_names = gnuplot_flame_labels(profile)) == NULL)
            return -1;
        const char *label = short_names[bars[b].index];
        if (gnuplot_flame_label_fits(label, bars[b].width, bar_height, char_width,
                                     line_height)) {
            bars[b].label = label;
            labels++;
        }
    }
    free(short_names);   /* the labels point into the profile's names, not into this */
    return 0;
}

void gnuplot_flame_add(struct gnuplot_builder *builder, const struct dat_profile *profile)
{
    const struct gnuplot_options *options = builder->options;
    struct gnuplot_script *script = &builder->script;
    struct gnuplot_flame_bar *bars = malloc((profile->func_count + 1) * sizeof *bars);
    if (bars == NULL) {
        script->failed = true;   /* out of memory: said as such by gnuplot_build */
        return;
    }
    int levels = 0;
    for (size_t f = 0; f < profile->func_count; f++) {
        int level = profile->funcs[f].stack_level > 0 ? profile->funcs[f].stack_level : 0;
        if (level > GNUPLOT_FLAME_LEVELS_MAX - 1)
            level = GNUPLOT_FLAME_LEVELS_MAX - 1;   /* a file's level is any int */
        bars[f] = (struct gnuplot_flame_bar){ .func = &profile->funcs[f], .index = f,
                                              .level = level };
        if (level + 1 > levels)
            levels = level + 1;
    }
    qsort(bars, profile->func_count, sizeof *bars, gnuplot_flame_bar_order);
    if (gnuplot_flame_lay_out(builder, profile, bars, levels) < 0) {
        script->failed = true;
        free(bars);
        return;
    }
    gnuplot_script_append(script, "set y2range [0:%d]\nunset y2tics\n", levels + 1);
    bool text = options->format == GNUPLOT_FORMAT_DUMB;
    /* Last tag first: gnuplot looks a tag up from the head of its list of objects, so
     * each is put at the head at once (in ascending order, 50,000 bars took seconds). */
    for (size_t b = profile->func_count; b-- > 0;) {
        const struct gnuplot_flame_bar *bar = &bars[b];
        if (!bar->drawn)
            continue;
        gnuplot_script_append(script, "set object %d rect from first %.6f, second %d to "
                                      "first %.6f, second %d fc rgb '#%06x' ", bar->tag,
                              bar->x0, bar->level, bar->x1, bar->level + 1, bar->colour);
        if (text)
            gnuplot_script_append(script, "fs empty border lc rgb '#%06x' back\n",
                                  bar->colour);
        else if (bar->width >= 4 * GNUPLOT_FLAME_HAIRLINE_PX)
            /* A hairline of white between two calls side by side, as the original's edges */
            gnuplot_script_append(script, "fs solid 1.0 border lc rgb '#ffffff' lw 0.5 back\n");
        else
            gnuplot_script_append(script, "fs solid 1.0 noborder back\n");  /* or it is all edge */
        if (bar->label != NULL) {
            gnuplot_script_append(script, "set label %d ", bar->tag);
            gnuplot_script_append_string(script, bar->label);
            gnuplot_script_append(script, " at first %.6f, second %.6f center front "
                                          "noenhanced\n", (bar->x0 + bar->x1) / 2,
                                  bar->level + 0.5);
        }
    }
    free(bars);
}
