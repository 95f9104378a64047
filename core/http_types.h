/*
 * http_types.h - the request, the reply and the worker serving them: the
 * structures only, shared by request.c (which fills and sends them), the
 * router (which matches a request's path) and everything that answers.
 * No functions: request.h and router.h declare those.
 */
#ifndef NEPTUN_HTTP_TYPES_H
#define NEPTUN_HTTP_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <neptun/http.h>
#include <neptun/pool.h>

struct evhttp_request;
struct event_base;
struct evhttp;
struct cache_entry;
struct store;
struct rules_worker;

/* A worker thread's own state (server.c makes one per worker); handlers
 * reach it through req->worker. */
struct worker {
    int index;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp *admin_http;  /* when the admin API has its own address */
    struct store *store;        /* read connection */
    struct store *wstore;       /* write connection (opened lazily) */
    struct rules_worker *rules; /* the worker's Lua state (lua_host.h) */
    struct neptun_pool *spare_pool; /* the last request's pool, reset for the next */
};

enum req_method {
    REQ_GET = 1, REQ_HEAD, REQ_POST, REQ_PUT, REQ_DELETE, REQ_OPTIONS, REQ_OTHER
};

struct req_kv {
    const char *name;
    const char *value;
};

#define REQ_MAX_PARAMS 8
/* Request header fields: more than this many, or more than this many
 * bytes of them (name, ": ", value, CRLF), get 431. */
#define REQ_HEADERS_MAX 100
#define REQ_HEADER_BYTES_MAX (64 * 1024)

struct neptun_req {
    struct evhttp_request *ev;   /* NULL for internal requests */
    struct worker *worker;       /* the worker serving it */
    struct neptun_pool *pool;    /* freed after the reply */
    enum req_method method;
    const char *method_name;
    const char *uri;             /* as received: path?query */
    const char *path;            /* percent-decoded path */
    const char *query_string;    /* raw, may be NULL */
    struct req_kv *query;        /* decoded, in order */
    size_t nquery;
    struct req_kv params[REQ_MAX_PARAMS]; /* from the matched route */
    size_t nparams;
    const char *lang;            /* set once the route names a language */
    const char *partner;         /* configured partner name, or NULL */
    const char *variant;         /* cache variant named by on_request */
    int64_t now;                 /* request time, Unix seconds */
    const char *body;            /* request body (PUT/POST), pool-owned */
    size_t body_len;
    const char *route;           /* pattern of the route that answered (set
                                  * by router_dispatch; metrics label) */
    int on_admin_listener;       /* arrived on the separate admin address */
};

#define REPLY_MAX_HEADERS 16

struct neptun_reply {
    int status;                  /* 0: nothing set yet */
    const char *content_type;
    struct req_kv headers[REPLY_MAX_HEADERS];
    size_t nheaders;
    const char *body;            /* pool-owned when entry is NULL */
    size_t len;
    struct cache_entry *entry;   /* a reference the reply owns, or NULL */
    int no_store;                /* never cache (admin, errors) */
};

#endif
