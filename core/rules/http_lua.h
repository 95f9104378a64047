/*
 * http_lua.h - a request as Lua sees it, and a Lua answer read back into a
 * neptun_reply.  Private to the rules: hooks.c (on_request, on_feed, Lua
 * routes) uses it; it knows nothing of rule sets, workers or hooks.
 *
 * Every function runs inside a protected call (hooks.c) and may raise a
 * Lua error.
 */
#ifndef NEPTUN_RULES_HTTP_LUA_H
#define NEPTUN_RULES_HTTP_LUA_H

#include <lauxlib.h>
#include <lua.h>
#include <neptun/pool.h>

struct neptun_req;
struct neptun_reply;

/* t[key] = value for the table on top of the stack; nothing when value is
 * NULL.  [-0, +0] */
static inline void rules_set_str(lua_State *L, const char *key, const char *value)
{
    if (value == NULL)
        return;
    lua_pushstring(L, value);
    lua_setfield(L, -2, key);
}

/* s (len bytes, a string on the stack) copied into pool; raises "out of
 * memory" when it does not fit.  Valid until the pool is freed.  [-0, +0] */
static inline const char *rules_pool_copy(lua_State *L, struct neptun_pool *pool, const char *s,
                                          size_t len)
{
    char *c = neptun_pool_strndup(pool, s, len);

    if (c == NULL)
        luaL_error(L, "out of memory");
    return c;
}

/* req as a table {method, path, uri, lang, partner, variant, now, query,
 * headers}; header names in lower case, credentials left out.  [-0, +1] */
void rules_req_push(lua_State *L, struct neptun_req *req);
/* What a Lua route read of its req that may make its answer differ per
 * reader beyond the URL and the variant (rules_req_reads). */
#define RULES_READ_PARTNER 1u
#define RULES_READ_HEADERS 2u
/* req as rules_req_push makes it, for a Lua route: partner and headers are
 * read through a metatable (pairs too) that notes each read in a table of
 * its own.  Pushes that notes table, then req.  [-0, +2] */
void rules_req_push_route(lua_State *L, struct neptun_req *req);
/* RULES_READ_* of what the route read, from the notes table at index
 * notes.  [-0, +0] */
unsigned rules_req_reads(lua_State *L, int notes);
/* ctx = {lang=, partner=, variant=, path=} as a plain table (on_feed); req
 * may be NULL.  [-0, +1] */
void rules_req_push_ctx(lua_State *L, struct neptun_req *req, const char *lang);
/* The answer {status=, headers=, body=} (or a string body) at the top of
 * the stack into reply, its strings copied into req's pool; default_type
 * unless the headers name a Content-Type.  Raises an error naming what is
 * wrong.  [-0, +0] */
void rules_reply_read(lua_State *L, struct neptun_req *req, struct neptun_reply *reply,
                      const char *default_type);

#endif
