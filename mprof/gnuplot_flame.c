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
 * and the name reaches the script only as a quoted literal.
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

/* Whether `name` ends in the dotted tail `tail` (the whole name, or after a '.'). */
static bool gnuplot_flame_ends_in(const char *name, const char *tail)
{
    size_t name_length = strlen(name), tail_length = strlen(tail);
    if (tail_length > name_length)
        return false;
    const char *end = name + name_length - tail_length;
    return strcmp(end, tail) == 0 && (end == name || end[-1] == '.');
}

const char *gnuplot_flame_short_name(const char *name, const char *const *names, size_t count)
{
    /* From the last component leftwards, the first tail no other name ends in. */
    const char *tail = name + strlen(name);
    while (tail > name) {
        do
            tail--;
        while (tail > name && tail[-1] != '.');
        bool shared = false;
        for (size_t i = 0; i < count && !shared; i++)
            shared = strcmp(names[i], name) != 0 && gnuplot_flame_ends_in(names[i], tail);
        if (!shared)
            return tail;
    }
    return name;
}

struct gnuplot_flame_bar {
    const struct dat_func *func;
    int level;
};

static int gnuplot_flame_bar_order(const void *left, const void *right)
{
    const struct gnuplot_flame_bar *a = left, *b = right;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    return (a->func->start_s > b->func->start_s) - (a->func->start_s < b->func->start_s);
}

/* The distinct names of the profile's calls, for the short labels; NULL when out of
 * memory. */
static const char **gnuplot_flame_names(const struct dat_profile *profile, size_t *count)
{
    const char **names = malloc((profile->func_count + 1) * sizeof *names);
    if (names == NULL)
        return NULL;
    size_t n = 0;
    for (size_t f = 0; f < profile->func_count; f++) {
        bool seen = false;
        for (size_t g = 0; g < n && !seen; g++)
            seen = strcmp(names[g], profile->funcs[f].name) == 0;
        if (!seen)
            names[n++] = profile->funcs[f].name;
    }
    *count = n;
    return names;
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

/* The label of one bar, when its short name fits in the bar's share of the frame. */
static void gnuplot_flame_label(struct gnuplot_builder *builder, int tag, const char *label,
                                double x0, double x1, int level, double bar_width,
                                double bar_height, double char_width, double line_height)
{
    size_t characters = 0;
    for (const char *c = label; *c != '\0'; c++)
        characters += ((unsigned char)*c & 0xc0) != 0x80;  /* UTF-8 characters */
    if (bar_height < line_height || (double)(characters + 1) * char_width > bar_width)
        return;
    gnuplot_script_append(&builder->script, "set label %d ", tag);
    gnuplot_script_append_string(&builder->script, label);
    gnuplot_script_append(&builder->script, " at first %.6f, second %.6f center front "
                                            "noenhanced\n", (x0 + x1) / 2, level + 0.5);
}

void gnuplot_flame_add(struct gnuplot_builder *builder, const struct dat_profile *profile)
{
    const struct gnuplot_options *options = builder->options;
    struct gnuplot_script *script = &builder->script;
    struct gnuplot_flame_bar *bars = malloc((profile->func_count + 1) * sizeof *bars);
    size_t name_count = 0;
    const char **names = gnuplot_flame_names(profile, &name_count);
    if (bars == NULL || names == NULL) {
        script->failed = true;   /* out of memory: said as such by gnuplot_build */
        free(bars);
        free(names);
        return;
    }
    int levels = 0;
    for (size_t f = 0; f < profile->func_count; f++) {
        int level = profile->funcs[f].stack_level > 0 ? profile->funcs[f].stack_level : 0;
        if (level > GNUPLOT_FLAME_LEVELS_MAX - 1)
            level = GNUPLOT_FLAME_LEVELS_MAX - 1;   /* a file's level is any int */
        bars[f].func = &profile->funcs[f];
        bars[f].level = level;
        if (level + 1 > levels)
            levels = level + 1;
    }
    qsort(bars, profile->func_count, sizeof *bars, gnuplot_flame_bar_order);
    gnuplot_script_append(script, "set y2range [0:%d]\nunset y2tics\n", levels + 1);

    double start = gnuplot_profile_start(profile);
    double x_min = builder->x_min, x_max = builder->x_max;
    double span = x_max - x_min > 0 ? x_max - x_min : 1.0;
    double frame_width, frame_height, char_width, line_height;
    gnuplot_flame_frame(builder, &frame_width, &frame_height, &char_width, &line_height);
    double bar_height = frame_height / (levels + 1);
    bool text = options->format == GNUPLOT_FORMAT_DUMB;
    int tag = GNUPLOT_FLAME_TAG_FIRST, labels = 0;
    size_t nth = 0;
    for (size_t b = 0; b < profile->func_count; b++) {
        const struct dat_func *func = bars[b].func;
        if (b > 0 && bars[b].level != bars[b - 1].level)
            nth = 0;   /* each level starts on red */
        double x0 = func->start_s - start, x1 = func->end_s - start;
        if (x1 < x0) {
            double swap = x0;
            x0 = x1;
            x1 = swap;
        }
        if (x1 < x_min || x0 > x_max)
            continue;   /* outside the window: not drawn, and its colour not taken */
        x0 = x0 < x_min ? x_min : x0;
        x1 = x1 > x_max ? x_max : x1;
        unsigned colour = gnuplot_flame_colour(bars[b].level, levels, nth++);
        gnuplot_script_append(script, "set object %d rect from first %.6f, second %d to "
                                      "first %.6f, second %d fc rgb '#%06x' ", tag, x0,
                              bars[b].level, x1, bars[b].level + 1, colour);
        double bar_width = (x1 - x0) / span * frame_width;
        if (text)
            gnuplot_script_append(script, "fs empty border lc rgb '#%06x' back\n", colour);
        else if (bar_width >= 4 * GNUPLOT_FLAME_HAIRLINE_PX)
            /* A hairline of white between two calls side by side, as the original's edges */
            gnuplot_script_append(script, "fs solid 1.0 border lc rgb '#ffffff' lw 0.5 back\n");
        else
            gnuplot_script_append(script, "fs solid 1.0 noborder back\n");  /* or it is all edge */
        if (labels < GNUPLOT_FLAME_LABELS_MAX) {
            const char *label = gnuplot_flame_short_name(func->name, names, name_count);
            int before = labels;
            size_t length = script->length;
            gnuplot_flame_label(builder, tag, label, x0, x1, bars[b].level,
                                bar_width, bar_height, char_width,
                                line_height);
            if (script->length != length)
                labels = before + 1;
        }
        tag++;
    }
    free(bars);
    free(names);
}
