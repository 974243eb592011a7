/*
 * wrapper.c — a decorated plain function's wrapper as a C object, where a Python one
 * would cost the program bytes: on 3.10 every Python call runs in a heap frame, and the
 * wrapper's (496 B, and a 64-byte **kwargs dict) stays in CPython's free lists after the
 * call, so each level of a recursion left one in the calling line. This one has no
 * frame: a call is calls_start, the target's vectorcall, calls_stop.
 *
 * It behaves as the function it wraps where a decorator's result is looked at: it binds
 * as a method (a descriptor, like a function), and carries a __dict__ for the names
 * functools.update_wrapper copies (__name__, __qualname__, __doc__, __wrapped__...).
 */
#include "cpython.h"

#include <stddef.h>

struct profiled_wrapper {
    PyObject_HEAD
    struct function_stats *function;
    PyObject *target;    /* what is called: the instrumented function, or the original */
    PyObject *dict;
    vectorcallfunc vectorcall;
    int traced;
};

static PyObject *wrapper_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                    PyObject *kwnames)
{
    struct profiled_wrapper *wrapper = (struct profiled_wrapper *)self;
    if (calls_start(wrapper->function, wrapper->traced) != 0)
        return PyErr_NoMemory();
    PyObject *result = PyObject_Vectorcall(wrapper->target, args, nargsf, kwnames);
    calls_stop(wrapper->function, wrapper->traced);
    return result;
}

/* As a function does: looked up on an instance, a bound method. */
static PyObject *wrapper_get(PyObject *self, PyObject *instance, PyObject *owner)
{
    (void)owner;
    if (instance == NULL || instance == Py_None) {
        Py_INCREF(self);
        return self;
    }
    return PyMethod_New(self, instance);
}

static int wrapper_traverse(PyObject *self, visitproc visit, void *arg)
{
    struct profiled_wrapper *wrapper = (struct profiled_wrapper *)self;
    Py_VISIT(wrapper->target);
    Py_VISIT(wrapper->dict);
    return 0;
}

static int wrapper_clear(PyObject *self)
{
    struct profiled_wrapper *wrapper = (struct profiled_wrapper *)self;
    Py_CLEAR(wrapper->target);
    Py_CLEAR(wrapper->dict);
    return 0;
}

static void wrapper_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    wrapper_clear(self);
    Py_TYPE(self)->tp_free(self);
}

static PyGetSetDef wrapper_getset[] = {
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject wrapper_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mprof.profiled_function",
    .tp_basicsize = sizeof(struct profiled_wrapper),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
                Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "a function under mprof's @profile",
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(struct profiled_wrapper, vectorcall),
    .tp_dictoffset = offsetof(struct profiled_wrapper, dict),
    .tp_descr_get = wrapper_get,
    .tp_traverse = wrapper_traverse,
    .tp_clear = wrapper_clear,
    .tp_dealloc = wrapper_dealloc,
    .tp_getattro = PyObject_GenericGetAttr,
    .tp_setattro = PyObject_GenericSetAttr,
    .tp_getset = wrapper_getset,
};

int wrapper_ready(void)
{
    return PyType_Ready(&wrapper_type);
}

PyObject *wrapper_new(struct function_stats *function, PyObject *target, int traced)
{
    struct profiled_wrapper *wrapper = PyObject_GC_New(struct profiled_wrapper, &wrapper_type);
    if (wrapper == NULL)
        return NULL;
    wrapper->function = function;
    Py_INCREF(target);
    wrapper->target = target;
    wrapper->dict = NULL;
    wrapper->vectorcall = wrapper_vectorcall;
    wrapper->traced = traced;
    PyObject_GC_Track((PyObject *)wrapper);
    return (PyObject *)wrapper;
}
