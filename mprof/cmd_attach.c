/*
 * cmd_attach.c — `mprof attach PID|NAME`: memory_profiler's alias for `mprof run
 * --attach`, which records a process that is already running (attach.c).
 */
#include <stdio.h>

#include "attach.h"
#include "commands.h"
#include "run_options.h"

int cmd_attach(int argc, char **argv)
{
    struct run_options options;
    int parsed = run_parse("attach", argc, argv, &options);
    if (parsed == 1)
        return fflush(stdout) == 0 ? 0 : RUN_EXIT_FAILURE;
    if (parsed != 0)
        return parsed;
    return attach_run(&options);
}
