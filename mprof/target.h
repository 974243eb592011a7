/*
 * target.h — the program `mprof run` is asked to run, resolved before anything runs:
 * its path, its argv, its command line as the .dat records it, and the library that
 * will be preloaded into it.
 *
 * Error convention: the int functions return 0, or print one `mprof: <input>: <why>`
 * line and return the shell's exit status for it (SPAWN_EXIT_*) or -1 as each says.
 */
#ifndef MPROF_TARGET_H
#define MPROF_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "spawn.h"  /* SPAWN_EXIT_*: the statuses the int functions return */

#define TARGET_PYTHON         "python3"

/* The program as the command line gave it. */
struct target_spec {
    const char *module;       /* -m MODULE, or NULL */
    char **args;              /* the program (or the module's) arguments, as given */
    int arg_count;
    bool python, nopython;    /* --python, --nopython */
};

/* Find `name` as execvp would: as given when it has a slash, else on PATH. Fills
 * `path` and returns 0, or prints why not and returns SPAWN_EXIT_*. */
int target_find_program(const char *name, char *path, size_t path_size);

/* A script handed to python3 must be there and readable. 0, or prints why not and
 * returns SPAWN_EXIT_*. */
int target_check_script(const char *script);

/* The argv the target is executed with: python3 in front of a script (or of -m MODULE,
 * or of -m NAME for --python NAME when NAME is no file: a module), as the original does; *is_python says whether python3 was put there. Returns a
 * malloc'd NULL-terminated array of borrowed strings, or NULL out of memory. */
char **target_argv(const struct target_spec *options, bool *is_python);

/* The command line as a POSIX shell would take it back (pasted, it runs the same
 * program with the same arguments): arguments that need it in single quotes. malloc'd,
 * or NULL out of memory. */
char *target_cmdline(char **argv);

/* The library's absolute path: $MPROF_LIBRARY, else ../lib/mprof/libmprof.so beside
 * this executable (the build tree and an install tree have the same shape); it must be
 * one LD_PRELOAD can carry. Returns 0, or prints why not and returns -1. */
int target_find_library(char *path, size_t path_size);

#endif
