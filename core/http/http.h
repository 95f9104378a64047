/*
 * The http module's whole contract: a request and its reply
 * (built from evhttp, sent back through it), the router that maps a path
 * to a handler, content negotiation, and the answer cache.  The api
 * module composes them (dispatch.c); rules and plugins see requests
 * through these functions only.
 */
#ifndef NEPTUN_CORE_HTTP_H
#define NEPTUN_CORE_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <neptun/http.h>
#include <neptun/pool.h>
#include "lru.h"

/*
 * The request, the reply and the worker serving them: the
 * structures only, shared by request.c (which fills and sends them), the
 * router (which matches a request's path) and everything that answers.
 * No functions: the sections below declare those.
 */
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
    struct rules_worker *rules; /* the worker's Lua state (rules.h) */
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

/*
 * The request and reply inside the core.
 *
 * request_handle (dispatch.c) turns each evhttp request into a struct
 * neptun_req with its own pool (http_request_build), decides the answer,
 * then sends the struct neptun_reply (http_send).  Handlers never touch
 * evhttp.  A reply either carries its own body (errors, admin answers:
 * never cached) or a cache entry (public GET answers), from which
 * http_send() does ETag, gzip, 304 and HEAD.  The structures themselves
 * are above.
 */
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

/* Call fn for each header field of the request, in the order received
 * (a name given twice comes twice).  name and value are borrowed for the
 * call.  Nothing for an internal request (no evhttp request). */
void req_header_each(struct neptun_req *req,
                     void (*fn)(const char *name, const char *value, void *arg), void *arg);
/* Is path the admin API's ("/admin" or below)? */
int req_is_admin_path(const char *path);

/* Fill req (ev, worker, pool and on_admin_listener set) from its evhttp
 * request: method, URI, path, query, partner, body, each checked.  0, or
 * the HTTP status to answer with (*message set, static); when the request
 * may not end where evhttp thought, the reply says "Connection: close". */
int http_request_build(struct neptun_req *req, const char **message);
/* Send reply for req (ETag, gzip, 304 and HEAD for a cache entry; 500 when
 * nothing was set).  Returns the status sent; *sent gets the body bytes. */
int http_send(struct neptun_req *req, struct neptun_reply *reply, size_t *sent);
/* The access-log line of an answered request (when access_log is set). */
void http_access_log(struct neptun_req *req, int status, size_t sent);

/*
 * Path patterns to handlers.
 *
 * A pattern is a list of '/'-separated segments; a segment is a literal,
 * "{name}" (one whole segment) or "{name}.ext" (a segment ending in .ext).
 * "{lang}" matches only a configured language.  Routes are tried in the
 * order registered; a handler returning NEPTUN_DECLINED lets the next try.
 * Registered at start-up only; read-only while workers run.
 */
typedef int (*route_fn)(void *ud, struct neptun_req *req, struct neptun_reply *reply);

/* method: "GET" (HEAD implied), "PUT", "DELETE", "POST", or "*" */
int router_add(const char *method, const char *pattern, route_fn fn, void *ud,
               const char *owner);
/* Run the first matching route that does not decline.  Sets req->params
 * and req->lang.  NEPTUN_NOT_FOUND when no path matched; NEPTUN_DECLINED
 * with *allow set ("GET, HEAD") when the path matched another method. */
int router_dispatch(struct neptun_req *req, struct neptun_reply *reply, const char **allow);
void router_cleanup(void);

/* A compiled pattern as a value, matched on its own (the Lua routes).
 * NULL when pattern is malformed or memory ran out: *err then says which
 * (a static string).  Free with router_pattern_free. */
struct router_pattern;
struct router_pattern *router_pattern_new(const char *pattern, const char **err);
/* Bytes router_pattern_new allocated for p (to count against a cap). */
size_t router_pattern_size(const struct router_pattern *p);
/* Does path match p?  NEPTUN_OK with params[0..*n) set (names borrowed
 * from p, values copied into pool; params holds REQ_MAX_PARAMS),
 * NEPTUN_DECLINED when it does not, NEPTUN_NOMEM. */
int router_pattern_match(const struct router_pattern *p, const char *path, struct neptun_pool *pool,
                         struct req_kv *params, size_t *n);
void router_pattern_free(struct router_pattern *p);

/* Percent-decode a URI path (len bytes of raw) into pool memory.
 * NEPTUN_INVALID when it holds a bad escape, an encoded NUL or invalid
 * UTF-8; NEPTUN_NOMEM.  *out is pool-owned. */
int router_decode_path(struct neptun_pool *pool, const char *raw, size_t len, const char **out);
/* Parse a query string "a=1&b=x+y" into decoded pairs, in order ('+' is a
 * space, a name without '=' has the value "").  NEPTUN_INVALID on a bad
 * escape, NUL, invalid UTF-8 or more than ROUTER_MAX_QUERY pairs.  The array
 * and strings are pool-owned. */
#define ROUTER_MAX_QUERY 64
int router_parse_query(struct neptun_pool *pool, const char *raw, struct req_kv **out, size_t *n);

/*
 * Content negotiation and conditional-request headers
 * (RFC 9110): Accept-Language, Accept-Encoding, If-None-Match.
 *
 * Parsers are strict and bounded: a header longer than NEGOTIATE_MAX_HEADER
 * bytes or with more than NEGOTIATE_MAX_RANGES elements is ignored as a
 * whole; malformed elements are skipped.  Nothing here allocates except the
 * redirect helper (pool).
 */
#define NEGOTIATE_MAX_HEADER 4096
#define NEGOTIATE_MAX_RANGES 32

