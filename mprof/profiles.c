/*
 * profiles.c — turning FILE|INDEX arguments into .dat paths (contract in profiles.h).
 * The numbering is the one `mprof list` prints, so "mprof rm 0" removes the file list
 * showed as 0.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dat.h"
#include "profiles.h"

static bool profiles_parse_index(const char *arg, long *index)
{
    char *end;
    errno = 0;
    long value = strtol(arg, &end, 10);
    if (end == arg || *end != '\0' || errno == ERANGE)
        return false;
    *index = value;
    return true;
}

static bool profiles_is_negative_index(const char *arg)
{
    long index;
    return arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9' && profiles_parse_index(arg, &index);
}

/* Whether `arg`, alone, is an option whose value is the next argument. */
static bool profiles_wants_value(const char *arg, const char *short_options,
                                 const struct option *long_options)
{
    if (arg[0] != '-' || arg[1] == '\0')
        return false;
    if (arg[1] == '-') {
        for (const struct option *option = long_options; option->name != NULL; option++)
            if (option->has_arg == required_argument && strcmp(arg + 2, option->name) == 0)
                return true;
        return false;
    }
    const char *found = arg[2] == '\0' && arg[1] != ':' ? strchr(short_options, arg[1]) : NULL;
    return found != NULL && found[1] == ':';
}

char **profiles_protect_negative_indices(int argc, char **argv, const char *short_options,
                                         const struct option *long_options, int *new_argc)
{
    char **copy = calloc((size_t)argc + 2, sizeof *copy);
    if (copy == NULL)
        return NULL;
    int out = 0;
    bool inserted = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            inserted = true;  /* the user already ended the options */
        if (!inserted && i > 0 && profiles_is_negative_index(argv[i]) &&
            !profiles_wants_value(argv[i - 1], short_options, long_options)) {
            copy[out++] = (char *)"--";
            inserted = true;
        }
        copy[out++] = argv[i];
    }
    copy[out] = NULL;
    *new_argc = out;
    return copy;
}

static void profiles_cwd(char *cwd, size_t cwd_size)
{
    if (getcwd(cwd, cwd_size) == NULL)
        snprintf(cwd, cwd_size, ".");
}

int profiles_select(int count, char **args, bool newest_by_default, char ***paths,
                    size_t *path_count)
{
    char **listing = NULL;
    size_t listing_count = 0;
    char cwd[PATH_MAX];
    *paths = NULL;
    *path_count = 0;

    bool need_listing = count == 0;
    for (int i = 0; i < count && !need_listing; i++) {
        long index;
        need_listing = access(args[i], F_OK) != 0 && profiles_parse_index(args[i], &index);
    }
    if (need_listing && profiles_list_here(&listing, &listing_count) < 0)
        return -1;

    if (count == 0) {
        if (!newest_by_default || listing_count == 0) {
            profiles_cwd(cwd, sizeof cwd);
            mprof_error("no mprofile_*.dat in %s", cwd);
            dat_free_list(listing, listing_count);
            return -1;
        }
        char **result = malloc(sizeof *result);
        if (result == NULL || (result[0] = strdup(listing[listing_count - 1])) == NULL) {
            free(result);
            mprof_error("out of memory");
            dat_free_list(listing, listing_count);
            return -1;
        }
        dat_free_list(listing, listing_count);
        *paths = result;
        *path_count = 1;
        return 0;
    }

    char **result = calloc((size_t)count, sizeof *result);
    size_t result_count = 0;
    if (result == NULL) {
        mprof_error("out of memory");
        dat_free_list(listing, listing_count);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        const char *path = args[i];
        struct stat info;
        long index;
        int stat_result = stat(path, &info);
        int stat_errno = errno;
        if (stat_result == 0) {
            if (S_ISDIR(info.st_mode)) {
                mprof_error("%s: is a directory", path);
                goto fail;
            }
        } else if (profiles_parse_index(path, &index)) {
            long position = index < 0 ? (long)listing_count + index : index;
            if (position < 0 || position >= (long)listing_count) {
                if (listing_count == 0) {
                    profiles_cwd(cwd, sizeof cwd);
                    mprof_error("%s: no such profile (no mprofile_*.dat in %s)", path, cwd);
                } else {
                    mprof_error("%s: no such profile (mprof list shows 0 to %zu)", path,
                                listing_count - 1);
                }
                goto fail;
            }
            path = listing[position];
        } else {
            mprof_error("%s: %s", path, strerror(stat_errno));
            goto fail;
        }
        bool duplicate = false;
        for (size_t j = 0; j < result_count && !duplicate; j++)
            duplicate = strcmp(result[j], path) == 0;
        if (duplicate)
            continue;
        if ((result[result_count] = strdup(path)) == NULL) {
            mprof_error("out of memory");
            goto fail;
        }
        result_count++;
    }
    dat_free_list(listing, listing_count);
    *paths = result;
    *path_count = result_count;
    return 0;

fail:
    profiles_free(result, result_count);
    dat_free_list(listing, listing_count);
    return -1;
}

void profiles_free(char **paths, size_t count)
{
    dat_free_list(paths, count);  /* the same shape: a malloc'd array of malloc'd names */
}

int profiles_list_here(char ***names, size_t *count)
{
    char error[DAT_ERROR_MAX];
    if (dat_list_files(".", names, count, error, sizeof error) < 0) {
        mprof_error("%s", error);
        return -1;
    }
    return 0;
}

int profiles_remove(char **paths, size_t count, bool dry_run)
{
    int status = 0;
    if (dry_run)
        puts("Files to be removed: ");
    for (size_t i = 0; i < count; i++) {
        if (dry_run) {
            puts(paths[i]);
        } else if (unlink(paths[i]) != 0) {
            mprof_error("%s: %s", paths[i], strerror(errno));
            status = 1;
        }
    }
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
