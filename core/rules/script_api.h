/*
 * script_api.h - the `neptun` table rule scripts see, and the Lua functions
 * plugins add to it (neptun.<plugin>.<name>).
 *
 * Private to the rules: rule_set.c hands rules_api_push to the sandboxes
 * it builds; plugins register their functions through rules.h.  The
 * registry is filled at start-up (single-threaded) and read-only while
 * workers build their states.
 */
#ifndef NEPTUN_RULES_SCRIPT_API_H
#define NEPTUN_RULES_SCRIPT_API_H

#include <lua.h>
#include <neptun/plugin.h>


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
