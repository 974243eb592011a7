/*
 * proc.h — what the CLI learns from the OS about processes (through /proc) and about
 * executable files (their ELF headers). Everything Linux-specific that `mprof run`
 * needs sits behind these few functions.
 *
 * Error convention: 0 on success, -1 with errno set on failure.
 */
#ifndef MPROF_PROC_H
#define MPROF_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend.h"

/* The resident set size of `pid` in bytes (/proc/<pid>/statm, resident pages times the
 * page size: what psutil and so memory_profiler report). A zombie reads as 0.
 * Returns 0, or -1 when the process is gone or /proc cannot be read. */
int proc_rss_bytes(pid_t pid, uint64_t *rss_bytes);

/* Every live descendant of `root` (children, grandchildren, ...), found by scanning the
 * parent pid of each /proc/<pid>/stat. Zombies are left out: they hold no memory, and
 * their own children have been reparented already, and so is the calling process with
 * its own descendants (`mprof attach` to its shell). The pids come in ascending order
 * in a malloc'd array the caller frees (NULL when there are none).
 * Returns 0, or -1 when /proc cannot be listed. */
int proc_descendants(pid_t root, pid_t **pids, size_t *count);

/* What `backend` measures of `pid`, in bytes: RSS from /proc/<pid>/statm (psutil, and
 * tracemalloc, whose heap is not read here), RSS from /proc/<pid>/stat (posix, as ps
 * reads it), PSS or USS (every Private_* line, as psutil sums them) from
 * /proc/<pid>/smaps_rollup. A zombie reads as 0. Returns 0, or -1 when the process is
 * gone or the file cannot be read (EACCES: smaps_rollup is its owner's to read). */
int proc_memory_bytes(pid_t pid, enum backend backend, uint64_t *bytes);

/* The state letter of `pid` (R, S, Z, ...) from /proc/<pid>/stat. 0, or -1 when the
 * process is gone. */
int proc_state(pid_t pid, char *state);

/* When `pid` started, in clock ticks after boot (field 22 of /proc/<pid>/stat): with the
 * pid, it names one process, which a reused pid does not. 0, or -1 when it is gone. */
int proc_start_ticks(pid_t pid, unsigned long long *ticks);

/* The arguments `pid` was started with (/proc/<pid>/cmdline) as a NULL-terminated
 * array in one malloc'd block (free it alone); a kernel thread's, which has none, is
 * its name in brackets, as ps shows it. NULL with errno when it cannot be read. */
char **proc_cmdline_argv(pid_t pid);

/* The lowest pid but `skip` whose name contains `text`, the name being what psutil's
 * Process.name() gives: /proc/<pid>/comm, or when the kernel cut that to 15 bytes the
 * base name of argv[0] it begins. 0 and *pid, or -1 with errno ESRCH when none does. */
int proc_find_by_name(const char *text, pid_t skip, pid_t *pid);

/* Whether `pid` maps a file whose base name is `base_name` (/proc/<pid>/maps): 1 or
 * 0, or -1 when its maps cannot be read. */
int proc_maps_file(pid_t pid, const char *base_name);

enum proc_exe_kind {
    PROC_EXE_DYNAMIC, /* ELF with a PT_INTERP: the dynamic loader will honour LD_PRELOAD */
    PROC_EXE_STATIC,  /* ELF without PT_INTERP: no preload is possible */
    PROC_EXE_SCRIPT,  /* starts with "#!": the interpreter decides */
    PROC_EXE_OTHER,   /* anything else (execvp hands it to /bin/sh) */
};

/* What kind of executable the file at `path` is, from its first bytes and, for an ELF,
 * its program headers. Returns 0 and sets *kind, or -1 when the file cannot be read. */
int proc_exe_kind(const char *path, enum proc_exe_kind *kind);

#endif
