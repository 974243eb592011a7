/*
 * cpython315.h — what the plugin reads from CPython 3.15. Everything it reads is laid
 * out as in 3.14 (the frame chain, the stack-reference f_executable, the owners that
 * mark the interpreter's own frames: 3.15 drops FRAME_OWNED_BY_CSTACK, whose frames
 * were among those), so this is 3.14's header. Included by cpython.h alone.
 */
#ifndef MPROF_PLUGIN_CPYTHON315_H
#define MPROF_PLUGIN_CPYTHON315_H

#if PY_MAJOR_VERSION != 3 || PY_MINOR_VERSION != 15
#error "cpython315.h is for CPython 3.15's headers"
#endif

#include "cpython314.h"

#endif
