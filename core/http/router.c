/*
 * router.c - path patterns to handlers, and the decoding of the URI parts
 * the router works on (path and query string).
 *
 * Patterns are split into segments once, at registration.  A request path is
 * split into (pointer, length) segments without copying; only the values of
 * a route that matches are copied into the request's pool.  Routes are tried
 * in registration order, so more specific patterns are registered first.
 * The same compiled pattern is exported as a value (router_pattern_*):
 * the Lua routes (rules/script_api.c, rules/hooks.c) match with this grammar too.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <neptun/common.h>
#include "conf.h"
#include "log.h"
#include "http.h"
#include "utf8.h"

#define ROUTER_MAX_SEGMENTS 32

enum seg_kind { SEG_LITERAL, SEG_PARAM, SEG_PARAM_EXT };

struct segment {
    enum seg_kind kind;
    char *text;       /* literal text, or the parameter name */
    size_t text_len;
    char *ext;        /* SEG_PARAM_EXT: ".rss" (with the dot) */
    size_t ext_len;
    bool is_lang;     /* {lang}: only a configured language matches */
};

enum {
    M_GET = 1 << 0, M_HEAD = 1 << 1, M_POST = 1 << 2, M_PUT = 1 << 3,
    M_DELETE = 1 << 4, M_OPTIONS = 1 << 5, M_ALL = 0x3f
};

struct router_pattern {
    struct segment *segs;
    size_t nsegs;
    size_t bytes;     /* what compiling it allocated */
};

struct route {
    unsigned methods;
    char *pattern;
    char *owner;
    route_fn fn;
    void *ud;
    struct router_pattern pat;
};

static struct route *routes;
static size_t nroutes;

/* ---- registration ------------------------------------------------------ */

static unsigned method_mask(const char *method)
{
    if (strcmp(method, "GET") == 0)
        return M_GET | M_HEAD;
    if (strcmp(method, "HEAD") == 0)
        return M_HEAD;
    if (strcmp(method, "POST") == 0)
        return M_POST;
    if (strcmp(method, "PUT") == 0)
        return M_PUT;
    if (strcmp(method, "DELETE") == 0)
        return M_DELETE;
    if (strcmp(method, "OPTIONS") == 0)
        return M_OPTIONS;
    if (strcmp(method, "*") == 0)
        return M_ALL;
    return 0;
}

static bool name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

static void segments_free(struct segment *segs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(segs[i].text);
        free(segs[i].ext);
    }
    free(segs);
}

/* One pattern segment [s, s+len) into seg.  NEPTUN_INVALID when malformed. */
static int parse_segment(const char *s, size_t len, struct segment *seg)
{
    memset(seg, 0, sizeof(*seg));
    if (len == 0)
        return NEPTUN_INVALID;
    if (s[0] != '{') {
        if (memchr(s, '{', len) != NULL || memchr(s, '}', len) != NULL)
            return NEPTUN_INVALID;
        seg->kind = SEG_LITERAL;
        seg->text = strndup(s, len);
        seg->text_len = len;
        return seg->text != NULL ? NEPTUN_OK : NEPTUN_NOMEM;
    }
    const char *close = memchr(s, '}', len);
    if (close == NULL || close == s + 1)
        return NEPTUN_INVALID;
    for (const char *p = s + 1; p < close; p++) {
        if (!name_char(*p, p == s + 1))
            return NEPTUN_INVALID;
    }
    size_t rest = len - (size_t)(close + 1 - s);
    seg->text_len = (size_t)(close - s - 1);
    seg->text = strndup(s + 1, seg->text_len);
    if (seg->text == NULL)
        return NEPTUN_NOMEM;
    seg->is_lang = strcmp(seg->text, "lang") == 0;
    if (rest == 0) {
        seg->kind = SEG_PARAM;
        return NEPTUN_OK;
    }
    /* "{name}.ext": a dot and at least one more character, no braces */
    if (close[1] != '.' || rest < 2 || memchr(close + 1, '{', rest) != NULL ||
        memchr(close + 1, '}', rest) != NULL)
        return NEPTUN_INVALID;
    seg->kind = SEG_PARAM_EXT;
    seg->ext = strndup(close + 1, rest);
    seg->ext_len = rest;
    return seg->ext != NULL ? NEPTUN_OK : NEPTUN_NOMEM;
}

