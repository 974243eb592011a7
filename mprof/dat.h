/*
 * dat.h — memory_profiler's .dat text format: the model (dat.c), the reader
 * (dat_read.c), the writer (dat_write.c), the peaks (dat_peak.c; within a function's
 * calls, dat_func_peak.c), and finding the mprofile_*.dat files of a directory
 * (dat_list.c).
 *
 * Lines the original tool reads (memory_profiler 0.61):
 *   CMDLINE <command line>
 *   MEM <MiB %.6f> <epoch seconds %.4f>                 main process RSS (or sum with -C;
 *                                                       PSS, USS or heap by MPROF backend)
 *   CHLD <index> <MiB %.6f> <epoch %.4f>                one child's RSS (-M)
 *   FUNC <name> <MiB start> <t start> <MiB end> <t end> [<stack level>]
 * Lines it ignores (its reader skips unknown first words), which carry our extra data:
 *   HEAP <epoch %.4f> <bytes>                           main process live heap
 *   CHLDHEAP <index> <epoch %.4f> <bytes>               one child's live heap (-M)
 *   MPROF <key> <value>                                 metadata: version, interval,
 *                                                       exit_status, samples, heap_samples,
 *                                                       rss_peak_bytes / heap_peak_bytes
 *                                                       (the peaks, defined below),
 *                                                       rss_hwm_bytes (the main process's
 *                                                       VmHWM), library_interval_ns (when a
 *                                                       library sampled at another interval),
 *                                                       backend (what MEM holds when it is not
 *                                                       RSS: backend.h), attached_pid (mprof
 *                                                       attach: no exit_status), timeout (the
 *                                                       -t that ended the run)
 * (Before the peaks had one definition, rss_peak_bytes was the highest MEM sample; it is
 * never above the peak as defined now, so the reader takes old files as they are.)
 * (MPROF version 1 files had the heap in MiB before the epoch in HEAP and CHLDHEAP: it
 * was redundant, and the bytes it cost mattered for the output budget. The reader takes
 * both.)
 *   PROFILE_FUNC <pid> <id> <first line> <last line> <calls> <name> <file...>
 *                                                       one @profile-decorated function
 *   PROFILE_LINE <pid> <id> <line> <occurrences> <increment bytes> <mem usage bytes> <text...>
 *                                                       one line of it (every line of its
 *                                                       range; occurrences 0: never ran)
 *   TOP <rank> <live bytes> <live blocks> <allocations> <line> <function> <file...>
 *                                                       whole program: a line holding heap
 *                                                       at the peak (main process)
 * In those three the last field runs to the end of the line and keeps its spaces and
 * tabs (source text keeps its indentation). Text fields are escaped so that every line
 * stays one line of valid UTF-8 for the original's text-mode reader: a backslash is
 * written "\\", and a control character other than tab, DEL, or a byte that is not part
 * of valid UTF-8 is written "\xHH"; in the one-token fields (<name>, <function>) space
 * and tab are written "\x20" and "\x09" too. The reader undoes exactly that.
 *
 * Error convention: functions returning int give 0 on success and -1 on failure; on
 * failure they have filled `error` (when given) with one line, without the "mprof: "
 * prefix, e.g. "mprofile_x.dat: line 7: MEM needs <MiB> <time>".
 */
#ifndef MPROF_DAT_H
#define MPROF_DAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backend.h"

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

struct dat_profiled_line {   /* PROFILE_LINE */
    uint32_t line;
    uint64_t occurrences;        /* 0: the line never ran (blank cells in the table) */
    int64_t increment_bytes;     /* net heap change while it ran */
    int64_t mem_usage_bytes;     /* live heap after it, max over its runs */
    char *contents;              /* the source text, never NULL ("" when unknown) */
};

