/*
 * plugin.h - the plugin module's whole contract: loading plugins (the host
 * table they receive is plugin.c's own; their Lua functions go to the
 * rules, rules.h).
 */
#ifndef NEPTUN_CORE_PLUGIN_H
#define NEPTUN_CORE_PLUGIN_H

#include <neptun/plugin.h>

/* Load each configured plugin (a path, or a name looked up in dir as
 * NAME.so).  A plugin that cannot be loaded is logged and skipped.
 * Returns the number loaded. */
int plugins_load(char *const *names, size_t n, const char *dir);
void plugins_unload(void);

#endif
