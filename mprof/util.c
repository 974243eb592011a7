/*
 * util.c — the CLI's single error reporter and small OS helpers shared by subcommands.
 */
#include <stdarg.h>
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
