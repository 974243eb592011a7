/*
 * cmd_check.c — `mprof check`: a memory budget for CI. Reads a new run's .dat (and a
 * baseline run's), holds it to the limits given (check_eval.c decides), tells the verdicts
 * (check_text.c, check_json.c, check_junit.c) and, only when asked, makes the new run
 * the baseline (file_copy.c).
 *
 * Exit status: 0 every check within budget, 1 one over, 2 a usage or input error. An
 * input error is never a pass: a missing, empty, truncated or malformed file, or one
 * that lacks what a check needs, exits 2 with one line saying what is missing.
 * --update-baseline copies after the checks ran and does not change their status: the
 * run that accepts a regression still fails once, so the acceptance is seen.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_eval.h"
#include "check_output.h"
#include "cli.h"
#include "commands.h"
#include "dat.h"
#include "file_copy.h"
#include "limit.h"
#include "profiles.h"

#define CHECK_EXIT_OVER  1
#define CHECK_EXIT_INPUT 2

static const char check_usage[] =
    "usage: mprof check FILE|INDEX [--max-peak SIZE] [--baseline FILE|INDEX --max-growth PCT|SIZE]\n"
    "                   [--max-leak SIZE] [--metric heap|rss] [--junit FILE] [--json]\n"
    "                   [--update-baseline]\n"
    "Hold a run's .dat to a memory budget, for CI (FILE|INDEX as mprof list numbers them).\n"
    "      --max-peak SIZE        the peak may be at most SIZE\n"
    "      --baseline FILE|INDEX  a stored run to compare the peak with\n"
    "      --max-growth PCT|SIZE  the peak may exceed the baseline's by at most PCT of it\n"
    "                             (5%, 2.5%) or by SIZE\n"
    "      --max-leak SIZE        the heap still live at exit may be at most SIZE\n"
    "      --metric heap|rss      what a peak is: the exact live heap (default) or RSS\n"
    "      --junit FILE           also write the verdicts as JUnit XML to FILE\n"
    "      --json                 print one JSON object with the figures instead of text\n"
    "      --update-baseline      then copy FILE over the baseline (created when absent);\n"
    "                             the exit status is still the checks'\n"
    "  -h, --help                 print this help\n"
    "SIZE: a number and B, KiB, MiB, GiB, KB, MB or GB (300MiB, 1.5GB; bare: bytes).\n"
    "On a failure the report names the lines whose heap at the peak grew most (record\n"
    "the runs with mprof run --lines).\n"
    "Exit status: 0 within budget, 1 over budget, 2 usage or input error.\n";

/* The command line, parsed. */
struct check_arguments {
    struct check_request request;
    const char *current_arg;
    const char *baseline_arg;
    const char *junit_path;
    const char *max_growth_text;
    bool json;
    bool update_baseline;
    bool help;
};

enum check_option_id {
    CHECK_OPTION_MAX_PEAK, CHECK_OPTION_BASELINE, CHECK_OPTION_MAX_GROWTH,
    CHECK_OPTION_MAX_LEAK, CHECK_OPTION_METRIC, CHECK_OPTION_JUNIT, CHECK_OPTION_JSON,
    CHECK_OPTION_UPDATE_BASELINE, CHECK_OPTION_HELP,
};

static const struct check_option {
    const char *name;
    enum check_option_id id;
    bool takes_value;
} check_options[] = {
    { "--max-peak", CHECK_OPTION_MAX_PEAK, true },
    { "--baseline", CHECK_OPTION_BASELINE, true },
    { "--max-growth", CHECK_OPTION_MAX_GROWTH, true },
    { "--max-leak", CHECK_OPTION_MAX_LEAK, true },
    { "--metric", CHECK_OPTION_METRIC, true },
    { "--junit", CHECK_OPTION_JUNIT, true },
    { "--json", CHECK_OPTION_JSON, false },
    { "--update-baseline", CHECK_OPTION_UPDATE_BASELINE, false },
    { "--help", CHECK_OPTION_HELP, false },
    { "-h", CHECK_OPTION_HELP, false },
};

static int check_usage_error_size(const char *option, const char *value, const char *why)
{
    mprof_error("check: %s %s: %s", option, value, why);
    return -1;
}

