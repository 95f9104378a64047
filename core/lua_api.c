/*
 * lua_api.c - the `neptun` table rule scripts see.
 *
 *   neptun.log([level,] msg)        to the error log, prefixed with the script
 *   neptun.t(key [, lang [, n]])    translated interface string (plurals by n)
 *   neptun.config                   languages, default_language, base_url,
 *                                   timezone, partners (names only)
 *   neptun.items{type=, lang=, tag=, limit=, upcoming=}   read-only query
 *   neptun.route(method, pattern, fn)          a Lua endpoint (at load only)
 *   neptun.xml_rss(channel, items)  an RSS 2.0 document written by libxml2
 *   neptun.<plugin>.<name>(...)     functions registered by C plugins
 *
 * The sandbox wraps the table read-only.  Functions find the call in
 * progress (request, pool, store, script) through sandbox_ctx().
 */
#include <lauxlib.h>
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "locale.h"
#include "log.h"
#include "lua_sandbox.h"
#include "plugin_host.h"
#include "render.h"
#include "request.h"
#include "store.h"
#include "types.h"

#define ITEMS_DEFAULT_LIMIT 20
#define ITEMS_MAX_LIMIT 100
#define RSS_ATOM_NS "http://www.w3.org/2005/Atom"
#define POOL_BOX "neptun.poolbox"
#define WRITER_BOX "neptun.writerbox"

static struct sandbox_call_ctx *ctx_of(lua_State *L)
{
    return sandbox_ctx(sandbox_of(L));
}

/* ---- a pool for the call ---------------------------------------------- */

static int pool_box_gc(lua_State *L)
{
    struct neptun_pool **box = luaL_checkudata(L, 1, POOL_BOX);

    if (*box != NULL) {
        neptun_pool_free(*box);
        *box = NULL;
    }
    return 0;
}

/* The request's pool, or a scratch pool owned by a userdata left on the
 * stack (freed when collected, also after an error).  [-0, +1] */
static struct neptun_pool *call_pool(lua_State *L)
{
    struct sandbox_call_ctx *ctx = ctx_of(L);
    struct neptun_pool **box;

