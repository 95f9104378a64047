/*
 * hooks.c - per-worker states and hook calls: on_request, on_item (one
 * item or a list's items in one call), on_feed and the Lua routes.
 *
 * Each worker owns one sandbox built from a rule set (rule_set.c).  Before
 * a hook call it compares the generation it was built from with
 * rule_set_gen and builds a fresh sandbox from the current set when it
 * moved; a request already in progress keeps the state it started with
 * (pinned until its pool is freed).  A set that defines no script for the
 * hook asked for costs no sandbox: the state is built when a hook needs
 * it.  A failed hook call leaves its sandbox tainted: the next call builds
 * a fresh one, so one bad request never affects the next.
 *
 * Every touch of the Lua state happens inside one protected call
 * (call_protected and the run_* functions below), so even running out of
 * memory is an ordinary, logged and counted error.  Inside it, call_each
 * runs every script's function of a hook in name order, each with a fresh
 * budget, logging and counting the calls slower than lua_slow_ms.
 *
 * How the pieces fit: rule_set.c gives the set in force and builds
 * sandboxes; http_lua.c turns the request into a table and an answer into
 * the reply; item_view.c shows items to on_item.  None of them calls back
 * into this file.
 */
#include "rules.h"

#include <lauxlib.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "http.h"
#include "http_lua.h"
#include "item_view.h"
#include "log.h"
#include "metrics.h"
#include "rule_set.h"
#include "sandbox.h"
#include "script_api.h"

struct rules_worker {
    struct store *store;
    int index;
    struct sandbox *sb;
    struct rule_set *set;        /* the set sb was built from */
    uint64_t generation;         /* of that set */
    struct neptun_req *pinned;   /* request that keeps sb until it ends */
};

/* ---- workers ---------------------------------------------------------- */

struct rules_worker *rules_worker_new(struct store *store, int worker_index)
{
    struct rules_worker *lw = calloc(1, sizeof *lw);

    if (lw == NULL)
        return NULL;
    lw->store = store;
    lw->index = worker_index;
    return lw;
}

void rules_worker_free(struct rules_worker *lw)
{
    if (lw == NULL)
        return;
    sandbox_free(lw->sb);
    rule_set_unref(lw->set);
    free(lw);
}

static void unpin(void *data)
{
    struct rules_worker *lw = data;

    lw->pinned = NULL;
}

/* Make lw->sb current for req.  NEPTUN_DECLINED when no rule defines the
 * hook bit, NEPTUN_ERROR when the state cannot be built. */
static int prepare(struct rules_worker *lw, struct neptun_req *req, unsigned hook)
{
    int pinned = req != NULL && lw->pinned == req;
    struct rule_set *set;
    struct sandbox *sb;
    const char *failed;
    uint64_t gen;

    if (lw->sb != NULL && !sandbox_tainted(lw->sb) &&
        (pinned || lw->generation == atomic_load(&rule_set_gen)))
        goto ready;
    if (pinned && lw->set != NULL && lw->sb != NULL) {
        /* a failed call: rebuild from the same set for this request */
        set = lw->set;
        rule_set_ref(set);
        gen = lw->generation;
    } else {
        set = rule_set_acquire(&gen);
    }
    if (set == NULL) {
        sandbox_free(lw->sb);
        lw->sb = NULL;
        rule_set_unref(lw->set);
        lw->set = NULL;
        lw->generation = gen;
        return NEPTUN_DECLINED;
    }
    if ((set->hooks & hook) == 0 && !pinned) {
        /* nothing to run: keep the set, build the state when a hook needs it */
        if (lw->set != set || lw->sb == NULL || sandbox_tainted(lw->sb)) {
            sandbox_free(lw->sb);
            lw->sb = NULL;
        }
        rule_set_unref(lw->set);
        lw->set = set;
        lw->generation = gen;
        return NEPTUN_DECLINED;
    }
    sb = rule_set_sandbox_new(set, &failed);
    if (sb == NULL) {
        if (failed != NULL)
            metrics_lua_error(failed);
        rule_set_unref(set);
        return NEPTUN_ERROR;
    }
    sandbox_free(lw->sb);
    rule_set_unref(lw->set);
    lw->sb = sb;
    lw->set = set;
    lw->generation = gen;
ready:
    if ((lw->set->hooks & hook) == 0)
        return NEPTUN_DECLINED;
    if (req != NULL && lw->pinned != req &&
        neptun_pool_cleanup_add(req->pool, unpin, lw) == NEPTUN_OK)
        lw->pinned = req;
    return NEPTUN_OK;
}

