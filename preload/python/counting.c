/*
 * counting.c — the PyMem hooks that count around the allocator installed below them
 * (pymalloc, or the debug hooks over it), where pysmall.c does not serve.
 *
 * Each layer counts what it serves, so each byte is counted once: blocks that end in
 * malloc (requests over 512 bytes, PYTHONMALLOC=malloc) are counted by the malloc hooks;
 * here only blocks inside pymalloc's arenas, which slots.c gave it, are counted: at the
 * requested size, the slack kept in the arena's shadow so that the free counts the same.
 * Blocks made while these hooks were not on top (PYTHONMALLOC, -X dev, until the entry
 * point) have a zero shadow and count at their class, on both sides. Under
 * PYTHONMALLOC=debug the debug hooks sit below ours; we count what the program asked of
 * them.
 *
 * This relies on pymalloc's pool layout (16 KiB pools, szidx at byte 36), the same in
 * CPython 3.10-3.15 on 64-bit; attach.c checks it at the entry point.
 */
#include <stdint.h>
#include <string.h>

#include "python.h"

static void *counting_malloc(void *ctx, size_t size)
{
    struct pymem_domain *domain = ctx;
    void *block = domain->next.malloc(domain->next.ctx, size);
    if (LIKELY(arena_kind(block) == ARENA_PYMALLOC))
        count_pool_alloc(pymalloc_block_allocated(block, size));
    return block;
}

static void *counting_calloc(void *ctx, size_t count, size_t size)
{
    struct pymem_domain *domain = ctx;
    void *block = domain->next.calloc(domain->next.ctx, count, size);
    if (LIKELY(arena_kind(block) == ARENA_PYMALLOC))
        count_pool_alloc(pymalloc_block_allocated(block, count * size));
    return block;
}

/* A block of our own arenas reaching the hooks that wrap another allocator. They replace
 * pysmall.c's only when PYTHONMALLOC or -X dev displaced them, before the interpreter
 * made any block, so this is for safety: the block is never handed to the allocator
 * below, it moves out of our arena. */
static void *realloc_from_own(struct pymem_domain *domain, void *block, size_t size)
{
    void *moved = domain->next.malloc(domain->next.ctx, size);
    if (moved == NULL)
        return NULL;
    uint64_t class_bytes = pool_block_bytes(block);
    memcpy(moved, block, size < class_bytes ? size : class_bytes);
    if (arena_kind(moved) == ARENA_PYMALLOC)
        count_pool_alloc(pymalloc_block_allocated(moved, size));
    pysmall_free_own(block);
    return moved;
}

void counting_realloc(struct pymem_domain *domain, void *block, size_t size,
                      struct counting_realloc_result *result)
{
    unsigned old_kind = arena_kind(block);
    result->old_bytes = result->new_bytes = 0;
    result->old_in_arena = result->new_in_arena = 0;
    if (UNLIKELY(old_kind == ARENA_OWN)) {
        result->block = realloc_from_own(domain, block, size);
        return;
    }
    /* Read all we need of the old block first: the realloc may free it and unmap its
     * arena. Put the shadow back if the realloc fails. */
    int old_in_arena = old_kind == ARENA_PYMALLOC;
    unsigned char old_shadow = 0;
    uint64_t old_bytes = 0;
    if (old_in_arena) {
        old_shadow = *shadow_of(block);
        old_bytes = pymalloc_block_freed(block);
    }
    void *moved = domain->next.realloc(domain->next.ctx, block, size);
    result->block = moved;
    result->old_in_arena = old_in_arena;
    if (moved == NULL) {
        if (old_in_arena)
            *shadow_of(block) = old_shadow;
        return;
    }
    int new_in_arena = arena_kind(moved) == ARENA_PYMALLOC;
    uint64_t new_bytes = new_in_arena ? pymalloc_block_allocated(moved, size) : 0;
    if (old_bytes != 0)
        count_pool_free(old_bytes);
    if (new_bytes != 0)
        count_pool_alloc(new_bytes);
    result->old_bytes = old_bytes;
    result->new_bytes = new_bytes;
    result->new_in_arena = new_in_arena;
}

static void *counting_realloc_hook(void *ctx, void *block, size_t size)
{
    struct counting_realloc_result result;
    counting_realloc(ctx, block, size, &result);
    return result.block;
}

static void counting_free(void *ctx, void *block)
{
    struct pymem_domain *domain = ctx;
    /* Read the size before freeing: the pool may go back to the arena. */
    unsigned kind = arena_kind(block);
    if (LIKELY(kind == ARENA_PYMALLOC)) {
        count_pool_free(pymalloc_block_freed(block));
    } else if (UNLIKELY(kind == ARENA_OWN)) {
        pysmall_free_own(block); /* see realloc_from_own */
        return;
    }
    domain->next.free(domain->next.ctx, block);
}

const struct py_mem_allocator counting_allocator = {
    .malloc = counting_malloc,
    .calloc = counting_calloc,
    .realloc = counting_realloc_hook,
    .free = counting_free,
};
