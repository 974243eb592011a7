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
static inline int cpython_current_instruction(cpython_code_wanted wanted, PyCodeObject **code,
                                              int32_t *instruction)
{
    PyThreadState *thread = _PyThreadState_UncheckedGet();
    if (thread == NULL)
        return -1;
    int found = -1;
    for (PyFrameObject *frame = thread->frame; frame != NULL; frame = frame->f_back) {
        if (frame->f_lasti < 0)
            continue;
        int take = wanted == NULL || wanted(frame->f_code);
        if (take || found != 0) {
            *code = frame->f_code;
            *instruction = frame->f_lasti;
            found = 0;
        }
        if (take)
            return 0;
    }
    return found;
}

/* The code object a frame handed to a trace function runs (borrowed). */
static inline PyCodeObject *cpython_frame_code(PyFrameObject *frame)
{
    return frame->f_code;
}

#endif
