/*
 * attach.c — finding CPython in this process, putting our PyMem hooks in place, and the
 * entry point that runs before the script's first line.
 *
 * Small objects, carved from 1 MiB arenas, never reach malloc: they are counted here, in
 * the PyMem MEM and OBJ domains, and only those (blocks that end in malloc are the
 * malloc hooks'), so each byte is counted once. Those arenas are always in our slots
 * (slots.c), so one load tells a small object from a malloc'd block. Two ways to serve
 * them:
 *
 * - pysmall.c serves them itself, counting in the same pass (the default where pymalloc
 *   is what is installed, on 3.10 and 3.11: see small_objects_served_here);
 * - else counting.c's hooks (lines.c's with --lines) count around the installed
 *   allocator, and pymalloc gets its arenas from our slots.
 *
 * No Python headers are used: the allocator structs are the stable ABI's, the functions
 * are looked up with dlsym.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../wire/wire.h"
#include "mprof/protocol.h"
#include "python.h"

static struct {
    void (*get_allocator)(int domain, struct py_mem_allocator *allocator);
    void (*set_allocator)(int domain, struct py_mem_allocator *allocator);
    void (*get_arena_allocator)(struct py_arena_allocator *allocator);
    void (*set_arena_allocator)(struct py_arena_allocator *allocator);
    int (*is_initialized)(void);
    int (*add_pending_call)(int (*function)(void *), void *argument);
    const char *(*get_version)(void);
    const char *(*current_allocator_name)(void); /* may be NULL: then we count around */
    void *(*thread_state)(void);                   /* 3.12+ (may be NULL before) */
    void *(*main_interpreter)(void);
    struct pysmall_raw raw;                        /* PyMem_Raw*, for pysmall.c */
} python_api;

static struct pymem_domain raw_domain = { .domain = PY_DOMAIN_RAW }; /* mimalloc's, 3.15 */
static struct pymem_domain mem_domain = { .domain = PY_DOMAIN_MEM };
static struct pymem_domain obj_domain = { .domain = PY_DOMAIN_OBJ };
static int python_counting;          /* pymalloc blocks are being counted */
static int python_entry_queued;      /* atomic: 1 once the entry point is queued */
static int python_minor;             /* 3.<minor> of the running interpreter */
static char python_version_text[16]; /* "3.13.0": what the notices call it */
static int python_entry_wanted;      /* the entry point is to run (set before it can) */
static const struct mprof_plugin *python_plugin; /* NULL: fallback.c's profile instead */

/* What differs, for this layer, between the CPython versions it counts in (the plugin
 * has its own file per version for the rest). A version not listed gets the malloc hooks'
 * counts only. */
struct python_version {
    int minor;
    /* Every MEM and OBJ call holds the one GIL of the process; else (3.12+, whose
     * subinterpreters may each have a GIL of their own) pysmall.c serves the main
     * interpreter's calls only, and --lines takes a lock. */
    int one_gil;
    /* _PyMem_GetCurrentAllocatorName may run before the runtime is initialized (3.12's
     * takes a lock that does not exist yet: a NULL semaphore, SIGSEGV). */
    int name_before_start;
};
static const struct python_version known_versions[] = {
    { .minor = 10, .one_gil = 1, .name_before_start = 1 },
    { .minor = 11, .one_gil = 1, .name_before_start = 1 },
    { .minor = 12, .one_gil = 0, .name_before_start = 0 },
    { .minor = 13, .one_gil = 0, .name_before_start = 1 },
    { .minor = 14, .one_gil = 0, .name_before_start = 1 },
    { .minor = 15, .one_gil = 0, .name_before_start = 1 },
};
static const struct python_version *python_version; /* the running one's, or NULL */

/* pymalloc's pool layout (16 KiB pools, szidx at byte 36, 1 MiB arenas), on which
 * counting.c and slots.c rely, is the same in every listed version on 64-bit; the entry
 * point checks it all the same (pools_look_right). */
