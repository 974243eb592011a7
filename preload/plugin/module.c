/*
 * module.c — the _mprof module, the C half of @profile that glue.py's decorator calls,
 * and the install of that decorator as the builtin `profile`.
 *
 * The decorator itself is Python (glue.py): instrumenting a function's source is
 * simplest there, and it runs once per decoration. It holds a handle per decorated
 * function (register), places line markers among the recompiled code's constants
 * (marker), and brackets each call (start, stop); the atexit report sends the tables.
 */
#include "cpython.h"

#include <dlfcn.h>
#include <marshal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct mprof_core_api *core;

/* A decorated function's handle, as the glue holds it: register() returns one, and
 * start()/stop()/marker() take it. */
struct function_handle {
    PyObject_HEAD
    struct function_stats *function;
};

static PyTypeObject function_handle_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mprof.function",
    .tp_basicsize = sizeof(struct function_handle),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "a function under mprof's @profile",
};

static struct function_stats *handle_function(PyObject *handle)
{
    if (!PyObject_TypeCheck(handle, &function_handle_type)) {
        PyErr_SetString(PyExc_TypeError, "not an mprof function handle");
        return NULL;
    }
    return ((struct function_handle *)handle)->function;
}

/* Negating a marker is a line hit: calls.c, where the rest of a hit is, inline. */
static PyNumberMethods marker_number_methods = { .nb_negative = calls_marker_hit };

static PyObject *marker_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<mprof line %d>", ((struct line_marker *)self)->line);
}

static PyTypeObject line_marker_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mprof.line_marker",
    .tp_basicsize = sizeof(struct line_marker),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "negated when a decorated line begins",
    .tp_as_number = &marker_number_methods,
    .tp_repr = marker_repr,
};

/* marker(handle, line) -> a line marker for the handle's function. */
static PyObject *mprof_marker(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 2 ? handle_function(args[0]) : NULL;
    long line = function != NULL && PyLong_Check(args[1]) ? PyLong_AsLong(args[1]) : -1;
    if (function == NULL || line < 0 || line > INT32_MAX) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "marker(handle, line)");
        return NULL;
    }
    struct line_marker *marker = PyObject_New(struct line_marker, &line_marker_type);
    if (marker == NULL)
        return NULL;
    marker->function = function;
    marker->line = (int)line;
    marker->stats = line > 0 ? line_stats_of(function, line) : NULL;
    return (PyObject *)marker;
}

/* register(code, name, last_line, bracket_name) -> handle: make `code` a decorated
 * function, its table named `name`, its FUNC brackets `bracket_name`. */
static PyObject *mprof_register(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 4 || !PyCode_Check(args[0]) || !PyUnicode_Check(args[1]) ||
        !PyLong_Check(args[2]) || !PyUnicode_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "register(code, name, last_line, bracket_name)");
        return NULL;
    }
    PyCodeObject *code = (PyCodeObject *)args[0];
    struct function_stats *function = tables_function_of((PyObject *)code);
    if (function == NULL) {
        const char *name = PyUnicode_AsUTF8(args[1]);
        const char *bracket_name = name != NULL ? PyUnicode_AsUTF8(args[3]) : NULL;
        /* A path need not be UTF-8: send the file system's own bytes. */
        PyObject *filename_bytes = PyUnicode_EncodeFSDefault(code->co_filename);
        const char *filename = filename_bytes ? PyBytes_AS_STRING(filename_bytes) : NULL;
        long last_line = PyLong_AsLong(args[2]);
        if (bracket_name == NULL || filename == NULL || (last_line == -1 && PyErr_Occurred())) {
            Py_XDECREF(filename_bytes);
            return NULL;
        }
        function = tables_add_function((PyObject *)code, name, bracket_name, filename,
                                       code->co_firstlineno, last_line);
        Py_DECREF(filename_bytes);
        if (function == NULL)
            return NULL;
    }
    struct function_handle *handle = PyObject_New(struct function_handle, &function_handle_type);
    if (handle == NULL)
        return NULL;
    handle->function = function;
    return (PyObject *)handle;
}

/* bracket(name) -> handle: a named bracket (protocol.h), no function's: start(handle,
 * False) and stop(handle, False) around a block make one FUNC bracket `name` in the .dat,
 * nested in the decorated calls and brackets open on the thread, with no table. None
 * when there is no room for another name (said once): the block runs untimed, for a
 * profiler must not make the program fail. */
static PyObject *mprof_bracket(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    if (nargs != 1 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "bracket(name)");
        return NULL;
    }
    const char *name = PyUnicode_AsUTF8(args[0]);
    if (name == NULL)
        PyErr_Clear();  /* a name with lone surrogates: no bracket */
    struct function_stats *function = name != NULL ? tables_add_bracket(name) : NULL;
    if (function == NULL)
        Py_RETURN_NONE;
    struct function_handle *handle = PyObject_New(struct function_handle, &function_handle_type);
    if (handle == NULL)
        return NULL;
    handle->function = function;
    return (PyObject *)handle;
}

