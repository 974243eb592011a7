/*
 * proc.c — RSS and process trees from /proc, and the ELF check that tells whether a
 * program can be preloaded at all.
 *
 * Invariant: every reader here tolerates a process vanishing between listing and
 * reading (the target's children come and go while we sample): a vanished process is
 * skipped, never an error for the whole scan.
 */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"

/* Read a small /proc file into `text` (NUL-terminated). Returns the length or -1. */
static ssize_t proc_read_small(const char *path, char *text, size_t text_size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t length = 0;
    while (length < text_size - 1) {
        ssize_t got = read(fd, text + length, text_size - 1 - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (got == 0)
            break;
        length += (size_t)got;
    }
    close(fd);
    text[length] = '\0';
    return (ssize_t)length;
}

int proc_rss_bytes(pid_t pid, uint64_t *rss_bytes)
{
    char path[64], text[256];
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    if (proc_read_small(path, text, sizeof(text)) < 0)
        return -1;
    unsigned long long size_pages, resident_pages;
    if (sscanf(text, "%llu %llu", &size_pages, &resident_pages) != 2) {
        errno = EINVAL;
        return -1;
    }
    long page_size = sysconf(_SC_PAGESIZE);
    *rss_bytes = (uint64_t)resident_pages * (uint64_t)(page_size > 0 ? page_size : 4096);
    return 0;
}

/* The values in kB of the lines that begin with `key` ("Pss:", "Private_") of an smaps
 * text, added to *bytes. */
static void proc_add_smaps_field(const char *text, const char *key, uint64_t *bytes)
{
    size_t key_length = strlen(key);
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *colon = strchr(line, ':');
        const char *line_end = strchr(line, '\n');
        if (strncmp(line, key, key_length) == 0 && colon != NULL &&
            (line_end == NULL || colon < line_end)) {
            unsigned long long kib;
            if (sscanf(colon + 1, " %llu", &kib) == 1)
                *bytes += (uint64_t)kib * 1024;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
}

/* RSS as ps(1) reads it: field 24 of /proc/<pid>/stat, in pages. */
static int proc_stat_rss_bytes(pid_t pid, uint64_t *rss_bytes)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (proc_read_small(path, text, sizeof(text)) < 0)
        return -1;
    /* After the name in parentheses: state is field 3, rss field 24. */
    const char *close_paren = strrchr(text, ')');
    long long rss_pages;
    if (close_paren == NULL ||
        sscanf(close_paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
                                "%*d %*d %*d %*d %*d %*u %*u %lld", &rss_pages) != 1) {
        errno = EINVAL;
        return -1;
    }
    long page_size = sysconf(_SC_PAGESIZE);
    *rss_bytes = rss_pages > 0 ? (uint64_t)rss_pages * (uint64_t)(page_size > 0 ? page_size : 4096)
                               : 0;
    return 0;
}

int proc_start_ticks(pid_t pid, unsigned long long *ticks)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (proc_read_small(path, text, sizeof(text)) < 0)
        return -1;
    const char *close_paren = strrchr(text, ')');
    if (close_paren == NULL ||
        sscanf(close_paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d "
                                "%*d %*d %*d %*d %*d %llu", ticks) != 1) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int proc_memory_bytes(pid_t pid, enum backend backend, uint64_t *bytes)
{
    if (backend == BACKEND_POSIX)
        return proc_stat_rss_bytes(pid, bytes);
    if (backend != BACKEND_PSUTIL_PSS && backend != BACKEND_PSUTIL_USS)
        return proc_rss_bytes(pid, bytes);
    char path[64], text[4096];
    snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
    if (proc_read_small(path, text, sizeof(text)) < 0)
        return -1;
    *bytes = 0; /* a zombie's file is empty */
    if (backend == BACKEND_PSUTIL_PSS)
        proc_add_smaps_field(text, "Pss:", bytes);
    else
        proc_add_smaps_field(text, "Private_", bytes);
    return 0;
}

/* The state letter and parent of `pid` from /proc/<pid>/stat. The command name sits in
 * parentheses and may itself hold spaces and ')', so parse from the last ')'. */
static int proc_stat_parent(pid_t pid, char *state, pid_t *parent)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (proc_read_small(path, text, sizeof(text)) < 0)
        return -1;
    const char *close_paren = strrchr(text, ')');
    int parent_pid;
    if (close_paren == NULL || sscanf(close_paren + 1, " %c %d", state, &parent_pid) != 2) {
        errno = EINVAL;
        return -1;
    }
    *parent = (pid_t)parent_pid;
    return 0;
}

