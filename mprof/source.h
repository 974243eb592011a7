/*
 * source.h — the lines of a source file, numbered as the interpreter numbers them, for
 * the Line Contents column of @profile tables.
 *
 * Lines end at "\n", "\r\n" or a lone "\r" (CPython's tokenizer and linecache read
 * source with universal newlines), the ending is dropped, tabs and every other byte are
 * kept, and a UTF-8 byte order mark before line 1 is dropped (linecache decodes with
 * utf-8-sig). Encodings other than UTF-8 are passed through as bytes.
 *
 * Error convention: 0 on success, -1 with errno on failure.
 */
#ifndef MPROF_SOURCE_H
#define MPROF_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct source_file {
    char *text;          /* the whole file, split in place at line ends */
    char **lines;        /* lines[0] is line 1 */
    size_t line_count;
};

/* Read `path` whole. On failure nothing needs freeing. */
int source_read(const char *path, struct source_file *source);

/* Line `number` (1-based) without its ending; "" when the file has no such line. */
const char *source_line(const struct source_file *source, uint32_t number);

void source_free(struct source_file *source);

#endif
