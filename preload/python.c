/*
 * python.c — inside CPython: count the objects that never reach malloc.
 *
 * Each layer counts what it serves, so each byte is counted once: blocks that end in
 * malloc (RAW domain, requests over 512 bytes, PYTHONMALLOC=malloc) are counted exactly
 * by hooks.c; small objects, carved from 1 MiB arenas, are counted here. Those arenas
 * are always ours, each in a 2 MiB slot marked in a map of the address space (one byte
 * per slot: what kind of arena it holds), so one load tells a small object from a
 * malloc'd block. Two ways to serve them:
 *
 * - pysmall.c serves them itself, counting in the same pass (the default where pymalloc
 *   is what is installed, on 3.10 and 3.11: see small_objects_served_here);
 * - else the hooks below count around the installed allocator, and we give pymalloc
 *   its arenas ourselves (PyObject_SetArenaAllocator).
 *
 * How exact: to the byte. After each arena comes a shadow of one byte per 16-byte
 * granule holding how far the block's size class (read from its pool header) exceeds
 * what was requested. Allocation counts the request and writes the shadow; free counts
 * class - shadow and clears it. So bytearray(10**7) counts 10,000,001 (malloc) + 56 (its
 * object), exactly. Blocks made while our hooks were not on top (PYTHONMALLOC, -X dev,
 * until the entry point) have a zero shadow and count at their class, on both sides.
 * Under PYTHONMALLOC=debug the debug hooks sit below ours; we count what the program
 * asked of them.
 *
 * Counting around pymalloc relies on its pool layout (16 KiB pools, szidx at byte 36),
 * the same in CPython 3.10–3.12 on 64-bit; it is checked at the entry point and, if it
 * does not hold, we fall back to counting malloc only, with a notice. No Python headers
 * are used: the allocator structs are the stable ABI's.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mprof/protocol.h"
#include "plugin.h"
#include "preload.h"

/* Stable ABI layout (Include/cpython/objimpl.h); py_mem_allocator is in preload.h. */
struct py_arena_allocator {
    void *ctx;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *arena, size_t size);
};
enum { PY_DOMAIN_RAW = 0, PY_DOMAIN_MEM = 1, PY_DOMAIN_OBJ = 2 };

#define SITE_SHADOW_BYTES  (ARENA_BYTES >> 2)   /* --lines: a site id per granule */
#define SITE_SHADOW_OFFSET (SLOT_RECORD_OFFSET + SLOT_RECORD_BYTES)
#define LARGE_MAP_MIN      (1u << 16)           /* --lines: larger blocks' sites */
#define POOL_COUNT_OFFSET  0
#define ARENA_MAP_BYTES    ((size_t)1 << (ADDRESS_BITS - SLOT_BITS))
#define ARENA_LIST_MAX     (128 * 1024)        /* 128 GiB of pymalloc arenas */

static struct {
    void (*get_allocator)(int domain, struct py_mem_allocator *allocator);
    void (*set_allocator)(int domain, struct py_mem_allocator *allocator);
    void (*get_arena_allocator)(struct py_arena_allocator *allocator);
    void (*set_arena_allocator)(struct py_arena_allocator *allocator);
    int (*is_initialized)(void);
    int (*add_pending_call)(int (*function)(void *), void *argument);
    const char *(*get_version)(void);
    const char *(*current_allocator_name)(void); /* may be NULL: then we count around */
    struct pysmall_raw raw;                        /* PyMem_Raw*, for pysmall.c */
} python_api;

static struct pymem_domain mem_domain = { .domain = PY_DOMAIN_MEM };
static struct pymem_domain obj_domain = { .domain = PY_DOMAIN_OBJ };
static struct py_arena_allocator next_arena_allocator;

unsigned char *arena_map;
static uintptr_t *arena_list;        /* our live arenas, for walking their pools */
static size_t arena_list_count;
static int python_counting;          /* pymalloc blocks are being counted */
static int python_entry_queued;      /* atomic: 1 once the entry point is queued */
static int python_minor;             /* 3.<minor> of the running interpreter */
static const struct mprof_plugin *python_plugin;
static int sites_enabled;            /* mprof run --lines: charge blocks to source lines */
static int64_t sites_peak_heap;      /* the heap when lines' bytes were last kept */
static int64_t sites_peak_pending;   /* atomic: a new high to keep, or 0 */

