/*
 * heap_vs_rss.c — the C example of `make demo`: where the heap and RSS part ways.
 *
 *   heap_vs_rss [STEP_MIB [STEPS]]          default: 16 MiB, 4 steps
 *
 * Three acts, each a quarter of a second per step so that samples see them:
 *   1. STEPS blocks of STEP_MIB are malloc'd and never touched: the heap climbs by each
 *      block at once, RSS stays flat (the kernel has given no page yet);
 *   2. each block is written: RSS climbs to meet the heap;
 *   3. every other block is freed, then the rest: the heap falls by each block at once,
 *      RSS falls with it (blocks this large are given back to the kernel).
 * The profile ends where it began: mprof's heap line shows the program's own view
 * (bytes asked for), RSS the kernel's (pages touched).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STEPS 64

static void pause_quarter_second(void)
{
    struct timespec quarter = { 0, 250000000L };
    while (nanosleep(&quarter, &quarter) != 0)
        ;
}

static long parse_count(const char *text, long low, long high, const char *what)
{
    char *end;
    long value = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value < low || value > high) {
        fprintf(stderr, "heap_vs_rss: %s %s: not a whole number from %ld to %ld\n", what,
                text, low, high);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv)
{
    long step_mib = argc > 1 ? parse_count(argv[1], 1, 1024, "STEP_MIB") : 16;
    long steps = argc > 2 ? parse_count(argv[2], 1, MAX_STEPS, "STEPS") : 4;
    size_t step_bytes = (size_t)step_mib << 20;
    char *blocks[MAX_STEPS];

    pause_quarter_second();
    for (long i = 0; i < steps; i++) {      /* 1: asked for, not touched */
        blocks[i] = malloc(step_bytes);
        if (blocks[i] == NULL) {
            fprintf(stderr, "heap_vs_rss: out of memory at block %ld\n", i + 1);
            return 1;
        }
        pause_quarter_second();
    }
    for (long i = 0; i < steps; i++) {      /* 2: touched, page by page */
        memset(blocks[i], (int)i + 1, step_bytes);
        pause_quarter_second();
    }
    unsigned long checksum = 0;
    for (long i = 0; i < steps; i++)
        checksum += (unsigned char)blocks[i][step_bytes - 1];
    for (long pass = 0; pass < 2; pass++) { /* 3: every other block, then the rest */
        for (long i = pass; i < steps; i += 2) {
            free(blocks[i]);
            pause_quarter_second();
        }
    }
    printf("heap_vs_rss: %ld blocks of %ld MiB, checksum %lu\n", steps, step_mib, checksum);
    return 0;
}
