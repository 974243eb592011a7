/*
 * cmd_clean.c — `mprof clean [--dry-run]`: remove every mprofile_*.dat of the current
 * directory (the files `mprof list` shows, and only those).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "profiles.h"

static const char clean_usage[] =
    "usage: mprof clean [--dry-run]\n"
    "Remove every mprofile_*.dat file of the current directory.\n"
    "      --dry-run   print what would be removed\n";

int cmd_clean(int argc, char **argv)
{
    bool dry_run = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(clean_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--dry-run") == 0) {
            dry_run = true;
            continue;
        }
        mprof_error("clean: %s: unexpected argument (see mprof clean --help)", argv[i]);
        return 2;
    }
    char **names;
    size_t count;
    if (profiles_list_here(&names, &count) < 0)
        return 1;
    int status = profiles_remove(names, count, dry_run);
    profiles_free(names, count);
    return status;
}
