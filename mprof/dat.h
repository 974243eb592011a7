/*
 * dat.h — memory_profiler's .dat text format: the model, the reader, the writer, and
 * finding the mprofile_*.dat files of a directory.
 *
 * Lines the original tool reads (memory_profiler 0.61):
 *   CMDLINE <command line>
 *   MEM <MiB %.6f> <epoch seconds %.4f>                 main process RSS (or sum with -C)
 *   CHLD <index> <MiB %.6f> <epoch %.4f>                one child's RSS (-M)
 *   FUNC <name> <MiB start> <t start> <MiB end> <t end> [<stack level>]
 * Lines it ignores (its reader skips unknown first words), which carry our extra data:
 *   HEAP <MiB %.6f> <epoch %.4f> <bytes>                main process live heap
 *   CHLDHEAP <index> <MiB %.6f> <epoch %.4f> <bytes>    one child's live heap (-M)
 *   MPROF <key> <value>                                 metadata (version, interval, ...)
 *
 * Error convention: functions returning int give 0 on success and -1 on failure; on
 * failure they have filled `error` (when given) with one line, without the "mprof: "
 * prefix, e.g. "mprofile_x.dat: line 7: MEM needs <MiB> <time>".
 */
#ifndef MPROF_DAT_H
#define MPROF_DAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DAT_ERROR_MAX 512

struct dat_sample {        /* MEM and CHLD */
    double time_s;         /* seconds since the epoch */
    double mem_mib;
};

struct dat_heap_sample {   /* HEAP and CHLDHEAP */
    double time_s;
    uint64_t heap_bytes;
};

struct dat_func {          /* FUNC */
    char *name;
    double mem_start_mib, start_s, mem_end_mib, end_s;
    int stack_level;       /* -1 when the line had none */
};

struct dat_child {         /* one child index's CHLD and CHLDHEAP series */
    int index;
    struct dat_sample *mem;
    size_t mem_count;
    struct dat_heap_sample *heap;
    size_t heap_count;
};

struct dat_meta {          /* MPROF <key> <value> */
    char *key;
    char *value;
};

struct dat_profile {
    char *path;            /* as given to dat_read */
    char *cmdline;         /* NULL when the file had no CMDLINE */
    struct dat_sample *mem;
    size_t mem_count;
    struct dat_heap_sample *heap;
    size_t heap_count;
    struct dat_child *children;   /* in order of first appearance */
    size_t child_count;
    struct dat_func *funcs;       /* in file order */
    size_t func_count;
    struct dat_meta *meta;
    size_t meta_count;
};

/* Read a whole .dat. Rejects an empty file, a line that is not one of the forms above
 * (unknown first words are kept out, as the original does, but a known word with bad
 * fields is an error naming the line), and a file with no MEM line. On failure nothing
 * needs freeing. */
int dat_read(const char *path, struct dat_profile *profile, char *error, size_t error_size);
void dat_free(struct dat_profile *profile);

/* Peaks over a profile; -1.0 / 0 with *_time_s = 0 when there is no such series. */
double dat_peak_mem_mib(const struct dat_profile *profile, double *peak_time_s);
uint64_t dat_peak_heap_bytes(const struct dat_profile *profile, double *peak_time_s);

/* Writers: one line each, flushed, so a crash of the CLI's caller loses nothing written.
 * Return 0, or -1 with errno set by stdio. `cmdline` newlines are written as spaces. */
int dat_write_cmdline(FILE *out, const char *cmdline);
int dat_write_mem(FILE *out, double mem_mib, double time_s);
int dat_write_heap(FILE *out, uint64_t heap_bytes, double time_s);
int dat_write_child_mem(FILE *out, int index, double mem_mib, double time_s);
int dat_write_child_heap(FILE *out, int index, uint64_t heap_bytes, double time_s);
int dat_write_func(FILE *out, const struct dat_func *func);
int dat_write_meta(FILE *out, const char *key, const char *value);

/* The mprofile_*.dat files of `dir`, oldest first (by the timestamp in the name, then
 * by name), as malloc'd names without the directory. Returns 0 (count may be 0) or -1. */
int dat_list_files(const char *dir, char ***names, size_t *count, char *error, size_t error_size);
void dat_free_list(char **names, size_t count);

/* "mprofile_YYYYMMDDhhmmss.dat" for the local time `now` into `name`. */
void dat_default_name(char *name, size_t name_size, long now);

#define DAT_BYTES_PER_MIB 1048576.0

#endif
