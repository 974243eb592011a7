/*
 * cmd_run.c — `mprof run`: start a program under the preload library and record its
 * memory over time into a .dat.
 *
 * The CLI owns the output file. It polls RSS from /proc itself every interval (so
 * static binaries, exec chains and crashed targets still get a MEM series) and reads
 * the library's records (heap, notices) from a pipe whose write end the target
 * inherits (watch.c). The run ends when the main process ends, however it ends: the
 * CLI then drains what is already in the pipe without waiting for EOF (a daemonized
 * grandchild may hold the write end forever), has the recorder write the end of the
 * .dat and exits with the target's status (128+signal for a signal, as shells report
 * it). The @profile tables the library sent are printed last, on stdout, after the
 * program's own output.
 *
 * A run is three steps over one session (prepare: everything checked and the .dat
 * begun; start: the program spawned; record: followed to its end), and one cleanup
 * that undoes whatever the steps took, wherever they stopped. The recorder is the
 * .dat's only writer, from its header to its last line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "cli.h"
#include "commands.h"
#include "dat.h"
#include "interval.h"
#include "mprof/protocol.h"
#include "proc.h"
#include "run_channel.h"
#include "run_options.h"
#include "run_output.h"
#include "run_signals.h"
#include "recorder.h"
#include "report.h"
#include "spawn.h"
#include "target.h"
#include "watch.h"

/* Everything a run holds, from the first check to the last line. run_cleanup() releases
 * whatever of it was taken, whichever step stopped the run. */
struct run_session {
    const struct run_options *options;
    char **target_argv;
    bool is_python;
    enum proc_exe_kind kind;
    char library[PATH_MAX];
    char output_path[PATH_MAX];
    FILE *out;                 /* the .dat, written by the recorder alone */
    bool created;              /* the .dat is new: removed if the program never ran */
    bool started;              /* the program ran: the .dat is kept */
    struct recorder recorder;
    struct run_signals signals;
    struct watch watch;        /* the pid and the pipe's read end (-1 once closed) */
    int write_fd;              /* the pipe's write end, ours until the child has it */
    struct run_channel channel; /* the pipe's identity and the counters page */
    pid_t cli_pid;             /* this process, which the program must not outlive */
};

static int run_exit_status(int wait_status)
{
    if (wait_status < 0)
        return RUN_EXIT_FAILURE;
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return RUN_EXIT_FAILURE;
}

/* In the forked child, before exec (spawn.h's prepare): our signal handling undone,
 * the pipe's write end passed on, and the environment contract of protocol.h.
 * Returns 0, or the errno that stops the exec. */
