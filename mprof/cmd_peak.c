/*
 * cmd_peak.c — `mprof peak`: per file, the highest RSS and the highest live heap, with
 * the time (seconds from the profile's start, as on the plot's x axis) each was reached.
 *
 * The first two tab-separated fields are the original's ("<file>\t<MiB> MiB"), so scripts
 * written for it keep working; the heap follows, "n/a" for a file without HEAP lines
 * (one the original tool wrote).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dat.h"
#include "gnuplot.h"
#include "profiles.h"

static const char peak_usage[] =
    "usage: mprof peak [FILE|INDEX ...]\n"
    "Print the peak memory (RSS) and peak live heap of each .dat file, in MiB, with the\n"
    "time each was reached (default: the newest mprofile_*.dat here; -1 is the newest).\n";

static void peak_print_heap(const struct dat_heap_sample *heap, size_t heap_count, double start)
{
    if (heap_count == 0) {
        fputs("\theap n/a\n", stdout);
        return;
    }
    uint64_t peak = 0;
    double peak_time = 0;
    for (size_t i = 0; i < heap_count; i++) {
        if (i == 0 || heap[i].heap_bytes > peak) {
            peak = heap[i].heap_bytes;
            peak_time = heap[i].time_s;
        }
    }
    printf("\theap %.3f MiB at %.3f s\n", (double)peak / DAT_BYTES_PER_MIB, peak_time - start);
}

static void peak_print(const struct dat_profile *profile)
{
    double start = gnuplot_profile_start(profile);
    double peak_time;
    double peak = dat_peak_mem_mib(profile, &peak_time);
    printf("%s\t%.3f MiB at %.3f s", profile->path, peak, peak_time - start);
    peak_print_heap(profile->heap, profile->heap_count, start);
    for (size_t c = 0; c < profile->child_count; c++) {
        const struct dat_child *child = &profile->children[c];
        printf("  Child %d", child->index);
        if (child->mem_count > 0) {
            size_t top = 0;
            for (size_t i = 1; i < child->mem_count; i++)
                if (child->mem[i].mem_mib > child->mem[top].mem_mib)
                    top = i;
            printf("\t%.3f MiB at %.3f s", child->mem[top].mem_mib, child->mem[top].time_s - start);
        } else {
            printf("\tn/a");
        }
        peak_print_heap(child->heap, child->heap_count, start);
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
            mprof_error("peak: unknown option %s (see mprof peak -h)", argv[i]);
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
        if (dat_read(paths[i], &profile, error, sizeof error) < 0) {
            mprof_error("%s", error);
            status = 1;
            continue;  /* the others are still worth their line */
        }
        peak_print(&profile);
        dat_free(&profile);
    }
    profiles_free(paths, path_count);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
