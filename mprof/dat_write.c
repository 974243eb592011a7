/*
 * dat_write.c — the .dat's line writers (contract in dat.h).
 *
 * Invariant: whatever is written here, the reader (dat_read.c) and the original tool's
 * reader (mprof.py's read_mprofile_file, which splits on single spaces and skips unknown
 * first words) both read back. So every field is a single space-free token except
 * CMDLINE's and MPROF's value and the last field of PROFILE_FUNC, PROFILE_LINE and TOP,
 * which run to the end of the line and never contain a newline. Each line is flushed,
 * so a crash of the CLI loses nothing written.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dat.h"
#include "utf8.h"

static int dat_finish_line(FILE *out, int printed)
{
    if (printed < 0)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

/* Write `text` with each character that would end or split a field replaced:
 * newlines always (they would end the line), and spaces too when `token` (a FUNC name or
 * MPROF key must stay one field for the original's split(' ')). */
static int dat_put_sanitized(FILE *out, const char *text, bool token)
{
    for (const char *c = text; *c != '\0'; c++) {
        char put = *c;
        if (put == '\n' || put == '\r')
            put = token ? '_' : ' ';
        else if (token && (put == ' ' || put == '\t'))
            put = '_';
        if (putc(put, out) == EOF)
            return -1;
    }
    return 0;
}

int dat_write_cmdline(FILE *out, const char *cmdline)
{
    if (fputs("CMDLINE ", out) == EOF || dat_put_sanitized(out, cmdline, false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

int dat_write_mem(FILE *out, double mem_mib, double time_s)
{
    return dat_finish_line(out, fprintf(out, "MEM %.6f %.4f\n", mem_mib, time_s));
}

int dat_write_heap(FILE *out, uint64_t heap_bytes, double time_s)
{
    return dat_finish_line(out, fprintf(out, "HEAP %.4f %llu\n", time_s,
                                        (unsigned long long)heap_bytes));
}

int dat_write_child_mem(FILE *out, int index, double mem_mib, double time_s)
{
    return dat_finish_line(out, fprintf(out, "CHLD %d %.6f %.4f\n", index, mem_mib, time_s));
}

int dat_write_child_heap(FILE *out, int index, uint64_t heap_bytes, double time_s)
{
    return dat_finish_line(out, fprintf(out, "CHLDHEAP %d %.4f %llu\n", index, time_s,
                                        (unsigned long long)heap_bytes));
}

int dat_write_func(FILE *out, const struct dat_func *func)
{
    const char *name = func->name != NULL && func->name[0] != '\0' ? func->name : "?";
    if (fputs("FUNC ", out) == EOF || dat_put_sanitized(out, name, true) < 0)
        return -1;
    int printed = fprintf(out, " %.4f %.4f %.4f %.4f", func->mem_start_mib, func->start_s,
                          func->mem_end_mib, func->end_s);
    if (printed >= 0 && func->stack_level >= 0)
        printed = fprintf(out, " %d", func->stack_level);
    if (printed >= 0 && putc('\n', out) == EOF)
        printed = -1;
    return dat_finish_line(out, printed);
}

int dat_write_meta(FILE *out, const char *key, const char *value)
{
    if (fputs("MPROF ", out) == EOF || dat_put_sanitized(out, key, true) < 0 ||
        putc(' ', out) == EOF || dat_put_sanitized(out, value, false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

/* Write `text` escaped as dat.h describes; with `token`, spaces and tabs too, and an
 * empty text as "?" so that the field is still there. */
static int dat_put_escaped(FILE *out, const char *text, bool token)
{
    if (token && text[0] == '\0')
        return putc('?', out) == EOF ? -1 : 0;
    const unsigned char *cursor = (const unsigned char *)text;
    while (*cursor != '\0') {
        unsigned char c = *cursor;
        size_t length = utf8_sequence_length(cursor);
        int status;
        if (c == '\\')
            status = fputs("\\\\", out);
        else if (length == 0 || c == 0x7f || (c < 0x20 && c != '\t') ||
                 (token && (c == ' ' || c == '\t')))
            status = fprintf(out, "\\x%02x", c);
        else
            status = fwrite(cursor, 1, length, out) == length ? 0 : EOF;
        if (status < 0)
            return -1;
        cursor += length > 0 ? length : 1;
    }
    return 0;
}

int dat_write_profiled_function(FILE *out, const struct dat_profiled_function *function)
{
    if (fprintf(out, "PROFILE_FUNC %d %u %u %u %u ", function->pid, function->id,
                function->first_line, function->last_line, function->call_count) < 0 ||
        dat_put_escaped(out, function->name != NULL ? function->name : "", true) < 0 ||
        putc(' ', out) == EOF ||
        dat_put_escaped(out, function->filename != NULL ? function->filename : "", false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

/* One PROFILE_LINE, not flushed (a function's lines are flushed together). */
static int dat_put_profiled_line(FILE *out, int pid, uint32_t id,
                                 const struct dat_profiled_line *line)
{
    if (fprintf(out, "PROFILE_LINE %d %u %u %" PRIu64 " %" PRId64 " %" PRId64 " ", pid, id,
                line->line, line->occurrences, line->increment_bytes,
                line->mem_usage_bytes) < 0 ||
        dat_put_escaped(out, line->contents != NULL ? line->contents : "", false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return 0;
}

int dat_write_profiled_line(FILE *out, int pid, uint32_t id, const struct dat_profiled_line *line)
{
    if (dat_put_profiled_line(out, pid, id, line) < 0)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

int dat_write_profiled(FILE *out, const struct dat_profiled_function *function)
{
    if (dat_write_profiled_function(out, function) < 0)
        return -1;
    for (size_t i = 0; i < function->line_count; i++)
        if (dat_put_profiled_line(out, function->pid, function->id, &function->lines[i]) < 0)
            return -1;
    return fflush(out) == 0 ? 0 : -1;
}

int dat_write_top_site(FILE *out, const struct dat_top_site *site)
{
    if (fprintf(out, "TOP %u %" PRId64 " %" PRIu64 " %" PRIu64 " %u ", site->rank,
                site->live_bytes, site->live_blocks, site->alloc_count, site->line) < 0 ||
        dat_put_escaped(out, site->function != NULL ? site->function : "", true) < 0 ||
        putc(' ', out) == EOF ||
        dat_put_escaped(out, site->filename != NULL ? site->filename : "", false) < 0 ||
        putc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

int dat_cut_to_whole_lines(const char *path, uint64_t *kept_bytes)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    struct stat status;
    if (fd < 0 || fstat(fd, &status) < 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        errno = saved;
        return -1;
    }
    off_t end = status.st_size;
    *kept_bytes = (uint64_t)end;
    if (!S_ISREG(status.st_mode)) {
        close(fd);
        return 0;
    }
    /* Back from the end, a block at a time, to the last newline. */
    char block[4096];
    while (end > 0) {
        off_t start = end > (off_t)sizeof block ? end - (off_t)sizeof block : 0;
        ssize_t got = pread(fd, block, (size_t)(end - start), start);
        if (got != (ssize_t)(end - start)) {
            int saved = got < 0 ? errno : EIO;
            close(fd);
            errno = saved;
            return -1;
        }
        const char *newline = memrchr(block, '\n', (size_t)got);
        if (newline != NULL) {
            end = start + (newline - block) + 1;
            break;
        }
        end = start;
    }
    if (end != status.st_size && ftruncate(fd, end) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    *kept_bytes = (uint64_t)end;
    return close(fd);
}
