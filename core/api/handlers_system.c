/*
 * handlers_system.c - the core's own routes: liveness, metrics (metrics.c's
 * counters with the cache's, the fragment memo's and the store's gauges),
 * the schema and the redirects of language-less paths (/events -> /pl/events).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "conf.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "render.h"
#include "content.h"
#include "store.h"

/* Set at start-up, read-only afterwards: the schema changes only then. */
static int64_t started_at;

static int healthz(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    reply->no_store = 1;
    return reply_set(req, reply, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

/* The answer cache (cache.c). */
static void render_cache(FILE *f)
{
    uint64_t h = 0, m = 0;
    size_t bytes = 0, entries = 0;
    cache_stats(&h, &m, &bytes, &entries);
    fprintf(f,
            "# HELP neptun_cache_hits_total Answers served from the cache.\n"
            "# TYPE neptun_cache_hits_total counter\n"
            "neptun_cache_hits_total %llu\n"
            "# HELP neptun_cache_misses_total Cache lookups that found nothing valid.\n"
            "# TYPE neptun_cache_misses_total counter\n"
            "neptun_cache_misses_total %llu\n"
            "# HELP neptun_cache_bytes Bytes held by the answer cache.\n"
            "# TYPE neptun_cache_bytes gauge\n"
            "neptun_cache_bytes %zu\n"
            "# HELP neptun_cache_entries Answers held by the cache.\n"
            "# TYPE neptun_cache_entries gauge\n"
            "neptun_cache_entries %zu\n",
            (unsigned long long)h, (unsigned long long)m, bytes, entries);
}

/* The per-item pieces a cache miss assembles answers from (render_fragments.c),
 * and the pages and parts the store's connections kept (store_parts.c). */
static void render_fragments(FILE *f)
{
    uint64_t h = 0, m = 0;
    size_t bytes = 0;
    render_fragments_stats(&h, &m, &bytes);
    fprintf(f,
            "# HELP neptun_fragment_hits_total Per-item answer pieces reused, not rendered.\n"
            "# TYPE neptun_fragment_hits_total counter\n"
            "neptun_fragment_hits_total %llu\n"
            "# HELP neptun_fragment_misses_total Per-item answer pieces rendered afresh.\n"
            "# TYPE neptun_fragment_misses_total counter\n"
            "neptun_fragment_misses_total %llu\n"
            "# HELP neptun_fragment_bytes Bytes held by the fragment cache.\n"
            "# TYPE neptun_fragment_bytes gauge\n"
            "neptun_fragment_bytes %zu\n",
            (unsigned long long)h, (unsigned long long)m, bytes);
    struct store_kept_stats k;
    store_kept_stats(&k);
    fprintf(f,
            "# HELP neptun_store_kept_total List pages and item parts a worker's connection "
            "kept (hit) or read from the file (miss).\n"
            "# TYPE neptun_store_kept_total counter\n"
            "neptun_store_kept_total{kind=\"page\",result=\"hit\"} %llu\n"
            "neptun_store_kept_total{kind=\"page\",result=\"miss\"} %llu\n"
            "neptun_store_kept_total{kind=\"parts\",result=\"hit\"} %llu\n"
            "neptun_store_kept_total{kind=\"parts\",result=\"miss\"} %llu\n",
            (unsigned long long)k.page_hits, (unsigned long long)k.page_misses,
            (unsigned long long)k.part_hits, (unsigned long long)k.part_misses);
}

/* The counters of metrics.c, then the gauges of the cache, the fragment
 * memo and the store, gathered here so metrics.c depends on none of them. */
static int metrics(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NEPTUN_NOMEM;
    metrics_write(f);
    render_cache(f);
    render_fragments(f);
    if (fclose(f) != 0) {
        free(text);
        return NEPTUN_NOMEM;
    }
    int rc = reply_set(req, reply, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    reply->no_store = 1;
    return rc;
}

static int schema(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    size_t len = 0;
    const char *text = schema_text(&len);
    if (text == NULL) {
        reply_error(req, reply, 503, "the schema is not available");
        return NEPTUN_OK;
    }
    struct cache_entry *e = cache_entry_new(200, "application/xml; charset=utf-8", text, len,
                                            started_at, CACHE_DEP_NONE, 0);
    if (e == NULL)
        return NEPTUN_NOMEM;
    reply_entry(reply, e);
    return NEPTUN_OK;
}

/* Is the first path segment (without its extension) something that lives
 * under /{lang}/: a content type or one of the cross-type answers? */
static int language_less(const char *segment)
{
    static const char *const cross_type[] = { "feed", "feeds", "search" };
    const char *dot = strchr(segment, '.');
    size_t len = dot != NULL ? (size_t)(dot - segment) : strlen(segment);
    char name[64];

    if (len == 0 || len >= sizeof(name))
        return 0;
    memcpy(name, segment, len);
    name[len] = '\0';
    for (size_t i = 0; i < sizeof(cross_type) / sizeof(cross_type[0]); i++) {
        if (strcmp(name, cross_type[i]) == 0)
            return 1;
    }
    return types_find(name) != NULL;
}

static int redirect_to_language(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const char *first = req_param(req, "first");
    const struct conf *conf = neptun_conf;
    if (first == NULL || conf == NULL || conf->nlangs == 0 || !language_less(first))
        return NEPTUN_DECLINED;

    const char *lang = negotiate_language(req_header(req, "Accept-Language"));
    /* The target as received keeps its encoding; rebuild it for an
     * absolute-form request target. */
    const char *target = req->uri;
    if (target == NULL || target[0] != '/')
        target = req->query_string != NULL
                     ? neptun_pool_printf(req->pool, "%s?%s", req->path, req->query_string)
                     : req->path;
    const char *location = target != NULL
                               ? negotiate_redirect_location(req->pool, conf->base_url, lang, target)
                               : NULL;
    if (location == NULL || reply_set(req, reply, 302, NULL, "", 0) != NEPTUN_OK)
        return NEPTUN_NOMEM;
    reply->no_store = 1;
    if (reply_header(reply, "Location", location) != NEPTUN_OK)
        return NEPTUN_INVALID; /* CR/LF cannot come from a decoded URI; defensive */
    reply_header(reply, "Vary", "Accept-Language");
    return NEPTUN_OK;
}

void handlers_system_init(void)
{
    static const struct {
        const char *pattern;
        route_fn fn;
    } routes[] = {
        { "/healthz", healthz },
        { "/metrics", metrics },
        { "/schema/neptun.rng", schema },
        { "/{first}", redirect_to_language },
        { "/{first}/{second}", redirect_to_language },
        { "/{first}/{second}/{third}", redirect_to_language },
    };
    started_at = (int64_t)time(NULL);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (router_add("GET", routes[i].pattern, routes[i].fn, NULL, "core") != NEPTUN_OK)
            log_error("cannot register the route %s", routes[i].pattern);
    }
}
