/*
 * pysmall.c — CPython's small objects, served by us: a pymalloc-shaped allocator for the
 * PyMem MEM and OBJ domains, with the counting done in the same pass.
 *
 * Why not count around pymalloc, as counting.c's hooks do: a hook on top of pymalloc
 * cost about 55 instructions per call on top of pymalloc's own 31 (malloc) and 40 (free)
 * (callgrind, bench/small_objects.py): an indirect call, then finding the block's arena,
 * pool and size class again. An allocator that serves the block already knows all three.
 *
 * The shape is pymalloc's, so that a program's memory behaves under mprof as it does
 * bare: 16-byte size classes up to 512 bytes (larger requests and size 0 go to
 * PyMem_RawMalloc, where pymalloc sends them); 16 KiB pools of one class inside 1 MiB
 * arenas; a new pool comes from the arena with the fewest free pools, so that the others
 * can empty; an arena is unmapped once all its pools are free, except that one wholly
 * free arena is kept, so a loop does not map and unmap one each time round (CPython's
 * bpo-37257). Each arena sits in a slot of slots.c's: the arena, its shadow (class size
 * minus requested size, per block), then this file's record of the arena.
 *
 * How exact: to the byte, as for pymalloc's blocks. A block counts its requested size
 * when served and class - shadow when freed, which is the same number.
 *
 * The invariant: every call that reaches the lists below holds the main interpreter's
 * GIL, so they take no lock. On 3.10 and 3.11 that is every call (the MEM and OBJ
 * domains require a GIL, and there is one). From 3.12 a subinterpreter may have a GIL
 * and a pymalloc of its own, running in parallel: its calls are told apart (the thread's
 * state names its interpreter) and go to its own pymalloc, counted around by
 * counting.c's hooks. A block is freed by the interpreter that made it (CPython requires
 * that of pymalloc too), so frees need no such check: the block's slot says whose it is.
 * (attach.c hands us counting.c's hooks for those calls, as counting.c already calls
 * here for blocks of ours it meets.)
 * attach.c installs these hooks only where PYTHONMALLOC is unset and pymalloc is there.
 */
#include <stdint.h>
#include <string.h>

#include "python.h"

#define SMALL_MAX          512                 /* larger requests go to PyMem_RawMalloc */
#define CLASS_COUNT        (SMALL_MAX >> 4)
#define POOLS_PER_ARENA    ((unsigned)(ARENA_BYTES / POOL_SIZE))
#define POOL_HEADER_BYTES  48

/* At the start of every pool. `used` and `size_index` sit where pymalloc keeps its
 * count and szidx, so slots.c's pool walk reads both kinds of arena alike. */
struct small_pool {
    uint32_t used;                  /* blocks handed out */
    uint32_t unused_word;
    void *free_blocks;              /* next block to hand out, linked through their first
                                     * word; NULL exactly when the pool is full */
    struct small_pool *next;        /* its class's pools with room, or its arena's free pools */
    struct small_pool *prev;
    uint32_t unused_index;
    uint32_t size_index;            /* class = (size_index + 1) * 16 */
    uint32_t next_offset;           /* the first block never handed out */
    uint32_t max_next_offset;       /* the last offset where a whole block fits */
};
_Static_assert(offsetof(struct small_pool, size_index) == POOL_SZIDX_OFFSET, "pool layout");
_Static_assert(sizeof(struct small_pool) == POOL_HEADER_BYTES, "pool header size");

/* In the slot's record page. */
struct small_arena {
    struct small_pool *free_pools;  /* pools given back, reused first */
    uint32_t free_pool_count;       /* given back + never used */
    uint32_t fresh_pool_index;      /* the first pool never used */
    struct small_arena *next;       /* the arenas with as many free pools */
    struct small_arena *prev;
};
_Static_assert(SLOT_ARENA_RECORD + sizeof(struct small_arena) <= SLOT_RECORD_BYTES,
               "arena record size");

/* Per class, the pools with room, most recently given room first. */
static struct small_pool *pools_with_room[CLASS_COUNT];
/* Arenas with room, by their number of free pools (1..64); bit n-1 of
 * arena_buckets_used says that bucket n is not empty. Full arenas are in none. */
static struct small_arena *arenas_by_free_pools[POOLS_PER_ARENA + 1];
static uint64_t arena_buckets_used;
static struct pysmall_raw raw;