int proc_state(pid_t pid, char *state)
{
    pid_t parent;
    return proc_stat_parent(pid, state, &parent);
}

struct proc_node {
    pid_t pid;
    pid_t parent;
};

static int pid_compare(const void *a, const void *b)
{
    pid_t left = *(const pid_t *)a, right = *(const pid_t *)b;
    return (left > right) - (left < right);
}

int proc_descendants(pid_t root, pid_t **pids, size_t *count)
{
    *pids = NULL;
    *count = 0;
    DIR *dir = opendir("/proc");
    if (dir == NULL)
        return -1;
    struct proc_node *nodes = NULL;
    size_t node_count = 0, node_capacity = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (!isdigit((unsigned char)entry->d_name[0]))
            continue;
        pid_t pid = (pid_t)strtol(entry->d_name, NULL, 10);
        char state;
        pid_t parent;
        if (proc_stat_parent(pid, &state, &parent) < 0)
            continue; /* gone since the listing */
        if (state == 'Z' || state == 'X')
            continue;
        if (mprof_grow_array((void **)&nodes, &node_capacity, node_count, sizeof *nodes) < 0) {
            free(nodes);
            closedir(dir);
            errno = ENOMEM;
            return -1;
        }
        nodes[node_count++] = (struct proc_node){ pid, parent };
    }
    closedir(dir);

    /* Breadth-first from root over the parent links: the found list is the queue. A
     * process is only found once, because each has a single parent. */
    pid_t *found = NULL;
    size_t found_count = 0;
    if (node_count > 0) {
        found = malloc(node_count * sizeof(*found));
        if (found == NULL) {
            free(nodes);
            errno = ENOMEM;
            return -1;
        }
    }
    size_t head = 0;
    pid_t parent = root, self = getpid();
    for (;;) {
        /* This process is never one: attached to an ancestor of its own, it would
         * count itself (and whatever it started) as the target's. */
        for (size_t i = 0; i < node_count && found_count < node_count; i++)
            if (nodes[i].parent == parent && nodes[i].pid != root && nodes[i].pid != self)
                found[found_count++] = nodes[i].pid;
        if (head == found_count)
            break;
        parent = found[head++];
    }
    free(nodes);
    if (found_count == 0) {
        free(found);
        return 0;
    }
    qsort(found, found_count, sizeof(*found), pid_compare);
    *pids = found;
    *count = found_count;
    return 0;
}

int proc_exe_kind(const char *path, enum proc_exe_kind *kind)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf64_Ehdr header; /* the 32-bit header is a prefix-compatible subset for e_ident */
    ssize_t got = pread(fd, &header, sizeof(header), 0);
    if (got < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    if (got >= 2 && ((char *)&header)[0] == '#' && ((char *)&header)[1] == '!') {
        close(fd);
        *kind = PROC_EXE_SCRIPT;
        return 0;
    }
    if (got < EI_NIDENT || memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
        close(fd);
        *kind = PROC_EXE_OTHER;
        return 0;
    }
    /* Walk the program headers looking for PT_INTERP. Only the fields we need are read,
     * for each class; a header we cannot read makes the file "other", not an error. */
    *kind = PROC_EXE_OTHER;
    if (header.e_ident[EI_CLASS] == ELFCLASS64 && got == (ssize_t)sizeof(header)) {
        *kind = PROC_EXE_STATIC;
        for (unsigned i = 0; i < header.e_phnum; i++) {
            Elf64_Phdr program;
            off_t at = (off_t)header.e_phoff + (off_t)i * header.e_phentsize;
            if (pread(fd, &program, sizeof(program), at) != (ssize_t)sizeof(program)) {
                *kind = PROC_EXE_OTHER;
                break;
            }
            if (program.p_type == PT_INTERP) {
                *kind = PROC_EXE_DYNAMIC;
                break;
            }
        }
    } else if (header.e_ident[EI_CLASS] == ELFCLASS32) {
        Elf32_Ehdr header32;
        if (pread(fd, &header32, sizeof(header32), 0) == (ssize_t)sizeof(header32)) {
            *kind = PROC_EXE_STATIC;
            for (unsigned i = 0; i < header32.e_phnum; i++) {
                Elf32_Phdr program;
                off_t at = (off_t)header32.e_phoff + (off_t)i * header32.e_phentsize;
                if (pread(fd, &program, sizeof(program), at) != (ssize_t)sizeof(program)) {
                    *kind = PROC_EXE_OTHER;
                    break;
                }
                if (program.p_type == PT_INTERP) {
                    *kind = PROC_EXE_DYNAMIC;
                    break;
                }
            }
        }
    }
    close(fd);
    return 0;
}
