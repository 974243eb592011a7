/*
 * run_options.c — `mprof run`'s command line: the usage text and the parser, which
 * checks every value before anything runs (one line for each mistake, in the style
 * of every subcommand: "mprof: run: OPTION VALUE: why (see mprof run --help)").
 */
#include "run_options.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "interval.h"
#include "recorder.h"
#include "version.h"


static const char run_usage[] =
    "usage: mprof run [options] PROGRAM|SCRIPT.py|-m MODULE [args...]\n"
    "       mprof run -a|--attach [options] PID|NAME\n"
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
    "  -a, --attach            record a process that is already running (PID, or the\n"
    "                          first process whose name contains NAME) instead: its RSS\n"
    "                          until it ends, Ctrl-C, or the timeout (see mprof attach)\n"
    "  -t, --timeout SECONDS   stop after SECONDS: the program gets SIGTERM, and SIGKILL\n"
    "                          2 s later if it is still there; the profile is kept and\n"
    "                          mprof run exits 124 (no default; 3600 when attaching)\n"
    "      --backend NAME      what MEM holds: psutil (RSS, the default), psutil_pss\n"
    "                          (PSS), psutil_uss (USS: private pages), posix (RSS as ps\n"
    "                          reads it), tracemalloc (the exact live heap)\n"
    "      --python            run PROGRAM with python3 even without a .py suffix; a\n"
    "                          PROGRAM that is no file is a module: python3 -m PROGRAM\n"
    "      --nopython          run a .py file as a program (it needs its #! line)\n"
    "  -m MODULE               run python3 -m MODULE [args...]\n"
    "      --all-samples       write every sample (no simplification of straight runs)\n"
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

static const char attach_usage[] =
    "usage: mprof attach [options] PID|NAME\n"
    "\n"
    "Record the memory of a process that is already running (as mprof run --attach):\n"
    "PID, or the first process (lowest pid) whose name contains NAME, as\n"
    "memory_profiler finds it. The .dat is the one mprof run writes: CMDLINE from\n"
    "/proc/PID/cmdline, a MEM sample every interval. The process is never signalled;\n"
    "recording stops when it ends, on Ctrl-C (or SIGTERM, SIGHUP to mprof), or at the\n"
    "timeout, keeping every sample, and mprof attach then exits 0.\n"
    "\n"
    "Its heap is not recorded: the library's heap figures exist inside the process and\n"
    "in the pipe of the mprof run that started it, which no other reader can share.\n"
    "\n"
    "options:\n"
    "  -T, --interval SECONDS  sampling period (default 0.1, at least 0.001)\n"
    "  -o, --output FILE       write to FILE (replacing it) instead of the default name\n"
    "  -C, --include-children  add the memory of all its descendants to MEM\n"
    "  -M, --multiprocess      record each descendant as its own CHLD series\n"
    "  -t, --timeout SECONDS   stop recording after SECONDS (default 3600)\n"
    "      --backend NAME      psutil (RSS, the default), psutil_pss, psutil_uss, posix\n"
    "      --all-samples       write every sample (no simplification of straight runs)\n"
    "  -E, --exit-code         accepted for compatibility (changes nothing)\n"
    "      --version           print mprof's version\n"
    "  -h, --help              print this help\n";

/* -t SECONDS: a positive number of seconds (memory_profiler takes whole ones; a
 * fraction is as good), at most a year. 0, or -1 after the one-line error. */
static int run_parse_timeout(const char *command, const char *text, double *timeout_s)
{
    char *end;
    errno = 0;
    double seconds = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(seconds) || seconds <= 0 ||
        seconds > 366.0 * 86400) {
        mprof_error("%s: -t %s: not a number of seconds above 0 (at most a year; see "
                    "mprof %s --help)", command, text, command);
        return -1;
    }
    *timeout_s = seconds;
    return 0;
}

/* After the options of an attach: one PID or NAME, and nothing the attached process
 * cannot give. 0, or RUN_EXIT_USAGE after the one-line error. */
static int run_parse_attach(int argc, char **argv, struct run_options *options)
{
    const char *command = options->command;
    if (optind >= argc) {
        mprof_error("%s: no process given: a PID or a process name (see mprof %s --help)",
                    command, command);
        return RUN_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        mprof_error("%s: %s %s: one process only, a PID or a process name (see mprof %s "
                    "--help)", command, argv[optind], argv[optind + 1], command);
        return RUN_EXIT_USAGE;
    }
    if (argv[optind][0] == '\0') {
        mprof_error("%s: '': not a PID or a process name", command);
        return RUN_EXIT_USAGE;
    }
    if (options->lines) {
        mprof_error("%s: --lines: needs the library from the start: use mprof run", command);
        return RUN_EXIT_USAGE;
    }
    if (options->backend == BACKEND_TRACEMALLOC) {
        mprof_error("%s: --backend tracemalloc: the heap of a running process cannot be read "
                    "from outside it (psutil, psutil_pss, psutil_uss or posix)", command);
        return RUN_EXIT_USAGE;
    }
    options->attach_hint = argv[optind];
    if (options->timeout_s == 0)
        options->timeout_s = RUN_ATTACH_TIMEOUT_S;
    return 0;
}

