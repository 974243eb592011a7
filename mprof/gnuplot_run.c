/*
 * gnuplot_run.c — running gnuplot on a script (contract in gnuplot.h): the script on its
 * stdin, the image on the descriptor given, its stderr kept so that a failure is
 * reported with gnuplot's own last error line.
 *
 * gnuplot runs with -d (no init files), so nothing but our script is executed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gnuplot.h"
#include "spawn.h"

/* The last non-empty line of gnuplot's stderr (where it says what went wrong), with
 * anything unprintable replaced. */
static void gnuplot_last_error_line(int fd, char *line, size_t line_size)
{
    char text[8192];
    line[0] = '\0';
    if (lseek(fd, 0, SEEK_SET) < 0)
        return;
    ssize_t length = read(fd, text, sizeof text - 1);
    if (length <= 0)
        return;
    text[length] = '\0';
    char *end = text + length;
    while (end > text && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
        *--end = '\0';
    char *begin = end;
    while (begin > text && begin[-1] != '\n')
        begin--;
    while (*begin == ' ')
        begin++;
    size_t i = 0;
    for (; begin[i] != '\0' && i < line_size - 1; i++)
        line[i] = (begin[i] >= 0x20 && begin[i] < 0x7f) ? begin[i] : '?';
    line[i] = '\0';
}

/* In gnuplot's child, before exec: it dies with the CLI (a signal, SIGKILL too), never
 * drawing on alone; and if the CLI is gone already, it does not start. */
static int gnuplot_child_prepare(void *cli_pid)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        return errno;
    return getppid() == *(pid_t *)cli_pid ? 0 : ESRCH;
}

int gnuplot_run(const char *script, int output_fd, char *error, size_t error_size)
{
    pid_t cli_pid = getpid();
    int script_pipe[2];
    char stderr_path[] = "/tmp/mprof-gnuplot-err-XXXXXX";
    int stderr_fd = mkostemp(stderr_path, O_CLOEXEC);
    if (stderr_fd < 0) {
        snprintf(error, error_size, "%s: %s", stderr_path, strerror(errno));
        return -1;
    }
    unlink(stderr_path);  /* only the descriptor is needed */
    if (pipe2(script_pipe, O_CLOEXEC) < 0) {
        snprintf(error, error_size, "gnuplot: pipe: %s", strerror(errno));
        close(stderr_fd);
        return -1;
    }
    /* stdin the script, stdout the image, stderr captured; -d: no init files, so
     * nothing but our script is run. */
    char *const args[] = { (char *)"gnuplot", (char *)"-d", NULL };
    struct spawn_request request = {
        .argv = args, .stdin_fd = script_pipe[0], .stdout_fd = output_fd,
        .stderr_fd = stderr_fd, .prepare = gnuplot_child_prepare, .context = &cli_pid,
    };
    pid_t pid;
    bool exec_failed;
    int started = spawn_start(&request, &pid, &exec_failed);
    int start_errno = errno;
    close(script_pipe[0]);
    if (started < 0) {
        close(script_pipe[1]);
        close(stderr_fd);
        if (!exec_failed)
            snprintf(error, error_size, "gnuplot: fork: %s", strerror(start_errno));
        else if (start_errno == ENOENT)
            snprintf(error, error_size,
                     "gnuplot: not found; install it with: apt-get install gnuplot-nox");
        else
            snprintf(error, error_size, "gnuplot: %s", strerror(start_errno));
        return -1;
    }

    /* gnuplot runs: feed it the script. SIGPIPE is ignored meanwhile so that a gnuplot
     * dying early is an error we report, not our death. */
    struct sigaction ignore = { .sa_handler = SIG_IGN }, previous;
    sigaction(SIGPIPE, &ignore, &previous);
    size_t length = strlen(script), done = 0;
    while (done < length) {
        ssize_t wrote = write(script_pipe[1], script + done, length - done);
        if (wrote < 0 && errno == EINTR)
            continue;
        if (wrote <= 0)
            break;  /* the exit status below says why */
        done += (size_t)wrote;
    }
    close(script_pipe[1]);
    sigaction(SIGPIPE, &previous, NULL);

    int wait_status, status = 0;
    if (spawn_wait(pid, &wait_status) < 0) {
        snprintf(error, error_size, "gnuplot: waitpid: %s", strerror(errno));
        close(stderr_fd);
        return -1;
    }
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
        char line[300];
        gnuplot_last_error_line(stderr_fd, line, sizeof line);
        if (line[0] != '\0')
            snprintf(error, error_size, "gnuplot: %s", line);
        else if (WIFSIGNALED(wait_status))
            snprintf(error, error_size, "gnuplot: killed by signal %d", WTERMSIG(wait_status));
        else
            snprintf(error, error_size, "gnuplot: exited with status %d",
                     WEXITSTATUS(wait_status));
        status = -1;
    }
    close(stderr_fd);
    return status;
}
