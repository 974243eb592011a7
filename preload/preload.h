/*
 * preload.h — what the files of libmprof.so share. Nothing here is exported: the
 * library's only public symbols are the allocator entry points (libmprof.map).
 *
 * The one invariant every file keeps: code that a malloc hook can reach never calls
 * malloc (directly or through stdio, dlsym, printf...), never takes a lock and never
 * makes a syscall on the hot path. The library's own memory comes from mmap.
 */
#ifndef MPROF_PRELOAD_H
#define MPROF_PRELOAD_H

#include <stddef.h>
#include <stdint.h>

#define MPROF_EXPORT __attribute__((visibility("default")))
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TLS_INITIAL_EXEC __attribute__((tls_model("initial-exec")))

/* ---- arena.c: the library's own memory ---------------------------------------- */

/* Memory for allocations made while the real allocator is not yet known (dlsym calls
 * calloc while we look malloc up). Never freed. Returns NULL when the arena is spent. */
void *arena_boot_alloc(size_t size);
/* Whether `pointer` was handed out by arena_boot_alloc. */
int arena_boot_contains(const void *pointer);
/* Zeroed pages straight from mmap, for the library's own long-lived tables.
 * Returns NULL on failure. */
void *arena_pages_alloc(size_t size);
void arena_pages_free(void *pages, size_t size);

/* ---- stats.c: per-thread heap counters ------------------------------------------ */

/* One block per live thread, written only by its owner (plain adds, no atomics: the
 * sampler's relaxed 64-bit loads may be a moment stale, never torn). Blocks are
 * recycled when a thread exits, keeping their sums: the totals are sums over blocks,
 * so a new owner just keeps adding. */
struct thread_stats {
    /* A block of its own per 128 bytes (two cache lines, for the adjacent-line
     * prefetcher): blocks packed side by side made two threads' counters share a line,
     * and every malloc bounced it between cores (2x on the C churn bench). */
    _Alignas(128) uint64_t malloc_alloc_bytes;  /* requested bytes of blocks served by malloc & co */
    uint64_t malloc_free_bytes;
    uint64_t pymem_alloc_bytes;   /* bytes of blocks served by pymalloc (python.c) */
    uint64_t pymem_free_bytes;
    struct thread_stats *next;    /* the registry's list; never unlinked */
    int64_t peak_countdown;       /* bytes this thread may allocate before the next
                                   * look at the whole heap's high-water mark */
    int owned;                    /* a live thread owns it (atomic) */
    int shared;                   /* several threads write it: update with atomics */
};

struct heap_totals {
    int64_t malloc_live_bytes;
    int64_t pymem_live_bytes;
};

extern __thread struct thread_stats *tls_thread_stats TLS_INITIAL_EXEC;
/* Non-zero while this thread runs library code that may allocate (the sampler, the
 * registry itself): such allocations are forwarded but not counted. */
extern __thread int tls_in_library TLS_INITIAL_EXEC;

/* The calling thread's block, registering it on first use. Never NULL: when no block
 * can be had it returns a shared block whose counts are approximate. */
struct thread_stats *stats_register_thread(void);
static inline struct thread_stats *stats_this_thread(void)
{
    struct thread_stats *stats = tls_thread_stats;
    return LIKELY(stats != NULL) ? stats : stats_register_thread();
}
/* Count a free of `amount` bytes into `bytes_counter` (one of the *_free_bytes fields)
 * of the calling thread's block. The owner's plain store is all the hot path pays; only
 * the shared block (rare) needs an atomic add. */
