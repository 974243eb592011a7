/*
 * file_copy.c — an atomic file replacement (contract in file_copy.h).
 *
 * Invariant: until the rename, the destination is untouched; after it, it is the whole
 * copy. The temporary file lives in the destination's directory, since rename(2) is
 * atomic only within one file system.
 */
#include "file_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_copy_fail(char *error, size_t error_size, const char *path, int error_number)
{
    snprintf(error, error_size, "%s: %s", path, strerror(error_number));
    return -1;
}

/* Copy every byte of `in` to `out`. Returns 0, or the errno of the failure. */
static int file_copy_bytes(int in, int out)
{
    char block[65536];
    for (;;) {
        ssize_t got = read(in, block, sizeof block);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return errno;
        if (got == 0)
            return 0;
        for (ssize_t done = 0; done < got;) {
            ssize_t put = write(out, block + done, (size_t)(got - done));
            if (put < 0 && errno == EINTR)
                continue;
            if (put < 0)
                return errno;
            done += put;
        }
    }
}

/* The permissions the copy gets: the destination's, or 0666 less the umask. */
static mode_t file_copy_mode(const char *destination)
{
    struct stat status;
    if (stat(destination, &status) == 0)
        return status.st_mode & 07777;
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

int file_copy_atomic(const char *source, const char *destination, char *error,
                     size_t error_size)
{
    int in = open(source, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return file_copy_fail(error, error_size, source, errno);
    size_t length = strlen(destination);
    char *temporary = malloc(length + sizeof ".tmp-XXXXXX");
    if (temporary == NULL) {
        close(in);
        return file_copy_fail(error, error_size, destination, ENOMEM);
    }
    memcpy(temporary, destination, length);
    memcpy(temporary + length, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int out = mkostemp(temporary, O_CLOEXEC);
    if (out < 0) {
        int saved = errno;
        close(in);
        free(temporary);
        return file_copy_fail(error, error_size, destination, saved);
    }
    int failure = file_copy_bytes(in, out);
    close(in);
    if (failure == 0 && fchmod(out, file_copy_mode(destination)) != 0)
        failure = errno;
    if (failure == 0 && fsync(out) != 0)
        failure = errno;
    if (close(out) != 0 && failure == 0)
        failure = errno;
    if (failure == 0 && rename(temporary, destination) != 0)
        failure = errno;
    if (failure != 0) {
        unlink(temporary);
        free(temporary);
        return file_copy_fail(error, error_size, destination, failure);
    }
    free(temporary);
    return 0;
}