/* Apply one option with its value (NULL when it takes none). 0, or -1 after the error
 * was printed. */
static int check_apply_option(struct check_arguments *arguments, const struct check_option *option,
                              const char *value)
{
    const char *why;
    switch (option->id) {
    case CHECK_OPTION_MAX_PEAK:
        if (limit_parse_size(value, &arguments->request.max_peak_bytes, &why) < 0)
            return check_usage_error_size(option->name, value, why);
        arguments->request.max_peak_set = true;
        return 0;
    case CHECK_OPTION_MAX_LEAK:
        if (limit_parse_size(value, &arguments->request.max_leak_bytes, &why) < 0)
            return check_usage_error_size(option->name, value, why);
        arguments->request.max_leak_set = true;
        return 0;
    case CHECK_OPTION_MAX_GROWTH:
        if (limit_parse_growth(value, &arguments->request.max_growth, &why) < 0)
            return check_usage_error_size(option->name, value, why);
        arguments->request.max_growth_set = true;
        arguments->max_growth_text = value;
        return 0;
    case CHECK_OPTION_METRIC:
        if (strcmp(value, "heap") == 0)
            arguments->request.metric = CHECK_METRIC_HEAP;
        else if (strcmp(value, "rss") == 0)
            arguments->request.metric = CHECK_METRIC_RSS;
        else
            return check_usage_error_size(option->name, value, "not a metric (heap or rss)");
        return 0;
    case CHECK_OPTION_BASELINE:
        arguments->baseline_arg = value;
        return 0;
    case CHECK_OPTION_JUNIT:
        arguments->junit_path = value;
        return 0;
    case CHECK_OPTION_JSON:
        arguments->json = true;
        return 0;
    case CHECK_OPTION_UPDATE_BASELINE:
        arguments->update_baseline = true;
        return 0;
    case CHECK_OPTION_HELP:
    default:
        arguments->help = true;
        return 0;
    }
}

/* A negative number is an INDEX (-1 the newest), never an option. */
static bool check_is_negative_index(const char *arg)
{
    if (arg[0] != '-' || arg[1] < '0' || arg[1] > '9')
        return false;
    for (const char *c = arg + 1; *c != '\0'; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

/* Options in any order, "--name value" or "--name=value"; one FILE|INDEX. Returns 0,
 * or -1 after the usage error was printed. */
static int check_parse_arguments(int argc, char **argv, struct check_arguments *arguments)
{
    bool options_ended = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_ended && strcmp(arg, "--") == 0) {
            options_ended = true;
            continue;
        }
        if (options_ended || arg[0] != '-' || arg[1] == '\0' || check_is_negative_index(arg)) {
            if (arguments->current_arg != NULL) {
                mprof_error("check: one FILE|INDEX at a time, not %s and %s (see mprof check --help)",
                            arguments->current_arg, arg);
                return -1;
            }
            arguments->current_arg = arg;
            continue;
        }
        const char *equals = strchr(arg, '=');
        size_t name_length = equals != NULL ? (size_t)(equals - arg) : strlen(arg);
        const struct check_option *option = NULL;
        for (size_t k = 0; k < sizeof check_options / sizeof check_options[0]; k++)
            if (strlen(check_options[k].name) == name_length &&
                strncmp(check_options[k].name, arg, name_length) == 0)
                option = &check_options[k];
        if (option == NULL) {
            mprof_error("check: %.*s: unknown option (see mprof check --help)", (int)name_length, arg);
            return -1;
        }
        const char *value = NULL;
        if (option->takes_value && equals != NULL) {
            value = equals + 1;
        } else if (option->takes_value) {
            if (i + 1 >= argc) {
                mprof_error("check: %s: needs a value (see mprof check --help)", option->name);
                return -1;
            }
            value = argv[++i];
        } else if (equals != NULL) {
            mprof_error("check: %s: takes no value (see mprof check --help)", option->name);
            return -1;
        }
        if (check_apply_option(arguments, option, value) < 0)
            return -1;
    }
    return 0;
}

