/*
 * dat.c — the .dat model's own functions: releasing a profile and what it holds, and
 * the questions every reader of a profile asks of it (dat.h). Reading, writing and
 * listing files live in dat_read.c, dat_write.c and dat_list.c; the peaks in
 * dat_peak.c.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dat.h"

#include "backend.h"
#include "dat_fields.h"

void dat_free(struct dat_profile *profile)
{
    if (profile == NULL)
        return;
    free(profile->path);
    free(profile->cmdline);
    free(profile->mem);
    free(profile->heap);
    for (size_t i = 0; i < profile->child_count; i++) {
        free(profile->children[i].mem);
        free(profile->children[i].heap);
    }
    free(profile->children);
    for (size_t i = 0; i < profile->func_count; i++)
        free(profile->funcs[i].name);
    free(profile->funcs);
    for (size_t i = 0; i < profile->meta_count; i++) {
        free(profile->meta[i].key);
        free(profile->meta[i].value);
    }
    free(profile->meta);
    for (size_t i = 0; i < profile->profiled_count; i++)
        dat_free_profiled_function(&profile->profiled[i]);
    free(profile->profiled);
    for (size_t i = 0; i < profile->top_site_count; i++)
        dat_free_top_site(&profile->top_sites[i]);
    free(profile->top_sites);
    free(profile->cut_short);
    memset(profile, 0, sizeof *profile);
}

void dat_free_profiled_function(struct dat_profiled_function *function)
{
    free(function->name);
    free(function->bracket_name);
    free(function->filename);
    for (size_t i = 0; i < function->line_count; i++)
        free(function->lines[i].contents);
    free(function->lines);
    memset(function, 0, sizeof *function);
}

void dat_free_top_site(struct dat_top_site *site)
{
    free(site->function);
    free(site->filename);
    memset(site, 0, sizeof *site);
}

int dat_meta_u64(const struct dat_profile *profile, const char *key, uint64_t *value)
{
    for (size_t i = profile->meta_count; i-- > 0; )
        if (strcmp(profile->meta[i].key, key) == 0)
            return dat_parse_u64(profile->meta[i].value, value) ? 1 : 0;
    return 0;
}

const char *dat_meta_text_prefixed(const struct dat_profile *profile, const char *key,
                                   const char *prefix)
{
    size_t prefix_length = strlen(prefix);
    for (size_t i = 0; i < profile->meta_count; i++)
        if (strcmp(profile->meta[i].key, key) == 0 &&
            strncmp(profile->meta[i].value, prefix, prefix_length) == 0)
            return profile->meta[i].value + prefix_length;
    return NULL;
}

enum backend dat_backend(const struct dat_profile *profile)
{
    enum backend backend = BACKEND_PSUTIL;
    const char *name = dat_meta_text_prefixed(profile, "backend", "");
    if (name != NULL && backend_parse(name, &backend) < 0)
        backend = BACKEND_PSUTIL;
    return backend;
}

const char *dat_mem_label(const struct dat_profile *profile)
{
    return backend_label(dat_backend(profile));
}

int dat_main_pid(const struct dat_profile *profile)
{
    for (size_t i = profile->meta_count; i-- > 0; ) {
        int pid;
        if (strcmp(profile->meta[i].key, "main_pid") == 0 &&
            dat_parse_int(profile->meta[i].value, &pid))
            return pid;
    }
    return profile->profiled_count > 0 ? profile->profiled[0].pid : 0;
}

int dat_profile_whole(const struct dat_profile *profile, char *why, size_t why_size)
{
    if (profile->cut_short != NULL) {
        snprintf(why, why_size, "%s", profile->cut_short);
        return 0;
    }
    uint64_t version;
    if (!dat_meta_u64(profile, "version", &version))
        return 1;  /* memory_profiler's, or a hand-made file: nothing says where it ends */
    if (version < 3) {
        /* Version 2 files closed with their peaks; rss_peak_bytes is in every one. */
        uint64_t unused;
        if (dat_meta_u64(profile, "rss_peak_bytes", &unused))
            return 1;
        snprintf(why, why_size, "ends at line %zu before its closing MPROF lines (cut short, "
                 "or mprof run was stopped before it finished)", profile->line_count);
        return 0;
    }
    uint64_t bytes_before;
    if (profile->end_line == 0) {
        snprintf(why, why_size, "ends at line %zu without MPROF end (cut short, or mprof run "
                 "was stopped before it finished)", profile->line_count);
        return 0;
    }
    /* The end's value is the bytes before it, or "-" (the file was a pipe); anything
     * else, an empty one too, is an end line cut short. A last line without its newline
     * was cut short as well. */
    bool counted = dat_meta_u64(profile, "end", &bytes_before);
    const char *end_value = dat_meta_text_prefixed(profile, "end", "");
    if (profile->last_line_cut || (!counted && (end_value == NULL || strcmp(end_value, "-") != 0))) {
        snprintf(why, why_size, "line %zu, the last, is cut short (the file was cut, or mprof "
                 "run was stopped before it finished)", profile->line_count);
        return 0;
    }
    if (profile->end_line != profile->line_count ||
        (counted && bytes_before != profile->end_offset)) {
        snprintf(why, why_size, "MPROF end at line %zu of %zu does not stand where it was "
                 "written (after %" PRIu64 " bytes, not %" PRIu64 "): lines were lost or added",
                 profile->end_line, profile->line_count, counted ? bytes_before : 0,
                 profile->end_offset);
        return 0;
    }
    return 1;
}
