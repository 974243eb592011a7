/*
 * init.c — the library's start and end in each process image.
 *
 * Who we are decides what we do. The CLI sets MPROF_TARGET_PID to the main target's pid:
 * an image with that pid is the main process (exec keeps the pid, so a bash shim that
 * execs python stays "main"); any other image is a child, which reports only when the
 * CLI asked for children (-C/-M) and otherwise stays quiet: it forwards and counts,
 * but never writes. Without MPROF_FD (loaded by hand) the library is quiet too.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/core.h"
#include "../python/python.h"
#include "../wire/wire.h"
#include "lifecycle.h"
#include "mprof/protocol.h"

#define DEFAULT_INTERVAL_NS MPROF_INTERVAL_DEFAULT_NS

static uint32_t hello_flags;
static pid_t reporting_pid;      /* the process whose records we send */
static uint64_t interval_ns = DEFAULT_INTERVAL_NS;
static int children_report;

static long env_long(const char *name, long fallback)
{
    const char *text = getenv(name);
    if (text == NULL || *text == '\0')
        return fallback;
    char *end;
    long value = strtol(text, &end, 10);
    return *end == '\0' ? value : fallback;
}

/* The interval exactly as the CLI gave it (MPROF_INTERVAL_NS, whole nanoseconds: the CLI
 * validated it against the floor the sampler can honour). No floor or rounding here: the
 * HELLO record echoes what this returns, and the CLI says so when it is not what it
 * asked for. Without a usable value (loaded by hand, or by a CLI of another build) the
 * default, which the echo then shows. Parsed by hand: no locale, no allocation. */
static uint64_t env_interval_ns(void)
{
    const char *text = getenv(MPROF_ENV_INTERVAL_NS);
    if (text == NULL || *text == '\0')
        return DEFAULT_INTERVAL_NS;
    uint64_t total = 0;
    for (const char *cursor = text; *cursor != '\0'; cursor++) {
        if (*cursor < '0' || *cursor > '9' || total > (UINT64_MAX - 9) / 10)
            return DEFAULT_INTERVAL_NS;
        total = total * 10 + (uint64_t)(*cursor - '0');
    }
    return total > 0 ? total : DEFAULT_INTERVAL_NS;
}

static void send_hello(void)
{
    struct mprof_hello hello;
    memset(&hello, 0, sizeof(hello));
    mprof_record_header_init(&hello.header, MPROF_RECORD_HELLO, sizeof(hello), (int32_t)getpid());
    hello.parent_pid = (int32_t)getppid();
    hello.flags = hello_flags;
    hello.interval_ns = interval_ns;
    hello.start_time_ns = clock_realtime_ns();
    writer_send(&hello, sizeof(hello));
}

/* Start reporting from this process: HELLO, then the sampler. */
static void start_reporting(void)
{
    reporting_pid = getpid();
    send_hello();
    if (sampler_start(interval_ns) != 0)
        diag_notice("cannot start the sampling thread; heap samples are missing");
}

static void fork_child(void)
{
    stats_atfork_child();
    python_fork_child();
    /* The sampler did not survive the fork. A child reports on its own only when asked. */
    if (children_report && writer_is_open()) {
        start_reporting();
    } else {
        writer_close();
    }
}

__attribute__((constructor)) static void mprof_start(void)
{
    tls_in_library++;
    hooks_resolve();
    stats_init();
    interval_ns = env_interval_ns();
    children_report = env_long(MPROF_ENV_CHILDREN, 0) == 1;
    long target_pid = env_long(MPROF_ENV_TARGET_PID, -1);
    int is_main = target_pid == (long)getpid();
    long fd = env_long(MPROF_ENV_FD, -1);
    int reporting = fd >= 0 && (is_main || children_report) && writer_open((int)fd) == 0;

    hello_flags = MPROF_HELLO_HEAP_COUNTED;
    if (reporting || getenv(MPROF_ENV_FD) == NULL)
        hello_flags |= python_attach();
    pthread_atfork(NULL, NULL, fork_child);
    if (reporting)
        start_reporting();
    tls_in_library--;
}

/* The last records of a process: the heap it left, a final sample, then BYE. */
static void send_goodbye(void)
{
    ending_send();
    sampler_stop();
    sampler_sample_now();
    struct mprof_record_header bye;
    mprof_record_header_init(&bye, MPROF_RECORD_BYE, sizeof(bye), (int32_t)getpid());
    writer_send(&bye, sizeof(bye));
}

/* Normal exit (exit(), return from main): Python's atexit has sent the tables already.
 * abort and signals skip this; the CLI then keeps the samples up to the last interval. */
__attribute__((destructor)) static void mprof_stop(void)
{
    if (writer_is_open() && reporting_pid == getpid())
        send_goodbye();
}

/* _exit skips atexit and destructors (os._exit, multiprocessing's children): send the
 * tables and the last sample here. A vfork child shares our memory and runs no atfork
 * handler, so it is told apart by its pid and touches nothing. */
static void flush_before_exit(void)
{
    if (!writer_is_open() || reporting_pid != getpid())
        return;
    tls_in_library++;
    python_flush_at_exit();
    send_goodbye();
    writer_close();
}

MPROF_EXPORT void _exit(int status)
{
    flush_before_exit();
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

MPROF_EXPORT void _Exit(int status)
{
    _exit(status);
}