int run_parse(const char *command, int argc, char **argv, struct run_options *options)
{
    static const struct option long_options[] = {
        { "interval", required_argument, NULL, 'T' },
        { "output", required_argument, NULL, 'o' },
        { "include-children", no_argument, NULL, 'C' },
        { "multiprocess", no_argument, NULL, 'M' },
        { "exit-code", no_argument, NULL, 'E' },
        { "python", no_argument, NULL, 'p' },
        { "nopython", no_argument, NULL, 'P' },
        { "all-samples", no_argument, NULL, 'S' },
        { "attach", no_argument, NULL, 'a' },
        { "timeout", required_argument, NULL, 't' },
        { "backend", required_argument, NULL, 'B' },
        { "unit", required_argument, NULL, 'U' },
        { "precision", required_argument, NULL, 'R' },
        { "no-report", no_argument, NULL, 'N' },
        { "report-file", required_argument, NULL, 'F' },
        { "lines", optional_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    bool attach_command = strcmp(command, "attach") == 0;
    *options = (struct run_options){
        .command = command,
        .attach = attach_command,
        .interval_ns = MPROF_INTERVAL_DEFAULT_NS,
        .report = { REPORT_UNIT_MIB, REPORT_PRECISION_DEFAULT },
    };
    /* '+': stop at the first non-option, the program's own arguments are not ours.
     * ':': report missing arguments ourselves. optind = 0 restarts GNU getopt. */
    opterr = 0;
    optind = 0;
    int option;
    /* The first option given that only a run's own program can use: refused once the
     * command is known to be an attach (-a may come after it). */
    const char *program_only = NULL;
    int long_index = 0; /* which long option getopt_long found: those are long only */
    while ((option = getopt_long(argc, argv, attach_command ? "+:T:o:CMEat:h" : "+:T:o:CMEalt:m:h", long_options, &long_index)) != -1) {
        switch (option) {
        case 'T': {
            char error[128];
            if (interval_parse(optarg, &options->interval_ns, error, sizeof(error)) < 0) {
                mprof_error("%s: %s", command, error);
                return RUN_EXIT_USAGE;
            }
            break;
        }
        case 'o':
            if (optarg[0] == '\0') {
                mprof_error("%s: -o: needs a file name (see mprof %s --help)", command, command);
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
            program_only = program_only != NULL ? program_only : long_options[long_index].name;
            options->target.python = true;
            break;
        case 'P':
            program_only = program_only != NULL ? program_only : long_options[long_index].name;
            options->target.nopython = true;
            break;
        case 'S':
            options->all_samples = true;
            break;
        case 'a':
            options->attach = true;
            break;
        case 't':
            if (run_parse_timeout(command, optarg, &options->timeout_s) < 0)
                return RUN_EXIT_USAGE;
            break;
        case 'B':
            if (backend_parse(optarg, &options->backend) < 0) {
                mprof_error("%s: --backend %s: not a backend (psutil, psutil_pss, psutil_uss, "
                            "posix or tracemalloc; see mprof %s --help)", command, optarg,
                            command);
                return RUN_EXIT_USAGE;
            }
            break;
        case 'U':
            program_only = program_only != NULL ? program_only : long_options[long_index].name;
            if (report_parse_unit(optarg, &options->report.unit) < 0) {
                mprof_error("run: --unit %s: not a unit (B, KiB or MiB)", optarg);
                return RUN_EXIT_USAGE;
            }
            break;
        case 'R':
            program_only = program_only != NULL ? program_only : long_options[long_index].name;
            if (report_parse_precision(optarg, &options->report.precision) < 0) {
                mprof_error("run: --precision %s: not a precision (0 to %d)", optarg,
                            REPORT_PRECISION_MAX);
                return RUN_EXIT_USAGE;
            }
            break;
        case 'N':
            program_only = program_only != NULL ? program_only : long_options[long_index].name;
            options->no_report = true;
            break;
        case 'F':
            program_only = program_only != NULL ? program_only : long_options[long_index].name;
            if (optarg[0] == '\0') {
                mprof_error("%s: --report-file: needs a file name (see mprof %s --help)", command,
                            command);
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
            if (options->attach) {
                mprof_error("%s: -m %s: --attach follows a running process, it starts no "
                            "module", command, optarg);
                return RUN_EXIT_USAGE;
            }
            options->target.module = optarg;
            options->target.args = argv + optind;
            options->target.arg_count = argc - optind;
            return 0; /* everything after the module is the module's */
        case 'h':
            fputs(attach_command ? attach_usage : run_usage, stdout);
            return 1;
        case 'V':
            printf("mprof %s\n", MPROF_VERSION);
            return 1;
        case ':':
            mprof_error("%s: %s: needs a value (see mprof %s --help)", command, argv[optind - 1],
                        command);
            return RUN_EXIT_USAGE;
        default:
            if (optopt != 0)
                mprof_error("%s: -%c: unknown option (see mprof %s --help)", command, optopt,
                            command);
            else
                mprof_error("%s: %s: unknown option (see mprof %s --help)", command,
                            argv[optind - 1], command);
            return RUN_EXIT_USAGE;
        }
    }
    if (options->attach && program_only != NULL) {
        mprof_error("%s: --%s: for a program mprof starts (the @profile tables, python3), not "
                    "one attached to (see mprof %s --help)", command, program_only, command);
        return RUN_EXIT_USAGE;
    }
    if (options->attach)
        return run_parse_attach(argc, argv, options);
    if (optind >= argc) {
        mprof_error("run: no program given (see mprof run --help)");
        return RUN_EXIT_USAGE;
    }
    options->target.args = argv + optind;
    options->target.arg_count = argc - optind;
    return 0;
}

