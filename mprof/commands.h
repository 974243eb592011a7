/*
 * commands.h — the subcommand handlers, one per cmd_*.c file, that main.c's table
 * dispatches to.
 *
 * Every handler takes the arguments after the subcommand name (argv[0] is the
 * subcommand itself) and returns the process exit status.
 */
#ifndef MPROF_COMMANDS_H
#define MPROF_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_peak(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
