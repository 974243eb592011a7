/*
 * cmd_plot.c — `mprof plot`: draw one or more .dat files with gnuplot.
 *
 * Invariant: nothing the user has is replaced by a broken file. gnuplot writes the image
 * to its stdout, which is a temporary file beside the destination; only when gnuplot
 * succeeded is it renamed over the destination. The script itself never names the output
 * (see gnuplot.h for why data is never code).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dat.h"
#include "gnuplot.h"
#include "plot_cleanup.h"
#include "profiles.h"
#include "term_size.h"

static const char plot_usage[] =
    "usage: mprof plot [options] [FILE|INDEX ...]\n"
    "Plot memory over time from .dat files (default: the newest mprofile_*.dat here):\n"
    "RSS (\"memory used\") and the live heap, children, function brackets, the peak.\n"
    "  -o, --output FILE      write FILE; .png, .svg, .pdf, .jpg (.jpeg) or .eps picks\n"
    "                         the format (default: mprofile_<stamp>.png beside the\n"
    "                         last .dat)\n"
    "      --terminal         draw a text plot on stdout instead, as big as the terminal\n"
    "                         (else $COLUMNS x $LINES, else 100 x 30)\n"
    "  -t, --title TITLE      the plot's title (default: the profiled command line)\n"
    "  -n, --no-function-ts   do not draw function brackets (nor --flame's bars)\n"
    "  -f, --flame            draw each call of an @profile function as a bar at its\n"
    "                         nesting level, under the memory lines, instead of brackets\n"
    "  -s, --slope            draw and print linear fits (MiB/s)\n"
    "  -w, --window XMIN,XMAX only the time between XMIN and XMAX seconds (y fits it)\n"
    "      --log              y on a log scale, for a heap far above or below RSS\n"
    "      --no-heap          do not draw the heap series (nor its peak)\n"
    "      --no-rss           do not draw the RSS series (nor its peak)\n"
    "      --backend NAME     accepted for memory_profiler's matplotlib backend; gnuplot\n"
    "                         draws, so it changes nothing\n"
    "  -h, --help             show this help\n"
    "INDEX is a number as `mprof list` shows it; -1 is the newest.\n";

/* "a,b": two finite numbers, a < b, at least 10 microseconds apart. */
static int plot_parse_window(const char *text, double *min_s, double *max_s)
{
    char *end;
    errno = 0;
    double min = strtod(text, &end);
    if (end == text || *end != ',' || errno == ERANGE || !isfinite(min))
        return -1;
    const char *second = end + 1;
    double max = strtod(second, &end);
    /* Under 10 us wide is no window a picture can show (nor the script's 6 decimals). */
    if (end == second || *end != '\0' || errno == ERANGE || !isfinite(max) || !(min < max) ||
        max - min < 1e-5)
        return -1;
    *min_s = min;
    *max_s = max;
    return 0;
}

/* The formats -o knows, by extension (in any case): the one list that both the choice
 * and the error for an unknown extension read. */
static const struct {
    const char *extension;
    enum gnuplot_format format;
} plot_formats[] = {
    { ".png", GNUPLOT_FORMAT_PNG },
    { ".svg", GNUPLOT_FORMAT_SVG },
    { ".pdf", GNUPLOT_FORMAT_PDF },
    { ".jpg", GNUPLOT_FORMAT_JPEG },
    { ".jpeg", GNUPLOT_FORMAT_JPEG },
    { ".eps", GNUPLOT_FORMAT_EPS },
};
#define PLOT_FORMAT_COUNT (sizeof plot_formats / sizeof plot_formats[0])

static int plot_format_of(const char *path, enum gnuplot_format *format)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash != NULL ? slash + 1 : path, '.');
    if (dot == NULL)
        return -1;
    for (size_t i = 0; i < PLOT_FORMAT_COUNT; i++) {
        if (strcasecmp(dot, plot_formats[i].extension) == 0) {
            *format = plot_formats[i].format;
            return 0;
        }
    }
    return -1;
}

