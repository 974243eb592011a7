/*
 * profile.c — @profile inside CPython 3.11: per-line exact heap increments.
 *
 * Built against 3.11's headers (its internal frame layout included) into
 * libmprof-python311.so, which libmprof.so loads only inside a 3.11 interpreter.
 *
 * How a line's increment is measured: the core counts every allocation and free, per
 * thread, to the byte (hooks.c, python.c). Each time a decorated function reaches a new
 * line, the thread's net bytes since it reached the previous one are added to that
 * previous line. So an increment is the net heap change while the line ran, callees
 * included, on this thread only, and nothing is paid per allocation.
 *
 * How line arrivals are seen, cheaply: 3.11's line tracing runs every instruction of
 * the traced thread through a de-specialised path (2.6x on a plain loop before any work
 * of ours), so by default there is no tracing at all. The decorator recompiles the
 * function from its source with a line marker before each statement (and at the end of
 * each loop body, so a loop header counts iterations + 1 as memory_profiler's does):
 * the statement `-<marker>`, where the marker is a small C object placed among the
 * code's constants whose negation is the hit. That is LOAD_CONST, UNARY_NEGATIVE and
 * POP_TOP, straight into our C through one slot, with no call frame and no argument. A
 * call to a C builtin took five bytecodes and the call protocol; `del <marker>.x`, two
 * bytecodes, cost about the same as this through PyObject_SetAttr. Each bytecode costs
 * the interpreter some 20-25 instructions, so a hit's floor is about 70 of them plus
 * our C. Functions whose source cannot be had fall back to a C trace function, on only
 * while such a call runs.
 *
 * The results go to the CLI as FUNCTION/LINE/CALL records from an atexit callback,
 * before the interpreter finalizes (a report after Py_Finalize would crash).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>
#define Py_BUILD_CORE 1
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mprof/protocol.h"
#include "../core/table.h"
#include "python311.h"

#define EXPORT __attribute__((visibility("default")))

#define MAX_FUNCTIONS      4096
#define CODE_TABLE_SLOTS   8192      /* power of two, over twice MAX_FUNCTIONS */
#define MAX_ACTIVE_CALLS   1024      /* decorated calls nested on one thread */
#define MAX_CALL_RECORDS   10000     /* plot brackets kept per process */
#define MAX_LINES          100000    /* lines one decorated function may span */

static const struct mprof_core_api *core;
static const int *threads_counting;   /* core->thread_count_now, one load nearer */

/* ---- decorated functions ------------------------------------------------------------ */

struct line_stats {
    uint64_t occurrences;
    int64_t increment_bytes;
    int64_t mem_usage_bytes;
};

struct function_stats {
    PyObject *code;            /* a strong reference, kept until the process ends */
    uint32_t id;
    uint32_t first_line;       /* co_firstlineno: the first decorator's line */
    uint32_t last_line;
    uint32_t first_call_order; /* 0 until called */
    uint64_t calls;
    const char *name;          /* "module.qualname" */
    const char *filename;
    struct line_stats *lines;  /* [last_line - first_line + 1] */
    int traced;                /* no instrumented code: line events come from tracing */
};

static struct function_stats *functions[MAX_FUNCTIONS];
static uint32_t function_count;
static uint32_t call_order;
/* code object -> its function_stats: looked up when a function is registered and when
 * a traced frame starts, never on a line hit. */
static struct table_entry code_slots[CODE_TABLE_SLOTS];
static struct table code_table;

static inline struct table_key code_key(const PyObject *code)
{
    struct table_key key = { { (uintptr_t)code, 0 } };
    return key;
}

static inline struct function_stats *function_of(const PyObject *code)
{
    const struct table_value *value = table_find(&code_table, code_key(code));
    return value != NULL ? (struct function_stats *)value->word[0] : NULL;
}

/* ---- per-thread state, only while a thread is inside a decorated call -------------- */

struct active_call {
    PyFrameObject *frame;
    struct function_stats *function;
    const struct mprof_thread_counters *counters; /* this thread's, read inline */
    struct line_stats *line;   /* the line running now; NULL before the first, after the
                                * last, or on a line outside the function's range */
    uint32_t level;
    int64_t line_start_net;    /* the thread's net bytes when that line started */
    uint64_t start_ns;
    int64_t start_heap;
    int64_t heap_base;         /* the process's heap when last summed ... */
    int64_t net_base;          /* ... and this thread's net bytes then */
    uint32_t hits_since_base;
};