/* ---- calling hooks ---------------------------------------------------- */

/* Set up the call context, run fn protected, log and count what failed
 * or was slow. */
static int call_protected(struct rules_worker *lw, struct neptun_req *req, lua_CFunction fn,
                          void *args, const char *what)
{
    struct sandbox_call_ctx *ctx = sandbox_ctx(lw->sb);
    lua_State *L = sandbox_lua(lw->sb);
    char *err = NULL;
    int rc;

    ctx->store = lw->store;
    ctx->req = req;
    ctx->pool = req != NULL ? req->pool : NULL;
    ctx->script = NULL;
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, args);
    rc = sandbox_call(lw->sb, 1, 0, &err, NULL);
    if (rc != 0) {
        const char *msg = err != NULL ? err : "?";
        int first_line = (int)strcspn(msg, "\n");
        log_error("script %.*s (in %s%s%s)%s", first_line, msg, what, req ? " for " : "",
                  req && req->uri ? req->uri : "", msg + first_line);
        metrics_lua_error(ctx->script);
    }
    free(err);
    ctx->req = NULL;
    ctx->pool = NULL;
    ctx->script = NULL;
    return rc == 0 ? NEPTUN_OK : NEPTUN_ERROR;
}

/* Call every script's function `hook` in name order with the nargs values
 * on top of the stack.  each(L, ud) is called after every call with the one
 * result on top (and pops it); it returns nonzero to stop.  [-nargs, +0] */
static void call_each_timed(lua_State *L, struct sandbox *sb, const char *hook, int nargs,
                            int (*each)(lua_State *L, void *ud), void *ud, double *mark)
{
    struct sandbox_call_ctx *ctx = sandbox_ctx(sb);
    int first = lua_gettop(L) - nargs + 1;
    int slow_ms = neptun_conf->lua_slow_ms;

    for (size_t i = 0; i < sandbox_script_count(sb); i++) {
        double start, took;

        sandbox_push_env(sb, i);
        if (lua_getfield(L, -1, hook) != LUA_TFUNCTION) {
            lua_pop(L, 2);
            continue;
        }
        lua_remove(L, -2);
        for (int a = 0; a < nargs; a++)
            lua_pushvalue(L, first + a);
        ctx->script = sandbox_script_name(sb, i);
        sandbox_budget_reset(sb);
        /* one clock read per call: a call starts where the one before
         * ended (what lies between is a few microseconds of C) */
        start = *mark > 0 ? *mark : clock_monotonic_ms();
        lua_call(L, nargs, 1);
        *mark = clock_monotonic_ms();
        took = *mark - start;
        if (slow_ms > 0 && took > slow_ms) {
            log_warn("script %s: %s took %.1f ms (lua_slow_ms %d)", ctx->script, hook, took,
                     slow_ms);
            metrics_lua_slow(ctx->script);
        }
        if (each(L, ud))
            break;
    }
    ctx->script = NULL;
    lua_settop(L, first - 1);
}

/* call_each_timed, timing from now. */
static void call_each(lua_State *L, struct sandbox *sb, const char *hook, int nargs,
                      int (*each)(lua_State *L, void *ud), void *ud)
{
    double mark = 0;
    call_each_timed(L, sb, hook, nargs, each, ud, &mark);
}

/* ---- on_request ------------------------------------------------------- */

struct request_call {
    struct neptun_req *req;
    struct neptun_reply *reply;
    int answered;
};

static int each_request(lua_State *L, void *ud)
{
    struct request_call *c = ud;

    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "on_request must return nothing or {status=, headers=, body=}");
    rules_reply_read(L, c->req, c->reply, "text/plain; charset=utf-8");
    lua_pop(L, 1);
    c->answered = 1;
    return 1;
}

