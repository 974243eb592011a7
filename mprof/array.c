/*
 * array.c — growing a malloc'd array by doubling (see array.h).
 */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>

int mprof_grow_array(void **items, size_t *capacity, size_t count, size_t item_size)
{
    if (count < *capacity)
        return 0;
    size_t new_capacity = *capacity ? *capacity * 2 : 16;
    if (new_capacity > SIZE_MAX / item_size)
        return -1;
    void *grown = realloc(*items, new_capacity * item_size);
    if (grown == NULL)
        return -1;
    *items = grown;
    *capacity = new_capacity;
    return 0;
}
