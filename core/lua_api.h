/*
 * lua_api.h - the `neptun` table rule scripts see, and the Lua functions
 * plugins add to it (neptun.<plugin>.<name>).
 *
 * Private to the rules: lua_host.c hands rules_api_push to the sandbox it
 * builds; plugin_host.c registers functions through lua_host.h.  The
 * registry is filled at start-up (single-threaded) and read-only while
 * workers build their states.
 */
#ifndef NEPTUN_LUA_API_H
#define NEPTUN_LUA_API_H

#include <lua.h>
#include <neptun/plugin.h>

/* The most Lua functions all plugins together may register. */
#define RULES_LUA_FNS_MAX 128

/* Register fn as neptun.<plugin>.<name> in every state built from now on.
 * plugin is borrowed (the plugin's descriptor stays mapped until exit);
 * name is copied.  NEPTUN_OK, NEPTUN_NOMEM, or NEPTUN_ERROR when
 * RULES_LUA_FNS_MAX are registered already. */
int rules_lua_fn_add(const char *plugin, const char *name, neptun_lua_fn fn, void *ud);
/* Forget every registered function (plugins_unload). */
void rules_lua_fn_clear(void);

struct router_pattern;

/* Slot 2 of each route neptun.route keeps (SANDBOX_ROUTES_KEY): a
 * userdata holding the pattern compiled by the router. */
struct rules_route_pattern {
    struct router_pattern *pattern;
};

/* Push the `neptun` table (plain; the sandbox wraps it read-only): the
 * API and the plugins' functions.  The sandbox's install callback.
 * [-0, +1] */
void rules_api_push(lua_State *L);

#endif
