/*
 * cmd_rm.c — `mprof rm N|FILE ...`: remove profiles by the numbers `mprof list` shows or
 * by name.
 *
 * All or nothing: every argument is resolved and checked before anything is removed, so
 * a typo in the third argument does not leave the first two gone and the user unsure.
 * Only files named *.dat are removed: `mprof rm script.py` is refused, not obeyed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "profiles.h"

static const char rm_usage[] =
    "usage: mprof rm [--dry-run] N|FILE ...\n"
    "Remove .dat files, by the number `mprof list` shows (-1 is the newest) or by name.\n"
    "Nothing is removed unless every argument names an existing .dat file.\n"
    "      --dry-run   print what would be removed\n";

static bool rm_is_dat_name(const char *path)
{
    size_t length = strlen(path);
    return length > 4 && strcmp(path + length - 4, ".dat") == 0;
}

int cmd_rm(int argc, char **argv)
{
    bool dry_run = false;
    int first = 1;
    for (; first < argc; first++) {
        const char *arg = argv[first];
        if (strcmp(arg, "--") == 0) {
            first++;
            break;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(rm_usage, stdout);
            return 0;
        }
        if (strcmp(arg, "--dry-run") == 0) {
            dry_run = true;
            continue;
        }
        if (arg[0] == '-' && !(arg[1] >= '0' && arg[1] <= '9')) {
            mprof_error("rm: %s: unknown option (see mprof rm --help)", arg);
            return 2;
        }
        break;
    }
    /* Options may also follow the files, as argparse allows. */
    int file_count = 0;
    char **files = argv + first;
    for (int i = first; i < argc; i++) {
        if (strcmp(argv[i], "--dry-run") == 0)
            dry_run = true;
        else
            files[file_count++] = argv[i];
    }
    if (file_count == 0) {
        mprof_error("rm: a profile to remove must be given (number or file name)");
        return 2;
    }
    char **paths;
    size_t path_count;
    if (profiles_select(file_count, files, false, &paths, &path_count) < 0)
        return 1;
    for (size_t i = 0; i < path_count; i++) {
        if (!rm_is_dat_name(paths[i])) {
            mprof_error("%s: not a .dat file; nothing removed", paths[i]);
            profiles_free(paths, path_count);
            return 1;
        }
    }
    int status = profiles_remove(paths, path_count, dry_run);
    profiles_free(paths, path_count);
    return status;
}