static inline void stats_count_free(struct thread_stats *stats, uint64_t *bytes_counter,
                                    uint64_t amount)
{
    if (LIKELY(!stats->shared))
        __atomic_store_n(bytes_counter, *bytes_counter + amount, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(bytes_counter, amount, __ATOMIC_RELAXED);
}
/* The slow path of stats_count_alloc: sum the heap and raise its high-water mark. */
void stats_peak_check(struct thread_stats *stats);
/* How many threads own a counter block now. */
int stats_thread_count(void);
/* That number itself, for a reader that polls it inline (relaxed loads only; written
 * by stats.c alone). */
extern int stats_threads_counting;
/* The highest live heap seen so far (between samples too). */
int64_t stats_heap_peak(void);

/* As stats_count_free, for an allocation; and every 256 KiB a thread allocates (at
 * once, for a large block) the whole heap is summed, so that a peak shorter than the
 * sampling interval is still seen. The hot path pays one subtraction and a branch. */
static inline void stats_count_alloc(struct thread_stats *stats, uint64_t *bytes_counter,
                                     uint64_t amount)
{
    if (LIKELY(!stats->shared)) {
        __atomic_store_n(bytes_counter, *bytes_counter + amount, __ATOMIC_RELAXED);
        stats->peak_countdown -= (int64_t)amount;
        if (UNLIKELY(stats->peak_countdown < 0))
            stats_peak_check(stats);
    } else {
        __atomic_fetch_add(bytes_counter, amount, __ATOMIC_RELAXED);
    }
}
/* In a fork child: forget a registry lock that a vanished thread may have held. */
void stats_atfork_child(void);
/* Prepare thread-exit recycling (pthread key). Called once from the constructor. */
int stats_init(void);
/* Sum every block. Safe from any thread, at any time. */
void stats_sum(struct heap_totals *totals);
/* The heap bytes that the PyMem layer learnt it had missed (python.c), added to sums. */
void stats_adjust_pymem(int64_t bytes);

/* ---- hooks.c: the malloc family ------------------------------------------------- */

/* Resolve the next allocator's entry points (idempotent). 0 on success. */
int hooks_resolve(void);

/* ---- writer.c: records to the CLI ---------------------------------------------- */

/* Adopt `fd` (the pipe from MPROF_FD) if it is a pipe. 0 on success, -1 otherwise. */
int writer_open(int fd);
/* Send one record in one write(2); SIGPIPE never kills the program. 0, or -1 when the
 * pipe is gone (the writer then stays closed). */
int writer_send(const void *record, size_t size);
int writer_is_open(void);
/* Forget the pipe (a quiet child, or after the CLI went away). */
void writer_close(void);

/* ---- sampler.c: the sampling thread -------------------------------------------- */

int sampler_start(uint64_t interval_ns);
/* Send one sample now (from any thread). */
void sampler_sample_now(void);
/* Stop the thread (it may be mid-sleep; it exits at its next wake-up). */
void sampler_stop(void);

/* ---- python.c and pysmall.c: CPython's small objects ------------------------------ */

/* Stable ABI layout (Include/cpython/pymem.h). */
struct py_mem_allocator {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t count, size_t size);
    void *(*realloc)(void *ctx, void *block, size_t size);
    void (*free)(void *ctx, void *block);
};
/* The ctx of our PyMem hooks: one per domain (MEM, OBJ). */
struct pymem_domain {
    int domain;
    struct py_mem_allocator next;      /* the allocator the counting hooks wrap */
    struct py_mem_allocator pymalloc;  /* CPython's, as found when pysmall.c took over:
                                        * where blocks of pymalloc's arenas go back */
    int serving;                       /* pysmall.c's hooks are installed (python.c) */
};

/* Small-object arenas live in 2 MiB slots of their own: the 1 MiB arena, then a shadow
 * of one byte per 16-byte granule (how far the block's size class exceeds what was
 * requested), then a page for pysmall.c's arena record, then (--lines) a site id per
 * granule. A map with one byte per slot of the address space says what a slot holds. */
