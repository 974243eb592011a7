/*
 * cmd_run.c — `mprof run`: start a program under the preload library and record its
 * memory over time into a .dat.
 *
 * The CLI owns the output file. It polls RSS from /proc itself every interval (so
 * static binaries, exec chains and crashed targets still get a MEM series) and reads
 * the library's records (heap, notices) from a pipe whose write end the target
 * inherits. The run ends when the main process ends, however it ends: the CLI then
 * drains what is already in the pipe without waiting for EOF (a daemonized grandchild
 * may hold the write end forever), writes the end metadata and exits with the
 * target's status (128+signal for a signal, as shells report it). The @profile tables
 * the library sent are printed last, on stdout, after the program's own output.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dat.h"
#include "interval.h"
#include "mprof/protocol.h"
#include "proc.h"
#include "recorder.h"
#include "report.h"

#define RUN_EXIT_USAGE        2
#define RUN_EXIT_FAILURE      1
#define RUN_EXIT_NOT_EXEC     126
#define RUN_EXIT_NOT_FOUND    127
#define RUN_PYTHON            "python3"
#define RUN_DRAIN_LIMIT_BYTES (4u << 20) /* a chatty straggler cannot keep us draining */

struct run_options {
    uint64_t interval_ns;     /* -T, validated: the library samples at exactly this */
    const char *output_path;  /* -o, or NULL for the default name */
    unsigned children;        /* enum recorder_children bits */
    bool all_samples;
    bool python, nopython;
    const char *module;       /* -m MODULE */
    char **args;              /* the program (or module) arguments, as given */
    int arg_count;
    struct report_options report;
    bool no_report;           /* --no-report: tables only in the .dat */
    bool lines;               /* -l/--lines: charge the heap to source lines (--top) */
};

static const char run_usage[] =
    "usage: mprof run [options] PROGRAM|SCRIPT.py|-m MODULE [args...]\n"
    "\n"
    "Run a program under mprof and record its memory (RSS polled from /proc, and the\n"
    "live heap counted inside the process) into mprofile_YYYYMMDDhhmmss.dat.\n"
    "SCRIPT.py runs with the python3 found on PATH; any other program runs as given.\n"
    "Options end at the program (or at --); its own arguments are never parsed.\n"
    "\n"
    "options:\n"
    "  -T, --interval SECONDS  sampling period (default 0.1, at least 0.001)\n"
    "  -o, --output FILE       write to FILE (replacing it) instead of the default name\n"
    "  -C, --include-children  add the memory of all descendants to MEM and HEAP\n"
    "  -M, --multiprocess      record each descendant as its own CHLD series\n"
    "  -E, --exit-code         accepted for compatibility: the exit status of the\n"
    "                          program is always passed on (128+N for signal N)\n"
    "      --python            run PROGRAM with python3 even without a .py suffix\n"
    "      --nopython          run a .py file as a program (it needs its #! line)\n"
    "  -m MODULE               run python3 -m MODULE [args...]\n"
    "  -a, --all-samples       write every sample (no simplification of straight runs)\n"
    "      --unit B|KiB|MiB    unit of the @profile tables (default MiB)\n"
    "      --precision N       digits after the point for KiB and MiB (default 1)\n"
    "      --no-report         do not print the @profile tables (they are still in the\n"
    "                          .dat: see mprof report)\n"
    "  -l, --lines             also charge the heap to the source lines that allocated it,\n"
    "                          for mprof report --top (Python; costs ~1.2x)\n"
    "  -h, --help              print this help\n"
    "\n"
    "Functions decorated with @profile (no import needed; `from memory_profiler import\n"
    "profile` works too) get memory_profiler's line-by-line table, printed on stdout\n"
    "after the program ends: exact heap bytes per line, callees included.\n"
    "\n"
    "environment: MPROF_LIBRARY overrides the path of libmprof.so.\n";

/* The pid the forwarding handler signals. Signal handlers can only reach globals; it is
 * set for the one target a run has and cleared when the run ends. */
