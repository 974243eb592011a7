/*
 * python.h — the CPython layer of libmprof.so: counting the objects that never reach
 * malloc, and the link to the per-version plugin that makes @profile tables.
 *
 * The rule that binds every line in python/: it runs inside CPython, and every call into
 * it from the interpreter holds a GIL (the PyMem MEM and OBJ domains require it, and
 * pymalloc relies on it the same way). Under one GIL (3.10, 3.11) its tables need no
 * lock; from 3.12 a subinterpreter may have a GIL and a pymalloc of its own, so what all
 * interpreters share (the slot list, the --lines tables) takes a lock, per-block state
 * (pool headers, shadows) needs none, and our own allocator (pysmall.c) serves the
 * main interpreter alone; a free-threaded build gets no hooks of ours at all (attach.c).
 * The few entries that run without the GIL say so (the sampler's python_tick and
 * lines_heap_sampled, the peak listener, the fork and _exit paths) and touch only atomics
 * there, or CPython's calls that any thread may make, or state no other thread can be
 * using then (a fork child). Like core/, it never calls malloc: its memory comes from
 * mmap. It links against no libpython: the API is
 * looked up with dlsym, and the structs used are the stable ABI's. It calls core/ and
 * wire/, and is called by lifecycle/ alone; the core reaches it only through what it
 * registered there (a watch function, a peak listener).
 *
 * Files: attach.c (finding CPython, installing the hooks, the entry point), slots.c (the
 * 2 MiB slots that hold every small-object arena), counting.c (hooks that count around
 * pymalloc), pysmall.c (our own allocator, serving small objects), lines.c (--lines: each
 * block charged to a source line), foreign.c (counting around mimalloc), plugin_load.c
 * (loading the per-version plugin), fallback.c (the builtin `profile` where no plugin
 * is).
 */
#ifndef MPROF_PYTHON_H
#define MPROF_PYTHON_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "plugin_api.h"

/* Hidden, as everything of the library's (core.h says why). */
#pragma GCC visibility push(hidden)

/* ---- CPython's stable ABI ------------------------------------------------------------ */

/* Include/cpython/pymem.h */
struct py_mem_allocator {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t count, size_t size);
    void *(*realloc)(void *ctx, void *block, size_t size);
    void (*free)(void *ctx, void *block);
};
/* Include/cpython/objimpl.h */
struct py_arena_allocator {
    void *ctx;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *arena, size_t size);
};
enum { PY_DOMAIN_RAW = 0, PY_DOMAIN_MEM = 1, PY_DOMAIN_OBJ = 2 };

/* The ctx of our PyMem hooks: one per domain (MEM, OBJ). */
struct pymem_domain {
    int domain;
    struct py_mem_allocator next;      /* the allocator the counting hooks wrap */
    struct py_mem_allocator pymalloc;  /* CPython's, as found when pysmall.c took over:
                                        * where blocks of pymalloc's arenas go back */
    int serving;                       /* pysmall.c's hooks are installed */
};

/* ---- slots.c: where small-object arenas live -------------------------------------------- */

/* Small-object arenas live in 2 MiB slots of their own: the 1 MiB arena, then a shadow
 * of one byte per 16-byte granule (how far the block's size class exceeds what was
 * requested), then a page for the arena's record, then (--lines) a site id per
 * granule. A map with one byte per slot of the address space says what a slot holds. */
#define ARENA_BYTES        ((uintptr_t)1 << 20)
#define SLOT_BITS          21
#define SLOT_BYTES         ((uintptr_t)1 << SLOT_BITS)
#define SHADOW_BYTES       (ARENA_BYTES >> 4)
#define SLOT_RECORD_OFFSET (ARENA_BYTES + SHADOW_BYTES)
#define SLOT_RECORD_BYTES  4096
#define SLOT_ARENA_RECORD  64   /* in the record page: slots.c's word, then pysmall.c's */
#define SITE_SHADOW_OFFSET (SLOT_RECORD_OFFSET + SLOT_RECORD_BYTES)
#define SITE_SHADOW_BYTES  (ARENA_BYTES >> 2)   /* --lines: a 32-bit site id per granule */
#define POOL_BITS          14                  /* pools: 16 KiB, pymalloc's and ours */
#define POOL_SIZE          ((uintptr_t)1 << POOL_BITS)
#define POOL_COUNT_OFFSET  0                   /* the pool's used-block count */
#define POOL_SZIDX_OFFSET  36                  /* the pool's size class: (index + 1) * 16 */
#define ADDRESS_BITS       47
enum arena_kind { ARENA_NONE = 0, ARENA_PYMALLOC = 1, ARENA_OWN = 2 };

