/*
 * die.c — end in a chosen way, for the exit-status tests.
 *
 *   die kill     hold 8 MiB, sleep 1.2 s, SIGKILL itself        (mprof run exits 137)
 *   die abort    hold 8 MiB, sleep 0.3 s, abort()               (134)
 *   die exit N   hold 8 MiB, sleep 0.3 s, exit(N)               (N)
 *   die _exit N  hold 8 MiB, sleep 0.3 s, _exit(N): no atexit, no flush
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The block is never read: without a reference the compiler may see, a newer GCC drops
 * the malloc and the memset altogether, and no heap is held. */
char *volatile held_block;

static void sleep_seconds(double seconds)
{
    struct timespec span = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
    while (nanosleep(&span, &span) != 0)
        ;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: die kill|abort|exit N|_exit N\n");
        return 2;
    }
    size_t bytes = 8u << 20;
    char *block = malloc(bytes);
    if (block == NULL)
        return 1;
    memset(block, 1, bytes);
    held_block = block;
    if (strcmp(argv[1], "kill") == 0) {
        sleep_seconds(1.2);
        kill(getpid(), SIGKILL);
    }
    sleep_seconds(0.3);
    if (strcmp(argv[1], "abort") == 0)
        abort();
    int status = argc > 2 ? atoi(argv[2]) : 0;
    if (strcmp(argv[1], "_exit") == 0)
        _exit(status);
    exit(status);
}