struct thread_profile {
    int enable_count;
    int depth;
    struct active_call *top;       /* the innermost tracked call, NULL when none */
    Py_tracefunc saved_function;   /* a tracer that was there before us: chained */
    PyObject *saved_object;
    struct thread_profile *next_free;
    struct active_call calls[MAX_ACTIVE_CALLS];
};

static __thread struct thread_profile *tls_profile;
static struct thread_profile *free_profiles;   /* GIL-protected */

/* After `depth` changed: calls past MAX_ACTIVE_CALLS are counted, not tracked. */
static void profile_update_top(struct thread_profile *profile)
{
    int tracked = profile->depth < MAX_ACTIVE_CALLS ? profile->depth : MAX_ACTIVE_CALLS;
    profile->top = tracked > 0 ? &profile->calls[tracked - 1] : NULL;
}

static struct mprof_call *call_records;
static uint32_t call_record_count;

static struct thread_profile *profile_acquire(void)
{
    struct thread_profile *profile = free_profiles;
    if (profile != NULL) {
        free_profiles = profile->next_free;
        memset(profile, 0, offsetof(struct thread_profile, calls));
        return profile;
    }
    return core->pages_alloc(sizeof(struct thread_profile));
}


static void profile_release(struct thread_profile *profile)
{
    profile->next_free = free_profiles;
    free_profiles = profile;
}

/* ---- line arrivals ------------------------------------------------------------------ */

#define HEAP_REBASE_HITS 64

/* The process's heap now, for Mem usage. Summing every thread's counters costs more
 * than the rest of a hit, and with one thread counting it is not needed: the heap when
 * last summed plus this thread's net change since is exact (summed again every 64 lines
 * all the same). With other threads counting, it is summed at every line. */
static __attribute__((noinline)) void heap_rebase(struct active_call *call, int64_t net_now)
{
    call->heap_base = core->process_live_bytes();
    call->net_base = net_now;
    call->hits_since_base = 0;
}

static inline int64_t heap_now(struct active_call *call, int64_t net_now)
{
    if (__builtin_expect(++call->hits_since_base >= HEAP_REBASE_HITS ||
                         __atomic_load_n(threads_counting, __ATOMIC_RELAXED) > 1, 0))
        heap_rebase(call, net_now);
    return call->heap_base + (net_now - call->net_base);
}

/* The calling thread's net bytes (it is the thread `call` runs on). */
static inline int64_t thread_net(const struct active_call *call)
{
    return mprof_thread_counters_net(call->counters);
}

/* The row of `line` in `function`'s table, NULL when the line is outside its range. */
static struct line_stats *line_stats_of(struct function_stats *function, long line)
{
    if (line < (long)function->first_line || line > (long)function->last_line)
        return NULL;
    return &function->lines[line - (long)function->first_line];
}

/* `call` reached the line whose row is `line` (NULL: the frame is leaving, or a line
 * without a row). The line it was on ends: it is charged the thread's net bytes since
 * it began, and its Mem usage is the heap now if that is its highest. This bookkeeping
 * allocates nothing, so one reading of the thread's bytes both ends the last line and
 * starts this one. The hot path of every line hit: keep it short. */
static inline void line_reached(struct active_call *call, struct line_stats *line)
{
    int64_t net = thread_net(call);
    struct line_stats *previous = call->line;
    if (previous != NULL) {
        previous->increment_bytes += net - call->line_start_net;
        int64_t heap = heap_now(call, net);
        if (heap > previous->mem_usage_bytes)
            previous->mem_usage_bytes = heap;
    }
    call->line = line;
    if (line != NULL)
        line->occurrences++;
    call->line_start_net = net;
}

/* A call of `function` is entered with the process's heap at `heap`: its decorator row
 * counts it. As memory_profiler's, the row shows the heap at the first entry as its
 * Increment and the highest at any entry as its Mem usage. */
static void count_entry(struct function_stats *function, int64_t heap)
{
    struct line_stats *decorator_row = &function->lines[0];
    if (function->first_call_order == 0) {
        function->first_call_order = ++call_order;
        decorator_row->increment_bytes = heap;
    }
    function->calls++;
    decorator_row->occurrences++;
    if (heap > decorator_row->mem_usage_bytes)
        decorator_row->mem_usage_bytes = heap;
}

