/*
 * dat_list.c — the mprofile_*.dat files of a directory and the default name of a new
 * one (contract in dat.h). Files are ordered by the time stamp in their name, then by
 * the _N suffix a taken name gets, so "oldest first" does not depend on mtimes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "dat.h"
#include "dat_fields.h"

/* "mprofile_" + 14 digits + optional "_<n>" + ".dat". Returns true and the stamp and the
 * suffix number (1 for none: "_2" is the second file of that second). */
static bool dat_parse_name(const char *name, char stamp[15], unsigned long *suffix)
{
    static const char prefix[] = "mprofile_";
    if (strncmp(name, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *cursor = name + sizeof prefix - 1;
    for (int i = 0; i < 14; i++)
        if (!isdigit((unsigned char)cursor[i]))
            return false;
    memcpy(stamp, cursor, 14);
    stamp[14] = '\0';
    cursor += 14;
    *suffix = 1;
    if (*cursor == '_') {
        cursor++;
        if (!isdigit((unsigned char)*cursor))
            return false;
        char *end;
        errno = 0;
        *suffix = strtoul(cursor, &end, 10);
        if (errno == ERANGE)
            return false;
        cursor = end;
    }
    return strcmp(cursor, ".dat") == 0;
}

static int dat_compare_names(const void *left, const void *right)
{
    const char *a = *(const char *const *)left, *b = *(const char *const *)right;
    char stamp_a[15], stamp_b[15];
    unsigned long suffix_a, suffix_b;
    dat_parse_name(a, stamp_a, &suffix_a);  /* listed names all parse */
    dat_parse_name(b, stamp_b, &suffix_b);
    int by_stamp = strcmp(stamp_a, stamp_b);
    if (by_stamp != 0)
        return by_stamp;
    if (suffix_a != suffix_b)
        return suffix_a < suffix_b ? -1 : 1;
    return strcmp(a, b);
}

int dat_list_files(const char *dir, char ***names, size_t *count, char *error, size_t error_size)
{
    *names = NULL;
    *count = 0;
    DIR *directory = opendir(dir);
    if (directory == NULL) {
        dat_set_error(error, error_size, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char **list = NULL;
    size_t list_count = 0, list_capacity = 0;
    struct dirent *entry;
    errno = 0;
    while ((entry = readdir(directory)) != NULL) {
        char stamp[15];
        unsigned long suffix;
        if (!dat_parse_name(entry->d_name, stamp, &suffix)) {
            errno = 0;
            continue;
        }
        char *name = NULL;
        if (mprof_grow_array((void **)&list, &list_capacity, list_count, sizeof *list) < 0 ||
            (name = strdup(entry->d_name)) == NULL) {
            dat_set_error(error, error_size, "%s: out of memory", dir);
            dat_free_list(list, list_count);
            closedir(directory);
            return -1;
        }
        list[list_count++] = name;
        errno = 0;
    }
    if (errno != 0) {
        dat_set_error(error, error_size, "%s: %s", dir, strerror(errno));
        dat_free_list(list, list_count);
        closedir(directory);
        return -1;
    }
    closedir(directory);
    if (list_count > 1)
        qsort(list, list_count, sizeof *list, dat_compare_names);
    *names = list;
    *count = list_count;
    return 0;
}

void dat_free_list(char **names, size_t count)
{
    if (names == NULL)
        return;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

void dat_default_name(char *name, size_t name_size, long now)
{
    time_t seconds = (time_t)now;
    struct tm local;
    if (localtime_r(&seconds, &local) == NULL ||
        strftime(name, name_size, "mprofile_%Y%m%d%H%M%S.dat", &local) == 0)
        snprintf(name, name_size, "mprofile_%014ld.dat", now);  /* never expected */
}
