/*
 * clock.c — the time base of every record: wall-clock nanoseconds, as the .dat's
 * timestamps are epoch seconds (memory_profiler's format).
 */
#include <time.h>

#include "wire.h"

uint64_t clock_realtime_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}
