/*
 * hooks.c — the malloc family, interposed: guard, count, forward.
 *
 * How freed sizes are known, exactly: every block we hand out carries a 16-byte header
 * just below the pointer, written by us, holding the size the program asked for. free()
 * reads it back, so the live heap is the sum of requested sizes, to the byte, for
 * blocks of any size and any allocator underneath (glibc, or jemalloc when the program
 * brings it). The header also keeps the distance to the real allocation (aligned
 * blocks sit further in) and a check word tying it to its pointer: a pointer we never
 * handed out (allocated before we were loaded, or by a library that calls the real
 * allocator directly) fails the check and is forwarded untouched and uncounted.
 *
 * Hot path: one TLS load for the thread's counter block, two plain adds, the header
 * stores, and the call through. No locks, no syscalls, no atomics read-modify-write.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../wire/wire.h"
#include "core.h"

#define HEADER_BYTES        16
#define OFFSET_UNCOUNTED    0x80000000u  /* allocated by the library itself: not counted */
#define OFFSET_SITED        0x40000000u  /* the block listener took it: tell it of the free */
#define OFFSET_MASK         0x3fffffffu  /* the offset, in 16-byte units */
#define MAX_ALIGNMENT       ((size_t)1 << 33)

struct block_header {
    uint64_t requested;  /* what the program asked for */
    uint32_t offset;     /* (user pointer - real block) / 16; OFFSET_UNCOUNTED on top */
    uint32_t check;      /* header_check(user, requested, offset) */
};
_Static_assert(sizeof(struct block_header) == HEADER_BYTES, "header is 16 bytes");

static struct {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    void *(*memalign)(size_t, size_t);
    size_t (*usable_size)(void *);
} next_allocator;

static int hooks_ready;
static __thread int tls_resolving TLS_INITIAL_EXEC;
/* Set by a layer above while it waits for something only an allocation can show it
 * (hooks_set_watch). */
static hooks_watch_function watch_function;
/* Set by a layer above that wants to hear of every counted block (hooks_set_block_listener). */
static const struct hooks_block_listener *block_listener;
/* Why the fast paths are not to be taken, one bit a reason, set and cleared each with
 * one atomic operation (two threads changing two reasons cannot lose either): the one
 * word the fast paths test, so that the rare cases cost a plain run a single load. */
#define SLOW_NOT_RESOLVED 1u
#define SLOW_WATCH        2u
#define SLOW_LISTENER     4u
static unsigned slow_reasons = SLOW_NOT_RESOLVED;

static void slow_reason(unsigned reason, int on)
{
    if (on)
        __atomic_fetch_or(&slow_reasons, reason, __ATOMIC_ACQ_REL);
    else
        __atomic_fetch_and(&slow_reasons, ~reason, __ATOMIC_ACQ_REL);
}

void hooks_set_watch(hooks_watch_function watch)
{
    __atomic_store_n(&watch_function, watch, __ATOMIC_RELEASE);
    slow_reason(SLOW_WATCH, watch != NULL);
}

void hooks_set_block_listener(const struct hooks_block_listener *listener)
{
    __atomic_store_n(&block_listener, listener, __ATOMIC_RELEASE);
    slow_reason(SLOW_LISTENER, listener != NULL);
}

/* Ties a header to its own pointer. A block that is not ours has, where our header
 * would be, whatever its allocator keeps there (glibc: the chunk's size words), which
 * matches this only by a 1-in-2^32 accident; cheap, because every malloc and free pays
 * for it. */
static inline uint32_t header_check(const void *user, uint64_t requested, uint32_t offset)
{
    return ((uint32_t)((uintptr_t)user >> 4) ^ (uint32_t)requested ^ (offset << 16)) ^
           0x4d505246u;
}

static inline struct block_header *header_of(void *user)
{
    return (struct block_header *)((char *)user - HEADER_BYTES);
}

static inline int header_is_ours(void *user, const struct block_header *header)
{
    return header->check == header_check(user, header->requested, header->offset);
}

