/*
 * cpython.h — what the files of the @profile plugin (libmprof-python3X.so) share.
 *
 * The plugin is built once per CPython minor version, from these same sources, against
 * that version's headers (3.10 to 3.15). Everything that differs between versions (the
 * interpreter's internal frame layout, a code object's fields, how an exception is kept)
 * sits in one small header per version, cpython3X.h, which the build names with
 * -DMPROF_CPYTHON_HEADER and which is included here and nowhere else; what every
 * version lays out alike is below it. The other files reach the interpreter's
 * internals only through these functions.
 *
 * Every function here runs with the GIL held unless its comment says otherwise; the
 * plugin never touches the allocator hooks: it asks the core for counts
 * (python/plugin_api.h).
 */
#ifndef MPROF_PLUGIN_CPYTHON_H
#define MPROF_PLUGIN_CPYTHON_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#ifndef MPROF_CPYTHON_HEADER
#error "build with -DMPROF_CPYTHON_HEADER=\"cpython3X.h\", the header of the version built for"
#endif
/* Which frames' code a caller of cpython_current_instruction looks for. */
typedef int (*cpython_code_wanted)(PyCodeObject *code);
#include MPROF_CPYTHON_HEADER

#include <stdint.h>

/* ---- what every version (3.10-3.15) lays out alike, or a range of them --------------
 * Each version's header provides, besides: cpython_current_instruction (the calling
 * thread's innermost complete frame whose code `wanted` accepts, or the innermost
 * complete one when none is or `wanted` is NULL: its code and instruction index; -1
 * without a frame) and cpython_frame_code (the code a traced frame runs). */

/* Facts of a range of versions, not of one layout. */

/* The byte offset of the instruction a traced frame is on (3.10's f_lasti counts code
 * units; PyFrame_GetLasti, from 3.11, bytes). */
static inline int cpython_frame_offset(PyFrameObject *frame)
{
#if PY_VERSION_HEX >= 0x030B0000
    return PyFrame_GetLasti(frame);
#else
    return frame->f_lasti * (int)sizeof(_Py_CODEUNIT);
#endif
}

/* A code object's qualified name for the --lines report (borrowed; a plain field read,
 * so it may run at _exit without the GIL): 3.10 keeps only the plain name. */
static inline PyObject *cpython_code_qualname(const PyCodeObject *code)
{
#if PY_VERSION_HEX >= 0x030B0000
    return code->co_qualname;
#else
    return code->co_name;
#endif
}

/* The exception set on this thread, taken off it (cleared) and put back: one object
 * from 3.12 (PyErr_Fetch is deprecated there), a triple before. */
struct cpython_saved_error {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exception;
#else
    PyObject *type, *value, *traceback;
#endif
};

static inline void cpython_error_save(struct cpython_saved_error *saved)
{
#if PY_VERSION_HEX >= 0x030C0000
    saved->exception = PyErr_GetRaisedException();
#else
    PyErr_Fetch(&saved->type, &saved->value, &saved->traceback);
#endif
}

static inline void cpython_error_restore(struct cpython_saved_error *saved)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(saved->exception);
#else
    PyErr_Restore(saved->type, saved->value, saved->traceback);
#endif
}

/* libmprof.so, which has no Python headers, reads a thread state's interpreter as its
 * third word (python/pysmall.c, from 3.12): each version's build checks that here. */
#if PY_VERSION_HEX >= 0x030C0000
_Static_assert(offsetof(PyThreadState, interp) == 2 * sizeof(void *),
               "PyThreadState.interp is no longer the third word: fix pysmall.c");
#endif

/* The exception set on this thread, taken off it (cleared) as one normalised object (a
 * new reference); there must be one. */
static inline PyObject *cpython_error_take(void)
{
    struct cpython_saved_error saved;
    cpython_error_save(&saved);
#if PY_VERSION_HEX >= 0x030C0000
    return saved.exception;
#else
    PyErr_NormalizeException(&saved.type, &saved.value, &saved.traceback);
    Py_XDECREF(saved.type);
    Py_XDECREF(saved.traceback);
    return saved.value;
#endif
}

/* Whether the calling thread runs the main interpreter (no thread state: only the main
 * one can be running). Before 3.12 every interpreter shares the one GIL and the
 * question does not arise. */
static inline int cpython_on_main_interpreter(void)
{
#if PY_VERSION_HEX >= 0x030C0000
    static PyInterpreterState *main_interpreter;
#if PY_VERSION_HEX >= 0x030D0000
    PyThreadState *thread = PyThreadState_GetUnchecked();
#else
    PyThreadState *thread = _PyThreadState_UncheckedGet();
#endif
    if (thread == NULL)
        return 1;
    if (__builtin_expect(main_interpreter == NULL, 0))
        main_interpreter = PyInterpreterState_Main();
    return thread->interp == main_interpreter;
#else
    return 1;
#endif
}

