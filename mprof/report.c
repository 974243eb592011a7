/*
 * report.c — @profile tables and top lines as text (contract in report.h).
 *
 * Invariant: with the MiB unit a table is exactly what memory_profiler's show_results
 * prints for the same numbers (tests/golden/ holds text it printed). Python's '{:5.1f}'
 * and C's "%5.1f" both round the double's exact value to nearest, ties to even, so the
 * same double gives the same digits; values are bytes / 2^20, an exact division.
 * Every text from the .dat (file and function names, source lines) is printed through
 * terminal_text.h, so what a file holds never reaches a terminal as a control sequence.
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "terminal_text.h"

#define REPORT_CELL_MAX 64

int report_parse_unit(const char *text, enum report_unit *unit)
{
    static const struct { const char *name; enum report_unit unit; } names[] = {
        { "B", REPORT_UNIT_B }, { "KiB", REPORT_UNIT_KIB }, { "KB", REPORT_UNIT_KIB },
        { "K", REPORT_UNIT_KIB }, { "MiB", REPORT_UNIT_MIB }, { "MB", REPORT_UNIT_MIB },
        { "M", REPORT_UNIT_MIB },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            *unit = names[i].unit;
            return 0;
        }
    }
    return -1;
}

int report_parse_precision(const char *text, int *precision)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || value < 0 || value > REPORT_PRECISION_MAX)
        return -1;
    *precision = (int)value;
    return 0;
}

void report_format_bytes(char *cell, size_t cell_size, long long bytes,
                         const struct report_options *options)
{
    switch (options->unit) {
    case REPORT_UNIT_B:
        snprintf(cell, cell_size, "%lld B", bytes);
        break;
    case REPORT_UNIT_KIB:
        snprintf(cell, cell_size, "%*.*f KiB", options->precision + 4, options->precision,
                 (double)bytes / 1024.0);
        break;
    case REPORT_UNIT_MIB:
    default:
        snprintf(cell, cell_size, "%*.*f MiB", options->precision + 4, options->precision,
                 (double)bytes / DAT_BYTES_PER_MIB);
        break;
    }
}

/* memory_profiler's row template, '{0:>6} {1:>12} {2:>12}  {3:>10}   {4:<}', with the two
 * byte columns `width` wide (12, or more when a cell would touch its neighbour). */
static int report_put_row(FILE *out, int width, const char *line, const char *mem,
                          const char *increment, const char *occurrences, const char *contents)
{
    if (fprintf(out, "%6s %*s %*s  %10s   ", line, width, mem, width, increment,
                occurrences) < 0 || terminal_text_put(out, contents) < 0)
        return -1;
    return putc('\n', out) == EOF ? -1 : 0;
}

int report_function_ran(const struct dat_profiled_function *function)
{
    for (size_t i = 0; i < function->line_count; i++)
        if (function->lines[i].occurrences > 0)
            return 1;
    return 0;
}

/* `path` as the reader would write it: CPython keeps a script's name as it was given
 * (`./noext` becomes `/dir/./noext`), so `/./` and `//` are taken out. Only these: a
 * `..` may cross a symbolic link. */
static int report_put_path(FILE *out, const char *path)
{
    char *tidy = malloc(strlen(path) + 1);
    if (tidy == NULL)
        return -1;
    size_t length = 0;
    for (const char *cursor = path; *cursor != '\0'; cursor++) {
        if (*cursor == '/') {
            while (cursor[1] == '/' || (cursor[1] == '.' && cursor[2] == '/'))
                cursor += cursor[1] == '/' ? 1 : 2;
        }
        tidy[length++] = *cursor;
    }
    tidy[length] = '\0';
    int status = terminal_text_put(out, tidy);
    free(tidy);
    return status;
}

/* The byte columns' width: memory_profiler's 12; in bytes (a unit it does not have), one
 * more than the widest cell, so that two cells never touch (1 GB is 12 characters). MiB
 * and KiB keep its layout exactly, as its readers expect. */
static int report_byte_width(const struct dat_profiled_function *function,
                             const struct report_options *options)
{
    int width = 12;
    if (options->unit != REPORT_UNIT_B)
        return width;
    for (size_t i = 0; i < function->line_count; i++) {
        const struct dat_profiled_line *line = &function->lines[i];
        if (line->occurrences == 0)
            continue;
        char cell[REPORT_CELL_MAX];
        long long figures[2] = { line->mem_usage_bytes, line->increment_bytes };
        for (int f = 0; f < 2; f++) {
            report_format_bytes(cell, sizeof cell, figures[f], options);
            int length = (int)strlen(cell);
            if (length + 1 > width)
                width = length + 1;
        }
    }
    return width;
}

