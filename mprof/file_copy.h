/*
 * file_copy.h — replacing one file by a copy of another so that a reader never sees
 * half of it: the copy is written beside the destination and renamed over it.
 */
#ifndef MPROF_FILE_COPY_H
#define MPROF_FILE_COPY_H

#include <stddef.h>

/* Copy `source` over `destination` (created when absent) atomically: the bytes go to a
 * new file in the destination's directory, flushed to disk, which then replaces the
 * destination in one rename(2). The destination keeps its permissions (a new one gets
 * 0666 less the umask). Returns 0, or -1 with one line in `error` ("base.dat: ...");
 * on failure the destination is as it was and no temporary file is left. */
int file_copy_atomic(const char *source, const char *destination, char *error,
                     size_t error_size);

#endif
