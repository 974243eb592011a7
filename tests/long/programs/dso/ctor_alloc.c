/*
 * ctor_alloc.c — the small shared library that dlopen_loop.c loads and unloads: it
 * allocates in its constructor and frees in its destructor, so each load and unload
 * of it must leave the heap as it was.
 *
 * The constructor allocates 10 blocks of 1,000 .. 10,000 B (55,000 B); the library's
 * one function, ctor_alloc_held, says how many bytes it holds; the destructor frees
 * them all.
 */
#include <stdlib.h>
#include <string.h>

#define HELD_BLOCKS 10

static char *held[HELD_BLOCKS];
static long held_bytes;

__attribute__((constructor)) static void allocate_on_load(void)
{
    for (int i = 0; i < HELD_BLOCKS; i++) {
        size_t size = 1000 * (size_t)(i + 1);
        held[i] = malloc(size);
        if (held[i] == NULL)
            continue;
        memset(held[i], i, size);
        held_bytes += (long)size;
    }
}

__attribute__((destructor)) static void free_on_unload(void)
{
    for (int i = 0; i < HELD_BLOCKS; i++) {
        free(held[i]);
        held[i] = NULL;
    }
    held_bytes = 0;
}

/* The bytes the constructor holds (55,000 when every block was allocated). */
long ctor_alloc_held(void);
long ctor_alloc_held(void)
{
    return held_bytes;
}