/* `bytes` in the table's unit, without the cell's padding. */
static const char *report_figure(char *cell, size_t cell_size, long long bytes,
                                 const struct report_options *options)
{
    report_format_bytes(cell, cell_size, bytes, options);
    const char *figure = cell;
    while (*figure == ' ')
        figure++;
    return figure;
}

/* A line run many times whose Increment is more than the function ever held (`return
 * [i] * 100` called 200,000 times: +152.6 MiB, while Mem usage stays put) reads like a
 * leak. It is true: each run allocated the list, and the caller freed it after the
 * call, where no line of this function runs. One note under the table says so, for
 * the line where it is largest; the columns stay memory_profiler's. */
static int report_write_footnote(FILE *out, const struct dat_profiled_function *function,
                                 const struct report_options *options)
{
    const struct dat_profiled_line *entry = NULL, *largest = NULL;
    long long highest = LLONG_MIN;
    for (size_t i = 0; i < function->line_count; i++) {
        const struct dat_profiled_line *line = &function->lines[i];
        if (line->occurrences == 0)
            continue;
        if (line->line == function->first_line) {
            entry = line;  /* its Increment: the heap when the function was first entered */
            continue;
        }
        if (line->mem_usage_bytes > highest)
            highest = line->mem_usage_bytes;
        if (line->occurrences > 1 && (largest == NULL || line->increment_bytes > largest->increment_bytes))
            largest = line;
    }
    if (entry == NULL || largest == NULL)
        return 0;
    /* The figures are a file's: the sums stop at the ends of long long, never past. */
    long long grown, bound;
    if (__builtin_sub_overflow(highest, (long long)entry->increment_bytes, &grown))
        grown = LLONG_MAX;  /* only a high Mem usage less a negative entry overflows */
    if (grown < 0)
        grown = 0;
    long long slack = grown / 10 > 65536 ? grown / 10 : 65536;
    if (__builtin_add_overflow(grown, slack, &bound))
        bound = LLONG_MAX;
    if (largest->increment_bytes <= bound)
        return 0;
    char total[REPORT_CELL_MAX], held[REPORT_CELL_MAX];
    if (fprintf(out, "\nLine %u ran %" PRIu64 " times and adds up to %s, yet the heap never "
                "rose more than\n%s in ", largest->line, largest->occurrences,
                report_figure(total, sizeof total, largest->increment_bytes, options),
                report_figure(held, sizeof held, grown, options)) < 0 ||
        terminal_text_put(out, function->name) < 0)
        return -1;
    return fputs(": Increment sums what each run left live when the line ended, and what\n"
                 "the caller freed after each call (or nested calls of a recursion share) is "
                 "not taken off.\n", out) == EOF ? -1 : 0;
}

int report_write_function(FILE *out, const struct dat_profiled_function *function,
                          const struct report_options *options)
{
    int width = report_byte_width(function, options);
    char header[160];
    snprintf(header, sizeof header, "%6s %*s %*s  %10s   %s", "Line #", width, "Mem usage",
             width, "Increment", "Occurrences", "Line Contents");
    if (fputs("Filename: ", out) == EOF || report_put_path(out, function->filename) < 0 ||
        fprintf(out, "\n\n%s\n", header) < 0)
        return -1;
    for (size_t i = strlen(header); i > 0; i--)
        if (putc('=', out) == EOF)
            return -1;
    if (putc('\n', out) == EOF)
        return -1;

    /* Lines are ascending: walk them beside the range. */
    size_t next = 0;
    for (uint64_t number = function->first_line; number <= function->last_line; number++) {
        while (next < function->line_count && function->lines[next].line < number)
            next++;
        const struct dat_profiled_line *line =
            next < function->line_count && function->lines[next].line == number
                ? &function->lines[next] : NULL;
        char line_text[16], mem[REPORT_CELL_MAX] = "", increment[REPORT_CELL_MAX] = "",
             occurrences[24] = "";
        snprintf(line_text, sizeof line_text, "%" PRIu64, number);
        if (line != NULL && line->occurrences > 0) {
            report_format_bytes(mem, sizeof mem, line->mem_usage_bytes, options);
            report_format_bytes(increment, sizeof increment, line->increment_bytes, options);
            snprintf(occurrences, sizeof occurrences, "%" PRIu64, line->occurrences);
        }
        if (report_put_row(out, width, line_text, mem, increment, occurrences,
                           line != NULL ? line->contents : "") < 0)
            return -1;
    }
    if (report_write_footnote(out, function, options) < 0)
        return -1;
    return fputs("\n\n", out) == EOF ? -1 : 0;
}