static volatile sig_atomic_t run_forward_pid;

static void run_forward_signal(int signal_number)
{
    if (run_forward_pid > 0)
        kill((pid_t)run_forward_pid, signal_number);
}

static void run_note_child(int signal_number)
{
    (void)signal_number; /* only here to interrupt ppoll() */
}

/* Returns 0 to run, 1 when help was printed, or an exit status for a usage error. */
static int run_parse(int argc, char **argv, struct run_options *options)
{
    static const struct option long_options[] = {
        { "interval", required_argument, NULL, 'T' },
        { "output", required_argument, NULL, 'o' },
        { "include-children", no_argument, NULL, 'C' },
        { "multiprocess", no_argument, NULL, 'M' },
        { "exit-code", no_argument, NULL, 'E' },
        { "python", no_argument, NULL, 'p' },
        { "nopython", no_argument, NULL, 'P' },
        { "all-samples", no_argument, NULL, 'a' },
        { "unit", required_argument, NULL, 'U' },
        { "precision", required_argument, NULL, 'R' },
        { "no-report", no_argument, NULL, 'N' },
        { "lines", no_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *options = (struct run_options){
        .interval_ns = MPROF_INTERVAL_DEFAULT_NS,
        .report = { REPORT_UNIT_MIB, REPORT_PRECISION_DEFAULT },
    };
    /* '+': stop at the first non-option, the program's own arguments are not ours.
     * ':': report missing arguments ourselves. optind = 0 restarts GNU getopt. */
    opterr = 0;
    optind = 0;
    int option;
    while ((option = getopt_long(argc, argv, "+:T:o:CMEalm:h", long_options, NULL)) != -1) {
        switch (option) {
        case 'T': {
            char error[128];
            if (interval_parse(optarg, &options->interval_ns, error, sizeof(error)) < 0) {
                mprof_error("%s", error);
                return RUN_EXIT_USAGE;
            }
            break;
        }
        case 'o':
            if (optarg[0] == '\0') {
                mprof_error("run: -o needs a file name");
                return RUN_EXIT_USAGE;
            }
            options->output_path = optarg;
            break;
        case 'C':
            options->children |= RECORDER_CHILDREN_SUM;
            break;
        case 'M':
            options->children |= RECORDER_CHILDREN_SERIES;
            break;
        case 'E':
            break; /* the exit status is always passed on */
        case 'p':
            options->python = true;
            break;
        case 'P':
            options->nopython = true;
            break;
        case 'a':
            options->all_samples = true;
            break;
        case 'U':
            if (report_parse_unit(optarg, &options->report.unit) < 0) {
                mprof_error("run: --unit %s: not a unit (B, KiB or MiB)", optarg);
                return RUN_EXIT_USAGE;
            }
            break;
        case 'R':
            if (report_parse_precision(optarg, &options->report.precision) < 0) {
                mprof_error("run: --precision %s: not a precision (0 to %d)", optarg,
                            REPORT_PRECISION_MAX);
                return RUN_EXIT_USAGE;
            }
            break;
        case 'N':
            options->no_report = true;
            break;
        case 'l':
            options->lines = true;
            break;
        case 'm':
            options->module = optarg;
            options->args = argv + optind;
            options->arg_count = argc - optind;
            return 0; /* everything after the module is the module's */
        case 'h':
            fputs(run_usage, stdout);
            return 1;
        case ':':
            mprof_error("run: %s: needs an argument (see mprof run --help)", argv[optind - 1]);
            return RUN_EXIT_USAGE;
        default:
            if (optopt != 0)
                mprof_error("run: -%c: unknown option (see mprof run --help)", optopt);
            else
                mprof_error("run: %s: unknown option (see mprof run --help)", argv[optind - 1]);
            return RUN_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        mprof_error("run: no program given (see mprof run --help)");
        return RUN_EXIT_USAGE;
    }
    options->args = argv + optind;
    options->arg_count = argc - optind;
    return 0;
}

static bool has_suffix(const char *text, const char *suffix)
{
    size_t text_length = strlen(text), suffix_length = strlen(suffix);
    return text_length >= suffix_length &&
           strcmp(text + text_length - suffix_length, suffix) == 0;
}

/* Find `name` as execvp would: as given when it has a slash, else on PATH. Fills
 * `path` and returns 0, or prints why not and returns the shell's exit status. */
static int run_find_program(const char *name, char *path, size_t path_size)
{
    struct stat info;
    if (strchr(name, '/') != NULL) {
        if (stat(name, &info) < 0) {
            mprof_error("%s: %s", name, errno == ENOENT ? "no such file" : strerror(errno));
            return errno == ENOENT || errno == ENOTDIR ? RUN_EXIT_NOT_FOUND : RUN_EXIT_NOT_EXEC;
        }
        if (S_ISDIR(info.st_mode)) {
            mprof_error("%s: is a directory", name);
            return RUN_EXIT_NOT_EXEC;
        }
        if (access(name, X_OK) < 0) {
            mprof_error("%s: not executable", name);
            return RUN_EXIT_NOT_EXEC;
        }
        snprintf(path, path_size, "%s", name);
        return 0;
    }
    if (name[0] == '\0') {
        mprof_error("'': command not found");
        return RUN_EXIT_NOT_FOUND;
    }
    const char *search = getenv("PATH");
    if (search == NULL)
        search = "/bin:/usr/bin"; /* execvp's default */
    bool found_unexecutable = false;
    for (const char *start = search;; ) {
        const char *end = strchr(start, ':');
        size_t length = end != NULL ? (size_t)(end - start) : strlen(start);
        /* An empty PATH entry means the current directory. */
        int written = length == 0 ? snprintf(path, path_size, "%s", name)
                                  : snprintf(path, path_size, "%.*s/%s", (int)length, start, name);
        if (written > 0 && (size_t)written < path_size && stat(path, &info) == 0 &&
            !S_ISDIR(info.st_mode)) {
            if (access(path, X_OK) == 0)
                return 0;
            found_unexecutable = true;
        }
        if (end == NULL)
            break;
        start = end + 1;
    }
    if (found_unexecutable) {
        mprof_error("%s: not executable", name);
        return RUN_EXIT_NOT_EXEC;
    }
    mprof_error("%s: command not found", name);
    return RUN_EXIT_NOT_FOUND;
}

/* A script handed to python3 must be there and readable; python3 itself runs it. */
static int run_check_script(const char *script)
{
    struct stat info;
    if (stat(script, &info) < 0) {
        mprof_error("%s: %s", script, errno == ENOENT ? "no such file" : strerror(errno));
        return RUN_EXIT_NOT_FOUND;
    }
    if (access(script, R_OK) < 0) {
        mprof_error("%s: not readable", script);
        return RUN_EXIT_NOT_EXEC;
    }
    return 0;
}

/* Build the argv the target is executed with: python3 in front of a script, as the
 * original does. Returns a malloc'd NULL-terminated array of borrowed strings. */
static char **run_target_argv(const struct run_options *options, bool *is_python)
{
    size_t extra = 0;
    *is_python = false;
    if (options->module != NULL) {
        extra = 3; /* python3 -m MODULE */
    } else {
        const char *first = options->args[0];
        const char *base = strrchr(first, '/') != NULL ? strrchr(first, '/') + 1 : first;
        bool python_named = strncmp(base, "python", 6) == 0;
        if (!options->nopython && (has_suffix(first, ".py") || options->python) &&
            !(options->python && python_named))
            extra = 1;
        *is_python = extra == 1;
    }
    char **argv = calloc((size_t)options->arg_count + extra + 1, sizeof(*argv));
    if (argv == NULL)
        return NULL;
    size_t at = 0;
    if (extra > 0)
        argv[at++] = RUN_PYTHON;
    if (options->module != NULL) {
        argv[at++] = "-m";
        argv[at++] = (char *)options->module;
    }
    for (int i = 0; i < options->arg_count; i++)
        argv[at++] = options->args[i];
    argv[at] = NULL;
    return argv;
}

/* The command line as memory_profiler writes it: arguments with a blank in quotes. */
static char *run_cmdline(char **argv)
{
    size_t size = 1;
    for (char **arg = argv; *arg != NULL; arg++)
        size += strlen(*arg) + 3;
    char *text = malloc(size);
    if (text == NULL)
        return NULL;
    char *at = text;
    for (char **arg = argv; *arg != NULL; arg++) {
        bool blank = strpbrk(*arg, " \t") != NULL;
        at += sprintf(at, "%s%s%s%s", arg == argv ? "" : " ", blank ? "'" : "", *arg,
                      blank ? "'" : "");
    }
    return text;
}

/* The library's absolute path: $MPROF_LIBRARY, else ../lib/mprof/libmprof.so beside
 * this executable (the build tree and an install tree have the same shape). */
static int run_find_library(char *path, size_t path_size)
{
    char wanted[PATH_MAX];
    const char *override = getenv("MPROF_LIBRARY");
    if (override != NULL && override[0] != '\0') {
        snprintf(wanted, sizeof(wanted), "%s", override);
    } else {
        char dir[PATH_MAX];
        if (mprof_self_dir(dir, sizeof(dir)) < 0) {
            mprof_error("/proc/self/exe: cannot find mprof's own directory (set MPROF_LIBRARY)");
            return -1;
        }
        if (snprintf(wanted, sizeof(wanted), "%s/../lib/mprof/libmprof.so", dir) >=
            (int)sizeof(wanted)) {
            mprof_error("%s: path too long", dir);
            return -1;
        }
    }
    char resolved[PATH_MAX];
    if (realpath(wanted, resolved) == NULL || access(resolved, R_OK) < 0) {
        mprof_error("%s: preload library not found (run make, or set MPROF_LIBRARY)", wanted);
        return -1;
    }
    /* ld.so splits LD_PRELOAD at spaces and colons: such a path cannot be preloaded. */
    if (strpbrk(resolved, " :\t") != NULL) {
        mprof_error("%s: LD_PRELOAD cannot carry a path with a space or colon", resolved);
        return -1;
    }
    if (snprintf(path, path_size, "%s", resolved) >= (int)path_size) {
        mprof_error("%s: path too long", resolved);
        return -1;
    }
    return 0;
}

/* Open the .dat before anything runs. The default name never replaces a file: a taken
 * name gets _2, _3, ... before ".dat". -o replaces FILE. *created says whether the
 * file is ours to remove if the run cannot start. */
static FILE *run_open_output(const struct run_options *options, char *path, size_t path_size,
                             bool *created)
{
    int fd = -1;
    *created = true;
    if (options->output_path != NULL) {
        snprintf(path, path_size, "%s", options->output_path);
        *created = access(path, F_OK) < 0;
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    } else {
        char base[64];
        dat_default_name(base, sizeof(base), (long)time(NULL));
        size_t stem = strlen(base) - strlen(".dat");
        for (int attempt = 1; attempt <= 10000; attempt++) {
            if (attempt == 1)
                snprintf(path, path_size, "%s", base);
            else
                snprintf(path, path_size, "%.*s_%d.dat", (int)stem, base, attempt);
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd >= 0 || errno != EEXIST)
                break;
        }
    }
    if (fd < 0) {
        mprof_error("%s: cannot write: %s", path, strerror(errno));
        return NULL;
    }
    FILE *out = fdopen(fd, "w");
    if (out == NULL) {
        mprof_error("%s: cannot write: %s", path, strerror(errno));
        close(fd);
        if (*created)
            unlink(path);
    }
    return out;
}

static double run_clock(clockid_t clock)
{
    struct timespec now;
    clock_gettime(clock, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* Everything a running session needs. */
struct run_session {
    const struct run_options *options;
    struct recorder recorder;
    pid_t pid;
    int pipe_fd;               /* read end, -1 once closed */
};

/* One tick: RSS of the main process (and with -C/-M of its descendants) from /proc. */
static void run_sample_rss(struct run_session *session)
{
    double time_s = run_clock(CLOCK_REALTIME);
    uint64_t total;
    /* A zombie reads as 0: the process has ended and its last word is in the pipe. */
    if (proc_rss_bytes(session->pid, &total) < 0 || total == 0)
        return;
    if (session->options->children != RECORDER_CHILDREN_IGNORE) {
        pid_t *pids = NULL;
        size_t count = 0;
        if (proc_descendants(session->pid, &pids, &count) == 0) {
            for (size_t i = 0; i < count; i++) {
                uint64_t rss;
                if (proc_rss_bytes(pids[i], &rss) < 0 || rss == 0)
                    continue;
                if (session->options->children & RECORDER_CHILDREN_SUM)
                    total += rss;
                recorder_child_mem(&session->recorder, pids[i], time_s, rss);
            }
            recorder_children_alive(&session->recorder, pids, count);
            free(pids);
        }
    }
    recorder_mem(&session->recorder, time_s, total);
}

/* Read what the pipe has. Returns the bytes read, 0 at EOF (the pipe is then closed),
 * or -1 when nothing is there now. Bytes after a broken record are read and dropped,
 * so writers never block on a full pipe. */
static ssize_t run_read_pipe(struct run_session *session)
{
    unsigned char buffer[16384];
    ssize_t got = read(session->pipe_fd, buffer, sizeof(buffer));
    if (got > 0) {
        recorder_feed(&session->recorder, buffer, (size_t)got);
        return got;
    }
    if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(session->pipe_fd);
        session->pipe_fd = -1;
        return 0;
    }
    return -1;
}

/* In the forked child: the environment contract of protocol.h, then exec. */
static void run_exec_child(char **target_argv, int write_fd, int exec_status_fd,
                           const char *library,
                           const struct run_options *options, const struct sigaction *saved_int,
                           const struct sigaction *saved_quit, const sigset_t *saved_mask)
{
    sigaction(SIGINT, saved_int, NULL);
    sigaction(SIGQUIT, saved_quit, NULL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    sigprocmask(SIG_SETMASK, saved_mask, NULL);

    /* The write end crosses exec; everything else of ours does not (O_CLOEXEC). */
    int flags = fcntl(write_fd, F_GETFD);
    if (flags < 0 || fcntl(write_fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        _exit(RUN_EXIT_FAILURE);

    char number[32];
    const char *old_preload = getenv("LD_PRELOAD");
    size_t preload_size = strlen(library) + (old_preload ? strlen(old_preload) : 0) + 2;
    char *preload = malloc(preload_size);
    if (preload == NULL) {
        int saved = ENOMEM;
        ssize_t ignored = write(exec_status_fd, &saved, sizeof(saved));
        (void)ignored;
        _exit(RUN_EXIT_FAILURE);
    }
    if (old_preload != NULL && old_preload[0] != '\0')
        snprintf(preload, preload_size, "%s %s", library, old_preload);
    else
        snprintf(preload, preload_size, "%s", library);
    int status = setenv("LD_PRELOAD", preload, 1);
    snprintf(number, sizeof(number), "%d", write_fd);
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
        status |= setenv(MPROF_ENV_LINES, "1", 1);
    else
        status |= unsetenv(MPROF_ENV_LINES);
    if (status == 0)
        execvp(target_argv[0], target_argv);
    /* Tell the parent why: it is waiting on the exec-status pipe, which a successful
     * exec closes (O_CLOEXEC) without a word. */
    int saved = errno;
    ssize_t ignored = write(exec_status_fd, &saved, sizeof(saved));
    (void)ignored;
    _exit(saved == ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_NOT_EXEC);
}

/* Wait until the child has exec'd (the status pipe closes) or failed to (it sends the
 * errno). Returns 0 or the errno of the failed exec. Sampling starts only after this,
 * so no sample measures the forked copy of mprof itself. */
static int run_wait_exec(int exec_status_fd)
{
    int child_errno = 0;
    ssize_t got;
    do
        got = read(exec_status_fd, &child_errno, sizeof(child_errno));
    while (got < 0 && errno == EINTR);
    close(exec_status_fd);
    return got == (ssize_t)sizeof(child_errno) ? child_errno : 0;
}

/* Poll RSS every interval and the pipe in between until the main process ends.
 * Returns its wait status. */
static int run_watch(struct run_session *session, const sigset_t *wait_mask)
{
    double interval = interval_seconds(session->options->interval_ns);
    double next_tick = run_clock(CLOCK_MONOTONIC);
    int wait_status = 0;
    for (;;) {
        double now = run_clock(CLOCK_MONOTONIC);
        if (now >= next_tick) {
            run_sample_rss(session);
            next_tick += interval;
            if (next_tick <= now)
                next_tick = now + interval; /* we were late: do not burst to catch up */
        }
        pid_t done = waitpid(session->pid, &wait_status, WNOHANG);
        if (done == session->pid)
            return wait_status;
        if (done < 0 && errno != EINTR) {
            mprof_error("%d: lost track of the program: %s", (int)session->pid, strerror(errno));
            return -1;
        }
        double wait_s = next_tick - run_clock(CLOCK_MONOTONIC);
        if (wait_s < 0)
            wait_s = 0;
        struct timespec timeout = { (time_t)wait_s, (long)((wait_s - floor(wait_s)) * 1e9) };
        struct pollfd poller = { .fd = session->pipe_fd, .events = POLLIN };
        /* SIGCHLD is blocked except inside ppoll: the end of the target wakes us at
         * once instead of at the next tick, and cannot slip in between the checks. */
        int ready = ppoll(&poller, session->pipe_fd >= 0 ? 1 : 0, &timeout, wait_mask);
        if (ready > 0 && session->pipe_fd >= 0 && (poller.revents & (POLLIN | POLLHUP | POLLERR)))
            run_read_pipe(session);
    }
}

/* The target has ended: take what is already in the pipe, without waiting for EOF. */
static void run_drain(struct run_session *session)
{
    if (session->pipe_fd < 0)
        return;
    int flags = fcntl(session->pipe_fd, F_GETFL);
    if (flags >= 0)
        fcntl(session->pipe_fd, F_SETFL, flags | O_NONBLOCK);
    size_t drained = 0;
    while (session->pipe_fd >= 0 && drained < RUN_DRAIN_LIMIT_BYTES) {
        ssize_t got = run_read_pipe(session);
        if (got <= 0)
            break;
        drained += (size_t)got;
    }
    if (session->pipe_fd >= 0) {
        close(session->pipe_fd);
        session->pipe_fd = -1;
    }
}

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

int cmd_run(int argc, char **argv)
{
    struct run_options options;
    int parsed = run_parse(argc, argv, &options);
    if (parsed == 1)
        return fflush(stdout) == 0 ? 0 : RUN_EXIT_FAILURE;
    if (parsed != 0)
        return parsed;

    bool is_python;
    char **target_argv = run_target_argv(&options, &is_python);
    if (target_argv == NULL) {
        mprof_error("run: out of memory");
        return RUN_EXIT_FAILURE;
    }
    /* Check everything we can before anything runs or any file is made. */
    char program_path[PATH_MAX];
    int status = run_find_program(target_argv[0], program_path, sizeof(program_path));
    if (status == 0 && is_python)
        status = run_check_script(target_argv[1]);
    if (status != 0) {
        free(target_argv);
        return status;
    }
    enum proc_exe_kind kind = PROC_EXE_OTHER;
    if (proc_exe_kind(program_path, &kind) < 0) {
        mprof_error("%s: cannot read: %s", program_path, strerror(errno));
        free(target_argv);
        return RUN_EXIT_NOT_EXEC;
    }
    char library[PATH_MAX];
    if (run_find_library(library, sizeof(library)) < 0) {
        free(target_argv);
        return RUN_EXIT_FAILURE;
    }
    char *cmdline = run_cmdline(target_argv);
    char output_path[PATH_MAX];
    bool created;
    FILE *out = cmdline != NULL
                    ? run_open_output(&options, output_path, sizeof(output_path), &created)
                    : NULL;
    if (out == NULL) {
        if (cmdline == NULL)
            mprof_error("run: out of memory");
        free(cmdline);
        free(target_argv);
        return RUN_EXIT_FAILURE;
    }
    char interval_text[32];
    snprintf(interval_text, sizeof(interval_text), "%.9g", interval_seconds(options.interval_ns));
    int header_status = dat_write_cmdline(out, cmdline);
    if (header_status == 0)
        header_status = dat_write_meta(out, "version", "2");
    if (header_status == 0)
        header_status = dat_write_meta(out, "interval", interval_text);
    free(cmdline);
    int fds[2] = { -1, -1 }, exec_fds[2] = { -1, -1 };
    if (header_status != 0 || pipe2(fds, O_CLOEXEC) < 0 || pipe2(exec_fds, O_CLOEXEC) < 0) {
        mprof_error("%s: %s", header_status != 0 ? output_path : "pipe", strerror(errno));
        if (fds[0] >= 0) {
            close(fds[0]);
            close(fds[1]);
        }
        fclose(out);
        if (created)
            unlink(output_path);
        free(target_argv);
        return RUN_EXIT_FAILURE;
    }
    if (kind == PROC_EXE_STATIC)
        mprof_error("%s: statically linked: heap data is missing, memory is RSS only",
                    target_argv[0]);

    /* Like time(1): Ctrl-C and Ctrl-\ are for the target; we outlive it to write the
     * file. SIGCHLD is blocked so that it is only delivered inside ppoll(). */
    struct sigaction ignore = { .sa_handler = SIG_IGN }, saved_int, saved_quit;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &saved_int);
    sigaction(SIGQUIT, &ignore, &saved_quit);
    struct sigaction on_child = { .sa_handler = run_note_child }, saved_child;
    sigemptyset(&on_child.sa_mask);
    sigaction(SIGCHLD, &on_child, &saved_child);
    sigset_t child_set, saved_mask, wait_mask;
    sigemptyset(&child_set);
    sigaddset(&child_set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &child_set, &saved_mask);
    wait_mask = saved_mask;
    sigdelset(&wait_mask, SIGCHLD);

    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        close(exec_fds[0]);
        run_exec_child(target_argv, fds[1], exec_fds[1], library, &options, &saved_int,
                       &saved_quit, &saved_mask);
    }
    int fork_errno = errno;
    close(fds[1]);
    close(exec_fds[1]);
    int exec_errno = pid > 0 ? run_wait_exec(exec_fds[0]) : 0;
    if (pid < 0)
        close(exec_fds[0]);
    if (pid < 0 || exec_errno != 0) {
        int exit_status = RUN_EXIT_FAILURE;
        if (pid < 0) {
            mprof_error("fork: %s", strerror(fork_errno));
        } else {
            mprof_error("%s: cannot run: %s", target_argv[0], strerror(exec_errno));
            waitpid(pid, NULL, 0);
            exit_status = exec_errno == ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_NOT_EXEC;
        }
        free(target_argv);
        close(fds[0]);
        fclose(out);
        if (created)
            unlink(output_path);
        sigaction(SIGINT, &saved_int, NULL);
        sigaction(SIGQUIT, &saved_quit, NULL);
        sigaction(SIGCHLD, &saved_child, NULL);
        sigprocmask(SIG_SETMASK, &saved_mask, NULL);
        return exit_status;
    }
    free(target_argv);
    /* SIGTERM and SIGHUP meant for us go to the target; its end then ends the run. */
    run_forward_pid = pid;
    struct sigaction forward = { .sa_handler = run_forward_signal }, saved_term, saved_hup;
    sigemptyset(&forward.sa_mask);
    sigaction(SIGTERM, &forward, &saved_term);
    sigaction(SIGHUP, &forward, &saved_hup);

    struct run_session session = { .options = &options, .pid = pid, .pipe_fd = fds[0] };
    recorder_init(&session.recorder, out, stderr, pid, options.children, options.all_samples,
                  options.interval_ns);
    int wait_status = run_watch(&session, &wait_mask);
    run_forward_pid = 0;
    run_drain(&session);

    /* The library's last SAMPLE comes from the very end of the process, later than our
     * last poll: it is the last RSS sample we can have. Under -C it lacks the children. */
    struct recorder *recorder = &session.recorder;
    if (!(options.children & RECORDER_CHILDREN_SUM) && recorder->have_main_sample &&
        recorder->main_sample_time_s > recorder->last_mem_time_s + 1e-4 &&
        recorder->main_sample_rss_bytes > 0)
        recorder_mem(recorder, recorder->main_sample_time_s, recorder->main_sample_rss_bytes);

    int exit_status = run_exit_status(wait_status);
    int write_failed = recorder_finish(recorder, exit_status) < 0;
    int write_errno = recorder->write_errno;
    if (wait_status >= 0 && WIFSIGNALED(wait_status) && !write_failed) {
        char signal_text[16];
        snprintf(signal_text, sizeof(signal_text), "%d", WTERMSIG(wait_status));
        if (dat_write_meta(out, "signal", signal_text) < 0) {
            write_failed = 1;
            write_errno = errno;
        }
    }
    if (fclose(out) != 0 && !write_failed) {
        write_failed = 1;
        write_errno = errno;
    }

    if (recorder->stream_broken)
        mprof_error("%s: the library sent a record that does not frame: heap data after it "
                    "is missing (library and mprof from different builds?)", library);
    else if (!recorder->main_hello && kind != PROC_EXE_STATIC)
        mprof_error("%s: the preload library did not report: heap data is missing, memory "
                    "is RSS only", options.module != NULL ? RUN_PYTHON : options.args[0]);
    if (write_failed)
        mprof_error("%s: write failed: %s", output_path, strerror(write_errno ? write_errno : EIO));

    char heap_text[64] = "no heap data";
    if (recorder->heap_samples > 0)
        snprintf(heap_text, sizeof(heap_text), "peak heap %.1f MiB",
                 (double)recorder_peak_heap_bytes(recorder) / DAT_BYTES_PER_MIB);
    mprof_error("wrote %s (%llu samples, peak RSS %.1f MiB, %s)", output_path,
                (unsigned long long)recorder->mem_samples,
                (double)recorder_peak_rss_bytes(recorder) / DAT_BYTES_PER_MIB, heap_text);
    /* The tables come after everything the program printed: it has ended. */
    if (!options.no_report && recorder->profiled_count > 0 &&
        report_write_tables(stdout, recorder->profiled, recorder->profiled_count,
                            (int)recorder->main_pid, &options.report) < 0)
        mprof_error("stdout: %s", strerror(errno));
    recorder_free(recorder);

    sigaction(SIGTERM, &saved_term, NULL);
    sigaction(SIGHUP, &saved_hup, NULL);
    sigaction(SIGINT, &saved_int, NULL);
    sigaction(SIGQUIT, &saved_quit, NULL);
    sigaction(SIGCHLD, &saved_child, NULL);
    sigprocmask(SIG_SETMASK, &saved_mask, NULL);
    if (write_failed && exit_status == 0)
        return RUN_EXIT_FAILURE;
    return exit_status;
}