static int run_prepare_child(void *context)
{
    const struct run_session *session = context;
    const struct run_options *options = session->options;
    const struct run_signals *signals = &session->signals;
    run_signals_undo_in_child(signals);

    /* The write end crosses exec; everything else of ours does not (O_CLOEXEC). */
    int flags = fcntl(session->write_fd, F_GETFD);
    if (flags < 0 || fcntl(session->write_fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return errno;
    /* A killed mprof run (kill -9 too) must not leave the program running unseen, with
     * PPID 1: the kernel sends it SIGTERM when we die (it survives exec); and if we
     * have died already, it does not start. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
        return errno;
    if (getppid() != session->cli_pid)
        return ESRCH;
    int channel_status = run_channel_export(&session->channel);
    if (channel_status != 0)
        return channel_status;

    const char *old_preload = getenv("LD_PRELOAD");
    size_t preload_size = strlen(session->library) + (old_preload ? strlen(old_preload) : 0) + 2;
    char *preload = malloc(preload_size);
    if (preload == NULL)
        return ENOMEM;
    if (old_preload != NULL && old_preload[0] != '\0')
        snprintf(preload, preload_size, "%s %s", session->library, old_preload);
    else
        snprintf(preload, preload_size, "%s", session->library);
    char number[32];
    int status = setenv("LD_PRELOAD", preload, 1);
    snprintf(number, sizeof(number), "%d", session->write_fd);
    status |= setenv(MPROF_ENV_FD, number, 1);
    snprintf(number, sizeof(number), "%" PRIu64, options->interval_ns);
    status |= setenv(MPROF_ENV_INTERVAL_NS, number, 1);
    snprintf(number, sizeof(number), "%d", (int)getpid());
    status |= setenv(MPROF_ENV_TARGET_PID, number, 1);
    if (options->children != RECORDER_CHILDREN_IGNORE)
        status |= setenv(MPROF_ENV_CHILDREN, "1", 1);
    else
        status |= unsetenv(MPROF_ENV_CHILDREN);
    if (options->lines)
        status |= setenv(MPROF_ENV_LINES, options->lines_user ? "user" : "1", 1);
    else
        status |= unsetenv(MPROF_ENV_LINES);
    return status == 0 ? 0 : (errno != 0 ? errno : EINVAL);
}

/* Check everything we can before anything runs, then make the .dat (the recorder
 * writes its header) and the pipe. Returns 0 or the exit status of the failure, which
 * it has printed. */
static int run_prepare(struct run_session *session)
{
    const struct run_options *options = session->options;
    session->target_argv = target_argv(&options->target, &session->is_python);
    if (session->target_argv == NULL) {
        mprof_error("run: out of memory");
        return RUN_EXIT_FAILURE;
    }
    char program_path[PATH_MAX];
    int status = target_find_program(session->target_argv[0], program_path,
                                     sizeof(program_path));
    if (status == 0 && session->is_python)
        status = target_check_script(session->target_argv[1]);
    if (status != 0)
        return status;
    if (proc_exe_kind(program_path, &session->kind) < 0) {
        mprof_error("%s: cannot read: %s", program_path, strerror(errno));
        return SPAWN_EXIT_NOT_EXEC;
    }
    if (session->kind == PROC_EXE_STATIC && options->backend == BACKEND_TRACEMALLOC) {
        mprof_error("%s: statically linked: --backend tracemalloc needs the heap, which only "
                    "the preload library counts", session->target_argv[0]);
        return RUN_EXIT_FAILURE;
    }
    if (target_find_library(session->library, sizeof(session->library)) < 0)
        return RUN_EXIT_FAILURE;
    char *cmdline = target_cmdline(session->target_argv);
    if (cmdline == NULL) {
        mprof_error("run: out of memory");
        return RUN_EXIT_FAILURE;
    }
    session->out = run_output_open(options->output_path, session->output_path,
                                   sizeof(session->output_path), &session->created);
    if (session->out == NULL) {
        free(cmdline);
        return RUN_EXIT_FAILURE;
    }
    /* The main pid is set once the program is forked. */
    recorder_init(&session->recorder, session->out, stderr, 0, options->children,
                  options->all_samples, options->interval_ns);
    recorder_set_backend(&session->recorder, options->backend);
    int header_status = recorder_write_header(&session->recorder, cmdline);
    free(cmdline);
    if (header_status < 0) {
        mprof_error("%s: %s", session->output_path, strerror(session->recorder.write_errno));
        return RUN_EXIT_FAILURE;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        mprof_error("pipe: %s", strerror(errno));
        return RUN_EXIT_FAILURE;
    }
    session->watch.pipe_fd = fds[0];
    session->write_fd = fds[1];
    if (run_channel_open(&session->channel, session->write_fd) < 0) {
        mprof_error("run: cannot make the drop counters: %s", strerror(errno));
        return RUN_EXIT_FAILURE;
    }
    return 0;
}

/* Start the program under the library. Returns 0 once it runs, or the exit status of
 * the failure, which it has printed. */
static int run_start(struct run_session *session)
{
    if (session->kind == PROC_EXE_STATIC)
        mprof_error("%s: statically linked: heap data is missing, memory is RSS only",
                    session->target_argv[0]);
    run_signals_take(&session->signals);
    session->cli_pid = getpid();
    /* Under --timeout the program leads a process group, which the timeout ends whole;
     * in the foreground that group has the terminal, so Ctrl-C reaches it as before. */
    bool own_group = session->options->timeout_s > 0;
    int terminal_fd = own_group ? spawn_terminal() : -1;
    struct spawn_request request = {
        .argv = session->target_argv, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
        .prepare = run_prepare_child, .context = session,
        .own_group = own_group, .terminal_fd = terminal_fd,
    };
    bool exec_failed;
    pid_t pid;
    /* Sampling starts only once the exec is done, so no sample measures the forked
     * copy of mprof itself. */
    if (spawn_start(&request, &pid, &exec_failed) < 0) {
        if (!exec_failed) {
            mprof_error("fork: %s", strerror(errno));
            return RUN_EXIT_FAILURE;
        }
        int exec_errno = errno;
        mprof_error("%s: cannot run: %s", session->target_argv[0], strerror(exec_errno));
        return exec_errno == ENOENT ? SPAWN_EXIT_NOT_FOUND : SPAWN_EXIT_NOT_EXEC;
    }
    session->started = true;
    session->watch = (struct watch){
        .recorder = &session->recorder, .pid = pid, .pipe_fd = session->watch.pipe_fd,
        .children = session->options->children, .interval_ns = session->options->interval_ns,
        .backend = session->options->backend, .timeout_s = session->options->timeout_s,
        .pidfd = -1, .own_group = own_group, .terminal_fd = terminal_fd,
    };
    recorder_set_main_pid(&session->recorder, pid);
    close(session->write_fd);
    session->write_fd = -1;
    run_channel_started(&session->channel);
    run_signals_forward(&session->signals, pid);
    return 0;
}

/* The program's own RSS peak, to set against the children's RSS: its VmHWM as its library
 * saw it last, and under an RSS backend the highest sample too. Under PSS, USS or
 * tracemalloc the recorded peak is another figure, which RSS would always exceed. */
static uint64_t run_program_rss_peak(const struct run_options *options,
                                     const struct recorder *recorder)
{
    uint64_t peak = recorder->vm_hwm_bytes;
    if (backend_is_rss(options->backend) && recorder_peak_rss_bytes(recorder) > peak)
        peak = recorder_peak_rss_bytes(recorder);
    return peak;
}

/* Without -C/-M children go unrecorded, and a program whose memory is in a child (a
 * compiler driver, a process pool) looks small. The kernel keeps the highest RSS of any
 * process reaped below us (RUSAGE_CHILDREN: the program and each descendant its parent
 * waited for), so once the program is reaped, a figure well above the program's own
 * peak was a child's. Returns that figure in bytes, or 0 when there is nothing to say. */
static uint64_t run_child_above(const struct run_options *options, uint64_t program_rss_bytes)
{
    struct rusage usage;
    if (options->children != RECORDER_CHILDREN_IGNORE || getrusage(RUSAGE_CHILDREN, &usage) != 0)
        return 0;
    uint64_t tree_rss_bytes = (uint64_t)usage.ru_maxrss * 1024;
    uint64_t margin = program_rss_bytes / 10 > (1u << 20) ? program_rss_bytes / 10 : (1u << 20);
    return tree_rss_bytes > program_rss_bytes + margin ? tree_rss_bytes : 0;
}

/* The @profile tables, after everything the program printed (it has ended), on stderr:
 * the program's stdout is its own (`mprof run js.py > out.json`). Or into --report-file;
 * when that cannot be written, on stderr after all (they are in the .dat too). */
static void run_print_tables(const struct run_options *options, const struct recorder *recorder)
{
    FILE *out = stderr;
    if (options->report_path != NULL) {
        out = fopen(options->report_path, "w");
        if (out == NULL) {
            mprof_error("%s: cannot write the tables: %s (they follow here)",
                        options->report_path, strerror(errno));
            out = stderr;
        }
    }
    const char *where = out == stderr ? "stderr" : options->report_path;
    if (report_write_tables(out, recorder->profiled, recorder->profiled_count,
                            (int)recorder->main_pid, &options->report) < 0)
        mprof_error("%s: %s", where, strerror(errno));
    if (out != stderr && fclose(out) != 0)
        mprof_error("%s: %s", where, strerror(errno));
}

/* Follow the program to its end, then write the end of the .dat and say what it holds.
 * Returns the program's exit status, RUN_EXIT_TIMEOUT when --timeout ended it, and
 * RUN_EXIT_FAILURE whenever the .dat could not be written (over both). */
static int run_record(struct run_session *session)
{
    const struct run_options *options = session->options;
    struct recorder *recorder = &session->recorder;
    int wait_status = watch_until_exit(&session->watch, &session->signals.wait_mask);
    if (session->watch.own_group)
        spawn_terminal_give(session->watch.terminal_fd, getpgrp());
    run_signals_stop_forwarding();
    watch_drain(&session->watch);

    int exit_status = run_exit_status(wait_status);
    if (wait_status >= 0 && WIFSIGNALED(wait_status))
        recorder_set_signal(recorder, WTERMSIG(wait_status));
    if (session->watch.timed_out)
        recorder_set_timeout(recorder, options->timeout_s);
    recorder_end_of_run_sample(recorder);
    uint64_t dropped_records, dropped_bytes;
    run_channel_dropped(&session->channel, &dropped_records, &dropped_bytes);
    recorder_set_losses(recorder, wait_status >= 0 && WIFEXITED(wait_status), dropped_records,
                        dropped_bytes);
    /* Said when it is known: an image that ran Python may come after an exec. */
    if (options->lines && recorder->main_hello && !recorder->main_python)
        recorder_notice(recorder, "--lines: the program ran no Python: --lines charges "
                                  "Python source lines only (the heap is recorded whole)");
    int write_failed = recorder_finish(recorder, exit_status) < 0;
    int write_errno = recorder->write_errno;
    if (fclose(session->out) != 0 && !write_failed) {
        write_failed = 1;
        write_errno = errno;
    }
    session->out = NULL;

    if (recorder->stream_broken)
        mprof_error("%s: the library sent a record that does not frame: heap data after it "
                    "is missing (library and mprof from different builds?)", session->library);
    else if (!recorder->main_hello && session->kind != PROC_EXE_STATIC)
        mprof_error("%s: the preload library did not report: heap data is missing, memory "
                    "is RSS only", options->target.module != NULL ? TARGET_PYTHON
                                                                  : options->target.args[0]);
    if (write_failed) {
        /* Said instead of "wrote": the file keeps its whole lines, read as a cut one. */
        uint64_t kept_bytes = 0;
        int cut = dat_cut_to_whole_lines(session->output_path, &kept_bytes);
        if (cut == 0)
            mprof_error("%s: write failed: %s: it keeps the %llu bytes of whole lines "
                        "written before, not the run's end", session->output_path,
                        strerror(write_errno ? write_errno : EIO),
                        (unsigned long long)kept_bytes);
        else
            mprof_error("%s: write failed: %s", session->output_path,
                        strerror(write_errno ? write_errno : EIO));
        if (!options->no_report && recorder->profiled_count > 0)
            run_print_tables(options, recorder);
        /* The write failure wins over the program's status and the timeout: the
         * file is not what was asked for. */
        return RUN_EXIT_FAILURE;
    }

    char heap_text[64] = "no heap data";
    if (recorder->heap_samples > 0)
        snprintf(heap_text, sizeof(heap_text), "peak heap %.1f MiB",
                 (double)recorder_peak_heap_bytes(recorder) / DAT_BYTES_PER_MIB);
    char child_text[160] = "";
    /* Only a program that ended by itself sent its final VmHWM: otherwise its own peak
     * could be the one the kernel kept, and would read as a child's. */
    uint64_t child_rss_bytes = recorder->main_bye && recorder->end_signal == 0
                                   ? run_child_above(options, run_program_rss_peak(options, recorder))
                                   : 0;
    if (child_rss_bytes > 0)
        snprintf(child_text, sizeof(child_text), "; a child process peaked at %.1f MiB RSS, "
                 "not recorded: -C adds children in, -M records each",
                 (double)child_rss_bytes / DAT_BYTES_PER_MIB);
    char loss_text[320];
    recorder_losses_text(recorder, loss_text, sizeof(loss_text));
    char timeout_text[96] = "";
    if (session->watch.timed_out)
        snprintf(timeout_text, sizeof(timeout_text), "; stopped at the %.9g s timeout, "
                 "exit status %d", options->timeout_s, exit_status);
    char mem_text[64] = "";  /* under tracemalloc MEM is the heap: said once */
    if (options->backend != BACKEND_TRACEMALLOC)
        snprintf(mem_text, sizeof(mem_text), "peak %s %.1f MiB, ",
                 backend_label(options->backend),
                 (double)recorder_peak_rss_bytes(recorder) / DAT_BYTES_PER_MIB);
    mprof_error("wrote %s (%llu samples, %s%s%s%s%s)", session->output_path,
                (unsigned long long)recorder->mem_samples, mem_text, heap_text, loss_text,
                child_text, timeout_text);
    if (!options->no_report && recorder->profiled_count > 0)
        run_print_tables(options, recorder);
    /* As timeout(1): the program's own status is in the .dat and the line above. */
    return session->watch.timed_out ? RUN_EXIT_TIMEOUT : exit_status;
}

/* Release whatever the run took, in any state it stopped in. A .dat this run made
 * for a program that never ran is removed. */
static void run_cleanup(struct run_session *session)
{
    if (session->watch.pipe_fd >= 0)
        close(session->watch.pipe_fd);
    if (session->write_fd >= 0)
        close(session->write_fd);
    if (session->out != NULL) {
        fclose(session->out);
        if (session->created && !session->started)
            unlink(session->output_path);
    }
    run_channel_close(&session->channel);
    recorder_free(&session->recorder);
    run_signals_restore(&session->signals);
    free(session->target_argv);
}

int cmd_run(int argc, char **argv)
{
    struct run_options options;
    int parsed = run_parse("run", argc, argv, &options);
    if (parsed == 1)
        return fflush(stdout) == 0 ? 0 : RUN_EXIT_FAILURE;
    if (parsed != 0)
        return parsed;
    if (options.attach)
        return attach_run(&options);
    struct run_session session = {
        .options = &options, .watch = { .pipe_fd = -1 }, .write_fd = -1,
    };
    run_channel_init(&session.channel);
    int status = run_prepare(&session);
    if (status == 0)
        status = run_start(&session);
    if (status == 0)
        status = run_record(&session);
    run_cleanup(&session);
    return status;
}
