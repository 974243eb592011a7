/*
 * calls.c — @profile's bookkeeping: each thread's stack of decorated calls, and what a
 * line costs when it ends.
 *
 * How a line's increment is measured: the core counts every allocation and free, per
 * thread, to the byte. Each time a decorated function reaches a new line, the thread's
 * net bytes since it reached the previous one are added to that previous line. So an
 * increment is the net heap change while the line ran, callees included, on this
 * thread only, and nothing is paid per allocation.
 *
 * How line arrivals are seen, cheaply: 3.11's line tracing runs every instruction of
 * the traced thread through a de-specialised path (2.6x on a plain loop before any work
 * of ours), so by default there is no tracing at all. The decorator (glue.py) recompiles
 * the function from its source with a line marker before each statement (and at the
 * end of each loop body, so a loop header counts iterations + 1 as memory_profiler's
 * does): the statement `-<marker>`, where the marker is a small C object placed among
 * the code's constants whose negation is the hit. That is LOAD_CONST, UNARY_NEGATIVE
 * and POP_TOP, straight into calls_marker_hit through one slot, with no call frame and
 * no argument. A call to a C builtin took five bytecodes and the call protocol;
 * `del <marker>.x`, two bytecodes, cost about the same as this through
 * PyObject_SetAttr. Each bytecode costs the interpreter some 20-25 instructions, so a
 * hit's floor is about 70 of them plus our C: the hit, line_reached and what they call
 * are all in this file, inline. Functions whose source cannot be had fall back to a C
 * trace function, on only while such a call runs.
 */
#include "cpython.h"

#include <string.h>

#define MAX_ACTIVE_CALLS   1024      /* decorated calls nested on one thread */

static const struct mprof_core_api *core;
static const int *threads_counting;   /* core->thread_count_now, one load nearer */

void calls_init(const struct mprof_core_api *api)
{
    core = api;
    threads_counting = api->thread_count_now;
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

/* A decorated call begins on this thread (the wrapper, just before the function). */
static struct active_call *call_begin(struct thread_profile *profile, struct function_stats *function)
{
    if (profile->depth >= MAX_ACTIVE_CALLS) {
        profile->depth++; /* counted, so that call_end stays balanced */
        profile_update_top(profile);
        return NULL;
    }
    int64_t heap = core->process_live_bytes();
    tables_count_entry(function, heap);
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
    struct mprof_call record = {
        .function_id = call->function->id,
        .stack_level = call->level,
        .start_ns = call->start_ns,
        .end_ns = core->realtime_ns(),
        .heap_start_bytes = call->start_heap,
        .heap_end_bytes = heap,
    };
    tables_record_call(call->function, &record);
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
        struct function_stats *function = tables_function_of((PyObject *)cpython_frame_code(frame));
        if (call != NULL && call->frame == NULL && function == call->function)
            call->frame = frame; /* the frame the wrapper just started */
        else if (profile->saved_function == NULL)
            cpython_frame_stop_line_events(frame); /* a callee: its allocations count in our line */
    } else if (what == PyTrace_LINE && call != NULL && call->frame == frame) {
        /* Inside a comprehension inlined in the function (3.12 on) a line event is one
         * more iteration, not an arrival: up to 3.11 it ran in a frame of its own. */
        struct line_stats *line = line_stats_of(call->function, cpython_frame_line(frame));
        if (line != call->line || call->function->inlined_count == 0 ||
            !tables_offset_inlined(call->function, cpython_frame_offset(frame)))
            line_reached(call, line);
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


/* ---- what the _mprof module and the plugin's entry points call ------------------- */

PyObject *calls_marker_hit(PyObject *self)
{
    const struct line_marker *marker = (const struct line_marker *)self;
    struct thread_profile *profile = tls_profile;
    struct active_call *call = profile ? active_call_of(profile, marker->function) : NULL;
    if (call != NULL)
        line_reached(call, marker->stats);
    Py_INCREF(self);
    return self;
}

int calls_start(struct function_stats *function, int traced)
{
    struct thread_profile *profile = this_thread_profile();
    if (profile == NULL)
        return -1;
    call_begin(profile, function);
    if (traced && profile->enable_count++ == 0) {
        PyThreadState *thread = PyThreadState_Get();
        profile->saved_function = cpython_trace_function(thread);
        profile->saved_object = cpython_trace_object(thread);
        Py_XINCREF(profile->saved_object);
        PyEval_SetTrace(trace_lines, NULL);
    }
    return 0;
}

void calls_stop(struct function_stats *function, int traced)
{
    struct thread_profile *profile = tls_profile;
    if (profile == NULL)
        return;
    call_end(profile, function);
    if (traced && profile->enable_count > 0 && --profile->enable_count == 0) {
        PyEval_SetTrace(profile->saved_function, profile->saved_object);
        Py_CLEAR(profile->saved_object);
        profile->saved_function = NULL;
    }
    if (profile->depth == 0 && profile->enable_count == 0) {
        tls_profile = NULL;
        profile_release(profile);
    }
}

/* A decorated call the fork happened inside goes on in the child: it counts there as
 * one call entered at the fork, and the line it was on starts again at the fork. */
void calls_fork_child(void)
{
    struct thread_profile *profile = tls_profile;
    int tracked = profile == NULL ? 0
                  : profile->depth < MAX_ACTIVE_CALLS ? profile->depth : MAX_ACTIVE_CALLS;
    int64_t heap = tracked > 0 ? core->process_live_bytes() : 0;
    for (int index = 0; index < tracked; index++) {
        struct active_call *call = &profile->calls[index];
        tables_count_entry(call->function, heap);
        if (call->line != NULL)
            call->line->occurrences++;
        call->line_start_net = thread_net(call);
        call->start_heap = heap;
        call->start_ns = core->realtime_ns();
    }
}

void calls_flush_at_exit(void)
{
    struct thread_profile *profile = tls_profile;
    int top = profile == NULL ? 0 : profile->depth < MAX_ACTIVE_CALLS ? profile->depth : MAX_ACTIVE_CALLS;
    for (int index = top - 1; index >= 0; index--) {
        struct active_call *call = &profile->calls[index];
        line_reached(call, NULL);
    }
}
