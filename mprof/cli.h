/*
 * cli.h — the one way the CLI reports an error, and the small OS helper the program
 * lookup needs (util.c).
 */
#ifndef MPROF_CLI_H
#define MPROF_CLI_H

/* Print "mprof: <formatted message>\n" on stderr. Callers name the input first:
 * mprof_error("%s: no such file", path). */
void mprof_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* The path of the running mprof executable's directory (from /proc/self/exe), for
 * finding the library relative to it. Returns 0 or -1. */
int mprof_self_dir(char *dir, unsigned long dir_size);

#endif
