/*
 * request.h - the request and reply inside the core.
 *
 * server.c turns each evhttp request into a struct neptun_req with its own
 * pool, runs dispatch(), then turns the struct neptun_reply into the
 * answer.  Handlers never touch evhttp.  A reply either carries its own
 * body (errors, admin answers: never cached) or a cache entry (public GET
 * answers), from which http_send() does ETag, gzip, 304 and HEAD.
 */
#ifndef NEPTUN_REQUEST_H
#define NEPTUN_REQUEST_H

#include <neptun/http.h>
#include <neptun/pool.h>

struct evhttp_request;
struct worker;
struct cache_entry;

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

/* Header of the request (case-insensitive), or NULL. */
const char *req_header(struct neptun_req *req, const char *name);
/* First decoded query value for name, or NULL. */
const char *req_query(struct neptun_req *req, const char *name);
const char *req_param(struct neptun_req *req, const char *name);

int reply_header(struct neptun_reply *reply, const char *name, const char *value);
/* Copy body into the request's pool and set status and type. */
int reply_set(struct neptun_req *req, struct neptun_reply *reply, int status,
              const char *content_type, const void *body, size_t len);
/* Take ownership of a cache entry reference as the answer. */
void reply_entry(struct neptun_reply *reply, struct cache_entry *entry);
/* <error status="...">message</error> with the right status. */
void reply_error(struct neptun_req *req, struct neptun_reply *reply, int status,
                 const char *message);

/* The core's answer to one request: admin API, Lua, cache, routes. */
void dispatch(struct neptun_req *req, struct neptun_reply *reply);

/* Answer one evhttp request completely: build the struct neptun_req (400,
 * 414 for bad URIs), dispatch(), send, access log and metrics.  Called by
 * the worker's evhttp callback; on_admin_listener tells which address it
 * arrived on. */
void request_handle(struct evhttp_request *ev, struct worker *worker, int on_admin_listener);

#endif
