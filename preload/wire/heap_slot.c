/*
 * heap_slot.c — this process's slot in the CLI's counters page (wire.h), where its live
 * heap can be read from outside: mprof attach opens the page through /proc/PID/fd and
 * finds the slot by pid.
 *
 * Every step is a few atomics and at most one kill(pid, 0) per slot looked at, with no
 * lock and no allocation, so it may run from the constructor, a fork child's atfork
 * handler, the sampler thread and _exit. The figures are the sampler's own: nothing on
 * the malloc path changes. The table is shared by every process of the run; a slot is
 * its owner's to write, and the compare-and-swap of its pid decides the owner.
 *
 * A slot is not given back at exit: it is taken again once its process has ended (and
 * been reaped), and until then the image's last sample, sent at exit, stays readable, so
 * that mprof attach, learning of the end, still reads the heap the program ended with.
 */
#include <errno.h>
#include <signal.h>
#include <sys/types.h>

#include "mprof/protocol.h"
#include "wire.h"

static struct mprof_heap_slot *heap_slot_mine; /* NULL: none claimed in this image */

/* Whether the process `pid` (not 0) of a slot has ended, so that its slot may be taken.
 * A process of another uid answers EPERM: alive. No pid is negative: such a slot was
 * scribbled on, and is taken. */
static int slot_owner_gone(int32_t pid)
{
    return pid < 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
}

/* Start the slot afresh for its new owner: no sample yet. The owner is its only writer
 * now (whoever had it has ended, or was this pid's image before an exec), so the
 * sequence is made odd whatever it was (a writer killed mid-write leaves it odd). */
static void slot_reset(struct mprof_heap_slot *slot)
{
    uint32_t sequence = __atomic_load_n(&slot->sequence, __ATOMIC_RELAXED);
    sequence = (sequence | 1u) + 1u;  /* the next even number after it */
    __atomic_store_n(&slot->sequence, sequence + 1u, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&slot->sample_time_ns, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->heap_live_bytes, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->heap_peak_bytes, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->sequence, sequence + 2u, __ATOMIC_RELEASE);
}

int heap_slot_claim(struct mprof_counters *page, int32_t pid)
{
    heap_slot_mine = NULL;
    if (page == NULL || pid <= 0)
        return -1;
    int saved_errno = errno;
    struct mprof_heap_slot *taken = NULL;
    /* A slot of this very pid first: this image's before an exec (exec keeps the pid and
     * releases nothing), or a dead process's whose pid came back to us. */
    /* The CLI wrote the count before any process of the run began; it is within the
     * page (writer_counters_open checked). */
    unsigned count = page->slot_count;
    for (unsigned i = 0; i < count && taken == NULL; i++)
        if (__atomic_load_n(&page->slots[i].pid, __ATOMIC_ACQUIRE) == pid)
            taken = &page->slots[i];
    /* Then a free one, and only then one whose process has ended: each of those costs a
     * system call, which a fork child of a run with -C should not pay 256 times. */
    for (int pass = 0; pass < 2 && taken == NULL; pass++)
        for (unsigned i = 0; i < count && taken == NULL; i++) {
            struct mprof_heap_slot *slot = &page->slots[i];
            int32_t owner = __atomic_load_n(&slot->pid, __ATOMIC_ACQUIRE);
            if (pass == 0 ? owner != 0 : owner == 0 || !slot_owner_gone(owner))
                continue;
            /* Two processes after the same slot: one swap wins, the other looks on. */
            if (__atomic_compare_exchange_n(&slot->pid, &owner, pid, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
                taken = slot;
        }
    errno = saved_errno;
    if (taken == NULL)
        return -1;
    slot_reset(taken);
    heap_slot_mine = taken;
    return 0;
}

void heap_slot_publish(uint64_t time_ns, int64_t live_bytes, int64_t peak_bytes)
{
    struct mprof_heap_slot *slot = heap_slot_mine;
    if (slot == NULL)
        return;
    uint32_t sequence = __atomic_load_n(&slot->sequence, __ATOMIC_RELAXED);
    /* Odd: another thread of ours is writing it (the exit path beside the sampler);
     * its figures are as new as ours. */
    if ((sequence & 1u) != 0 ||
        !__atomic_compare_exchange_n(&slot->sequence, &sequence, sequence + 1u, 0,
                                     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&slot->sample_time_ns, time_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->heap_live_bytes, live_bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->heap_peak_bytes, peak_bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->sequence, sequence + 2u, __ATOMIC_RELEASE);
}

void heap_slot_forget(void)
{
    heap_slot_mine = NULL;
}
