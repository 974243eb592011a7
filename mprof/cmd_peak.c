/*
 * cmd_peak.c — `mprof peak`: per file, the peak RSS and the peak live heap as dat.h
 * defines them (the high-water marks where the file has them, else the highest sample),
 * with the time (seconds from the profile's start, as on the plot's x axis) of the
 * highest sample. A child's series has samples only: its highest.
 * `--func NAME`: the same within the calls of one function (its FUNC lines), from the
 * samples alone, as memory_profiler 0.61 does (dat_func_peak.c).
 *
 * Each line begins as the original's ("<file>\t<MiB> MiB", "  Child <n>\t\t\t<MiB> MiB",
 * and "<file>\tNaN MiB" for a function the file has no call of), so scripts written for
 * it keep working; the time and the heap follow, "n/a" for a file without HEAP lines
 * (one the original tool wrote).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dat.h"
#include "gnuplot.h"
#include "profiles.h"
#include "terminal_text.h"

static const char peak_usage[] =
    "usage: mprof peak [--func FUNC] [FILE|INDEX ...]\n"
    "Print the peak memory (RSS) and peak live heap of each .dat file, in MiB, with the\n"
    "time of the highest sample (default: the newest mprofile_*.dat here; -1 is the\n"
    "newest). A peak is the process's high-water mark where the file has it (it sees\n"
    "between samples), else the highest sample.\n"
    "  --func FUNC   the peak within FUNC's calls: the highest sample taken while it ran\n"
    "                (FUNC as the file names it, e.g. __main__.build; children too).\n"
    "                A file without a call of FUNC prints \"NaN MiB\" and exits 1\n"
    "  -h, --help    show this help\n";

/* The heap field: `peak` with the time of the highest sample, `peak` alone when the file
 * has a high-water mark but no sample to time it by, or n/a when it has no heap at all. */
static void peak_print_heap(bool have_heap, bool have_samples, uint64_t peak, double peak_time,
                            double start)
{
    if (!have_heap) {
        fputs("\theap n/a\n", stdout);
        return;
    }
    printf("\theap %.3f MiB", (double)peak / DAT_BYTES_PER_MIB);
    if (have_samples)
        printf(" at %.3f s", peak_time - start);
    putchar('\n');
}

static void peak_print(const struct dat_profile *profile)
{
    double start = gnuplot_profile_start(profile);
    double peak_time;
    double peak = dat_peak_mem_mib(profile, &peak_time);
    terminal_text_put(stdout, profile->path);
    printf("\t%.3f MiB at %.3f s", peak, peak_time - start);
    uint64_t heap_mark;
    bool have_heap = profile->heap_count > 0 ||
                     dat_meta_u64(profile, "heap_peak_bytes", &heap_mark);
    uint64_t heap_peak = dat_peak_heap_bytes(profile, &peak_time);
    peak_print_heap(have_heap, profile->heap_count > 0, heap_peak, peak_time, start);
    for (size_t c = 0; c < profile->child_count; c++) {
        const struct dat_child *child = &profile->children[c];
        printf("  Child %d\t\t", child->index);  /* the original's three tabs */
        if (child->mem_count > 0) {
            double child_peak = dat_child_peak_mem_mib(profile, child, &peak_time);
            printf("\t%.3f MiB at %.3f s", child_peak, peak_time - start);
        } else {
            printf("\tn/a");
        }
        uint64_t rss_mark, heap_mark_of_child;
        bool child_marked = dat_child_marks(profile, child->index, &rss_mark, &heap_mark_of_child);
        heap_peak = dat_child_peak_heap_bytes(profile, child, &peak_time);
        peak_print_heap(child->heap_count > 0 || child_marked, child->heap_count > 0, heap_peak,
                        peak_time, start);
    }
}

/* Up to PEAK_NAMES_SHOWN names of the file's functions, for the error that FUNC is not
 * among them: "a, b, c" (escaped), "..." after the last shown. */
#define PEAK_NAMES_SHOWN 8
static void peak_func_names(const struct dat_profile *profile, char *names, size_t names_size)
{
    size_t used = 0, shown = 0;
    names[0] = '\0';
    for (size_t f = 0; f < profile->func_count; f++) {
        const char *name = profile->funcs[f].name;
        bool seen = false;
        for (size_t g = 0; g < f && !seen; g++)
            seen = strcmp(profile->funcs[g].name, name) == 0;
        if (seen)
            continue;
        if (shown == PEAK_NAMES_SHOWN) {
            snprintf(names + used, names_size - used, ", ...");
            return;
        }
        char escaped[128];
        int wrote = snprintf(names + used, names_size - used, "%s%s", shown > 0 ? ", " : "",
                             terminal_text_format(escaped, sizeof escaped, name));
        if (wrote < 0 || (size_t)wrote >= names_size - used)
            return;
        used += (size_t)wrote;
        shown++;
    }
}

