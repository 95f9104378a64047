/*
 * http_lua.c - HTTP to Lua and back: the request as a table for on_request
 * and Lua routes, the ctx table of on_feed, and the answer a script
 * returns ({status=, headers=, body=} or a body string) read into a
 * neptun_reply.
 *
 * How the pieces fit: hooks.c calls these inside its protected calls, so
 * a malformed answer is an ordinary Lua error naming the field.  Scripts
 * never see credentials (Authorization, X-Partner-Key); an answer's
 * headers are checked (token names, no CR or LF) before they reach the
 * reply, and every string is copied into the request's pool while it is
 * still on the Lua stack.
 */
#include "http_lua.h"

#include <lauxlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "http.h"

/* Header names scripts never see: credentials. */
static int is_secret_header(const char *name)
{
    return strcasecmp(name, "authorization") == 0 || strcasecmp(name, "x-partner-key") == 0;
}

/* One request header into the table on top of the stack, its name in
 * lower case; the first of a name wins.  [-0, +0] */
static void add_header(const char *name, const char *value, void *arg)
{
    lua_State *L = arg;
    luaL_Buffer b;

    if (is_secret_header(name))
        return;
    luaL_buffinit(L, &b);
    for (const char *c = name; *c != '\0'; c++)
        luaL_addchar(&b, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
    luaL_pushresult(&b);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushstring(L, value);
        lua_rawset(L, -3);
    } else {
        lua_pop(L, 2);
    }
}

/* [-0, +1] req as a table. */
void rules_req_push(lua_State *L, struct neptun_req *req)
{
    lua_createtable(L, 0, 10);
    rules_set_str(L, "method", req->method_name);
    rules_set_str(L, "path", req->path);
    rules_set_str(L, "uri", req->uri);
    if (req->lang != NULL) {
        rules_set_str(L, "lang", req->lang);
    } else if (req->path != NULL && req->path[0] == '/') {
        /* before routing: the language the path names, if any */
        size_t len = strcspn(req->path + 1, "/");
        if (len > 0 && conf_has_lang(req->path + 1, len)) {
            lua_pushlstring(L, req->path + 1, len);
            lua_setfield(L, -2, "lang");
        }
    }
    rules_set_str(L, "partner", req->partner);
    rules_set_str(L, "variant", req->variant);
    lua_pushinteger(L, (lua_Integer)req->now);
    lua_setfield(L, -2, "now");

    lua_createtable(L, 0, (int)req->nquery);
    for (size_t i = req->nquery; i-- > 0;) { /* the first value of a name wins */
        if (req->query[i].name == NULL)
            continue;
        lua_pushstring(L, req->query[i].value ? req->query[i].value : "");
        lua_setfield(L, -2, req->query[i].name);
    }
    lua_setfield(L, -2, "query");

    lua_newtable(L);
    req_header_each(req, add_header, L);
    lua_setfield(L, -2, "headers");
}

/* [-0, +1] ctx = {lang=, partner=, variant=, path=} */
void rules_req_push_ctx(lua_State *L, struct neptun_req *req, const char *lang)
{
    lua_createtable(L, 0, 4);
    rules_set_str(L, "lang", lang);
    if (req != NULL) {
        rules_set_str(L, "partner", req->partner);
        rules_set_str(L, "variant", req->variant);
        rules_set_str(L, "path", req->path);
    }
}

static int header_name_ok(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s) != NULL))
            return 0;
    return 1;
}

static int header_value_ok(const char *s, size_t len)
{
    return strlen(s) == len && strpbrk(s, "\r\n") == NULL;
}

/* The answer {status=, headers=, body=} (or a string body) at the top of
 * the stack into reply.  Raises an error naming what is wrong.  The table
 * may have an __index that makes each value afresh (and runs the
 * collector), so every string read stays on the stack until it is copied
 * into the pool.  [-0, +0] */
void rules_reply_read(lua_State *L, struct neptun_req *req, struct neptun_reply *reply,
                      const char *default_type)
{
    int t = lua_gettop(L);
    const char *body = "";
    size_t len = 0;
    lua_Integer status = 200;

    reply->nheaders = 0;
    reply->content_type = default_type;
    if (lua_type(L, t) == LUA_TSTRING) {
        body = lua_tolstring(L, t, &len);
        goto done;
    }
    if (lua_getfield(L, t, "status") != LUA_TNIL) {
        int isnum;
        status = lua_tointegerx(L, -1, &isnum);
        if (!isnum || status < 100 || status > 599)
            luaL_error(L, "answer.status must be an HTTP status (100-599)");
    }
    lua_pop(L, 1);
    switch (lua_getfield(L, t, "body")) { /* stays at t + 1 */
    case LUA_TNIL: break;
    case LUA_TSTRING: body = lua_tolstring(L, -1, &len); break;
    default: luaL_error(L, "answer.body must be a string");
    }
    if (lua_getfield(L, t, "headers") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            size_t vlen;
            const char *name, *value;
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "answer.headers must map names to strings");
            name = lua_tostring(L, -2);
            value = lua_tolstring(L, -1, &vlen);
            if (!header_name_ok(name) || !header_value_ok(value, vlen))
                luaL_error(L, "answer.headers: bad header '%s'", name);
            if (strcasecmp(name, "content-type") == 0) {
                reply->content_type = rules_pool_copy(L, req->pool, value, vlen);
            } else {
                if (reply->nheaders == REPLY_MAX_HEADERS)
                    luaL_error(L, "answer.headers: more than %d headers", REPLY_MAX_HEADERS);
                reply->headers[reply->nheaders].name =
                    rules_pool_copy(L, req->pool, name, strlen(name));
                reply->headers[reply->nheaders].value = rules_pool_copy(L, req->pool, value, vlen);
                reply->nheaders++;
            }
            lua_pop(L, 1);
        }
    } else if (lua_type(L, -1) != LUA_TNIL) {
        luaL_error(L, "answer.headers must be a table");
    }
done:
    reply->status = (int)status;
    reply->body = rules_pool_copy(L, req->pool, body, len);
    reply->len = len;
    reply->entry = NULL;
    lua_settop(L, t);
}
