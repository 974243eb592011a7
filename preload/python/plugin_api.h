/*
 * plugin_api.h — the boundary between libmprof.so and its per-CPython-version plugin
 * (libmprof-python3NN.so, from preload/plugin/), which is built against that version's
 * headers and loaded with dlopen only inside a matching interpreter. The library never
 * links against libpython; the plugin never touches the allocator hooks: it asks the
 * core for counts, through the functions below and nothing else.
 */
#ifndef MPROF_PLUGIN_API_H
#define MPROF_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#define MPROF_PLUGIN_API_VERSION 4
#define MPROF_PLUGIN_INIT_SYMBOL "mprof_python_plugin_init"

/* The head of every thread's counter block in the core (python/plugin_load.c checks
 * the layout at compile time). Written only by the owning thread, except the one shared
 * block that threads get when no block of their own could be had (it is updated with
 * atomics by all of them, and a net read from it blends their bytes). */
struct mprof_thread_counters {
    uint64_t malloc_alloc_bytes;
    uint64_t malloc_free_bytes;
    uint64_t pymem_alloc_bytes;
    uint64_t pymem_free_bytes;
};

/* A thread's net heap bytes from its own block: the same figure as thread_net_bytes(),
 * read inline (relaxed loads: another thread may read a moment-stale, never torn,
 * value). */
static inline int64_t mprof_thread_counters_net(const struct mprof_thread_counters *counters)
{
    return (int64_t)(__atomic_load_n(&counters->malloc_alloc_bytes, __ATOMIC_RELAXED) -
                     __atomic_load_n(&counters->malloc_free_bytes, __ATOMIC_RELAXED)) +
           (int64_t)(__atomic_load_n(&counters->pymem_alloc_bytes, __ATOMIC_RELAXED) -
                     __atomic_load_n(&counters->pymem_free_bytes, __ATOMIC_RELAXED));
}

/* What the core offers the plugin. Every function is safe to call with the GIL held
 * and never allocates through the hooks. */
struct mprof_core_api {
    uint32_t version;                       /* MPROF_PLUGIN_API_VERSION */
    /* Net heap bytes (allocated - freed, every layer) of the calling thread so far:
     * differences between two calls are that thread's net change, exactly. */
    int64_t (*thread_net_bytes)(void);
    /* The whole process's live heap bytes now. */
    int64_t (*process_live_bytes)(void);
    /* How many threads are counting allocations now (1: this one alone). */
    int (*thread_count)(void);
    /* The calling thread's counters. The block stays the thread's while it lives, so a
     * caller may keep the pointer for as long as it runs on that thread and read it
     * with mprof_thread_counters_net(): a hot path then pays no call per reading. (If
     * the thread could get no block of its own, this is the shared one: see above.) */
    const struct mprof_thread_counters *(*thread_counters)(void);
    /* The number thread_count() returns, to read inline (relaxed). */
    const int *thread_count_now;
    uint64_t (*realtime_ns)(void);
    /* Send one record to the CLI (0, or -1 when there is no CLI to send to). */
    int (*send)(const void *record, size_t size);
    /* Whether records reach a CLI (false in a quiet child or without mprof run). */
    int (*reporting)(void);
    /* A one-line notice for the user. */
    void (*notice)(const char *text);
    /* Zeroed memory from mmap for the plugin's own tables (NULL on failure). */
    void *(*pages_alloc)(size_t size);
    /* An exact peak window for the program's own questions (the `mprof` module): begin
     * returns the live heap now and from then on every allocation of every thread
     * raises the window's peak; pause stops that (it costs time on every allocation)
     * and returns the peak; peak reads it (before any begin: the run's high-water
     * mark). */
    int64_t (*window_begin)(void);
    int64_t (*window_pause)(void);
    int64_t (*window_peak)(void);
    /* The live heap now, the marks raised to it (a figure shown to the program: no peak
     * read after it may be lower). */
    int64_t (*live_bytes_seen)(void);
    /* The program's own code has finished (Python's atexit): send the heap it left. */
    void (*program_ended)(void);
};

struct mprof_plugin {
    /* Runs once on the main thread with the GIL, before the script's first line:
     * install what the program sees (the profile builtin). 0, or -1 after a notice. */
    int (*entry)(void);
    /* The process is ending without atexit (os._exit): send what has not been sent.
     * Pure C, no Python API, no GIL needed; safe to call twice. */
    void (*flush_at_exit)(void);
    /* In a fork child, from the core's atfork handler (the only one: registering
     * another would allocate before the interpreter starts). Pure C, no Python API. */
    void (*fork_child)(void);

    /* Whole-program line attribution (mprof run --lines; NULL when unavailable). */
    /* A block of `bytes` was allocated: charge it to the site (source line) the running
     * Python frame is on, and return that site (0 for none). One call per allocation,
     * for both jobs. GIL held. */
    uint32_t (*site_charge)(int64_t bytes);
    /* A block of `bytes` was allocated (> 0) or freed (< 0) at `site`. GIL held. */
    void (*site_count)(uint32_t site, int64_t bytes);
    /* The heap just reached a new high, `heap_bytes`: remember every site's live bytes.
     * Any thread. */
    void (*site_peak)(int64_t heap_bytes);
    /* A malloc-family block of `bytes` was allocated outside the PyMem domains (a C
     * extension's, or the interpreter's own raw memory), on any thread: when the
     * calling thread holds the main interpreter's GIL, charge it to the running line
     * as site_charge does, store the site and return 0; otherwise -1, and nothing is
     * charged (no thread but the GIL holder may read frames). */
    int (*site_charge_native)(int64_t bytes, uint32_t *site);
    /* A block site_charge_native charged, of `bytes`, was freed: on any thread, with
     * or without the GIL; `aside` when the caller is inside a site update already (a
     * signal handler's free), which must not be touched. */
    void (*site_free_native)(uint32_t site, int64_t bytes, int aside);
    /* Whether the calling thread holds the GIL: a cheap read, on any thread. */
    int (*holds_gil)(void);
};

/* The plugin's one exported symbol. Returns NULL when this interpreter does not fit
 * the plugin (it checks the running version itself). */
typedef const struct mprof_plugin *(*mprof_plugin_init_fn)(const struct mprof_core_api *core);

#endif
