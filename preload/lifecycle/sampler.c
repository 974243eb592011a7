/*
 * sampler.c — the sampling thread: every interval, RSS and the live heap go to the CLI
 * (and the heap to this process's slot of the shared page, for mprof attach).
 *
 * Everything expensive lives here, off the hot path: summing the per-thread counter
 * blocks, reading /proc, writing the pipe. The thread blocks every signal, so signals
 * meant for the program reach the program's threads, and it never takes a lock that a
 * program thread could hold: a fork while it runs cannot deadlock the child.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/core.h"
#include "../python/python.h"
#include "../wire/wire.h"
#include "lifecycle.h"
#include "mprof/protocol.h"

static uint64_t sampler_interval_ns;
static int sampler_stopping;

/* Read a small /proc file into `text` (NUL-terminated). Returns the length or -1. */
static ssize_t read_proc_file(const char *path, char *text, size_t text_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t length;
    do {
        length = read(fd, text, text_size - 1);
    } while (length < 0 && errno == EINTR);
    close(fd);
    if (length < 0)
        return -1;
    text[length] = '\0';
    return length;
}

static uint64_t parse_decimal(const char *text, const char **end)
{
    uint64_t value = 0;
    while (*text == ' ' || *text == '\t')
        text++;
    while (*text >= '0' && *text <= '9')
        value = value * 10 + (uint64_t)(*text++ - '0');
    if (end)
        *end = text;
    return value;
}

static uint64_t rss_bytes_now(void)
{
    char text[256];
    if (read_proc_file("/proc/self/statm", text, sizeof(text)) <= 0)
        return 0;
    const char *cursor;
    parse_decimal(text, &cursor);                /* size */
    uint64_t resident_pages = parse_decimal(cursor, NULL);
    return resident_pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t rss_peak_bytes_now(void)
{
    char text[4096];
    if (read_proc_file("/proc/self/status", text, sizeof(text)) <= 0)
        return 0;
    const char *line = strstr(text, "VmHWM:");
    if (line == NULL)
        return 0;
    return parse_decimal(line + 6, NULL) * 1024;
}

void sampler_sample_now(void)
{
    if (!writer_is_open())
        return;
    int was_in_library = tls_in_library;
    tls_in_library = 1;
    int64_t heap_live_bytes = stats_heap_live();
    struct mprof_sample sample;
    memset(&sample, 0, sizeof(sample));
    mprof_record_header_init(&sample.header, MPROF_RECORD_SAMPLE, sizeof(sample),
                             (int32_t)getpid());
    sample.time_ns = clock_realtime_ns();
    sample.rss_bytes = rss_bytes_now();
    sample.rss_peak_bytes = rss_peak_bytes_now();
    sample.heap_live_bytes = heap_live_bytes;
    sample.heap_peak_bytes = stats_heap_peak();
    if (sample.heap_live_bytes > sample.heap_peak_bytes)
        sample.heap_peak_bytes = sample.heap_live_bytes;
    lines_heap_sampled(sample.heap_live_bytes);
    heap_slot_publish(sample.time_ns, sample.heap_live_bytes, sample.heap_peak_bytes);
    writer_send(&sample, sizeof(sample));
    tls_in_library = was_in_library;
}

/* Sleep until `deadline` (CLOCK_MONOTONIC), or only `poll_ns` when that is sooner. */
static void sleep_until(const struct timespec *deadline, uint64_t poll_ns)
{
    struct timespec now, wake = *deadline;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t now_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
    uint64_t deadline_ns = (uint64_t)deadline->tv_sec * 1000000000u + (uint64_t)deadline->tv_nsec;
    if (poll_ns != 0 && now_ns + poll_ns < deadline_ns) {
        wake.tv_sec = (time_t)((now_ns + poll_ns) / 1000000000u);
        wake.tv_nsec = (long)((now_ns + poll_ns) % 1000000000u);
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL) == EINTR)
        ;
}

static int deadline_passed(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static void *sampler_main(void *unused)
{
    (void)unused;
    tls_in_library = 1;
    struct timespec next_tick;
    clock_gettime(CLOCK_MONOTONIC, &next_tick);
    /* While the interpreter starts, look for it every millisecond (for 5 s at most), so
     * the Python entry point runs before the script's first line, not an interval in. */
    uint64_t startup_polls_left = 5000;
    while (!__atomic_load_n(&sampler_stopping, __ATOMIC_ACQUIRE) && writer_is_open()) {
        int python_waiting = python_tick();
        if (deadline_passed(&next_tick)) {
            sampler_sample_now();
            uint64_t nanoseconds = (uint64_t)next_tick.tv_nsec + sampler_interval_ns;
            next_tick.tv_sec += (time_t)(nanoseconds / 1000000000u);
            next_tick.tv_nsec = (long)(nanoseconds % 1000000000u);
        }
        int fast_poll = python_waiting && startup_polls_left > 0;
        if (fast_poll)
            startup_polls_left--;
        sleep_until(&next_tick, fast_poll ? 1000000u : 0);
    }
    return NULL;
}

int sampler_start(uint64_t interval_ns)
{
    sampler_interval_ns = interval_ns;
    __atomic_store_n(&sampler_stopping, 0, __ATOMIC_RELEASE);
    /* The thread inherits this mask: it blocks every signal. */
    sigset_t all_signals, previous;
    sigfillset(&all_signals);
    pthread_sigmask(SIG_SETMASK, &all_signals, &previous);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 64 * 1024);
    pthread_t thread;
    tls_in_library++;
    int failed = pthread_create(&thread, &attributes, sampler_main, NULL);
    tls_in_library--;
    pthread_attr_destroy(&attributes);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (failed) {
        errno = failed;
        return -1;
    }
    return 0;
}

void sampler_stop(void)
{
    __atomic_store_n(&sampler_stopping, 1, __ATOMIC_RELEASE);
}
