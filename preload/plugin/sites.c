/*
 * sites.c — whole-program line attribution (mprof run --lines).
 *
 * Every block the PyMem MEM/OBJ domains hand out (the GIL is held there) is charged to
 * a site: the source line the running Python frame is on. So is every malloc-family
 * block that a thread holding the GIL allocates outside them: a C extension's memory
 * (numpy's arrays) belongs to the line that called into it. The core keeps each block's
 * site (a shadow word beside pymalloc's blocks, a side table for larger ones) and tells
 * us when it is freed, so each site knows its live bytes exactly. When the sampler sees
 * the heap reach a new high, every site's live bytes are copied as "at the peak": the
 * report then names the lines that held the most at the same peak `mprof peak` shows.
 *
 * The line lookup is what costs: the frame's code object and instruction offset are
 * read from the interpreter's own structures (cpython3X.h) and cached, so
 * PyCode_Addr2Line runs once per (code, instruction), not once per allocation.
 */
#include "cpython.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../core/table.h"

#define MAX_SITES      (1u << 20)   /* site 0 is "no Python frame" */
#define SITE_SLOTS     (1u << 21)   /* (code, line) -> site: room for MAX_SITES */
#define CACHE_SLOTS    (1u << 16)   /* (code, instruction) -> site, direct-mapped */
#define TOP_SITES      100

struct site {
    PyObject *code;            /* a strong reference (NULL for site 0) */
    int32_t line;
    int64_t live_bytes;
    int64_t live_blocks;
    /* Native blocks of this site freed by a thread without the GIL (atomic): the live
     * figures are live_* less these. */
    int64_t freed_elsewhere_bytes;
    int64_t freed_elsewhere_blocks;
    uint64_t alloc_count;
    int64_t peak_bytes;        /* live_bytes when the heap last reached a new high */
    int64_t peak_blocks;
    uint32_t window;           /* the window the two sums below belong to */
    int64_t window_alloc_bytes;
    uint64_t window_alloc_count;
};

struct cache_entry {
    const void *code;
    int32_t offset;
    uint32_t site;
};

static const struct mprof_core_api *core;
static struct site *sites;
static uint32_t site_count = 1;
static struct table site_table;      /* (code, line) -> site, on cache misses only */
static struct cache_entry *cache;
static int site_lookup_busy; /* GIL-protected: PyCode_Addr2Line must not recurse here */
static uint32_t current_window; /* GIL-protected: bumped by sites_window_begin */

/* --lines=user: charge each block to the innermost line of the user's own files (not
 * the standard library's, nor an installed package's), as a user reads a profile: the
 * line that called into numpy, not numpy's. Frames are looked for once the standard
 * library's folder is known (sites_learn_library); before that, and when no frame is
 * the user's, the innermost line is charged. */
#define USER_CACHE_SLOTS (1u << 12)
struct user_cache_entry {
    const void *code;
    const void *filename;
    int users;
};
static int sites_user_only;
static char stdlib_folder[4096];     /* ends in '/'; "" until learnt */
static struct user_cache_entry *user_cache;

int sites_init(const struct mprof_core_api *api)
{
    core = api;
    const char *lines = getenv(MPROF_ENV_LINES);
    sites_user_only = lines != NULL && strcmp(lines, "user") == 0;
    user_cache = core->pages_alloc(USER_CACHE_SLOTS * sizeof(*user_cache));
    if (user_cache == NULL)
        return -1;
    sites = core->pages_alloc(MAX_SITES * sizeof(*sites));
    struct table_entry *site_slots = core->pages_alloc(SITE_SLOTS * sizeof(*site_slots));
    cache = core->pages_alloc(CACHE_SLOTS * sizeof(*cache));
    if (sites == NULL || site_slots == NULL || cache == NULL)
        return -1;
    table_init_fixed(&site_table, site_slots, SITE_SLOTS);
    return 0;
}

