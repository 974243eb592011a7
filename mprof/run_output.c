/*
 * run_output.c — opening the .dat of mprof run and mprof attach (run_output.h).
 */
#include "run_output.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dat.h"

FILE *run_output_open(const char *output_path, char *path, size_t path_size, bool *created)
{
    int fd = -1;
    *created = true;
    if (output_path != NULL) {
        snprintf(path, path_size, "%s", output_path);
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

