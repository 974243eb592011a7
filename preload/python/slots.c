/*
 * slots.c — the 2 MiB slots that hold every small-object arena, pymalloc's and ours.
 *
 * Each arena sits at the start of a slot of its own, aligned to the slot's size, so one
 * shift finds, for any address, the byte of arena_map that says whether a small object
 * lives there and of which allocator; the shadow (class minus requested size, a byte per
 * 16-byte granule) and the records follow the arena inside the same slot. Nothing else
 * is ever mapped inside a slot: the part we do not use stays reserved.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "python.h"

#define ARENA_MAP_BYTES    ((size_t)1 << (ADDRESS_BITS - SLOT_BITS))
#define ARENA_LIST_MAX     (128 * 1024)        /* 128 GiB of arenas */

unsigned char *arena_map;
static uintptr_t *arena_list;        /* our live slots, for walking their pools */
static size_t arena_list_count;
static size_t slot_usable_bytes;     /* what is mapped of each slot */
/* Guards arena_list. Under one GIL it is never contended; 3.12+'s subinterpreters with
 * a GIL of their own each have their own pymalloc, which asks for arenas in parallel.
 * A spin lock: held for a few stores, never across a system call. */
static int arena_list_lock;
static struct py_arena_allocator next_arena_allocator;

int slots_init(int site_shadows)
{
    slot_usable_bytes = site_shadows ? SITE_SHADOW_OFFSET + SITE_SHADOW_BYTES : SITE_SHADOW_OFFSET;
    void *map = mmap(NULL, ARENA_MAP_BYTES, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    arena_list = arena_pages_alloc(ARENA_LIST_MAX * sizeof(*arena_list));
    if (map == MAP_FAILED || arena_list == NULL)
        return -1;
    arena_map = map;
    return 0;
}

static void arena_map_set(uintptr_t base, unsigned char kind)
{
    __atomic_store_n(&arena_map[base >> SLOT_BITS], kind, __ATOMIC_RELAXED);
}

/* Where a slot keeps its index in arena_list: the first word of its record page. */
static inline size_t *slot_list_index(uintptr_t base)
{
    return (size_t *)(base + SLOT_RECORD_OFFSET);
}

uintptr_t slots_map(unsigned char kind)
{
    if (__atomic_load_n(&arena_list_count, __ATOMIC_RELAXED) >= ARENA_LIST_MAX)
        return 0;
    /* Reserve twice the slot and trim to one aligned slot; the part past what we use
     * stays reserved (PROT_NONE) so nothing else is ever mapped inside our slot. */
    size_t span = 2 * SLOT_BYTES;
    char *mapping = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED)
        return 0;
    uintptr_t base = ((uintptr_t)mapping + SLOT_BYTES - 1) & ~(SLOT_BYTES - 1);
    if (base > (uintptr_t)mapping)
        munmap(mapping, base - (uintptr_t)mapping);
    uintptr_t end = (uintptr_t)mapping + span;
    if (end > base + SLOT_BYTES)
        munmap((void *)(base + SLOT_BYTES), end - (base + SLOT_BYTES));
    if (mprotect((void *)base, slot_usable_bytes, PROT_READ | PROT_WRITE) != 0) {
        munmap((void *)base, SLOT_BYTES);
        return 0;
    }
    spin_take(&arena_list_lock);
    if (arena_list_count >= ARENA_LIST_MAX) {
        spin_give(&arena_list_lock);
        munmap((void *)base, SLOT_BYTES);
        return 0;
    }
    *slot_list_index(base) = arena_list_count;
    arena_list[arena_list_count++] = base;
    spin_give(&arena_list_lock);
    arena_map_set(base, kind);
    return base;
}

void slots_unmap(uintptr_t base)
{
    arena_map_set(base, ARENA_NONE);
    /* The last entry takes this one's place in the list. */
    spin_take(&arena_list_lock);
    size_t index = *slot_list_index(base);
    uintptr_t last = arena_list[--arena_list_count];
    arena_list[index] = last;
    *slot_list_index(last) = index;
    spin_give(&arena_list_lock);
    munmap((void *)base, SLOT_BYTES);
}

static void *arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    /* 3.10-3.15 ask for exactly 1 MiB; anything else is left to the old allocator and
     * its blocks, outside our map, go uncounted on both sides. */
    if (size != ARENA_BYTES ||
        __atomic_load_n(&arena_list_count, __ATOMIC_RELAXED) >= ARENA_LIST_MAX)
        return next_arena_allocator.alloc(next_arena_allocator.ctx, size);
    uintptr_t base = slots_map(ARENA_PYMALLOC);
    return base != 0 ? (void *)base : NULL;
}

static void arena_free(void *ctx, void *arena, size_t size)
{
    (void)ctx;
    uintptr_t base = (uintptr_t)arena;
    if ((base & (SLOT_BYTES - 1)) != 0 || arena_kind(arena) != ARENA_PYMALLOC) {
        next_arena_allocator.free(next_arena_allocator.ctx, arena, size);
        return;
    }
    slots_unmap(base);
}

void slots_arena_allocator(const struct py_arena_allocator *next,
                           struct py_arena_allocator *ours)
{
    next_arena_allocator = *next;
    ours->ctx = NULL;
    ours->alloc = arena_alloc;
    ours->free = arena_free;
}

void slots_fork_child(void)
{
    /* Only the forking thread goes on: a holder that did not survive never gives. */
    __atomic_store_n(&arena_list_lock, 0, __ATOMIC_RELAXED);
}

int64_t slots_pool_live_bytes(void)
{
    int64_t live = 0;
    spin_take(&arena_list_lock);
    for (size_t i = 0; i < arena_list_count; i++) {
        uintptr_t arena = arena_list[i];
        for (uintptr_t pool = arena; pool < arena + ARENA_BYTES; pool += POOL_SIZE) {
            uint32_t used, size_index;
            memcpy(&used, (const void *)(pool + POOL_COUNT_OFFSET), sizeof(used));
            if (used == 0)
                continue;
            memcpy(&size_index, (const void *)(pool + POOL_SZIDX_OFFSET), sizeof(size_index));
            live += (int64_t)used * (int64_t)(((uint64_t)size_index + 1) << 4);
        }
        /* A freed block's shadow is cleared, so summing the whole shadow is enough. */
        const unsigned char *shadow = shadow_of((const void *)arena);
        for (size_t granule = 0; granule < SHADOW_BYTES; granule++)
            live -= shadow[granule];
    }
    spin_give(&arena_list_lock);
    return live;
}