/* start(handle, traced): a call of the handle's function begins on this thread. With
 * traced true (no instrumented code), line events come from tracing during the call. */
static PyObject *mprof_start(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 2 ? handle_function(args[0]) : NULL;
    if (function == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "start(handle, traced)");
        return NULL;
    }
    if (calls_start(function, PyObject_IsTrue(args[1])) != 0)
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

/* wrap(handle, target, traced) -> a C wrapper of a plain function (wrapper.c): one call
 * of the handle's function per call, with no frame of its own. */
static PyObject *mprof_wrap(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 3 ? handle_function(args[0]) : NULL;
    if (function == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "wrap(handle, target, traced)");
        return NULL;
    }
    int traced = PyObject_IsTrue(args[2]);
    return traced < 0 ? NULL : wrapper_new(function, args[1], traced);
}

#define MAX_INLINED 256   /* comprehension ranges kept per traced function */

/* inlined(handle, ranges): the [start, end] byte offsets, a sequence of pairs, of the
 * comprehensions inlined in the handle's function (traced calls only). */
static PyObject *mprof_inlined(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 2 ? handle_function(args[0]) : NULL;
    PyObject *ranges = function != NULL ? PySequence_Fast(args[1], "inlined(handle, ranges)") : NULL;
    if (ranges == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "inlined(handle, ranges)");
        return NULL;
    }
    uint32_t pairs[MAX_INLINED][2];
    Py_ssize_t count = PySequence_Fast_GET_SIZE(ranges);
    if (count > MAX_INLINED)
        count = MAX_INLINED;
    for (Py_ssize_t index = 0; index < count; index++) {
        unsigned int start, end;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(ranges, index), "II", &start, &end)) {
            Py_DECREF(ranges);
            return NULL;
        }
        pairs[index][0] = start;
        pairs[index][1] = end;
    }
    Py_DECREF(ranges);
    if (tables_set_inlined(function, (const uint32_t (*)[2])pairs, (uint32_t)count) != 0)
        return NULL;
    Py_RETURN_NONE;
}

/* stop(handle, traced): a call of the handle's function on this thread ends. */
static PyObject *mprof_stop(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 2 ? handle_function(args[0]) : NULL;
    if (function == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "stop(handle, traced)");
        return NULL;
    }
    calls_stop(function, PyObject_IsTrue(args[1]));
    Py_RETURN_NONE;
}

/* What the StopIteration being raised carries (a new reference), the error cleared; or
 * NULL with the error left as it is when it is no StopIteration. */
static PyObject *stop_iteration_value(void)
{
    if (!PyErr_ExceptionMatches(PyExc_StopIteration))
        return NULL;
    PyObject *exception = cpython_error_take();
    PyObject *value = ((PyStopIterationObject *)exception)->value;
    Py_INCREF(value);
    Py_DECREF(exception);
    return value;
}

/* step(handle, traced, awaitable, value, error) -> (finished, result): one step of a
 * decorated coroutine or async generator, a call of its own: the call begins, the
 * awaitable is thrown `error` (when not None) or sent `value`, and the call ends.
 * (True, what it returned) when it finished, (False, what it yielded) when it
 * suspended; what it raised otherwise. A return value's StopIteration is never made
 * (PyIter_Send) or made and freed inside the call, so no line is charged for it: an
 * async generator's asend returns each item that way. */
static PyObject *mprof_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    (void)self;
    struct function_stats *function = nargs == 5 ? handle_function(args[0]) : NULL;
    if (function == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "step(handle, traced, awaitable, value, error)");
        return NULL;
    }
    int traced = PyObject_IsTrue(args[1]);
    if (traced < 0)
        return NULL;
    if (calls_start(function, traced) != 0)
        return PyErr_NoMemory();
    PyObject *result = NULL;
    int finished = 0;
    if (args[4] == Py_None) {
        finished = PyIter_Send(args[2], args[3], &result) == PYGEN_RETURN;
    } else {
        /* "(O)": the error is the one argument, whatever it is ("O" would spread a tuple). */
        result = PyObject_CallMethod(args[2], "throw", "(O)", args[4]);
        if (result == NULL) {
            result = stop_iteration_value();
            finished = result != NULL;
        }
    }
    /* Whatever the awaitable raised stays set across the bookkeeping (which may switch
     * tracing off). */
    struct cpython_saved_error saved;
    cpython_error_save(&saved);
    calls_stop(function, traced);
    cpython_error_restore(&saved);
    if (result == NULL)
        return NULL;
    PyObject *pair = PyTuple_Pack(2, finished ? Py_True : Py_False, result);
    Py_DECREF(result);
    return pair;
}

