/*
 * threads4.c — 4 threads allocating and freeing at once; the books must balance.
 *
 * Phase 1: each thread allocates 1000 blocks of 4096 bytes and keeps them; all four
 *          wait at a barrier, then the main thread sleeps 0.5 s so a sample sees
 *          exactly 4 x 4,096,000 bytes more than the baseline.
 * Phase 2: each thread churns 200,000 malloc/calloc/realloc/free calls of mixed sizes
 *          (1 B .. 64 KiB) over a 256-slot table, at the same time as the others.
 * Phase 3: every thread frees all it holds; the main thread joins them and sleeps
 *          0.5 s so the last samples see the live heap back at the baseline.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREAD_COUNT   4
#define HELD_BLOCKS    1000
#define HELD_SIZE      4096
#define CHURN_SLOTS    256
#define CHURN_CALLS    200000

static pthread_barrier_t held_barrier;
static pthread_barrier_t release_barrier;

static void sleep_seconds(double seconds)
{
    struct timespec span = { (time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9) };
    while (nanosleep(&span, &span) != 0)
        ;
}

static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static void *thread_main(void *arg)
{
    uint32_t state = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
    char *held[HELD_BLOCKS];
    for (int i = 0; i < HELD_BLOCKS; i++) {
        held[i] = malloc(HELD_SIZE);
        memset(held[i], 1, HELD_SIZE);
    }
    pthread_barrier_wait(&held_barrier);
    pthread_barrier_wait(&release_barrier);

    char *slots[CHURN_SLOTS] = { 0 };
    for (int i = 0; i < CHURN_CALLS; i++) {
        uint32_t r = next_random(&state);
        int slot = (int)(r % CHURN_SLOTS);
        size_t size = 1 + (next_random(&state) % (r & 0x100 ? 65536 : 256));
        switch ((r >> 9) % 4) {
        case 0:
            free(slots[slot]);
            slots[slot] = malloc(size);
            break;
        case 1:
            free(slots[slot]);
            slots[slot] = calloc(1, size);
            break;
        case 2: {
            char *grown = realloc(slots[slot], size);
            if (grown != NULL)
                slots[slot] = grown;
            break;
        }
        default:
            free(slots[slot]);
            slots[slot] = NULL;
            break;
        }
        if (slots[slot] != NULL)
            slots[slot][0] = (char)r;
    }
    for (int i = 0; i < CHURN_SLOTS; i++)
        free(slots[i]);
    for (int i = 0; i < HELD_BLOCKS; i++)
        free(held[i]);
    return NULL;
}

int main(void)
{
    pthread_t threads[THREAD_COUNT];
    pthread_barrier_init(&held_barrier, NULL, THREAD_COUNT + 1);
    pthread_barrier_init(&release_barrier, NULL, THREAD_COUNT + 1);
    sleep_seconds(0.3);
    for (int i = 0; i < THREAD_COUNT; i++)
        if (pthread_create(&threads[i], NULL, thread_main, (void *)(uintptr_t)(i + 1)) != 0) {
            fprintf(stderr, "threads4: pthread_create failed\n");
            return 1;
        }
    pthread_barrier_wait(&held_barrier);
    sleep_seconds(0.5);
    pthread_barrier_wait(&release_barrier);
    for (int i = 0; i < THREAD_COUNT; i++)
        pthread_join(threads[i], NULL);
    sleep_seconds(0.5);
    return 0;
}