int hooks_resolve(void)
{
    if (hooks_ready)
        return 0;
    /* dlsym allocates: those calls come back into our hooks and are served from the
     * boot arena while this thread is resolving. */
    tls_resolving = 1;
    next_allocator.malloc = dlsym(RTLD_NEXT, "malloc");
    next_allocator.calloc = dlsym(RTLD_NEXT, "calloc");
    next_allocator.realloc = dlsym(RTLD_NEXT, "realloc");
    next_allocator.free = dlsym(RTLD_NEXT, "free");
    next_allocator.memalign = dlsym(RTLD_NEXT, "memalign");
    next_allocator.usable_size = dlsym(RTLD_NEXT, "malloc_usable_size");
    tls_resolving = 0;
    if (!next_allocator.malloc || !next_allocator.calloc || !next_allocator.realloc ||
        !next_allocator.free || !next_allocator.memalign) {
        diag("cannot find the next malloc family (dlsym RTLD_NEXT); aborting");
        abort();
    }
    __atomic_store_n(&hooks_ready, 1, __ATOMIC_RELEASE);
    slow_reason(SLOW_NOT_RESOLVED, 0);
    return 0;
}

/* Count one new block; returns the offset flag to store (uncounted inside library). */
static inline uint32_t count_alloc(uint64_t requested)
{
    if (UNLIKELY(tls_in_library))
        return OFFSET_UNCOUNTED;
    struct thread_stats *stats = stats_this_thread();
    stats_count_alloc(stats, &stats->malloc_alloc_bytes, requested);
    return 0;
}

static inline void count_free(uint64_t requested)
{
    struct thread_stats *stats = stats_this_thread();
    stats_count_free(stats, &stats->malloc_free_bytes, requested);
}

static inline size_t header_offset_bytes(uint32_t stored_offset)
{
    return (size_t)(stored_offset & OFFSET_MASK) << 4;
}

static inline void *finish_block(void *base, size_t offset, uint64_t requested)
{
    char *user = (char *)base + offset;
    struct block_header *header = header_of(user);
    uint32_t stored_offset = (uint32_t)(offset >> 4) | count_alloc(requested);
    header->requested = requested;
    header->offset = stored_offset;
    header->check = header_check(user, requested, stored_offset);
    return user;
}

/* finish_block, off the fast paths: a block listener may take the counted block, which
 * its header then says, so that free tells the listener too. */
static void *finish_block_heard(void *base, size_t offset, uint64_t requested)
{
    char *user = finish_block(base, offset, requested);
    const struct hooks_block_listener *listener = __atomic_load_n(&block_listener, __ATOMIC_ACQUIRE);
    struct block_header *header = header_of(user);
    if (listener != NULL && !(header->offset & OFFSET_UNCOUNTED) &&
        listener->allocated(user, requested)) {
        header->offset |= OFFSET_SITED;
        header->check = header_check(user, requested, header->offset);
    }
    return user;
}

/* A counted block is going back (freed, or moved by realloc): its listener hears it. */
static void block_leaving(void *user, const struct block_header *header)
{
    const struct hooks_block_listener *listener = __atomic_load_n(&block_listener, __ATOMIC_ACQUIRE);
    if ((header->offset & OFFSET_SITED) && listener != NULL)
        listener->freed(user, header->requested);
}

/* Before the real allocator is known: the boot arena (resolving thread) or resolve. */
static void *early_alloc(size_t size, int *served)
{
    *served = 0;
    if (!tls_resolving) {
        hooks_resolve();
        return NULL;
    }
    *served = 1;
    if (size > SIZE_MAX - HEADER_BYTES)
        return NULL;
    void *base = arena_boot_alloc(size + HEADER_BYTES);
    if (base == NULL)
        return NULL;
    char *user = (char *)base + HEADER_BYTES;
    struct block_header *header = header_of(user);
    header->requested = size;
    header->offset = (HEADER_BYTES >> 4) | OFFSET_UNCOUNTED;
    header->check = header_check(user, size, header->offset);
    return user; /* boot memory is static and never reused: already zero */
}

/* malloc's rare work, kept out of its hot path: before the real allocator is known,
 * and while a watch function is set. Then the allocation itself. */
