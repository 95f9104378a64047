/*
 * plugin_host.h - loading plugins and the host table they receive.
 */
#ifndef NEPTUN_PLUGIN_HOST_H
#define NEPTUN_PLUGIN_HOST_H

#include <neptun/plugin.h>

/* Load each configured plugin (a path, or a name looked up in dir as
 * NAME.so).  A plugin that cannot be loaded is logged and skipped.
 * Returns the number loaded. */
int plugins_load(char *const *names, size_t n, const char *dir);
void plugins_unload(void);
/* The host table (also used by built-in code for uniformity). */
const struct neptun_host *plugin_host_api(void);

/* Lua functions registered by plugins, for lua_sandbox.c. */
struct plugin_lua_fn {
    const char *plugin;
    const char *name;
    neptun_lua_fn fn;
    void *ud;
};
size_t plugins_lua_fn_count(void);
const struct plugin_lua_fn *plugins_lua_fn_at(size_t i);

#endif
