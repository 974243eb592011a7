/*
 * plugin_load.c — loading the per-version plugin (libmprof-python3NN.so) that makes the
 * @profile tables, and what the core offers it (plugin_api.h).
 *
 * The plugin is built against one CPython version's headers; this library never is. It
 * is found beside this library and loaded only inside a matching interpreter. Without it
 * the heap is still counted; only the line tables are missing.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../wire/wire.h"
#include "mprof/protocol.h"
#include "python.h"

static int64_t core_thread_net_bytes(void)
{
    struct thread_stats *stats = stats_this_thread();
    return (int64_t)(stats->malloc_alloc_bytes - stats->malloc_free_bytes) +
           (int64_t)(stats->pool_alloc_bytes - stats->pool_free_bytes);
}

/* The plugin reads the head of a thread's block as struct mprof_thread_counters. */
_Static_assert(offsetof(struct thread_stats, malloc_alloc_bytes) ==
               offsetof(struct mprof_thread_counters, malloc_alloc_bytes), "counter layout");
_Static_assert(offsetof(struct thread_stats, malloc_free_bytes) ==
               offsetof(struct mprof_thread_counters, malloc_free_bytes), "counter layout");
_Static_assert(offsetof(struct thread_stats, pool_alloc_bytes) ==
               offsetof(struct mprof_thread_counters, pymem_alloc_bytes), "counter layout");
_Static_assert(offsetof(struct thread_stats, pool_free_bytes) ==
               offsetof(struct mprof_thread_counters, pymem_free_bytes), "counter layout");

static const struct mprof_thread_counters *core_thread_counters(void)
{
    return (const struct mprof_thread_counters *)stats_this_thread();
}

static void core_notice(const char *text)
{
    diag_notice("%s", text);
}

void ending_send(void)
{
    struct mprof_ending ending;
    memset(&ending, 0, sizeof(ending));
    mprof_record_header_init(&ending.header, MPROF_RECORD_ENDING, sizeof(ending),
                             (int32_t)getpid());
    ending.time_ns = clock_realtime_ns();
    ending.heap_live_bytes = stats_heap_live();
    writer_send(&ending, sizeof(ending));
}

static const struct mprof_core_api core_api = {
    .version = MPROF_PLUGIN_API_VERSION,
    .thread_net_bytes = core_thread_net_bytes,
    .process_live_bytes = stats_heap_live,
    .thread_count = stats_thread_count,
    .thread_counters = core_thread_counters,
    .thread_count_now = &stats_threads_counting,
    .realtime_ns = clock_realtime_ns,
    .send = writer_send,
    .reporting = writer_is_open,
    .notice = core_notice,
    .pages_alloc = arena_pages_alloc,
    .window_begin = stats_window_begin,
    .window_pause = stats_window_pause,
    .window_peak = stats_window_peak,
    .program_ended = ending_send,
};

const struct mprof_plugin *plugin_load(int python_minor, const char *version)
{
    Dl_info self;
    char path[4096];
    if (dladdr((void *)plugin_load, &self) == 0 || self.dli_fname == NULL)
        return NULL;
    const char *slash = strrchr(self.dli_fname, '/');
    size_t dir_length = slash ? (size_t)(slash - self.dli_fname) : 0;
    int length = snprintf(path, sizeof(path), "%.*s%slibmprof-python3%d.so", (int)dir_length,
                          self.dli_fname, slash ? "/" : "", python_minor);
    if (length < 0 || (size_t)length >= sizeof(path))
        return NULL;
    /* A missing plugin is a build made where python3.N-config was not: say that, not
     * the loader's words, which read like a broken install. */
    if (access(path, F_OK) != 0) {
        diag_notice("Python %s: this mprof was built without its @profile plugin (no "
                    "python3.%d-config when it was built): @profile runs functions "
                    "unprofiled, no --lines; the heap is counted whole", version,
                    python_minor);
        return NULL;
    }
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        /* The loader's words last: a long path is cut there, not the sentence. */
        diag_notice("Python %s: @profile runs functions unprofiled, no --lines: its plugin "
                    "does not load: %s", version, dlerror());
        return NULL;
    }
    mprof_plugin_init_fn init = (mprof_plugin_init_fn)dlsym(handle, MPROF_PLUGIN_INIT_SYMBOL);
    const struct mprof_plugin *plugin = init ? init(&core_api) : NULL;
    if (plugin == NULL)
        diag_notice("Python %s: libmprof-python3%d.so was built for another interpreter "
                    "or another mprof: @profile runs functions unprofiled, no --lines",
                    version, python_minor);
    return plugin;
}