/* Whether the calling thread holds the GIL: safe on any thread (malloc may be called
 * by one that never ran Python). Up to 3.11 the current thread state is the GIL
 * holder's, global: it is compared with this thread's own, never read through; from
 * 3.12 it is this thread's, and set only while the thread holds its GIL. */
static inline int cpython_holds_gil(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return PyThreadState_GetUnchecked() != NULL;
#elif PY_VERSION_HEX >= 0x030C0000
    return _PyThreadState_UncheckedGet() != NULL;
#else
    PyThreadState *mine = PyGILState_GetThisThreadState();
    return mine != NULL && mine == _PyThreadState_UncheckedGet();
#endif
}

/* The byte offset PyCode_Addr2Line takes for an instruction index. */
static inline int cpython_instruction_offset(int32_t instruction)
{
    return instruction * (int)sizeof(_Py_CODEUNIT);
}

/* The line a traced frame is on, in a PyTrace_LINE event (every version sets the field
 * before calling a trace function). */
static inline int cpython_frame_line(PyFrameObject *frame)
{
    return frame->f_lineno;
}

/* Stop line events for one traced frame (its other events still come). */
static inline void cpython_frame_stop_line_events(PyFrameObject *frame)
{
    frame->f_trace_lines = 0;
}

/* The C trace function set on `thread` and its object (borrowed), to chain to. */
static inline Py_tracefunc cpython_trace_function(PyThreadState *thread)
{
    return thread->c_tracefunc;
}

static inline PyObject *cpython_trace_object(PyThreadState *thread)
{
    return thread->c_traceobj;
}

#include "mprof/protocol.h"
#include "../python/plugin_api.h"

/* "3.11.": how Py_GetVersion() starts in the interpreter these headers are from. */
#define CPYTHON_VERSION_PREFIX Py_STRINGIFY(PY_MAJOR_VERSION) "." Py_STRINGIFY(PY_MINOR_VERSION) "."

/* ---- the decorated functions' tables (tables.c) ------------------------------------ */

struct line_stats {
    uint64_t occurrences;
    int64_t increment_bytes;
    int64_t mem_usage_bytes;
};

struct function_stats {
    PyObject *code;            /* a strong reference, kept until the process ends; NULL
                                * for a named bracket (first_line 0) */
    uint32_t id;
    uint32_t first_line;       /* co_firstlineno: the first decorator's line */
    uint32_t last_line;
    uint32_t first_call_order; /* 0 until called */
    uint64_t calls;
    uint64_t calls_kept;       /* calls tables_record_call was given (kept or not) */
    struct mprof_call own_call;/* its first call, when the shared pool was full by then */
    const char *name;          /* "module.qualname" */
    const char *bracket_name;  /* "module.name", its FUNC brackets'; NULL: the same */
    const char *filename;
    struct line_stats *lines;  /* [last_line - first_line + 1]; [0] is the decorator's row */
    /* Traced only: the byte offsets [start, end] of the comprehensions inlined in the
     * code (3.12 on), whose iterations tracing reports as lines; NULL when none. */
    const uint32_t (*inlined)[2];
    uint32_t inlined_count;
};

/* The row of `line` in `function`'s table, NULL when the line is outside its range. */
static inline struct line_stats *line_stats_of(struct function_stats *function, long line)
{
    if (line < (long)function->first_line || line > (long)function->last_line)
        return NULL;
    return &function->lines[line - (long)function->first_line];
}

/* Once, before anything else in tables.c. */
void tables_init(const struct mprof_core_api *core);
/* The function registered for `code`, or NULL. */
struct function_stats *tables_function_of(const PyObject *code);
/* Register `code` (a new strong reference is kept) as a decorated function spanning
 * first_line..last_line (clamped to a sane range), named `name` ("module.qualname") in
 * `filename` (the file system's bytes), its FUNC brackets `bracket_name` ("module.name",
 * memory_profiler's). The new function, or NULL with a Python exception set (too many
 * functions, no memory). */
struct function_stats *tables_add_function(PyObject *code, const char *name,
                                           const char *bracket_name, const char *filename,
                                           long first_line, long last_line);
/* Register a named bracket (protocol.h: a FUNCTION of lines 0 to 0): calls_start and
 * calls_stop on it time a block, sent as CALL records named `name`, with no table. In a
 * table of its own, apart from the decorated functions'. The new bracket, or NULL, with
 * no exception set, when there is no room or memory for another (said once): the block
 * then runs untimed. */
struct function_stats *tables_add_bracket(const char *name);
/* Keep `count` [start, end] byte ranges of comprehensions inlined in `function`'s code
 * (copied). 0, or -1 with a Python exception set (no memory). */
int tables_set_inlined(struct function_stats *function, const uint32_t (*ranges)[2],
                       uint32_t count);
/* Whether the instruction at byte `offset` of `function`'s code is inside one of them. */
int tables_offset_inlined(const struct function_stats *function, int offset);
/* A call of `function` is entered with the process's heap at `heap_bytes`: its
 * decorator row counts it, as memory_profiler's does. */