    if (ctx->pool != NULL) {
        lua_pushnil(L);
        return ctx->pool;
    }
    box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    if (luaL_newmetatable(L, POOL_BOX)) {
        lua_pushcfunction(L, pool_box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    *box = neptun_pool_new(1024);
    if (*box == NULL)
        luaL_error(L, "out of memory");
    return *box;
}

static const char *default_lang(void)
{
    if (neptun_conf != NULL && neptun_conf->nlangs > 0)
        return neptun_conf->langs[0].code;
    return "pl";
}

static void set_string(lua_State *L, const char *key, const char *value)
{
    if (value == NULL)
        return;
    lua_pushstring(L, value);
    lua_setfield(L, -2, key);
}

/* ---- neptun.log ------------------------------------------------------- */

static int api_log(lua_State *L)
{
    static const char *const levels[] = { "debug", "info", "warn", "error", NULL };
    struct sandbox_call_ctx *ctx = ctx_of(L);
    int level = NEPTUN_LOG_INFO;
    const char *msg;

    if (lua_gettop(L) >= 2) {
        level = luaL_checkoption(L, 1, NULL, levels);
        msg = luaL_tolstring(L, 2, NULL);
    } else {
        msg = luaL_tolstring(L, 1, NULL);
    }
    log_msg(level, "script %s: %s", ctx->script ? ctx->script : "?", msg);
    return 0;
}

/* ---- neptun.t --------------------------------------------------------- */

static int api_t(lua_State *L)
{
    struct sandbox_call_ctx *ctx = ctx_of(L);
    const char *key = luaL_checkstring(L, 1);
    const char *lang = luaL_optstring(L, 2, ctx->req && ctx->req->lang ? ctx->req->lang
                                                                       : default_lang());
    lua_Integer n = luaL_optinteger(L, 3, -1);
    struct neptun_pool *pool = call_pool(L);
    const char *text;

    if (neptun_conf != NULL && conf_lang(neptun_conf, lang) == NULL)
        return luaL_error(L, "neptun.t: unknown language '%s'", lang);
    text = locale_t(pool, key, lang, (long)n);
    lua_pushstring(L, text != NULL ? text : key);
    return 1;
}

/* ---- neptun.items ----------------------------------------------------- */

static const char *opt_field(lua_State *L, int idx, const char *key)
{
    int t = lua_getfield(L, idx, key);
    const char *s = NULL;

    if (t == LUA_TSTRING)
        s = lua_tostring(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "neptun.items: %s must be a string", key);
    lua_pop(L, 1); /* the table still holds the string */
    return s;
}

static int api_items(lua_State *L)
{
    struct sandbox_call_ctx *ctx = ctx_of(L);
    struct store_query q;
    struct neptun_item **items = NULL;
    struct neptun_pool *pool;
    const char *lang;
    lua_Integer limit;
    size_t n = 0, total = 0;

    luaL_checktype(L, 1, LUA_TTABLE);
    memset(&q, 0, sizeof q);
    q.type = opt_field(L, 1, "type");
    q.tag = opt_field(L, 1, "tag");
    lang = opt_field(L, 1, "lang");
    if (lang == NULL)
        lang = ctx->req && ctx->req->lang ? ctx->req->lang : default_lang();
    /* upcoming=true: dated items not yet ended, earliest start first */
    lua_getfield(L, 1, "upcoming");
    q.upcoming = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 1, "limit");
    limit = luaL_optinteger(L, -1, ITEMS_DEFAULT_LIMIT);
    lua_pop(L, 1);
    if (limit < 1 || limit > ITEMS_MAX_LIMIT)
        return luaL_error(L, "neptun.items: limit must be from 1 to %d", ITEMS_MAX_LIMIT);
    if (neptun_conf != NULL && conf_lang(neptun_conf, lang) == NULL)
        return luaL_error(L, "neptun.items: unknown language '%s'", lang);
    if (ctx->store == NULL) { /* offline checks and tests: no store */
        lua_newtable(L);
        return 1;
    }
    if (q.type != NULL && types_find(q.type) == NULL)
        return luaL_error(L, "neptun.items: unknown type '%s'", q.type);
    q.order = q.upcoming ? STORE_ORDER_START : STORE_ORDER_UPDATED;
    q.now = ctx->req ? ctx->req->now : (int64_t)time(NULL);
    q.limit = (size_t)limit;
    pool = call_pool(L);
    if (store_list(ctx->store, pool, &q, &items, NULL, &n, &total) != NEPTUN_OK)
        return luaL_error(L, "neptun.items: the store could not be read");
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_item_push_table(L, pool, items[i], lang);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* ---- neptun.route ----------------------------------------------------- */

static int valid_pattern(const char *p)
{
    if (p[0] != '/')
        return 0;
    for (const char *s = p; *s != '\0'; s++) {
        if (*s == '{') {
            const char *e = strchr(s, '}');
            if (e == NULL || e == s + 1 || s[-1] != '/')
                return 0;
            for (const char *c = s + 1; c < e; c++)
                if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
                    return 0;
            s = e;
        } else if (*s == '}' || *s == '?' || *s == '#') {
            return 0;
        }
    }
    return 1;
}

static int api_route(lua_State *L)
{
    static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "*", NULL };
    struct sandbox_call_ctx *ctx = ctx_of(L);
    int m = luaL_checkoption(L, 1, NULL, methods);
    const char *pattern = luaL_checkstring(L, 2);

    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (!ctx->loading)
        return luaL_error(L, "neptun.route: routes may be added only while a script loads");
    if (!valid_pattern(pattern))
        return luaL_error(L, "neptun.route: bad pattern '%s' (segments are literals, "
                          "{name} or {name}.ext)", pattern);
    lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_ROUTES_KEY);
    lua_createtable(L, 4, 0);
    lua_pushstring(L, methods[m]);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 2);
    lua_pushvalue(L, 3);
    lua_rawseti(L, -2, 3);
    lua_pushstring(L, ctx->script ? ctx->script : "?");
    lua_rawseti(L, -2, 4);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

/* ---- neptun.xml_rss --------------------------------------------------- */

struct writer_box {
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
    struct neptun_pool *pool;
};

static int writer_box_gc(lua_State *L)
{
    struct writer_box *b = luaL_checkudata(L, 1, WRITER_BOX);

    if (b->w != NULL)
        xmlFreeTextWriter(b->w);
    if (b->buf != NULL)
        xmlBufferFree(b->buf);
    if (b->pool != NULL)
        neptun_pool_free(b->pool);
    memset(b, 0, sizeof *b);
    return 0;
}

static void check_write(lua_State *L, int rc)
{
    if (rc < 0)
        luaL_error(L, "neptun.xml_rss: the document could not be written");
}