/* The combinations that mean nothing. 0, or -1 after the usage error was printed. */
static int check_validate_arguments(const struct check_arguments *arguments)
{
    const struct check_request *request = &arguments->request;
    if (arguments->current_arg == NULL) {
        mprof_error("check: which .dat? (mprof check FILE|INDEX --max-peak SIZE ...; see mprof check --help)");
        return -1;
    }
    if (arguments->baseline_arg != NULL && !request->max_growth_set && !arguments->update_baseline) {
        mprof_error("check: --baseline %s needs --max-growth PCT|SIZE (or --update-baseline)",
                    arguments->baseline_arg);
        return -1;
    }
    if (!request->max_peak_set && !request->max_growth_set && !request->max_leak_set &&
        !arguments->update_baseline) {
        mprof_error("check: no check given (--max-peak, --max-growth or --max-leak; see mprof check --help)");
        return -1;
    }
    if (request->max_growth_set && arguments->baseline_arg == NULL) {
        mprof_error("check: --max-growth %s needs --baseline FILE|INDEX to grow from",
                    arguments->max_growth_text);
        return -1;
    }
    if (arguments->update_baseline && arguments->baseline_arg == NULL) {
        mprof_error("check: --update-baseline needs --baseline FILE to update");
        return -1;
    }
    return 0;
}

/* The path a FILE|INDEX argument means: itself when it names a file or is no number,
 * else the listing's entry (profiles.c). NULL after the error was printed. */
static bool check_is_index(const char *arg)
{
    char *end;
    errno = 0;
    (void)strtol(arg, &end, 10);
    return end != arg && *end == '\0' && errno == 0;
}

static char *check_resolve(const char *arg, char *error, size_t error_size)
{
    if (!check_is_index(arg) || access(arg, F_OK) == 0) {
        char *path = strdup(arg);
        if (path == NULL) {
            snprintf(error, error_size, "out of memory");
            mprof_error("%s", error);
        }
        return path;
    }
    char **paths;
    size_t path_count;
    char *args[] = { (char *)arg, NULL };
    if (profiles_select(1, args, false, &paths, &path_count) < 0) {
        snprintf(error, error_size, "%s: no such file, nor a .dat here by that index (mprof list)",
                 arg);
        return NULL;
    }
    char *path = strdup(paths[0]);
    profiles_free(paths, path_count);
    if (path == NULL) {
        snprintf(error, error_size, "out of memory");
        mprof_error("%s", error);
    }
    return path;
}

static bool check_same_file(const char *a, const char *b)
{
    struct stat first, second;
    return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev &&
           first.st_ino == second.st_ino;
}

/* Write the verdicts where they were asked for. Returns the exit status, raised to 2
 * when an output could not be written. */
static int check_tell(struct check_report *report, const struct check_arguments *arguments)
{
    int status = report->exit_status;
    if (arguments->junit_path != NULL) {
        FILE *junit = fopen(arguments->junit_path, "w");
        int written = junit != NULL ? check_junit_write(junit, report) : -1;
        int saved = errno;
        if (junit != NULL && fclose(junit) != 0 && written == 0) {
            written = -1;
            saved = errno;
        }
        if (written < 0) {
            mprof_error("%s: %s", arguments->junit_path, strerror(saved));
            status = CHECK_EXIT_INPUT;
        }
    }
    int written = arguments->json ? check_json_write(stdout, report)
                                  : check_text_write(stdout, report);
    if (written < 0 || fflush(stdout) != 0) {
        mprof_error("stdout: %s", strerror(errno));
        status = CHECK_EXIT_INPUT;
    }
    return status;
}

/* An input error: its line on stderr, and in the JSON and JUnit outputs when asked. */
static int check_fail_input(struct check_report *report, const struct check_arguments *arguments,
                            const char *error, bool printed)
{
    if (!printed)
        mprof_error("%s", error);
    report->outcome = NULL;
    report->error = error;
    report->exit_status = CHECK_EXIT_INPUT;
    check_tell(report, arguments);
    return CHECK_EXIT_INPUT;
}