/* Blocks of the PyMem domains that malloc served (over 512 bytes) have no shadow: their
 * site and size live here, under the GIL. Linear probing, backward-shift deletion. */
struct large_block {
    uintptr_t address;
    uint64_t bytes;
    uint32_t site;
};
static struct large_block *large_map;
static size_t large_map_capacity, large_map_count;
/* Non-zero while we wait for the interpreter to initialise: the allocation hooks then
 * check, on every call, whether the entry point can be queued (see python_watch_tick). */
int python_watching;

/* ---- our arenas ------------------------------------------------------------------ */

static void arena_map_set(uintptr_t base, unsigned char kind)
{
    __atomic_store_n(&arena_map[base >> SLOT_BITS], kind, __ATOMIC_RELAXED);
}

/* Where a slot keeps its index in arena_list: the first word of its record page. */
static inline size_t *slot_list_index(uintptr_t base)
{
    return (size_t *)(base + SLOT_RECORD_OFFSET);
}

uintptr_t python_slot_map(unsigned char kind)
{
    if (arena_list_count >= ARENA_LIST_MAX)
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
    size_t usable = sites_enabled ? SITE_SHADOW_OFFSET + SITE_SHADOW_BYTES : SITE_SHADOW_OFFSET;
    if (mprotect((void *)base, usable, PROT_READ | PROT_WRITE) != 0) {
        munmap((void *)base, SLOT_BYTES);
        return 0;
    }
    *slot_list_index(base) = arena_list_count;
    arena_list[arena_list_count++] = base;
    arena_map_set(base, kind);
    return base;
}

void python_slot_unmap(uintptr_t base)
{
    arena_map_set(base, ARENA_NONE);
    /* The last entry takes this one's place in the list. */
    size_t index = *slot_list_index(base);
    uintptr_t last = arena_list[--arena_list_count];
    arena_list[index] = last;
    *slot_list_index(last) = index;
    munmap((void *)base, SLOT_BYTES);
}

static void *arena_alloc(void *ctx, size_t size)
{
    (void)ctx;
    /* 3.10-3.12 ask for exactly 1 MiB; anything else is left to the old allocator and
     * its blocks, outside our map, go uncounted on both sides. */
    if (size != ARENA_BYTES || arena_list_count >= ARENA_LIST_MAX)
        return next_arena_allocator.alloc(next_arena_allocator.ctx, size);
    uintptr_t base = python_slot_map(ARENA_PYMALLOC);
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
    python_slot_unmap(base);
}

/* Bytes counted for pymalloc blocks right now, from the pools and shadows themselves
 * (GIL held): per pool, used blocks times the class, less the live blocks' shadows
 * (a freed block's shadow is cleared, so summing the whole shadow is enough). */
static int64_t arenas_live_bytes(void)
{
    int64_t live = 0;
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
        const unsigned char *shadow = shadow_of((const void *)arena);
        for (size_t granule = 0; granule < SHADOW_BYTES; granule++)
            live -= shadow[granule];
    }
    return live;
}

/* Count a new pymalloc block of `requested` bytes and remember the slack. */
static inline uint64_t block_allocated(void *block, size_t requested)
{
    uint64_t class_bytes = pool_block_bytes(block);
    uint64_t slack = class_bytes > requested ? class_bytes - requested : 0;
    if (slack > 255) /* only below debug hooks: count what the shadow can hold */
        slack = 255;
    *shadow_of(block) = (unsigned char)slack;
    return class_bytes - slack;
}

/* The bytes counted for a pymalloc block about to be freed; clears its shadow. */
static inline uint64_t block_freed(void *block)
{
    unsigned char *shadow = shadow_of(block);
    uint64_t counted = pool_block_bytes(block) - *shadow;
    *shadow = 0;
    return counted;
}

/* ---- the entry point ---------------------------------------------------------------- */

static int python_entry(void *unused);

/* Queue the entry point if the interpreter is ready. The flag is taken before calling
 * Py_AddPendingCall, so an allocation inside that call cannot come back here. */
