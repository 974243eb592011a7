/*
 * core.h — the counting core of libmprof.so: the malloc family interposed (hooks.c), the
 * per-thread heap counters (stats.c) and the library's own memory (arena.c).
 *
 * The rule that binds every line in core/: this code runs inside any malloc or free of
 * the program, on any thread, at any moment (during dlsym, inside a signal handler's
 * malloc, between fork and exec). So it never calls malloc (directly or through stdio,
 * dlsym or printf), never takes a lock, and makes no system call on the hot path: only
 * its rare paths map pages (arena.c) or print the one fatal message. It knows nothing of
 * Python or of the pipe: the layers above register what they need (a watch function, a
 * peak listener) and are never called by name. Below it is only wire/ (the fatal
 * message).
 *
 * Nothing here is exported: the library's only public symbols are the allocator entry
 * points (libmprof.map).
 */
#ifndef MPROF_CORE_H
#define MPROF_CORE_H

#include <stddef.h>
#include <stdint.h>

/* Everything declared here lives inside libmprof.so: hidden, so that a variable of another
 * file is reached directly (arena_map on every PyMem call) rather than through the GOT,
 * and a call without the PLT. (-fvisibility=hidden covers definitions only.) */
#pragma GCC visibility push(hidden)

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
 * so a new owner just keeps adding.
 *
 * Two pairs of counters, so that each byte is counted once, by the layer that serves
 * it: malloc_* for blocks of the malloc family (hooks.c), pool_* for blocks that an
 * allocator layered above malloc carves from its own pools (the layer above counts
 * those: CPython's small objects). */
struct thread_stats {
    /* A block of its own per 128 bytes (two cache lines, for the adjacent-line
     * prefetcher): blocks packed side by side made two threads' counters share a line,
     * and every malloc bounced it between cores (2x on the C churn bench). */
    _Alignas(128) uint64_t malloc_alloc_bytes;  /* requested bytes of blocks served by malloc & co */
    uint64_t malloc_free_bytes;
    uint64_t pool_alloc_bytes;    /* requested bytes of blocks served from a layer's pools */
    uint64_t pool_free_bytes;
    struct thread_stats *next;    /* the registry's list; never unlinked */
    int64_t peak_countdown;       /* bytes this thread may allocate before the next
                                   * look at the whole heap's high-water mark. The owner
                                   * updates it with plain stores (one instruction on the
                                   * hot path); stats_window_begin zeroes it from another
                                   * thread, and an owner's store racing that may undo it
                                   * once: the window then sees this thread one countdown
                                   * (256 KiB) late, as its contract says. */
    int owned;                    /* a live thread owns it (atomic) */
    int shared;                   /* several threads write it: update with atomics */
};

struct heap_totals {
    int64_t malloc_live_bytes;
    int64_t pool_live_bytes;
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

/* The slow path of stats_count_alloc: sum the heap and raise its high-water mark. */
void stats_peak_check(struct thread_stats *stats);

/* The calling thread's own block when an allocation of `amount` bytes may be counted
 * with plain stores and nothing else (registered, not the shared block, not due a look
 * at the high-water mark), else NULL: then count through stats_count_alloc. For
 * allocators whose fast path makes no call (python/pysmall.c). */
static inline struct thread_stats *stats_fast_block(uint64_t amount)
{
    struct thread_stats *stats = tls_thread_stats;
    if (UNLIKELY(stats == NULL || stats->shared || stats->peak_countdown < (int64_t)amount))
        return NULL;
    return stats;
}

/* Add `amount` to a counter that only the calling thread writes (others read it) in
 * one instruction: a signal handler that allocates, and counts into the same counter,
 * cannot run between a load and its store and have its count overwritten. Not locked:
 * no other thread writes it; an aligned 8-byte store is read whole. Where one plain
 * instruction cannot do it, an atomic add (correct, dearer). */
static inline void counter_add_own(uint64_t *counter, uint64_t amount)
{
#if defined(__x86_64__)
    __asm__ volatile("addq %1, %0" : "+m"(*counter) : "er"(amount) : "cc");
#else
    __atomic_fetch_add(counter, amount, __ATOMIC_RELAXED);
#endif
}

/* Add `amount` to `bytes_counter` of a block from stats_fast_block (the sampler reads
 * the counter from its own thread). */
static inline void stats_fast_count_alloc(struct thread_stats *stats, uint64_t *bytes_counter,
                                          uint64_t amount)
{
    counter_add_own(bytes_counter, amount);
    stats->peak_countdown -= (int64_t)amount;
}

/* As stats_fast_block, for a free: the calling thread's own block, or NULL when the
 * free must be counted through stats_count_free. */
static inline struct thread_stats *stats_fast_free_block(void)
{
    struct thread_stats *stats = tls_thread_stats;
    if (UNLIKELY(stats == NULL || stats->shared))
        return NULL;
    return stats;
}

/* Add `amount` to `bytes_counter` (a *_free_bytes field) of a block from
 * stats_fast_free_block. */
static inline void stats_fast_count_free(uint64_t *bytes_counter, uint64_t amount)
{
    counter_add_own(bytes_counter, amount);
}

/* Count a free of `amount` bytes into `bytes_counter` (one of the *_free_bytes fields)
 * of the calling thread's block. The owner's plain store is all the hot path pays; only
 * the shared block (rare) needs an atomic add. */
static inline void stats_count_free(struct thread_stats *stats, uint64_t *bytes_counter,
                                    uint64_t amount)
{
    if (LIKELY(!stats->shared))
        stats_fast_count_free(bytes_counter, amount);
    else
        __atomic_fetch_add(bytes_counter, amount, __ATOMIC_RELAXED);
}

/* As stats_count_free, for an allocation; and every 256 KiB a thread allocates (at
 * once, for a large block) the whole heap is summed, so that a peak shorter than the
 * sampling interval is still seen. The hot path pays one subtraction and a branch. */
static inline void stats_count_alloc(struct thread_stats *stats, uint64_t *bytes_counter,
                                     uint64_t amount)
{
    if (LIKELY(!stats->shared)) {
        stats_fast_count_alloc(stats, bytes_counter, amount);
        if (UNLIKELY(stats->peak_countdown < 0))
            stats_peak_check(stats);
    } else {
        __atomic_fetch_add(bytes_counter, amount, __ATOMIC_RELAXED);
    }
}

/* How many threads own a counter block now. */
int stats_thread_count(void);
/* That number itself, for a reader that polls it inline (relaxed loads only; written
 * by stats.c alone). */
extern int stats_threads_counting;
/* The highest live heap seen so far (between samples too). */
int64_t stats_heap_peak(void);
/* An exact peak window, for the program's own questions ("how high did the heap go during
 * this test?"): from stats_window_begin until stats_window_pause every allocation of
 * every thread takes the slow path and raises the window's peak, so it is exact (a
 * thread allocating at the very moment of the begin may be seen up to 256 KiB late).
 * That costs a sum of the blocks per allocation, so it is off unless asked. Begin
 * returns the live heap then, which starts the window's peak; pause returns the peak. */
int64_t stats_window_begin(void);
int64_t stats_window_pause(void);
/* The window's peak: the highest live heap since the last begin (kept after a pause);
 * before any begin, the run's high-water mark (stats_heap_peak). */
int64_t stats_window_peak(void);
/* The live heap now, as the program is told it: the marks are raised to it, so that no
 * peak read later is below a live figure the program has already seen (the run's mark
 * is otherwise taken only every 256 KiB a thread allocates). */
int64_t stats_heap_live_seen(void);
/* Who hears of each new high-water mark, with the heap's size then (NULL: nobody).
 * Called on the allocating thread, inside its malloc: it must keep core/'s rule. */
typedef void (*stats_peak_listener)(int64_t heap_bytes);
void stats_set_peak_listener(stats_peak_listener listener);
/* In a fork child: forget a registry lock that a vanished thread may have held. */
void stats_atfork_child(void);
/* Prepare thread-exit recycling (pthread key). Called once from the constructor. */
int stats_init(void);
/* Sum every block. Safe from any thread, at any time. */
void stats_sum(struct heap_totals *totals);
/* The live heap now: stats_sum's two figures added. */
int64_t stats_heap_live(void);
/* Pool bytes that a layer learnt it had missed (or counted twice), added to sums. */
void stats_adjust_pool(int64_t bytes);

/* ---- hooks.c: the malloc family ------------------------------------------------- */

/* Resolve the next allocator's entry points (idempotent). 0 on success. */
int hooks_resolve(void);
/* While a watch function is set, every malloc call makes it (on the malloc slow path,
 * so a plain run pays one test of a pointer it reads anyway): the Python layer waits
 * this way for the interpreter to be ready. NULL stops it. The function runs inside
 * malloc, with core/'s rule. */
typedef void (*hooks_watch_function)(void);
void hooks_set_watch(hooks_watch_function watch);
/* A layer above that wants to hear of counted blocks: `allocated` is told of each new
 * one (its user pointer and requested size) and returns nonzero to take it; a block it
 * took is reported once to `freed` when it goes (freed, or moved by realloc: the moved
 * block is a new one). Both run inside the malloc family, with core/'s rule, on any
 * thread. While set, every allocation takes the slow path; NULL stops it (blocks taken
 * before are then forgotten). The listener must stay valid for the process's life. */
struct hooks_block_listener {
    int (*allocated)(void *user, uint64_t bytes);
    void (*freed)(void *user, uint64_t bytes);
};
void hooks_set_block_listener(const struct hooks_block_listener *listener);

#pragma GCC visibility pop

#endif
