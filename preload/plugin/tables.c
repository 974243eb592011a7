/*
 * tables.c — the @profile tables: which functions are decorated, what each of their
 * lines has counted, the calls kept for the plot, and sending all of it to the CLI.
 *
 * A decorated function's rows live in one block of the core's pages, with its name and
 * file beside them, from registration to the end of the process, so the rows can be
 * sent from _exit (pure C, no GIL) as well as from the atexit report. They go to the
 * CLI as FUNCTION/LINE/CALL records, once per process, before the interpreter
 * finalizes (a report after Py_Finalize would crash).
 */
#include "cpython.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/table.h"

#define MAX_FUNCTIONS      4096
#define CODE_TABLE_SLOTS   8192      /* power of two, twice MAX_FUNCTIONS: the fill limit */
#define MAX_BRACKETS       16384     /* names of timed blocks, a table of their own */
#define BRACKET_CHUNK      (256 * 1024) /* their blocks are carved from chunks this big */
#define MAX_CALL_RECORDS   10000     /* plot brackets in the shared pool, per process */
#define MAX_LINES          100000    /* lines one decorated function may span */

static const struct mprof_core_api *core;

static struct function_stats *functions[MAX_FUNCTIONS];
static uint32_t function_count;
static uint32_t call_order;

/* Timed blocks by name, apart from the decorated functions so that no number of names
 * uses up @profile's table; their ids follow MAX_FUNCTIONS. Past MAX_BRACKETS names a
 * new name gets no bracket (said once). */
static struct function_stats *brackets[MAX_BRACKETS];
static uint32_t bracket_count;
static int brackets_full_said;

/* code object -> its function_stats: looked up when a function is registered and when
 * a traced frame starts, never on a line hit. */
static struct table_entry code_slots[CODE_TABLE_SLOTS];
static struct table code_table;

/* The calls kept for the plot: a shared pool, in the order they end, and each
 * function's first call in a slot of its own when the pool was full by then, so that no
 * function's calls are all crowded out by another's; the rest are counted, and said. */
static struct mprof_call *call_records;
static uint32_t call_record_count;
static uint64_t calls_dropped;

static int tables_sent;
static int forked_child;   /* a fork child: its tables start at the fork */

void tables_init(const struct mprof_core_api *api)
{
    core = api;
    table_init_fixed(&code_table, code_slots, CODE_TABLE_SLOTS);
}

static inline struct table_key code_key(const PyObject *code)
{
    struct table_key key = { { (uintptr_t)code, 0 } };
    return key;
}

struct function_stats *tables_function_of(const PyObject *code)
{
    const struct table_value *value = table_find(&code_table, code_key(code));
    return value != NULL ? (struct function_stats *)value->word[0] : NULL;
}

/* A bracket's block, carved from a chunk of pages: a page each would cost a name
 * 4 KiB of the RSS the program is measured by. NULL when out of memory. */
static void *bracket_alloc(size_t bytes)
{
    static unsigned char *chunk;
    static size_t chunk_used = BRACKET_CHUNK;
    bytes = (bytes + 15) & ~(size_t)15;
    if (bytes > BRACKET_CHUNK)
        return NULL;
    if (chunk_used + bytes > BRACKET_CHUNK) {
        chunk = core->pages_alloc(BRACKET_CHUNK);
        if (chunk == NULL)
            return NULL;
        chunk_used = 0;
    }
    void *block = chunk + chunk_used;
    chunk_used += bytes;
    return block;
}

static char *copy_string(char **cursor, const char *text)
{
    size_t length = strlen(text);
    char *copy = *cursor;
    memcpy(copy, text, length + 1);
    *cursor += length + 1;
    return copy;
}

/* A function's block (its rows, name and file beside it) for lines first..last, given
 * its id; not yet in a table. A bracket's (lines 0 to 0) is carved from a chunk. NULL
 * with a Python exception set. */
