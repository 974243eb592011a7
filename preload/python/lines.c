/*
 * lines.c — mprof run --lines: every PyMem block charged to the source line that made it.
 *
 * The plugin keeps the per-line table (site ids, each line's live bytes); this file tells
 * it of every block, once when allocated and once when freed, and remembers each block's
 * site: blocks in our slots keep it in the slot's site shadow (a 32-bit id per 16-byte
 * granule), larger blocks (served by malloc) in a table keyed by address. It also keeps
 * every line's share of the heap at its high-water mark, for `mprof report --top`.
 *
 * The malloc family's own blocks are charged too, when the thread that makes one holds
 * the GIL outside our PyMem hooks: memory a C extension allocates belongs to the line
 * that called it. The core tells us of each (a block listener); their sites live in a
 * table of their own, under a lock, since any thread may free one.
 */
#include <stdint.h>

#include "../core/table.h"
#include "python.h"

static const struct mprof_plugin *lines_plugin;  /* NULL while lines are off */

/* Where interpreters may run in parallel (3.12+: subinterpreters with a GIL of their
 * own), the sites' table, the plugin's and large_blocks are shared by them: one lock
 * guards them. The plugin may allocate while charging (a new site's name), which comes
 * back here on the same thread: the lock counts its depth per thread. Under one GIL it
 * is never taken. */
static int lines_parallel;
static int lines_lock;
static __thread int tls_lines_lock_depth TLS_INITIAL_EXEC;

/* The depth is kept under one GIL too: a signal handler's malloc that finds this
 * thread inside the sites' updates leaves its block on no line rather than update
 * them halfway through another update. */
static inline void lines_take(void)
{
    if (tls_lines_lock_depth++ > 0 || !lines_parallel)
        return;
    spin_take(&lines_lock);
}

static inline void lines_give(void)
{
    if (--tls_lines_lock_depth == 0 && lines_parallel)
        spin_give(&lines_lock);
}
static int64_t sites_peak_heap;      /* atomic (the sampler and the GIL holder both keep
                                      * it): the heap when lines' bytes were last kept */
static int64_t sites_peak_pending;   /* atomic: a new high to keep, or 0 */

/* Blocks of the PyMem domains that malloc served (over 512 bytes) have no shadow: their
 * size and site live here, keyed by address (from lines_enable on). */
#define LARGE_BLOCKS_FIRST_CAPACITY (1u << 16)
static struct table large_blocks;

/* The malloc family's blocks charged to a line: address -> (bytes, site). Any thread
 * may free one, with or without the GIL: native_lock guards the table, and a thread
 * that holds it already (a signal handler's malloc inside our few stores) leaves its
 * block on no line rather than wait for itself. */
#define NATIVE_BLOCKS_FIRST_CAPACITY (1u << 12)
static struct table native_blocks;
static int native_lock;
static __thread int tls_native_lock_held TLS_INITIAL_EXEC;
/* Inside our PyMem hooks: the malloc underneath (pymalloc's large blocks) is the
 * PyMem block the hook charges, not another. */
static __thread int tls_in_pymem_hook TLS_INITIAL_EXEC;

static int native_take(void)
{
    if (tls_native_lock_held)
        return -1;
    tls_native_lock_held = 1;
    spin_take(&native_lock);
    return 0;
}

static void native_give(void)
{
    spin_give(&native_lock);
    tls_native_lock_held = 0;
}

static inline uint32_t *site_shadow_of(const void *block)
{
    uintptr_t address = (uintptr_t)block;
    uintptr_t slot = address & ~(SLOT_BYTES - 1);
    return (uint32_t *)(slot + SITE_SHADOW_OFFSET + ((address & (ARENA_BYTES - 1)) >> 4) * 4);
}

/* Out of line, both: blocks over 512 bytes are the rare ones, and the hooks' paths for
 * small objects should not carry the table's code. */
static __attribute__((noinline)) int large_block_put(uintptr_t address, uint64_t bytes,
                                                     uint32_t site)
{
    struct table_key key = { { address, 0 } };
    struct table_value value = { { (uintptr_t)bytes, site } };
    return table_insert(&large_blocks, key, value);
}

/* Remove `address`: 0 with its size and site, or -1 when it was never recorded. */
static __attribute__((noinline)) int large_block_take(uintptr_t address, uint64_t *bytes,
                                                      uint32_t *site)
{
    struct table_key key = { { address, 0 } };
    struct table_value value;
    if (table_take(&large_blocks, key, &value) != 0)
        return -1;
    *bytes = value.word[0];
    *site = (uint32_t)value.word[1];
    return 0;
}

/* A peak found inside the allocation just charged (by the malloc hook, before the
 * block was charged) is kept now, with the block in it. */
static inline void keep_pending_peak(void)
{
    int64_t pending = __atomic_exchange_n(&sites_peak_pending, 0, __ATOMIC_RELAXED);
    if (UNLIKELY(pending != 0)) {
        int64_t heap = pending > stats_heap_peak() ? pending : stats_heap_peak();
        __atomic_store_n(&sites_peak_heap, heap, __ATOMIC_RELAXED);
        lines_plugin->site_peak(heap);
    }
}