/* One byte per slot: 64 MiB of address space reserved (MAP_NORESERVE), of which only
 * the pages that cover our arenas are ever written; a lookup elsewhere reads the shared
 * zero page. A byte, not a bit, because every PyMem call asks it. NULL until
 * slots_init. */
extern unsigned char *arena_map;

/* What kind of arena `block` lies in (ARENA_NONE for any other address, NULL too). */
static inline unsigned arena_kind(const void *block)
{
    uintptr_t slot = (uintptr_t)block >> SLOT_BITS;
    if (slot >= ((uintptr_t)1 << (ADDRESS_BITS - SLOT_BITS)))
        return ARENA_NONE;
    return __atomic_load_n(&arena_map[slot], __ATOMIC_RELAXED);
}

/* The shadow byte of a block in one of our arenas. */
static inline unsigned char *shadow_of(const void *block)
{
    uintptr_t address = (uintptr_t)block;
    uintptr_t slot = address & ~(SLOT_BYTES - 1);
    return (unsigned char *)(slot + ARENA_BYTES + ((address & (ARENA_BYTES - 1)) >> 4));
}

/* The size class of a block in one of our arenas: its pool header says. */
static inline uint64_t pool_block_bytes(const void *block)
{
    const unsigned char *pool = (const unsigned char *)((uintptr_t)block & ~(POOL_SIZE - 1));
    uint32_t size_index;
    __builtin_memcpy(&size_index, pool + POOL_SZIDX_OFFSET, sizeof(size_index));
    return ((uint64_t)size_index + 1) << 4;
}

/* Reserve the slot map and the arena list; with `site_shadows` (--lines) every slot also
 * maps a site id per granule. 0, or -1 when the system has no room. */
int slots_init(int site_shadows);
/* Map a slot (arena, shadow, record; zeroed) and mark it `kind`. Returns its address,
 * or 0 when the system or our arena table is out of room. */
uintptr_t slots_map(unsigned char kind);
/* Unmark and unmap a slot from slots_map. */
void slots_unmap(uintptr_t base);
/* Give pymalloc its arenas from our slots (ARENA_PYMALLOC), in front of `next`, which
 * keeps any request that is not one whole arena. */
void slots_arena_allocator(const struct py_arena_allocator *next,
                           struct py_arena_allocator *ours);
/* Bytes counted for pymalloc blocks right now, from the pools and shadows themselves:
 * per pool, used blocks times the class, less the live blocks' shadows. */
int64_t slots_pool_live_bytes(void);
/* In a fork child: the slot list's lock is free (its holder may not have survived). */
void slots_fork_child(void);

/* ---- the layer's one lock: a spin lock, for what parallel interpreters share --------- */

/* Held for a few stores or one table operation, never across a system call; spinning
 * reads (with the CPU's pause) until it looks free before trying again. */
static inline void spin_take(int *lock)
{
    while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(lock, __ATOMIC_RELAXED))
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#else
            ;
#endif
}

