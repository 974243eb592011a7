/*
 * array.h — the CLI's one growable array: a malloc'd array with a count and a capacity
 * beside it, grown by doubling. Every list the CLI builds (samples, records, names)
 * grows through it.
 */
#ifndef MPROF_ARRAY_H
#define MPROF_ARRAY_H

#include <stddef.h>

/* Make room for one more item in a malloc'd array of `item_size` items holding `count`:
 * doubles `*capacity` (from 16) when full. Returns 0, or -1 on overflow or no memory
 * (the array is then unchanged). */
int mprof_grow_array(void **items, size_t *capacity, size_t count, size_t item_size);

#endif
