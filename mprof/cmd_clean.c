/*
 * cmd_clean.c — `mprof clean [--dry-run]`: remove every mprofile_*.dat of the current
 * directory (the files `mprof list` shows, and only those).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dat.h"

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
        mprof_error("clean: unexpected argument %s (see mprof clean -h)", argv[i]);
        return 2;
    }
    char **names;
    size_t count;
    char error[DAT_ERROR_MAX];
    if (dat_list_files(".", &names, &count, error, sizeof error) < 0) {
        mprof_error("%s", error);
        return 1;
    }
    int status = 0;
    if (dry_run)
        puts("Files to be removed: ");
    for (size_t i = 0; i < count; i++) {
        if (dry_run) {
            puts(names[i]);
        } else if (unlink(names[i]) != 0) {
            mprof_error("%s: %s", names[i], strerror(errno));
            status = 1;
        }
    }
    dat_free_list(names, count);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
