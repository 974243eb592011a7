/*
 * run_output.h — the .dat a recording writes, opened before anything is recorded.
 */
#ifndef MPROF_RUN_OUTPUT_H
#define MPROF_RUN_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Open the .dat: `output_path` (-o, replaced), or when NULL the default name, which
 * never replaces a file (a taken name gets _2, _3, ... before ".dat"). The name goes to
 * `path`; *created says whether the file is new, and so ours to remove if the
 * recording cannot start. NULL after the one-line error. */
FILE *run_output_open(const char *output_path, char *path, size_t path_size, bool *created);

#endif
