/*
 * cmd_list.c — `mprof list`: the mprofile_*.dat files of the current directory, numbered
 * oldest first in the original's layout ("0 mprofile_20261124101500.dat 10:15:00
 * 24/11/2026"); the numbers are what plot, peak and rm take as INDEX.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "profiles.h"
#include "terminal_text.h"

static const char list_usage[] =
    "usage: mprof list\n"
    "List the mprofile_*.dat files of the current directory, oldest first, numbered\n"
    "as plot, peak and rm take them.\n";

int cmd_list(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(list_usage, stdout);
            return 0;
        }
    }
    if (argc > 1) {
        mprof_error("list: %s: unexpected argument (see mprof list --help)", argv[1]);
        return 2;
    }
    char **names;
    size_t count;
    if (profiles_list_here(&names, &count) < 0)
        return 1;
    for (size_t i = 0; i < count; i++) {
        /* Every listed name is mprofile_ + 14 digits + ...: the stamp is at 9. */
        const char *stamp = names[i] + strlen("mprofile_");
        /* A name is anyone's bytes (a file made in this directory): shown escaped. */
        printf("%zu ", i);
        terminal_text_put(stdout, names[i]);
        printf(" %.2s:%.2s:%.2s %.2s/%.2s/%.4s\n", stamp + 8, stamp + 10, stamp + 12,
               stamp + 6, stamp + 4, stamp);
    }
    profiles_free(names, count);
    return fflush(stdout) == 0 ? 0 : 1;
}