/* "use .png, .svg, .pdf, .jpg, .jpeg or .eps" */
static void plot_unknown_format(const char *output)
{
    const char *slash = strrchr(output, '/');
    const char *dot = strrchr(slash != NULL ? slash + 1 : output, '.');
    char known[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < PLOT_FORMAT_COUNT && used < sizeof known; i++) {
        const char *joint = i == 0 ? "" : i + 1 == PLOT_FORMAT_COUNT ? " or " : ", ";
        int wrote = snprintf(known + used, sizeof known - used, "%s%s", joint,
                             plot_formats[i].extension);
        if (wrote < 0)
            break;
        used += (size_t)wrote;
    }
    mprof_error("%s: unknown output format '%s' (use %s)", output,
                dot != NULL ? dot : "no extension", known);
}

/* "dir/x.dat" -> "dir/x.png": the default output beside the profile. */
static char *plot_default_output(const char *dat_path)
{
    size_t length = strlen(dat_path);
    if (length >= 4 && strcmp(dat_path + length - 4, ".dat") == 0)
        length -= 4;
    char *output = malloc(length + sizeof ".png");
    if (output == NULL)
        return NULL;
    memcpy(output, dat_path, length);
    memcpy(output + length, ".png", sizeof ".png");
    return output;
}

static bool plot_is_plain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '/' || c == '.' || c == '_' || c == '-';
}

/* Where temporary data goes: $TMPDIR when it is a plain path, else /tmp. Plain, because
 * the path is written into the script (quoted) and must reach gnuplot unchanged. */
static const char *plot_temp_dir(void)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] != '/' || strlen(dir) > 200)
        return "/tmp";
    for (const char *c = dir; *c != '\0'; c++)
        if (!plot_is_plain_char(*c))
            return "/tmp";
    return dir;
}

/* A temporary file in the destination's directory, so that the final rename is atomic
 * and an unwritable destination is found before gnuplot runs. */
static int plot_open_output(const char *output, char **temp_path)
{
    struct stat info;
    if (stat(output, &info) == 0) {
        if (S_ISDIR(info.st_mode)) {
            mprof_error("%s: is a directory", output);
            return -1;
        }
        if (access(output, W_OK) != 0) {
            mprof_error("%s: %s", output, strerror(errno));
            return -1;
        }
    }
    const char *slash = strrchr(output, '/');
    size_t dir_length = slash != NULL ? (size_t)(slash - output) + 1 : 0;
    static const char pattern[] = ".mprof-plot-XXXXXX";
    char *path = malloc(dir_length + sizeof pattern);
    if (path == NULL) {
        mprof_error("out of memory");
        return -1;
    }
    memcpy(path, output, dir_length);
    memcpy(path + dir_length, pattern, sizeof pattern);
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        mprof_error("%s: cannot write there: %s", output, strerror(errno));
        free(path);
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        mprof_error("%s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        free(path);
        return -1;
    }
    *temp_path = path;
    return fd;
}

/* A JPEG: the PNG drawn into a temporary file first, then re-encoded into `output_fd`
 * (gnuplot_jpeg_script). 0, or -1 after saying why. */
static int plot_run_jpeg(const char *script, int output_fd)
{
    char png_path[256], error[DAT_ERROR_MAX];
    snprintf(png_path, sizeof png_path, "%s/mprof-plot-png-XXXXXX", plot_temp_dir());
    int png_fd = mkostemp(png_path, O_CLOEXEC);
    if (png_fd < 0) {
        mprof_error("%s: %s", png_path, strerror(errno));
        return -1;
    }
    if (plot_cleanup_add(png_path) != 0) {
        mprof_error("%s: too many temporary files", png_path);
        close(png_fd);
        unlink(png_path);
        return -1;
    }
    int status = gnuplot_run(script, png_fd, error, sizeof error);
    if (close(png_fd) != 0 && status == 0) {
        snprintf(error, sizeof error, "%s: %s", png_path, strerror(errno));
        status = -1;
    }
    char *jpeg_script = NULL;
    if (status == 0) {
        jpeg_script = gnuplot_jpeg_script(png_path);
        if (jpeg_script == NULL) {
            snprintf(error, sizeof error, "out of memory");
            status = -1;
        }
    }
    if (status == 0)
        status = gnuplot_run(jpeg_script, output_fd, error, sizeof error);
    if (status < 0)
        mprof_error("%s", error);
    free(jpeg_script);
    unlink(png_path);
    plot_cleanup_forget(png_path);
    return status;
}

