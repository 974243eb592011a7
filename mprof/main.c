/*
 * main.c — mprof's entry point: one table of subcommands drives dispatch, `--help`
 * and the error for an unknown command. Adding a subcommand is one file plus one row.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "version.h"

struct command_entry {
    const char *name;
    int (*handler)(int argc, char **argv);
    const char *usage;   /* the arguments after the name */
    const char *summary; /* one line for `mprof --help` */
};

static const struct command_entry command_table[] = {
    { "run", cmd_run, "[options] PROGRAM|SCRIPT.py|-m MODULE [args...]",
      "run a program and record its memory over time in mprofile_*.dat" },
    { "attach", cmd_attach, "[options] PID|NAME",
      "record the memory of a running process (as mprof run --attach)" },
    { "plot", cmd_plot, "[options] [FILE|INDEX ...]",
      "plot the newest (or the given) .dat files with gnuplot" },
    { "report", cmd_report, "[--unit B|KiB|MiB] [--precision N] [--top N] [FILE|INDEX]",
      "print the @profile line tables (or the top lines) stored in a .dat" },
    { "list", cmd_list, "", "list the mprofile_*.dat files here, oldest first" },
    { "peak", cmd_peak, "[FILE|INDEX ...]", "print the peak RSS and heap of each file" },
    { "check", cmd_check,
      "FILE|INDEX [--max-peak SIZE] [--baseline FILE|INDEX --max-growth PCT|SIZE] "
      "[--max-leak SIZE] [--metric heap|rss] [--junit FILE] [--json] [--update-baseline]",
      "hold a run to a memory budget (for CI): exit 0 within it, 1 over, 2 bad input" },
    { "rm", cmd_rm, "[--dry-run] N|FILE ...", "remove .dat files by number or name" },
    { "clean", cmd_clean, "[--dry-run]", "remove every mprofile_*.dat file here" },
};

#define COMMAND_COUNT (sizeof(command_table) / sizeof(command_table[0]))

static void print_usage(FILE *out)
{
    fprintf(out, "usage: mprof COMMAND [ARGS...]\n\n"
                 "Memory profiler: heap and RSS over time, from inside the process.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        const struct command_entry *entry = &command_table[i];
        fprintf(out, "  mprof %s%s%s\n      %s\n", entry->name, entry->usage[0] ? " " : "",
                entry->usage, entry->summary);
    }
    fprintf(out, "\n`mprof COMMAND --help` describes a command's options.\n"
                 "`mprof --version` prints the version.\n");
}

static const struct command_entry *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(command_table[i].name, name) == 0)
            return &command_table[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            /* `mprof help run` is `mprof run --help`. */
            const struct command_entry *entry = find_command(argv[2]);
            if (entry == NULL) {
                mprof_error("%s: unknown command (see mprof --help)", argv[2]);
                return 2;
            }
            char *help_argv[] = { (char *)entry->name, "--help", NULL };
            return entry->handler(2, help_argv);
        }
        print_usage(stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("mprof %s\n", MPROF_VERSION);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    const struct command_entry *entry = find_command(name);
    if (entry == NULL) {
        if (name[0] == '-')
            mprof_error("%s: unknown option (see mprof --help)", name);
        else
            mprof_error("%s: unknown command (see mprof --help)", name);
        return 2;
    }
    /* memory_profiler's subcommands take --version too. run reads its own (what follows
     * the program is the program's); the others take only files and options. */
    if (strcmp(entry->name, "run") != 0)
        for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
            if (strcmp(argv[i], "--version") == 0) {
                printf("mprof %s\n", MPROF_VERSION);
                return fflush(stdout) == 0 ? 0 : 1;
            }
    return entry->handler(argc - 1, argv + 1);
}