/* Whether this call is the main interpreter's, where interpreters may run in parallel:
 * the thread state's third word is its interpreter (prev, next, interp: the same from
 * 3.12 to 3.15). Before the main interpreter exists, and with no thread state, only the
 * main one can be running. */
static void *main_interpreter;

/* Until the main interpreter exists (then only it can be running), and once to find it. */
static __attribute__((noinline)) int main_interpreter_found(void *const *thread)
{
    void *main = raw.main_interpreter();
    if (main == NULL)
        return 1;
    __atomic_store_n(&main_interpreter, main, __ATOMIC_RELAXED);
    return thread[2] == main;
}

static inline int on_main_interpreter(void)
{
    if (raw.thread_state == NULL)
        return 1;
    void *const *thread = raw.thread_state();
    if (UNLIKELY(thread == NULL))
        return 1;
    void *main = __atomic_load_n(&main_interpreter, __ATOMIC_RELAXED);
    if (UNLIKELY(main == NULL))
        return main_interpreter_found(thread);
    return thread[2] == main;
}

void pysmall_init(const struct pysmall_raw *functions)
{
    raw = *functions;
}

static inline struct small_pool *pool_of(const void *block)
{
    return (struct small_pool *)((uintptr_t)block & ~(POOL_SIZE - 1));
}

static inline struct small_arena *arena_of(const void *address)
{
    return (struct small_arena *)(((uintptr_t)address & ~(SLOT_BYTES - 1)) + SLOT_RECORD_OFFSET +
                                  SLOT_ARENA_RECORD);
}

static inline uintptr_t arena_base(const struct small_arena *arena)
{
    return (uintptr_t)arena - SLOT_RECORD_OFFSET - SLOT_ARENA_RECORD;
}

/* ---- arenas ----------------------------------------------------------------------- */

static void bucket_insert(struct small_arena *arena)
{
    unsigned count = arena->free_pool_count;
    arena->prev = NULL;
    arena->next = NULL;
    if (count == 0)
        return;
    arena->next = arenas_by_free_pools[count];
    if (arena->next != NULL)
        arena->next->prev = arena;
    arenas_by_free_pools[count] = arena;
    arena_buckets_used |= (uint64_t)1 << (count - 1);
}

static void bucket_remove(struct small_arena *arena)
{
    unsigned count = arena->free_pool_count;
    if (count == 0)
        return;
    if (arena->prev != NULL) {
        arena->prev->next = arena->next;
    } else {
        arenas_by_free_pools[count] = arena->next;
        if (arena->next == NULL)
            arena_buckets_used &= ~((uint64_t)1 << (count - 1));
    }
    if (arena->next != NULL)
        arena->next->prev = arena->prev;
}

/* A pool from the arena with the fewest free pools (a new arena if none has any). */
static struct small_pool *pool_take(void)
{
    struct small_arena *arena;
    if (arena_buckets_used != 0) {
        arena = arenas_by_free_pools[__builtin_ctzll(arena_buckets_used) + 1];
    } else {
        uintptr_t base = slots_map(ARENA_OWN);
        if (base == 0)
            return NULL;
        arena = arena_of((const void *)base);
        arena->free_pools = NULL;
        arena->free_pool_count = POOLS_PER_ARENA;
        arena->fresh_pool_index = 0;
        bucket_insert(arena);
    }
    bucket_remove(arena);
    struct small_pool *pool = arena->free_pools;
    if (pool != NULL)
        arena->free_pools = pool->next;
    else
        pool = (struct small_pool *)(arena_base(arena) + arena->fresh_pool_index++ * POOL_SIZE);
    arena->free_pool_count--;
    bucket_insert(arena);
    return pool;
}

/* ---- pools ------------------------------------------------------------------------ */

static inline void class_list_push(struct small_pool *pool)
{
    struct small_pool **head = &pools_with_room[pool->size_index];
    pool->prev = NULL;
    pool->next = *head;
    if (*head != NULL)
        (*head)->prev = pool;
    *head = pool;
}

static inline void class_list_unlink(struct small_pool *pool)
{
    if (pool->prev != NULL)
        pool->prev->next = pool->next;
    else
        pools_with_room[pool->size_index] = pool->next;
    if (pool->next != NULL)
        pool->next->prev = pool->prev;
}