static void plot_print_fits(const struct dat_profile *profiles,
                            const struct gnuplot_profile_fits *fits, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        printf("%s: slope", profiles[i].path);
        if (fits[i].mem.valid)
            printf(" %.5f MiB/s (%s)", fits[i].mem.slope_mib_per_s,
                   dat_mem_label(&profiles[i]));
        else
            printf(" n/a (%s: too few samples)", dat_mem_label(&profiles[i]));
        if (fits[i].heap.valid)
            printf(", %.5f MiB/s (heap)", fits[i].heap.slope_mib_per_s);
        putchar('\n');
    }
}

int cmd_plot(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "output", required_argument, NULL, 'o' },
        { "title", required_argument, NULL, 't' },
        { "no-function-ts", no_argument, NULL, 'n' },
        { "slope", no_argument, NULL, 's' },
        { "window", required_argument, NULL, 'w' },
        { "terminal", no_argument, NULL, 'T' },
        { "log", no_argument, NULL, 'L' },
        { "no-heap", no_argument, NULL, 'H' },
        { "no-rss", no_argument, NULL, 'R' },
        { "flame", no_argument, NULL, 'f' },
        { "backend", required_argument, NULL, 'B' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct gnuplot_options options = { .function_marks = true };
    const char *output = NULL;
    bool terminal = false;

    int safe_argc;
    char **safe_argv = profiles_protect_negative_indices(argc, argv, ":o:t:nsw:hf", long_options, &safe_argc);
    if (safe_argv == NULL) {
        mprof_error("out of memory");
        return 1;
    }
    int option;
    optind = 0;
    opterr = 0;
    while ((option = getopt_long(safe_argc, safe_argv, ":o:t:nsw:hf", long_options, NULL)) != -1) {
        switch (option) {
        case 'o': output = optarg; break;
        case 't': options.title = optarg; break;
        case 'n': options.function_marks = false; break;
        case 's': options.slope = true; break;
        case 'T': terminal = true; break;
        case 'L': options.log_scale = true; break;
        case 'H': options.hide_heap = true; break;
        case 'R': options.hide_rss = true; break;
        case 'f': options.flame = true; break;
        case 'B': break;  /* matplotlib's; nothing of ours to choose */
        case 'w':
            if (plot_parse_window(optarg, &options.window_min_s, &options.window_max_s) < 0) {
                mprof_error("plot: -w %s: needs XMIN,XMAX, two numbers with XMIN < XMAX "
                            "(10 microseconds apart at least)", optarg);
                free(safe_argv);
                return 2;
            }
            options.window = true;
            break;
        case 'h':
            fputs(plot_usage, stdout);
            free(safe_argv);
            return 0;
        case ':':
            mprof_error("plot: %s: needs a value (see mprof plot --help)", safe_argv[optind - 1]);
            free(safe_argv);
            return 2;
        default:
            if (optopt != 0)
                mprof_error("plot: -%c: unknown option (see mprof plot --help)", optopt);
            else
                mprof_error("plot: %s: unknown option (see mprof plot --help)", safe_argv[optind - 1]);
            free(safe_argv);
            return 2;
        }
    }
    if (options.hide_heap && options.hide_rss) {
        mprof_error("plot: --no-heap and --no-rss leave nothing to plot");
        free(safe_argv);
        return 2;
    }
    if (terminal && output != NULL) {
        mprof_error("plot: --terminal and -o exclude each other");
        free(safe_argv);
        return 2;
    }
    options.format = GNUPLOT_FORMAT_PNG;
    if (terminal) {
        options.format = GNUPLOT_FORMAT_DUMB;
        term_size_get(STDOUT_FILENO, &options.columns, &options.lines);
    } else if (output != NULL && plot_format_of(output, &options.format) < 0) {
        plot_unknown_format(output);
        free(safe_argv);
        return 2;
    }

    char **paths;
    size_t path_count;
    int selected = profiles_select(safe_argc - optind, safe_argv + optind, true, &paths,
                                   &path_count);
    free(safe_argv);
    if (selected < 0)
        return 1;

    int status = 1;
    struct dat_profile *profiles = calloc(path_count, sizeof *profiles);
    struct gnuplot_profile_fits *fits = calloc(path_count, sizeof *fits);
    size_t read_count = 0;
    char error[DAT_ERROR_MAX];
    char *default_output = NULL, *output_temp = NULL, *script = NULL;
    char data_path[256] = "";
    int output_fd = -1;
    FILE *data = NULL;
    if (profiles == NULL || fits == NULL) {
        mprof_error("out of memory");
        goto done;
    }
    for (; read_count < path_count; read_count++) {
        if (dat_read_valid_part(paths[read_count], &profiles[read_count], error,
                                sizeof error) < 0) {
            mprof_error("%s", error);
            goto done;
        }
        /* A file cut short is drawn as far as it goes, and said so. */
        if (!dat_profile_whole(&profiles[read_count], error, sizeof error))
            mprof_error("%s: %s: plotting the lines before", paths[read_count], error);
    }
    /* A flame without bars is still the memory, as the original draws it; said why. */
    if (options.flame && options.function_marks && path_count > 1)
        mprof_error("plot: --flame: %zu files: the bars are drawn for one file only",
                    path_count);
    else if (options.flame && options.function_marks && profiles[0].func_count == 0)
        mprof_error("%s: --flame: no FUNC lines (no @profile function ran): no bars to draw",
                    paths[0]);

    if (!terminal) {
        if (output == NULL) {
            default_output = plot_default_output(paths[path_count - 1]);
            if (default_output == NULL) {
                mprof_error("out of memory");
                goto done;
            }
            output = default_output;
        }
        if (plot_cleanup_arm() != 0) {
            mprof_error("plot: cannot handle signals: %s", strerror(errno));
            goto done;
        }
        output_fd = plot_open_output(output, &output_temp);
        if (output_fd < 0)
            goto done;
        plot_cleanup_add(output_temp);
    } else if (plot_cleanup_arm() != 0) {
        mprof_error("plot: cannot handle signals: %s", strerror(errno));
        goto done;
    }

    snprintf(data_path, sizeof data_path, "%s/mprof-plot-XXXXXX", plot_temp_dir());
    int data_fd = mkostemp(data_path, O_CLOEXEC);
    if (data_fd < 0) {
        mprof_error("%s: %s", data_path, strerror(errno));
        data_path[0] = '\0';
        goto done;
    }
    plot_cleanup_add(data_path);
    data = fdopen(data_fd, "w");
    if (data == NULL) {
        mprof_error("%s: %s", data_path, strerror(errno));
        close(data_fd);
        goto done;
    }
    script = gnuplot_build(profiles, path_count, &options, data, data_path, fits, error,
                           sizeof error);
    if (script == NULL) {
        mprof_error("%s", error);
        goto done;
    }
    if (fclose(data) != 0) {
        data = NULL;
        mprof_error("%s: %s", data_path, strerror(errno));
        goto done;
    }
    data = NULL;
    if ((options.format == GNUPLOT_FORMAT_JPEG ? plot_run_jpeg(script, output_fd)
                                               : gnuplot_run(script, output_fd, error,
                                                             sizeof error)) < 0) {
        if (options.format != GNUPLOT_FORMAT_JPEG)
            mprof_error("%s", error);
        goto done;
    }
    if (!terminal) {
        if (fsync(output_fd) != 0 || close(output_fd) != 0) {
            output_fd = -1;
            mprof_error("%s: %s", output, strerror(errno));
            goto done;
        }
        output_fd = -1;
        if (rename(output_temp, output) != 0) {
            mprof_error("%s: %s", output, strerror(errno));
            goto done;
        }
        plot_cleanup_forget(output_temp);
        free(output_temp);
        output_temp = NULL;
        printf("wrote %s\n", output);
    }
    if (options.slope)
        plot_print_fits(profiles, fits, path_count);
    status = fflush(stdout) == 0 ? 0 : 1;

done:
    if (data != NULL)
        fclose(data);
    if (data_path[0] != '\0')
        unlink(data_path);
    if (output_fd >= 0)
        close(output_fd);
    if (output_temp != NULL) {
        unlink(output_temp);  /* a failed plot leaves nothing behind */
        free(output_temp);
    }
    plot_cleanup_disarm();
    free(script);
    free(default_output);
    for (size_t i = 0; i < read_count; i++)
        dat_free(&profiles[i]);
    free(profiles);
    free(fits);
    profiles_free(paths, path_count);
    return status;
}