/* report(): registered with atexit by module_install. */
static PyObject *mprof_report(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    tables_send();
    /* The last atexit handler (registered before the script's first line): the
     * program's own code is done, the interpreter's finalization not yet begun. */
    core->program_ended();
    Py_RETURN_NONE;
}

static PyMethodDef mprof_methods[] = {
    {"register", (PyCFunction)(void (*)(void))mprof_register, METH_FASTCALL,
     "register(code, name, last_line) -> handle"},
    {"marker", (PyCFunction)(void (*)(void))mprof_marker, METH_FASTCALL,
     "marker(handle, line) -> line marker"},
    {"bracket", (PyCFunction)(void (*)(void))mprof_bracket, METH_FASTCALL,
     "bracket(name) -> handle: a named block's brackets, with no table"},
    {"start", (PyCFunction)(void (*)(void))mprof_start, METH_FASTCALL,
     "start(handle, traced): a decorated call begins"},
    {"stop", (PyCFunction)(void (*)(void))mprof_stop, METH_FASTCALL,
     "stop(handle, traced): a decorated call ends"},
    {"wrap", (PyCFunction)(void (*)(void))mprof_wrap, METH_FASTCALL,
     "wrap(handle, target, traced) -> a wrapper of a plain function, with no frame"},
    {"step", (PyCFunction)(void (*)(void))mprof_step, METH_FASTCALL,
     "step(handle, traced, awaitable, value, error) -> (finished, result): one step, a call"},
    {"inlined", (PyCFunction)(void (*)(void))mprof_inlined, METH_FASTCALL,
     "inlined(handle, ranges): where comprehensions are inlined in a traced function"},
    {"report", mprof_report, METH_NOARGS, "send the tables to mprof"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef mprof_module = {
    PyModuleDef_HEAD_INIT, "_mprof", "mprof's @profile primitives", -1, mprof_methods,
    NULL, NULL, NULL, NULL,
};

/* The glue is embedded here at build time twice: compiled (marshalled at build time by
 * the interpreter of the version built for, so that no process pays for compiling it
 * at start-up) and as source, compiled only if the code object will not load. */
#if !defined(MPROF_GLUE_PATH) || !defined(MPROF_GLUE_CODE_PATH)
#error "build with -DMPROF_GLUE_PATH=\"glue.py\" -DMPROF_GLUE_CODE_PATH=\"glue.marshal\""
#endif
extern const char mprof_glue_source[];
extern const char mprof_glue_code[], mprof_glue_code_end[];
__asm__(".section .rodata\n"
        ".hidden mprof_glue_source\n"
        ".type mprof_glue_source, @object\n"
        "mprof_glue_source:\n"
        ".incbin \"" MPROF_GLUE_PATH "\"\n"
        ".byte 0\n"
        ".hidden mprof_glue_code\n"
        ".hidden mprof_glue_code_end\n"
        "mprof_glue_code:\n"
        ".incbin \"" MPROF_GLUE_CODE_PATH "\"\n"
        "mprof_glue_code_end:\n"
        ".previous\n");

/* The glue's code object: the build's, or compiled from the source if that will not
 * load (a new reference, or NULL with an exception set). */
static PyObject *glue_code(void)
{
    PyObject *code = PyMarshal_ReadObjectFromString(mprof_glue_code,
                                                    mprof_glue_code_end - mprof_glue_code);
    if (code != NULL && PyCode_Check(code))
        return code;
    Py_XDECREF(code);
    PyErr_Clear();
    return Py_CompileString(mprof_glue_source, "<mprof glue.py>", Py_file_input);
}

/* The glue's finder `make` for directory, put at the front of sys.meta_path (or at its
 * end with append); a failure is the notice `why`. */
static void finder_install(PyObject *globals, const char *make, PyObject *arguments, int append,
                           const char *why)
{
    PyObject *factory = PyDict_GetItemString(globals, make); /* borrowed */
    PyObject *finder = (arguments && factory) ? PyObject_CallObject(factory, arguments) : NULL;
    PyObject *meta_path = PySys_GetObject("meta_path"); /* borrowed */
    if (finder == NULL || meta_path == NULL ||
        (append ? PyList_Append(meta_path, finder) : PyList_Insert(meta_path, 0, finder)) != 0) {
        if (getenv("MPROF_DEBUG") != NULL && PyErr_Occurred())
            PyErr_Print();
        PyErr_Clear();
        core->notice(why);
    }
    Py_XDECREF(finder);
}

/* Whether lib/mprof/python/NAME (beside this library, whose path ends at `slash`) can
 * be read; said once when not (a library copied alone, MPROF_LIBRARY elsewhere). */
static int python_file_present(const char *library, const char *slash, const char *name,
                               const char *without)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%.*s/python/%s", (int)(slash - library), library, name) <
            (int)sizeof path && access(path, R_OK) == 0)
        return 1;
    core->notice(without);
    return 0;
}

