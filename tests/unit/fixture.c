/*
 * fixture.c — temporary directories for unit tests (see fixture.h).
 *
 * The directory is under /tmp, not $TMPDIR: tests build paths from it in fixed buffers,
 * and a fixed, short prefix keeps every such path within them.
 */
#include "fixture.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

void fixture_dir_make(char *path, size_t size, const char *name)
{
    int length = snprintf(path, size, "/tmp/mprof-test-%s-XXXXXX", name);
    ck_assert(length > 0 && (size_t)length < size);
    ck_assert_ptr_nonnull(mkdtemp(path));
}

static int remove_entry(const char *path, const struct stat *status, int type, struct FTW *walk)
{
    (void)status;
    (void)type;
    (void)walk;
    return remove(path);
}

void fixture_dir_remove(const char *path)
{
    /* FTW_DEPTH: a directory's entries go before the directory; FTW_PHYS: a link is
     * removed as a link, never followed out of the fixture. */
    ck_assert_int_eq(nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}
