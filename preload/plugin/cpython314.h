/*
 * cpython314.h — what the plugin reads from CPython 3.14 (and 3.15, whose header
 * includes this one) that other versions lay out differently. Included by cpython.h
 * alone (the build names it), after Python.h.
 *
 * As in 3.13, tstate->current_frame is the innermost _PyInterpreterFrame and instr_ptr
 * the instruction it is on; but f_executable is a _PyStackRef now (a tagged pointer:
 * deferred reference counting), read through PyStackRef_AsPyObjectBorrow, and the
 * frames that are no line of the program's (the C stack's shim frames, the
 * interpreter's own) are all owned from FRAME_OWNED_BY_INTERPRETER up. A frame's
 * instructions are its code's own (only a free-threaded build, which gets no plugin,
 * gives each thread a copy). The completeness test is the interpreter's own
 * (_PyFrame_IsIncomplete), written out here on the fields so that no assertion of the
 * internal headers runs per allocation. Every function runs with the GIL held and is
 * inline: the first sits on a path that runs once per allocation.
 */
#ifndef MPROF_PLUGIN_CPYTHON314_H
#define MPROF_PLUGIN_CPYTHON314_H

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION < 14 || PY_MINOR_VERSION > 15
#error "cpython314.h is for CPython 3.14's and 3.15's headers"
#endif

#ifdef Py_GIL_DISABLED
#error "the plugin is for builds with the GIL"
#endif

/* The internal headers leave some parameters unused in a build with the GIL (theirs to
 * say, not a warning of ours). */
#define Py_BUILD_CORE 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "internal/pycore_frame.h"
#include "internal/pycore_interpframe.h"
#pragma GCC diagnostic pop
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
        if (frame->owner >= FRAME_OWNED_BY_INTERPRETER)
            continue;
        PyCodeObject *running = (PyCodeObject *)PyStackRef_AsPyObjectBorrow(frame->f_executable);
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
    return (PyCodeObject *)PyStackRef_AsPyObjectBorrow(frame->f_frame->f_executable);
}

#endif