/* A decorated call begins on this thread (the wrapper, just before the function). */
static struct active_call *call_begin(struct thread_profile *profile, struct function_stats *function)
{
    if (profile->depth >= MAX_ACTIVE_CALLS) {
        profile->depth++; /* counted, so that call_end stays balanced */
        profile_update_top(profile);
        return NULL;
    }
    int64_t heap = core->process_live_bytes();
    count_entry(function, heap);
    struct active_call *call = &profile->calls[profile->depth];
    call->frame = NULL;
    call->function = function;
    call->counters = core->thread_counters();
    call->line = NULL;
    call->level = (uint32_t)profile->depth;
    call->start_heap = heap;
    call->start_ns = core->realtime_ns();
    profile->depth++;
    profile_update_top(profile);
    call->line_start_net = thread_net(call);
    call->heap_base = heap;
    call->net_base = call->line_start_net;
    call->hits_since_base = 0;
    return call;
}

/* A call of `function` ends (returned, raised, or a generator yielded): its innermost
 * active call on this thread, the top of the stack unless coroutines of different
 * decorated functions interleave on the thread, in which case it is taken out of the
 * middle. */
static void call_end(struct thread_profile *profile, const struct function_stats *function)
{
    if (profile->depth == 0)
        return;
    if (profile->depth > MAX_ACTIVE_CALLS) {
        profile->depth--;
        profile_update_top(profile);
        return;
    }
    int index = profile->depth - 1;
    while (index > 0 && profile->calls[index].function != function)
        index--;
    struct active_call *call = &profile->calls[index];
    line_reached(call, NULL);
    int64_t heap = core->process_live_bytes();
    if (call_records == NULL && call_record_count == 0)
        call_records = core->pages_alloc(MAX_CALL_RECORDS * sizeof(struct mprof_call));
    if (call_records != NULL && call_record_count < MAX_CALL_RECORDS) {
        struct mprof_call *record = &call_records[call_record_count++];
        record->function_id = call->function->id;
        record->stack_level = call->level;
        record->start_ns = call->start_ns;
        record->end_ns = core->realtime_ns();
        record->heap_start_bytes = call->start_heap;
        record->heap_end_bytes = heap;
    } else if (call_records == NULL) {
        call_record_count = MAX_CALL_RECORDS; /* no memory for them: stop trying */
    }
    memmove(&profile->calls[index], &profile->calls[index + 1],
            (size_t)(profile->depth - 1 - index) * sizeof(profile->calls[0]));
    profile->depth--;
    profile_update_top(profile);
}

/* The innermost active call of `function` on this thread (the top, unless coroutines
 * of different decorated functions interleave on one thread). */
static __attribute__((noinline)) struct active_call *
active_call_search(struct thread_profile *profile, const struct function_stats *function)
{
    int top = profile->depth < MAX_ACTIVE_CALLS ? profile->depth : MAX_ACTIVE_CALLS;
    for (int index = top - 1; index >= 0; index--)
        if (profile->calls[index].function == function)
            return &profile->calls[index];
    return NULL;
}

static inline struct active_call *active_call_of(struct thread_profile *profile,
                                                 const struct function_stats *function)
{
    struct active_call *call = profile->top;
    if (__builtin_expect(call != NULL && call->function == function, 1))
        return call;
    return active_call_search(profile, function);
}

/* The fallback for functions without instrumented code: line events from tracing,
 * on only while such a call runs on this thread. */
static int trace_lines(PyObject *object, PyFrameObject *frame, int what, PyObject *argument)
{
    (void)object;
    struct thread_profile *profile = tls_profile;
    if (profile == NULL)
        return 0;
    int top = profile->depth < MAX_ACTIVE_CALLS ? profile->depth : MAX_ACTIVE_CALLS;
    struct active_call *call = top > 0 ? &profile->calls[top - 1] : NULL;
    if (what == PyTrace_CALL) {
        struct function_stats *function = function_of((PyObject *)frame->f_frame->f_code);
        if (call != NULL && call->frame == NULL && function == call->function)
            call->frame = frame; /* the frame the wrapper just started */
        else if (profile->saved_function == NULL)
            frame->f_trace_lines = 0; /* a callee: its allocations count in our line */
    } else if (what == PyTrace_LINE && call != NULL && call->frame == frame) {
        line_reached(call, line_stats_of(call->function, frame->f_lineno));
    }
    if (profile->saved_function != NULL)
        return profile->saved_function(profile->saved_object, frame, what, argument);
    return 0;
}

