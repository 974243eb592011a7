/*
 * backend.c — memory_profiler's backend names and what each means here (backend.h).
 */
#include "backend.h"

#include <stddef.h>
#include <string.h>

static const struct {
    const char *name;
    const char *label;
} backend_table[] = {
    [BACKEND_PSUTIL] = { "psutil", "RSS" },
    [BACKEND_PSUTIL_PSS] = { "psutil_pss", "PSS" },
    [BACKEND_PSUTIL_USS] = { "psutil_uss", "USS" },
    [BACKEND_POSIX] = { "posix", "RSS" },
    [BACKEND_TRACEMALLOC] = { "tracemalloc", "heap" },
};

#define BACKEND_COUNT (sizeof(backend_table) / sizeof(backend_table[0]))

int backend_parse(const char *name, enum backend *backend)
{
    for (size_t i = 0; i < BACKEND_COUNT; i++)
        if (strcmp(backend_table[i].name, name) == 0) {
            *backend = (enum backend)i;
            return 0;
        }
    return -1;
}

const char *backend_name(enum backend backend)
{
    return (size_t)backend < BACKEND_COUNT ? backend_table[backend].name : "psutil";
}

const char *backend_label(enum backend backend)
{
    return (size_t)backend < BACKEND_COUNT ? backend_table[backend].label : "RSS";
}

int backend_is_rss(enum backend backend)
{
    return backend == BACKEND_PSUTIL || backend == BACKEND_POSIX;
}
