/*
 * fixture.h — a fresh temporary directory for a test that writes files, and its removal.
 *
 * Both fail the running Check test (ck_assert) when the file system says no, so a test
 * never goes on in a directory it does not have, nor leaves one behind unnoticed.
 */
#ifndef MPROF_TESTS_FIXTURE_H
#define MPROF_TESTS_FIXTURE_H

#include <stddef.h>

/* Room for any path fixture_dir_make writes: "/tmp/mprof-test-" NAME "-XXXXXX". */
#define FIXTURE_DIR_MAX 64

/* Makes a new empty directory /tmp/mprof-test-NAME-XXXXXX and writes its path, NUL
 * ended, into path (size bytes; FIXTURE_DIR_MAX holds any short NAME). */
void fixture_dir_make(char *path, size_t size, const char *name);

/* Removes the directory at path and everything under it, symbolic links not followed. */
void fixture_dir_remove(const char *path);

#endif
