/*
 * cli.h — what the CLI's files share: the subcommand handlers and the one way the CLI
 * reports an error.
 *
 * Every handler takes the arguments after the subcommand name (argv[0] is the
 * subcommand itself) and returns the process exit status.
 */
#ifndef MPROF_CLI_H
#define MPROF_CLI_H

#include <stddef.h>

int cmd_run(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_peak(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Print "mprof: <formatted message>\n" on stderr. Callers name the input first:
 * mprof_error("%s: no such file", path). */
void mprof_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Make room for one more item in a malloc'd array of `item_size` items holding `count`:
 * doubles `*capacity` (from 16) when full. Returns 0, or -1 on overflow or no memory
 * (the array is then unchanged). */
int mprof_grow_array(void **items, size_t *capacity, size_t count, size_t item_size);

/* The path of the running mprof executable's directory (from /proc/self/exe), for
 * finding the library relative to it. Returns 0 or -1. */
int mprof_self_dir(char *dir, unsigned long dir_size);

#endif