/* The pool's free list ran out: hand out its next fresh block, or, if none is left,
 * take the full pool off its class's list. */
static inline __attribute__((always_inline)) void pool_extend(struct small_pool *pool)
{
    if (pool->next_offset <= pool->max_next_offset) {
        void *block = (char *)pool + pool->next_offset;
        pool->next_offset += (pool->size_index + 1) << 4;
        *(void **)block = NULL;
        pool->free_blocks = block;
        return;
    }
    class_list_unlink(pool);
}

/* A new pool for `size_index`, with its first block handed out; NULL without memory. */
static __attribute__((noinline)) void *pool_start(unsigned size_index)
{
    struct small_pool *pool = pool_take();
    if (pool == NULL)
        return NULL;
    uint32_t class_bytes = (size_index + 1) << 4;
    char *first = (char *)pool + POOL_HEADER_BYTES;
    pool->used = 1;
    pool->size_index = size_index;
    pool->free_blocks = first + class_bytes;
    *(void **)pool->free_blocks = NULL;
    pool->next_offset = POOL_HEADER_BYTES + 2 * class_bytes;
    pool->max_next_offset = (uint32_t)POOL_SIZE - class_bytes;
    class_list_push(pool);
    return first;
}

/* The pool's last block came back: the pool goes back to its arena, and the arena to
 * the system once wholly free, unless it is the one wholly free arena kept. */
static __attribute__((noinline)) void pool_release(struct small_pool *pool)
{
    class_list_unlink(pool);
    struct small_arena *arena = arena_of(pool);
    bucket_remove(arena);
    pool->next = arena->free_pools;
    arena->free_pools = pool;
    arena->free_pool_count++;
    int another_free_arena = (arena_buckets_used >> (POOLS_PER_ARENA - 1)) != 0;
    if (arena->free_pool_count == POOLS_PER_ARENA && another_free_arena) {
        slots_unmap(arena_base(arena));
        return;
    }
    bucket_insert(arena);
}

/* ---- the hooks ------------------------------------------------------------------- */

/* The hooks' fast paths make no call but tail calls, so they save no registers: what
 * is rare (a new pool, a thread's first block, the shared block, the heap's high-water
 * check, a pool emptied) goes through these out-of-line paths. */

/* A block of class `size_index` from `pool` (its class's first pool with room), or from
 * a new pool when there is none; NULL when no arena can be had. */
static inline __attribute__((always_inline)) void *block_take(struct small_pool *pool,
                                                              unsigned size_index)
{
    if (pool == NULL)
        return pool_start(size_index);
    void *block = pool->free_blocks;
    pool->used++;
    void *next = *(void **)block;
    pool->free_blocks = next;
    if (UNLIKELY(next == NULL))
        pool_extend(pool);
    return block;
}

static __attribute__((noinline)) void *malloc_slow(size_t size)
{
    unsigned size_index = (unsigned)(size - 1) >> 4;
    void *block = block_take(pools_with_room[size_index], size_index);
    if (block == NULL)
        return raw.malloc(size); /* no arena to be had: pymalloc does the same */
    *shadow_of(block) = (unsigned char)(((size_index + 1) << 4) - size);
    count_pool_alloc(size);
    return block;
}

/* A small request of the main interpreter's, served. */
static inline __attribute__((always_inline)) void *malloc_served(size_t size)
{
    unsigned size_index = (unsigned)(size - 1) >> 4;
    struct small_pool *pool = pools_with_room[size_index];
    /* The counters' rare cases go to malloc_slow with the pool's. */
    struct thread_stats *stats = stats_fast_block(size);
    if (UNLIKELY(pool == NULL || stats == NULL))
        return malloc_slow(size);
    void *block = block_take(pool, size_index);
    *shadow_of(block) = (unsigned char)(((size_index + 1) << 4) - size);
    stats_fast_count_alloc(stats, &stats->pool_alloc_bytes, size);
    return block;
}

/* 3.12+: whose call it is first. Out of line, so that under one GIL the hot path keeps
 * a single branch and saves no registers for a call it never makes. */
static __attribute__((noinline)) void *malloc_asked(void *ctx, size_t size)
{
    if (!on_main_interpreter())
        return raw.other_interpreters->malloc(ctx, size);
    return malloc_served(size);
}