static const char *str_field(lua_State *L, int idx, const char *key, int required,
                             const char *what)
{
    int t = lua_getfield(L, idx, key);
    const char *s = NULL;

    if (t == LUA_TSTRING || t == LUA_TNUMBER)
        s = lua_tostring(L, -1);
    else if (t != LUA_TNIL || required)
        luaL_error(L, "neptun.xml_rss: %s.%s must be a string", what, key);
    lua_pop(L, 1); /* the table keeps the string alive */
    return s;
}

static void write_text(lua_State *L, xmlTextWriterPtr w, const char *name, const char *text)
{
    if (text != NULL)
        check_write(L, xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text));
}

static void write_date(lua_State *L, struct writer_box *b, int idx, const char *key,
                       const char *element, const char *what)
{
    int t = lua_getfield(L, idx, key);

    if (t == LUA_TNUMBER) {
        const char *d = locale_rfc822(b->pool, (int64_t)lua_tointeger(L, -1));
        if (d == NULL)
            luaL_error(L, "neptun.xml_rss: %s.%s is not a valid time", what, key);
        write_text(L, b->w, element, d);
    } else if (t != LUA_TNIL) {
        luaL_error(L, "neptun.xml_rss: %s.%s must be a Unix time", what, key);
    }
    lua_pop(L, 1);
}

static void write_rss_item(lua_State *L, struct writer_box *b, int item)
{
    xmlTextWriterPtr w = b->w;
    const char *link = str_field(L, item, "link", 0, "item");
    const char *guid = str_field(L, item, "guid", 0, "item");

    check_write(L, xmlTextWriterStartElement(w, BAD_CAST "item"));
    write_text(L, w, "title", str_field(L, item, "title", 1, "item"));
    write_text(L, w, "link", link);
    write_text(L, w, "description", str_field(L, item, "description", 0, "item"));
    if (lua_getfield(L, item, "categories") == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, -1, i);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "neptun.xml_rss: item.categories must hold strings");
            write_text(L, w, "category", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    if (guid != NULL || link != NULL) {
        check_write(L, xmlTextWriterStartElement(w, BAD_CAST "guid"));
        check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "isPermaLink",
                                                   BAD_CAST(guid != NULL ? "false" : "true")));
        check_write(L, xmlTextWriterWriteString(w, BAD_CAST(guid != NULL ? guid : link)));
        check_write(L, xmlTextWriterEndElement(w));
    }
    write_date(L, b, item, "pubDate", "pubDate", "item");
    check_write(L, xmlTextWriterEndElement(w));
}

/* neptun.xml_rss(channel, items) -> string
 * channel: title, link, description, language, self (URL of the feed),
 *          lastBuildDate (Unix time), ttl (minutes)
 * items:   array of {title, link, guid, description, pubDate, categories} */
static int api_xml_rss(lua_State *L)
{
    struct writer_box *b;
    xmlTextWriterPtr w;
    const char *self;
    lua_Integer n;

    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    b = lua_newuserdatauv(L, sizeof *b, 0);
    memset(b, 0, sizeof *b);
    if (luaL_newmetatable(L, WRITER_BOX)) {
        lua_pushcfunction(L, writer_box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    b->pool = neptun_pool_new(1024);
    b->buf = xmlBufferCreate();
    if (b->pool == NULL || b->buf == NULL)
        return luaL_error(L, "out of memory");
    b->w = xmlNewTextWriterMemory(b->buf, 0);
    if (b->w == NULL)
        return luaL_error(L, "out of memory");
    w = b->w;
    check_write(L, xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
    check_write(L, xmlTextWriterStartElement(w, BAD_CAST "rss"));
    check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0"));
    check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:atom", BAD_CAST RSS_ATOM_NS));
    check_write(L, xmlTextWriterStartElement(w, BAD_CAST "channel"));
    write_text(L, w, "title", str_field(L, 1, "title", 1, "channel"));
    write_text(L, w, "link", str_field(L, 1, "link", 1, "channel"));
    write_text(L, w, "description", str_field(L, 1, "description", 1, "channel"));
    write_text(L, w, "language", str_field(L, 1, "language", 0, "channel"));
    write_date(L, b, 1, "lastBuildDate", "lastBuildDate", "channel");
    write_text(L, w, "ttl", str_field(L, 1, "ttl", 0, "channel"));
    self = str_field(L, 1, "self", 0, "channel");
    if (self != NULL) {
        check_write(L, xmlTextWriterStartElementNS(w, BAD_CAST "atom", BAD_CAST "link", NULL));
        check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "href", BAD_CAST self));
        check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "rel", BAD_CAST "self"));
        check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "type",
                                                   BAD_CAST "application/rss+xml"));
        check_write(L, xmlTextWriterEndElement(w));
    }
    n = luaL_len(L, 2);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, 2, i) != LUA_TTABLE)
            return luaL_error(L, "neptun.xml_rss: items[%d] must be a table", (int)i);
        write_rss_item(L, b, lua_gettop(L));
        lua_pop(L, 1);
    }
    check_write(L, xmlTextWriterEndDocument(w));
    xmlFreeTextWriter(b->w); /* flushes into buf */
    b->w = NULL;
    lua_pushlstring(L, (const char *)xmlBufferContent(b->buf), (size_t)xmlBufferLength(b->buf));
    return 1;
}

