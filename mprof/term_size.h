/*
 * term_size.h — how big the terminal a text plot goes to is (term_size.c).
 *
 * Shells keep $COLUMNS and $LINES to themselves (they are not exported), so the terminal
 * is asked first; the variables serve where there is no terminal to ask (a pipe, a CI
 * log) and someone set them on purpose.
 */
#ifndef MPROF_TERM_SIZE_H
#define MPROF_TERM_SIZE_H

/* The size, in character cells, of what `fd` writes to: the terminal's own (TIOCGWINSZ)
 * when `fd` is a terminal that knows it; else $COLUMNS and $LINES, each a number from 1
 * to 1000; else 0. Each of *columns and *lines is set on its own: 0 where none of the
 * three says, for the caller's default. */
void term_size_get(int fd, int *columns, int *lines);

#endif