static int run_on_request(lua_State *L)
{
    struct request_call *c = lua_touserdata(L, 1);
    struct sandbox *sb = sandbox_of(L);
    int r;

    rules_req_push(L, c->req);
    r = lua_gettop(L);
    lua_pushvalue(L, r);
    call_each(L, sb, "on_request", 1, each_request, c);
    switch (lua_getfield(L, r, "variant")) {
    case LUA_TSTRING: {
        size_t len;
        const char *v = lua_tolstring(L, -1, &len);
        if (len == 0 || len > 64 || strlen(v) != len)
            luaL_error(L, "req.variant must be a short name");
        c->req->variant = rules_pool_copy(L, c->req->pool, v, len);
        break;
    }
    case LUA_TNIL: c->req->variant = NULL; break;
    default: luaL_error(L, "req.variant must be a string");
    }
    return 0;
}

int rules_on_request(struct rules_worker *lw, struct neptun_req *req, struct neptun_reply *reply)
{
    struct request_call c = { req, reply, 0 };
    int rc;

    if (lw == NULL)
        return NEPTUN_DECLINED;
    rc = prepare(lw, req, HOOK_ON_REQUEST);
    if (rc != NEPTUN_OK)
        return rc;
    if (call_protected(lw, req, run_on_request, &c, "on_request") != NEPTUN_OK)
        return NEPTUN_ERROR;
    return c.answered ? NEPTUN_OK : NEPTUN_DECLINED;
}

/* ---- on_item ---------------------------------------------------------- */

struct item_call {
    struct neptun_req *req;
    struct neptun_item *item;
    const char *lang;
    int keep;
};

static int each_item(lua_State *L, void *ud)
{
    struct item_call *c = ud;
    int dropped = lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1);

    lua_pop(L, 1);
    if (dropped)
        c->keep = 0;
    return dropped;
}

/* One item through every script's on_item, with the ctx view at stack
 * index ctx; leaves the stack as it was. */
static void item_through_rules(lua_State *L, struct sandbox *sb, struct item_call *c, int ctx,
                               double *mark)
{
    int top = lua_gettop(L), item;

    /* views, not tables: fields are read when asked for, and only what
     * the rules changed is copied back (item_view.c) */
    rules_item_push_view(L, c->req->pool, c->item, c->lang);
    item = lua_gettop(L);
    lua_pushvalue(L, item);
    lua_pushvalue(L, ctx);
    call_each_timed(L, sb, "on_item", 2, each_item, c, mark);
    if (c->keep)
        rules_item_apply_view(L, item, c->req->pool);
    rules_item_close_view(L, item);
    lua_settop(L, top);
}

static int run_on_item(lua_State *L)
{
    struct item_call *c = lua_touserdata(L, 1);

    rules_item_push_ctx(L, c->req, c->lang);
    int ctx = lua_gettop(L);
    double mark = 0;
    item_through_rules(L, sandbox_of(L), c, ctx, &mark);
    rules_item_close_view(L, ctx);
    return 0;
}

int rules_on_item(struct rules_worker *lw, struct neptun_req *req, struct neptun_item *item,
                const char *lang, int *keep)
{
    struct item_call c = { req, item, lang, 1 };
    int rc;

    *keep = 1;
    if (lw == NULL)
        return NEPTUN_DECLINED;
    rc = prepare(lw, req, HOOK_ON_ITEM);
    if (rc != NEPTUN_OK)
        return rc;
    if (lang == NULL)
        lang = req->lang;
    c.lang = lang != NULL ? lang : conf_default_lang();
    if (call_protected(lw, req, run_on_item, &c, "on_item") != NEPTUN_OK)
        return NEPTUN_ERROR;
    *keep = c.keep;
    return NEPTUN_OK;
}

struct list_call {
    struct neptun_req *req;
    struct neptun_item **items;
    size_t n;
    const char *lang;
    unsigned char *keep;
};

