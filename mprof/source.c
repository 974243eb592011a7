/*
 * source.c — a source file's lines for @profile tables (contract in source.h).
 *
 * Invariant: line N here is the line CPython calls N (co_firstlineno, f_lineno), so
 * the ending rules are the tokenizer's: "\n", "\r\n", and a lone "\r".
 */
#include "source.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOURCE_MAX_BYTES (256u << 20) /* past this it is not a source file */

/* The file's bytes, NUL-terminated, in *text (*length without the NUL). */
static int source_slurp(const char *path, char **text, size_t *length)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        return -1;
    size_t capacity = 65536, used = 0;
    char *buffer = malloc(capacity);
    for (;;) {
        if (buffer == NULL) {
            fclose(in);
            errno = ENOMEM;
            return -1;
        }
        size_t got = fread(buffer + used, 1, capacity - used - 1, in);
        used += got;
        if (used < capacity - 1)
            break;
        if (capacity >= SOURCE_MAX_BYTES) {
            free(buffer);
            fclose(in);
            errno = EFBIG;
            return -1;
        }
        capacity *= 2;
        char *grown = realloc(buffer, capacity);
        if (grown == NULL)
            free(buffer);
        buffer = grown;
    }
    int failed = ferror(in);
    int saved = errno;
    fclose(in);
    if (failed) {
        free(buffer);
        errno = saved != 0 ? saved : EIO;
        return -1;
    }
    buffer[used] = '\0';
    *text = buffer;
    *length = used;
    return 0;
}

int source_read(const char *path, struct source_file *source)
{
    memset(source, 0, sizeof *source);
    char *text;
    size_t length;
    if (source_slurp(path, &text, &length) < 0)
        return -1;
    size_t count = 0;
    for (size_t i = 0; i < length; i++)
        if (text[i] == '\n' || (text[i] == '\r' && text[i + 1] != '\n'))
            count++;
    count++; /* the last line, with or without an ending */
    char **lines = malloc(count * sizeof *lines);
    if (lines == NULL) {
        free(text);
        errno = ENOMEM;
        return -1;
    }
    char *start = text;
    if (strncmp(start, "\xef\xbb\xbf", 3) == 0)
        start += 3;
    size_t line = 0;
    for (char *cursor = start; ; cursor++) {
        if (cursor == text + length) {
            if (cursor > start)  /* a last line without an ending */
                lines[line++] = start;
            break;
        }
        if (*cursor == '\n' || *cursor == '\r') {
            bool crlf = *cursor == '\r' && cursor[1] == '\n';
            *cursor = '\0';
            lines[line++] = start;
            if (crlf)
                cursor++;
            start = cursor + 1;
        }
    }
    source->text = text;
    source->lines = lines;
    source->line_count = line;
    return 0;
}

const char *source_line(const struct source_file *source, uint32_t number)
{
    if (number == 0 || number > source->line_count)
        return "";
    return source->lines[number - 1];
}

void source_free(struct source_file *source)
{
    free(source->text);
    free(source->lines);
    memset(source, 0, sizeof *source);
}
