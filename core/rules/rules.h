/*
 * rules.h - the rules module's whole contract: admin rules in Lua 5.4 (scripts/NAME.lua, in name order).
 *
 * A rule set is the compiled sources of every script, in name order,
 * checked before it is installed.  Each worker owns one sandboxed
 * lua_State built from the current set; when a reload installs a new set,
 * each worker rebuilds its state before its next request (requests already
 * running finish on the old one).  See sandbox.c for the sandbox,
 * rule_set.c for sets and reloads, hooks.c for the hook calls.
 * Plugins add their Lua functions with rules_lua_fn_add.
 */
#ifndef NEPTUN_CORE_RULES_H
#define NEPTUN_CORE_RULES_H

#include <neptun/plugin.h>
#include "render.h"
#include "http.h"

struct rules_worker;
struct store;

/* The most Lua functions all plugins together may register. */
#define RULES_LUA_FNS_MAX 128

/* Register fn as neptun.<plugin>.<name> in every state built from now on.
 * plugin is borrowed (the plugin's descriptor stays mapped until exit);
 * name is copied.  NEPTUN_OK, NEPTUN_NOMEM, or NEPTUN_ERROR when
 * RULES_LUA_FNS_MAX are registered already. */
int rules_lua_fn_add(const char *plugin, const char *name, neptun_lua_fn fn, void *ud);
/* Forget every registered function (plugins_unload). */
void rules_lua_fn_clear(void);

/* Compile and check every script in dir, then make it the set in force.
 * On error the old set stays, the error is logged (script and line) and
 * NEPTUN_ERROR is returned.  Safe from any thread (SIGHUP handler thread,
 * POST /admin/reload, the file watcher). */
int rules_reload(const char *dir);
/* The generation of the set in force (bumped by each successful reload). */
uint64_t rules_generation(void);
void rules_cleanup(void);
/* Does the set in force define a hook?  name: "on_request", "on_item", ... */
int rules_has(const char *hook);

/* Offline check: compile every script in dir, run test_* functions,
 * print a line each; returns the number of failures (0 = all good), or -1
 * when the dir cannot be read. */
int rules_check(const char *dir);

/* Per-worker state; store is the worker's read connection (for
 * neptun.items).  NULL on failure. */
struct rules_worker *rules_worker_new(struct store *store, int worker_index);
void rules_worker_free(struct rules_worker *lw);

/* Each returns NEPTUN_DECLINED to go on, NEPTUN_OK when Lua answered
 * (reply filled), or NEPTUN_ERROR when the hook failed (the caller answers
 * 500; the error was logged and counted). */
int rules_on_request(struct rules_worker *lw, struct neptun_req *req, struct neptun_reply *reply);
int rules_route(struct rules_worker *lw, struct neptun_req *req, struct neptun_reply *reply);
/* A Lua route's answer sets reply->no_store when it read the request's
 * headers, or the partner while req->variant is NULL: it may differ per
 * reader, so it is never kept for others.  Otherwise the caller may keep a
 * 200 answer under (variant, URI) like any other read. */
/* *keep is set to 0 when the rule drops the item; item (a pool copy) may be
 * changed in title, summary, tags and links for this answer only. */
int rules_on_item(struct rules_worker *lw, struct neptun_req *req, struct neptun_item *item,
                const char *lang, int *keep);
/* The same for a list's n items in one protected call (a call per item
 * was a third of the rules' cost): keep[i] set to 0 for each item dropped. */
int rules_on_items(struct rules_worker *lw, struct neptun_req *req, struct neptun_item **items,
                 size_t n, const char *lang, unsigned char *keep);
int rules_on_feed(struct rules_worker *lw, struct neptun_req *req, struct render_feed *feed);

#endif