/* A PyMem block was allocated: charge it to the running line (lines_take held). */
static void site_allocated_locked(void *block, uint64_t bytes, int in_arena)
{
    uint32_t site = lines_plugin->site_charge((int64_t)bytes);
    if (in_arena) {
        *site_shadow_of(block) = site;
    } else if (large_block_put((uintptr_t)block, bytes, site) != 0) {
        /* No room to remember it: leave it out on both sides. */
        lines_plugin->site_count(site, -(int64_t)bytes);
        return;
    }
    keep_pending_peak();
}

static void site_allocated(void *block, uint64_t bytes, int in_arena)
{
    lines_take();
    site_allocated_locked(block, bytes, in_arena);
    lines_give();
}

/* A PyMem block is about to be freed. `bytes` is its counted size when in an arena. */
static void site_freed(void *block, uint64_t bytes, int in_arena)
{
    uint32_t site = 0;
    lines_take();
    /* A large block not in the table was allocated before --lines tracking began, or
     * left out: it was never charged. */
    int charged = in_arena || large_block_take((uintptr_t)block, &bytes, &site) == 0;
    if (in_arena)
        site = *site_shadow_of(block);
    if (charged)
        lines_plugin->site_count(site, -(int64_t)bytes);
    lines_give();
}

void lines_heap_sampled(int64_t heap_bytes)
{
    /* The sampler sees the heap standing at its high-water mark (within 0.1%): keep
     * every line's bytes now, exactly (peaks that last catch the last 1% this way). */
    const struct mprof_plugin *plugin = __atomic_load_n(&lines_plugin, __ATOMIC_ACQUIRE);
    int64_t mark = stats_heap_peak();
    if (plugin != NULL && heap_bytes >= mark - mark / 1000 &&
        heap_bytes > __atomic_load_n(&sites_peak_heap, __ATOMIC_RELAXED)) {
        __atomic_store_n(&sites_peak_heap, heap_bytes, __ATOMIC_RELAXED);
        plugin->site_peak(heap_bytes);
    }
}

/* The core's peak listener. Copying every line's bytes costs O(lines): once per 1% of
 * new height. The copy is made by the next PyMem allocation (site_allocated), under the
 * GIL, after it has charged its own block: the block that made this peak is usually that
 * one. */
static void lines_heap_peak(int64_t heap_bytes)
{
    int64_t kept = __atomic_load_n(&sites_peak_heap, __ATOMIC_RELAXED);
    if (heap_bytes > kept + kept / 100)
        __atomic_store_n(&sites_peak_pending, heap_bytes, __ATOMIC_RELAXED);
}

/* ---- the hooks (MEM and OBJ domains; the GIL is held) ------------------------------ */

/* Apart from counting.c's hooks, so that a plain run pays nothing for --lines (not even
 * saved registers). */

static void *lines_malloc(void *ctx, size_t size)
{
    struct pymem_domain *domain = ctx;
    tls_in_pymem_hook++;
    void *block = domain->next.malloc(domain->next.ctx, size);
    tls_in_pymem_hook--;
    if (block == NULL)
        return NULL;
    if (arena_kind(block) == ARENA_PYMALLOC) {
        uint64_t bytes = pymalloc_block_allocated(block, size);
        count_pool_alloc(bytes);
        site_allocated(block, bytes, 1);
    } else {
        site_allocated(block, size, 0);
    }
    return block;
}

static void *lines_calloc(void *ctx, size_t count, size_t size)
{
    struct pymem_domain *domain = ctx;
    tls_in_pymem_hook++;
    void *block = domain->next.calloc(domain->next.ctx, count, size);
    tls_in_pymem_hook--;
    if (block == NULL)
        return NULL;
    if (arena_kind(block) == ARENA_PYMALLOC) {
        uint64_t bytes = pymalloc_block_allocated(block, count * size);
        count_pool_alloc(bytes);
        site_allocated(block, bytes, 1);
    } else {
        site_allocated(block, count * size, 0);
    }
    return block;
}

static void *lines_realloc_locked(void *ctx, void *block, size_t size)
{
    /* The old block's site is read before the realloc, which may free it. */
    uint32_t old_site = 0;
    uint64_t old_large_bytes = 0;
    int old_large_known = 0;
    unsigned old_kind = arena_kind(block);
    if (block != NULL && old_kind != ARENA_OWN) {
        if (old_kind == ARENA_PYMALLOC)
            old_site = *site_shadow_of(block);
        else
            old_large_known = large_block_take((uintptr_t)block, &old_large_bytes, &old_site) == 0;
    }
    struct counting_realloc_result result;
    tls_in_pymem_hook++;
    counting_realloc(ctx, block, size, &result);
    tls_in_pymem_hook--;
    if (old_kind == ARENA_OWN)
        return result.block;
    if (result.block == NULL) {
        if (old_large_known)
            large_block_put((uintptr_t)block, old_large_bytes, old_site);
        return NULL;
    }
    /* The old block is freed where it was charged, the new one is charged to the line
     * running now. */
    if (result.old_in_arena)
        lines_plugin->site_count(old_site, -(int64_t)result.old_bytes);
    else if (old_large_known)
        lines_plugin->site_count(old_site, -(int64_t)old_large_bytes);
    site_allocated_locked(result.block, result.new_in_arena ? result.new_bytes : size,
                          result.new_in_arena);
    return result.block;
}

