/*
 * script_api.c - the `neptun` table rule scripts see.
 *
 *   neptun.log([level,] msg)        to the error log, prefixed with the script
 *   neptun.t(key [, lang [, n]])    translated interface string (plurals by n)
 *   neptun.config                   languages, default_language, base_url,
 *                                   timezone, partners (names only)
 *   neptun.items{type=, lang=, tag=, limit=, upcoming=}   read-only query
 *   neptun.route(method, pattern, fn)          a Lua endpoint (at load only;
 *                                   the router's pattern grammar)
 *   neptun.xml_rss(channel, items)  an RSS 2.0 document written by libxml2
 *   neptun.<plugin>.<name>(...)     functions registered by C plugins
 *                                   (rules_lua_fn_add, at start-up)
 *
 * The sandbox wraps the table read-only.  Functions find the call in
 * progress (request, pool, store, script) through sandbox_ctx().
 *
 * Budgets: each function charges its work to the instruction budget of
 * the call in progress (and so to its time limit, sandbox_charge), counts
 * what it holds in C against the memory cap (sandbox_hold) and frees it
 * before it returns, also when it fails: the work runs protected inside
 * host_call, which then lets go of the scratch pool, the libxml2 writer
 * and the held bytes, and only then returns or raises.  Strings read from
 * a script's tables stay on the stack while C uses them: a table with an
 * __index may make each value afresh, and the next read may run the
 * collector.
 */
#include <lauxlib.h>
#include <libxml/xmlwriter.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "locale.h"
#include "log.h"
#include "rules.h"
#include "script_api.h"
#include "item_view.h"
#include "sandbox.h"
#include "render.h"
#include "http.h"
#include "store.h"
#include "content.h"

#define ITEMS_DEFAULT_LIMIT 20
#define ITEMS_MAX_LIMIT 100
#define RSS_ATOM_NS "http://www.w3.org/2005/Atom"
#define HOST_CALL_COST 1000      /* steps charged for any neptun.* call */
#define ITEM_COST 200            /* steps per item neptun.items returns */
#define BYTES_PER_STEP 16        /* text a step may copy or escape */
#define LOG_MESSAGE_MAX 4096     /* bytes of a neptun.log message logged */
#define XML_RSS_MAX_BYTES (4u << 20) /* largest document neptun.xml_rss writes */
#define XML_EXPANSION 6          /* '"' becomes "&quot;" */

/* A function a plugin registered: neptun.<plugin>.<name>. */
struct plugin_fn {
    const char *plugin;  /* borrowed from the plugin's descriptor */
    char *name;
    neptun_lua_fn fn;
    void *ud;
};

static struct plugin_fn lua_fns[RULES_LUA_FNS_MAX];
static size_t nlua_fns;

static struct sandbox_call_ctx *ctx_of(lua_State *L)
{
    return sandbox_ctx(sandbox_of(L));
}

/* ---- running a function's work ---------------------------------------- */

/* What a neptun.* function holds while it works; all of it is let go when
 * the call ends. */
struct host_call {
    struct neptun_pool *pool;  /* scratch pool */
    size_t held;               /* bytes counted with sandbox_hold */
    xmlBufferPtr buf;          /* neptun.xml_rss */
    xmlTextWriterPtr w;
};

static struct host_call *host_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* The call's scratch pool, made on first use. */
static struct neptun_pool *host_pool(lua_State *L, struct host_call *hc)
{
    if (hc->pool == NULL && (hc->pool = neptun_pool_new(4096)) == NULL)
        luaL_error(L, "out of memory");
    return hc->pool;
}

/* Count what the scratch pool grew to against the memory cap. */
static void host_hold_pool(lua_State *L, struct host_call *hc)
{
    size_t used = hc->pool != NULL ? neptun_pool_used(hc->pool) : 0;

    if (used > hc->held) {
        sandbox_hold(L, used - hc->held);
        hc->held = used;
    }
}

/* Run body with the arguments on the stack, protected, with hc as its
 * upvalue; free what hc holds; then return body's results or raise its
 * error.  Arguments keep their numbers, but check them before: an error
 * inside body names no function. */