/* ---- plugin functions ------------------------------------------------- */

/* upvalue 1: the struct plugin_lua_fn (light userdata) */
static int api_plugin_fn(lua_State *L)
{
    const struct plugin_lua_fn *f = lua_touserdata(L, lua_upvalueindex(1));
    int argc = lua_gettop(L);
    const char **argv;
    const char *result = NULL;
    struct neptun_pool *pool;

    if (argc > 64)
        return luaL_error(L, "neptun.%s.%s: too many arguments", f->plugin, f->name);
    argv = lua_newuserdatauv(L, sizeof *argv * (size_t)(argc + 1), 0);
    for (int i = 0; i < argc; i++)
        argv[i] = luaL_tolstring(L, i + 1, NULL); /* kept on the stack */
    argv[argc] = NULL;
    pool = call_pool(L);
    if (f->fn(f->ud, pool, argc, argv, &result) != NEPTUN_OK)
        return luaL_error(L, "neptun.%s.%s failed", f->plugin, f->name);
    if (result == NULL)
        lua_pushnil(L);
    else
        lua_pushstring(L, result);
    return 1;
}

static int is_reserved(const char *name)
{
    static const char *const api_names[] = { "log", "t", "items", "route", "xml_rss", "config",
                                             NULL };

    for (size_t i = 0; api_names[i] != NULL; i++)
        if (strcmp(api_names[i], name) == 0)
            return 1;
    return 0;
}

static void push_plugin_functions(lua_State *L)
{
    size_t n = plugins_lua_fn_count();

    for (size_t i = 0; i < n; i++) {
        const struct plugin_lua_fn *f = plugins_lua_fn_at(i);
        if (f == NULL || f->plugin == NULL || f->name == NULL)
            continue;
        if (is_reserved(f->plugin)) {
            log_warn("plugin %s: its Lua functions cannot be neptun.%s (a name of the API)",
                     f->plugin, f->plugin);
            continue;
        }
        if (lua_getfield(L, -1, f->plugin) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_newtable(L);
            lua_pushvalue(L, -1);
            lua_setfield(L, -3, f->plugin);
        }
        lua_pushlightuserdata(L, (void *)f);
        lua_pushcclosure(L, api_plugin_fn, 1);
        lua_setfield(L, -2, f->name);
        lua_pop(L, 1);
    }
}

/* ---- neptun.config ---------------------------------------------------- */

static void push_config(lua_State *L)
{
    static const char *const default_langs[] = { "pl", "en", "de" };
    const struct conf *c = neptun_conf;

    lua_createtable(L, 0, 6);
    lua_newtable(L);
    if (c != NULL) {
        for (size_t i = 0; i < c->nlangs; i++) {
            lua_pushstring(L, c->langs[i].code);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else {
        for (size_t i = 0; i < 3; i++) {
            lua_pushstring(L, default_langs[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    }
    lua_setfield(L, -2, "languages");
    set_string(L, "default_language", default_lang());
    set_string(L, "base_url", c && c->base_url ? c->base_url : "http://127.0.0.1:8080");
    set_string(L, "timezone", c && c->timezone ? c->timezone : "Europe/Warsaw");
    lua_newtable(L); /* partner names only: never their keys */
    for (size_t i = 0; c != NULL && i < c->npartners; i++) {
        lua_pushstring(L, c->partners[i].name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "partners");
}

void lua_api_push(lua_State *L)
{
    static const luaL_Reg functions[] = {
        { "log", api_log },
        { "t", api_t },
        { "items", api_items },
        { "route", api_route },
        { "xml_rss", api_xml_rss },
        { NULL, NULL }
    };

    luaL_newlib(L, functions);
    push_config(L);
    lua_setfield(L, -2, "config");
    push_plugin_functions(L);
}
