/*
 * test_spawn.c — mprof/spawn.c: a program that runs is running when spawn_start()
 * returns, its exit status comes back through spawn_wait(), and every way of not
 * running (no such program, not executable, a set-up that fails) comes back as the
 * child's real errno with the child already reaped.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "check_main.h"

/* Run argv with no redirection; return its wait status. */
static int run_to_end(char *const *argv)
{
    struct spawn_request request = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1,
                                     .stderr_fd = -1 };
    pid_t pid = -1;
    bool exec_failed = true;
    ck_assert_int_eq(spawn_start(&request, &pid, &exec_failed), 0);
    ck_assert(!exec_failed);
    ck_assert_int_gt(pid, 0);
    int wait_status = -1;
    ck_assert_int_eq(spawn_wait(pid, &wait_status), 0);
    return wait_status;
}

/* spawn_start() must fail in the child with `expected_errno`, the child reaped. */
static void expect_exec_failure(const struct spawn_request *request, int expected_errno)
{
    pid_t pid = 12345;
    bool exec_failed = false;
    errno = 0;
    ck_assert_int_eq(spawn_start(request, &pid, &exec_failed), -1);
    ck_assert(exec_failed);
    ck_assert_int_eq(errno, expected_errno);
    ck_assert_int_eq(pid, 12345);  /* untouched: there is no program to wait for */
    /* Reaped already: no child of ours is left to wait for. */
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
}

START_TEST(true_exits_zero)
{
    char *const argv[] = { (char *)"/bin/true", NULL };
    int wait_status = run_to_end(argv);
    ck_assert(WIFEXITED(wait_status));
    ck_assert_int_eq(WEXITSTATUS(wait_status), 0);
}
END_TEST

START_TEST(exit_status_comes_back)
{
    char *const argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)"exit 3", NULL };
    int wait_status = run_to_end(argv);
    ck_assert(WIFEXITED(wait_status));
    ck_assert_int_eq(WEXITSTATUS(wait_status), 3);
}
END_TEST

START_TEST(signal_comes_back)
{
    char *const argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)"kill -TERM $$", NULL };
    int wait_status = run_to_end(argv);
    ck_assert(WIFSIGNALED(wait_status));
    ck_assert_int_eq(WTERMSIG(wait_status), SIGTERM);
}
END_TEST

START_TEST(found_on_path)
{
    char *const argv[] = { (char *)"sh", (char *)"-c", (char *)"exit 7", NULL };
    int wait_status = run_to_end(argv);
    ck_assert(WIFEXITED(wait_status));
    ck_assert_int_eq(WEXITSTATUS(wait_status), 7);
}
END_TEST

START_TEST(missing_program_is_enoent)
{
    char *const argv[] = { (char *)"mprof-test-no-such-program", NULL };
    struct spawn_request request = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1,
                                     .stderr_fd = -1 };
    expect_exec_failure(&request, ENOENT);
    char *const by_path[] = { (char *)"/nonexistent/program", NULL };
    request.argv = by_path;
    expect_exec_failure(&request, ENOENT);
}
END_TEST

START_TEST(not_executable_is_eacces)
{
    char path[] = "/tmp/mprof-test-spawn-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
    close(fd);
    ck_assert_int_eq(chmod(path, 0600), 0);
    char *const argv[] = { path, NULL };
    struct spawn_request request = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1,
                                     .stderr_fd = -1 };
    expect_exec_failure(&request, EACCES);
    unlink(path);
}
END_TEST

static int prepare_fails(void *context)
{
    (void)context;
    return EPERM;
}

START_TEST(failing_prepare_is_reported)
{
    char *const argv[] = { (char *)"/bin/true", NULL };
    struct spawn_request request = { .argv = argv, .stdin_fd = -1, .stdout_fd = -1,
                                     .stderr_fd = -1, .prepare = prepare_fails };
    expect_exec_failure(&request, EPERM);
}
END_TEST

/* The set-up runs in the child: what it changes reaches the program, not us. */
static int prepare_sets_env(void *context)
{
    return setenv("MPROF_TEST_SPAWN", context, 1) == 0 ? 0 : errno;
}

START_TEST(prepare_runs_in_the_child_and_redirections_apply)
{
    int in_pipe[2], out_pipe[2];
    ck_assert_int_eq(pipe2(in_pipe, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out_pipe, O_CLOEXEC), 0);
    ck_assert_int_eq(write(in_pipe[1], "5\n", 2), 2);
    close(in_pipe[1]);
    char *const argv[] = { (char *)"/bin/sh", (char *)"-c",
                           (char *)"read n; echo \"$MPROF_TEST_SPAWN $n\"; exit $n", NULL };
    struct spawn_request request = {
        .argv = argv, .stdin_fd = in_pipe[0], .stdout_fd = out_pipe[1], .stderr_fd = -1,
        .prepare = prepare_sets_env, .context = (void *)"seen",
    };
    pid_t pid;
    bool exec_failed;
    ck_assert_int_eq(spawn_start(&request, &pid, &exec_failed), 0);
    close(in_pipe[0]);
    close(out_pipe[1]);
    char text[64] = "";
    ssize_t got = read(out_pipe[0], text, sizeof text - 1);
    ck_assert_int_gt(got, 0);
    text[got] = '\0';
    close(out_pipe[0]);
    ck_assert_str_eq(text, "seen 5\n");
    int wait_status;
    ck_assert_int_eq(spawn_wait(pid, &wait_status), 0);
    ck_assert(WIFEXITED(wait_status));
    ck_assert_int_eq(WEXITSTATUS(wait_status), 5);
    ck_assert_ptr_null(getenv("MPROF_TEST_SPAWN"));
}
END_TEST

START_TEST(wait_for_no_child_is_echild)
{
    int wait_status;
    ck_assert_int_eq(spawn_wait(getpid(), &wait_status), -1);
    ck_assert_int_eq(errno, ECHILD);
}
END_TEST

Suite *test_suite(void)
{
    Suite *suite = suite_create("spawn");
    TCase *tcase = tcase_create("spawn");
    tcase_add_test(tcase, true_exits_zero);
    tcase_add_test(tcase, exit_status_comes_back);
    tcase_add_test(tcase, signal_comes_back);
    tcase_add_test(tcase, found_on_path);
    tcase_add_test(tcase, missing_program_is_enoent);
    tcase_add_test(tcase, not_executable_is_eacces);
    tcase_add_test(tcase, failing_prepare_is_reported);
    tcase_add_test(tcase, prepare_runs_in_the_child_and_redirections_apply);
    tcase_add_test(tcase, wait_for_no_child_is_echild);
    suite_add_tcase(suite, tcase);
    return suite;
}
