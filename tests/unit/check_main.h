/*
 * check_main.h — the one thing a unit test file gives the shared main: its suite.
 *
 * Every tests/unit/test_*.c is linked with check_main.c into its own program, so each
 * defines test_suite() once and has no main() of its own.
 */
#ifndef MPROF_TESTS_CHECK_MAIN_H
#define MPROF_TESTS_CHECK_MAIN_H

#include <check.h>

/* The file's suite, every test case added; check_main.c runs it and frees it. */
Suite *test_suite(void);

#endif