/* Index into langs[0..n) of the language to answer in for an
 * Accept-Language header (NULL: absent).  Highest q wins, then the earlier
 * range; "de-AT" counts for "de"; "*" for every language not named; q=0
 * excludes.  0 (the default, langs[0]) when nothing acceptable is offered. */
size_t negotiate_language_index(const char *accept_language, const char *const *langs, size_t n);
/* The same over the configured languages: the code to use (borrowed from
 * the configuration). */
const char *negotiate_language(const char *accept_language);

/* Does Accept-Encoding accept gzip (gzip, x-gzip or "*" with q > 0, and
 * gzip not refused with q=0)? */
int negotiate_gzip(const char *accept_encoding);

/* Does an If-None-Match header match etag (weak comparison, "*" matches
 * anything)?  etag is a quoted strong tag such as "\"abc\"". */
int negotiate_etag_match(const char *if_none_match, const char *etag);

/* Location for a language-less path: base_url "/" lang uri, where uri is
 * the request's "path?query" as received.  Pool-owned; NULL when out of
 * memory. */
const char *negotiate_redirect_location(struct neptun_pool *pool, const char *base_url,
                                        const char *lang, const char *uri);

/*
 * Rendered answers kept in memory, keyed by (URL, variant).
 *
 * An entry is immutable once made and reference-counted: a reply holds a
 * reference while its bytes are on the wire (added to the output buffer by
 * reference, never copied).  Each entry records what content it depends on
 * (one type, every type, or none) and the generation of that dependency
 * when it was rendered; a store write bumps the generation, so stale entries
 * are never served.  Entries also expire at the next scheduled publish_at.
 * Bounded in bytes (least recently used go first).  Thread-safe.
 */
#define CACHE_DEP_NONE (-2) /* config-only answers: service doc, OPML, schema */
#define CACHE_DEP_ALL (-1)  /* answers drawing on every type */
/* dep >= 0: the index of one type (types_index) */

/* The gzip representation of an entry, with its own strong ETag. */
struct cache_gzip {
    const char *bytes;
    size_t len;
    char etag[48];            /* "\"<hash of bytes>\"" */
};

struct cache_entry {
    int status;               /* 200 */
    const char *content_type; /* owned by the entry */
    const char *body;         /* identity bytes, owned */
    size_t len;
    char etag[48];            /* "\"<hash of body>\"" */
    int64_t last_modified;    /* Unix seconds */
    int dep;                  /* CACHE_DEP_* or a type index */
    uint64_t generation;      /* of dep when rendered */
    int64_t expires;          /* 0 or a Unix time (next publish_at) */
    const char *route;        /* router pattern that rendered it (borrowed,
                               * static); metrics label of cache hits */
    char last_modified_http[32]; /* last_modified as an HTTP date, or "" */
    int body_fd;              /* a sealed memfd holding body (so replies can
                               * sendfile it), or -1 */
    /* private to the cache (cache.c, cache_entry.c) */
    struct cache_gzip *_Atomic gz; /* NULL until first asked for */
    int owner;                /* the making thread's slot (cache_thread_attach), or -1 */
    _Atomic int refs;
    atomic_bool linked;       /* in a shard (written under its lock, with cost) */
    _Atomic int64_t touched;  /* when its shard's LRU place was last refreshed */
    char *key;
    size_t cost;
    struct lru_node lru;
    struct cache_entry *hnext;
};

int cache_init(size_t max_bytes);
void cache_cleanup(void);

/* A new entry with one reference owned by the caller: copies body and
 * computes its strong ETag.  NULL on failure. */
struct cache_entry *cache_entry_new(int status, const char *content_type,
                                    const char *body, size_t len,
                                    int64_t last_modified, int dep, int64_t expires);
/* The same taking over body: malloc'd, with a NUL at body[len] (as the
 * renderers hand it over), freed by the entry - or here, on failure.
 * Saves copying an answer that was just rendered. */
struct cache_entry *cache_entry_adopt(int status, const char *content_type, char *body,
                                      size_t len, int64_t last_modified, int dep,
                                      int64_t expires);
/* e's gzip form, compressed on the first request that accepts gzip and
 * kept with e (its bytes then count against the cache's budget): answers
 * nobody asks compressed never pay for it.  NULL when e's body is too
 * small or does not shrink, or on failure.  Thread-safe; the result lives
 * as long as e. */
const struct cache_gzip *cache_entry_gzip(struct cache_entry *e);
void cache_entry_ref(struct cache_entry *e);
void cache_entry_unref(struct cache_entry *e);

/* The valid entry for key, with a new reference, or NULL (a miss). */
struct cache_entry *cache_get(const char *key, int64_t now);
/* Store e under key (the cache takes its own reference).  Does nothing when
 * e's generation is already stale. */
void cache_put(const char *key, struct cache_entry *e);

/* The current generation of dep; read before rendering, stored in the
 * entry.  Cheap (an atomic load). */
uint64_t cache_generation(int dep);
/* Content of type index changed (also bumps CACHE_DEP_ALL). */
void cache_bump(int type_index);
/* Everything changed (scripts reloaded). */
void cache_bump_all(void);

/* Worker threads: entries a worker made are freed by that worker (other
 * threads hand them back), since glibc frees a block under the lock of the
 * arena that allocated it and cross-thread frees made the workers contend.
 * An attached worker also keeps a small front of the entries it served
 * last, answering repeated hits without the shard lock.  attach when a
 * worker starts, collect now and then (each request), detach before it
 * ends.  Threads that never attach free directly and always lock. */
void cache_thread_attach(void);
void cache_thread_collect(void);
void cache_thread_detach(void);

/* For /metrics. */
void cache_stats(uint64_t *hits, uint64_t *misses, size_t *bytes, size_t *entries);

#endif