static int run_on_items(lua_State *L)
{
    struct list_call *lc = lua_touserdata(L, 1);
    struct sandbox *sb = sandbox_of(L);

    /* One ctx for the whole answer: it is the same for every item, and a
     * view per item was a third of the rule's cost.  What a rule stores in
     * it is seen by the calls for the later items of this answer only. */
    rules_item_push_ctx(L, lc->req, lc->lang);
    int ctx = lua_gettop(L);
    double mark = 0;
    for (size_t i = 0; i < lc->n; i++) {
        struct item_call c = { lc->req, lc->items[i], lc->lang, 1 };
        item_through_rules(L, sb, &c, ctx, &mark);
        lc->keep[i] = (unsigned char)c.keep;
    }
    rules_item_close_view(L, ctx);
    return 0;
}

int rules_on_items(struct rules_worker *lw, struct neptun_req *req, struct neptun_item **items,
                 size_t n, const char *lang, unsigned char *keep)
{
    struct list_call lc = { req, items, n, lang, keep };
    int rc;

    memset(keep, 1, n);
    if (lw == NULL)
        return NEPTUN_DECLINED;
    if (n == 0)
        return NEPTUN_OK;
    rc = prepare(lw, req, HOOK_ON_ITEM);
    if (rc != NEPTUN_OK)
        return rc;
    if (lang == NULL)
        lang = req->lang;
    lc.lang = lang != NULL ? lang : conf_default_lang();
    return call_protected(lw, req, run_on_items, &lc, "on_item");
}

/* ---- on_feed ---------------------------------------------------------- */

struct feed_call {
    struct neptun_req *req;
    struct render_feed *feed;
};

static int each_feed(lua_State *L, void *ud)
{
    (void)ud;
    lua_pop(L, 1);
    return 0;
}

static const char *feed_string(lua_State *L, int t, const char *key, struct neptun_pool *pool,
                               const char *old, int required)
{
    size_t len;
    const char *s;

    switch (lua_getfield(L, t, key)) {
    case LUA_TNIL:
        if (required)
            luaL_error(L, "feed.%s must be a string", key);
        lua_pop(L, 1);
        return NULL;
    case LUA_TSTRING:
        s = lua_tolstring(L, -1, &len);
        if (old == NULL || strcmp(old, s) != 0)
            old = rules_pool_copy(L, pool, s, len);
        lua_pop(L, 1);
        return old;
    default:
        return luaL_error(L, "feed.%s must be a string", key), NULL;
    }
}

static int run_on_feed(lua_State *L)
{
    struct feed_call *c = lua_touserdata(L, 1);
    struct render_feed *f = c->feed;
    struct neptun_pool *pool = f->pool != NULL ? f->pool : c->req->pool;
    int t, isnum;
    lua_Integer ttl;

    lua_createtable(L, 0, 6);
    rules_set_str(L, "title", f->title);
    rules_set_str(L, "description", f->description);
    rules_set_str(L, "image", f->image_url);
    rules_set_str(L, "lang", f->lang);
    rules_set_str(L, "type", f->type);
    lua_pushinteger(L, f->ttl);
    lua_setfield(L, -2, "ttl");
    t = lua_gettop(L);
    lua_pushvalue(L, t);
    rules_req_push_ctx(L, c->req, f->lang);
    call_each(L, sandbox_of(L), "on_feed", 2, each_feed, c);

    f->title = feed_string(L, t, "title", pool, f->title, 1);
    f->description = feed_string(L, t, "description", pool, f->description, 1);
    f->image_url = feed_string(L, t, "image", pool, f->image_url, 0);
    lua_getfield(L, t, "ttl");
    ttl = lua_tointegerx(L, -1, &isnum);
    if (!lua_isnil(L, -1) && (!isnum || ttl < 0 || ttl > 525600))
        luaL_error(L, "feed.ttl must be minutes (0-525600)");
    f->ttl = lua_isnil(L, -1) ? 0 : (int)ttl;
    lua_pop(L, 1);
    return 0;
}

