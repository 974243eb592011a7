/*
 * jemalloc_api.c — jemalloc's own entry points (mallocx, rallocx, xallocx, sallocx,
 * dallocx, sdallocx, nallocx), served by ours.
 *
 * Why: a program linked with jemalloc (or run with it preloaded) gets its malloc and
 * free from us, and they carry our header; had its mallocx or sdallocx gone straight
 * to jemalloc, jemalloc would be handed a pointer it never gave out (a crash), and
 * mallocx's blocks would not be counted. So each is built here on the standard entry
 * points, which count and forward: every block of either family is ours, and free,
 * dallocx and sdallocx take any of them. A program that asks whether jemalloc is there
 * by looking for mallocx alone finds it, and gets these. What is lost is what only jemalloc can do:
 * explicit arenas and tcache choices become the default ones, and xallocx never grows
 * a block in place (it may say so: its contract allows a resize that did not happen).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

#include "core.h"

#define MALLOCX_LG_ALIGN_MASK 0x3f   /* flags' low bits: log2 of the alignment */
#define MALLOCX_ZERO          0x40

static size_t flags_alignment(int flags)
{
    unsigned lg = (unsigned)flags & MALLOCX_LG_ALIGN_MASK;
    return lg == 0 || lg >= 8 * sizeof(size_t) ? 0 : (size_t)1 << lg;
}

MPROF_EXPORT void *mallocx(size_t size, int flags)
{
    size_t alignment = flags_alignment(flags);
    if (alignment <= 16)
        /* calloc, not malloc and memset: fresh pages come zeroed and stay untouched
         * (not resident), as jemalloc's do. */
        return (flags & MALLOCX_ZERO) ? calloc(1, size) : malloc(size);
    void *block = memalign(alignment, size);
    if (block != NULL && (flags & MALLOCX_ZERO))
        memset(block, 0, size);  /* an aligned block has no calloc: its pages are touched */
    return block;
}

MPROF_EXPORT void dallocx(void *block, int flags)
{
    (void)flags;
    free(block);
}

MPROF_EXPORT void sdallocx(void *block, size_t size, int flags)
{
    (void)size;
    (void)flags;
    free(block);
}

MPROF_EXPORT size_t sallocx(const void *block, int flags)
{
    (void)flags;
    return malloc_usable_size((void *)block);
}

/* The size mallocx(size, flags) is sure to give: at least `size`, and what the block
 * is known to hold (malloc_usable_size may say more, never less). 0 when `size` with
 * its alignment overflows, as jemalloc's. */
MPROF_EXPORT size_t nallocx(size_t size, int flags)
{
    size_t alignment = flags_alignment(flags);
    if (alignment > SIZE_MAX / 2 || size > SIZE_MAX - alignment - 16)
        return 0;
    return size == 0 ? 1 : size;
}

MPROF_EXPORT void *rallocx(void *block, size_t size, int flags)
{
    if (flags_alignment(flags) <= 16) {
        size_t old = block != NULL ? malloc_usable_size(block) : 0;
        void *moved = realloc(block, size == 0 ? 1 : size);
        /* Zeroed as asked: the bytes past what the block held before. */
        if (moved != NULL && (flags & MALLOCX_ZERO) && size > old)
            memset((char *)moved + old, 0, size - old);
        return moved;
    }
    /* realloc keeps neither an alignment nor the zeroing: a new block, the old bytes
     * copied over its start (the rest stays zero when asked). */
    void *moved = mallocx(size == 0 ? 1 : size, flags);
    if (moved == NULL)
        return NULL;
    if (block != NULL) {
        size_t old = malloc_usable_size(block);
        memcpy(moved, block, old < size ? old : size);
        free(block);
    }
    return moved;
}

MPROF_EXPORT size_t xallocx(void *block, size_t size, size_t extra, int flags)
{
    (void)size;
    (void)extra;
    (void)flags;
    return malloc_usable_size(block);
}
