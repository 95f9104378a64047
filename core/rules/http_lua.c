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

/* The fields of a route's req whose reads are noted: a route's answer may
 * be kept and shared by everyone asking for the URL (in its variant) only
 * while it read neither. */
static const struct {
    const char *name;
    unsigned flag;
} tracked[] = {
    { "partner", RULES_READ_PARTNER },
    { "headers", RULES_READ_HEADERS },
};
#define NTRACKED (sizeof(tracked) / sizeof(tracked[0]))

/* Mark name read in the notes table (upvalue 2) when it is tracked.
 * 1 when it is.  [-0, +0] */
static int note_read(lua_State *L, const char *name)
{
    for (size_t i = 0; i < NTRACKED; i++)
        if (strcmp(name, tracked[i].name) == 0) {
            lua_pushboolean(L, 1);
            lua_setfield(L, lua_upvalueindex(2), name);
            return 1;
        }
    return 0;
}

/* __index of a route's req: the value kept aside (upvalue 1), noted even
 * when it is nil (an anonymous reader's answer depends on that too).
 * [-0, +1] */
static int tracked_index(lua_State *L)
{
    if (lua_type(L, 2) != LUA_TSTRING || !note_read(L, lua_tostring(L, 2))) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* next() for __pairs, raw: the sandbox's next is not reachable from C. */
static int raw_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* __pairs of a route's req: whoever walks req reads every field, so each
 * tracked one is noted and put in the table itself before the walk.
 * [-0, +3] */
static int tracked_pairs(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    for (size_t i = 0; i < NTRACKED; i++) {
        note_read(L, tracked[i].name);
        lua_pushstring(L, tracked[i].name);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
            lua_pop(L, 2);
        else
            lua_rawset(L, 1);
    }
    lua_pushcfunction(L, raw_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* [-0, +2] the notes table, then req with its tracked fields behind a
 * metatable. */
void rules_req_push_route(lua_State *L, struct neptun_req *req)
{
    lua_newtable(L);
    int notes = lua_gettop(L);
    rules_req_push(L, req);
    int t = notes + 1;
    lua_createtable(L, 0, (int)NTRACKED);
    int aside = t + 1;
    for (size_t i = 0; i < NTRACKED; i++) {
        lua_pushstring(L, tracked[i].name);
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        lua_rawset(L, aside); /* a nil value sets nothing */
        lua_pushstring(L, tracked[i].name);
        lua_pushnil(L);
        lua_rawset(L, t);
    }
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, aside);
    lua_pushvalue(L, notes);
    lua_pushcclosure(L, tracked_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pushvalue(L, aside);
    lua_pushvalue(L, notes);
    lua_pushcclosure(L, tracked_pairs, 2);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0); /* getmetatable(req) gives false, setmetatable fails */
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, t);
    lua_pop(L, 1); /* aside: kept by the closures */
}

/* [-0, +0] */
unsigned rules_req_reads(lua_State *L, int notes)
{
    unsigned reads = 0;

    for (size_t i = 0; i < NTRACKED; i++) {
        lua_pushstring(L, tracked[i].name);
        if (lua_rawget(L, notes) != LUA_TNIL)
            reads |= tracked[i].flag;
        lua_pop(L, 1);
    }
    return reads;
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