int rules_on_feed(struct rules_worker *lw, struct neptun_req *req, struct render_feed *feed)
{
    struct feed_call c = { req, feed };
    int rc;

    if (lw == NULL)
        return NEPTUN_DECLINED;
    rc = prepare(lw, req, HOOK_ON_FEED);
    if (rc != NEPTUN_OK)
        return rc;
    return call_protected(lw, req, run_on_feed, &c, "on_feed");
}

/* ---- Lua routes ------------------------------------------------------- */

static int method_ok(const char *want, const char *got)
{
    if (strcmp(want, "*") == 0 || strcmp(want, got) == 0)
        return 1;
    return strcmp(want, "GET") == 0 && strcmp(got, "HEAD") == 0;
}

struct route_call {
    struct neptun_req *req;
    struct neptun_reply *reply;
    int found;
};

static int run_route(lua_State *L)
{
    struct route_call *c = lua_touserdata(L, 1);
    struct sandbox *sb = sandbox_of(L);
    struct sandbox_call_ctx *ctx = sandbox_ctx(sb);
    const char *method = c->req->method_name ? c->req->method_name : "GET";
    lua_Integer n;
    int routes, rc;

    lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_ROUTES_KEY);
    routes = lua_gettop(L);
    n = (lua_Integer)lua_rawlen(L, routes);
    for (lua_Integer i = 1; i <= n && !c->found; i++) {
        lua_rawgeti(L, routes, i);
        int r = lua_gettop(L);
        struct req_kv kv[REQ_MAX_PARAMS];
        size_t nkv;
        lua_rawgeti(L, r, 1);
        lua_rawgeti(L, r, 2);
        const struct rules_route_pattern *rp = lua_touserdata(L, -1);
        if (!method_ok(lua_tostring(L, -2), method))
            rc = NEPTUN_DECLINED;
        else
            rc = router_pattern_match(rp->pattern, c->req->path, c->req->pool, kv, &nkv);
        if (rc == NEPTUN_NOMEM)
            luaL_error(L, "out of memory");
        if (rc == NEPTUN_OK) {
            const char *lang = NULL;
            lua_createtable(L, 0, (int)nkv);
            for (size_t k = 0; k < nkv; k++) {
                lua_pushstring(L, kv[k].value);
                lua_setfield(L, -2, kv[k].name);
                if (strcmp(kv[k].name, "lang") == 0)
                    lang = kv[k].value; /* pool-owned */
            }
            int params = lua_gettop(L);
            if (c->req->lang == NULL && lang != NULL)
                c->req->lang = lang;
            lua_rawgeti(L, r, 4);
            ctx->script = lua_tostring(L, -1);
            rules_req_push_route(L, c->req);
            int notes = lua_gettop(L) - 1;
            lua_rawgeti(L, r, 3);
            lua_pushvalue(L, notes + 1);
            lua_pushvalue(L, params);
            sandbox_budget_reset(sb);
            lua_call(L, 2, 1);
            if (!lua_istable(L, -1) && lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "a route must return a body string or {status=, headers=, body=}");
            rules_reply_read(L, c->req, c->reply, "application/xml; charset=utf-8");
            /* The answer may be kept for everyone asking for this URL in
             * this variant (dispatch.c) unless it drew on who asks: the
             * request's headers, or the partner when no variant sets the
             * partner's answers apart. */
            unsigned reads = rules_req_reads(L, notes);
            if ((reads & RULES_READ_HEADERS) ||
                ((reads & RULES_READ_PARTNER) && c->req->variant == NULL))
                c->reply->no_store = 1;
            c->found = 1;
        }
        lua_settop(L, routes);
    }
    return 0;
}

int rules_route(struct rules_worker *lw, struct neptun_req *req, struct neptun_reply *reply)
{
    struct route_call c = { req, reply, 0 };
    int rc;

    if (lw == NULL || req->path == NULL)
        return NEPTUN_DECLINED;
    rc = prepare(lw, req, HOOK_ROUTES);
    if (rc != NEPTUN_OK)
        return rc;
    if (call_protected(lw, req, run_route, &c, "a Lua route") != NEPTUN_OK)
        return NEPTUN_ERROR;
    return c.found ? NEPTUN_OK : NEPTUN_DECLINED;
}
