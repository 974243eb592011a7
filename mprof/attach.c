/*
 * attach.c — mprof attach (attach.h): find the process, check that it can be read,
 * then poll it as mprof run polls its own child, into a .dat of the same lines.
 *
 * The heap is recorded when the process runs mprof's library under an mprof run of this
 * build: its library publishes each sample's heap into its slot of the counters page
 * that run shares with every process it starts (heap_page.h), which /proc/PID/fd
 * reaches. Reading it takes nothing from that run: its records stay on its own pipe,
 * which a second reader would have taken them from. Each sample published while we are
 * attached is a HEAP point, at the library's own sample time, and its high-water mark
 * counts toward the peak once it rose while we watched (a peak before we came is not
 * this file's). Where the page cannot be read (the program closed the descriptor,
 * another user's process, another build's run), or the library runs without a run, the
 * file holds RSS (or PSS, USS) only, and says why.
 *
 * Invariant: the attached process is never signalled; the end of it is learned from a
 * pidfd (or, where there is none, from /proc and its start time), which a reused pid
 * cannot fool.
 */
#include "attach.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dat.h"
#include "heap_page.h"
#include "interval.h"
#include "proc.h"
#include "recorder.h"
#include "run_output.h"
#include "run_signals.h"
#include "target.h"
#include "terminal_text.h"
#include "watch.h"

#define ATTACH_LIBRARY_NAME "libmprof.so"

/* How an error names the process: the pid typed, or the name typed and the pid it
 * found (the user did not see that pid yet). Returns `text`. */
static const char *attach_who(char *text, size_t size, const char *hint, pid_t pid)
{
    if (strspn(hint, "0123456789") == strlen(hint))
        snprintf(text, size, "%s", hint);
    else
        snprintf(text, size, "%s (process %d)", hint, (int)pid);
    return text;
}

/* The pid `hint` names: a number is a pid, anything else part of a process's name, as
 * memory_profiler reads it. 0, or -1 after the one-line error. */
static int attach_find(const struct run_options *options, pid_t *pid)
{
    const char *command = options->command, *hint = options->attach_hint;
    pid_t self = getpid();
    if (strspn(hint, "0123456789") == strlen(hint)) {
        errno = 0;
        long number = strtol(hint, NULL, 10);
        if (number <= 0 || number > INT_MAX || errno != 0) {
            mprof_error("%s: %s: not a pid (1 to %d)", command, hint, INT_MAX);
            return -1;
        }
        *pid = (pid_t)number;
    } else if (proc_find_by_name(hint, self, pid) < 0) {
        mprof_error("%s: %s: no such process: not a pid, nor part of the name of a running "
                    "process", command, hint);
        return -1;
    }
    char state;
    if (*pid == self) {
        mprof_error("%s: %s: that is this mprof itself", command, hint);
        return -1;
    }
    if (proc_state(*pid, &state) < 0) {
        mprof_error("%s: %s: no such process", command, hint);
        return -1;
    }
    if (state == 'Z' || state == 'X') {
        mprof_error("%s: %s: has ended already (a zombie, not yet reaped)", command, hint);
        return -1;
    }
    uint64_t bytes;
    if (proc_memory_bytes(*pid, options->backend, &bytes) < 0) {
        const char *file = options->backend == BACKEND_PSUTIL_PSS ||
                                   options->backend == BACKEND_PSUTIL_USS ? "smaps_rollup"
                           : options->backend == BACKEND_POSIX ? "stat" : "statm";
        int read_errno = errno;
        char who[96];
        mprof_error("%s: %s: cannot read its memory (/proc/%d/%s): %s", command,
                    attach_who(who, sizeof(who), hint, *pid), (int)*pid, file,
                    strerror(read_errno));
        return -1;
    }
    if (bytes == 0 && proc_memory_bytes(*pid, BACKEND_PSUTIL, &bytes) == 0 && bytes == 0) {
        mprof_error("%s: %s: a kernel thread, which has no memory of its own to record",
                    command, hint);
        return -1;
    }
    return 0;
}

/* Its command line as the .dat's CMDLINE, as mprof run writes its own. malloc'd, or
 * NULL after the one-line error. */
static char *attach_cmdline(const struct run_options *options, pid_t pid)
{
    char **argv = proc_cmdline_argv(pid);
    char *cmdline = argv != NULL ? target_cmdline(argv) : NULL;
    if (cmdline == NULL) {
        int read_errno = errno != 0 ? errno : ENOMEM;
        char who[96];
        mprof_error("%s: %s: cannot read its command line: %s", options->command,
                    attach_who(who, sizeof(who), options->attach_hint, pid),
                    strerror(read_errno));
    }
    free(argv);
    return cmdline;
}