#define ARENA_BYTES        ((uintptr_t)1 << 20)
#define SLOT_BITS          21
#define SLOT_BYTES         ((uintptr_t)1 << SLOT_BITS)
#define SHADOW_BYTES       (ARENA_BYTES >> 4)
#define SLOT_RECORD_OFFSET (ARENA_BYTES + SHADOW_BYTES)
#define SLOT_RECORD_BYTES  4096
#define SLOT_ARENA_RECORD  64   /* in the record page: python.c's word, then pysmall.c's */
#define POOL_BITS          14                  /* pools: 16 KiB, pymalloc's and ours */
#define POOL_SIZE          ((uintptr_t)1 << POOL_BITS)
#define POOL_SZIDX_OFFSET  36                  /* the pool's size class: (index + 1) * 16 */
#define ADDRESS_BITS       47
enum arena_kind { ARENA_NONE = 0, ARENA_PYMALLOC = 1, ARENA_OWN = 2 };

/* One byte per slot: 64 MiB of address space reserved (MAP_NORESERVE), of which only
 * the pages that cover our arenas are ever written; a lookup elsewhere reads the shared
 * zero page. A byte, not a bit, because every PyMem call asks it. */
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

static inline void count_pymem_alloc(uint64_t bytes)
{
    struct thread_stats *stats = stats_this_thread();
    stats_count_alloc(stats, &stats->pymem_alloc_bytes, bytes);
}

static inline void count_pymem_free(uint64_t bytes)
{
    struct thread_stats *stats = stats_this_thread();
    stats_count_free(stats, &stats->pymem_free_bytes, bytes);
}

/* Map a slot (arena, shadow, record; zeroed) and mark it `kind`. Returns its address,
 * or 0 when the system or our arena table is out of room. GIL held. */
uintptr_t python_slot_map(unsigned char kind);
/* Unmark and unmap a slot from python_slot_map. GIL held. */
void python_slot_unmap(uintptr_t base);

/* pysmall.c: the PyMem MEM and OBJ domains served by us instead of pymalloc, with the
 * counting done in the same pass (see its header comment for why). The hooks take a
 * struct pymem_domain whose `next` is pymalloc: blocks that are not ours go there.
 * pysmall_init gives the PyMem_Raw* functions, where requests over 512 bytes go, as
 * pymalloc sends them. */
struct pysmall_raw {
    void *(*malloc)(size_t size);
    void *(*calloc)(size_t count, size_t size);
    void *(*realloc)(void *block, size_t size);
    void (*free)(void *block);
};
void pysmall_init(const struct pysmall_raw *raw);
void *pysmall_malloc(void *ctx, size_t size);
void *pysmall_calloc(void *ctx, size_t count, size_t size);
void *pysmall_realloc(void *ctx, void *block, size_t size);
void pysmall_free(void *ctx, void *block);
/* Give back a block of one of our own arenas (uncounting it): for hooks that find one. */
void pysmall_free_own(void *block);

/* ---- python.c: inside CPython ---------------------------------------------------- */

/* Find CPython in this process and hook pymalloc. Returns MPROF_HELLO_* flags. */
uint32_t python_attach(void);
/* Set while the interpreter is starting: the malloc hooks call python_watch_tick(),
 * which queues the entry point from the first allocation after Py_IsInitialized(), so
 * it runs before the script's first line. */
extern int python_watching;
void python_watch_tick(void);
/* The heap reached a new high: with --lines, keep every line's share of it. */
void python_heap_peak(int64_t heap_bytes);
/* The sampler's heap figure (with --lines, a sample at the high-water mark is kept). */
void python_heap_sampled(int64_t heap_bytes);
/* The process ends through _exit: let the plugin send its tables. */
void python_flush_at_exit(void);
/* In a fork child (from init.c's atfork handler): let the plugin start its tables anew. */
void python_fork_child(void);
/* Called by the sampler: queue the entry point once the interpreter runs. Returns 1
 * while it is still waiting for the interpreter (poll again soon), else 0. */
int python_tick(void);

/* ---- diag.c ---------------------------------------------------------------------- */

/* Format into a stack buffer and write(2) to stderr as "mprof: ...": never mallocs. */
void diag(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* The same text as a NOTICE record when the pipe is open, else on stderr. */
void diag_notice(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* ---- init.c ---------------------------------------------------------------------- */

uint64_t clock_realtime_ns(void);

#endif
