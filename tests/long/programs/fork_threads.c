/*
 * fork_threads.c — threads that churn the allocator while the main thread forks, and a
 * quarter of the children exec, for the stress suite (tests/long/).
 *
 *   fork_threads keep|free PATH_TO_SELF
 *   fork_threads exec-child N           (what the exec'ing children become)
 *
 * 8 threads each make malloc/realloc/calloc/free rounds over a ring of 64 blocks of
 * 16 B .. 64 KiB until told to stop. Meanwhile the main thread forks 200 times: each
 * child allocates and frees a few blocks (the allocator must work in a child forked
 * while 8 threads held its locks) and exits with status i % 50; every 4th child execs
 * this program as `exec-child i`, which allocates, frees and exits with status
 * 100 + i % 50. The parent checks every status. Then the threads stop and free their
 * rings, and the program ends as finish.h says (its heap at exit known to the byte).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "finish.h"

#define THREADS 8
#define RING 64
#define FORKS 200

static atomic_int stop_churning;
static atomic_long rounds_done;

static size_t block_size(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return 16 + (*state >> 8) % 65536;
}

static void *churn(void *argument)
{
    uint32_t state = (uint32_t)(uintptr_t)argument;
    char *ring[RING] = { 0 };
    long rounds = 0;
    while (!atomic_load(&stop_churning)) {
        for (int slot = 0; slot < RING; slot++) {
            size_t size = block_size(&state);
            switch ((rounds + slot) % 3) {
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
                fprintf(stderr, "fork_threads: out of memory\n");
                exit(1);
            }
            ring[slot][size - 1] = (char)slot;
        }
        rounds++;
    }
    for (int slot = 0; slot < RING; slot++)
        free(ring[slot]);
    atomic_fetch_add(&rounds_done, rounds);
    return NULL;
}

/* A child's own allocations: a few blocks made, used and freed. */
static int child_allocates(int index)
{
    char *blocks[16];
    for (int i = 0; i < 16; i++) {
        blocks[i] = malloc(100 + (size_t)(index * 16 + i) * 10);
        if (blocks[i] == NULL)
            return 99;
        blocks[i][0] = (char)i;
    }
    for (int i = 0; i < 16; i++)
        free(blocks[i]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "exec-child") == 0) {
        int index = atoi(argv[2]);
        return child_allocates(index) ? 99 : 100 + index % 50;
    }
    int keep = finish_mode(argc, argv);
    if (keep < 0 || argc != 3) {
        fprintf(stderr, "usage: fork_threads keep|free PATH_TO_SELF\n");
        return 2;
    }
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        if (pthread_create(&threads[t], NULL, churn, (void *)(uintptr_t)(t + 1)) != 0) {
            fprintf(stderr, "fork_threads: pthread_create failed\n");
            return 1;
        }
    }
    int wrong = 0, execs = 0;
    for (int i = 0; i < FORKS; i++) {
        int execs_here = i % 4 == 0;
        pid_t child = fork();
        if (child < 0) {
            perror("fork_threads: fork");
            return 1;
        }
        if (child == 0) {
            if (execs_here) {
                char index[16];
                snprintf(index, sizeof(index), "%d", i);
                execl(argv[2], argv[2], "exec-child", index, (char *)NULL);
                _exit(98);
            }
            _exit(child_allocates(i) ? 99 : i % 50);
        }
        int status = 0;
        if (waitpid(child, &status, 0) != child) {
            perror("fork_threads: waitpid");
            return 1;
        }
        int expected = execs_here ? 100 + i % 50 : i % 50;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != expected) {
            fprintf(stderr, "fork_threads: child %d: status %#x, expected exit %d\n", i, status, expected);
            wrong++;
        }
        execs += execs_here;
    }
    atomic_store(&stop_churning, 1);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    /* The churn's count varies from run to run: it goes to stderr, which is not compared. */
    fprintf(stderr, "fork_threads: %ld churn rounds\n", (long)atomic_load(&rounds_done));
    char result[96];
    snprintf(result, sizeof(result), "fork_threads: %d forks, %d exec'd, %d wrong statuses", FORKS, execs, wrong);
    finish_and_exit(result, keep, wrong ? 1 : 0);
}
