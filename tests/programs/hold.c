/*
 * hold.c — hold known heap sizes for known times, for the integration tests.
 *
 *   hold [MIB SECONDS]...      default: 64 1 16 1
 *
 * Sleeps 0.5 s first so the profile has a baseline, then for each pair allocates MIB MiB
 * with malloc (touched, so RSS follows), holds it SECONDS, and frees it before the next.
 * MIB 0 just sleeps. Nothing else allocates: the heap is the baseline plus the block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_seconds(double seconds)
{
    struct timespec span = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
    while (nanosleep(&span, &span) != 0)
        ;
}

int main(int argc, char **argv)
{
    static char *defaults[] = { "hold", "64", "1", "16", "1", NULL };
    if (argc < 3) {
        argv = defaults;
        argc = 5;
    }
    sleep_seconds(0.5);
    for (int i = 1; i + 1 < argc; i += 2) {
        size_t bytes = (size_t)(atof(argv[i]) * 1048576.0);
        char *block = NULL;
        if (bytes > 0) {
            block = malloc(bytes);
            if (block == NULL) {
                fprintf(stderr, "hold: cannot allocate %zu bytes\n", bytes);
                return 1;
            }
            memset(block, 1, bytes);
        }
        sleep_seconds(atof(argv[i + 1]));
        free(block);
    }
    return 0;
}
