/*
 * sandbox.h - one sandboxed Lua 5.4 state holding every rule script.
 *
 * The state runs on a capped allocator, with an instruction budget per
 * call and only safe libraries.  Each script gets its own _ENV table whose
 * reads fall through to a read-only shared globals table, so no script can
 * change what another sees.  rule_set.c builds sandboxes and gives each
 * the installer of its API (script_api.c's `neptun` table), hooks.c calls
 * them; the sandbox itself knows no API.
 *
 * A sandbox is used by one thread at a time.
 */
#ifndef NEPTUN_LUA_SANDBOX_H
#define NEPTUN_LUA_SANDBOX_H

#include <lua.h>
#include <neptun/item.h>
#include <neptun/pool.h>

struct store;
struct neptun_req;

#define SANDBOX_DEFAULT_MEMORY (16u * 1024 * 1024)
#define SANDBOX_DEFAULT_INSTRUCTIONS 1000000L
/* Wall time one budget may last (a hook call, a script's main chunk),
 * whatever its instructions: host functions and the pattern matcher do
 * work the count hook does not see. */
#define SANDBOX_TIME_LIMIT_MS 1000
/* What the traceback handler (C, no script code) may use past the memory
 * cap to write the error message of a state that ran out. */
#define SANDBOX_ERROR_RESERVE (64u * 1024)

/* Registry keys: the list of routes registered by neptun.route (each an
 * array {method, pattern, fn, script}; the pattern is compiled, a
 * struct rules_route_pattern, script_api.h). */
#define SANDBOX_ROUTES_KEY "neptun.routes"

/* What the call in progress is about; read by the neptun.* functions. */
struct sandbox_call_ctx {
    struct store *store;       /* worker's read store, NULL: none (tests) */
    struct neptun_req *req;    /* request being served, or NULL */
    struct neptun_pool *pool;  /* where strings for this call live, or NULL */
    const char *script;        /* file name of the running script */
    int loading;               /* running a script's main chunk */
};

struct sandbox;

/* A new state with the given limits (0: the config's, or the defaults).
 * install (may be NULL: no API) pushes the table that becomes the global
 * `neptun`, read-only like the libraries.  NULL with *err set (malloc'd,
 * caller frees) on failure. */
struct sandbox *sandbox_new(size_t memory, long instructions, void (*install)(lua_State *L),
                            char **err);
void sandbox_free(struct sandbox *sb);
lua_State *sandbox_lua(struct sandbox *sb);
/* The sandbox that owns L (any thread of it). */
struct sandbox *sandbox_of(lua_State *L);
struct sandbox_call_ctx *sandbox_ctx(struct sandbox *sb);

/* Compile source as script name (text only), give it a fresh _ENV and run
 * its main chunk under the budget.  NEPTUN_OK, or NEPTUN_ERROR with *err
 * set to "FILE:LINE: message" (malloc'd, caller frees).  [-0, +0] */
int sandbox_add_script(struct sandbox *sb, const char *name, const char *source,
                       size_t len, char **err);
size_t sandbox_script_count(const struct sandbox *sb);
const char *sandbox_script_name(const struct sandbox *sb, size_t i);
/* Push script i's _ENV table.  [-0, +1] */
void sandbox_push_env(struct sandbox *sb, size_t i);

/* Call the function below nargs arguments on the stack, with a fresh
 * instruction budget and a traceback handler.  On success leaves nresults
 * values; on error leaves nothing, sets *err to "FILE:LINE: message" with
 * a traceback (malloc'd, caller frees) and marks the sandbox as tainted.
 * *elapsed_ms (may be NULL) receives the wall time.  [-(nargs+1), +nresults|0] */
int sandbox_call(struct sandbox *sb, int nargs, int nresults, char **err, double *elapsed_ms);
/* Did a call fail since the sandbox was made?  A tainted state may hold
 * half-done work or be out of memory: build a fresh one. */
int sandbox_tainted(const struct sandbox *sb);
/* The most bytes the state (its Lua heap and what neptun.* functions held
 * for it) ever used: never more than its cap + SANDBOX_ERROR_RESERVE. */
size_t sandbox_memory_peak(const struct sandbox *sb);
/* Start a fresh budget (sandbox_call does it; callers that run several
 * hooks inside one protected call give each its own). */
void sandbox_budget_reset(struct sandbox *sb);

/* Charge work done inside C functions (pattern matching, neptun.*) to the
 * budget of the call in progress; raises a Lua error when it is spent or
 * the call ran past SANDBOX_TIME_LIMIT_MS. */
void sandbox_charge(lua_State *L, long steps);
/* Count bytes a C function holds outside the Lua heap on behalf of the
 * script against the state's memory cap; raises "not enough memory" (after
 * one full collection) when they do not fit.  Every hold is given back
 * with sandbox_release before the function returns or raises. */
void sandbox_hold(lua_State *L, size_t bytes);
void sandbox_release(lua_State *L, size_t bytes);

#endif