static int queue_entry(void)
{
    int expected = 0;
    if (!__atomic_compare_exchange_n(&python_entry_queued, &expected, 1, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return 0;
    if (python_api.is_initialized() && python_api.add_pending_call(python_entry, NULL) == 0) {
        __atomic_store_n(&python_watching, 0, __ATOMIC_RELEASE);
        return 0;
    }
    __atomic_store_n(&python_entry_queued, 0, __ATOMIC_RELEASE);
    return 1;
}

void python_fork_child(void)
{
    if (python_plugin != NULL && python_plugin->fork_child != NULL)
        python_plugin->fork_child();
}

void python_flush_at_exit(void)
{
    if (python_plugin != NULL && python_plugin->flush_at_exit != NULL)
        python_plugin->flush_at_exit();
}

void python_watch_tick(void)
{
    queue_entry();
}

/* ---- sites (mprof run --lines) --------------------------------------------------------- */

static inline uint32_t *site_shadow_of(const void *block)
{
    uintptr_t address = (uintptr_t)block;
    uintptr_t slot = address & ~(SLOT_BYTES - 1);
    return (uint32_t *)(slot + SITE_SHADOW_OFFSET + ((address & (ARENA_BYTES - 1)) >> 4) * 4);
}

static size_t large_map_home(uintptr_t address)
{
    return (size_t)(((address >> 4) * 0x9E3779B97F4A7C15ull) >> 32) & (large_map_capacity - 1);
}

static void large_map_insert(struct large_block *map, size_t capacity, struct large_block block)
{
    size_t mask = capacity - 1;
    size_t slot = (size_t)(((block.address >> 4) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
    while (map[slot].address != 0)
        slot = (slot + 1) & mask;
    map[slot] = block;
}

static int large_map_put(uintptr_t address, uint64_t bytes, uint32_t site)
{
    if (large_map_count + 1 > large_map_capacity / 2) {
        size_t capacity = large_map_capacity ? large_map_capacity * 2 : LARGE_MAP_MIN;
        struct large_block *map = arena_pages_alloc(capacity * sizeof(*map));
        if (map == NULL)
            return -1;
        for (size_t slot = 0; slot < large_map_capacity; slot++)
            if (large_map[slot].address != 0)
                large_map_insert(map, capacity, large_map[slot]);
        arena_pages_free(large_map, large_map_capacity * sizeof(*large_map));
        large_map = map;
        large_map_capacity = capacity;
    }
    struct large_block block = { .address = address, .bytes = bytes, .site = site };
    large_map_insert(large_map, large_map_capacity, block);
    large_map_count++;
    return 0;
}

/* Remove `address`; returns 0 and its entry, or -1 when it was never recorded. */
static int large_map_take(uintptr_t address, struct large_block *found)
{
    if (large_map_capacity == 0)
        return -1;
    size_t mask = large_map_capacity - 1;
    size_t slot = large_map_home(address);
    while (large_map[slot].address != address) {
        if (large_map[slot].address == 0)
            return -1;
        slot = (slot + 1) & mask;
    }
    *found = large_map[slot];
    /* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
    size_t hole = slot;
    for (size_t next = (hole + 1) & mask; large_map[next].address != 0; next = (next + 1) & mask) {
        size_t home = large_map_home(large_map[next].address);
        if (((next - home) & mask) >= ((next - hole) & mask)) {
            large_map[hole] = large_map[next];
            hole = next;
        }
    }
    large_map[hole].address = 0;
    large_map_count--;
    return 0;
}

/* A PyMem block was allocated: charge it to the running line. */
static void site_allocated(void *block, uint64_t bytes, int in_arena)
{
    uint32_t site = python_plugin->site_charge((int64_t)bytes);
    if (in_arena) {
        *site_shadow_of(block) = site;
    } else if (large_map_put((uintptr_t)block, bytes, site) != 0) {
        /* No room to remember it: leave it out on both sides. */
        python_plugin->site_count(site, -(int64_t)bytes);
        return;
    }
    /* A peak found inside this allocation (by the malloc hook, before the block was
     * charged here) is kept now, with the block in it. */
    int64_t pending = __atomic_exchange_n(&sites_peak_pending, 0, __ATOMIC_RELAXED);
    if (UNLIKELY(pending != 0)) {
        int64_t heap = pending > stats_heap_peak() ? pending : stats_heap_peak();
        sites_peak_heap = heap;
        python_plugin->site_peak(heap);
    }
}

/* A PyMem block is about to be freed. `bytes` is its counted size when in an arena. */
static void site_freed(void *block, uint64_t bytes, int in_arena)
{
    uint32_t site;
    if (in_arena) {
        site = *site_shadow_of(block);
    } else {
        struct large_block found;
        if (large_map_take((uintptr_t)block, &found) != 0)
            return; /* allocated before --lines tracking began, or left out */
        site = found.site;
        bytes = found.bytes;
    }
    python_plugin->site_count(site, -(int64_t)bytes);
}

void python_heap_sampled(int64_t heap_bytes)
{
    /* The sampler sees the heap standing at its high-water mark (within 0.1%): keep
     * every line's bytes now, exactly (peaks that last catch the last 1% this way). */
    int64_t mark = stats_heap_peak();
    if (sites_enabled && heap_bytes >= mark - mark / 1000 && heap_bytes > sites_peak_heap) {
        sites_peak_heap = heap_bytes;
        python_plugin->site_peak(heap_bytes);
    }
}

void python_heap_peak(int64_t heap_bytes)
{
    /* Copying every line's bytes costs O(lines): once per 1% of new height. The copy is
     * made by the next PyMem allocation (site_allocated), under the GIL, after it has
     * charged its own block: the block that made this peak is usually that one. */
    int64_t kept = __atomic_load_n(&sites_peak_heap, __ATOMIC_RELAXED);
    if (sites_enabled && heap_bytes > kept + kept / 100)
        __atomic_store_n(&sites_peak_pending, heap_bytes, __ATOMIC_RELAXED);
}

/* ---- the PyMem hooks (MEM and OBJ domains; the GIL is held) ---------------------- */

/* Two sets of hooks: plain counting, and counting plus --lines. domain_install picks one,
 * so a plain run pays nothing for --lines (not even saved registers). */

static void *pymem_malloc(void *ctx, size_t size)
{
    struct pymem_domain *domain = ctx;
    void *block = domain->next.malloc(domain->next.ctx, size);
    if (LIKELY(arena_kind(block) == ARENA_PYMALLOC))
        count_pymem_alloc(block_allocated(block, size));
    return block;
}

static void *pymem_calloc(void *ctx, size_t count, size_t size)
{
    struct pymem_domain *domain = ctx;
    void *block = domain->next.calloc(domain->next.ctx, count, size);
    if (LIKELY(arena_kind(block) == ARENA_PYMALLOC))
        count_pymem_alloc(block_allocated(block, count * size));
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
        count_pymem_alloc(block_allocated(moved, size));
    pysmall_free_own(block);
    return moved;
}

/* realloc is rare enough to serve both sets. */
static void *pymem_realloc(void *ctx, void *block, size_t size)
{
    struct pymem_domain *domain = ctx;
    if (UNLIKELY(arena_kind(block) == ARENA_OWN))
        return realloc_from_own(domain, block, size);
    int was_pymalloc = arena_kind(block) == ARENA_PYMALLOC;
    /* Read all we need of the old block first: the realloc may free it and unmap its
     * arena. Put the shadow back if the realloc fails. */
    unsigned char old_shadow = was_pymalloc ? *shadow_of(block) : 0;
    uint64_t old_bytes = was_pymalloc ? block_freed(block) : 0;
    uint32_t old_site = 0;
    struct large_block old_large = { 0 };
    int old_large_known = 0;
    if (sites_enabled && block != NULL) {
        if (was_pymalloc)
            old_site = *site_shadow_of(block);
        else
            old_large_known = large_map_take((uintptr_t)block, &old_large) == 0;
    }
    void *moved = domain->next.realloc(domain->next.ctx, block, size);
    if (moved == NULL) {
        if (was_pymalloc)
            *shadow_of(block) = old_shadow;
        if (old_large_known)
            large_map_put(old_large.address, old_large.bytes, old_large.site);
        return NULL;
    }
    int in_arena = arena_kind(moved) == ARENA_PYMALLOC;
    uint64_t new_bytes = in_arena ? block_allocated(moved, size) : 0;
    if (old_bytes != 0)
        count_pymem_free(old_bytes);
    if (new_bytes != 0)
        count_pymem_alloc(new_bytes);
    if (sites_enabled) {
        /* The old block is freed where it was charged, the new one is charged to the
         * line running now. */
        if (was_pymalloc)
            python_plugin->site_count(old_site, -(int64_t)old_bytes);
        else if (old_large_known)
            python_plugin->site_count(old_large.site, -(int64_t)old_large.bytes);
        site_allocated(moved, in_arena ? new_bytes : size, in_arena);
    }
    return moved;
}

static void pymem_free(void *ctx, void *block)
{
    struct pymem_domain *domain = ctx;
    /* Read the size before freeing: the pool may go back to the arena. */
    unsigned kind = arena_kind(block);
    if (LIKELY(kind == ARENA_PYMALLOC)) {
        count_pymem_free(block_freed(block));
    } else if (UNLIKELY(kind == ARENA_OWN)) {
        pysmall_free_own(block); /* see realloc_from_own */
        return;
    }
    domain->next.free(domain->next.ctx, block);
}

static void *pymem_malloc_lines(void *ctx, size_t size)
{
    struct pymem_domain *domain = ctx;
    void *block = domain->next.malloc(domain->next.ctx, size);
    if (block == NULL)
        return NULL;
    if (arena_kind(block) == ARENA_PYMALLOC) {
        uint64_t bytes = block_allocated(block, size);
        count_pymem_alloc(bytes);
        site_allocated(block, bytes, 1);
    } else {
        site_allocated(block, size, 0);
    }
    return block;
}

static void *pymem_calloc_lines(void *ctx, size_t count, size_t size)
{
    struct pymem_domain *domain = ctx;
    void *block = domain->next.calloc(domain->next.ctx, count, size);
    if (block == NULL)
        return NULL;
    if (arena_kind(block) == ARENA_PYMALLOC) {
        uint64_t bytes = block_allocated(block, count * size);
        count_pymem_alloc(bytes);
        site_allocated(block, bytes, 1);
    } else {
        site_allocated(block, count * size, 0);
    }
    return block;
}

static void pymem_free_lines(void *ctx, void *block)
{
    struct pymem_domain *domain = ctx;
    if (block != NULL) {
        if (arena_kind(block) == ARENA_PYMALLOC) {
            uint64_t bytes = block_freed(block);
            count_pymem_free(bytes);
            site_freed(block, bytes, 1);
        } else {
            site_freed(block, 0, 0);
        }
    }
    domain->next.free(domain->next.ctx, block);
}

/* The counting hooks' `next` during domain_reaches_us: note the call, pass it on. */
static int probe_reached;
static struct py_mem_allocator probe_saved_next;

static void *probe_malloc(void *ctx, size_t size)
{
    (void)ctx;
    probe_reached = 1;
    return probe_saved_next.malloc(probe_saved_next.ctx, size);
}

/* Whether an allocation through the domain, as installed now, still reaches our hooks.
 * PYTHONMALLOC and -X dev replace them during start-up; -X tracemalloc wraps them, and
 * then they must stay where they are: put on top again, they would call tracemalloc,
 * which calls them (each call recursing until the stack ran out), or free behind its
 * back. pysmall.c's hooks are reached when the block comes from one of our own arenas;
 * the counting hooks are reached when they call their `next`, here a probe. GIL held:
 * no other thread allocates meanwhile. */
static int domain_reaches_us(struct pymem_domain *domain)
{
    struct py_mem_allocator current;
    python_api.get_allocator(domain->domain, &current);
    if (current.ctx == domain)
        return 1; /* ours on top: nobody else has our ctx */
    probe_saved_next = domain->next;
    probe_reached = 0;
    if (!domain->serving)
        domain->next.malloc = probe_malloc;
    void *block = current.malloc(current.ctx, 100);
    domain->next = probe_saved_next;
    int reached = domain->serving ? arena_kind(block) == ARENA_OWN : probe_reached;
    if (block != NULL)
        current.free(current.ctx, block);
    return reached;
}

/* Put our hooks on top of the domain's allocator: pysmall.c's, which serve small
 * objects themselves, when `serve_small_objects` (pymalloc is what they replace), else
 * the hooks that count around whatever is there. */
static void domain_install(struct pymem_domain *domain, int serve_small_objects)
{
    python_api.get_allocator(domain->domain, &domain->next);
    struct py_mem_allocator counting = {
        .ctx = domain,
        .malloc = sites_enabled ? pymem_malloc_lines : pymem_malloc,
        .calloc = sites_enabled ? pymem_calloc_lines : pymem_calloc,
        .realloc = pymem_realloc,
        .free = sites_enabled ? pymem_free_lines : pymem_free,
    };
    struct py_mem_allocator serving = {
        .ctx = domain,
        .malloc = pysmall_malloc,
        .calloc = pysmall_calloc,
        .realloc = pysmall_realloc,
        .free = pysmall_free,
    };
    if (serve_small_objects)
        domain->pymalloc = domain->next;
    domain->serving = serve_small_objects;
    python_api.set_allocator(domain->domain, serve_small_objects ? &serving : &counting);
}

/* ---- attaching --------------------------------------------------------------------- */

static int lookup_api(void)
{
    python_api.set_allocator = dlsym(RTLD_DEFAULT, "PyMem_SetAllocator");
    if (python_api.set_allocator == NULL)
        return -1;
    python_api.get_allocator = dlsym(RTLD_DEFAULT, "PyMem_GetAllocator");
    python_api.get_arena_allocator = dlsym(RTLD_DEFAULT, "PyObject_GetArenaAllocator");
    python_api.set_arena_allocator = dlsym(RTLD_DEFAULT, "PyObject_SetArenaAllocator");
    python_api.is_initialized = dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    python_api.add_pending_call = dlsym(RTLD_DEFAULT, "Py_AddPendingCall");
    python_api.get_version = dlsym(RTLD_DEFAULT, "Py_GetVersion");
    python_api.current_allocator_name = dlsym(RTLD_DEFAULT, "_PyMem_GetCurrentAllocatorName");
    python_api.raw.malloc = dlsym(RTLD_DEFAULT, "PyMem_RawMalloc");
    python_api.raw.calloc = dlsym(RTLD_DEFAULT, "PyMem_RawCalloc");
    python_api.raw.realloc = dlsym(RTLD_DEFAULT, "PyMem_RawRealloc");
    python_api.raw.free = dlsym(RTLD_DEFAULT, "PyMem_RawFree");
    if (!python_api.get_allocator || !python_api.get_arena_allocator ||
        !python_api.set_arena_allocator || !python_api.is_initialized ||
        !python_api.add_pending_call || !python_api.get_version)
        return -1;
    return 0;
}

static int version_minor(const char *version)
{
    /* "3.11.7 (main, ...": major.minor */
    if (version == NULL || version[0] != '3' || version[1] != '.')
        return -1;
    return atoi(version + 2);
}

/* ---- the plugin ---------------------------------------------------------------------- */

static int64_t core_thread_net_bytes(void)
{
    struct thread_stats *stats = stats_this_thread();
    return (int64_t)(stats->malloc_alloc_bytes - stats->malloc_free_bytes) +
           (int64_t)(stats->pymem_alloc_bytes - stats->pymem_free_bytes);
}

/* The plugin reads the head of a thread's block as struct mprof_thread_counters. */
_Static_assert(offsetof(struct thread_stats, malloc_alloc_bytes) ==
               offsetof(struct mprof_thread_counters, malloc_alloc_bytes), "counter layout");
_Static_assert(offsetof(struct thread_stats, malloc_free_bytes) ==
               offsetof(struct mprof_thread_counters, malloc_free_bytes), "counter layout");
_Static_assert(offsetof(struct thread_stats, pymem_alloc_bytes) ==
               offsetof(struct mprof_thread_counters, pymem_alloc_bytes), "counter layout");
_Static_assert(offsetof(struct thread_stats, pymem_free_bytes) ==
               offsetof(struct mprof_thread_counters, pymem_free_bytes), "counter layout");

static const struct mprof_thread_counters *core_thread_counters(void)
{
    return (const struct mprof_thread_counters *)stats_this_thread();
}

static int64_t core_process_live_bytes(void)
{
    struct heap_totals totals;
    stats_sum(&totals);
    return totals.malloc_live_bytes + totals.pymem_live_bytes;
}

static void core_notice(const char *text)
{
    diag_notice("%s", text);
}

static const struct mprof_core_api core_api = {
    .version = MPROF_PLUGIN_API_VERSION,
    .thread_net_bytes = core_thread_net_bytes,
    .process_live_bytes = core_process_live_bytes,
    .thread_count = stats_thread_count,
    .thread_counters = core_thread_counters,
    .thread_count_now = &stats_threads_counting,
    .realtime_ns = clock_realtime_ns,
    .send = writer_send,
    .reporting = writer_is_open,
    .notice = core_notice,
    .pages_alloc = arena_pages_alloc,
};

/* Load libmprof-python3NN.so from beside this library. Only the @profile line tables
 * need it; without it the heap is still counted. */
static void load_plugin(void)
{
    Dl_info self;
    char path[4096];
    if (dladdr((void *)load_plugin, &self) == 0 || self.dli_fname == NULL)
        return;
    const char *slash = strrchr(self.dli_fname, '/');
    size_t dir_length = slash ? (size_t)(slash - self.dli_fname) : 0;
    int length = snprintf(path, sizeof(path), "%.*s%slibmprof-python3%d.so", (int)dir_length,
                          self.dli_fname, slash ? "/" : "", python_minor);
    if (length < 0 || (size_t)length >= sizeof(path))
        return;
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        diag_notice("Python 3.%d: no @profile support in this build (%s)", python_minor,
                    dlerror());
        return;
    }
    mprof_plugin_init_fn init = (mprof_plugin_init_fn)dlsym(handle, MPROF_PLUGIN_INIT_SYMBOL);
    python_plugin = init ? init(&core_api) : NULL;
    if (python_plugin == NULL) {
        diag_notice("Python 3.%d: the @profile plugin does not fit this interpreter",
                    python_minor);
        return;
    }
    const char *lines = getenv(MPROF_ENV_LINES);
    if (lines != NULL && strcmp(lines, "1") == 0) {
        if (python_plugin->site_charge != NULL && python_plugin->site_count != NULL &&
            python_plugin->site_peak != NULL)
            sites_enabled = 1;
        else
            diag_notice("--lines: no memory for the line table; lines are not recorded");
    }
}

/* Whether pysmall.c may serve the MEM and OBJ domains instead of pymalloc: pymalloc is
 * what is there (not malloc, not the debug hooks), the GIL guards every call (3.12's
 * subinterpreters may each have their own), and --lines, which keeps its sites in
 * pymalloc's arenas, is off. PYTHONMALLOC and -X dev are applied after we are
 * installed and replace our hooks; the entry point then counts around theirs. Any PYTHONMALLOC (pymalloc too) keeps CPython's pymalloc, so that value is
 * also the way to keep its statistics (sys.getallocatedblocks, _debugmallocstats), as
 * PYTHONMALLOCSTATS, which prints them, does. */
static int small_objects_served_here(void)
{
    if (sites_enabled || python_minor > 11 || python_api.current_allocator_name == NULL ||
        python_api.raw.malloc == NULL || python_api.raw.calloc == NULL ||
        python_api.raw.realloc == NULL || python_api.raw.free == NULL)
        return 0;
    if (getenv("PYTHONMALLOC") != NULL || getenv("PYTHONDEVMODE") != NULL ||
        getenv("PYTHONMALLOCSTATS") != NULL)
        return 0;
    const char *name = python_api.current_allocator_name();
    return name != NULL && strcmp(name, "pymalloc") == 0;
}

/* Allocate one small object through our hooks and see that its pool gives a size
 * class that can hold it (112 bytes for 100 with plain pymalloc, a class or two more
 * under the debug hooks' guards) and that its shadow says so: the layout assumptions
 * hold in this interpreter, or we do not count. */
static int pools_look_right(void)
{
    struct py_mem_allocator current;
    python_api.get_allocator(PY_DOMAIN_OBJ, &current);
    void *block = current.malloc(current.ctx, 100);
    if (block == NULL)
        return 0;
    /* No pymalloc underneath at all (PYTHONMALLOC=malloc): nothing to check, the
     * malloc hooks count every block. */
    if (arena_kind(block) != ARENA_PYMALLOC) {
        current.free(current.ctx, block);
        return 1;
    }
    uint64_t class_bytes = pool_block_bytes(block);
    int right = class_bytes >= 112 && class_bytes <= 176 && class_bytes % 16 == 0 &&
                *shadow_of(block) == class_bytes - 100;
    current.free(current.ctx, block);
    return right;
}

uint32_t python_attach(void)
{
    if (lookup_api() != 0)
        return 0;
    uint32_t flags = MPROF_HELLO_PYTHON;
    python_minor = version_minor(python_api.get_version());
    if (python_minor < 10 || python_minor > 12) {
        diag_notice("Python %.20s: pymalloc layout not known to this build; "
                    "heap counts malloc only", python_api.get_version());
        return flags;
    }
    /* The plugin decides whether arenas carry a site shadow (--lines): load it before
     * the first arena exists. */
    load_plugin();
    arena_map = mmap(NULL, ARENA_MAP_BYTES, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    arena_list = arena_pages_alloc(ARENA_LIST_MAX * sizeof(*arena_list));
    if (arena_map == MAP_FAILED || arena_list == NULL) {
        diag_notice("cannot map the pymalloc arena table; heap counts malloc only");
        return flags;
    }
    python_api.get_arena_allocator(&next_arena_allocator);
    struct py_arena_allocator ours = { .ctx = NULL, .alloc = arena_alloc, .free = arena_free };
    python_api.set_arena_allocator(&ours);
    int serve = small_objects_served_here();
    if (serve)
        pysmall_init(&python_api.raw);
    domain_install(&mem_domain, serve);
    domain_install(&obj_domain, serve);
    /* The pool layout is checked at the entry point, not here: an allocation through
     * pymalloc now would make it malloc its arena table before PYTHONMALLOC=debug puts
     * its hooks on the RAW domain, which then rejects that table's realloc. */
    __atomic_store_n(&python_watching, 1, __ATOMIC_RELEASE);
    python_counting = 1;
    return flags | MPROF_HELLO_PYMALLOC;
}

/*
 * The entry point: runs on the main thread with the GIL, before the script's first
 * lines. PYTHONMALLOC (any value) and -X dev replace our hooks during start-up; put
 * them back on top, and reconcile what we believe pymalloc holds with what its pools
 * say, so blocks allocated while we were not on top are neither lost nor counted twice.
 */
static int python_entry(void *unused)
{
    (void)unused;
    if (!domain_reaches_us(&mem_domain))
        domain_install(&mem_domain, 0);
    if (!domain_reaches_us(&obj_domain))
        domain_install(&obj_domain, 0);
    struct heap_totals totals;
    stats_sum(&totals);
    /* pysmall.c's pools are ours, of a known layout: only pymalloc's need the check. */
    int serving = mem_domain.serving || obj_domain.serving;
    if (!serving && !pools_look_right()) {
        /* The counting hooks keep no per-block state: putting the old ones back is safe.
         * What they counted goes, so the heap is malloc's alone from here on. */
        python_api.set_allocator(PY_DOMAIN_MEM, &mem_domain.next);
        python_api.set_allocator(PY_DOMAIN_OBJ, &obj_domain.next);
        stats_adjust_pymem(-totals.pymem_live_bytes);
        python_counting = 0;
        sites_enabled = 0;
        diag_notice("Python %.20s: pymalloc pools are not as expected; "
                    "heap counts malloc only", python_api.get_version());
        return 0;
    }
    int64_t actual = arenas_live_bytes();
    stats_adjust_pymem(actual - totals.pymem_live_bytes);
    if (getenv("MPROF_DEBUG") != NULL)
        diag("python entry: pymalloc believed %lld, pools hold %lld",
             (long long)totals.pymem_live_bytes, (long long)actual);
    if (python_plugin != NULL && python_plugin->entry != NULL)
        python_plugin->entry();
    return 0;
}

int python_tick(void)
{
    if (!python_counting || __atomic_load_n(&python_entry_queued, __ATOMIC_ACQUIRE))
        return 0;
    return queue_entry();
}
