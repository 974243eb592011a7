/*
 * fallback.c — `profile` for an interpreter that gets no @profile plugin (3.9 and older,
 * a free-threaded build, a version newer than this build, a build made without that
 * version's headers): a script written for memory_profiler must run as it does bare.
 *
 * The builtin takes memory_profiler's arguments and hands back the function itself, so
 * `@profile` and `@profile(precision=3)` both leave it undecorated. It is defined only
 * when nothing else has: a real memory_profiler imported by sitecustomize keeps its own.
 * The code runs in a namespace of its own, so the script's __main__ gains no name.
 */
#include <dlfcn.h>

#include "../wire/wire.h"
#include "python.h"

static const char fallback_source[] =
    "exec('''\n"
    "import builtins\n"
    "if not hasattr(builtins, 'profile'):\n"
    "    def profile(func=None, stream=None, precision=1, backend='psutil'):\n"
    "        \"\"\"mprof: no @profile tables on this interpreter; the function runs as\n"
    "        written.\"\"\"\n"
    "        if func is None:\n"
    "            return lambda function: function\n"
    "        return func\n"
    "    builtins.profile = profile\n"
    "''', {'__name__': 'mprof'})\n";

void fallback_install_profile(void)
{
    /* PyRun_SimpleString is a macro over this one in every CPython 3 header. */
    int (*run_string)(const char *command, void *flags) =
        (int (*)(const char *, void *))dlsym(RTLD_DEFAULT, "PyRun_SimpleStringFlags");
    /* A pending call may run with an exception set by the interrupted code's caller:
     * it is kept aside while our code runs, and put back. (Deprecated from 3.12, still
     * exported in every version.) */
    void (*fetch)(void **type, void **value, void **traceback) =
        (void (*)(void **, void **, void **))dlsym(RTLD_DEFAULT, "PyErr_Fetch");
    void (*restore)(void *type, void *value, void *traceback) =
        (void (*)(void *, void *, void *))dlsym(RTLD_DEFAULT, "PyErr_Restore");
    if (run_string == NULL || fetch == NULL || restore == NULL) {
        diag_notice("cannot define the builtin profile: a script that uses @profile "
                    "will stop with a NameError");
        return;
    }
    void *type, *value, *traceback;
    fetch(&type, &value, &traceback);
    if (run_string(fallback_source, NULL) != 0)
        diag_notice("cannot define the builtin profile: a script that uses @profile "
                    "will stop with a NameError");
    restore(type, value, traceback);
}
