/*
 * profiles.h — which .dat files a command means: FILE or INDEX arguments (indices as
 * `mprof list` numbers them), or by default the newest mprofile_*.dat of the current
 * directory. Shared by plot, peak and rm.
 *
 * Error convention: 0 on success; -1 after the error was printed with mprof_error().
 */
#ifndef MPROF_PROFILES_H
#define MPROF_PROFILES_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* Resolve `args` (count entries) into malloc'd paths, each once, in argument order. An
 * argument that names an existing path is that path (as the original decides); else an
 * integer is an index into the listing (0 the oldest, -1 the newest); else it is an
 * error ("x.dat: no such file"). With no arguments and `newest_by_default`, the newest
 * mprofile_*.dat; none gives "no mprofile_*.dat in <cwd>". */
int profiles_select(int count, char **args, bool newest_by_default, char ***paths,
                    size_t *path_count);
void profiles_free(char **paths, size_t count);

/* The mprofile_*.dat files of the current directory, oldest first (dat_list_files), as
 * list, clean and the index arguments number them. Returns 0, or -1 after printing
 * why the directory cannot be read. Free with profiles_free(). */
int profiles_list_here(char ***names, size_t *count);

/* Remove each of `paths`; with `dry_run`, print "Files to be removed: " and each path
 * instead, as the original does. A file that cannot be removed is said and the others
 * still go. Returns 0, or 1 when one could not be removed or stdout failed. */
int profiles_remove(char **paths, size_t count, bool dry_run);

/* Copy argv with "--" inserted before the first argument that is a negative integer,
 * so that getopt leaves "-1" (the newest profile) alone, as the original does; unless it
 * is the value of the option before it (`--top -1`), which getopt must see, and refuse
 * in its own words. `short_options` and `long_options` are the getopt_long arguments
 * that say which options take a value. The copy is malloc'd (free it, not its strings);
 * *new_argc receives its length. NULL when out of memory. */
char **profiles_protect_negative_indices(int argc, char **argv, const char *short_options,
                                         const struct option *long_options, int *new_argc);

#endif
