/*
 * lifecycle.h — the library's life in each process image: the constructor that decides
 * what this process does (init.c), the sampling thread (sampler.c), fork, exit and _exit.
 *
 * The rule that binds every line in lifecycle/: it runs off the hot path — once per
 * process, per fork, per exit, or on the sampler's own thread every interval — so it may
 * make system calls and wait, but never on a program thread's malloc, and it never takes a
 * lock a program thread could hold (a fork must not deadlock the child). It is the top
 * layer: it calls python/, core/ and wire/, and nothing calls it.
 */
#ifndef MPROF_LIFECYCLE_H
#define MPROF_LIFECYCLE_H

#include <stdint.h>

/* Hidden, as everything of the library's (core.h says why). */
#pragma GCC visibility push(hidden)

/* ---- sampler.c: the sampling thread -------------------------------------------- */

/* Start the thread: a sample every `interval_ns`. 0, or -1 with errno. */
int sampler_start(uint64_t interval_ns);
/* Send one sample now (from any thread). */
void sampler_sample_now(void);
/* Stop the thread (it may be mid-sleep; it exits at its next wake-up). */
void sampler_stop(void);

#pragma GCC visibility pop

#endif
