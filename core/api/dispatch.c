/*
 * dispatch.c - one request from arrival to the access log.
 *
 * request_handle() takes the worker's spare pool, has request.c build the
 * struct neptun_req from evhttp's request (http_request_build), decides
 * the answer here (dispatch: the admin API, OPTIONS, Lua on_request, the
 * cache, Lua routes, C routes), has request.c send it (http_send) and log
 * it, counts it, and gives the pool back for the next request.  This is
 * the one file that composes the http pieces (request.c, router.c,
 * cache.c) with the rules (rules/hooks.c): none of them calls another up.
 */
#include <stdbool.h>
#include <string.h>

#include <event2/http.h>

#include "http.h"
#include "clock.h"
#include "conf.h"
#include "dispatch.h"
#include "rules.h"
#include "metrics.h"
#include "store.h"

#define REQ_POOL_HINT 8192
#define CORS_ALLOW_HEADERS \
    "Accept, Accept-Language, Authorization, Content-Type, If-Modified-Since, " \
    "If-None-Match, X-Partner-Key"

static void answer_options(struct neptun_req *req, struct neptun_reply *reply)
{
    const char *allow = req_is_admin_path(req->path) ? "GET, HEAD, PUT, DELETE, POST, OPTIONS"
                                                 : "GET, HEAD, OPTIONS";
    reply->status = 204;
    reply->no_store = 1;
    reply_header(reply, "Allow", allow);
    reply_header(reply, "Access-Control-Allow-Origin", "*");
    reply_header(reply, "Access-Control-Allow-Methods", allow);
    reply_header(reply, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    reply_header(reply, "Access-Control-Max-Age", "86400");
    req->route = "OPTIONS";
}

/* Turn a router result into the answer when the route did not give one. */
static void route_result(struct neptun_req *req, struct neptun_reply *reply, int rc,
                         const char *allow)
{
    switch (rc) {
    case NEPTUN_OK:
        if (reply->status == 0 && reply->entry == NULL)
            reply_error(req, reply, 500, "the route gave no answer");
        return;
    case NEPTUN_NOT_FOUND:
        reply_error(req, reply, 404, "not found");
        return;
    case NEPTUN_DECLINED:
        if (allow != NULL) {
            reply_error(req, reply, 405, "method not allowed");
            reply_header(reply, "Allow", allow);
        } else {
            reply_error(req, reply, 404, "not found");
        }
        return;
    case NEPTUN_INVALID:
        if (reply->status == 0)
            reply_error(req, reply, 400, "bad request");
        return;
    default:
        reply_error(req, reply, 500, "internal error");
        return;
    }
}

/* "variant US uri", joined by hand: this runs on every read, a printf
 * was a visible part of a cache hit. */
static const char *cache_key(struct neptun_req *req)
{
    const char *variant = req->variant != NULL ? req->variant : "";
    size_t vlen = strlen(variant), ulen = strlen(req->uri);
    char *key = neptun_pool_alloc(req->pool, vlen + 1 + ulen + 1);
    if (key == NULL)
        return NULL;
    memcpy(key, variant, vlen);
    key[vlen] = '\x1f';
    memcpy(key + vlen + 1, req->uri, ulen + 1);
    return key;
}

/* What a Lua hook (on_request, a neptun.route) made of the request:
 * NEPTUN_OK, it answered (200 unless it said otherwise); NEPTUN_ERROR, it
 * failed (500); anything else, it let the request go on.  1 when the
 * request is answered. */
static int rule_answered(struct neptun_req *req, struct neptun_reply *reply, int rc,
                         const char *route)
{
    if (rc == NEPTUN_OK) {
        req->route = route;
        if (reply->status == 0)
            reply->status = 200;
        return 1;
    }
    if (rc == NEPTUN_ERROR) {
        reply_error(req, reply, 500, "a rule failed");
        return 1;
    }
    return 0;
}

/* A Lua route's answer is kept at most this long (seconds): a route may
 * draw on the clock (req.now), which no generation follows. */
#define LUA_ROUTE_TTL 60
#define LUA_ROUTE "lua:route"

/* A Lua route's 200 GET answer as a cache entry, so it gets what every
 * other read gets (strong ETag, 304, gzip, Last-Modified) and is kept under
 * key.  A route may read every type through neptun.items: the entry
 * depends on all of them, at the generation read before the route ran, so
 * a store change or a rules reload (cache_bump_all) drops it.  Answers that
 * set headers of their own, drew on who asks (no_store, rules.h) or answer
 * HEAD go as they are, never kept. */
static void lua_route_keep(struct neptun_req *req, struct neptun_reply *reply, const char *key,
                           uint64_t generation)
{
    if (key == NULL || req->method != REQ_GET || reply->status != 200 || reply->no_store ||
        reply->nheaders != 0 || reply->entry != NULL)
        return;
    int64_t expires = req->now + LUA_ROUTE_TTL;
    if (req->worker != NULL && req->worker->store != NULL) {
        int64_t next = store_next_publish(req->worker->store, NULL, req->now);
        if (next > 0 && next < expires)
            expires = next;
    }
    struct cache_entry *e = cache_entry_new(200, reply->content_type, reply->body, reply->len,
                                            req->now, CACHE_DEP_ALL, expires);
    if (e == NULL)
        return; /* sent as it is */
    e->generation = generation;
    e->route = LUA_ROUTE;
    cache_put(key, e);
    reply_entry(reply, e);
}

/* The answer to one request: the admin API, OPTIONS, Lua on_request, the
 * cache, Lua routes, C routes, in that order. */
static void dispatch(struct neptun_req *req, struct neptun_reply *reply)
{
    const char *allow = NULL;
    struct rules_worker *rules = req->worker != NULL ? req->worker->rules : NULL;
    bool separate_admin = neptun_conf->admin_host != NULL;
    bool read = req->method == REQ_GET || req->method == REQ_HEAD;
    int rc;

    if (req_is_admin_path(req->path) || (separate_admin && req->on_admin_listener)) {
        /* With an admin address of its own, admin paths exist only there
         * (OPTIONS included) and the admin listener serves nothing else. */
        if (!req_is_admin_path(req->path) || separate_admin != (req->on_admin_listener != 0)) {
            reply_error(req, reply, 404, "not found");
            return;
        }
        if (req->method == REQ_OPTIONS) {
            answer_options(req, reply);
            return;
        }
        rc = router_dispatch(req, reply, &allow);
        route_result(req, reply, rc, allow);
        reply->no_store = 1;
        return;
    }

    if (req->method == REQ_OPTIONS) {
        answer_options(req, reply);
        return;
    }
    if (rules != NULL && rule_answered(req, reply, rules_on_request(rules, req, reply),
                                     "lua:on_request"))
        return;

    const char *key = read ? cache_key(req) : NULL;
    if (key != NULL) {
        /* Another process (`neptun import` beside the server) wrote the
         * store: nothing says which types, so every answer goes.  At most
         * one look a second, by whichever lookup comes first. */
        if (store_poll_changes() == 1)
            cache_bump_all();
        struct cache_entry *e = cache_get(key, req->now);
        if (e != NULL) {
            reply_entry(reply, e);
            req->route = e->route != NULL ? e->route : "cache";
            return;
        }
    }

    if (rules != NULL) {
        /* read before the route reads the store, as handlers_read.c does */
        uint64_t generation = cache_generation(CACHE_DEP_ALL);
        if (rule_answered(req, reply, rules_route(rules, req, reply), LUA_ROUTE)) {
            lua_route_keep(req, reply, key, generation);
            return;
        }
    }

    rc = router_dispatch(req, reply, &allow);
    route_result(req, reply, rc, allow);
    struct cache_entry *e = reply->entry;
    if (key != NULL && rc == NEPTUN_OK && e != NULL && !reply->no_store && e->key == NULL &&
        e->status == 200) {
        e->route = req->route;
        cache_put(key, e);
    }
}

void request_handle(struct evhttp_request *ev, struct worker *worker, int on_admin_listener)
{
    uint64_t started = clock_monotonic_us();
    /* Reuse the worker's pool from the last request: no malloc/free pair
     * (and no heap consolidation) per request. */
    struct neptun_pool *pool = worker != NULL ? worker->spare_pool : NULL;
    if (pool != NULL)
        worker->spare_pool = NULL;
    else
        pool = neptun_pool_new(REQ_POOL_HINT);
    struct neptun_req *req = pool != NULL ? neptun_pool_calloc(pool, 1, sizeof(*req)) : NULL;
    struct neptun_reply *reply = pool != NULL ? neptun_pool_calloc(pool, 1, sizeof(*reply)) : NULL;
    const char *message = NULL;
    size_t sent = 0;

    if (req == NULL || reply == NULL) {
        evhttp_send_error(ev, 500, NULL);
        neptun_pool_free(pool);
        return;
    }
    req->ev = ev;
    req->worker = worker;
    req->pool = pool;
    req->on_admin_listener = on_admin_listener;

    int status = http_request_build(req, &message);
    if (status != 0)
        reply_error(req, reply, status, message);
    else
        dispatch(req, reply);
    status = http_send(req, reply, &sent);

    http_access_log(req, status, sent);
    metrics_request(req->route != NULL ? req->route : "none", status, clock_monotonic_us() - started,
                    worker != NULL ? worker->index : 0);
    if (reply->entry != NULL)
        cache_entry_unref(reply->entry);
    cache_thread_collect(); /* entries of ours that other workers let go */
    if (worker != NULL && worker->spare_pool == NULL) {
        neptun_pool_reset(pool);
        worker->spare_pool = pool;
    } else {
        neptun_pool_free(pool);
    }
}