static struct thread_profile *this_thread_profile(void)
{
    struct thread_profile *profile = tls_profile;
    if (profile == NULL) {
        profile = profile_acquire();
        tls_profile = profile;
    }
    return profile;
}

/* ---- the _mprof module the Python glue calls -------------------------------------- */

static char *copy_string(char **cursor, const char *text)
{
    size_t length = strlen(text);
    char *copy = *cursor;
    memcpy(copy, text, length + 1);
    *cursor += length + 1;
    return copy;
}

/* A decorated function's handle, as the glue holds it: register() returns one, and
 * start()/stop()/marker() take it. */
struct function_handle {
    PyObject_HEAD
    struct function_stats *function;
};

static PyTypeObject function_handle_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mprof.function",
    .tp_basicsize = sizeof(struct function_handle),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "a function under mprof's @profile",
};

static struct function_stats *handle_function(PyObject *handle)
{
    if (!PyObject_TypeCheck(handle, &function_handle_type)) {
        PyErr_SetString(PyExc_TypeError, "not an mprof function handle");
        return NULL;
    }
    return ((struct function_handle *)handle)->function;
}

/* A line marker: the statement `-<marker>` in instrumented code says the frame reached
 * `line`. Line 0 comes from a `finally` around the body: the frame is leaving, so the
 * line it was on ends there and what the interpreter does after the frame
 * (StopIteration, the caller's bookkeeping) is charged to no line. */
struct line_marker {
    PyObject_HEAD
    struct function_stats *function;
    struct line_stats *stats;  /* the line's row; NULL for line 0 or outside the range */
    int line;
};

/* nb_negative: negating a marker is a hit. It returns the marker itself (the cheapest
 * new reference there is; the statement discards it) and never fails, so the
 * instrumented code never sees an exception of ours. */
static PyObject *marker_hit(PyObject *self)
{
    const struct line_marker *marker = (const struct line_marker *)self;
    struct thread_profile *profile = tls_profile;
    struct active_call *call = profile ? active_call_of(profile, marker->function) : NULL;
    if (call != NULL)
        line_reached(call, marker->stats);
    Py_INCREF(self);
    return self;
}

static PyNumberMethods marker_number_methods = { .nb_negative = marker_hit };

static PyObject *marker_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<mprof line %d>", ((struct line_marker *)self)->line);
}

static PyTypeObject line_marker_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mprof.line_marker",
    .tp_basicsize = sizeof(struct line_marker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "negated when a decorated line begins",
    .tp_as_number = &marker_number_methods,
    .tp_repr = marker_repr,
};

/* marker(handle, line) -> a line marker for the handle's function. */
static PyObject *mprof_marker(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 2 ? handle_function(args[0]) : NULL;
    long line = function != NULL && PyLong_Check(args[1]) ? PyLong_AsLong(args[1]) : -1;
    if (function == NULL || line < 0 || line > INT32_MAX) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "marker(handle, line)");
        return NULL;
    }
    struct line_marker *marker = PyObject_New(struct line_marker, &line_marker_type);
    if (marker == NULL)
        return NULL;
    marker->function = function;
    marker->line = (int)line;
    marker->stats = line > 0 ? line_stats_of(function, line) : NULL;
    return (PyObject *)marker;
}

