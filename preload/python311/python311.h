/*
 * python311.h — what the files of libmprof-python311.so share.
 */
#ifndef MPROF_PYTHON311_H
#define MPROF_PYTHON311_H

#include <stdint.h>

#include "../python/plugin_api.h"

/* sites.c: whole-program line attribution (see plugin.h for the contract). */
int sites_init(const struct mprof_core_api *core);   /* 0, or -1 when out of memory */
uint32_t sites_charge(int64_t bytes);
void sites_count(uint32_t site, int64_t bytes);
void sites_peak(int64_t heap_bytes);
/* Send the top sites as SITE records (pure C; also from _exit). */
void sites_send(void);

#endif