struct dat_profiled_function {  /* PROFILE_FUNC and the PROFILE_LINEs that follow it */
    int pid;
    uint32_t id;                 /* unique within its pid */
    uint32_t first_line, last_line;
    uint32_t call_count;
    char *name;                  /* module.qualname */
    char *bracket_name;          /* its FUNC lines' name (module.name, as memory_profiler
                                  * names them) when another; NULL: name. The recorder's
                                  * only: the .dat keeps it in the FUNC lines alone */
    char *filename;              /* as the interpreter named it; "" when unknown */
    struct dat_profiled_line *lines;  /* ascending by line */
    size_t line_count;
};

struct dat_top_site {        /* TOP */
    uint32_t rank;               /* 1 = holds the most */
    int64_t live_bytes;
    uint64_t live_blocks;
    uint64_t alloc_count;
    uint32_t line;
    char *function;
    char *filename;
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
    struct dat_profiled_function *profiled;  /* in file order (the order first called) */
    size_t profiled_count;
    struct dat_top_site *top_sites;          /* in file order (by rank) */
    size_t top_site_count;
    /* How whole the file is (dat_profile_whole). */
    size_t line_count;      /* lines read */
    size_t end_line;        /* the line of the last MPROF end, 0 when there is none */
    uint64_t end_offset;    /* the bytes before that line */
    bool last_line_cut;     /* the last line had no newline at its end */
    char *cut_short;        /* dat_read_valid_part only: why it stopped before the end
                             * ("line 12: ..."), the lines before kept; else NULL */
};

/* Read a whole .dat. Rejects an empty file, a line that is not one of the forms above
 * (unknown first words are kept out, as the original does, but a known word with bad
 * fields is an error naming the line), and a file with no MEM line. On failure nothing
 * needs freeing. */
int dat_read(const char *path, struct dat_profile *profile, char *error, size_t error_size);
void dat_free(struct dat_profile *profile);

/* As dat_read, but a line that is not valid ends the reading instead of failing it: the
 * lines before it are kept and profile->cut_short says which line and why (a
 * truncated file can still be plotted). It fails as dat_read does when what comes
 * before holds no profile (no MEM line). */
int dat_read_valid_part(const char *path, struct dat_profile *profile, char *error,
                        size_t error_size);

/* Whether the file is a whole profile: read to its end (not cut short at a bad line),
 * and, when mprof wrote it (MPROF version), ending with the MPROF end line that gives
 * the bytes before it (version 3; "-" when the file was a pipe), or with the closing
 * MPROF lines of version 2. A file
 * memory_profiler wrote has no end to check. When it is not, 0 and *why says what is
 * missing ("ends at line 12 without ..."); 1 when it is. */
int dat_profile_whole(const struct dat_profile *profile, char *why, size_t why_size);

/*
 * The peaks: one definition each, used by every command that shows one (mprof run's
 * closing line, mprof peak, the plot's marker) and by the MPROF lines mprof run writes.
 *
 * A peak is the true one as far as the run saw it: the higher of the highest sample and
 * the high-water mark the process kept itself, which also sees the peaks between two
 * samples (the kernel's VmHWM for RSS; the library's own mark for the heap, to within
 * 256 KiB of allocation per thread). A file without MPROF peaks (memory_profiler's) has
 * only its samples, so its peak is the highest sample.
 *   - peak RSS:  max(highest MEM, MPROF rss_peak_bytes, MPROF rss_hwm_bytes).
 *   - peak heap: max(highest HEAP, MPROF heap_peak_bytes).
 * Under -C, MEM and HEAP are the sums over the process tree, and high-water marks do not
 * sum: the main process's mark is a floor under the tree's peak, never more, so the
 * same max is still the best the run knows (and is what mprof run writes).
 * A child (CHLD, CHLDHEAP, with -M) has its own marks when its library sent them
 * (MPROF child_peak <index> <rss bytes> <heap bytes>): its peak is the same max
 * (dat_child_peak_*); without them, its highest sample (dat_series_peak_*).
 * The time of a peak is that of the highest sample (the first of equal ones): a mark
 * above it was reached between samples, around then.
 */