/* register(code, name, last_line) -> handle: make `code` a decorated function. */
static PyObject *mprof_register(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 3 || !PyCode_Check(args[0]) || !PyUnicode_Check(args[1]) || !PyLong_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "register(code, name, last_line)");
        return NULL;
    }
    PyCodeObject *code = (PyCodeObject *)args[0];
    struct function_stats *function = function_of((PyObject *)code);
    if (function == NULL) {
        if (function_count >= MAX_FUNCTIONS) {
            PyErr_SetString(PyExc_RuntimeError, "more than 4096 functions under @profile");
            return NULL;
        }
        const char *name = PyUnicode_AsUTF8(args[1]);
        /* A path need not be UTF-8: send the file system's own bytes. */
        PyObject *filename_bytes = PyUnicode_EncodeFSDefault(code->co_filename);
        const char *filename = filename_bytes ? PyBytes_AS_STRING(filename_bytes) : NULL;
        long last_line = PyLong_AsLong(args[2]);
        if (name == NULL || filename == NULL || (last_line == -1 && PyErr_Occurred())) {
            Py_XDECREF(filename_bytes);
            return NULL;
        }
        long first_line = code->co_firstlineno;
        if (last_line < first_line)
            last_line = first_line;
        if (last_line - first_line >= MAX_LINES)
            last_line = first_line + MAX_LINES - 1;
        size_t line_count = (size_t)(last_line - first_line + 1);
        size_t bytes = sizeof(struct function_stats) + line_count * sizeof(struct line_stats) +
                       strlen(name) + strlen(filename) + 2;
        function = core->pages_alloc(bytes);
        if (function == NULL) {
            Py_DECREF(filename_bytes);
            return PyErr_NoMemory();
        }
        function->lines = (struct line_stats *)(function + 1);
        char *strings = (char *)(function->lines + line_count);
        function->name = copy_string(&strings, name);
        function->filename = copy_string(&strings, filename);
        Py_DECREF(filename_bytes);
        function->first_line = (uint32_t)first_line;
        function->last_line = (uint32_t)last_line;
        function->id = function_count;
        /* The table has room for twice MAX_FUNCTIONS: this never fails, but say so if it does. */
        struct table_value value = { { (uintptr_t)function, 0 } };
        if (table_insert(&code_table, code_key((PyObject *)code), value) != 0) {
            PyErr_SetString(PyExc_RuntimeError, "the @profile function table is full");
            return NULL;
        }
        Py_INCREF(code);
        function->code = (PyObject *)code;
        functions[function_count++] = function;
    }
    struct function_handle *handle = PyObject_New(struct function_handle, &function_handle_type);
    if (handle == NULL)
        return NULL;
    handle->function = function;
    return (PyObject *)handle;
}

/* start(handle, traced): a call of the handle's function begins on this thread. With
 * traced true (no instrumented code), line events come from tracing during the call. */
static PyObject *mprof_start(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 2 ? handle_function(args[0]) : NULL;
    if (function == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "start(handle, traced)");
        return NULL;
    }
    int traced = PyObject_IsTrue(args[1]);
    struct thread_profile *profile = this_thread_profile();
    if (profile == NULL)
        return PyErr_NoMemory();
    call_begin(profile, function);
    if (traced && profile->enable_count++ == 0) {
        PyThreadState *thread = PyThreadState_Get();
        profile->saved_function = thread->c_tracefunc;
        profile->saved_object = thread->c_traceobj;
        Py_XINCREF(profile->saved_object);
        PyEval_SetTrace(trace_lines, NULL);
    }
    Py_RETURN_NONE;
}

/* stop(handle, traced): a call of the handle's function on this thread ends. */
static PyObject *mprof_stop(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 2 ? handle_function(args[0]) : NULL;
    if (function == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "stop(handle, traced)");
        return NULL;
    }
    struct thread_profile *profile = tls_profile;
    if (profile == NULL)
        Py_RETURN_NONE;
    call_end(profile, function);
    if (PyObject_IsTrue(args[1]) && profile->enable_count > 0 &&
        --profile->enable_count == 0) {
        PyEval_SetTrace(profile->saved_function, profile->saved_object);
        Py_CLEAR(profile->saved_object);
        profile->saved_function = NULL;
    }
    if (profile->depth == 0 && profile->enable_count == 0) {
        tls_profile = NULL;
        profile_release(profile);
    }
    Py_RETURN_NONE;
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
    size_t file_length = strnlen(function->filename, room - name_length - 2);
    memcpy(record.text, function->name, name_length);
    record.text[name_length] = '\0';
    memcpy(record.text + name_length + 1, function->filename, file_length);
    record.text[name_length + 1 + file_length] = '\0';
    uint32_t size = (uint32_t)(offsetof(struct mprof_function, text) + name_length + file_length + 2);
    mprof_record_header_init(&record.header, MPROF_RECORD_FUNCTION, size, (int32_t)getpid());
    core->send(&record, size);

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

static int tables_sent;
static int forked_child;   /* a fork child: its tables start at the fork */

