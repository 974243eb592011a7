/*
 * spawn_exec.c — children started by posix_spawn and by vfork + exec, for the stress
 * suite (tests/long/).
 *
 *   spawn_exec keep|free PATH_TO_SELF
 *   spawn_exec child N                  (what each child runs: allocates, frees and
 *                                        exits with status N % 64)
 *
 * 100 children by posix_spawn (half of them with file actions that point their stdout
 * at /dev/null) and 100 by vfork + execv, each of this same program in `child` mode:
 * the library must come up in every new image (and stay out of the way while a vfork
 * child shares its parent's memory until it execs). A second thread churns malloc and
 * free meanwhile. Every status is checked; then the program ends as finish.h says.
 */
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "finish.h"

#define SPAWNS 100
#define VFORKS 100

extern char **environ;
static atomic_int stop_churning;

static void *churn(void *argument)
{
    (void)argument;
    char *ring[16] = { 0 };
    for (long i = 0; !atomic_load(&stop_churning); i++) {
        int slot = (int)(i % 16);
        free(ring[slot]);
        ring[slot] = malloc(16 + (size_t)(i % 2000));
        if (ring[slot] == NULL)
            exit(1);
        ring[slot][0] = 1;
    }
    for (int slot = 0; slot < 16; slot++)
        free(ring[slot]);
    return NULL;
}

static int run_child(int index)
{
    char *blocks[8];
    for (int i = 0; i < 8; i++) {
        blocks[i] = malloc(64 + (size_t)(index + i) * 100);
        if (blocks[i] == NULL)
            return 99;
        blocks[i][0] = (char)i;
    }
    for (int i = 0; i < 8; i++)
        free(blocks[i]);
    return index % 64;
}

/* Waits for child and says whether it exited with the status a child of index has. */
static int exited_as_expected(pid_t child, int index, const char *how)
{
    int status = 0;
    if (waitpid(child, &status, 0) != child) {
        perror("spawn_exec: waitpid");
        exit(1);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == index % 64)
        return 1;
    fprintf(stderr, "spawn_exec: %s child %d: status %#x\n", how, index, status);
    return 0;
}

/* One child by vfork + execv of self in `child INDEX` mode; returns its pid. In a
 * function of its own, that nothing of its caller lives across the vfork. */
static __attribute__((noinline)) pid_t vfork_child(char *self, int index)
{
    char number[16];
    snprintf(number, sizeof(number), "%d", index);
    char *child_argv[] = { self, "child", number, NULL };
    pid_t child = vfork();
    if (child == 0) {
        execv(self, child_argv);
        _exit(127);
    }
    return child;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return run_child(atoi(argv[2]));
    int keep = finish_mode(argc, argv);
    if (keep < 0 || argc != 3) {
        fprintf(stderr, "usage: spawn_exec keep|free PATH_TO_SELF\n");
        return 2;
    }
    pthread_t churner;
    if (pthread_create(&churner, NULL, churn, NULL) != 0)
        return 1;
    int wrong = 0;
    for (int i = 0; i < SPAWNS; i++) {
        char index[16];
        snprintf(index, sizeof(index), "%d", i);
        char *child_argv[] = { argv[2], "child", index, NULL };
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_t *use_actions = NULL;
        if (i % 2 == 1) {
            if (posix_spawn_file_actions_init(&actions) != 0 ||
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0) != 0)
                return 1;
            use_actions = &actions;
        }
        pid_t child;
        int error = posix_spawn(&child, argv[2], use_actions, NULL, child_argv, environ);
        if (use_actions != NULL)
            posix_spawn_file_actions_destroy(use_actions);
        if (error != 0) {
            fprintf(stderr, "spawn_exec: posix_spawn: %s\n", strerror(error));
            return 1;
        }
        wrong += !exited_as_expected(child, i, "posix_spawn");
    }
    for (int i = 0; i < VFORKS; i++) {
        pid_t child = vfork_child(argv[2], i);
        if (child < 0) {
            perror("spawn_exec: vfork");
            return 1;
        }
        wrong += !exited_as_expected(child, i, "vfork");
    }
    atomic_store(&stop_churning, 1);
    pthread_join(churner, NULL);
    char result[96];
    snprintf(result, sizeof(result), "spawn_exec: %d posix_spawn, %d vfork, %d wrong", SPAWNS, VFORKS, wrong);
    finish_and_exit(result, keep, wrong ? 1 : 0);
}