/* The site of (code, line), made on first sight; 0 when the sites are all taken. */
static uint32_t site_for_line(PyObject *code, int line)
{
    struct table_key key = { { (uintptr_t)code, (uintptr_t)(uint32_t)line } };
    const struct table_value *found = table_find(&site_table, key);
    if (found != NULL)
        return (uint32_t)found->word[0];
    uint32_t site = site_count;
    struct table_value value = { { site, 0 } };
    if (site >= MAX_SITES || table_insert(&site_table, key, value) != 0)
        return 0;
    Py_INCREF(code);
    sites[site].code = code;
    sites[site].line = line;
    __atomic_store_n(&site_count, site + 1, __ATOMIC_RELEASE); /* sites_peak reads it */
    return site;
}

/* A cache miss: the line from the code's line table, its site, and the cache entry.
 * Out of line so that the hit path saves no registers. */
static __attribute__((noinline)) uint32_t site_lookup(struct cache_entry *entry,
                                                      PyCodeObject *code, int32_t offset)
{
    site_lookup_busy = 1;
    int line = PyCode_Addr2Line(code, cpython_instruction_offset(offset));
    uint32_t site = site_for_line((PyObject *)code, line);
    site_lookup_busy = 0;
    entry->code = code;
    entry->offset = offset;
    entry->site = site;
    return site;
}

/* A Python str's UTF-8 without allocating (we may run without the GIL, from _exit). */
static const char *ascii_text(PyObject *text)
{
    if (text != NULL && PyUnicode_Check(text) && PyUnicode_IS_ASCII(text))
        return (const char *)PyUnicode_DATA(text);
    return "?";
}

static int filename_is_users(const char *filename)
{
    /* Frozen modules are the standard library's; <string>, <stdin> and notebook cells
     * are the user's; a name not in ASCII ("?" here) is not a library's either. */
    if (strncmp(filename, "<frozen ", 8) == 0 || strncmp(filename, "<mprof ", 7) == 0)
        return 0;
    if (strstr(filename, "/site-packages/") != NULL || strstr(filename, "/dist-packages/") != NULL)
        return 0;
    return stdlib_folder[0] == '\0' ||
           strncmp(filename, stdlib_folder, strlen(stdlib_folder)) != 0;
}

/* Whether a code object is of the user's own files, cached by (code, filename): a code
 * object freed and another made at its address is told apart by its filename's
 * object as well, or else asked again. */
static int code_is_users(PyCodeObject *code)
{
    struct user_cache_entry *entry =
        &user_cache[((uintptr_t)code >> 4) & (USER_CACHE_SLOTS - 1)];
    if (entry->code == code && entry->filename == code->co_filename)
        return entry->users;
    int users = filename_is_users(ascii_text(code->co_filename));
    entry->code = code;
    entry->filename = code->co_filename;
    entry->users = users;
    return users;
}

void sites_learn_library(void)
{
    if (!sites_user_only)
        return;
    /* The standard library's folder: sys._stdlib_dir (3.11+), else where POSIX builds
     * put it under sys.base_prefix (the entry point may run before os is imported). */
    char folder[sizeof(stdlib_folder)];
    PyObject *known = PySys_GetObject("_stdlib_dir");      /* borrowed */
    PyObject *prefix = PySys_GetObject("base_prefix");     /* borrowed */
    const char *path = known != NULL && PyUnicode_Check(known) ? PyUnicode_AsUTF8(known) : NULL;
    int length = -1;
    if (path != NULL) {
        length = snprintf(folder, sizeof folder, "%s/", path);
    } else if (prefix != NULL && PyUnicode_Check(prefix) &&
               (path = PyUnicode_AsUTF8(prefix)) != NULL) {
        length = snprintf(folder, sizeof folder, "%s/lib/python%d.%d/", path, PY_MAJOR_VERSION,
                          PY_MINOR_VERSION);
    }
    PyErr_Clear();
    if (length > 1 && (size_t)length < sizeof folder) {
        memcpy(stdlib_folder, folder, (size_t)length + 1);
        memset(user_cache, 0, USER_CACHE_SLOTS * sizeof(*user_cache));
    } else {
        core->notice("--lines=user: the standard library's folder is not known (no "
                     "sys._stdlib_dir, no sys.base_prefix); only installed packages are told apart");
    }
}