static __attribute__((noinline, cold)) void *malloc_slow_path(size_t size)
{
    if (!hooks_ready) {
        int served;
        void *user = early_alloc(size, &served);
        if (served)
            return user;
    }
    hooks_watch_function watch = __atomic_load_n(&watch_function, __ATOMIC_ACQUIRE);
    if (watch != NULL)
        watch();
    if (size > SIZE_MAX - HEADER_BYTES) {
        errno = ENOMEM;
        return NULL;
    }
    void *base = next_allocator.malloc(size + HEADER_BYTES);
    return base == NULL ? NULL : finish_block_heard(base, HEADER_BYTES, size);
}

MPROF_EXPORT void *malloc(size_t size)
{
    /* One test for every rare case: not yet resolved, a watch function or a block
     * listener set, or a size whose header would overflow (all in malloc_slow_path). */
    if (UNLIKELY((slow_reasons != 0) | (size > SIZE_MAX - HEADER_BYTES)))
        return malloc_slow_path(size);
    void *base = next_allocator.malloc(size + HEADER_BYTES);
    if (UNLIKELY(base == NULL))
        return NULL;
    return finish_block(base, HEADER_BYTES, size);
}

MPROF_EXPORT void *calloc(size_t count, size_t size)
{
    size_t total;
    if (UNLIKELY(__builtin_mul_overflow(count, size, &total) ||
                 total > SIZE_MAX - HEADER_BYTES)) {
        errno = ENOMEM;
        return NULL;
    }
    if (UNLIKELY(slow_reasons != 0)) {
        if (!hooks_ready) {
            int served;
            void *user = early_alloc(total, &served);
            if (served)
                return user;
        }
        void *base = next_allocator.calloc(1, total + HEADER_BYTES);
        return base == NULL ? NULL : finish_block_heard(base, HEADER_BYTES, total);
    }
    void *base = next_allocator.calloc(1, total + HEADER_BYTES);
    if (UNLIKELY(base == NULL))
        return NULL;
    return finish_block(base, HEADER_BYTES, total);
}

MPROF_EXPORT void free(void *user)
{
    if (UNLIKELY(user == NULL))
        return;
    struct block_header *header = header_of(user);
    if (UNLIKELY(!header_is_ours(user, header))) {
        if (UNLIKELY(!hooks_ready))
            hooks_resolve();
        next_allocator.free(user);
        return;
    }
    uint32_t offset = header->offset;
    if (LIKELY(!(offset & (OFFSET_UNCOUNTED | OFFSET_SITED)))) {
        count_free(header->requested);
    } else if (offset & OFFSET_SITED) {
        block_leaving(user, header);
        count_free(header->requested);
    } else if (arena_boot_contains(user)) {
        return; /* boot blocks carry our header, uncounted, and are never given back:
                 * asked only here, off the counted blocks' path */
    }
    /* Spoil the check so a double free is forwarded as-is and the real allocator's own
     * double-free detection sees it, instead of us counting it twice. */
    header->check ^= 1;
    next_allocator.free((char *)user - header_offset_bytes(offset));
}

static void *aligned_block(size_t alignment, size_t size)
{
    if (alignment <= HEADER_BYTES)
        return malloc(size);
    if (UNLIKELY(!hooks_ready))
        hooks_resolve();
    if (alignment > MAX_ALIGNMENT || size > SIZE_MAX - alignment) {
        errno = ENOMEM;
        return NULL;
    }
    /* The header sits in the alignment gap below the aligned user pointer. */
    void *base = next_allocator.memalign(alignment, size + alignment);
    if (base == NULL)
        return NULL;
    return UNLIKELY(slow_reasons != 0) ? finish_block_heard(base, alignment, size)
                                  : finish_block(base, alignment, size);
}

