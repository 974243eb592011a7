/*
 * target.c — what `mprof run` starts: the program found as execvp would find it, the
 * argv it runs with (python3 in front of a script), the command line the .dat records,
 * and the preload library's path (contract in target.h).
 *
 * Everything here is checked before anything runs or any file is made, so a bad
 * command line costs nothing but one error line.
 */
#include "target.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static bool has_suffix(const char *text, const char *suffix)
{
    size_t text_length = strlen(text), suffix_length = strlen(suffix);
    return text_length >= suffix_length &&
           strcmp(text + text_length - suffix_length, suffix) == 0;
}

/* Find `name` as execvp would: as given when it has a slash, else on PATH. Fills
 * `path` and returns 0, or prints why not and returns the shell's exit status. */
int target_find_program(const char *name, char *path, size_t path_size)
{
    struct stat info;
    if (strchr(name, '/') != NULL) {
        if (stat(name, &info) < 0) {
            mprof_error("%s: %s", name, errno == ENOENT ? "no such file" : strerror(errno));
            return errno == ENOENT || errno == ENOTDIR ? SPAWN_EXIT_NOT_FOUND : SPAWN_EXIT_NOT_EXEC;
        }
        if (S_ISDIR(info.st_mode)) {
            mprof_error("%s: is a directory", name);
            return SPAWN_EXIT_NOT_EXEC;
        }
        if (access(name, X_OK) < 0) {
            mprof_error("%s: not executable", name);
            return SPAWN_EXIT_NOT_EXEC;
        }
        snprintf(path, path_size, "%s", name);
        return 0;
    }
    if (name[0] == '\0') {
        mprof_error("'': command not found");
        return SPAWN_EXIT_NOT_FOUND;
    }
    const char *search = getenv("PATH");
    if (search == NULL)
        search = "/bin:/usr/bin"; /* execvp's default */
    bool found_unexecutable = false;
    for (const char *start = search;; ) {
        const char *end = strchr(start, ':');
        size_t length = end != NULL ? (size_t)(end - start) : strlen(start);
        /* An empty PATH entry means the current directory. */
        int written = length == 0 ? snprintf(path, path_size, "%s", name)
                                  : snprintf(path, path_size, "%.*s/%s", (int)length, start, name);
        if (written > 0 && (size_t)written < path_size && stat(path, &info) == 0 &&
            !S_ISDIR(info.st_mode)) {
            if (access(path, X_OK) == 0)
                return 0;
            found_unexecutable = true;
        }
        if (end == NULL)
            break;
        start = end + 1;
    }
    if (found_unexecutable) {
        mprof_error("%s: not executable", name);
        return SPAWN_EXIT_NOT_EXEC;
    }
    mprof_error("%s: command not found", name);
    return SPAWN_EXIT_NOT_FOUND;
}

/* A script handed to python3 must be there and readable; python3 itself runs it. */
int target_check_script(const char *script)
{
    struct stat info;
    if (stat(script, &info) < 0) {
        mprof_error("%s: %s", script, errno == ENOENT ? "no such file" : strerror(errno));
        return SPAWN_EXIT_NOT_FOUND;
    }
    if (access(script, R_OK) < 0) {
        mprof_error("%s: not readable", script);
        return SPAWN_EXIT_NOT_EXEC;
    }
    return 0;
}

/* --python NAME, where NAME is neither a python nor a .py nor a file (a directory, a
 * package, or nothing here): a module, as memory_profiler runs it (a file keeps running
 * as a script, which it cannot). A directory named with a '/' is no module name: it is
 * run as python runs a directory, its __main__.py as a script. */
static bool target_is_module(const struct target_spec *options)
{
    if (options->module != NULL || !options->python || options->nopython)
        return false;
    const char *first = options->args[0];
    const char *base = strrchr(first, '/') != NULL ? strrchr(first, '/') + 1 : first;
    struct stat info;
    return strncmp(base, "python", 6) != 0 && !has_suffix(first, ".py") &&
           strchr(first, '/') == NULL && (stat(first, &info) < 0 || S_ISDIR(info.st_mode));
}

/* Build the argv the target is executed with: python3 in front of a script, as the
 * original does. Returns a malloc'd NULL-terminated array of borrowed strings. */
