/*
 * plot_cleanup.h — temporary files that a signal ending `mprof plot` removes.
 */
#ifndef MPROF_PLOT_CLEANUP_H
#define MPROF_PLOT_CLEANUP_H

/* From now on, SIGINT, SIGTERM, SIGHUP and SIGQUIT remove the files added, then end the
 * process as the signal would (a signal already ignored stays ignored). 0, or -1. */
int plot_cleanup_arm(void);
/* A file to remove on such a signal (at most three at once): 0, or -1 when full. */
int plot_cleanup_add(const char *path);
/* `path` is the user's now (renamed to its destination) or gone: leave it alone. */
void plot_cleanup_forget(const char *path);
/* The signals' previous dispositions back, and no file to remove. */
void plot_cleanup_disarm(void);

#endif