/* In a fork child (the core's atfork handler calls it). The tables so far are the parent's, which reports them
 * itself; a child that reports (-M, -C) reports only what it does. A decorated call the
 * fork happened inside goes on in the child: it counts there as one call entered at
 * the fork, and the line it was on starts again at the fork. */
static void plugin_fork_child(void)
{
    forked_child = 1;
    tables_sent = 0;
    call_order = 0;
    call_record_count = 0;
    for (uint32_t index = 0; index < function_count; index++) {
        struct function_stats *function = functions[index];
        memset(function->lines, 0,
               (function->last_line - function->first_line + 1) * sizeof(struct line_stats));
        function->calls = 0;
        function->first_call_order = 0;
    }
    struct thread_profile *profile = tls_profile;
    int tracked = profile == NULL ? 0
                  : profile->depth < MAX_ACTIVE_CALLS ? profile->depth : MAX_ACTIVE_CALLS;
    int64_t heap = tracked > 0 ? core->process_live_bytes() : 0;
    for (int index = 0; index < tracked; index++) {
        struct active_call *call = &profile->calls[index];
        count_entry(call->function, heap);
        if (call->line != NULL)
            call->line->occurrences++;
        call->line_start_net = thread_net(call);
        call->start_heap = heap;
        call->start_ns = core->realtime_ns();
    }
}

/* Send every table to the CLI, once. Pure C: also called from _exit, without the GIL. */
static void send_tables(void)
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
    uint32_t records = call_record_count < MAX_CALL_RECORDS ? call_record_count : MAX_CALL_RECORDS;
    for (uint32_t index = 0; call_records != NULL && index < records; index++) {
        mprof_record_header_init(&call_records[index].header, MPROF_RECORD_CALL,
                                 sizeof(struct mprof_call), (int32_t)getpid());
        core->send(&call_records[index], sizeof(struct mprof_call));
    }
    sites_send();
}

/* report(): registered with atexit by the entry point. */
static PyObject *mprof_report(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    send_tables();
    Py_RETURN_NONE;
}

