/*
 * forker.c — a parent and one forked child with known, different heaps.
 *
 * The parent allocates nothing large before the fork, so the child starts with a
 * near-empty heap whichever way the profiler treats inherited blocks. Then:
 *   child:  32 MiB held 1.0 s, freed, exit(0)
 *   parent:  8 MiB held until the child is reaped, then 0.3 s more
 * Exit status: the child's (0 when all went well).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_seconds(double seconds)
{
    struct timespec span = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
    while (nanosleep(&span, &span) != 0)
        ;
}

static char *hold_mib(size_t mib)
{
    char *block = malloc(mib << 20);
    if (block == NULL) {
        fprintf(stderr, "forker: cannot allocate %zu MiB\n", mib);
        exit(1);
    }
    memset(block, 1, mib << 20);
    return block;
}

int main(void)
{
    sleep_seconds(0.3);
    pid_t child = fork();
    if (child < 0) {
        perror("forker: fork");
        return 1;
    }
    if (child == 0) {
        char *block = hold_mib(32);
        sleep_seconds(1.0);
        free(block);
        exit(0);
    }
    char *block = hold_mib(8);
    int status = 0;
    if (waitpid(child, &status, 0) < 0) {
        perror("forker: waitpid");
        return 1;
    }
    sleep_seconds(0.3);
    free(block);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