static void *lines_realloc(void *ctx, void *block, size_t size)
{
    lines_take();
    void *moved = lines_realloc_locked(ctx, block, size);
    lines_give();
    return moved;
}

static void lines_free(void *ctx, void *block)
{
    struct pymem_domain *domain = ctx;
    if (block != NULL) {
        if (arena_kind(block) == ARENA_PYMALLOC) {
            uint64_t bytes = pymalloc_block_freed(block);
            count_pool_free(bytes);
            site_freed(block, bytes, 1);
        } else {
            site_freed(block, 0, 0);
        }
    }
    tls_in_pymem_hook++;
    domain->next.free(domain->next.ctx, block);
    tls_in_pymem_hook--;
}

const struct py_mem_allocator lines_allocator = {
    .malloc = lines_malloc,
    .calloc = lines_calloc,
    .realloc = lines_realloc,
    .free = lines_free,
};

/* ---- the malloc family's blocks (the core's block listener; any thread) ----------- */

static int native_allocated(void *user, uint64_t bytes)
{
    const struct mprof_plugin *plugin = __atomic_load_n(&lines_plugin, __ATOMIC_ACQUIRE);
    uint32_t site;
    if (plugin == NULL || tls_in_pymem_hook || tls_in_library || tls_lines_lock_depth > 0 ||
        !plugin->holds_gil())
        return 0;
    /* The GIL holder's alone; lines_take as for PyMem blocks, since parallel
     * interpreters share the sites (a thread without a GIL never takes it here). */
    lines_take();
    int charged = plugin->site_charge_native((int64_t)bytes, &site) == 0;
    lines_give();
    if (!charged)
        return 0;
    int kept = 0;
    if (native_take() == 0) {
        struct table_key key = { { (uintptr_t)user, 0 } };
        struct table_value value = { { (uintptr_t)bytes, site } };
        kept = table_insert(&native_blocks, key, value) == 0;
        native_give();
    }
    if (!kept) {
        /* No room to remember it (or this thread is inside the table already): leave
         * it out on both sides. */
        plugin->site_free_native(site, (int64_t)bytes, 0);
        return 0;
    }
    keep_pending_peak();
    return 1;
}

static void native_freed(void *user, uint64_t bytes)
{
    (void)bytes;
    const struct mprof_plugin *plugin = __atomic_load_n(&lines_plugin, __ATOMIC_ACQUIRE);
    struct table_key key = { { (uintptr_t)user, 0 } };
    struct table_value value;
    if (native_take() != 0)
        return; /* a signal handler's free inside our stores: its line keeps the bytes */
    int found = table_take(&native_blocks, key, &value) == 0;
    native_give();
    /* Inside the sites' updates already (a signal handler's free): counted aside. */
    if (found && plugin != NULL)
        plugin->site_free_native((uint32_t)value.word[1], (int64_t)value.word[0],
                                 tls_lines_lock_depth > 0);
}

static const struct hooks_block_listener native_listener = {
    .allocated = native_allocated,
    .freed = native_freed,
};

int lines_enable(const struct mprof_plugin *plugin, int parallel_interpreters)
{
    if (plugin == NULL || plugin->site_charge == NULL || plugin->site_count == NULL ||
        plugin->site_peak == NULL || plugin->site_charge_native == NULL ||
        plugin->site_free_native == NULL || plugin->holds_gil == NULL)
        return -1;
    table_init_growing(&large_blocks, LARGE_BLOCKS_FIRST_CAPACITY, arena_pages_alloc,
                       arena_pages_free);
    table_init_growing(&native_blocks, NATIVE_BLOCKS_FIRST_CAPACITY, arena_pages_alloc,
                       arena_pages_free);
    lines_parallel = parallel_interpreters;
    __atomic_store_n(&lines_plugin, plugin, __ATOMIC_RELEASE);
    stats_set_peak_listener(lines_heap_peak);
    hooks_set_block_listener(&native_listener);
    return 0;
}

void lines_disable(void)
{
    hooks_set_block_listener(NULL);
    stats_set_peak_listener(NULL);
    __atomic_store_n(&lines_plugin, NULL, __ATOMIC_RELEASE);
}

void lines_fork_child(void)
{
    /* Only the forking thread goes on: a holder that did not survive never gives. */
    __atomic_store_n(&lines_lock, 0, __ATOMIC_RELAXED);
    tls_lines_lock_depth = 0;
    __atomic_store_n(&native_lock, 0, __ATOMIC_RELAXED);
    tls_native_lock_held = 0;
}

int lines_enabled(void)
{
    return __atomic_load_n(&lines_plugin, __ATOMIC_ACQUIRE) != NULL;
}
