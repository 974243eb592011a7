/*
 * cmd_report.c — `mprof report`: print again the @profile tables stored in a .dat
 * (PROFILE_FUNC/PROFILE_LINE lines), or with --top N the whole program's N lines that
 * held the most heap at its peak (TOP lines).
 *
 * Everything printed comes from the .dat alone (the source text is stored there), so a
 * report reads the same after the script has changed or moved.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "dat.h"
#include "profiles.h"
#include "report.h"
#include "terminal_text.h"

#define REPORT_EXIT_USAGE 2

static const char report_usage[] =
    "usage: mprof report [--unit B|KiB|MiB] [--precision N] [--top N] [FILE|INDEX]\n"
    "Print the @profile tables of a .dat (default: the newest mprofile_*.dat here;\n"
    "-1 is the newest, 0 the oldest), as mprof run printed them.\n"
    "      --unit B|KiB|MiB  unit of Mem usage and Increment (default MiB; B is exact)\n"
    "      --precision N     digits after the point for KiB and MiB (default 1)\n"
    "      --top N           instead, the N source lines of the whole program that held\n"
    "                        the most heap at its peak\n"
    "  -h, --help            print this help\n";

/* A --top count: a whole number from 1. */
static int report_parse_top(const char *text, size_t *top)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value == 0)
        return -1;
    *top = (size_t)value;
    return 0;
}

/* The row of what no line holds and the sum below the --top table, from a file that
 * has them (mprof run --lines since they were recorded): 0, or -1 when writing failed. */
static int report_write_top_no_line(const struct dat_profile *profile, size_t top,
                                    const struct report_options *options)
{
    uint64_t no_line_bytes, heap_bytes;
    if (!dat_meta_u64(profile, "top_no_line_bytes", &no_line_bytes) ||
        !dat_meta_u64(profile, "top_heap_bytes", &heap_bytes) || no_line_bytes > INT64_MAX ||
        heap_bytes > INT64_MAX)
        return 0;
    return report_write_top_rest(stdout, profile->top_sites, profile->top_site_count, top,
                                 (int64_t)no_line_bytes, (int64_t)heap_bytes, options);
}

int cmd_report(int argc, char **argv)
{
    static const struct option long_options[] = {
        { "unit", required_argument, NULL, 'u' },
        { "precision", required_argument, NULL, 'p' },
        { "top", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct report_options options = { REPORT_UNIT_MIB, REPORT_PRECISION_DEFAULT };
    size_t top = 0;
    int safe_argc;
    char **safe_argv = profiles_protect_negative_indices(argc, argv, ":h", long_options, &safe_argc);
    if (safe_argv == NULL) {
        mprof_error("out of memory");
        return 1;
    }
    int status = 0;
    int option;
    optind = 0;
    opterr = 0;
    while (status == 0 &&
           (option = getopt_long(safe_argc, safe_argv, ":h", long_options, NULL)) != -1) {
        switch (option) {
        case 'u':
            if (report_parse_unit(optarg, &options.unit) < 0) {
                mprof_error("report: --unit %s: not a unit (B, KiB or MiB)", optarg);
                status = REPORT_EXIT_USAGE;
            }
            break;
        case 'p':
            if (report_parse_precision(optarg, &options.precision) < 0) {
                mprof_error("report: --precision %s: not a precision (0 to %d)", optarg,
                            REPORT_PRECISION_MAX);
                status = REPORT_EXIT_USAGE;
            }
            break;
        case 't':
            if (report_parse_top(optarg, &top) < 0) {
                mprof_error("report: --top %s: not a number of lines (1 or more)", optarg);
                status = REPORT_EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(report_usage, stdout);
            free(safe_argv);
            return fflush(stdout) == 0 ? 0 : 1;
        case ':':
            mprof_error("report: %s: needs a value (see mprof report --help)", safe_argv[optind - 1]);
            status = REPORT_EXIT_USAGE;
            break;
        default:
            if (optopt != 0)
                mprof_error("report: -%c: unknown option (see mprof report --help)", optopt);
            else
                mprof_error("report: %s: unknown option (see mprof report --help)",
                            safe_argv[optind - 1]);
            status = REPORT_EXIT_USAGE;
            break;
        }
    }
    if (status == 0 && safe_argc - optind > 1) {
        mprof_error("report: one FILE or INDEX at a time (see mprof report --help)");
        status = REPORT_EXIT_USAGE;
    }
    if (status != 0) {
        free(safe_argv);
        return status;
    }

    char **paths;
    size_t path_count;
    int selected = profiles_select(safe_argc - optind, safe_argv + optind, true, &paths,
                                   &path_count);
    free(safe_argv);
    if (selected < 0)
        return 1;
    struct dat_profile profile;
    char error[DAT_ERROR_MAX];
    if (dat_read(paths[0], &profile, error, sizeof error) < 0) {
        mprof_error("%s", error);
        profiles_free(paths, path_count);
        return 1;
    }
    /* Tables and top lines are written last: a file cut short has lost some of them. */
    if (!dat_profile_whole(&profile, error, sizeof error)) {
        mprof_error("%s: %s: not a whole profile", paths[0], error);
        dat_free(&profile);
        profiles_free(paths, path_count);
        return 1;
    }
    if (top > 0) {
        const char *why = dat_meta_text_prefixed(&profile, "notice", "--lines: ");
        if (profile.top_site_count == 0 && why != NULL) {
            char shown[DAT_ERROR_MAX];  /* the file's text, escaped for the terminal */
            mprof_error("%s: no whole-program line data: %s", paths[0],
                        terminal_text_format(shown, sizeof shown, why));
            status = 1;
        } else if (profile.top_site_count == 0) {
            mprof_error("%s: no whole-program line data (record it with mprof run --lines)",
                        paths[0]);
            status = 1;
        } else if (report_write_top(stdout, profile.top_sites, profile.top_site_count, top,
                                    &options) < 0 ||
                   report_write_top_no_line(&profile, top, &options) < 0) {
            mprof_error("stdout: %s", strerror(errno));
            status = 1;
        }
    } else {
        int written = report_write_tables(stdout, profile.profiled, profile.profiled_count,
                                          dat_main_pid(&profile), &options);
        if (written == 0) {
            mprof_error("%s: no @profile data (decorate a function with @profile)", paths[0]);
            status = 1;
        } else if (written < 0) {
            mprof_error("stdout: %s", strerror(errno));
            status = 1;
        }
    }
    dat_free(&profile);
    profiles_free(paths, path_count);
    return status;
}