/* Compile pattern into out.  NEPTUN_INVALID (*why says what is wrong) or
 * NEPTUN_NOMEM. */
static int parse_pattern(const char *pattern, struct router_pattern *out, const char **why)
{
    struct segment *segs = NULL;
    size_t n = 0, nparams = 0, bytes = 0;
    int rc = NEPTUN_INVALID;

    *why = "a pattern begins with '/'";
    if (pattern[0] != '/')
        goto out;
    segs = calloc(ROUTER_MAX_SEGMENTS, sizeof(*segs));
    if (segs == NULL) {
        rc = NEPTUN_NOMEM;
        *why = "out of memory";
        goto out;
    }
    const char *p = pattern + 1;
    while (*p != '\0') {
        const char *end = strchr(p, '/');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        *why = "too many segments";
        if (n == ROUTER_MAX_SEGMENTS)
            goto out;
        rc = parse_segment(p, len, &segs[n]);
        n++;
        *why = rc == NEPTUN_NOMEM ? "out of memory"
                                  : "segments are literals, {name} or {name}.ext, none empty";
        if (rc != NEPTUN_OK)
            goto out;
        bytes += segs[n - 1].text_len + 1 + (segs[n - 1].ext != NULL ? segs[n - 1].ext_len + 1 : 0);
        rc = NEPTUN_INVALID;
        *why = "too many parameters";
        if (segs[n - 1].kind != SEG_LITERAL && ++nparams > REQ_MAX_PARAMS)
            goto out;
        if (end == NULL)
            break;
        p = end + 1;
        *why = "segments are literals, {name} or {name}.ext, none empty";
        if (*p == '\0')
            goto out; /* a trailing '/' would be an empty segment */
    }
    out->segs = segs;
    out->nsegs = n;
    out->bytes = bytes + ROUTER_MAX_SEGMENTS * sizeof(*segs);
    segs = NULL;
    *why = NULL;
    rc = NEPTUN_OK;
out:
    if (segs != NULL)
        segments_free(segs, n);
    return rc;
}

int router_add(const char *method, const char *pattern, route_fn fn, void *ud,
               const char *owner)
{
    struct route r = { 0 };
    int rc = NEPTUN_INVALID;

    if (method == NULL || pattern == NULL || fn == NULL)
        goto out;
    r.methods = method_mask(method);
    if (r.methods == 0) {
        log_error("route %s %s: unknown method", method, pattern);
        goto out;
    }
    const char *why;
    rc = parse_pattern(pattern, &r.pat, &why);
    if (rc != NEPTUN_OK) {
        log_error("route %s %s: malformed pattern", method, pattern);
        goto out;
    }
    r.pattern = strdup(pattern);
    r.owner = strdup(owner != NULL ? owner : "core");
    r.fn = fn;
    r.ud = ud;
    struct route *grown = realloc(routes, (nroutes + 1) * sizeof(*routes));
    if (r.pattern == NULL || r.owner == NULL || grown == NULL) {
        if (grown != NULL)
            routes = grown;
        rc = NEPTUN_NOMEM;
        goto out;
    }
    routes = grown;
    routes[nroutes++] = r;
    return NEPTUN_OK;
out:
    free(r.pattern);
    free(r.owner);
    if (r.pat.segs != NULL)
        segments_free(r.pat.segs, r.pat.nsegs);
    return rc;
}

void router_cleanup(void)
{
    for (size_t i = 0; i < nroutes; i++) {
        free(routes[i].pattern);
        free(routes[i].owner);
        segments_free(routes[i].pat.segs, routes[i].pat.nsegs);
    }
    free(routes);
    routes = NULL;
    nroutes = 0;
}

/* ---- matching ------------------------------------------------------------ */

struct span {
    const char *p;
    size_t len;
};

/* Split "/a/b" into spans; -1 when the path is not absolute or too deep. */
static int split_path(const char *path, struct span *segs, size_t *n)
{
    *n = 0;
    if (path == NULL || path[0] != '/')
        return -1;
    if (path[1] == '\0')
        return 0;
    const char *p = path + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (*n == ROUTER_MAX_SEGMENTS)
            return -1;
        segs[*n].p = p;
        segs[*n].len = len;
        (*n)++;
        if (end == NULL)
            return 0;
        p = end + 1;
    }
}


