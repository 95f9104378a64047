/*
 * handlers_system.c - the core's own routes: liveness, metrics, the schema
 * and the redirects of language-less paths (/events -> /pl/events).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "conf.h"
#include "handlers.h"
#include "log.h"
#include "metrics.h"
#include "negotiate.h"
#include "request.h"
#include "router.h"
#include "schema.h"
#include "types.h"

/* Set at start-up, read-only afterwards: the schema changes only then. */
static int64_t started_at;

static int healthz(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    reply->no_store = 1;
    return reply_set(req, reply, 200, "text/plain; charset=utf-8", "ok\n", 3);
}

static int metrics(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    size_t len = 0;
    char *text = metrics_render(&len);
    if (text == NULL)
        return NEPTUN_NOMEM;
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