void tables_count_entry(struct function_stats *function, int64_t heap_bytes);
/* Keep one finished call of `function` for the plot's brackets (the header is filled
 * when sent): in a shared pool while it has room, then only each function's first call;
 * the others are dropped, counted, and said in one notice when the tables are sent. */
void tables_record_call(struct function_stats *function, const struct mprof_call *call);
/* In a fork child: every table starts empty (the parent reports what came before). */
void tables_fork_child(void);
/* Send every table to the CLI (FUNCTION, LINE, CALL, then the sites' SITE records),
 * once per process. Pure C, no Python API: also called from _exit, without the GIL. */
void tables_send(void);

/* ---- calls and line arrivals (calls.c) --------------------------------------------- */

/* A line marker: the statement `-<marker>` in instrumented code says the frame reached
 * `line`. Line 0 comes from a `finally` around the body: the frame is leaving, so the
 * line it was on ends there and what the interpreter does after the frame
 * (StopIteration, the caller's bookkeeping) is charged to no line. Made by module.c;
 * negating one is calls_marker_hit. */
struct line_marker {
    PyObject_HEAD
    struct function_stats *function;
    struct line_stats *stats;  /* the line's row; NULL for line 0 or outside the range */
    int line;
};

/* Once, before anything else in calls.c. */
void calls_init(const struct mprof_core_api *core);
/* A call of `function` begins on this thread (the wrapper, just before the function).
 * With `traced` (no instrumented code), line events come from tracing while it runs.
 * 0, or -1 when there is no memory for the thread's call stack. */
int calls_start(struct function_stats *function, int traced);
/* That call ends (returned, raised, or a generator yielded). */
void calls_stop(struct function_stats *function, int traced);
/* nb_negative of a line marker: the hit. Returns the marker itself (a new reference)
 * and never fails, so the instrumented code never sees an exception of ours. */
PyObject *calls_marker_hit(PyObject *marker);
/* In a fork child, after tables_fork_child: the calls the fork happened inside go on
 * in the child, each counted there as entered at the fork. Pure C, no Python API. */
void calls_fork_child(void);
/* _exit: the lines this thread is on will never finish; close them as they stand.
 * Pure C, no Python API, no GIL needed. */
void calls_flush_at_exit(void);

/* ---- a plain function's wrapper without a frame (wrapper.c) ------------------------ */

/* Once, before wrapper_new (0, or -1 with a Python exception set). */
int wrapper_ready(void);
/* A callable that runs `target` (a new reference is kept) as one call of `function`
 * (traced: line events from tracing), binding as a method does; a new reference, or
 * NULL with a Python exception set. */
PyObject *wrapper_new(struct function_stats *function, PyObject *target, int traced);

/* ---- the _mprof module and the profile builtin (module.c) -------------------------- */

/* Install builtins.profile and a memory_profiler module whose profile is ours, and
 * register the tables' report with atexit. On the main thread, before the script's
 * first line. 0, or -1 after a notice to the user. */
int module_install(const struct mprof_core_api *core);

/* ---- whole-program line attribution, mprof run --lines (sites.c) -------------------- */

/* See python/plugin_api.h for the contract of the three hooks. */
int sites_init(const struct mprof_core_api *core);   /* 0, or -1 when out of memory */
uint32_t sites_charge(int64_t bytes);
void sites_count(uint32_t site, int64_t bytes);
int sites_charge_native(int64_t bytes, uint32_t *site);
/* At the entry point (GIL held): under --lines=user, learn which files are the
 * standard library's. */
void sites_learn_library(void);
void sites_free_native(uint32_t site, int64_t bytes, int aside);
int sites_holds_gil(void);
void sites_peak(int64_t heap_bytes);
/* Send the top sites as SITE records (pure C; also from _exit). */
void sites_send(void);
/* Whether any block was charged to a line this run (mprof run --lines is on). */
int sites_active(void);
/* Start a new window: from now on each site also sums what it allocates anew. GIL. */
void sites_window_begin(void);
/* The (at most `wanted`) sites that allocated the most bytes since sites_window_begin,
 * most first, into `chosen`; returns how many. GIL held. */
uint32_t sites_window_top(uint32_t *chosen, uint32_t wanted);
/* What a site is and what it did in the window (site from sites_window_top). */
struct site_window_figures {
    PyObject *code;          /* borrowed: the site's code object */
    int line;
    int64_t alloc_bytes;     /* bytes allocated there since the window began */
    uint64_t alloc_count;
};
void sites_window_figures(uint32_t site, struct site_window_figures *figures);

/* ---- the mprof module: the program's own questions (api.c) ------------------------- */

/* The `mprof` module (a new reference, or NULL with an exception set): the live heap,
 * an exact peak window, and under --lines the lines that allocated most in it. */
PyObject *api_module_create(const struct mprof_core_api *core);

#endif
