/*
 * check_main.c — the main() of every unit test program: run the file's suite, say what
 * failed, exit non-zero if anything did.
 *
 * Fork mode is asked for by name (not left to $CK_FORK): each test runs in a process of
 * its own, so a crash fails that test alone and the static buffers and globals a test
 * file keeps start fresh for every test.
 */
#include <stdlib.h>

#include "check_main.h"

int main(void)
{
    SRunner *runner = srunner_create(test_suite());
    srunner_set_fork_status(runner, CK_FORK);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
