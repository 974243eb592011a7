/*
 * arena.c — the library's own memory, which never comes from malloc.
 *
 * The boot arena serves the few allocations made before the real allocator is known:
 * dlsym(RTLD_NEXT, ...) itself calls calloc (a failed lookup mallocs ~96 bytes). Those
 * blocks are never freed to the real allocator, which never saw them; free() recognises
 * them by address and ignores them.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "core.h"

#define BOOT_ARENA_BYTES (64 * 1024)

static _Alignas(64) unsigned char boot_arena[BOOT_ARENA_BYTES];
static size_t boot_arena_used;

void *arena_boot_alloc(size_t size)
{
    size_t rounded = (size + 15) & ~(size_t)15;
    if (rounded < size)
        return NULL;
    size_t offset = __atomic_fetch_add(&boot_arena_used, rounded, __ATOMIC_RELAXED);
    if (offset + rounded > BOOT_ARENA_BYTES || offset + rounded < offset)
        return NULL;
    return boot_arena + offset;
}

int arena_boot_contains(const void *pointer)
{
    const unsigned char *byte = pointer;
    return byte >= boot_arena && byte < boot_arena + BOOT_ARENA_BYTES;
}

void *arena_pages_alloc(size_t size)
{
    void *pages = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return pages == MAP_FAILED ? NULL : pages;
}

void arena_pages_free(void *pages, size_t size)
{
    if (pages != NULL)
        munmap(pages, size);
}
