/*
 * cpython313.h — what the plugin reads from CPython 3.13 that other versions lay out
 * differently. Included by cpython.h alone (the build names it), after Python.h.
 *
 * 3.13 reaches the innermost _PyInterpreterFrame straight from tstate->current_frame
 * (no cframe). A frame names what it runs as f_executable (a code object, or None in
 * the shim frame each C-level entry into the interpreter puts in the chain, owned by
 * the C stack) and points at the instruction it is executing or about to begin
 * (instr_ptr). The completeness test is the interpreter's own (_PyFrame_IsIncomplete),
 * written out here on the fields so that no assertion of the internal headers runs per
 * allocation. Every function runs with the GIL held and is inline: the first sits on a
 * path that runs once per allocation.
 */
#ifndef MPROF_PLUGIN_CPYTHON313_H
#define MPROF_PLUGIN_CPYTHON313_H

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION != 13
#error "cpython313.h is for CPython 3.13's headers"
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
    PyThreadState *thread = PyThreadState_GetUnchecked();
    if (thread == NULL)
        return -1;
    int found = -1;
    for (_PyInterpreterFrame *frame = thread->current_frame; frame != NULL;
         frame = frame->previous) {
        if (frame->owner == FRAME_OWNED_BY_CSTACK)
            continue;
        PyCodeObject *running = (PyCodeObject *)frame->f_executable;
        const _Py_CODEUNIT *first = _PyCode_CODE(running);
        if (frame->owner != FRAME_OWNED_BY_GENERATOR &&
            frame->instr_ptr < first + running->_co_firsttraceable)
            continue;
        int take = wanted == NULL || wanted(running);
        if (take || found != 0) {
            *code = running;
            *instruction = (int32_t)(frame->instr_ptr - first);
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
    return (PyCodeObject *)frame->f_frame->f_executable;
}

#endif
