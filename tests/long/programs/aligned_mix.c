/*
 * aligned_mix.c — every aligned allocator of glibc mixed with realloc and free, for
 * the stress suite (tests/long/).
 *
 *   aligned_mix keep|free
 *
 * 20,000 rounds over a ring of 256 slots: each round frees a slot's block and gets a
 * new one from memalign, valloc, pvalloc, aligned_alloc, posix_memalign, malloc or
 * calloc (alignments 8 .. 64 KiB), checks its alignment, writes its first and last
 * byte, and then grows or shrinks some of them with realloc (which keeps the bytes,
 * checked). The program then ends as finish.h says, the last round's 256 blocks still
 * live (the sizes asked for are summed, and said): after its line, it asks for
 * RING_PEAK_BYTES more, untouched, frees it and the ring. That moment is the heap's
 * peak: the heap at exit plus the ring plus RING_PEAK_BYTES, to the byte, whatever
 * each allocator rounds its blocks up to.
 */
#include <malloc.h>
#include <stdint.h>
#include <unistd.h>

#include "finish.h"

#define RING 256
#define ROUNDS 20000
#define RING_PEAK_BYTES 600000011L

static int misaligned;
static unsigned char *ring[RING];

/* finish.h's last step: the peak over the ring, then the ring freed. */
static void release_ring(void)
{
    char *peak = malloc((size_t)RING_PEAK_BYTES);
    if (peak == NULL) {
        fprintf(stderr, "aligned_mix: cannot allocate the peak block\n");
        exit(1);
    }
    peak[0] = 1;
    free(peak);
    for (int slot = 0; slot < RING; slot++)
        free(ring[slot]);
}

/* A block of at least *size bytes from one of the allocators (chosen by i); *size
 * becomes what the program holds: aligned_alloc's size is rounded up to a multiple of
 * its alignment first, and pvalloc gives (and the program holds) whole pages. */
static void *aligned_block(long i, size_t *size_io, size_t *alignment)
{
    size_t size = *size_io;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    *alignment = (size_t)8 << (i % 14); /* 8 B .. 64 KiB */
    void *block = NULL;
    switch (i % 7) {
    case 0:
        block = memalign(*alignment, size);
        break;
    case 1:
        *alignment = page;
        block = valloc(size);
        break;
    case 2:
        *alignment = page;
        size = (size + page - 1) / page * page;
        block = pvalloc(size);
        break;
    case 3:
        size = (size + *alignment - 1) / *alignment * *alignment;
        block = aligned_alloc(*alignment, size);
        break;
    case 4:
        if (posix_memalign(&block, *alignment, size) != 0)
            block = NULL;
        break;
    case 5:
        *alignment = 16;
        block = malloc(size);
        break;
    default:
        *alignment = 16;
        block = calloc(size, 1);
        break;
    }
    *size_io = size;
    return block;
}

int main(int argc, char **argv)
{
    int keep = finish_mode(argc, argv);
    if (keep < 0 || argc != 2) {
        fprintf(stderr, "usage: aligned_mix keep|free\n");
        return 2;
    }
    size_t sizes[RING] = { 0 };
    long reallocs = 0;
    for (long i = 0; i < ROUNDS * 4L; i++) {
        int slot = (int)(i * 37 % RING);
        free(ring[slot]);
        size_t size = 1 + (size_t)(i * 131 % 20000), alignment;
        unsigned char *block = aligned_block(i, &size, &alignment);
        if (block == NULL) {
            fprintf(stderr, "aligned_mix: round %ld: no block\n", i);
            return 1;
        }
        misaligned += (uintptr_t)block % alignment != 0;
        block[0] = (unsigned char)i;
        block[size - 1] = (unsigned char)(i >> 3);
        if (i % 5 == 0) {
            size_t new_size = i % 10 == 0 ? size * 3 : size / 2 + 1;
            unsigned char first = block[0];
            unsigned char *moved = realloc(block, new_size);
            if (moved == NULL) {
                fprintf(stderr, "aligned_mix: realloc failed\n");
                return 1;
            }
            misaligned += moved[0] != first;
            block = moved;
            size = new_size;
            block[size - 1] = 1;
            reallocs++;
        }
        ring[slot] = block;
        sizes[slot] = size;
    }
    size_t ring_bytes = 0;
    for (int slot = 0; slot < RING; slot++)
        ring_bytes += sizes[slot];
    finish_last = release_ring;
    char result[160];
    snprintf(result, sizeof(result), "aligned_mix: %d rounds, %ld reallocs, %d misaligned; ring of %zu bytes under a peak of %ld",
             ROUNDS * 4, reallocs, misaligned, ring_bytes, RING_PEAK_BYTES);
    finish_and_exit(result, keep, misaligned ? 1 : 0);
}
