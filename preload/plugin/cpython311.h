/*
 * cpython311.h — what the plugin reads from CPython 3.11 that other versions lay out
 * differently. Included by cpython.h alone (the build names it), after Python.h.
 *
 * 3.11 keeps a thread's Python frames as _PyInterpreterFrame records reached through
 * tstate->cframe->current_frame, each pointing at its code object and at the
 * instruction it last started (prev_instr); a PyFrameObject, which tracing hands us,
 * wraps one of them. These are internal structures (Py_BUILD_CORE): that is why the
 * plugin is built per minor version, and why nothing outside these headers touches them.
 * Every function runs with the GIL held and is inline: the first sits on a path that
 * runs once per allocation.
 */
#ifndef MPROF_PLUGIN_CPYTHON311_H
#define MPROF_PLUGIN_CPYTHON311_H

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION != 11
#error "cpython311.h is for CPython 3.11's headers"
#endif

#define Py_BUILD_CORE 1
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE

#include <stdint.h>

/* Where the calling thread's Python code is: the innermost complete frame's code
 * object (borrowed) and the index of the instruction it is on. 0, or -1 when the
 * thread runs no Python frame. (An incomplete frame has not run its first
 * instruction: its caller's line is the one allocating.) */
static inline int cpython_current_instruction(cpython_code_wanted wanted, PyCodeObject **code,
                                              int32_t *instruction)
{
    PyThreadState *thread = _PyThreadState_UncheckedGet();
    if (thread == NULL || thread->cframe == NULL)
        return -1;
    int found = -1;
    for (_PyInterpreterFrame *frame = thread->cframe->current_frame; frame != NULL;
         frame = frame->previous) {
        if (_PyFrame_IsIncomplete(frame))
            continue;
        int take = wanted == NULL || wanted(frame->f_code);
        if (take || found != 0) {
            *code = frame->f_code;
            *instruction = (int32_t)(frame->prev_instr - _PyCode_CODE(frame->f_code));
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
    return frame->f_frame->f_code;
}

#endif