/* Does pattern p match the path's segments?  Values go to vals (by span). */
static bool pattern_matches(const struct router_pattern *p, const struct span *segs, size_t n,
                            struct span *vals)
{
    if (p->nsegs != n)
        return false;
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        const struct segment *s = &p->segs[i];
        struct span v = segs[i];
        switch (s->kind) {
        case SEG_LITERAL:
            if (v.len != s->text_len || memcmp(v.p, s->text, v.len) != 0)
                return false;
            continue;
        case SEG_PARAM_EXT:
            if (v.len <= s->ext_len || memcmp(v.p + v.len - s->ext_len, s->ext, s->ext_len) != 0)
                return false;
            v.len -= s->ext_len;
            break;
        case SEG_PARAM:
            if (v.len == 0)
                return false;
            break;
        }
        if (s->is_lang && !conf_has_lang(v.p, v.len))
            return false;
        vals[nv++] = v;
    }
    return true;
}

static int set_params(struct neptun_req *req, const struct route *r, const struct span *vals)
{
    size_t nv = 0;
    req->nparams = 0;
    for (size_t i = 0; i < r->pat.nsegs; i++) {
        const struct segment *s = &r->pat.segs[i];
        if (s->kind == SEG_LITERAL)
            continue;
        char *value = neptun_pool_strndup(req->pool, vals[nv].p, vals[nv].len);
        if (value == NULL)
            return NEPTUN_NOMEM;
        req->params[req->nparams].name = s->text;
        req->params[req->nparams].value = value;
        req->nparams++;
        if (s->is_lang)
            req->lang = value;
        nv++;
    }
    return NEPTUN_OK;
}

static unsigned req_method_mask(enum req_method m)
{
    switch (m) {
    case REQ_GET: return M_GET;
    case REQ_HEAD: return M_HEAD;
    case REQ_POST: return M_POST;
    case REQ_PUT: return M_PUT;
    case REQ_DELETE: return M_DELETE;
    case REQ_OPTIONS: return M_OPTIONS;
    default: return 0;
    }
}

static const char *allow_list(struct neptun_pool *pool, unsigned mask)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        { M_GET, "GET" }, { M_HEAD, "HEAD" }, { M_POST, "POST" }, { M_PUT, "PUT" },
        { M_DELETE, "DELETE" }, { M_OPTIONS, "OPTIONS" },
    };
    char buf[64] = "";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (mask & names[i].bit) {
            if (buf[0] != '\0')
                strcat(buf, ", ");
            strcat(buf, names[i].name);
        }
    }
    return neptun_pool_strdup(pool, buf);
}

int router_dispatch(struct neptun_req *req, struct neptun_reply *reply, const char **allow)
{
    struct span segs[ROUTER_MAX_SEGMENTS], vals[ROUTER_MAX_SEGMENTS];
    size_t n;
    unsigned want = req_method_mask(req->method), other_methods = 0;

    if (allow != NULL)
        *allow = NULL;
    if (split_path(req->path, segs, &n) != 0)
        return NEPTUN_NOT_FOUND;
    for (size_t i = 0; i < nroutes; i++) {
        const struct route *r = &routes[i];
        if (!pattern_matches(&r->pat, segs, n, vals))
            continue;
        if ((r->methods & want) == 0) {
            other_methods |= r->methods;
            continue;
        }
        if (set_params(req, r, vals) != NEPTUN_OK)
            return NEPTUN_NOMEM;
        int rc = r->fn(r->ud, req, reply);
        if (rc != NEPTUN_DECLINED) {
            req->route = r->pattern;
            return rc;
        }
        req->nparams = 0;
    }
    if (other_methods != 0) {
        if (allow != NULL)
            *allow = allow_list(req->pool, other_methods | M_OPTIONS);
        return NEPTUN_DECLINED;
    }
    return NEPTUN_NOT_FOUND;
}

/* ---- patterns as values ---------------------------------------------------- */