/* The library's heap slot, read at every tick. */
struct attach_heap {
    struct heap_page page;      /* page NULL: the heap is not read */
    struct recorder *recorder;
    uint64_t since_ns;          /* when we began (CLOCK_REALTIME): earlier samples are not ours */
    uint64_t last_time_ns;      /* the latest sample taken */
    bool have_mark;
    int64_t mark_bytes;         /* its high-water mark at the latest reading */
};

/* One tick: the slot's sample, if it is a new one, as a SAMPLE of the attached pid. */
static void attach_heap_tick(void *context)
{
    struct attach_heap *heap = context;
    struct heap_reading reading;
    if (!heap_page_read(&heap->page, &reading) || reading.time_ns == 0 ||
        reading.time_ns <= heap->last_time_ns)
        return;
    heap->last_time_ns = reading.time_ns;
    /* The mark is the image's since it began: only a rise since our first reading is a
     * peak of this file (one that came between two of our samples). */
    int64_t mark = heap->have_mark && reading.peak_bytes > heap->mark_bytes
                       ? reading.peak_bytes : 0;
    heap->have_mark = true;
    heap->mark_bytes = reading.peak_bytes;
    if (reading.time_ns < heap->since_ns)
        return;
    struct mprof_sample sample;
    memset(&sample, 0, sizeof(sample));
    mprof_record_header_init(&sample.header, MPROF_RECORD_SAMPLE, sizeof(sample),
                             (int32_t)heap->page.pid);
    sample.time_ns = reading.time_ns;
    sample.heap_live_bytes = reading.live_bytes;
    sample.heap_peak_bytes = mark;
    recorder_sample(heap->recorder, &sample);
}

struct attach_session {
    const struct run_options *options;
    pid_t pid;
    int pidfd;                  /* -1 where the kernel (or valgrind) has none */
    unsigned long long start_ticks;
    char output_path[PATH_MAX];
    FILE *out;
    bool created;
    struct recorder recorder;
    struct run_signals signals;
    struct attach_heap heap;
};

static uint64_t attach_realtime_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Make the .dat and begin it. 0, or -1 after the one-line error. */
static int attach_prepare(struct attach_session *session, const char *cmdline)
{
    const struct run_options *options = session->options;
    /* Its start time first: a pidfd opened after it then names the same process. */
    if (proc_start_ticks(session->pid, &session->start_ticks) < 0) {
        mprof_error("%s: %d: no such process", options->command, (int)session->pid);
        return -1;
    }
    session->pidfd = (int)syscall(SYS_pidfd_open, session->pid, 0);
    if (session->pidfd < 0 && errno == ESRCH) {
        mprof_error("%s: %d: no such process", options->command, (int)session->pid);
        return -1;
    }
    /* And again after: the process may have ended and its pid gone to another between
     * the two, and the pidfd would follow that other. */
    unsigned long long ticks_after;
    if (proc_start_ticks(session->pid, &ticks_after) < 0 || ticks_after != session->start_ticks) {
        mprof_error("%s: %d: has ended (its pid now names another process)", options->command,
                    (int)session->pid);
        return -1;
    }
    session->out = run_output_open(options->output_path, session->output_path,
                                   sizeof(session->output_path), &session->created);
    if (session->out == NULL)
        return -1;
    recorder_init(&session->recorder, session->out, stderr, session->pid, options->children,
                  options->all_samples, options->interval_ns);
    recorder_set_backend(&session->recorder, options->backend);
    recorder_set_attached(&session->recorder, session->pid);
    if (recorder_write_header(&session->recorder, cmdline) < 0) {
        mprof_error("%s: %s", session->output_path, strerror(session->recorder.write_errno));
        return -1;
    }
    /* Said first: a name may have found another process than the user thought of. */
    char until[64] = "";
    if (options->timeout_s > 0)
        snprintf(until, sizeof(until), " or %.9g s", options->timeout_s);
    /* The command line is the process's: escaped for the terminal. */
    char shown[512];
    mprof_error("%s: recording %d (%s) every %.9g s until it ends, Ctrl-C%s",
                options->command, (int)session->pid,
                terminal_text_format(shown, sizeof(shown), cmdline),
                interval_seconds(options->interval_ns), until);
    int maps = proc_maps_file(session->pid, ATTACH_LIBRARY_NAME);
    if (maps < 0 && (errno == EACCES || errno == EPERM)) {
        /* Its maps, as its descriptors, are its owner's to read: whether it runs the
         * library cannot be told, and its page could not be opened if it did. */
        char text[200];
        snprintf(text, sizeof(text), "/proc/%d/maps cannot be read (%s: another user's "
                 "process): its heap, if it runs %s, is not recorded; this file has its %s "
                 "only", (int)session->pid, strerror(errno), ATTACH_LIBRARY_NAME,
                 backend_label(options->backend));
        recorder_notice(&session->recorder, text);
    } else if (maps == 1) {
        char why[200], text[320];
        session->heap.recorder = &session->recorder;
        session->heap.since_ns = attach_realtime_ns();
        if (heap_page_open(&session->heap.page, session->pid, why, sizeof(why)) < 0) {
            snprintf(text, sizeof(text), "%d runs %s, but its heap cannot be read: %s; "
                     "this file has its %s only", (int)session->pid, ATTACH_LIBRARY_NAME,
                     why, backend_label(options->backend));
            recorder_notice(&session->recorder, text);
        }
    }
    return 0;
}

