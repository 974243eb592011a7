/*
 * dat.c — the .dat model's own functions: releasing a profile and what it holds, and
 * the questions every reader of a profile asks of it (dat.h). Reading, writing and
 * listing files live in dat_read.c, dat_write.c and dat_list.c; the peaks in
 * dat_peak.c.
 */
#include <stdlib.h>
#include <string.h>

#include "dat.h"
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
    memset(profile, 0, sizeof *profile);
}

void dat_free_profiled_function(struct dat_profiled_function *function)
{
    free(function->name);
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
