/*
 * interval.c — `-T SECONDS` to whole nanoseconds, within the bounds the library can
 * honour (see interval.h). The error names the option and the value as given, so the
 * user sees what was refused and why in one line.
 */
#include "interval.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mprof/protocol.h"

int interval_parse(const char *text, uint64_t *interval_ns, char *error, size_t error_size)
{
    char *end;
    errno = 0;
    double seconds = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(seconds) || (errno != 0 && fabs(seconds) >= 1)) {
        snprintf(error, error_size, "-T %s: not a number of seconds", text);
        return -1;
    }
    /* Compared in nanoseconds after rounding, so "0.001" is exactly the floor. An
     * underflow (errno ERANGE, seconds 0 or a denormal) is below the floor like any tiny
     * value. */
    double nanoseconds = nearbyint(seconds * 1e9);
    if (nanoseconds < (double)MPROF_INTERVAL_MIN_NS) {
        snprintf(error, error_size,
                 "-T %s: below the %g s floor (the shortest interval the library samples at)",
                 text, interval_seconds(MPROF_INTERVAL_MIN_NS));
        return -1;
    }
    if (nanoseconds > (double)MPROF_INTERVAL_MAX_NS) {
        snprintf(error, error_size, "-T %s: above the %g s ceiling", text,
                 interval_seconds(MPROF_INTERVAL_MAX_NS));
        return -1;
    }
    *interval_ns = (uint64_t)nanoseconds;
    return 0;
}

double interval_seconds(uint64_t interval_ns)
{
    return (double)interval_ns / 1e9;
}