static inline void spin_give(int *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* ---- counting a block of one of our arenas --------------------------------------------- */

static inline void count_pool_alloc(uint64_t bytes)
{
    struct thread_stats *stats = stats_this_thread();
    stats_count_alloc(stats, &stats->pool_alloc_bytes, bytes);
}

static inline void count_pool_free(uint64_t bytes)
{
    struct thread_stats *stats = stats_this_thread();
    stats_count_free(stats, &stats->pool_free_bytes, bytes);
}

/* A new pymalloc block of `requested` bytes: remember its slack in the shadow and
 * return the bytes to count (requested, unless the slack does not fit a byte). */
static inline uint64_t pymalloc_block_allocated(void *block, size_t requested)
{
    uint64_t class_bytes = pool_block_bytes(block);
    uint64_t slack = class_bytes > requested ? class_bytes - requested : 0;
    if (slack > 255) /* only below debug hooks: count what the shadow can hold */
        slack = 255;
    *shadow_of(block) = (unsigned char)slack;
    return class_bytes - slack;
}

/* The bytes counted for a pymalloc block about to be freed; clears its shadow. */
static inline uint64_t pymalloc_block_freed(void *block)
{
    unsigned char *shadow = shadow_of(block);
    uint64_t counted = pool_block_bytes(block) - *shadow;
    *shadow = 0;
    return counted;
}

/* ---- counting.c: hooks that count around pymalloc ------------------------------------- */

/* The counting hooks, their ctx a struct pymem_domain (whose `next` they call), unset
 * here: the installer copies them and sets it. */
extern const struct py_mem_allocator counting_allocator;
/* The old block's state before a realloc through the counting hooks, and after it. */
struct counting_realloc_result {
    void *block;            /* the new block, NULL when the realloc failed */
    uint64_t old_bytes;     /* counted for the old block (0: not in a pymalloc arena) */
    uint64_t new_bytes;     /* counted for the new one (0: not in a pymalloc arena) */
    int old_in_arena, new_in_arena;
};
/* realloc through `domain->next`, counting both blocks (lines.c adds their sites). */
void counting_realloc(struct pymem_domain *domain, void *block, size_t size,
                      struct counting_realloc_result *result);

/* ---- pysmall.c: small objects served by us ------------------------------------------- */

/* The PyMem MEM and OBJ domains served by us instead of pymalloc, with the counting done
 * in the same pass (see its header comment for why). The hooks take a struct
 * pymem_domain whose `pymalloc` is CPython's: blocks of its arenas go back there.
 * pysmall_init gives the PyMem_Raw* functions, where requests over 512 bytes go, as
 * pymalloc sends them; and, where interpreters may run in parallel (3.12+), how to tell
 * the main one: then only the main interpreter's calls are served, the others' go to
 * their own pymalloc through counting.c's hooks. */
struct pysmall_raw {
    void *(*malloc)(size_t size);
    void *(*calloc)(size_t count, size_t size);
    void *(*realloc)(void *block, size_t size);
    void (*free)(void *block);
    /* NULL under one GIL; else PyThreadState_GetUnchecked and PyInterpreterState_Main,
     * and the hooks the other interpreters' calls go to (ctx: the same domain). */
    void *(*thread_state)(void);
    void *(*main_interpreter)(void);
    const struct py_mem_allocator *other_interpreters;
};
void pysmall_init(const struct pysmall_raw *raw);
void *pysmall_malloc(void *ctx, size_t size);
void *pysmall_calloc(void *ctx, size_t count, size_t size);
void *pysmall_realloc(void *ctx, void *block, size_t size);
void pysmall_free(void *ctx, void *block);
/* Give back a block of one of our own arenas (uncounting it): for hooks that find one. */
void pysmall_free_own(void *block);

/* ---- lines.c: mprof run --lines ------------------------------------------------------- */

/* Charge every PyMem block to its source line through `plugin` (which must offer the
 * site functions); with `parallel_interpreters` (3.12+), under a lock, as interpreters
 * with a GIL each may allocate at once. 0, or -1 when it cannot (then lines stay off). */
int lines_enable(const struct mprof_plugin *plugin, int parallel_interpreters);
/* Stop charging (the entry point found pymalloc's layout unexpected). */
void lines_disable(void);
/* In a fork child: the lines' lock is free (its holder may not have survived). */
void lines_fork_child(void);
/* Whether blocks are being charged to lines. */
int lines_enabled(void);
/* The counting hooks that also charge lines; ctx as counting_allocator's. */
extern const struct py_mem_allocator lines_allocator;
/* The sampler's heap figure (a sample at the high-water mark keeps every line's share).
 * Sampler thread, no GIL. */
void lines_heap_sampled(int64_t heap_bytes);

/* ---- plugin_load.c: the per-version plugin ------------------------------------------ */

/* Load libmprof-python3<minor>.so from beside this library: the plugin, or NULL (after a
 * notice naming `version`, "3.14.1") when there is none for this version or it does not
 * fit. */
const struct mprof_plugin *plugin_load(int python_minor, const char *version);
/* The program's own code has finished: send the heap it left (an ENDING record; the CLI
 * keeps the first an image sends). From the plugin at Python's atexit, and from
 * lifecycle/ at exit and _exit. Any thread; never allocates. */
void ending_send(void);

/* ---- foreign.c: counting around mimalloc ------------------------------------------- */

/* Hooks that count around an allocator whose block sizes cannot be read, keeping each
 * block's size in a header of its own (ctx as counting_allocator's; any domain, GIL or
 * not). foreign_init first, once. */
extern const struct py_mem_allocator foreign_allocator;
void foreign_init(void);

/* ---- fallback.c: where no plugin is ------------------------------------------------ */

/* Define builtins.profile as memory_profiler's signature over the function itself, unless
 * something defined it already. At the entry point (main thread, GIL held); a notice
 * when it cannot. */
void fallback_install_profile(void);

/* ---- attach.c: what lifecycle/ calls ------------------------------------------------ */

/* Find CPython in this process and hook pymalloc. Returns MPROF_HELLO_* flags. */
uint32_t python_attach(void);
/* Called by the sampler (no GIL): queue the entry point once the interpreter runs.
 * Returns 1 while it is still waiting for the interpreter (poll again soon), else 0. */
int python_tick(void);
/* The process ends through _exit: let the plugin send its tables (no GIL). */
void python_flush_at_exit(void);
/* In a fork child (from the atfork handler): let the plugin start its tables anew. */
void python_fork_child(void);

#pragma GCC visibility pop

#endif
