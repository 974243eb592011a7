/*
 * backend.h — what a .dat's MEM series holds: memory_profiler's `--backend` names, how
 * the CLI measures each, and the word a report or a plot gives it.
 *
 * The names are the original's. psutil (the default) and posix are the resident set
 * (RSS: psutil reads /proc/PID/statm, posix asks ps(1), which reads /proc/PID/stat);
 * psutil_pss and psutil_uss are the proportional and the unique set
 * (/proc/PID/smaps_rollup); tracemalloc, which memory_profiler takes from Python's
 * tracemalloc, is mprof's exact live heap here. A .dat says which in `MPROF backend`
 * when it is not the default.
 */
#ifndef MPROF_BACKEND_H
#define MPROF_BACKEND_H

enum backend {
    BACKEND_PSUTIL = 0,  /* RSS, the default */
    BACKEND_PSUTIL_PSS,  /* PSS */
    BACKEND_PSUTIL_USS,  /* USS: the private pages */
    BACKEND_POSIX,       /* RSS, as ps(1) reads it */
    BACKEND_TRACEMALLOC, /* the live heap the library counts */
};

/* The backend named `name` (memory_profiler's spelling). 0, or -1 when it names none. */
int backend_parse(const char *name, enum backend *backend);

/* Its name, as `--backend` and `MPROF backend` spell it. */
const char *backend_name(enum backend backend);

/* What its MEM values are, in a legend or a summary: "RSS", "PSS", "USS" or "heap". */
const char *backend_label(enum backend backend);

/* Whether its MEM values are the resident set, which the kernel's high-water mark
 * (VmHWM) and the library's own RSS samples can stand in for. */
int backend_is_rss(enum backend backend);

#endif