/* The one rule both sides apply: the higher of a series' highest sample and the
 * high-water mark the process kept (0 when there is none). */
uint64_t dat_peak_combine(uint64_t highest_sample_bytes, uint64_t high_water_mark_bytes);

/* Peak RSS in MiB (see above); -1.0 with *peak_time_s = 0 when there is no MEM line. */
double dat_peak_mem_mib(const struct dat_profile *profile, double *peak_time_s);
/* Peak live heap in bytes (see above); 0 with *peak_time_s = 0 when there is no HEAP
 * line and no MPROF heap_peak_bytes. */
uint64_t dat_peak_heap_bytes(const struct dat_profile *profile, double *peak_time_s);

/* The highest sample of one series (a child's CHLD or CHLDHEAP), the first of equal
 * ones, with its time; -1.0 / 0 with *peak_time_s = 0 for an empty series. */
double dat_series_peak_mem_mib(const struct dat_sample *samples, size_t count,
                               double *peak_time_s);
uint64_t dat_series_peak_heap_bytes(const struct dat_heap_sample *samples, size_t count,
                                    double *peak_time_s);

/* A child's own high-water marks (MPROF child_peak): 1 with both set, or 0 when the
 * file has none for `index`. */
int dat_child_marks(const struct dat_profile *profile, int index, uint64_t *rss_bytes,
                    uint64_t *heap_bytes);
/* A child's peaks: the higher of its highest sample and its mark (-1.0 / 0, and
 * *peak_time_s = 0, for a series with neither). */
double dat_child_peak_mem_mib(const struct dat_profile *profile, const struct dat_child *child,
                              double *peak_time_s);
uint64_t dat_child_peak_heap_bytes(const struct dat_profile *profile,
                                   const struct dat_child *child, double *peak_time_s);

/*
 * The peak within one function's calls (dat_func_peak.c), for `mprof peak --func`: as
 * memory_profiler 0.61 defines it, the highest sample whose time lies within one of the
 * FUNC spans of that name, both ends included (start <= t <= end). Only samples count
 * (a high-water mark has no time to place it inside a call).
 */
struct dat_func_spans {
    double *start_s, *end_s;  /* the calls' spans merged: disjoint, ascending; a call
                               * written end first has none (it holds no sample) */
    size_t span_count;
    size_t call_count;        /* FUNC lines of the name; 0: the file has none */
    double total_s;           /* the calls' durations summed (nested calls each count;
                               * one written end first counts 0) */
};

/* The spans of the FUNC lines named `name` (compared exactly, as the original does).
 * 0 (call_count may be 0: no such function), or -1 when out of memory (nothing to
 * free). Free with dat_func_spans_free(). */
int dat_func_spans_of(const struct dat_profile *profile, const char *name,
                      struct dat_func_spans *spans);
void dat_func_spans_free(struct dat_func_spans *spans);
/* Whether `time_s` lies within a span, ends included. */
bool dat_func_spans_cover(const struct dat_func_spans *spans, double time_s);
/* The highest MEM-like sample within the spans (the first of equal ones), with its
 * time; -1.0 and *peak_time_s = 0 when no sample falls within them. */
double dat_func_spans_peak_mem_mib(const struct dat_func_spans *spans,
                                   const struct dat_sample *samples, size_t count,
                                   double *peak_time_s);
/* The highest HEAP-like sample within the spans: true with *peak_bytes and its time, or
 * false (0, 0) when none falls within them. */
bool dat_func_spans_peak_heap_bytes(const struct dat_func_spans *spans,
                                    const struct dat_heap_sample *samples, size_t count,
                                    uint64_t *peak_bytes, double *peak_time_s);

/* The value of `MPROF key` as an unsigned number (the last such line wins). Returns 1
 * and sets *value, or 0 when the file has no such line or it is not a number. */
