/*
 * finish.h — how every stress program of tests/long/ ends, so that the heap mprof
 * records at its exit is known to the byte.
 *
 * After its stress, with every block of the stress freed, a program calls
 * finish_and_exit(name, keep, status):
 *   - with keep, it allocates the kept set: FINISH_KEPT_BLOCKS blocks from malloc,
 *     calloc, realloc and aligned_alloc, FINISH_KEPT_BYTES in all, live at exit;
 *     without, nothing;
 *   - it prints its one result line (stdio's buffer is allocated then, in both runs);
 *   - it calls finish_last, when the program set it: a program that holds a known set
 *     (say N bytes) there asks for more (M bytes, above FINISH_PEAK_BYTES + N) and
 *     frees all of it, so that its peak is the heap at exit plus N + M;
 *   - it asks for FINISH_PEAK_BYTES more (never touched, so no RSS) and frees it.
 * So the heap at exit of the keep run is FINISH_KEPT_BYTES above the free run's, and
 * in each run the heap peak is the heap at exit plus FINISH_PEAK_BYTES (or N + M):
 * the test asserts both, exactly, from the .dat. A header of static functions: each program
 * is one file; C++ includes it too.
 */
#ifndef MPROF_LONG_FINISH_H
#define MPROF_LONG_FINISH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FINISH_KEPT_BLOCKS 100
/* Block i (0..99) asks for 1000 + 37 * i bytes: 100 * 1000 + 37 * 4950. */
#define FINISH_KEPT_BYTES (100L * 1000 + 37L * 4950)
#define FINISH_PEAK_BYTES 300000007L

static void *finish_kept[FINISH_KEPT_BLOCKS];
/* Run after the result line is printed, before the peak block (see above). */
static void (*finish_last)(void);

/* The kept set: four allocators in turn, each block written so it is really used. */
static void finish_keep(void)
{
    for (int i = 0; i < FINISH_KEPT_BLOCKS; i++) {
        size_t size = 1000 + 37 * (size_t)i;
        void *block = NULL;
        switch (i % 4) {
        case 0:
            block = malloc(size);
            break;
        case 1:
            block = calloc(1, size);
            break;
        case 2:
            block = realloc(malloc(size / 2), size);
            break;
        default:
            /* aligned_alloc wants a multiple of the alignment: 1000 + 37 i is one of
             * 8 when i is a multiple of 8; otherwise the alignment is 1. */
            block = aligned_alloc(size % 8 == 0 ? 8 : 1, size);
            break;
        }
        if (block == NULL) {
            fprintf(stderr, "finish: cannot allocate %zu bytes\n", size);
            exit(1);
        }
        memset(block, i, size);
        finish_kept[i] = block;
    }
}

/* Ends the program as the header says: never returns. */
static void finish_and_exit(const char *result, int keep, int status)
{
    if (keep)
        finish_keep();
    printf("%s; kept %ld bytes\n", result, keep ? FINISH_KEPT_BYTES : 0L);
    fflush(stdout);
    if (finish_last != NULL)
        finish_last();
    char *peak = (char *)malloc((size_t)FINISH_PEAK_BYTES);
    if (peak == NULL) {
        fprintf(stderr, "finish: cannot allocate the peak block\n");
        exit(1);
    }
    peak[0] = 1;
    free(peak);
    exit(status);
}

/* Whether argv[1] is keep (1), free (0), or neither (-1: the caller prints its usage). */
static int finish_mode(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "keep") == 0)
        return 1;
    if (argc >= 2 && strcmp(argv[1], "free") == 0)
        return 0;
    return -1;
}

#endif
