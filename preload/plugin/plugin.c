/*
 * plugin.c — the plugin's entry points: the one exported symbol libmprof.so looks up,
 * which checks that the running interpreter is the version these sources were built
 * for, and the struct mprof_plugin it returns (python/plugin_api.h has each one's
 * contract).
 */
#include "cpython.h"

#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static const struct mprof_core_api *core;

static int plugin_entry(void)
{
    /* A pending call may run with an exception set by the interrupted code's caller:
     * keep it out of our way and put it back. */
    struct cpython_saved_error saved;
    cpython_error_save(&saved);
    int status = module_install(core);
    sites_learn_library();
    cpython_error_restore(&saved);
    return status;
}

static void plugin_flush_at_exit(void)
{
    calls_flush_at_exit();
    tables_send();
}

/* The tables start again in the child; the calls it is inside go on there. */
static void plugin_fork_child(void)
{
    tables_fork_child();
    calls_fork_child();
}

static struct mprof_plugin plugin = {
    .entry = plugin_entry,
    .flush_at_exit = plugin_flush_at_exit,
    .fork_child = plugin_fork_child,
};

EXPORT const struct mprof_plugin *mprof_python_plugin_init(const struct mprof_core_api *api)
{
    const char *version = Py_GetVersion();
    if (api == NULL || api->version != MPROF_PLUGIN_API_VERSION ||
        strncmp(version, CPYTHON_VERSION_PREFIX, strlen(CPYTHON_VERSION_PREFIX)) != 0)
        return NULL;
    core = api;
    calls_init(api);
    tables_init(api);
    if (sites_init(api) == 0) {
        plugin.site_charge = sites_charge;
        plugin.site_count = sites_count;
        plugin.site_peak = sites_peak;
        plugin.site_charge_native = sites_charge_native;
        plugin.site_free_native = sites_free_native;
        plugin.holds_gil = sites_holds_gil;
    }
    return &plugin;
}
