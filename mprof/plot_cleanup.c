/*
 * plot_cleanup.c — what `mprof plot` leaves behind if a signal ends it: nothing.
 *
 * While it plots, the CLI holds up to three temporary files (the data gnuplot reads, the
 * picture beside its destination until the final rename, and for a JPEG the PNG it is
 * re-encoded from) and a gnuplot child. A
 * SIGINT, SIGTERM, SIGHUP or SIGQUIT removes the files and then ends the CLI as the
 * signal would have; gnuplot dies with it (its parent-death signal, set in
 * gnuplot_run.c), SIGKILL of the CLI included. The paths are copied into static
 * buffers: a signal handler may only read what needs no allocation.
 */
#include "plot_cleanup.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define CLEANUP_PATHS    3
#define CLEANUP_PATH_MAX 4096

static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define CLEANUP_SIGNAL_COUNT (sizeof cleanup_signals / sizeof cleanup_signals[0])

static char cleanup_paths[CLEANUP_PATHS][CLEANUP_PATH_MAX];
static volatile sig_atomic_t cleanup_path_set[CLEANUP_PATHS];
static struct sigaction cleanup_previous[CLEANUP_SIGNAL_COUNT];
static int cleanup_armed;

static void plot_cleanup_on_signal(int signal_number)
{
    for (int i = 0; i < CLEANUP_PATHS; i++)
        if (cleanup_path_set[i])
            unlink(cleanup_paths[i]);
    /* End as the signal would have: the default action, raised again. */
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal_number, &fallback, NULL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal_number);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(signal_number);
}

int plot_cleanup_arm(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = plot_cleanup_on_signal;
    sigfillset(&action.sa_mask);  /* one cleanup at a time */
    for (size_t i = 0; i < CLEANUP_SIGNAL_COUNT; i++) {
        struct sigaction previous;
        if (sigaction(cleanup_signals[i], NULL, &previous) != 0)
            return -1;
        /* A signal the shell had us ignore (nohup, a background job's SIGINT) stays so. */
        if (previous.sa_handler == SIG_IGN) {
            cleanup_previous[i] = previous;
            continue;
        }
        if (sigaction(cleanup_signals[i], &action, &cleanup_previous[i]) != 0)
            return -1;
    }
    cleanup_armed = 1;
    return 0;
}

int plot_cleanup_add(const char *path)
{
    size_t length = strlen(path);
    for (int i = 0; i < CLEANUP_PATHS; i++) {
        if (cleanup_path_set[i] || length >= CLEANUP_PATH_MAX)
            continue;
        memcpy(cleanup_paths[i], path, length + 1);
        cleanup_path_set[i] = 1;
        return 0;
    }
    return -1;
}

void plot_cleanup_forget(const char *path)
{
    for (int i = 0; i < CLEANUP_PATHS; i++)
        if (cleanup_path_set[i] && strcmp(cleanup_paths[i], path) == 0)
            cleanup_path_set[i] = 0;
}

void plot_cleanup_disarm(void)
{
    if (cleanup_armed)
        for (size_t i = 0; i < CLEANUP_SIGNAL_COUNT; i++)
            sigaction(cleanup_signals[i], &cleanup_previous[i], NULL);
    cleanup_armed = 0;
    for (int i = 0; i < CLEANUP_PATHS; i++)
        cleanup_path_set[i] = 0;
}
