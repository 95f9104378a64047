/*
 * router.h - path patterns to handlers.
 *
 * A pattern is a list of '/'-separated segments; a segment is a literal,
 * "{name}" (one whole segment) or "{name}.ext" (a segment ending in .ext).
 * "{lang}" matches only a configured language.  Routes are tried in the
 * order registered; a handler returning NEPTUN_DECLINED lets the next try.
 * Registered at start-up only; read-only while workers run.
 */
#ifndef NEPTUN_ROUTER_H
#define NEPTUN_ROUTER_H

#include "http_types.h"

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

#endif
