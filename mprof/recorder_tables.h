/*
 * recorder_tables.h — the part of the recorder that keeps a run's @profile records and
 * writes them as tables when the run ends (recorder.h describes the lines).
 */
#ifndef MPROF_RECORDER_TABLES_H
#define MPROF_RECORDER_TABLES_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "recorder.h"

/* Keep one FUNCTION, LINE, CALL or SITE record (framed already) until the end. Out of
 * memory the record is dropped and the user told once; the run goes on. */
void recorder_tables_keep(struct recorder *recorder, const unsigned char *bytes, size_t size);

/* Build the tables (recorder->profiled) and write PROFILE_FUNC/PROFILE_LINE for each,
 * TOP for the main process's sites by rank, FUNC for every call. Returns 0, or -1 when
 * writing failed. */
int recorder_tables_write(struct recorder *recorder);

/* Release what the kept records and the built tables hold. */
void recorder_tables_free(struct recorder *recorder);

/* Flush every series (recorder.c): the end of the run's points. 0, or -1 when writing
 * failed. */
int recorder_flush_all(struct recorder *recorder);

/* Write `MPROF <key> <value>` (recorder_end.c). 0, or -1 when writing failed. */
int recorder_meta_u64(struct recorder *recorder, const char *key, uint64_t value);

/* Note a failed .dat write once (recorder->write_errno) and pass `status` on: shared
 * by the recorder's two files, inline here so that neither calls the other back. */
static inline int recorder_check(struct recorder *recorder, int status)
{
    if (status < 0 && recorder->write_errno == 0)
        recorder->write_errno = errno != 0 ? errno : EIO;
    return status;
}

#endif
