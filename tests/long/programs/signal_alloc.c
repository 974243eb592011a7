/*
 * signal_alloc.c — a SIGALRM every 50 us whose handler allocates, while the main loop
 * churns the allocator, for the stress suite (tests/long/).
 *
 *   signal_alloc keep|free
 *
 * The main loop makes 30,000,000 rounds over a ring of 32 blocks (malloc, realloc,
 * calloc, free; 8 .. 120 B). The handler, run thousands of times inside those calls'
 * counting, mallocs and frees a scratch block of 800 B and keeps exactly one block of
 * 400 B in a slot it swaps (freed at the end). glibc's malloc is not async-signal-safe:
 * the handler stays within its per-thread cache, in bins the main loop never uses
 * (sizes far apart, with room for a profiler's header), warmed before the timer starts,
 * so that it never reaches the arena the main loop may be inside. The program then
 * ends as finish.h says. The number of handler runs varies: it goes to stderr, which
 * the test does not compare.
 */
#include <signal.h>
#include <sys/time.h>

#include "finish.h"

#define RING 32
#define ROUNDS 30000000L

static volatile sig_atomic_t handler_runs;
static char *volatile handler_slot;

static void allocate_in_handler(int signal_number)
{
    (void)signal_number;
    char *scratch = malloc(800);
    if (scratch != NULL)
        scratch[0] = 1;
    free(scratch);
    char *fresh = malloc(400);
    if (fresh != NULL) {
        fresh[0] = 2;
        free(handler_slot);
        handler_slot = fresh;
    }
    handler_runs++;
}

int main(int argc, char **argv)
{
    int keep = finish_mode(argc, argv);
    if (keep < 0 || argc != 2) {
        fprintf(stderr, "usage: signal_alloc keep|free\n");
        return 2;
    }
    /* The handler's cache bins hold blocks before its first run. */
    void *warm[3] = { malloc(800), malloc(400), malloc(400) };
    for (int i = 0; i < 3; i++)
        free(warm[i]);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = allocate_in_handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    struct itimerval every = { { 0, 50 }, { 0, 50 } };
    if (sigaction(SIGALRM, &action, NULL) != 0 || setitimer(ITIMER_REAL, &every, NULL) != 0) {
        perror("signal_alloc: SIGALRM");
        return 1;
    }
    char *ring[RING] = { 0 };
    unsigned long checksum = 0;
    for (long i = 0; i < ROUNDS; i++) {
        int slot = (int)(i % RING);
        size_t size = 8 + (size_t)(i * 7 % 113);
        switch (i % 3) {
        case 0:
            free(ring[slot]);
            ring[slot] = malloc(size);
            break;
        case 1: {
            char *grown = realloc(ring[slot], size);
            if (grown == NULL)
                free(ring[slot]);
            ring[slot] = grown;
            break;
        }
        default:
            free(ring[slot]);
            ring[slot] = calloc(1, size);
            break;
        }
        if (ring[slot] == NULL) {
            fprintf(stderr, "signal_alloc: out of memory\n");
            return 1;
        }
        ring[slot][0] = (char)i;
        checksum += (unsigned char)ring[slot][0];
    }
    struct itimerval stop = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &stop, NULL);
    for (int slot = 0; slot < RING; slot++)
        free(ring[slot]);
    free(handler_slot);
    fprintf(stderr, "signal_alloc: %ld handler runs\n", (long)handler_runs);
    char result[96];
    snprintf(result, sizeof(result), "signal_alloc: %ld rounds, checksum %lu", ROUNDS, checksum);
    finish_and_exit(result, keep, 0);
}
