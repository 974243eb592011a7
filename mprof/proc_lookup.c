/*
 * proc_lookup.c — finding a running process and reading what it is (proc.h): by name
 * as psutil names it, its command line, the files it maps.
 *
 * Invariant: as in proc.c, a process that vanishes between the listing and the reading
 * is skipped, never an error for the whole scan.
 */
#include "proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC_COMM_MAX 15 /* TASK_COMM_LEN - 1: the kernel cuts longer names there */

/* The whole of a /proc file of any size, malloc'd and NUL-terminated (*length without
 * the NUL). NULL with errno. */
static char *proc_read_all(const char *path, size_t *length)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t size = 0, capacity = 4096;
    char *text = malloc(capacity);
    while (text != NULL) {
        if (capacity - size < 2) {
            char *grown = realloc(text, capacity * 2);
            if (grown == NULL) {
                free(text);
                text = NULL;
                errno = ENOMEM;
                break;
            }
            text = grown;
            capacity *= 2;
        }
        ssize_t got = read(fd, text + size, capacity - size - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            free(text);
            text = NULL;
            errno = saved;
            break;
        }
        if (got == 0) {
            text[size] = '\0';
            *length = size;
            break;
        }
        size += (size_t)got;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return text;
}

/* The name the kernel keeps (/proc/<pid>/comm), without its newline. 0 or -1. */
static int proc_comm(pid_t pid, char *name, size_t name_size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    size_t length;
    char *text = proc_read_all(path, &length);
    if (text == NULL)
        return -1;
    if (length > 0 && text[length - 1] == '\n')
        text[--length] = '\0';
    snprintf(name, name_size, "%s", text);
    free(text);
    return 0;
}

char **proc_cmdline_argv(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    size_t length;
    char *text = proc_read_all(path, &length);
    if (text == NULL)
        return NULL;
    char bracketed[PROC_COMM_MAX + 8];
    if (length == 0) {
        /* A kernel thread (or a zombie) has no arguments: ps shows [name]. */
        char name[PROC_COMM_MAX + 2] = "?";
        proc_comm(pid, name, sizeof(name));
        length = (size_t)snprintf(bracketed, sizeof(bracketed), "[%s]", name) + 1;
        free(text);
        text = bracketed;
    } else if (text[length - 1] != '\0') {
        length++; /* the NUL proc_read_all put after the last argument */
    }
    size_t count = 0;
    for (size_t i = 0; i < length; i++)
        count += text[i] == '\0';
    char **argv = malloc((count + 1) * sizeof(*argv) + length);
    if (argv != NULL) {
        char *strings = (char *)(argv + count + 1);
        memcpy(strings, text, length);
        size_t at = 0;
        for (size_t i = 0; i < length; i += strlen(strings + i) + 1)
            argv[at++] = strings + i;
        argv[at] = NULL;
    } else {
        errno = ENOMEM;
    }
    if (text != bracketed)
        free(text);
    return argv;
}

/* psutil's Process.name(): the comm, or when it was cut, argv[0]'s base name it begins. */
static int proc_psutil_name(pid_t pid, char *name, size_t name_size)
{
    if (proc_comm(pid, name, name_size) < 0)
        return -1;
    if (strlen(name) < PROC_COMM_MAX)
        return 0;
    char **argv = proc_cmdline_argv(pid);
    if (argv == NULL)
        return 0;
    const char *base = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 : argv[0];
    if (strncmp(base, name, strlen(name)) == 0)
        snprintf(name, name_size, "%s", base);
    free(argv);
    return 0;
}

int proc_find_by_name(const char *text, pid_t skip, pid_t *pid)
{
    DIR *dir = opendir("/proc");
    if (dir == NULL)
        return -1;
    bool found = false;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (!isdigit((unsigned char)entry->d_name[0]))
            continue;
        pid_t candidate = (pid_t)strtol(entry->d_name, NULL, 10);
        char name[4096];
        if (candidate == skip || (found && candidate > *pid) ||
            proc_psutil_name(candidate, name, sizeof(name)) < 0)
            continue;
        if (strstr(name, text) != NULL) {
            *pid = candidate;
            found = true;
        }
    }
    closedir(dir);
    if (!found) {
        errno = ESRCH;
        return -1;
    }
    return 0;
}

int proc_maps_file(pid_t pid, const char *base_name)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
    size_t length;
    char *text = proc_read_all(path, &length);
    if (text == NULL)
        return -1;
    size_t name_length = strlen(base_name);
    int mapped = 0;
    for (char *line = text; line != NULL && *line != '\0' && !mapped;) {
        char *line_end = strchr(line, '\n');
        if (line_end != NULL)
            *line_end = '\0';
        /* The path is the last field and begins with '/'. */
        const char *file = strchr(line, '/');
        const char *base = file != NULL ? strrchr(file, '/') + 1 : NULL;
        mapped = base != NULL && strncmp(base, base_name, name_length) == 0 &&
                 base[name_length] == '\0';
        line = line_end != NULL ? line_end + 1 : NULL;
    }
    free(text);
    return mapped;
}