/* The Python of lib/mprof/python/, beside this library: mprof's memory_profiler module,
 * first on sys.meta_path (ahead of the original package), and pytest's way to the
 * plugin, last. Without them the program runs, and `import memory_profiler` finds what
 * sys.path has, and pytest runs without the plugin: each failure is one notice. */
static void python_finders_install(PyObject *globals, PyObject *profile)
{
    Dl_info self;
    const char *slash = NULL;
    if (dladdr((void *)python_finders_install, &self) != 0 && self.dli_fname != NULL)
        slash = strrchr(self.dli_fname, '/');
    if (slash == NULL) {
        core->notice("no path to this library: no memory_profiler module and no pytest plugin "
                     "of mprof's");
        return;
    }
    PyObject *directory = PyUnicode_DecodeFSDefaultAndSize(self.dli_fname, slash - self.dli_fname);
    PyObject *python = directory ? PyUnicode_FromFormat("%U/python", directory) : NULL;
    Py_XDECREF(directory);
    if (python_file_present(self.dli_fname, slash, "memory_profiler.py",
                            "no python/memory_profiler.py beside this library: import "
                            "memory_profiler finds what sys.path has")) {
        PyObject *arguments = python ? PyTuple_Pack(2, python, profile) : NULL;
        finder_install(globals, "_module_finder", arguments, 0,
                       "import memory_profiler finds what sys.path has: mprof's finder did "
                       "not install");
        Py_XDECREF(arguments);
    }
    if (python_file_present(self.dli_fname, slash, "pytest_mprof.py",
                            "no python/pytest_mprof.py beside this library: pytest runs without "
                            "mprof's plugin")) {
        PyObject *arguments = python ? PyTuple_Pack(1, python) : NULL;
        finder_install(globals, "_pytest_finder", arguments, 1,
                       "pytest runs without mprof's plugin: its finder did not install");
        Py_XDECREF(arguments);
    }
    Py_XDECREF(python);
}

int module_install(const struct mprof_core_api *api)
{
    core = api;
    if (PyType_Ready(&function_handle_type) != 0 || PyType_Ready(&line_marker_type) != 0 ||
        wrapper_ready() != 0) {
        PyErr_Clear();
        core->notice("could not install the profile builtin; no line tables this run");
        return -1;
    }
    PyObject *module = PyModule_Create(&mprof_module);
    PyObject *globals = PyDict_New();
    PyObject *builtins = PyImport_ImportModule("builtins");
    PyObject *decorator = NULL, *profile = NULL, *api_module = NULL, *atexit = NULL, *result = NULL;
    int status = -1;
    if (module == NULL || globals == NULL || builtins == NULL)
        goto done;
    if (PyDict_SetItemString(globals, "__builtins__", builtins) != 0)
        goto done;
    PyObject *glue = glue_code();
    result = glue ? PyEval_EvalCode(glue, globals, globals) : NULL;
    Py_XDECREF(glue);
    if (result == NULL)
        goto done;
    PyObject *make = PyDict_GetItemString(globals, "_make"); /* borrowed */
    decorator = make ? PyObject_CallOneArg(make, module) : NULL;
    PyObject *make_object = PyDict_GetItemString(globals, "_profile_object"); /* borrowed */
    profile = (decorator && make_object) ? PyObject_CallOneArg(make_object, decorator) : NULL;
    if (profile == NULL || PyObject_SetAttrString(builtins, "profile", profile) != 0)
        goto done;
    api_module = api_module_create(core);
    if (api_module == NULL ||
        PyDict_SetItemString(PyImport_GetModuleDict(), "mprof", api_module) != 0)
        goto done;
    python_finders_install(globals, profile);
    atexit = PyImport_ImportModule("atexit");
    PyObject *report = PyObject_GetAttrString(module, "report");
    PyObject *registered = (atexit && report)
        ? PyObject_CallMethod(atexit, "register", "O", report) : NULL;
    Py_XDECREF(report);
    if (registered == NULL)
        goto done;
    Py_DECREF(registered);
    status = 0;
done:
    if (status != 0) {
        if (getenv("MPROF_DEBUG") != NULL)
            PyErr_Print();
        PyErr_Clear();
        core->notice("could not install the profile builtin; no line tables this run");
    }
    Py_XDECREF(result);
    Py_XDECREF(atexit);
    Py_XDECREF(api_module);
    Py_XDECREF(profile);
    Py_XDECREF(decorator);
    Py_XDECREF(builtins);
    Py_XDECREF(globals);
    Py_XDECREF(module); /* the glue's closures keep what they use */
    return status;
}

