/*
 * init.c — the library's start and end in each process image.
 *
 * Who we are decides what we do. The CLI sets MPROF_TARGET_PID to the main target's pid:
 * an image with that pid is the main process (exec keeps the pid, so a bash shim that
 * execs python stays "main"); any other image is a child, which reports only when the
 * CLI asked for children (-C/-M) and otherwise stays quiet: it forwards and counts,
 * but never writes. Without MPROF_FD (loaded by hand) the library is quiet too, and so
 * it is when MPROF_FD is not the very pipe MPROF_PIPE_ID names: records go to the CLI's
 * pipe or nowhere.
 */
#include <limits.h>
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

/* `count` decimal numbers joined by ':' (`count` 1: a plain number), each within its
 * `max`, the whole of `text`. Parsed by hand: no sign, space, locale or allocation, and a
 * number too big for its range is refused rather than cut (4294967297 is not fd 1).
 * 0, or -1 when `text` is NULL or not such numbers. */
static int parse_numbers(const char *text, size_t count, const uint64_t *max, uint64_t *values)
{
    if (text == NULL)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && *text++ != ':')
            return -1;
        if (*text < '0' || *text > '9')
            return -1;
        uint64_t total = 0;
        for (; *text >= '0' && *text <= '9'; text++) {
            uint64_t digit = (uint64_t)(*text - '0');
            if (total > max[i] / 10 || digit > max[i] - total * 10)
                return -1;
            total = total * 10 + digit;
        }
        values[i] = total;
    }
    return *text == '\0' ? 0 : -1;
}

/* The environment variable `name` as one number in 0..max; -1 when unset or not one. */
static int env_number(const char *name, uint64_t max, uint64_t *value)
{
    return parse_numbers(getenv(name), 1, &max, value);
}

/* The interval exactly as the CLI gave it (MPROF_INTERVAL_NS, whole nanoseconds within
 * the bounds protocol.h sets, which the CLI validated). No rounding here: the HELLO
 * record echoes what this returns, and the CLI says so when it is not what it asked
 * for. Without a usable value (loaded by hand, or by a CLI of another build) the
 * default, which the echo then shows. */
static uint64_t env_interval_ns(void)
{
    uint64_t value;
    if (env_number(MPROF_ENV_INTERVAL_NS, MPROF_INTERVAL_MAX_NS, &value) != 0 ||
        value < MPROF_INTERVAL_MIN_NS)
        return DEFAULT_INTERVAL_NS;
    return value;
}

/* Empty the value of `name` in place, in the environment this image was started with,
 * so that the program passes it on empty. Not unsetenv: a shell (bash) defines its own,
 * which does nothing before its main has read the environment. */
static void env_blank(const char *name)
{
    size_t length = strlen(name);
    for (char **entry = environ; entry != NULL && *entry != NULL; entry++)
        if (strncmp(*entry, name, length) == 0 && (*entry)[length] == '=')
            (*entry)[length + 1] = '\0';
}

/* Adopt the pipe and the counters page the CLI named, if they are the very files it
 * made. Returns 0 when records reach the CLI. Otherwise this image stays quiet, and the
 * main process says why once on stderr (the CLI's summary says what it lost). */
static int open_cli_pipe(int is_main)
{
    enum { PIPE_OURS, PIPE_BAD_NUMBER, PIPE_NO_IDENTITY, PIPE_NOT_OURS } found;
    /* MPROF_COUNTERS is fd:device:inode; MPROF_PIPE_ID takes its last two ranges. */
    static const uint64_t counters_max[] = { INT_MAX, UINT64_MAX, UINT64_MAX };
    uint64_t fd, identity[2];
    if (env_number(MPROF_ENV_FD, INT_MAX, &fd) != 0)
        found = PIPE_BAD_NUMBER;
    else if (parse_numbers(getenv(MPROF_ENV_PIPE_ID), 2, counters_max + 1, identity) != 0)
        found = PIPE_NO_IDENTITY;
    else
        found = writer_open((int)fd, identity[0], identity[1]) == 0 ? PIPE_OURS : PIPE_NOT_OURS;
    if (found == PIPE_OURS) {
        uint64_t counters[3];
        if (parse_numbers(getenv(MPROF_ENV_COUNTERS), 3, counters_max, counters) == 0)
            writer_counters_open((int)counters[0], counters[1], counters[2]);
        return 0;
    }
    if (!is_main)
        return -1; /* a child that cannot reach the CLI: its RSS is still polled */
    /* Said once per process: the images it execs later find MPROF_FD empty and stay
     * quiet. The value itself is not echoed: it could hold anything, terminal escapes. */
    env_blank(MPROF_ENV_FD);
    if (found == PIPE_BAD_NUMBER)
        diag("MPROF_FD is no descriptor number (0 to %d): pid %d is not profiled", INT_MAX,
             (int)getpid());
    else if (found == PIPE_NO_IDENTITY)
        diag("MPROF_FD is set without the pipe's identity (MPROF_PIPE_ID, set by mprof run "
             "of this build): pid %d is not profiled", (int)getpid());
    else
        diag("descriptor %d (MPROF_FD) is not the pipe mprof run made (closed, reused or "
             "set by the program): pid %d is not profiled", (int)fd, (int)getpid());
    return -1;
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

/* Start reporting from this process: HELLO, its heap slot, then the sampler. */
static void start_reporting(void)
{
    reporting_pid = getpid();
    send_hello();
    /* Without a slot mprof attach sees only its RSS; the run itself loses nothing. */
    if (writer_counters_page() != NULL &&
        heap_slot_claim(writer_counters_page(), (int32_t)reporting_pid) != 0)
        diag_notice("every heap slot of the run is taken: mprof attach %d records its RSS only",
                    (int)reporting_pid);
    if (sampler_start(interval_ns) != 0)
        diag_notice("cannot start the sampling thread; heap samples are missing");
}

static void fork_child(void)
{
    stats_atfork_child();
    python_fork_child();
    heap_slot_forget();
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
    const char *children = getenv(MPROF_ENV_CHILDREN);
    children_report = children != NULL && strcmp(children, "1") == 0;
    uint64_t target_pid;
    int is_main = env_number(MPROF_ENV_TARGET_PID, INT_MAX, &target_pid) == 0 &&
                  target_pid == (uint64_t)getpid();
    /* MPROF_FD empty: an image before this one in the process said it cannot be reached. */
    const char *fd_text = getenv(MPROF_ENV_FD);
    int under_cli = fd_text != NULL;
    int reporting = under_cli && fd_text[0] != '\0' && (is_main || children_report) &&
                    open_cli_pipe(is_main) == 0;

    hello_flags = MPROF_HELLO_HEAP_COUNTED;
    if (reporting || !under_cli)
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
