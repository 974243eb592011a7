/*
 * heap_page.c — a running process's heap slot, read through /proc/PID/fd (heap_page.h).
 *
 * The page is found by its memfd's name among the process's descriptors; a process may
 * hold more than one (a run inside a run), so each is looked in until one has a slot of
 * that pid. The descriptor is opened through /proc (the file itself, not the process's
 * copy of the descriptor: nothing of the process changes) and mapped read-only: the
 * library's stores show through it as they happen.
 */
#include "heap_page.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAP_PAGE_LINK "/memfd:" MPROF_COUNTERS_MEMFD_NAME " (deleted)"
#define HEAP_READ_TRIES 64 /* a writer holds the sequence odd for a few stores */

/* Why no page of this process did, from the least telling to the most. */
enum page_miss { MISS_NO_DESCRIPTOR, MISS_NO_SLOT, MISS_VERSION };

/* The index of `pid`'s slot among the page's `count`, or -1. */
static int page_find_slot(const struct mprof_counters *page, unsigned count, pid_t pid)
{
    for (unsigned i = 0; i < count; i++)
        if (__atomic_load_n(&page->slots[i].pid, __ATOMIC_ACQUIRE) == (int32_t)pid)
            return (int)i;
    return -1;
}

/* Map the page that descriptor `name` (in `fd_directory`, /proc/PID/fd) of `pid` is, and find `pid`'s slot in it. 0, or
 * -1 with *miss raised to what stood in the way (when it is a page at all). */
static int page_try(struct heap_page *heap, pid_t pid, int fd_directory, const char *name,
                    enum page_miss *miss)
{
    int fd = openat(fd_directory, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat info;
    void *mapped = MAP_FAILED;
    /* Our layout's size at most; a smaller page has fewer slots (its header says how
     * many), or is another version's, whose magic and version are read. */
    size_t size = 0;
    if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode) &&
        info.st_size >= (off_t)offsetof(struct mprof_counters, dropped_records))
        size = info.st_size < (off_t)sizeof(struct mprof_counters)
                   ? (size_t)info.st_size : sizeof(struct mprof_counters);
    if (size > 0)
        mapped = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (mapped == MAP_FAILED)
        return -1;
    const struct mprof_counters *page = mapped;
    int slot = -1;
    if (page->magic != MPROF_COUNTERS_MAGIC) {
        /* Not a page of ours under our name: not counted as one. */
    } else if (page->version != MPROF_PROTOCOL_VERSION || size < mprof_counters_size(0) ||
               page->slot_count > MPROF_HEAP_SLOT_COUNT ||
               mprof_counters_size(page->slot_count) > size) {
        *miss = MISS_VERSION;
    } else if ((slot = page_find_slot(page, page->slot_count, pid)) < 0) {
        if (*miss < MISS_NO_SLOT)
            *miss = MISS_NO_SLOT;
    }
    if (slot < 0) {
        munmap(mapped, size);
        return -1;
    }
    heap->size = size;
    heap->page = page;
    heap->pid = pid;
    heap->slot = (unsigned)slot;
    return 0;
}

int heap_page_open(struct heap_page *heap, pid_t pid, char *why, size_t why_size)
{
    heap->page = NULL;
    char path[64], target[128];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *directory = opendir(path);
    if (directory == NULL) {
        int error = errno;
        snprintf(why, why_size, "%s cannot be read: %s%s", path, strerror(error),
                 error == EACCES || error == EPERM ? " (another user's process)" : "");
        return -1;
    }
    enum page_miss miss = MISS_NO_DESCRIPTOR;
    struct dirent *entry;
    while (heap->page == NULL && (entry = readdir(directory)) != NULL) {
        ssize_t length = readlinkat(dirfd(directory), entry->d_name, target, sizeof(target) - 1);
        if (length <= 0)
            continue;
        target[length] = '\0';
        if (strcmp(target, HEAP_PAGE_LINK) == 0)
            page_try(heap, pid, dirfd(directory), entry->d_name, &miss);
    }
    closedir(directory);
    if (heap->page != NULL)
        return 0;
    switch (miss) {
    case MISS_NO_DESCRIPTOR:
        snprintf(why, why_size, "it holds no %s page (not started by this mprof's run, or "
                 "it closed the descriptor)", MPROF_COUNTERS_MEMFD_NAME);
        break;
    case MISS_NO_SLOT:
        snprintf(why, why_size, "its library publishes no heap (a child process of a run "
                 "without -C or -M, or every slot taken)");
        break;
    case MISS_VERSION:
        snprintf(why, why_size, "its run's page is of another protocol version (mprof and "
                 "its library from different builds)");
        break;
    }
    return -1;
}

bool heap_slot_read(const struct mprof_heap_slot *slot, pid_t pid,
                    struct heap_reading *reading)
{
    for (int i = 0; i < HEAP_READ_TRIES; i++) {
        uint32_t before = __atomic_load_n(&slot->sequence, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&slot->pid, __ATOMIC_RELAXED) != (int32_t)pid)
            return false;
        if ((before & 1u) != 0)
            continue;
        struct heap_reading taken = {
            .time_ns = __atomic_load_n(&slot->sample_time_ns, __ATOMIC_RELAXED),
            .live_bytes = __atomic_load_n(&slot->heap_live_bytes, __ATOMIC_RELAXED),
            .peak_bytes = __atomic_load_n(&slot->heap_peak_bytes, __ATOMIC_RELAXED),
        };
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&slot->sequence, __ATOMIC_RELAXED) == before &&
            __atomic_load_n(&slot->pid, __ATOMIC_RELAXED) == (int32_t)pid) {
            *reading = taken;
            return true;
        }
    }
    return false;
}

bool heap_page_read(const struct heap_page *heap, struct heap_reading *reading)
{
    if (heap->page == NULL)
        return false;
    return heap_slot_read(&heap->page->slots[heap->slot], heap->pid, reading);
}

void heap_page_close(struct heap_page *heap)
{
    if (heap->page != NULL)
        munmap((void *)heap->page, heap->size);
    heap->page = NULL;
}
