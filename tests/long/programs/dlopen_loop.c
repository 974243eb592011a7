/*
 * dlopen_loop.c — dlopen and dlclose of a library that allocates in its constructor
 * and frees in its destructor, 300 times, for the stress suite (tests/long/).
 *
 *   dlopen_loop keep|free PATH_TO_LIBRARY
 *
 * Each round loads the library (dso/ctor_alloc.c: 55,000 B held by its constructor),
 * calls its function, allocates 1 KiB from the main program while it is loaded, and
 * unloads it (its destructor frees what it held). The dynamic loader's own
 * bookkeeping (link maps, scope lists) is malloc'd and freed too, on every round.
 * Then the program ends as finish.h says.
 */
#include <dlfcn.h>

#include "finish.h"

#define ROUNDS 300

int main(int argc, char **argv)
{
    int keep = finish_mode(argc, argv);
    if (keep < 0 || argc != 3) {
        fprintf(stderr, "usage: dlopen_loop keep|free PATH_TO_LIBRARY\n");
        return 2;
    }
    long wrong = 0;
    for (int round = 0; round < ROUNDS; round++) {
        void *library = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) {
            fprintf(stderr, "dlopen_loop: %s\n", dlerror());
            return 1;
        }
        long (*held)(void) = (long (*)(void))dlsym(library, "ctor_alloc_held");
        if (held == NULL) {
            fprintf(stderr, "dlopen_loop: %s\n", dlerror());
            return 1;
        }
        char *beside = malloc(1024);
        if (beside == NULL)
            return 1;
        beside[0] = (char)round;
        wrong += held() != 55000;
        free(beside);
        if (dlclose(library) != 0) {
            fprintf(stderr, "dlopen_loop: dlclose: %s\n", dlerror());
            return 1;
        }
    }
    char result[96];
    snprintf(result, sizeof(result), "dlopen_loop: %d rounds, %ld wrong", ROUNDS, wrong);
    finish_and_exit(result, keep, wrong ? 1 : 0);
}
