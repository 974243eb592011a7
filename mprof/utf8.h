/*
 * utf8.h — the one UTF-8 check of the CLI, shared by the .dat writer (which escapes what
 * is not UTF-8) and the gnuplot quoting (which replaces it).
 */
#ifndef MPROF_UTF8_H
#define MPROF_UTF8_H

#include <stddef.h>

/* The length (1 to 4) of the valid UTF-8 sequence at `text`, as Python's strict decoder
 * takes it: no overlong form, no surrogate, nothing above U+10FFFF; or 0 when the byte
 * there does not start one. `text` is NUL-terminated and a NUL is never a continuation
 * byte, so a sequence cut by the end of the text is 0, never a read past it. */
size_t utf8_sequence_length(const unsigned char *text);

#endif
