/*
 * foreign.c — counting around an allocator whose blocks we cannot measure: mimalloc,
 * which PYTHONMALLOC=mimalloc (3.13+) puts under the PyMem MEM and OBJ domains (and
 * RAW, from 3.15).
 *
 * Its blocks come from its own mmap'd segments, so neither the malloc hooks nor the
 * slots see them, and it exports no way to ask a block's size. So each block made
 * through these hooks carries a 16-byte header in front (keeping the 16-byte alignment
 * CPython asks for): its requested size, and a tag, its own address mixed with this
 * process's secret. Blocks made before the hooks were on top (the interpreter's start-up,
 * before the entry point) have no header: the tag tells them apart (a false match needs
 * a 64-bit coincidence), and they are left out on both sides. Reading the 16 bytes in
 * front of such a block reads mimalloc's own segment (its blocks never start a mapping).
 * No state is shared between calls: any domain, GIL or not, any interpreter.
 */
#include <stdint.h>
#include <time.h>

#include "python.h"

#define FOREIGN_HEADER_BYTES 16

struct foreign_header {
    uint64_t tag;
    uint64_t size;
};

static uint64_t foreign_secret;

static inline uint64_t foreign_tag(const void *header)
{
    return (uint64_t)(uintptr_t)header ^ foreign_secret;
}

/* The header of `block` if we made it, else NULL. */
static inline struct foreign_header *foreign_header_of(void *block)
{
    if (block == NULL)
        return NULL;
    struct foreign_header *header =
        (struct foreign_header *)((char *)block - FOREIGN_HEADER_BYTES);
    return header->tag == foreign_tag(header) ? header : NULL;
}

/* Write the header of a new block of `size` bytes at `raw`; the block the caller gets. */
static inline void *foreign_made(void *raw, size_t size)
{
    if (raw == NULL)
        return NULL;
    struct foreign_header *header = raw;
    header->tag = foreign_tag(header);
    header->size = size;
    count_pool_alloc(size);
    return (char *)raw + FOREIGN_HEADER_BYTES;
}

static void *foreign_malloc(void *ctx, size_t size)
{
    struct pymem_domain *domain = ctx;
    if (size > SIZE_MAX - FOREIGN_HEADER_BYTES)
        return NULL;
    return foreign_made(domain->next.malloc(domain->next.ctx, size + FOREIGN_HEADER_BYTES),
                        size);
}

static void *foreign_calloc(void *ctx, size_t count, size_t size)
{
    struct pymem_domain *domain = ctx;
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes) || bytes > SIZE_MAX - FOREIGN_HEADER_BYTES)
        return NULL;
    /* One element of the header's size and the rest: calloc zeroes it all. */
    return foreign_made(domain->next.calloc(domain->next.ctx, 1, bytes + FOREIGN_HEADER_BYTES),
                        bytes);
}

static void *foreign_realloc(void *ctx, void *block, size_t size)
{
    struct pymem_domain *domain = ctx;
    struct foreign_header *header = foreign_header_of(block);
    if (block != NULL && header == NULL) /* from before the hooks: it stays uncounted */
        return domain->next.realloc(domain->next.ctx, block, size);
    if (header == NULL)
        return foreign_malloc(ctx, size);
    if (size > SIZE_MAX - FOREIGN_HEADER_BYTES)
        return NULL;
    uint64_t old_size = header->size;
    /* Untagged while it moves: once realloc returns, its old place may be anyone's. */
    header->tag = 0;
    void *moved = domain->next.realloc(domain->next.ctx, header, size + FOREIGN_HEADER_BYTES);
    if (moved == NULL) {
        header->tag = foreign_tag(header); /* the old block stands as it was */
        return NULL;
    }
    count_pool_free(old_size);
    return foreign_made(moved, size);
}

static void foreign_free(void *ctx, void *block)
{
    struct pymem_domain *domain = ctx;
    struct foreign_header *header = foreign_header_of(block);
    if (header == NULL) {
        domain->next.free(domain->next.ctx, block);
        return;
    }
    count_pool_free(header->size);
    header->tag = 0;
    domain->next.free(domain->next.ctx, header);
}

const struct py_mem_allocator foreign_allocator = {
    .malloc = foreign_malloc,
    .calloc = foreign_calloc,
    .realloc = foreign_realloc,
    .free = foreign_free,
};

void foreign_init(void)
{
    /* Only to make a false match unlikely, not secret from the program: the clock and
     * where ASLR put us, mixed (not AT_RANDOM, which glibc's own guards are made of). */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t secret = ((uint64_t)now.tv_nsec << 32) ^ (uint64_t)now.tv_sec ^
                      (uint64_t)(uintptr_t)&foreign_secret;
    secret = (secret ^ (secret >> 31)) * 0x9e3779b97f4a7c15ull;
    foreign_secret = secret | 1; /* odd: a zeroed header never matches an even address */
}