struct router_pattern *router_pattern_new(const char *pattern, const char **err)
{
    struct router_pattern *p = calloc(1, sizeof(*p));
    const char *why = "out of memory";

    if (p == NULL || parse_pattern(pattern, p, &why) != NEPTUN_OK) {
        free(p);
        *err = why;
        return NULL;
    }
    p->bytes += sizeof(*p);
    *err = NULL;
    return p;
}

size_t router_pattern_size(const struct router_pattern *p)
{
    return p != NULL ? p->bytes : 0;
}

int router_pattern_match(const struct router_pattern *p, const char *path, struct neptun_pool *pool,
                         struct req_kv *params, size_t *n)
{
    struct span segs[ROUTER_MAX_SEGMENTS], vals[ROUTER_MAX_SEGMENTS];
    size_t nsegs, nv = 0;

    *n = 0;
    if (split_path(path, segs, &nsegs) != 0 || !pattern_matches(p, segs, nsegs, vals))
        return NEPTUN_DECLINED;
    for (size_t i = 0; i < p->nsegs; i++) {
        const struct segment *s = &p->segs[i];
        if (s->kind == SEG_LITERAL)
            continue;
        params[nv].name = s->text;
        params[nv].value = neptun_pool_strndup(pool, vals[nv].p, vals[nv].len);
        if (params[nv].value == NULL)
            return NEPTUN_NOMEM;
        nv++;
    }
    *n = nv;
    return NEPTUN_OK;
}

void router_pattern_free(struct router_pattern *p)
{
    if (p == NULL)
        return;
    segments_free(p->segs, p->nsegs);
    free(p);
}

/* ---- decoding ------------------------------------------------------------ */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode len bytes of raw into pool memory; plus_space turns '+' into ' '. */
static int percent_decode(struct neptun_pool *pool, const char *raw, size_t len,
                          bool plus_space, const char **out)
{
    char *dst = neptun_pool_alloc(pool, len + 1);
    size_t o = 0;
    if (dst == NULL)
        return NEPTUN_NOMEM;
    for (size_t i = 0; i < len; i++) {
        char c = raw[i];
        if (c == '%') {
            if (len - i < 3)
                return NEPTUN_INVALID;
            int hi = hex_value(raw[i + 1]);
            int lo = hex_value(raw[i + 2]);
            if (hi < 0 || lo < 0)
                return NEPTUN_INVALID;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return NEPTUN_INVALID;
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        } else if (c == '\0') {
            return NEPTUN_INVALID;
        }
        dst[o++] = c;
    }
    dst[o] = '\0';
    if (!utf8_valid(dst, o))
        return NEPTUN_INVALID;
    *out = dst;
    return NEPTUN_OK;
}

int router_decode_path(struct neptun_pool *pool, const char *raw, size_t len, const char **out)
{
    return percent_decode(pool, raw, len, false, out);
}

int router_parse_query(struct neptun_pool *pool, const char *raw, struct req_kv **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (raw == NULL || raw[0] == '\0')
        return NEPTUN_OK;
    size_t count = 1;
    for (const char *p = raw; *p != '\0'; p++)
        count += *p == '&';
    if (count > ROUTER_MAX_QUERY)
        return NEPTUN_INVALID;
    struct req_kv *kv = neptun_pool_calloc(pool, count, sizeof(*kv));
    if (kv == NULL)
        return NEPTUN_NOMEM;
    size_t used = 0;
    const char *p = raw;
    for (;;) {
        const char *amp = strchr(p, '&');
        size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);
        if (len > 0) { /* "a=1&&b=2": empty pairs are skipped */
            const char *eq = memchr(p, '=', len);
            size_t nlen = eq != NULL ? (size_t)(eq - p) : len;
            int rc = percent_decode(pool, p, nlen, true, &kv[used].name);
            if (rc == NEPTUN_OK)
                rc = eq != NULL ? percent_decode(pool, eq + 1, len - nlen - 1, true, &kv[used].value)
                                : percent_decode(pool, "", 0, true, &kv[used].value);
            if (rc != NEPTUN_OK)
                return rc;
            used++;
        }
        if (amp == NULL)
            break;
        p = amp + 1;
    }
    *out = kv;
    *n = used;
    return NEPTUN_OK;
}