/* Follow it to the end, write the end of the .dat and say what it holds. */
static int attach_record(struct attach_session *session)
{
    const struct run_options *options = session->options;
    struct recorder *recorder = &session->recorder;
    run_signals_take_for_attach(&session->signals);
    struct watch watch = {
        .recorder = recorder, .pid = session->pid, .pipe_fd = -1,
        .children = options->children, .interval_ns = options->interval_ns,
        .backend = options->backend, .timeout_s = options->timeout_s,
        .pidfd = session->pidfd, .start_ticks = session->start_ticks,
        .stop = run_signals_stop_flag(),
        .on_tick = session->heap.page.page != NULL ? attach_heap_tick : NULL,
        .tick_context = &session->heap,
    };
    watch_attached(&watch, &session->signals.wait_mask);
    run_signals_restore(&session->signals);
    if (watch.timed_out)
        recorder_set_timeout(recorder, options->timeout_s);
    /* After a failed sample the end is not written: it would fail the same way. */
    int write_failed = watch.write_failed || recorder_finish(recorder, 0) < 0;
    int write_errno = recorder->write_errno;
    if (fclose(session->out) != 0 && !write_failed) {
        write_failed = 1;
        write_errno = errno;
    }
    session->out = NULL;
    if (write_failed) {
        /* As mprof run: the file keeps its whole lines, read as a cut one. */
        uint64_t kept_bytes = 0;
        if (dat_cut_to_whole_lines(session->output_path, &kept_bytes) == 0)
            mprof_error("%s: write failed: %s: it keeps the %llu bytes of whole lines "
                        "written before, not the end", session->output_path,
                        strerror(write_errno ? write_errno : EIO),
                        (unsigned long long)kept_bytes);
        else
            mprof_error("%s: write failed: %s", session->output_path,
                        strerror(write_errno ? write_errno : EIO));
        return RUN_EXIT_FAILURE;
    }
    char why[96];
    if (watch.timed_out)
        snprintf(why, sizeof(why), "stopped at the %.9g s timeout", options->timeout_s);
    else if (watch.stopped)
        snprintf(why, sizeof(why), "stopped by a signal");
    else
        snprintf(why, sizeof(why), "%d ended", (int)session->pid);
    char heap_text[48] = "";
    if (recorder->heap_samples > 0)
        snprintf(heap_text, sizeof(heap_text), ", peak heap %.1f MiB",
                 (double)recorder_peak_heap_bytes(recorder) / DAT_BYTES_PER_MIB);
    mprof_error("wrote %s (%llu samples, peak %s %.1f MiB%s; %s)", session->output_path,
                (unsigned long long)recorder->mem_samples, backend_label(options->backend),
                (double)recorder_peak_rss_bytes(recorder) / DAT_BYTES_PER_MIB, heap_text, why);
    return 0;
}

int attach_run(const struct run_options *options)
{
    struct attach_session session = { .options = options, .pidfd = -1 };
    if (attach_find(options, &session.pid) < 0)
        return RUN_EXIT_FAILURE;
    char *cmdline = attach_cmdline(options, session.pid);
    if (cmdline == NULL)
        return RUN_EXIT_FAILURE;
    int status = attach_prepare(&session, cmdline) < 0 ? RUN_EXIT_FAILURE : 0;
    free(cmdline);
    if (status == 0)
        status = attach_record(&session);
    if (session.out != NULL) {
        fclose(session.out);
        if (session.created)
            unlink(session.output_path);
    }
    if (session.pidfd >= 0)
        close(session.pidfd);
    heap_page_close(&session.heap.page);
    recorder_free(&session.recorder);
    return status;
}
