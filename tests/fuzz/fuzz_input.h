/*
 * fuzz_input.h — what the fuzz targets share: a sink for what they print, and a file
 * holding one input, so a target reads it as a user's command would.
 */
#ifndef MPROF_FUZZ_INPUT_H
#define MPROF_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* /dev/null as a stream, opened once; everything a target prints goes there (the
 * printing is exercised, its text is not kept). Aborts when it cannot be opened. */
FILE *fuzz_sink(void);

/* `size` bytes of `data` as a file (a memfd, rewritten each time): its path, for the
 * readers that take one ("/proc/self/fd/N"). Aborts when it cannot be written. */
const char *fuzz_file(const uint8_t *data, size_t size);

#endif