static int is_power_of_two(size_t value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

MPROF_EXPORT void *realloc(void *user, size_t size)
{
    if (user == NULL)
        return malloc(size);
    if (UNLIKELY(arena_boot_contains(user))) {
        void *moved = malloc(size);
        if (moved != NULL) {
            uint64_t old = header_of(user)->requested;
            memcpy(moved, user, old < size ? old : size);
        }
        return moved;
    }
    struct block_header *header = header_of(user);
    if (UNLIKELY(!header_is_ours(user, header))) {
        if (UNLIKELY(!hooks_ready))
            hooks_resolve();
        return next_allocator.realloc(user, size);
    }
    if (size == 0) { /* glibc: realloc(p, 0) frees p and returns NULL */
        free(user);
        return NULL;
    }
    uint64_t old_requested = header->requested;
    uint32_t old_offset = header->offset;
    if (header_offset_bytes(old_offset) != HEADER_BYTES) {
        /* An aligned block: the real realloc would not keep the alignment. The program
         * may have used all of the block's usable size, so all of that moves. */
        size_t old_usable = malloc_usable_size(user);
        void *moved = malloc(size);
        if (moved == NULL)
            return NULL;
        memcpy(moved, user, old_usable < size ? old_usable : size);
        free(user);
        return moved;
    }
    if (UNLIKELY(size > SIZE_MAX - HEADER_BYTES)) {
        errno = ENOMEM;
        return NULL;
    }
    if (UNLIKELY(old_offset & OFFSET_SITED)) {
        /* Its listener hears the old block leave before the real realloc, which may
         * hand the address to another thread's malloc at once. */
        block_leaving(user, header);
        header->offset = old_offset & ~OFFSET_SITED;
        header->check = header_check(user, old_requested, header->offset);
        old_offset = header->offset;
    }
    void *base = next_allocator.realloc((char *)user - HEADER_BYTES, size + HEADER_BYTES);
    if (UNLIKELY(base == NULL))
        return NULL; /* the old block is untouched and still counted (on no line now) */
    if (!(old_offset & OFFSET_UNCOUNTED))
        count_free(old_requested);
    return UNLIKELY(slow_reasons != 0) ? finish_block_heard(base, HEADER_BYTES, size)
                                  : finish_block(base, HEADER_BYTES, size);
}

MPROF_EXPORT void *reallocarray(void *user, size_t count, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(user, total);
}

MPROF_EXPORT int posix_memalign(void **result, size_t alignment, size_t size)
{
    if (!is_power_of_two(alignment) || alignment % sizeof(void *) != 0)
        return EINVAL;
    int saved_errno = errno;
    void *user = aligned_block(alignment, size);
    if (user == NULL) {
        errno = saved_errno;
        return ENOMEM;
    }
    *result = user;
    return 0;
}

/* As glibc 2.36's memalign (which its aligned_alloc also is): an alignment up to 16
 * is malloc's; one that is not a power of two rounds up; one over SIZE_MAX/2+1 is
 * EINVAL. */
MPROF_EXPORT void *memalign(size_t alignment, size_t size)
{
    if (alignment <= HEADER_BYTES)
        return malloc(size);
    if (alignment > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    size_t rounded = HEADER_BYTES * 2;
    while (rounded < alignment)
        rounded <<= 1;
    return aligned_block(rounded, size);
}

MPROF_EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
    return memalign(alignment, size);
}

MPROF_EXPORT void *valloc(size_t size)
{
    return aligned_block((size_t)sysconf(_SC_PAGESIZE), size);
}

MPROF_EXPORT void *pvalloc(size_t size)
{
    /* pvalloc hands out whole pages; the program may use them all, so count them. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded = size == 0 ? page : (size + page - 1) & ~(page - 1);
    if (rounded < size) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned_block(page, rounded);
}

MPROF_EXPORT size_t malloc_usable_size(void *user)
{
    if (user == NULL)
        return 0;
    if (arena_boot_contains(user))
        return header_of(user)->requested;
    struct block_header *header = header_of(user);
    if (UNLIKELY(!hooks_ready))
        hooks_resolve();
    if (next_allocator.usable_size == NULL)
        return header_is_ours(user, header) ? header->requested : 0;
    if (!header_is_ours(user, header))
        return next_allocator.usable_size(user);
    size_t offset = header_offset_bytes(header->offset);
    return next_allocator.usable_size((char *)user - offset) - offset;
}
