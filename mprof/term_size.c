/*
 * term_size.c — the size of the terminal a text plot is drawn for (contract in
 * term_size.h). The one place the CLI asks the tty driver anything.
 */
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "term_size.h"

/* $name as a size: a whole number from 1 to 1000, else 0. */
static int term_size_from_env(const char *name)
{
    const char *value = getenv(name);
    if (value == NULL || *value == '\0')
        return 0;
    char *end;
    long size = strtol(value, &end, 10);
    return (*end == '\0' && size > 0 && size <= 1000) ? (int)size : 0;
}

void term_size_get(int fd, int *columns, int *lines)
{
    *columns = 0;
    *lines = 0;
    struct winsize size;
    /* A terminal that was never told its size (a bare pty) answers 0 x 0. */
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &size) == 0) {
        *columns = size.ws_col;
        *lines = size.ws_row;
    }
    if (*columns == 0)
        *columns = term_size_from_env("COLUMNS");
    if (*lines == 0)
        *lines = term_size_from_env("LINES");
}