int dat_meta_u64(const struct dat_profile *profile, const char *key, uint64_t *value);
/* What the profile's MEM values are, from its `MPROF backend` (backend.h): "RSS" (no
 * such line: the default, and every file of memory_profiler's own), "PSS", "USS" or
 * "heap", for legends and labels. */
const char *dat_mem_label(const struct dat_profile *profile);
/* The backend of its `MPROF backend` line (BACKEND_PSUTIL without one, or for a name
 * this build does not know). */
enum backend dat_backend(const struct dat_profile *profile);
/* The rest of the first `MPROF key` value that starts with `prefix` (a notice the run
 * printed, say), or NULL. The text is the profile's. */
const char *dat_meta_text_prefixed(const struct dat_profile *profile, const char *key,
                                   const char *prefix);

/* Writers: one line each, flushed, so a crash of the CLI's caller loses nothing written.
 * Return 0, or -1 with errno set by stdio. `cmdline` newlines are written as spaces. */
int dat_write_cmdline(FILE *out, const char *cmdline);
int dat_write_mem(FILE *out, double mem_mib, double time_s);
int dat_write_heap(FILE *out, uint64_t heap_bytes, double time_s);
int dat_write_child_mem(FILE *out, int index, double mem_mib, double time_s);
int dat_write_child_heap(FILE *out, int index, uint64_t heap_bytes, double time_s);
int dat_write_func(FILE *out, const struct dat_func *func);
int dat_write_meta(FILE *out, const char *key, const char *value);
/* PROFILE_FUNC for `function` (its lines are not written). */
int dat_write_profiled_function(FILE *out, const struct dat_profiled_function *function);
/* PROFILE_LINE for one line of the function (pid, id). */
int dat_write_profiled_line(FILE *out, int pid, uint32_t id, const struct dat_profiled_line *line);
/* The PROFILE_FUNC line and one PROFILE_LINE per entry of function->lines. */
int dat_write_profiled(FILE *out, const struct dat_profiled_function *function);
int dat_write_top_site(FILE *out, const struct dat_top_site *site);

/* After a write failed (a full disk), cut the regular file at `path` back to the end
 * of its last whole line, so that it reads as the lines before (dat_read_valid_part)
 * rather than ending in a line cut anywhere. *kept_bytes is its size after. Anything
 * but a regular file is left as it is. 0, or -1 with errno. */
int dat_cut_to_whole_lines(const char *path, uint64_t *kept_bytes);

/* Release what one profiled function holds (not the struct itself). */
void dat_free_profiled_function(struct dat_profiled_function *function);
void dat_free_top_site(struct dat_top_site *site);

/* The pid whose tables come first: `MPROF main_pid`, else the first PROFILE_FUNC's pid,
 * else 0. */
int dat_main_pid(const struct dat_profile *profile);

/* The mprofile_*.dat files of `dir`, oldest first (by the timestamp in the name, then
 * by name), as malloc'd names without the directory. Returns 0 (count may be 0) or -1. */
int dat_list_files(const char *dir, char ***names, size_t *count, char *error, size_t error_size);
void dat_free_list(char **names, size_t count);

/* "mprofile_YYYYMMDDhhmmss.dat" for the local time `now` into `name`. */
void dat_default_name(char *name, size_t name_size, long now);

#define DAT_BYTES_PER_MIB 1048576.0

/* The rows of @profile tables that no PROFILE_LINE gives (lines of a function's range
 * that no line of the file, or no LINE record of the run, stands for), at most, over a
 * whole file. A table prints every line of its function's range, and a range is two
 * 32-bit numbers: 0..4294967295 in one 40-byte line would print for ever. The lines a
 * file gives are its own size; the lines it does not give are bounded by what a source
 * holds: a million lines is more than any decorated functions of one program span
 * (the largest Python sources, generated tables, run to some hundred thousand), and
 * prints in under a second. mprof writes every line of a range, so its own files
 * have none such. */
#define DAT_UNGIVEN_ROWS_MAX 1000000u

#endif
