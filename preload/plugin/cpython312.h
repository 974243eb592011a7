/*
 * cpython312.h — what the plugin reads from CPython 3.12 that other versions lay out
 * differently. Included by cpython.h alone (the build names it), after Python.h.
 *
 * As in 3.11, frames are _PyInterpreterFrame records from tstate->cframe->current_frame,
 * with f_code and prev_instr; new in 3.12, each C-level entry into the interpreter puts
 * a shim frame of its own (owned by the C stack, running a trampoline) in that chain,
 * which is no line of the program's. The exception set is one object now
 * (PyErr_GetRaisedException; PyErr_Fetch is deprecated). Every function runs with the
 * GIL held and is inline: the first sits on a path that runs once per allocation.
 */
#ifndef MPROF_PLUGIN_CPYTHON312_H
#define MPROF_PLUGIN_CPYTHON312_H

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION != 12
#error "cpython312.h is for CPython 3.12's headers"
#endif

#define Py_BUILD_CORE 1
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE

#include <stdint.h>

/* Where the calling thread's Python code is: the innermost complete frame's code
 * object (borrowed) and the index of the instruction it is on. 0, or -1 when the
 * thread runs no Python frame. (An incomplete frame has not run its first
 * instruction: its caller's line is the one allocating; a shim frame is skipped.) */
static inline int cpython_current_instruction(cpython_code_wanted wanted, PyCodeObject **code,
                                              int32_t *instruction)
{
    PyThreadState *thread = _PyThreadState_UncheckedGet();
    if (thread == NULL || thread->cframe == NULL)
        return -1;
    int found = -1;
    for (_PyInterpreterFrame *frame = thread->cframe->current_frame; frame != NULL;
         frame = frame->previous) {
        if (frame->owner == FRAME_OWNED_BY_CSTACK || _PyFrame_IsIncomplete(frame))
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