static const struct python_version *version_known(int minor)
{
    for (size_t i = 0; i < sizeof(known_versions) / sizeof(known_versions[0]); i++)
        if (known_versions[i].minor == minor)
            return &known_versions[i];
    return NULL;
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
        hooks_set_watch(NULL);
        return 0;
    }
    __atomic_store_n(&python_entry_queued, 0, __ATOMIC_RELEASE);
    return 1;
}

/* The core's watch function while the interpreter starts: every malloc asks whether the
 * entry point can be queued yet, so it runs before the script's first line. */
static void watch_for_interpreter(void)
{
    queue_entry();
}

void python_fork_child(void)
{
    slots_fork_child();
    lines_fork_child();
    if (python_plugin != NULL && python_plugin->fork_child != NULL)
        python_plugin->fork_child();
}

void python_flush_at_exit(void)
{
    if (python_plugin != NULL && python_plugin->flush_at_exit != NULL)
        python_plugin->flush_at_exit();
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
 * the hooks that count around whatever is there (with --lines, those that also charge
 * lines). */
static void domain_install(struct pymem_domain *domain, int serve_small_objects)
{
    static const struct py_mem_allocator serving = {
        .malloc = pysmall_malloc,
        .calloc = pysmall_calloc,
        .realloc = pysmall_realloc,
        .free = pysmall_free,
    };
    python_api.get_allocator(domain->domain, &domain->next);
    struct py_mem_allocator hooks = serve_small_objects ? serving
                                    : lines_enabled() ? lines_allocator
                                                      : counting_allocator;
    hooks.ctx = domain;
    if (serve_small_objects)
        domain->pymalloc = domain->next;
    domain->serving = serve_small_objects;
    python_api.set_allocator(domain->domain, &hooks);
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
    python_api.thread_state = dlsym(RTLD_DEFAULT, "PyThreadState_GetUnchecked");
    if (python_api.thread_state == NULL) /* its name before 3.13 */
        python_api.thread_state = dlsym(RTLD_DEFAULT, "_PyThreadState_UncheckedGet");
    python_api.main_interpreter = dlsym(RTLD_DEFAULT, "PyInterpreterState_Main");
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

/* The version number alone ("3.13.0", "3.14.0rc1"), for the notices: Py_GetVersion()
 * goes on with the build's date and compiler. */
static void version_number(const char *version, char *text, size_t text_size)
{
    size_t length = 0;
    while (version != NULL && version[length] != '\0' && version[length] != ' ' &&
           length + 1 < text_size) {
        text[length] = version[length];
        length++;
    }
    text[length] = '\0';
}

/* A free-threaded build (3.13t, 3.14t): no GIL guards the PyMem domains, its objects
 * come from mimalloc, and its ABI is not the one the plugin is built for. Its version
 * string says so ("3.13.0 experimental free-threading build (main, ..."), and its
 * library is libpython3.13t.so where it is shared. */
static int version_free_threaded(const char *version)
{
    if (version != NULL && strstr(version, "free-threading") != NULL)
        return 1;
    Dl_info library;
    if (dladdr((void *)python_api.get_version, &library) == 0 || library.dli_fname == NULL)
        return 0;
    const char *name = strrchr(library.dli_fname, '/');
    name = name ? name + 1 : library.dli_fname;
    char expected[32];
    snprintf(expected, sizeof(expected), "libpython3.%dt.so", python_minor);
    return strncmp(name, expected, strlen(expected)) == 0;
}

/* The entry point is to run before the script's first line; the core's watch function
 * queues it as soon as the interpreter is ready. */
static void want_entry(void)
{
    __atomic_store_n(&python_entry_wanted, 1, __ATOMIC_RELEASE);
    hooks_set_watch(watch_for_interpreter);
}

/* Whether the MEM and OBJ domains are plain pymalloc, where CPython cannot be asked
 * yet: pymalloc has no ctx (the debug hooks have one), is not the RAW domain's malloc
 * (as in a build without pymalloc), and serves both domains. PyMem_GetAllocator is
 * safe before the runtime starts. */
static int pymalloc_by_its_shape(void)
{
    struct py_mem_allocator raw, mem, obj;
    python_api.get_allocator(PY_DOMAIN_RAW, &raw);
    python_api.get_allocator(PY_DOMAIN_MEM, &mem);
    python_api.get_allocator(PY_DOMAIN_OBJ, &obj);
    return obj.ctx == NULL && mem.ctx == NULL && obj.malloc != raw.malloc &&
           obj.malloc == mem.malloc && obj.free == mem.free;
}

/* Whether pysmall.c may serve the MEM and OBJ domains instead of pymalloc: pymalloc is
 * what is there (not malloc, not the debug hooks), each call can be told to be the main
 * interpreter's (3.12+'s subinterpreters may each have a GIL of their own: theirs go to
 * their pymalloc), and --lines, which keeps its sites in pymalloc's arenas, is off.
 * PYTHONMALLOC and -X dev are applied after we are installed and replace our hooks; the
 * entry point then counts around theirs. Any
 * PYTHONMALLOC (pymalloc too) keeps CPython's pymalloc, so that value is also the way
 * to keep its statistics (sys.getallocatedblocks, _debugmallocstats), as
 * PYTHONMALLOCSTATS, which prints them, does. */
static int small_objects_served_here(void)
{
    /* 3.12+: serve the main interpreter only, telling it apart on each call. */
    if (!python_version->one_gil &&
        (python_api.thread_state == NULL || python_api.main_interpreter == NULL))
        return 0;
    if (lines_enabled() ||
        (python_api.current_allocator_name == NULL && python_version->name_before_start) ||
        python_api.raw.malloc == NULL ||
        python_api.raw.calloc == NULL || python_api.raw.realloc == NULL ||
        python_api.raw.free == NULL)
        return 0;
    if (getenv("PYTHONMALLOC") != NULL || getenv("PYTHONDEVMODE") != NULL ||
        getenv("PYTHONMALLOCSTATS") != NULL)
        return 0;
    if (!python_version->name_before_start)
        return pymalloc_by_its_shape();
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
    const char *version = python_api.get_version();
    python_minor = version_minor(version);
    version_number(version, python_version_text, sizeof(python_version_text));
    python_version = version_known(python_minor);
    const char *lines = getenv(MPROF_ENV_LINES);
    int lines_asked = lines != NULL && (strcmp(lines, "1") == 0 || strcmp(lines, "user") == 0);
    /* Whatever this interpreter gets, a script written for @profile runs: the entry
     * point defines `profile` where no plugin does. */
    want_entry();
    if (version_free_threaded(version)) {
        diag_notice("Python %s free-threaded: mprof counts malloc only there (its objects "
                    "come from mimalloc, no GIL guards them) and @profile runs functions "
                    "unprofiled", python_version_text);
        python_version = NULL;
    } else if (python_version == NULL) {
        diag_notice("Python %s: heap counts malloc only (mprof knows pymalloc's layout "
                    "on 3.10-3.15) and @profile runs functions unprofiled",
                    python_version_text);
    } else {
        /* The plugin decides whether arenas carry a site shadow (--lines): load it
         * before the first arena exists. */
        python_plugin = plugin_load(python_minor, python_version_text);
    }
    if (lines_asked && python_plugin == NULL)
        diag_notice("--lines: no line attribution on Python %s in this build; no lines "
                    "are recorded", python_version_text);
    if (python_version == NULL)
        return flags;
    if (lines_asked && python_plugin != NULL &&
        lines_enable(python_plugin, !python_version->one_gil) != 0)
        diag_notice("--lines: no memory for the line table; no lines are recorded");
    if (slots_init(lines_enabled()) != 0) {
        lines_disable();
        diag_notice("cannot map the pymalloc arena table; heap counts malloc only");
        return flags;
    }
    struct py_arena_allocator next_arenas, our_arenas;
    python_api.get_arena_allocator(&next_arenas);
    slots_arena_allocator(&next_arenas, &our_arenas);
    python_api.set_arena_allocator(&our_arenas);
    int serve = small_objects_served_here();
    if (serve) {
        if (!python_version->one_gil) {
            python_api.raw.thread_state = python_api.thread_state;
            python_api.raw.main_interpreter = python_api.main_interpreter;
            python_api.raw.other_interpreters = &counting_allocator;
        }
        pysmall_init(&python_api.raw);
    }
    domain_install(&mem_domain, serve);
    domain_install(&obj_domain, serve);
    /* The pool layout is checked at the entry point, not here: an allocation through
     * pymalloc now would make it malloc its arena table before PYTHONMALLOC=debug puts
     * its hooks on the RAW domain, which then rejects that table's realloc. */
    python_counting = 1;
    return flags | MPROF_HELLO_PYMALLOC;
}

/* PYTHONMALLOC=mimalloc or mimalloc_debug (3.13+) put mimalloc under the MEM and OBJ
 * domains (and, from 3.15, under RAW too: before, RAW stays malloc's, which the malloc
 * hooks count): no small object reaches our slots any more. Count around it with
 * foreign.c's headers. Asked of the variable, not of CPython, whose answer -X
 * tracemalloc's hooks on top would hide. */
static int entry_found_mimalloc(void)
{
    const char *wanted = getenv("PYTHONMALLOC");
    return wanted != NULL && strncmp(wanted, "mimalloc", 8) == 0;
}

/* Whether a block of the RAW domain, as installed now, is malloc's (the malloc hooks
 * count it): this thread's malloc counter moves by at least its size. GIL held, RAW is
 * thread-safe. */
static int raw_reaches_malloc(void)
{
    struct py_mem_allocator raw;
    python_api.get_allocator(PY_DOMAIN_RAW, &raw);
    struct thread_stats *stats = stats_this_thread();
    uint64_t before = __atomic_load_n(&stats->malloc_alloc_bytes, __ATOMIC_RELAXED);
    void *block = raw.malloc(raw.ctx, 4099);
    uint64_t counted = __atomic_load_n(&stats->malloc_alloc_bytes, __ATOMIC_RELAXED) - before;
    raw.free(raw.ctx, block);
    return block == NULL || counted >= 4099;
}

static void entry_count_around_mimalloc(void)
{
    foreign_init();
    struct pymem_domain *domains[] = { &mem_domain, &obj_domain, &raw_domain };
    size_t hooked = raw_reaches_malloc() ? 2 : 3;
    for (size_t i = 0; i < hooked; i++) {
        struct py_mem_allocator hooks = foreign_allocator;
        python_api.get_allocator(domains[i]->domain, &domains[i]->next);
        domains[i]->serving = 0;
        hooks.ctx = domains[i];
        python_api.set_allocator(domains[i]->domain, &hooks);
    }
    if (lines_enabled()) {
        lines_disable();
        diag_notice("--lines: not under PYTHONMALLOC=mimalloc (its blocks carry no room "
                    "for a line); no lines are recorded");
    }
}

static void entry_count_small_objects(void)
{
    if (entry_found_mimalloc()) {
        entry_count_around_mimalloc();
        return;
    }
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
        stats_adjust_pool(-totals.pool_live_bytes);
        python_counting = 0;
        lines_disable();
        diag_notice("Python %s: pymalloc pools are not as expected; heap counts malloc "
                    "only", python_version_text);
        return;
    }
    int64_t actual = slots_pool_live_bytes();
    stats_adjust_pool(actual - totals.pool_live_bytes);
    if (getenv("MPROF_DEBUG") != NULL)
        diag("python entry: pymalloc believed %lld, pools hold %lld",
             (long long)totals.pool_live_bytes, (long long)actual);
}

/*
 * The entry point: runs on the main thread with the GIL, before the script's first
 * lines. PYTHONMALLOC (any value) and -X dev replace our hooks during start-up; put
 * them back on top, and reconcile what we believe pymalloc holds with what its pools
 * say, so blocks allocated while we were not on top are neither lost nor counted twice
 * (or, under mimalloc, count around it); then the plugin's entry, or fallback.c's.
 */
static int python_entry(void *unused)
{
    (void)unused;
    if (python_counting)
        entry_count_small_objects();
    if (python_plugin != NULL && python_plugin->entry != NULL)
        python_plugin->entry();
    else if (python_plugin == NULL)
        fallback_install_profile();
    return 0;
}

int python_tick(void)
{
    if (!__atomic_load_n(&python_entry_wanted, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&python_entry_queued, __ATOMIC_ACQUIRE))
        return 0;
    return queue_entry();
}
