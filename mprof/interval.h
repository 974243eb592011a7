/*
 * interval.h — the sampling interval as the user writes it (`-T SECONDS`) and as it
 * crosses to the library (whole nanoseconds, MPROF_INTERVAL_NS).
 *
 * The CLI is the only validator of the interval: what passes here is within
 * [MPROF_INTERVAL_MIN_NS, MPROF_INTERVAL_MAX_NS] (include/mprof/protocol.h), and the
 * library samples at exactly that, so the CLI's MEM series and the library's HEAP
 * series tick together.
 */
#ifndef MPROF_INTERVAL_H
#define MPROF_INTERVAL_H

#include <stddef.h>
#include <stdint.h>

/* Parse `text` (seconds, as strtod reads them in the C locale: "0.1", "1e-2") into
 * whole nanoseconds, rounded to the nearest. Returns 0, or -1 with one line in `error`
 * (without the "mprof: " prefix) naming the value: not a number, below the floor,
 * above the ceiling. */
int interval_parse(const char *text, uint64_t *interval_ns, char *error, size_t error_size);

/* The interval in seconds, as the .dat's `MPROF interval` and the CLI's clock use it. */
double interval_seconds(uint64_t interval_ns);

#endif
