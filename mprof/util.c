/*
 * util.c — the CLI's single error reporter and small OS helpers shared by subcommands.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void mprof_error(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    fputs("mprof: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

int mprof_self_dir(char *dir, unsigned long dir_size)
{
    ssize_t length = readlink("/proc/self/exe", dir, dir_size - 1);
    if (length <= 0 || (unsigned long)length >= dir_size - 1)
        return -1;
    dir[length] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    return 0;
}

int mprof_grow_array(void **items, size_t *capacity, size_t count, size_t item_size)
{
    if (count < *capacity)
        return 0;
    size_t new_capacity = *capacity ? *capacity * 2 : 16;
    if (new_capacity > SIZE_MAX / item_size)
        return -1;
    void *grown = realloc(*items, new_capacity * item_size);
    if (grown == NULL)
        return -1;
    *items = grown;
    *capacity = new_capacity;
    return 0;
}
