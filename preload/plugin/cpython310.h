/*
 * cpython310.h — what the plugin reads from CPython 3.10 that other versions lay out
 * differently. Included by cpython.h alone (the build names it), after Python.h.
 *
 * 3.10 still runs every Python function in a PyFrameObject: tstate->frame is the
 * innermost, f_back its caller, f_lasti the index of the instruction it is on (-1 before
 * its first). Code objects have no co_qualname yet. Every function runs with the GIL
 * held and is inline: the first sits on a path that runs once per allocation.
 */
#ifndef MPROF_PLUGIN_CPYTHON310_H
#define MPROF_PLUGIN_CPYTHON310_H

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION != 10
#error "cpython310.h is for CPython 3.10's headers"
#endif

#include <frameobject.h>

#include <stdint.h>

/* Where the calling thread's Python code is: the innermost frame that has started (its
 * code object, borrowed) and the index of the instruction it is on. 0, or -1 when the
 * thread runs no Python frame. (A frame that has not run its first instruction is being
 * set up: its caller's line is the one allocating.) */
static inline int cpython_current_instruction(PyCodeObject **code, int32_t *instruction)
{
    PyThreadState *thread = _PyThreadState_UncheckedGet();
    if (thread == NULL)
        return -1;
    PyFrameObject *frame = thread->frame;
    while (frame != NULL && frame->f_lasti < 0)
        frame = frame->f_back;
    if (frame == NULL)
        return -1;
    *code = frame->f_code;
    *instruction = frame->f_lasti;
    return 0;
}

/* The code object a frame handed to a trace function runs (borrowed). */
static inline PyCodeObject *cpython_frame_code(PyFrameObject *frame)
{
    return frame->f_code;
}

/* The byte offset of the instruction a traced frame is on (f_lasti counts code units). */
static inline int cpython_frame_offset(PyFrameObject *frame)
{
    return frame->f_lasti * (int)sizeof(_Py_CODEUNIT);
}

/* A code object's name for the --lines report (borrowed; a plain field read, so it may
 * run at _exit without the GIL): 3.10 keeps only the plain name in the code. */
static inline PyObject *cpython_code_qualname(const PyCodeObject *code)
{
    return code->co_name;
}

/* The exception set on this thread, taken off it (cleared) and put back. */
struct cpython_saved_error {
    PyObject *type, *value, *traceback;
};

static inline void cpython_error_save(struct cpython_saved_error *saved)
{
    PyErr_Fetch(&saved->type, &saved->value, &saved->traceback);
}

static inline void cpython_error_restore(struct cpython_saved_error *saved)
{
    PyErr_Restore(saved->type, saved->value, saved->traceback);
}

#endif