/* The child lines of --func: each child's highest samples while FUNC ran (in the main
 * process). */
static void peak_print_func_children(const struct dat_profile *profile,
                                     const struct dat_func_spans *spans, double start)
{
    for (size_t c = 0; c < profile->child_count; c++) {
        const struct dat_child *child = &profile->children[c];
        double peak_time;
        printf("  Child %d\t\t", child->index);  /* the original's three tabs */
        double peak = dat_func_spans_peak_mem_mib(spans, child->mem, child->mem_count, &peak_time);
        if (peak >= 0)
            printf("\t%.3f MiB at %.3f s", peak, peak_time - start);
        else
            printf("\tn/a");
        uint64_t heap_peak;
        bool have_heap = dat_func_spans_peak_heap_bytes(spans, child->heap, child->heap_count,
                                                        &heap_peak, &peak_time);
        peak_print_heap(have_heap, true, heap_peak, peak_time, start);
    }
}

/* `--func FUNC` for one file: its line, or "NaN MiB" and the reason on stderr. Returns
 * 0, or 1 when the file has no call of FUNC or no sample within its calls, or -1 when
 * out of memory. */
static int peak_print_func(const struct dat_profile *profile, const char *func)
{
    struct dat_func_spans spans;
    if (dat_func_spans_of(profile, func, &spans) < 0) {
        mprof_error("out of memory");
        return -1;
    }
    double start = gnuplot_profile_start(profile);
    double peak_time;
    double peak = dat_func_spans_peak_mem_mib(&spans, profile->mem, profile->mem_count,
                                              &peak_time);
    char shown[128];
    terminal_text_format(shown, sizeof shown, func);
    if (spans.call_count == 0 || peak < 0) {
        terminal_text_put(stdout, profile->path);
        fputs("\tNaN MiB\n", stdout);
        fflush(stdout);  /* before the reason, as a terminal shows them */
        if (profile->func_count == 0) {
            mprof_error("%s: no call of %s: the file has no FUNC lines (no @profile "
                        "function ran)", profile->path, shown);
        } else if (spans.call_count == 0) {
            char names[512];
            peak_func_names(profile, names, sizeof names);
            mprof_error("%s: no call of %s; the file's functions: %s", profile->path, shown,
                        names);
        } else {
            mprof_error("%s: %s: no sample within its %zu call%s (%.4f s in all); record "
                        "with a shorter interval (mprof run -T)", profile->path, shown,
                        spans.call_count, spans.call_count == 1 ? "" : "s", spans.total_s);
        }
        dat_func_spans_free(&spans);
        return 1;
    }
    terminal_text_put(stdout, profile->path);
    printf("\t%.3f MiB at %.3f s", peak, peak_time - start);
    uint64_t heap_peak;
    bool have_heap = dat_func_spans_peak_heap_bytes(&spans, profile->heap, profile->heap_count,
                                                    &heap_peak, &peak_time);
    peak_print_heap(have_heap, true, heap_peak, peak_time, start);
    peak_print_func_children(profile, &spans, start);
    dat_func_spans_free(&spans);
    return 0;
}

int cmd_peak(int argc, char **argv)
{
    const char *func = NULL;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int file_count = 0;
    if (files == NULL) {
        mprof_error("out of memory");
        return 1;
    }
    bool options_end = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_end || arg[0] != '-' || (arg[1] >= '0' && arg[1] <= '9')) {
            files[file_count++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            options_end = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(peak_usage, stdout);
            free(files);
            return 0;
        } else if (strcmp(arg, "--func") == 0 || strncmp(arg, "--func=", 7) == 0) {
            func = arg[6] == '=' ? arg + 7 : argv[++i];
            if (func == NULL || func[0] == '\0') {
                mprof_error("peak: --func: needs a function name (see mprof peak --help)");
                free(files);
                return 2;
            }
        } else {
            mprof_error("peak: %s: unknown option (see mprof peak --help)", arg);
            free(files);
            return 2;
        }
    }
    char **paths;
    size_t path_count;
    int selected = profiles_select(file_count, files, true, &paths, &path_count);
    free(files);
    if (selected < 0)
        return 1;
    int status = 0;
    for (size_t i = 0; i < path_count; i++) {
        struct dat_profile profile;
        char error[DAT_ERROR_MAX];
        if (dat_read_valid_part(paths[i], &profile, error, sizeof error) < 0) {
            mprof_error("%s", error);
            status = 1;
            continue;  /* the others are still worth their line */
        }
        /* A file cut short still has its peaks so far: said, and given. */
        if (!dat_profile_whole(&profile, error, sizeof error))
            mprof_error("%s: %s: the peaks are those of the lines before", paths[i], error);
        if (func == NULL)
            peak_print(&profile);
        else if (peak_print_func(&profile, func) != 0)
            status = 1;
        dat_free(&profile);
    }
    profiles_free(paths, path_count);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