/* The sites are the main interpreter's alone: from 3.12 a subinterpreter may run in
 * parallel with a GIL of its own, and be destroyed with its code objects while a site
 * would still hold one. Another interpreter's allocations are counted on no line. */
static inline uint32_t site_here(void)
{
    PyCodeObject *code = NULL;
    int32_t offset = 0;
    if (site_lookup_busy || !cpython_on_main_interpreter() ||
        cpython_current_instruction(sites_user_only ? code_is_users : NULL, &code, &offset) != 0)
        return 0;
    struct cache_entry *entry =
        &cache[(((uintptr_t)code >> 4) * 31 + (uintptr_t)offset) & (CACHE_SLOTS - 1)];
    if (__builtin_expect(entry->code == code && entry->offset == offset, 1))
        return entry->site;
    return site_lookup(entry, code, offset);
}

static inline void site_count_bytes(uint32_t site, int64_t bytes)
{
    if (site >= site_count)
        site = 0;
    struct site *entry = &sites[site];
    entry->live_bytes += bytes;
    if (bytes >= 0) {
        entry->live_blocks++;
        entry->alloc_count++;
        /* A site first touched in this window starts its sums from nothing. */
        if (entry->window != current_window) {
            entry->window = current_window;
            entry->window_alloc_bytes = 0;
            entry->window_alloc_count = 0;
        }
        entry->window_alloc_bytes += bytes;
        entry->window_alloc_count++;
    } else {
        entry->live_blocks--;
    }
}

void sites_count(uint32_t site, int64_t bytes)
{
    site_count_bytes(site, bytes);
}

uint32_t sites_charge(int64_t bytes)
{
    uint32_t site = site_here();
    site_count_bytes(site, bytes);
    return site;
}

int sites_charge_native(int64_t bytes, uint32_t *site)
{
    if (!cpython_holds_gil() || !cpython_on_main_interpreter())
        return -1;
    *site = sites_charge(bytes);
    return 0;
}

int sites_holds_gil(void)
{
    return cpython_holds_gil();
}

void sites_free_native(uint32_t site, int64_t bytes, int aside)
{
    if (!aside && cpython_holds_gil() && cpython_on_main_interpreter()) {
        site_count_bytes(site, -bytes);
        return;
    }
    struct site *entry = &sites[site < __atomic_load_n(&site_count, __ATOMIC_ACQUIRE) ? site : 0];
    __atomic_fetch_add(&entry->freed_elsewhere_bytes, bytes, __ATOMIC_RELAXED);
    __atomic_fetch_add(&entry->freed_elsewhere_blocks, 1, __ATOMIC_RELAXED);
}

static int64_t peak_heap_bytes;

void sites_peak(int64_t heap_bytes)
{
    peak_heap_bytes = heap_bytes;
    /* From the sampler thread, without the GIL: each field is read whole (aligned
     * 64-bit); the copy is as consistent as the sample it goes with. */
    uint32_t count = __atomic_load_n(&site_count, __ATOMIC_ACQUIRE);
    for (uint32_t site = 0; site < count; site++) {
        struct site *entry = &sites[site];
        entry->peak_bytes = __atomic_load_n(&entry->live_bytes, __ATOMIC_RELAXED) -
                            __atomic_load_n(&entry->freed_elsewhere_bytes, __ATOMIC_RELAXED);
        entry->peak_blocks = __atomic_load_n(&entry->live_blocks, __ATOMIC_RELAXED) -
                             __atomic_load_n(&entry->freed_elsewhere_blocks, __ATOMIC_RELAXED);
    }
}

static int64_t held_at_peak(const struct site *entry)
{
    return entry->peak_bytes;
}

static int64_t allocated_in_window(const struct site *entry)
{
    return entry->window == current_window ? entry->window_alloc_bytes : 0;
}

/* The (at most `wanted`) sites with the highest positive `figure`, highest first, into
 * `chosen`; how many. A partial selection, O(sites x wanted): once per report or per
 * question, never per allocation. */
