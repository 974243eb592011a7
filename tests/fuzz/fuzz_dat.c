/*
 * fuzz_dat.c — libFuzzer target: any bytes as a .dat, through everything that reads
 * one: dat_read and dat_read_valid_part, the wholeness check, every peak, the @profile
 * tables in each unit, the --top lines, mprof check's figures, and the gnuplot script
 * builder (data and script, with and without fits and a window).
 *
 * The seed corpus is .dat files of real runs (tests/fuzz/seeds.sh).
 */
#include <stdint.h>
#include <stdlib.h>

#include "check_eval.h"
#include "dat.h"
#include "fuzz_input.h"
#include "gnuplot.h"
#include "report.h"

/* What mprof peak, report and check read of a profile. */
static void fuzz_read_profile(const struct dat_profile *profile)
{
    char why[DAT_ERROR_MAX];
    (void)dat_profile_whole(profile, why, sizeof why);
    double time_s;
    (void)dat_peak_mem_mib(profile, &time_s);
    (void)dat_peak_heap_bytes(profile, &time_s);
    for (size_t i = 0; i < profile->child_count; i++) {
        (void)dat_child_peak_mem_mib(profile, &profile->children[i], &time_s);
        (void)dat_child_peak_heap_bytes(profile, &profile->children[i], &time_s);
    }
    uint64_t bytes;
    (void)check_exit_heap_bytes(profile, &bytes, why, sizeof why);
    (void)gnuplot_profile_start(profile);
}

static void fuzz_report(const struct dat_profile *profile)
{
    static const struct report_options units[] = {
        { REPORT_UNIT_MIB, REPORT_PRECISION_DEFAULT }, { REPORT_UNIT_KIB, 3 },
        { REPORT_UNIT_B, 0 },
    };
    FILE *sink = fuzz_sink();
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        (void)report_write_tables(sink, profile->profiled, profile->profiled_count,
                                  dat_main_pid(profile), &units[i]);
        (void)report_write_top(sink, profile->top_sites, profile->top_site_count, 10,
                               &units[i]);
    }
}

static void fuzz_plot(const struct dat_profile *profile)
{
    struct gnuplot_options options = {
        .format = GNUPLOT_FORMAT_PNG, .function_marks = true, .slope = true,
    };
    struct gnuplot_profile_fits fits;
    char error[DAT_ERROR_MAX];
    for (int pass = 0; pass < 2; pass++) {
        FILE *data = fuzz_sink();
        char *script = gnuplot_build(profile, 1, &options, data, "/dev/null", &fits, error,
                                     sizeof error);
        free(script);
        /* The second time as a text plot of a window, without fits, the calls as
         * --flame's bars. */
        options = (struct gnuplot_options){
            .format = GNUPLOT_FORMAT_DUMB, .columns = 80, .lines = 25, .window = true,
            .window_min_s = 0.5, .window_max_s = 2.0, .function_marks = true, .flame = true,
        };
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file(data, size);
    char error[DAT_ERROR_MAX];
    for (int valid_part = 0; valid_part < 2; valid_part++) {
        struct dat_profile profile;
        int status = valid_part ? dat_read_valid_part(path, &profile, error, sizeof error)
                                : dat_read(path, &profile, error, sizeof error);
        if (status < 0)
            continue;
        fuzz_read_profile(&profile);
        fuzz_report(&profile);
        fuzz_plot(&profile);
        dat_free(&profile);
    }
    return 0;
}
