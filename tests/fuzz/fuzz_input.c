/*
 * fuzz_input.c — the fuzz targets' sink and input file (contract in fuzz_input.h).
 */
#include "fuzz_input.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

FILE *fuzz_sink(void)
{
    static FILE *sink;
    if (sink == NULL) {
        sink = fopen("/dev/null", "w");
        if (sink == NULL)
            abort();
    }
    return sink;
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("mprof-fuzz", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) < 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    return path;
}