static uint32_t select_top(uint32_t *chosen, uint32_t wanted,
                           int64_t (*figure)(const struct site *entry))
{
    uint32_t chosen_count = 0;
    uint32_t count = __atomic_load_n(&site_count, __ATOMIC_ACQUIRE);
    for (uint32_t site = 1; site < count && wanted > 0; site++) {
        int64_t value = figure(&sites[site]);
        if (value <= 0)
            continue;
        uint32_t position = chosen_count < wanted ? chosen_count++ : wanted;
        if (position == wanted) {
            if (value <= figure(&sites[chosen[wanted - 1]]))
                continue;
            position = wanted - 1;
        }
        while (position > 0 && figure(&sites[chosen[position - 1]]) < value) {
            chosen[position] = chosen[position - 1];
            position--;
        }
        chosen[position] = site;
    }
    return chosen_count;
}

/* The heap at its peak that no line holds (what was allocated before the lines were
 * kept from, by threads without the GIL, or with no Python frame running): rank 0. */
static void send_no_line(void)
{
    int64_t on_lines = 0;
    uint32_t count = __atomic_load_n(&site_count, __ATOMIC_ACQUIRE);
    for (uint32_t site = 1; site < count; site++)
        if (sites[site].peak_bytes > 0)  /* a moment's negative from freed_elsewhere */
            on_lines += sites[site].peak_bytes;
    struct mprof_site record;
    memset(&record, 0, offsetof(struct mprof_site, text) + 2);
    record.rank = 0;
    record.live_bytes = peak_heap_bytes > on_lines ? peak_heap_bytes - on_lines : 0;
    record.alloc_count = peak_heap_bytes > 0 ? (uint64_t)peak_heap_bytes : 0;
    uint32_t size = (uint32_t)(offsetof(struct mprof_site, text) + 2);
    mprof_record_header_init(&record.header, MPROF_RECORD_SITE, size, (int32_t)getpid());
    core->send(&record, size);
}

void sites_send(void)
{
    if (site_count <= 1)
        return;
    int64_t heap = core->process_live_bytes();
    if (heap > peak_heap_bytes)  /* the peak came after the last sample */
        sites_peak(heap);
    uint32_t chosen[TOP_SITES];
    uint32_t chosen_count = select_top(chosen, TOP_SITES, held_at_peak);
    for (uint32_t rank = 0; rank < chosen_count; rank++) {
        const struct site *entry = &sites[chosen[rank]];
        const PyCodeObject *code = (const PyCodeObject *)entry->code;
        struct mprof_site record;
        memset(&record, 0, offsetof(struct mprof_site, text));
        record.line = entry->line > 0 ? (uint32_t)entry->line : 0;
        record.rank = rank + 1;
        record.live_bytes = entry->peak_bytes;
        record.live_blocks = entry->peak_blocks > 0 ? (uint64_t)entry->peak_blocks : 0;
        record.alloc_count = entry->alloc_count;
        const char *function = ascii_text(cpython_code_qualname(code));
        const char *filename = ascii_text(code->co_filename);
        size_t room = sizeof(record.text);
        size_t function_length = strnlen(function, room / 4);
        size_t file_length = strnlen(filename, room - function_length - 2);
        memcpy(record.text, function, function_length);
        record.text[function_length] = '\0';
        memcpy(record.text + function_length + 1, filename, file_length);
        record.text[function_length + 1 + file_length] = '\0';
        uint32_t size = (uint32_t)(offsetof(struct mprof_site, text) + function_length + file_length + 2);
        mprof_record_header_init(&record.header, MPROF_RECORD_SITE, size, (int32_t)getpid());
        core->send(&record, size);
    }
    send_no_line();
}

int sites_active(void)
{
    return __atomic_load_n(&site_count, __ATOMIC_ACQUIRE) > 1 || sites[0].alloc_count > 0;
}

void sites_window_begin(void)
{
    current_window++;
}

uint32_t sites_window_top(uint32_t *chosen, uint32_t wanted)
{
    return select_top(chosen, wanted, allocated_in_window);
}

void sites_window_figures(uint32_t site, struct site_window_figures *figures)
{
    const struct site *entry = &sites[site < site_count ? site : 0];
    figures->code = entry->code;
    figures->line = entry->line;
    figures->alloc_bytes = allocated_in_window(entry);
    figures->alloc_count = entry->window == current_window ? entry->window_alloc_count : 0;
}
