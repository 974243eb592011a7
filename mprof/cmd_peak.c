/*
 * cmd_peak.c — `mprof peak`: per file, the peak RSS and the peak live heap as dat.h
 * defines them (the high-water marks where the file has them, else the highest sample),
 * with the time (seconds from the profile's start, as on the plot's x axis) of the
 * highest sample. A child's series has samples only: its highest.
 *
 * The first two tab-separated fields are the original's ("<file>\t<MiB> MiB"), so scripts
 * written for it keep working; the heap follows, "n/a" for a file without HEAP lines
 * (one the original tool wrote).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dat.h"
#include "gnuplot.h"
#include "profiles.h"
#include "terminal_text.h"

static const char peak_usage[] =
    "usage: mprof peak [FILE|INDEX ...]\n"
    "Print the peak memory (RSS) and peak live heap of each .dat file, in MiB, with the\n"
    "time of the highest sample (default: the newest mprofile_*.dat here; -1 is the\n"
    "newest). A peak is the process's high-water mark where the file has it (it sees\n"
    "between samples), else the highest sample.\n";

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
        printf("  Child %d", child->index);
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

int cmd_peak(int argc, char **argv)
{
    int first = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            first = i + 1;
            break;
        }
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(peak_usage, stdout);
            return 0;
        }
        if (argv[i][0] == '-' && !(argv[i][1] >= '0' && argv[i][1] <= '9')) {
            mprof_error("peak: %s: unknown option (see mprof peak --help)", argv[i]);
            return 2;
        }
    }
    char **paths;
    size_t path_count;
    if (profiles_select(argc - first, argv + first, true, &paths, &path_count) < 0)
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
        peak_print(&profile);
        dat_free(&profile);
    }
    profiles_free(paths, path_count);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
