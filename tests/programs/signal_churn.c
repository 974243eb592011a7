/*
 * signal_churn.c — allocations interrupted by a signal handler that allocates too, for
 * the integration tests.
 *
 *   signal_churn quiet|signals
 *
 * The main thread makes 4,000,000 malloc/free pairs of 32 bytes (a ring of 4 blocks:
 * after the first rounds glibc serves them from its per-thread cache alone, never
 * taking a lock); with `signals`, a SIGALRM every 50 us runs a handler that mallocs
 * and frees 48 bytes (another cache bin, so the two never share glibc's state). Every
 * block is freed: the heap at exit must be the same either way, to the byte, however
 * many times a handler ran inside the main thread's counting.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define RING_BLOCKS 4
#define PAIRS 4000000L

static volatile sig_atomic_t handler_runs;

static void allocate_in_handler(int signal_number)
{
    (void)signal_number;
    char *block = malloc(48);
    if (block != NULL)
        block[0] = 1;
    free(block);
    handler_runs++;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "quiet") != 0 && strcmp(argv[1], "signals") != 0)) {
        fprintf(stderr, "usage: signal_churn quiet|signals\n");
        return 2;
    }
    int with_signals = strcmp(argv[1], "signals") == 0;
    char *ring[RING_BLOCKS] = { 0 };
    unsigned long checksum = 0;
    if (with_signals) {
        struct sigaction action;
        memset(&action, 0, sizeof(action));
        action.sa_handler = allocate_in_handler;
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        struct itimerval every = { { 0, 50 }, { 0, 50 } };
        if (sigaction(SIGALRM, &action, NULL) != 0 || setitimer(ITIMER_REAL, &every, NULL) != 0) {
            perror("signal_churn: SIGALRM");
            return 1;
        }
    }
    for (long i = 0; i < PAIRS; i++) {
        int slot = (int)(i % RING_BLOCKS);
        free(ring[slot]);
        ring[slot] = malloc(32);
        if (ring[slot] == NULL) {
            fprintf(stderr, "signal_churn: out of memory\n");
            return 1;
        }
        ring[slot][0] = (char)i;
        checksum += (unsigned char)ring[slot][0];
    }
    if (with_signals) {
        struct itimerval stop = { { 0, 0 }, { 0, 0 } };
        setitimer(ITIMER_REAL, &stop, NULL);
    }
    for (int slot = 0; slot < RING_BLOCKS; slot++)
        free(ring[slot]);
    /* Said on stderr: the test compares the runs' stdout, which must not differ. */
    fprintf(stderr, "signal_churn: %ld handler runs\n", (long)handler_runs);
    printf("signal_churn: checksum %lu\n", checksum);
    return 0;
}
