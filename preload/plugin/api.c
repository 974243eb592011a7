/*
 * api.c — the `mprof` module: what a program run under mprof may ask of the heap counters
 * itself (a test runner's memory limits, a script's own budget), from the same exact
 * per-thread counts the .dat gets, not from RSS.
 *
 * It is a real module with a spec, put in sys.modules before the script's first line,
 * so `import mprof` and importlib.util.find_spec("mprof") both work; outside mprof run
 * there is no such module, and a caller can tell.
 */
#include "cpython.h"

static const struct mprof_core_api *core;

static PyObject *api_heap_live_bytes(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyLong_FromLongLong(core->process_live_bytes());
}

static PyObject *api_reset_heap_peak(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    sites_window_begin();
    return PyLong_FromLongLong(core->window_begin());
}

static PyObject *api_heap_peak_bytes(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyLong_FromLongLong(core->window_peak());
}

static PyObject *api_pause_heap_peak(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyLong_FromLongLong(core->window_pause());
}

/* One row of top_lines: (bytes_allocated, allocations, filename, lineno, function). */
static PyObject *line_row(uint32_t site)
{
    struct site_window_figures figures;
    sites_window_figures(site, &figures);
    const PyCodeObject *code = (const PyCodeObject *)figures.code;
    return Py_BuildValue("(LKOiO)", (long long)figures.alloc_bytes,
                         (unsigned long long)figures.alloc_count, code->co_filename,
                         figures.line, cpython_code_qualname(code));
}

#define TOP_LINES_MAX 1000

static PyObject *api_top_lines(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    Py_ssize_t wanted = 10;
    if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError, "top_lines(n=10): at most one argument");
        return NULL;
    }
    if (nargs == 1) {
        wanted = PyLong_AsSsize_t(args[0]);
        if (wanted == -1 && PyErr_Occurred())
            return NULL;
        if (wanted < 0 || wanted > TOP_LINES_MAX) {
            PyErr_Format(PyExc_ValueError, "top_lines(n): n must be 0 to %d, not %zd",
                         TOP_LINES_MAX, wanted);
            return NULL;
        }
    }
    if (!sites_active())
        Py_RETURN_NONE; /* no --lines: no line knows its bytes */
    uint32_t chosen[TOP_LINES_MAX];
    uint32_t count = sites_window_top(chosen, (uint32_t)wanted);
    PyObject *rows = PyList_New(count);
    for (uint32_t index = 0; rows != NULL && index < count; index++) {
        PyObject *row = line_row(chosen[index]);
        if (row == NULL) {
            Py_CLEAR(rows);
            break;
        }
        PyList_SET_ITEM(rows, index, row);
    }
    return rows;
}

static PyMethodDef api_methods[] = {
    {"heap_live_bytes", api_heap_live_bytes, METH_NOARGS,
     "heap_live_bytes() -> int: the whole process's live heap now, in exact bytes."},
    {"reset_heap_peak", api_reset_heap_peak, METH_NOARGS,
     "reset_heap_peak() -> int: start a new peak window at the live heap now (returned).\n"
     "Until pause_heap_peak(), every allocation of every thread is checked, so the\n"
     "window's peak is exact; that costs time on each allocation."},
    {"heap_peak_bytes", api_heap_peak_bytes, METH_NOARGS,
     "heap_peak_bytes() -> int: the highest live heap since the last reset_heap_peak()\n"
     "(before any: the run's own high-water mark)."},
    {"pause_heap_peak", api_pause_heap_peak, METH_NOARGS,
     "pause_heap_peak() -> int: stop the exact checks and return the window's peak,\n"
     "which heap_peak_bytes() keeps giving."},
    {"top_lines", (PyCFunction)(void (*)(void))api_top_lines, METH_FASTCALL,
     "top_lines(n=10) -> list or None: under mprof run --lines, the n source lines that\n"
     "allocated the most bytes since the last reset_heap_peak(), most first, each\n"
     "(bytes_allocated, allocations, filename, lineno, function); None without --lines."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef api_module = {
    PyModuleDef_HEAD_INIT, "mprof",
    "mprof's heap counters, as the program sees them under mprof run: exact bytes.", -1,
    api_methods, NULL, NULL, NULL, NULL,
};

PyObject *api_module_create(const struct mprof_core_api *api)
{
    core = api;
    PyObject *module = PyModule_Create(&api_module);
    PyObject *machinery = module ? PyImport_ImportModule("importlib.machinery") : NULL;
    PyObject *spec_type = machinery ? PyObject_GetAttrString(machinery, "ModuleSpec") : NULL;
    PyObject *arguments = spec_type ? Py_BuildValue("(sO)", "mprof", Py_None) : NULL;
    PyObject *keywords = arguments ? Py_BuildValue("{ss}", "origin", "mprof run") : NULL;
    /* No loader: nothing can load it again, but importlib finds it by its spec. */
    PyObject *spec = keywords ? PyObject_Call(spec_type, arguments, keywords) : NULL;
    int failed = spec == NULL || PyObject_SetAttrString(module, "__spec__", spec) != 0;
    Py_XDECREF(spec);
    Py_XDECREF(keywords);
    Py_XDECREF(arguments);
    Py_XDECREF(spec_type);
    Py_XDECREF(machinery);
    if (failed)
        Py_CLEAR(module);
    return module;
}