static int host_call(lua_State *L, lua_CFunction body, struct host_call *hc)
{
    int n = lua_gettop(L), rc;

    lua_pushlightuserdata(L, hc);
    lua_pushcclosure(L, body, 1);
    lua_insert(L, 1);
    rc = lua_pcall(L, n, LUA_MULTRET, 0);
    if (hc->w != NULL)
        xmlFreeTextWriter(hc->w);
    if (hc->buf != NULL)
        xmlBufferFree(hc->buf);
    if (hc->pool != NULL)
        neptun_pool_free(hc->pool);
    sandbox_release(L, hc->held);
    memset(hc, 0, sizeof *hc);
    if (rc != LUA_OK)
        return lua_error(L);
    return lua_gettop(L);
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
    size_t len;

    sandbox_charge(L, HOST_CALL_COST);
    if (lua_gettop(L) >= 2) {
        level = luaL_checkoption(L, 1, NULL, levels);
        msg = luaL_tolstring(L, 2, &len);
    } else {
        msg = luaL_tolstring(L, 1, &len);
    }
    log_msg(level, "script %s: %.*s%s", ctx->script ? ctx->script : "?",
            (int)(len < LOG_MESSAGE_MAX ? len : LOG_MESSAGE_MAX), msg,
            len > LOG_MESSAGE_MAX ? "..." : "");
    return 0;
}

/* ---- neptun.t --------------------------------------------------------- */

/* [-0, +1] arguments checked by api_t */
static int t_body(lua_State *L)
{
    struct sandbox_call_ctx *ctx = ctx_of(L);
    struct host_call *hc = host_of(L);
    const char *key = lua_tostring(L, 1);
    const char *lang = lua_isnoneornil(L, 2) ? (ctx->req && ctx->req->lang ? ctx->req->lang
                                                                           : conf_default_lang())
                                             : lua_tostring(L, 2);
    lua_Integer n = luaL_optinteger(L, 3, -1);
    const char *text;

    if (!conf_has_lang(lang, strlen(lang)))
        return luaL_error(L, "neptun.t: unknown language '%s'", lang);
    text = locale_translate(host_pool(L, hc), key, lang, (long)n);
    host_hold_pool(L, hc);
    lua_pushstring(L, text != NULL ? text : key);
    return 1;
}

static int api_t(lua_State *L)
{
    struct host_call hc = { 0 };

    sandbox_charge(L, HOST_CALL_COST);
    luaL_checkstring(L, 1);
    luaL_optstring(L, 2, NULL);
    luaL_optinteger(L, 3, -1);
    lua_settop(L, 3);
    return host_call(L, t_body, &hc);
}

/* ---- neptun.items ----------------------------------------------------- */

/* The string query.key (or NULL for nil), left on the stack: the query may
 * have an __index that makes it afresh, and the next read may collect it.
 * [-0, +1] */
static const char *opt_field(lua_State *L, int idx, const char *key)
{
    int t = lua_getfield(L, idx, key);

    if (t != LUA_TSTRING && t != LUA_TNIL)
        luaL_error(L, "neptun.items: %s must be a string", key);
    return t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
}

/* [-0, +1] the query table checked by api_items */
static int items_body(lua_State *L)
{
    struct sandbox_call_ctx *ctx = ctx_of(L);
    struct host_call *hc = host_of(L);
    struct store_query q;
    struct neptun_item **items = NULL;
    struct neptun_pool *pool;
    const char *lang;
    lua_Integer limit;
    size_t n = 0, total = 0;

    luaL_checkstack(L, 8, NULL);
    memset(&q, 0, sizeof q);
    q.type = opt_field(L, 1, "type");
    q.tag = opt_field(L, 1, "tag");
    lang = opt_field(L, 1, "lang");
    if (lang == NULL)
        lang = ctx->req && ctx->req->lang ? ctx->req->lang : conf_default_lang();
    /* upcoming=true: dated items not yet ended, earliest start first */
    lua_getfield(L, 1, "upcoming");
    q.upcoming = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 1, "limit");
    limit = luaL_optinteger(L, -1, ITEMS_DEFAULT_LIMIT);
    lua_pop(L, 1);
    if (limit < 1 || limit > ITEMS_MAX_LIMIT)
        return luaL_error(L, "neptun.items: limit must be from 1 to %d", ITEMS_MAX_LIMIT);
    if (!conf_has_lang(lang, strlen(lang)))
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
    pool = host_pool(L, hc);
    if (store_list(ctx->store, pool, &q, &items, NULL, &n, &total) != NEPTUN_OK)
        return luaL_error(L, "neptun.items: the store could not be read");
    host_hold_pool(L, hc);
    sandbox_charge(L, (long)n * ITEM_COST);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        rules_item_push_table(L, pool, items[i], lang);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int api_items(lua_State *L)
{
    struct host_call hc = { 0 };

    sandbox_charge(L, HOST_CALL_COST);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    return host_call(L, items_body, &hc);
}