static struct function_stats *function_new(const char *name, const char *bracket_name,
                                           const char *filename, long first_line,
                                           long last_line, uint32_t id)
{
    if (bracket_name != NULL && strcmp(bracket_name, name) == 0)
        bracket_name = NULL;
    size_t line_count = (size_t)(last_line - first_line + 1);
    size_t bytes = sizeof(struct function_stats) + line_count * sizeof(struct line_stats) +
                   strlen(name) + strlen(filename) + 2 +
                   (bracket_name != NULL ? strlen(bracket_name) + 1 : 0);
    struct function_stats *function = first_line == 0 ? bracket_alloc(bytes)
                                                      : core->pages_alloc(bytes);
    if (function == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    function->lines = (struct line_stats *)(function + 1);
    char *strings = (char *)(function->lines + line_count);
    function->name = copy_string(&strings, name);
    function->filename = copy_string(&strings, filename);
    function->bracket_name = bracket_name != NULL ? copy_string(&strings, bracket_name) : NULL;
    function->first_line = (uint32_t)first_line;
    function->last_line = (uint32_t)last_line;
    function->id = id;
    return function;
}

struct function_stats *tables_add_function(PyObject *code, const char *name,
                                           const char *bracket_name, const char *filename,
                                           long first_line, long last_line)
{
    if (first_line < 1)
        first_line = 1;  /* lines 0 to 0 are a bracket's (protocol.h) */
    if (last_line < first_line)
        last_line = first_line;
    if (last_line - first_line >= MAX_LINES)
        last_line = first_line + MAX_LINES - 1;
    if (function_count >= MAX_FUNCTIONS) {
        PyErr_SetString(PyExc_RuntimeError, "more than 4096 functions under @profile");
        return NULL;
    }
    struct function_stats *function = function_new(name, bracket_name, filename, first_line,
                                                   last_line, function_count);
    if (function == NULL)
        return NULL;
    /* The table has room for twice MAX_FUNCTIONS: this never fails, but say so if it does. */
    struct table_value value = { { (uintptr_t)function, 0 } };
    if (table_insert(&code_table, code_key(code), value) != 0) {
        PyErr_SetString(PyExc_RuntimeError, "the @profile function table is full");
        return NULL;
    }
    Py_INCREF(code);
    function->code = code;
    functions[function_count++] = function;
    return function;
}

struct function_stats *tables_add_bracket(const char *name)
{
    /* One row, the "decorator's" that call_begin counts entries on; never sent. */
    struct function_stats *function = bracket_count < MAX_BRACKETS
        ? function_new(name, NULL, "", 0, 0, MAX_FUNCTIONS + bracket_count) : NULL;
    if (function == NULL) {
        PyErr_Clear();  /* no memory: as full, the program goes on */
        if (!brackets_full_said)
            core->notice(bracket_count < MAX_BRACKETS
                         ? "no memory for another timed block's name: its brackets are not "
                           "in the .dat"
                         : "more than 16384 names of timed blocks (profile.timestamp): the "
                           "brackets of the names after them are not in the .dat");
        brackets_full_said = 1;
        return NULL;
    }
    function->code = NULL;
    brackets[bracket_count++] = function;
    return function;
}

int tables_set_inlined(struct function_stats *function, const uint32_t (*ranges)[2],
                       uint32_t count)
{
    if (count == 0)
        return 0;
    uint32_t (*copy)[2] = core->pages_alloc(count * sizeof(*copy));
    if (copy == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(copy, ranges, count * sizeof(*copy));
    function->inlined = (const uint32_t (*)[2])copy;
    function->inlined_count = count;
    return 0;
}

int tables_offset_inlined(const struct function_stats *function, int offset)
{
    for (uint32_t index = 0; index < function->inlined_count; index++)
        if (offset >= (int)function->inlined[index][0] && offset <= (int)function->inlined[index][1])
            return 1;
    return 0;
}

/* As memory_profiler's, the decorator row shows the heap at the first entry as its
 * Increment and the highest at any entry as its Mem usage. */
void tables_count_entry(struct function_stats *function, int64_t heap_bytes)
{
    struct line_stats *decorator_row = &function->lines[0];
    if (function->first_call_order == 0) {
        /* A bracket is sent with the other brackets: 1 says it ran, no order is needed. */
        function->first_call_order = function->code != NULL ? ++call_order : 1;
        decorator_row->increment_bytes = heap_bytes;
    }
    function->calls++;
    decorator_row->occurrences++;
    if (heap_bytes > decorator_row->mem_usage_bytes)
        decorator_row->mem_usage_bytes = heap_bytes;
}

void tables_record_call(struct function_stats *function, const struct mprof_call *call)
{
    if (call_records == NULL && call_record_count == 0)
        call_records = core->pages_alloc(MAX_CALL_RECORDS * sizeof(struct mprof_call));
    if (call_records != NULL && call_record_count < MAX_CALL_RECORDS)
        call_records[call_record_count++] = *call;
    else if (function->calls_kept == 0)
        function->own_call = *call;  /* the pool is full: its first call is kept aside */
    else
        calls_dropped++;
    function->calls_kept++;
    if (call_records == NULL)
        call_record_count = MAX_CALL_RECORDS; /* no memory for them: stop trying */
}

static void function_fork_reset(struct function_stats *function)
{
    memset(function->lines, 0,
           (function->last_line - function->first_line + 1) * sizeof(struct line_stats));
    function->calls = 0;
    function->calls_kept = 0;
    memset(&function->own_call, 0, sizeof(function->own_call));
    function->first_call_order = 0;
}

/* The tables so far are the parent's, which reports them itself; a child that reports
 * (-M, -C) reports only what it does. */
void tables_fork_child(void)
{
    forked_child = 1;
    tables_sent = 0;
    call_order = 0;
    call_record_count = 0;
    calls_dropped = 0;
    for (uint32_t index = 0; index < function_count; index++)
        function_fork_reset(functions[index]);
    for (uint32_t index = 0; index < bracket_count; index++)
        function_fork_reset(brackets[index]);
}

static void send_function(const struct function_stats *function)
{
    struct mprof_function record;
    memset(&record, 0, offsetof(struct mprof_function, text));
    record.function_id = function->id;
    record.first_line = function->first_line;
    record.last_line = function->last_line;
    record.call_count = (uint32_t)(function->calls > UINT32_MAX ? UINT32_MAX : function->calls);
    size_t room = sizeof(record.text);
    size_t name_length = strnlen(function->name, room / 4);
    size_t bracket_length = function->bracket_name != NULL
        ? strnlen(function->bracket_name, room / 4) : 0;
    size_t extra = function->bracket_name != NULL ? bracket_length + 1 : 0;
    size_t file_length = strnlen(function->filename, room - name_length - extra - 2);
    char *text = record.text;
    memcpy(text, function->name, name_length);
    text[name_length] = '\0';
    text += name_length + 1;
    memcpy(text, function->filename, file_length);
    text[file_length] = '\0';
    text += file_length + 1;
    if (function->bracket_name != NULL) {
        memcpy(text, function->bracket_name, bracket_length);
        text[bracket_length] = '\0';
        text += bracket_length + 1;
    }
    uint32_t size = (uint32_t)(text - (char *)&record);
    mprof_record_header_init(&record.header, MPROF_RECORD_FUNCTION, size, (int32_t)getpid());
    core->send(&record, size);
    if (function->code == NULL)
        return;  /* a bracket: its CALL records are all it has */

    uint32_t line_count = function->last_line - function->first_line + 1;
    for (uint32_t index = 0; index < line_count; index++) {
        const struct line_stats *stats = &function->lines[index];
        if (stats->occurrences == 0)
            continue;
        struct mprof_line line = {
            .function_id = function->id,
            .line = function->first_line + index,
            .occurrences = stats->occurrences,
            .increment_bytes = stats->increment_bytes,
            .mem_usage_bytes = stats->mem_usage_bytes,
        };
        mprof_record_header_init(&line.header, MPROF_RECORD_LINE, sizeof(line), (int32_t)getpid());
        core->send(&line, sizeof(line));
    }
}

static void send_call(struct mprof_call *call)
{
    mprof_record_header_init(&call->header, MPROF_RECORD_CALL, sizeof(struct mprof_call),
                             (int32_t)getpid());
    core->send(call, sizeof(struct mprof_call));
}

void tables_send(void)
{
    if (tables_sent || !core->reporting())
        return;
    tables_sent = 1;
    /* Functions in the order they were first called; never-called ones after (a fork
     * child leaves those to its parent). */
    for (uint32_t order = 1; order <= call_order; order++)
        for (uint32_t index = 0; index < function_count; index++)
            if (functions[index]->first_call_order == order)
                send_function(functions[index]);
    for (uint32_t index = 0; index < function_count && !forked_child; index++)
        if (functions[index]->first_call_order == 0)
            send_function(functions[index]);
    for (uint32_t index = 0; index < bracket_count; index++)
        if (!forked_child || brackets[index]->first_call_order != 0)
            send_function(brackets[index]);
    uint32_t records = call_record_count < MAX_CALL_RECORDS ? call_record_count : MAX_CALL_RECORDS;
    for (uint32_t index = 0; call_records != NULL && index < records; index++)
        send_call(&call_records[index]);
    /* The first calls that found the pool full, after it (they ended later). */
    uint32_t aside = 0;
    for (uint32_t index = 0; index < function_count + bracket_count; index++) {
        struct function_stats *function = index < function_count
            ? functions[index] : brackets[index - function_count];
        if (function->own_call.end_ns != 0 && function->calls_kept > 0) {
            send_call(&function->own_call);
            aside++;
        }
    }
    if (calls_dropped > 0) {
        char text[200];
        snprintf(text, sizeof text,
                 "brackets in the .dat: %u kept (the first %u calls and blocks, then each "
                 "function's and block's first), %llu more left out; the tables count every call",
                 records + aside, MAX_CALL_RECORDS, (unsigned long long)calls_dropped);
        core->notice(text);
    }
    sites_send();
}
