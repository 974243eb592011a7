/*
 * churn.c — threads churning malloc/free: the C workload of `make bench`.
 *
 *   churn [THREADS [PAIRS [MAX_SIZE]]]      default: 2 threads, 10,000,000 pairs, 256 B
 *
 * PAIRS malloc/free pairs in total, split evenly over THREADS threads, all running at
 * once. Each thread keeps a ring of 64 live blocks (1..MAX_SIZE bytes) and replaces one
 * per step, so the compiler cannot drop the pairs and the live heap stays small and
 * flat: the cost measured is the allocator's front door, which is what a profiler that
 * interposes malloc adds to. Everything is freed before exit.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define RING_SLOTS 64

struct churn_job {
    unsigned long pairs;
    unsigned long max_size;
    unsigned long checksum; /* read by main so the writes to the blocks stay live */
};

static void *churn_thread(void *arg)
{
    struct churn_job *job = arg;
    char *ring[RING_SLOTS] = { 0 };
    uint32_t state = 2463534242u ^ (uint32_t)(uintptr_t)job;
    for (unsigned long i = 0; i < job->pairs; i++) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        unsigned slot = (unsigned)(i % RING_SLOTS);
        free(ring[slot]);
        ring[slot] = malloc(1 + state % job->max_size);
        if (ring[slot] == NULL) {
            fprintf(stderr, "churn: out of memory\n");
            exit(1);
        }
        ring[slot][0] = (char)state;
        job->checksum += (unsigned char)ring[slot][0];
    }
    for (unsigned slot = 0; slot < RING_SLOTS; slot++)
        free(ring[slot]);
    return NULL;
}

int main(int argc, char **argv)
{
    int thread_count = argc > 1 ? atoi(argv[1]) : 2;
    unsigned long pairs = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000000UL;
    unsigned long max_size = argc > 3 ? strtoul(argv[3], NULL, 10) : 256;
    if (thread_count < 1 || thread_count > 256 || max_size < 1) {
        fprintf(stderr, "usage: churn [THREADS(1-256) [PAIRS [MAX_SIZE]]]\n");
        return 2;
    }
    pthread_t threads[256];
    struct churn_job jobs[256];
    for (int i = 0; i < thread_count; i++) {
        jobs[i].pairs = pairs / (unsigned long)thread_count +
                        ((unsigned long)i < pairs % (unsigned long)thread_count);
        jobs[i].max_size = max_size;
        jobs[i].checksum = 0;
        if (pthread_create(&threads[i], NULL, churn_thread, &jobs[i]) != 0) {
            fprintf(stderr, "churn: cannot start thread %d\n", i);
            return 1;
        }
    }
    unsigned long checksum = 0;
    for (int i = 0; i < thread_count; i++) {
        pthread_join(threads[i], NULL);
        checksum += jobs[i].checksum;
    }
    /* Printed only when asked, so the bench times the churn, not the terminal. */
    if (getenv("CHURN_VERBOSE") != NULL)
        printf("churn: %d threads, %lu pairs, checksum %lu\n", thread_count, pairs, checksum);
    return 0;
}
