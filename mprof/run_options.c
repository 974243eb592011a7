/*
 * run_options.c — `mprof run`'s command line: the usage text and the parser, which
 * checks every value before anything runs (one line for each mistake, in the style
 * of every subcommand: "mprof: run: OPTION VALUE: why (see mprof run --help)").
 */
#include "run_options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "interval.h"
#include "recorder.h"
#include "version.h"


static const char run_usage[] =
    "usage: mprof run [options] PROGRAM|SCRIPT.py|-m MODULE [args...]\n"
    "\n"
    "Run a program under mprof and record its memory (RSS polled from /proc, and the\n"
    "live heap counted inside the process) into mprofile_YYYYMMDDhhmmss.dat.\n"
    "SCRIPT.py runs with the python3 found on PATH; any other program runs as given.\n"
    "Options end at the program (or at --); its own arguments are never parsed.\n"
    "\n"
    "options:\n"
    "  -T, --interval SECONDS  sampling period (default 0.1, at least 0.001)\n"
    "  -o, --output FILE       write to FILE (replacing it) instead of the default name\n"
    "  -C, --include-children  add the memory of all descendants to MEM and HEAP\n"
    "  -M, --multiprocess      record each descendant as its own CHLD series\n"
    "  -E, --exit-code         accepted for compatibility: the exit status of the\n"
    "                          program is always passed on (128+N for signal N)\n"
    "      --python            run PROGRAM with python3 even without a .py suffix\n"
    "      --nopython          run a .py file as a program (it needs its #! line)\n"
    "  -m MODULE               run python3 -m MODULE [args...]\n"
    "  -a, --all-samples       write every sample (no simplification of straight runs)\n"
    "      --unit B|KiB|MiB    unit of the @profile tables (default MiB)\n"
    "      --precision N       digits after the point for KiB and MiB (default 1)\n"
    "      --no-report         do not print the @profile tables (they are still in the\n"
    "                          .dat: see mprof report)\n"
    "      --report-file FILE  write the @profile tables to FILE instead of stderr\n"
    "  -l, --lines[=user]      also charge the heap to the source lines that allocated it,\n"
    "                          for mprof report --top (Python; costs ~1.2x); C extensions'\n"
    "                          memory goes to the line that called them. =user: to the\n"
    "                          nearest line in your own files (not the standard library's\n"
    "                          or an installed package's), as memray and Scalene do\n"
    "      --version           print mprof's version\n"
    "  -h, --help              print this help\n"
    "\n"
    "Functions decorated with @profile (no import needed; `from memory_profiler import\n"
    "profile` works too) get memory_profiler's line-by-line table, printed on stderr\n"
    "after the program ends (its stdout is the program's): exact heap bytes per line,\n"
    "callees included.\n"
    "\n"
    "environment: MPROF_LIBRARY overrides the path of libmprof.so.\n";

int run_parse(int argc, char **argv, struct run_options *options)
{
    static const struct option long_options[] = {
        { "interval", required_argument, NULL, 'T' },
        { "output", required_argument, NULL, 'o' },
        { "include-children", no_argument, NULL, 'C' },
        { "multiprocess", no_argument, NULL, 'M' },
        { "exit-code", no_argument, NULL, 'E' },
        { "python", no_argument, NULL, 'p' },
        { "nopython", no_argument, NULL, 'P' },
        { "all-samples", no_argument, NULL, 'a' },
        { "unit", required_argument, NULL, 'U' },
        { "precision", required_argument, NULL, 'R' },
        { "no-report", no_argument, NULL, 'N' },
        { "report-file", required_argument, NULL, 'F' },
        { "lines", optional_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    *options = (struct run_options){
        .interval_ns = MPROF_INTERVAL_DEFAULT_NS,
        .report = { REPORT_UNIT_MIB, REPORT_PRECISION_DEFAULT },
    };
    /* '+': stop at the first non-option, the program's own arguments are not ours.
     * ':': report missing arguments ourselves. optind = 0 restarts GNU getopt. */
    opterr = 0;
    optind = 0;
    int option;
    while ((option = getopt_long(argc, argv, "+:T:o:CMEalm:h", long_options, NULL)) != -1) {
        switch (option) {
        case 'T': {
            char error[128];
            if (interval_parse(optarg, &options->interval_ns, error, sizeof(error)) < 0) {
                mprof_error("run: %s", error);
                return RUN_EXIT_USAGE;
            }
            break;
        }
        case 'o':
            if (optarg[0] == '\0') {
                mprof_error("run: -o: needs a file name (see mprof run --help)");
                return RUN_EXIT_USAGE;
            }
            options->output_path = optarg;
            break;
        case 'C':
            options->children |= RECORDER_CHILDREN_SUM;
            break;
        case 'M':
            options->children |= RECORDER_CHILDREN_SERIES;
            break;
        case 'E':
            break; /* the exit status is always passed on */
        case 'p':
            options->target.python = true;
            break;
        case 'P':
            options->target.nopython = true;
            break;
        case 'a':
            options->all_samples = true;
            break;
        case 'U':
            if (report_parse_unit(optarg, &options->report.unit) < 0) {
                mprof_error("run: --unit %s: not a unit (B, KiB or MiB)", optarg);
                return RUN_EXIT_USAGE;
            }
            break;
        case 'R':
            if (report_parse_precision(optarg, &options->report.precision) < 0) {
                mprof_error("run: --precision %s: not a precision (0 to %d)", optarg,
                            REPORT_PRECISION_MAX);
                return RUN_EXIT_USAGE;
            }
            break;
        case 'N':
            options->no_report = true;
            break;
        case 'F':
            if (optarg[0] == '\0') {
                mprof_error("run: --report-file: needs a file name (see mprof run --help)");
                return RUN_EXIT_USAGE;
            }
            options->report_path = optarg;
            break;
        case 'l':
            options->lines = true;
            if (optarg != NULL && strcmp(optarg, "user") != 0) {
                mprof_error("run: --lines %s: not a choice: --lines or --lines=user (see "
                            "mprof run --help)", optarg);
                return RUN_EXIT_USAGE;
            }
            options->lines_user = optarg != NULL;
            break;
        case 'm':
            options->target.module = optarg;
            options->target.args = argv + optind;
            options->target.arg_count = argc - optind;
            return 0; /* everything after the module is the module's */
        case 'h':
            fputs(run_usage, stdout);
            return 1;
        case 'V':
            printf("mprof %s\n", MPROF_VERSION);
            return 1;
        case ':':
            mprof_error("run: %s: needs a value (see mprof run --help)", argv[optind - 1]);
            return RUN_EXIT_USAGE;
        default:
            if (optopt != 0)
                mprof_error("run: -%c: unknown option (see mprof run --help)", optopt);
            else
                mprof_error("run: %s: unknown option (see mprof run --help)", argv[optind - 1]);
            return RUN_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        mprof_error("run: no program given (see mprof run --help)");
        return RUN_EXIT_USAGE;
    }
    options->target.args = argv + optind;
    options->target.arg_count = argc - optind;
    return 0;
}