char **target_argv(const struct target_spec *options, bool *is_python)
{
    size_t extra = 0;
    *is_python = false;
    const char *module = options->module;
    char **args = options->args;
    int arg_count = options->arg_count;
    if (target_is_module(options)) {
        /* memory_profiler's "Option 4": --python MODULE runs python -m MODULE. */
        module = args[0];
        args++;
        arg_count--;
    }
    if (module != NULL) {
        extra = 3; /* python3 -m MODULE */
    } else {
        const char *first = options->args[0];
        const char *base = strrchr(first, '/') != NULL ? strrchr(first, '/') + 1 : first;
        bool python_named = strncmp(base, "python", 6) == 0;
        if (!options->nopython && (has_suffix(first, ".py") || options->python) &&
            !(options->python && python_named))
            extra = 1;
        *is_python = extra == 1;
    }
    char **argv = calloc((size_t)arg_count + extra + 1, sizeof(*argv));
    if (argv == NULL)
        return NULL;
    size_t at = 0;
    if (extra > 0)
        argv[at++] = TARGET_PYTHON;
    if (module != NULL) {
        argv[at++] = "-m";
        argv[at++] = (char *)module;
    }
    for (int i = 0; i < arg_count; i++)
        argv[at++] = args[i];
    argv[at] = NULL;
    return argv;
}

/* Whether `arg` reads the same to a POSIX shell unquoted: letters, digits, the few
 * punctuation marks no shell treats specially, and any byte of a UTF-8 character (é). */
static bool target_arg_is_plain(const char *arg)
{
    if (*arg == '\0')
        return false;
    for (const unsigned char *c = (const unsigned char *)arg; *c != '\0'; c++) {
        if (*c >= 0x80 || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
            (*c >= '0' && *c <= '9') || strchr("_@%+=:,./-", *c) != NULL)
            continue;
        return false;
    }
    return true;
}

/* The command line as a shell would take it back: an argument that needs quoting is put
 * in single quotes, a quote inside it written '\''. */
char *target_cmdline(char **argv)
{
    size_t size = 1;
    for (char **arg = argv; *arg != NULL; arg++)
        size += 4 * strlen(*arg) + 3;   /* every byte a quote ('\''), two quotes, a space */
    char *text = malloc(size);
    if (text == NULL)
        return NULL;
    char *at = text;
    for (char **arg = argv; *arg != NULL; arg++) {
        if (arg != argv)
            *at++ = ' ';
        bool plain = target_arg_is_plain(*arg);
        if (!plain)
            *at++ = '\'';
        for (const char *c = *arg; *c != '\0'; c++) {
            if (*c == '\'' && !plain) {
                memcpy(at, "'\\''", 4);
                at += 4;
            } else {
                *at++ = *c;
            }
        }
        if (!plain)
            *at++ = '\'';
    }
    *at = '\0';
    return text;
}

/* The library's absolute path: $MPROF_LIBRARY, else ../lib/mprof/libmprof.so beside
 * this executable (the build tree and an install tree have the same shape). */
int target_find_library(char *path, size_t path_size)
{
    char wanted[PATH_MAX];
    const char *override = getenv("MPROF_LIBRARY");
    if (override != NULL && override[0] != '\0') {
        snprintf(wanted, sizeof(wanted), "%s", override);
    } else {
        char dir[PATH_MAX];
        if (mprof_self_dir(dir, sizeof(dir)) < 0) {
            mprof_error("/proc/self/exe: cannot find mprof's own directory (set MPROF_LIBRARY)");
            return -1;
        }
        if (snprintf(wanted, sizeof(wanted), "%s/../lib/mprof/libmprof.so", dir) >=
            (int)sizeof(wanted)) {
            mprof_error("%s: path too long", dir);
            return -1;
        }
    }
    char resolved[PATH_MAX];
    if (realpath(wanted, resolved) == NULL || access(resolved, R_OK) < 0) {
        mprof_error("%s: preload library not found (run make, or set MPROF_LIBRARY)", wanted);
        return -1;
    }
    /* ld.so splits LD_PRELOAD at spaces and colons: such a path cannot be preloaded. */
    if (strpbrk(resolved, " :\t") != NULL) {
        mprof_error("%s: LD_PRELOAD cannot carry a path with a space or colon", resolved);
        return -1;
    }
    if (snprintf(path, path_size, "%s", resolved) >= (int)path_size) {
        mprof_error("%s: path too long", resolved);
        return -1;
    }
    return 0;
}