void *pysmall_malloc(void *ctx, size_t size)
{
    if (UNLIKELY(size - 1 >= SMALL_MAX))
        return raw.malloc(size);
    if (raw.thread_state != NULL)
        return malloc_asked(ctx, size);
    return malloc_served(size);
}

void *pysmall_calloc(void *ctx, size_t count, size_t size)
{
    if (size != 0 && count > (size_t)INT64_MAX / size)
        return NULL; /* as PyObject_Calloc: the product must fit a Py_ssize_t */
    size_t bytes = count * size;
    if (bytes - 1 >= SMALL_MAX)
        return raw.calloc(count, size);
    if (UNLIKELY(!on_main_interpreter()))
        return raw.other_interpreters->calloc(ctx, count, size);
    void *block = pysmall_malloc(ctx, bytes);
    if (block != NULL)
        memset(block, 0, bytes);
    return block;
}

void pysmall_free_own(void *block)
{
    struct small_pool *pool = pool_of(block);
    unsigned char *shadow = shadow_of(block);
    count_pool_free((((uint64_t)pool->size_index + 1) << 4) - *shadow);
    *shadow = 0;
    void *head = pool->free_blocks;
    *(void **)block = head;
    pool->free_blocks = block;
    if (UNLIKELY(head == NULL))
        class_list_push(pool); /* it was full: it has room again */
    if (UNLIKELY(--pool->used == 0))
        pool_release(pool);
}

/* A block that is not ours: PyMem_RawMalloc's (over 512 bytes), or pymalloc's (made
 * while our hooks were not on top; pymalloc is not called otherwise, so its own block
 * count, sys.getallocatedblocks(), is not disturbed by blocks it never served). */
static __attribute__((noinline)) void free_foreign(struct pymem_domain *domain, void *block,
                                                   unsigned kind)
{
    if (kind == ARENA_PYMALLOC) {
        unsigned char *shadow = shadow_of(block);
        count_pool_free(pool_block_bytes(block) - *shadow);
        *shadow = 0;
        domain->pymalloc.free(domain->pymalloc.ctx, block);
        return;
    }
    raw.free(block);
}

void pysmall_free(void *ctx, void *block)
{
    unsigned kind = arena_kind(block);
    if (UNLIKELY(kind != ARENA_OWN))
        return free_foreign(ctx, block, kind);
    struct small_pool *pool = pool_of(block);
    void *head = pool->free_blocks;
    struct thread_stats *stats = stats_fast_free_block();
    /* A full pool (head NULL) regains room, a pool's last block empties it: both rare. */
    if (UNLIKELY(head == NULL || pool->used == 1 || stats == NULL))
        return pysmall_free_own(block);
    unsigned char *shadow = shadow_of(block);
    stats_fast_count_free(&stats->pool_free_bytes,
                          (((uint64_t)pool->size_index + 1) << 4) - *shadow);
    *shadow = 0;
    *(void **)block = head;
    pool->free_blocks = block;
    pool->used--;
}

void *pysmall_realloc(void *ctx, void *block, size_t size)
{
    if (block == NULL)
        return pysmall_malloc(ctx, size);
    unsigned kind = arena_kind(block);
    if (kind == ARENA_NONE) /* PyMem_RawMalloc's: stays there, as under pymalloc */
        return raw.realloc(block, size);
    if (UNLIKELY(kind == ARENA_PYMALLOC && !on_main_interpreter()))
        return raw.other_interpreters->realloc(ctx, block, size);
    uint64_t class_bytes = pool_block_bytes(block);
    unsigned char *shadow = shadow_of(block);
    uint64_t old_bytes = class_bytes - *shadow;
    /* pymalloc's rule: shrinking by less than a quarter of the class stays in place. */
    if (kind == ARENA_OWN && size <= class_bytes && 4 * size > 3 * class_bytes) {
        count_pool_free(old_bytes);
        *shadow = (unsigned char)(class_bytes - size);
        count_pool_alloc(size);
        return block;
    }
    void *moved = pysmall_malloc(ctx, size);
    if (moved == NULL)
        return NULL;
    memcpy(moved, block, size < class_bytes ? size : class_bytes);
    pysmall_free(ctx, block);
    return moved;
}