/* ---- neptun.route ----------------------------------------------------- */

#define ROUTE_PATTERN_META "neptun.route_pattern" /* registry: its metatable */

/* When the state closes. */
static int route_pattern_gc(lua_State *L)
{
    struct rules_route_pattern *rp = lua_touserdata(L, 1);

    router_pattern_free(rp->pattern);
    rp->pattern = NULL;
    return 0;
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
    lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_ROUTES_KEY);
    lua_createtable(L, 4, 0);
    lua_pushstring(L, methods[m]);
    lua_rawseti(L, -2, 1);
    /* the router's grammar, compiled once: the userdata owns it (its __gc
     * frees it when the state closes) before anything else can fail */
    struct rules_route_pattern *rp = lua_newuserdatauv(L, sizeof *rp, 1);
    const char *why = NULL;
    rp->pattern = NULL;
    if (luaL_newmetatable(L, ROUTE_PATTERN_META)) {
        lua_pushcfunction(L, route_pattern_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    rp->pattern = router_pattern_new(pattern, &why);
    if (rp->pattern == NULL)
        return luaL_error(L, "neptun.route: bad pattern '%s' (%s)", pattern, why);
    /* what the router allocated counts against the state's memory cap: a
     * block of its size in the Lua heap, kept as long as the pattern */
    lua_newuserdatauv(L, router_pattern_size(rp->pattern), 0);
    lua_setiuservalue(L, -2, 1);
    lua_rawseti(L, -2, 2);
    lua_pushvalue(L, 3);
    lua_rawseti(L, -2, 3);
    lua_pushstring(L, ctx->script ? ctx->script : "?");
    lua_rawseti(L, -2, 4);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

/* ---- neptun.xml_rss --------------------------------------------------- */

static void check_write(lua_State *L, int rc)
{
    if (rc < 0)
        luaL_error(L, "neptun.xml_rss: the document could not be written");
}

/* Before len bytes of text go into the document: keep it under
 * XML_RSS_MAX_BYTES, charge the copying to the budget and count what
 * libxml2 may hold for it (the escaped copy, the writer's output buffer
 * and the document, which grows by doubling) against the memory cap. */
static void writer_need(lua_State *L, struct host_call *hc, size_t len)
{
    size_t doc = (size_t)xmlBufferLength(hc->buf), want;

    if (len > XML_RSS_MAX_BYTES || doc + len > XML_RSS_MAX_BYTES)
        luaL_error(L, "neptun.xml_rss: the document would be larger than %d bytes",
                   (int)XML_RSS_MAX_BYTES);
    sandbox_charge(L, 10 + (long)(len / BYTES_PER_STEP));
    want = 2 * doc + 3 * XML_EXPANSION * len + 1024;
    if (want > hc->held) {
        sandbox_hold(L, want - hc->held);
        hc->held = want;
    }
}

/* tbl.key as a string (numbers too), left on the stack until the body
 * returns (see the top of the file); NULL for nil.  [-0, +1] */
static const char *str_field(lua_State *L, int idx, const char *key, int required,
                             const char *what)
{
    int t = lua_getfield(L, idx, key);

    if (t == LUA_TSTRING || t == LUA_TNUMBER)
        return lua_tostring(L, -1);
    if (t != LUA_TNIL || required)
        luaL_error(L, "neptun.xml_rss: %s.%s must be a string", what, key);
    return NULL;
}

static void write_text(lua_State *L, struct host_call *hc, const char *name, const char *text)
{
    if (text == NULL)
        return;
    writer_need(L, hc, strlen(text));
    check_write(L, xmlTextWriterWriteElement(hc->w, BAD_CAST name, BAD_CAST text));
}

static void write_date(lua_State *L, struct host_call *hc, int idx, const char *key,
                       const char *element, const char *what)
{
    int t = lua_getfield(L, idx, key);

    if (t == LUA_TNUMBER) {
        const char *d = locale_rfc822(host_pool(L, hc), (int64_t)lua_tointeger(L, -1));
        if (d == NULL)
            luaL_error(L, "neptun.xml_rss: %s.%s is not a valid time", what, key);
        write_text(L, hc, element, d);
    } else if (t != LUA_TNIL) {
        luaL_error(L, "neptun.xml_rss: %s.%s must be a Unix time", what, key);
    }
    lua_pop(L, 1);
}

/* [-0, +0] the item table at index item */
static void write_rss_item(lua_State *L, struct host_call *hc, int item)
{
    xmlTextWriterPtr w = hc->w;
    int top = lua_gettop(L);
    const char *link = str_field(L, item, "link", 0, "item");
    const char *guid = str_field(L, item, "guid", 0, "item");

    check_write(L, xmlTextWriterStartElement(w, BAD_CAST "item"));
    write_text(L, hc, "title", str_field(L, item, "title", 1, "item"));
    write_text(L, hc, "link", link);
    write_text(L, hc, "description", str_field(L, item, "description", 0, "item"));
    if (lua_getfield(L, item, "categories") == LUA_TTABLE) {
        lua_Integer n = luaL_len(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, -1, i);
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "neptun.xml_rss: item.categories must hold strings");
            write_text(L, hc, "category", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    if (guid != NULL || link != NULL) {
        const char *id = guid != NULL ? guid : link;
        writer_need(L, hc, strlen(id));
        check_write(L, xmlTextWriterStartElement(w, BAD_CAST "guid"));
        check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "isPermaLink",
                                                   BAD_CAST(guid != NULL ? "false" : "true")));
        check_write(L, xmlTextWriterWriteString(w, BAD_CAST id));
        check_write(L, xmlTextWriterEndElement(w));
    }
    write_date(L, hc, item, "pubDate", "pubDate", "item");
    check_write(L, xmlTextWriterEndElement(w));
    lua_settop(L, top);
}

/* [-0, +1] the two tables checked by api_xml_rss */
static int xml_rss_body(lua_State *L)
{
    struct host_call *hc = host_of(L);
    xmlTextWriterPtr w;
    const char *self;
    lua_Integer n;
    size_t len;

    luaL_checkstack(L, 16, NULL);
    hc->buf = xmlBufferCreate();
    if (hc->buf == NULL)
        return luaL_error(L, "out of memory");
    hc->w = xmlNewTextWriterMemory(hc->buf, 0);
    if (hc->w == NULL)
        return luaL_error(L, "out of memory");
    w = hc->w;
    writer_need(L, hc, 0);
    check_write(L, xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
    check_write(L, xmlTextWriterStartElement(w, BAD_CAST "rss"));
    check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0"));
    check_write(L, xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:atom", BAD_CAST RSS_ATOM_NS));
    check_write(L, xmlTextWriterStartElement(w, BAD_CAST "channel"));
    write_text(L, hc, "title", str_field(L, 1, "title", 1, "channel"));
    write_text(L, hc, "link", str_field(L, 1, "link", 1, "channel"));
    write_text(L, hc, "description", str_field(L, 1, "description", 1, "channel"));
    write_text(L, hc, "language", str_field(L, 1, "language", 0, "channel"));
    write_date(L, hc, 1, "lastBuildDate", "lastBuildDate", "channel");
    write_text(L, hc, "ttl", str_field(L, 1, "ttl", 0, "channel"));
    self = str_field(L, 1, "self", 0, "channel");
    if (self != NULL) {
        writer_need(L, hc, strlen(self));
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
        write_rss_item(L, hc, lua_gettop(L));
        lua_pop(L, 1);
    }
    check_write(L, xmlTextWriterEndDocument(w));
    xmlFreeTextWriter(hc->w); /* flushes into buf */
    hc->w = NULL;
    len = (size_t)xmlBufferLength(hc->buf);
    if (len > XML_RSS_MAX_BYTES)
        return luaL_error(L, "neptun.xml_rss: the document would be larger than %d bytes",
                          (int)XML_RSS_MAX_BYTES);
    /* only the document is left to count while it is copied into Lua */
    if (hc->held > len) {
        sandbox_release(L, hc->held - len);
        hc->held = len;
    }
    lua_pushlstring(L, (const char *)xmlBufferContent(hc->buf), len);
    return 1;
}

/* neptun.xml_rss(channel, items) -> string
 * channel: title, link, description, language, self (URL of the feed),
 *          lastBuildDate (Unix time), ttl (minutes)
 * items:   array of {title, link, guid, description, pubDate, categories} */
static int api_xml_rss(lua_State *L)
{
    struct host_call hc = { 0 };

    sandbox_charge(L, HOST_CALL_COST);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    return host_call(L, xml_rss_body, &hc);
}

/* ---- plugin functions ------------------------------------------------- */

int rules_lua_fn_add(const char *plugin, const char *name, neptun_lua_fn fn, void *ud)
{
    char *copy;

    if (nlua_fns == RULES_LUA_FNS_MAX)
        return NEPTUN_ERROR;
    copy = strdup(name);
    if (copy == NULL)
        return NEPTUN_NOMEM;
    lua_fns[nlua_fns++] = (struct plugin_fn){ plugin, copy, fn, ud };
    return NEPTUN_OK;
}

void rules_lua_fn_clear(void)
{
    for (size_t i = 0; i < nlua_fns; i++)
        free(lua_fns[i].name);
    nlua_fns = 0;
}

/* upvalue 1: the host_call; upvalue 2: the struct plugin_fn */
static int plugin_body(lua_State *L)
{
    struct host_call *hc = host_of(L);
    const struct plugin_fn *f = lua_touserdata(L, lua_upvalueindex(2));
    int argc = lua_gettop(L);
    const char **argv;
    const char *result = NULL;
    struct neptun_pool *pool;

    argv = lua_newuserdatauv(L, sizeof *argv * (size_t)(argc + 1), 0);
    for (int i = 0; i < argc; i++) {
        size_t len;
        argv[i] = luaL_tolstring(L, i + 1, &len); /* kept on the stack */
        sandbox_charge(L, (long)(len / BYTES_PER_STEP));
    }
    argv[argc] = NULL;
    pool = host_pool(L, hc);
    if (f->fn(f->ud, pool, argc, argv, &result) != NEPTUN_OK)
        return luaL_error(L, "neptun.%s.%s failed", f->plugin, f->name);
    host_hold_pool(L, hc);
    if (result == NULL)
        lua_pushnil(L);
    else
        lua_pushstring(L, result);
    return 1;
}

/* upvalue 1: the struct plugin_fn (light userdata) */
static int api_plugin_fn(lua_State *L)
{
    const struct plugin_fn *f = lua_touserdata(L, lua_upvalueindex(1));
    struct host_call hc = { 0 };
    int n = lua_gettop(L), rc;

    sandbox_charge(L, HOST_CALL_COST);
    if (n > 64)
        return luaL_error(L, "neptun.%s.%s: too many arguments", f->plugin, f->name);
    lua_pushlightuserdata(L, &hc);
    lua_pushlightuserdata(L, (void *)f);
    lua_pushcclosure(L, plugin_body, 2);
    lua_insert(L, 1);
    rc = lua_pcall(L, n, 1, 0);
    if (hc.pool != NULL)
        neptun_pool_free(hc.pool);
    sandbox_release(L, hc.held);
    if (rc != LUA_OK)
        return lua_error(L);
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
    for (size_t i = 0; i < nlua_fns; i++) {
        const struct plugin_fn *f = &lua_fns[i];
        if (f->plugin == NULL || f->name == NULL)
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
    const struct conf *c = neptun_conf;

    lua_createtable(L, 0, 6);
    lua_newtable(L);
    for (size_t i = 0; i < c->nlangs; i++) {
        lua_pushstring(L, c->langs[i].code);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "languages");
    set_string(L, "default_language", conf_default_lang());
    set_string(L, "base_url", c->base_url);
    set_string(L, "timezone", c->timezone);
    lua_newtable(L); /* partner names only: never their keys */
    for (size_t i = 0; i < c->npartners; i++) {
        lua_pushstring(L, c->partners[i].name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "partners");
}

void rules_api_push(lua_State *L)
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