static int check_run(const struct check_arguments *arguments, char *current_path,
                     char *baseline_path, struct check_report *report, char *error,
                     size_t error_size)
{
    struct dat_profile current, baseline;
    bool have_baseline = false;
    if (dat_read(current_path, &current, error, error_size) < 0)
        return check_fail_input(report, arguments, error, false);
    /* The baseline is read only to grow from: --update-baseline alone just replaces it
     * (a damaged one too). */
    if (baseline_path != NULL && !report->baseline_missing && arguments->request.max_growth_set) {
        if (dat_read(baseline_path, &baseline, error, error_size) < 0) {
            dat_free(&current);
            return check_fail_input(report, arguments, error, false);
        }
        have_baseline = true;
    }
    struct check_request request = arguments->request;
    uint64_t peak;
    if (report->baseline_missing) {
        /* Nothing to grow from yet (reported as skipped); but the file that becomes the
         * baseline must have the figure the next run's check needs. */
        request.max_growth_set = false;
        if (arguments->request.max_growth_set &&
            check_peak_bytes(&current, request.metric, &peak, error, error_size) < 0) {
            dat_free(&current);
            return check_fail_input(report, arguments, error, false);
        }
    }
    struct check_outcome outcome;
    if (check_evaluate(&request, &current, have_baseline ? &baseline : NULL, &outcome, error,
                       error_size) < 0) {
        check_outcome_free(&outcome);
        int status = check_fail_input(report, arguments, error, false);
        dat_free(&current);
        if (have_baseline)
            dat_free(&baseline);
        return status;
    }
    report->outcome = &outcome;
    report->exit_status = outcome.passed ? 0 : CHECK_EXIT_OVER;
    int status = report->exit_status;
    if (arguments->update_baseline) {
        if (!report->baseline_missing && check_same_file(current_path, baseline_path)) {
            report->baseline_update = CHECK_BASELINE_SAME;
        } else if (file_copy_atomic(current_path, baseline_path, error, error_size) < 0) {
            mprof_error("%s (the baseline is unchanged)", error);
            status = CHECK_EXIT_INPUT;
        } else {
            report->baseline_update = report->baseline_missing ? CHECK_BASELINE_CREATED
                                                               : CHECK_BASELINE_UPDATED;
        }
    }
    int told = check_tell(report, arguments);
    if (told != report->exit_status)
        status = told;
    check_outcome_free(&outcome);
    dat_free(&current);
    if (have_baseline)
        dat_free(&baseline);
    return status;
}

int cmd_check(int argc, char **argv)
{
    struct check_arguments arguments = { .request = { .metric = CHECK_METRIC_HEAP } };
    if (check_parse_arguments(argc, argv, &arguments) < 0)
        return CHECK_EXIT_INPUT;
    if (arguments.help) {
        fputs(check_usage, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (check_validate_arguments(&arguments) < 0)
        return CHECK_EXIT_INPUT;

    char error[DAT_ERROR_MAX];
    struct check_report report = { .current_path = arguments.current_arg,
                                   .baseline_path = arguments.baseline_arg,
                                   .request = &arguments.request };
    char *current_path = check_resolve(arguments.current_arg, error, sizeof error);
    if (current_path == NULL)
        return check_fail_input(&report, &arguments, error, true);
    report.current_path = current_path;
    char *baseline_path = NULL;
    if (arguments.baseline_arg != NULL) {
        /* A baseline that does not exist yet is the first run of a CI job: with
         * --update-baseline it is created; without, it is an input error. */
        report.baseline_missing = arguments.update_baseline &&
                                  !check_is_index(arguments.baseline_arg) &&
                                  access(arguments.baseline_arg, F_OK) != 0 && errno == ENOENT;
        baseline_path = report.baseline_missing
                            ? strdup(arguments.baseline_arg)
                            : check_resolve(arguments.baseline_arg, error, sizeof error);
        if (baseline_path == NULL) {
            free(current_path);
            if (report.baseline_missing)
                snprintf(error, sizeof error, "out of memory");
            return check_fail_input(&report, &arguments, error, !report.baseline_missing);
        }
        report.baseline_path = baseline_path;
    }
    int status = check_run(&arguments, current_path, baseline_path, &report, error, sizeof error);
    free(current_path);
    free(baseline_path);
    return status;
}