static PyMethodDef mprof_methods[] = {
    {"register", (PyCFunction)(void (*)(void))mprof_register, METH_FASTCALL,
     "register(code, name, last_line) -> handle"},
    {"marker", (PyCFunction)(void (*)(void))mprof_marker, METH_FASTCALL,
     "marker(handle, line) -> line marker"},
    {"start", (PyCFunction)(void (*)(void))mprof_start, METH_FASTCALL,
     "start(handle, traced): a decorated call begins"},
    {"stop", (PyCFunction)(void (*)(void))mprof_stop, METH_FASTCALL,
     "stop(handle, traced): a decorated call ends"},
    {"report", mprof_report, METH_NOARGS, "send the tables to mprof"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef mprof_module = {
    PyModuleDef_HEAD_INIT, "_mprof", "mprof's @profile primitives", -1, mprof_methods,
    NULL, NULL, NULL, NULL,
};

/* The decorator itself is Python (glue.py: instrumenting a function's source is simplest
 * there, and it runs once per decoration), embedded here at build time twice: compiled
 * (marshalled by python3.11 at build time, so that no process pays for compiling it at
 * start-up) and as source, compiled only if the code object will not load. */
#if !defined(MPROF_GLUE_PATH) || !defined(MPROF_GLUE_CODE_PATH)
#error "build with -DMPROF_GLUE_PATH=\"glue.py\" -DMPROF_GLUE_CODE_PATH=\"glue.marshal\""
#endif
extern const char mprof_glue_source[];
extern const char mprof_glue_code[], mprof_glue_code_end[];
__asm__(".section .rodata\n"
        ".hidden mprof_glue_source\n"
        ".type mprof_glue_source, @object\n"
        "mprof_glue_source:\n"
        ".incbin \"" MPROF_GLUE_PATH "\"\n"
        ".byte 0\n"
        ".hidden mprof_glue_code\n"
        ".hidden mprof_glue_code_end\n"
        "mprof_glue_code:\n"
        ".incbin \"" MPROF_GLUE_CODE_PATH "\"\n"
        "mprof_glue_code_end:\n"
        ".previous\n");

/* The glue's code object: the build's, or compiled from the source if that will not
 * load (a new reference, or NULL with an exception set). */
static PyObject *glue_code(void)
{
    PyObject *code = PyMarshal_ReadObjectFromString(mprof_glue_code,
                                                    mprof_glue_code_end - mprof_glue_code);
    if (code != NULL && PyCode_Check(code))
        return code;
    Py_XDECREF(code);
    PyErr_Clear();
    return Py_CompileString(mprof_glue_source, "<mprof glue.py>", Py_file_input);
}

/* Install builtins.profile and a memory_profiler module whose profile is ours, and
 * register the report with atexit. Runs on the main thread with the GIL. */
static int install(void)
{
    if (PyType_Ready(&function_handle_type) != 0 || PyType_Ready(&line_marker_type) != 0) {
        PyErr_Clear();
        core->notice("could not install the profile builtin; no line tables this run");
        return -1;
    }
    PyObject *module = PyModule_Create(&mprof_module);
    PyObject *globals = PyDict_New();
    PyObject *builtins = PyImport_ImportModule("builtins");
    PyObject *profile = NULL, *compat = NULL, *atexit = NULL, *result = NULL;
    int status = -1;
    if (module == NULL || globals == NULL || builtins == NULL)
        goto done;
    if (PyDict_SetItemString(globals, "__builtins__", builtins) != 0)
        goto done;
    PyObject *glue = glue_code();
    result = glue ? PyEval_EvalCode(glue, globals, globals) : NULL;
    Py_XDECREF(glue);
    if (result == NULL)
        goto done;
    PyObject *make = PyDict_GetItemString(globals, "_make"); /* borrowed */
    profile = make ? PyObject_CallOneArg(make, module) : NULL;
    if (profile == NULL || PyObject_SetAttrString(builtins, "profile", profile) != 0)
        goto done;
    PyObject *make_compat = PyDict_GetItemString(globals, "_compat"); /* borrowed */
    compat = make_compat ? PyObject_CallOneArg(make_compat, profile) : NULL;
    if (compat == NULL ||
        PyDict_SetItemString(PyImport_GetModuleDict(), "memory_profiler", compat) != 0)
        goto done;
    atexit = PyImport_ImportModule("atexit");
    PyObject *report = PyObject_GetAttrString(module, "report");
    PyObject *registered = (atexit && report)
        ? PyObject_CallMethod(atexit, "register", "O", report) : NULL;
    Py_XDECREF(report);
    if (registered == NULL)
        goto done;
    Py_DECREF(registered);
    status = 0;
done:
    if (status != 0) {
        if (getenv("MPROF_DEBUG") != NULL)
            PyErr_Print();
        PyErr_Clear();
        core->notice("could not install the profile builtin; no line tables this run");
    }
    Py_XDECREF(result);
    Py_XDECREF(atexit);
    Py_XDECREF(compat);
    Py_XDECREF(profile);
    Py_XDECREF(builtins);
    Py_XDECREF(globals);
    Py_XDECREF(module); /* the glue's closures keep what they use */
    return status;
}

static int plugin_entry(void)
{
    /* A pending call may run with an exception set by the interrupted code's caller:
     * keep it out of our way and put it back. */
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    int status = install();
    PyErr_Restore(type, value, traceback);
    return status;
}

/* _exit: the lines this thread is on will never finish; close them as they stand. */
static void flush_at_exit(void)
{
    struct thread_profile *profile = tls_profile;
    int top = profile == NULL ? 0 : profile->depth < MAX_ACTIVE_CALLS ? profile->depth : MAX_ACTIVE_CALLS;
    for (int index = top - 1; index >= 0; index--) {
        struct active_call *call = &profile->calls[index];
        line_reached(call, NULL);
    }
    send_tables();
}

static struct mprof_plugin plugin = {
    .entry = plugin_entry,
    .flush_at_exit = flush_at_exit,
    .fork_child = plugin_fork_child,
};

EXPORT const struct mprof_plugin *mprof_python_plugin_init(const struct mprof_core_api *api)
{
    const char *version = Py_GetVersion();
    if (api == NULL || api->version != MPROF_PLUGIN_API_VERSION ||
        strncmp(version, "3.11.", 5) != 0)
        return NULL;
    core = api;
    threads_counting = api->thread_count_now;
    table_init_fixed(&code_table, code_slots, CODE_TABLE_SLOTS);
    if (sites_init(api) == 0) {
        plugin.site_charge = sites_charge;
        plugin.site_count = sites_count;
        plugin.site_peak = sites_peak;
    }
    return &plugin;
}