int report_write_tables(FILE *out, const struct dat_profiled_function *functions,
                        size_t count, int main_pid, const struct report_options *options)
{
    int written = 0;
    /* The main pid's tables, then each other pid's, in order of first appearance. */
    for (size_t i = 0; i < count; i++) {
        if (functions[i].pid != main_pid || !report_function_ran(&functions[i]))
            continue;
        if (report_write_function(out, &functions[i], options) < 0)
            return -1;
        written++;
    }
    for (size_t i = 0; i < count; i++) {
        int pid = functions[i].pid;
        bool first_of_pid = pid != main_pid;
        for (size_t j = 0; j < i && first_of_pid; j++)
            first_of_pid = functions[j].pid != pid;
        if (!first_of_pid)
            continue;
        bool headed = false;
        for (size_t j = i; j < count; j++) {
            if (functions[j].pid != pid || !report_function_ran(&functions[j]))
                continue;
            if (!headed && fprintf(out, "Child process %d:\n\n", pid) < 0)
                return -1;
            headed = true;
            if (report_write_function(out, &functions[j], options) < 0)
                return -1;
            written++;
        }
    }
    return fflush(out) == 0 ? written : -1;
}

static int report_compare_rank(const void *left, const void *right)
{
    const struct dat_top_site *a = *(const struct dat_top_site *const *)left;
    const struct dat_top_site *b = *(const struct dat_top_site *const *)right;
    if (a->rank != b->rank)
        return a->rank < b->rank ? -1 : 1;
    return a < b ? -1 : a > b;  /* stable: file order among equal ranks */
}

int report_write_top_rest(FILE *out, const struct dat_top_site *sites, size_t count,
                          size_t limit, int64_t no_line_bytes, int64_t heap_bytes,
                          const struct report_options *options)
{
    int64_t shown_bytes = 0;
    size_t shown = 0;
    for (size_t i = 0; i < count; i++)
        if (sites[i].rank >= 1 && sites[i].rank <= limit) {
            shown_bytes += sites[i].live_bytes;
            shown++;
        }
    int64_t other_bytes = heap_bytes - no_line_bytes - shown_bytes;
    if (other_bytes < 0)
        other_bytes = 0;
    char no_line[REPORT_CELL_MAX], heap[REPORT_CELL_MAX], on_shown[REPORT_CELL_MAX],
        on_other[REPORT_CELL_MAX];
    report_format_bytes(no_line, sizeof no_line, no_line_bytes, options);
    report_format_bytes(heap, sizeof heap, heap_bytes, options);
    report_format_bytes(on_shown, sizeof on_shown, shown_bytes, options);
    report_format_bytes(on_other, sizeof on_other, other_bytes, options);
    if (fprintf(out, "%6s %14s %13s %13s   (on no line: no Python line was running on a thread "
                     "holding the GIL)\n", "-", no_line, "-", "-") < 0 ||
        fprintf(out, "\nHeap at the peak %s: the %zu line%s above hold %s, the other lines %s, "
                     "no line %s.\n", heap + strspn(heap, " "), shown, shown == 1 ? "" : "s",
                on_shown + strspn(on_shown, " "), on_other + strspn(on_other, " "),
                no_line + strspn(no_line, " ")) < 0 ||
        fflush(out) != 0)
        return -1;
    return 0;
}

int report_write_top(FILE *out, const struct dat_top_site *sites, size_t count, size_t limit,
                     const struct report_options *options)
{
    const struct dat_top_site **order = malloc((count > 0 ? count : 1) * sizeof *order);
    if (order == NULL)
        return -1;
    for (size_t i = 0; i < count; i++)
        order[i] = &sites[i];
    qsort(order, count, sizeof *order, report_compare_rank);
    char header[128];
    snprintf(header, sizeof header, "%6s %14s %13s %13s   %s", "Rank", "Heap at peak",
             "Live blocks", "Allocations", "Line (function)");
    int status = fprintf(out, "%s\n", header) < 0 ? -1 : 0;
    for (size_t i = strlen(header); i > 0 && status == 0; i--)
        if (putc('=', out) == EOF)
            status = -1;
    if (status == 0 && putc('\n', out) == EOF)
        status = -1;
    for (size_t i = 0; i < count && i < limit && status == 0; i++) {
        const struct dat_top_site *site = order[i];
        char heap[REPORT_CELL_MAX];
        report_format_bytes(heap, sizeof heap, site->live_bytes, options);
        if (fprintf(out, "%6u %14s %13" PRIu64 " %13" PRIu64 "   ", site->rank, heap,
                    site->live_blocks, site->alloc_count) < 0 ||
            report_put_path(out, site->filename) < 0 ||
            fprintf(out, ":%u (", site->line) < 0 ||
            terminal_text_put(out, site->function) < 0 || fputs(")\n", out) == EOF)
            status = -1;
    }
    free(order);
    if (status == 0 && fflush(out) != 0)
        status = -1;
    return status;
}
