/*
 * test_router.c - patterns, {lang}, {name}.ext, declining handlers, 405
 * allow lists, patterns as values (what Lua routes match with), and the
 * decoding of paths and query strings.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "http.h"

static struct conf test_conf;

static int answer(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    reply->status = (int)(intptr_t)ud;
    return NEPTUN_OK;
}

static int decline(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    return NEPTUN_DECLINED;
}

/* Dispatch method path; the status the answering route set, or the
 * router's code (negative) when none answered. */
static int route(struct neptun_pool *pool, enum req_method m, const char *path,
                 struct neptun_req *req, const char **allow)
{
    struct neptun_reply reply;
    memset(req, 0, sizeof(*req));
    memset(&reply, 0, sizeof(reply));
    req->pool = pool;
    req->method = m;
    req->path = path;
    int rc = router_dispatch(req, &reply, allow);
    return rc == NEPTUN_OK ? reply.status : rc;
}

static void test_matching(void)
{
    struct neptun_pool *pool = neptun_pool_new(0);
    struct neptun_req req;
    const char *allow = NULL;

    CHECK(router_add("GET", "/", answer, (void *)(intptr_t)200, "test") == NEPTUN_OK);
    CHECK(router_add("GET", "/healthz", answer, (void *)(intptr_t)201, "test") == NEPTUN_OK);
    CHECK(router_add("GET", "/{lang}/{type}.rss", answer, (void *)(intptr_t)202, "test") == NEPTUN_OK);
    CHECK(router_add("GET", "/{lang}/{type}", decline, NULL, "test") == NEPTUN_OK);
    CHECK(router_add("GET", "/{lang}/{type}", answer, (void *)(intptr_t)203, "test") == NEPTUN_OK);
    CHECK(router_add("GET", "/{lang}/{type}/{slug}", answer, (void *)(intptr_t)204, "test") == NEPTUN_OK);
    CHECK(router_add("PUT", "/admin/{type}/{slug}", answer, (void *)(intptr_t)205, "test") == NEPTUN_OK);
    CHECK(router_add("DELETE", "/admin/{type}/{slug}", answer, (void *)(intptr_t)206, "test") == NEPTUN_OK);

    /* malformed patterns are refused */
    CHECK(router_add("GET", "no-slash", answer, NULL, "test") == NEPTUN_INVALID);
    CHECK(router_add("GET", "/a//b", answer, NULL, "test") == NEPTUN_INVALID);
    CHECK(router_add("GET", "/{Bad}", answer, NULL, "test") == NEPTUN_INVALID);
    CHECK(router_add("GET", "/{x}.", answer, NULL, "test") == NEPTUN_INVALID);
    CHECK(router_add("GET", "/{x}y", answer, NULL, "test") == NEPTUN_INVALID);
    CHECK(router_add("GET", "/a/", answer, NULL, "test") == NEPTUN_INVALID);
    CHECK(router_add("FETCH", "/a", answer, NULL, "test") == NEPTUN_INVALID);

    CHECK(route(pool, REQ_GET, "/", &req, NULL) == 200);
    CHECK(route(pool, REQ_HEAD, "/healthz", &req, NULL) == 201);
    CHECK_STR(req.route, "/healthz");
    CHECK(route(pool, REQ_GET, "/en/events.rss", &req, NULL) == 202);
    CHECK_STR(req_param(&req, "type"), "events");
    CHECK_STR(req_param(&req, "lang"), "en");
    CHECK_STR(req.lang, "en");
    /* the declining route lets the next one answer */
    CHECK(route(pool, REQ_GET, "/de/forums", &req, NULL) == 203);
    CHECK_STR(req.route, "/{lang}/{type}");
    CHECK(route(pool, REQ_GET, "/pl/events/miasta-integrujace-2017", &req, NULL) == 204);
    CHECK_STR(req_param(&req, "slug"), "miasta-integrujace-2017");
    CHECK(req_param(&req, "nope") == NULL);
    /* {lang} matches configured languages only */
    CHECK(route(pool, REQ_GET, "/fr/events", &req, NULL) == NEPTUN_NOT_FOUND);
    CHECK(route(pool, REQ_GET, "/PL/events", &req, NULL) == NEPTUN_NOT_FOUND);
    /* ".rss" needs a name before it */
    CHECK(route(pool, REQ_GET, "/en/.rss", &req, NULL) == 203);
    CHECK(route(pool, REQ_GET, "/pl/events/", &req, NULL) == NEPTUN_NOT_FOUND);
    CHECK(route(pool, REQ_GET, "/pl//x", &req, NULL) == NEPTUN_NOT_FOUND);
    CHECK(route(pool, REQ_GET, "relative", &req, NULL) == NEPTUN_NOT_FOUND);
    CHECK(route(pool, REQ_GET, "/a/b/c/d/e/f", &req, NULL) == NEPTUN_NOT_FOUND);

    /* the path exists for other methods: 405 material */
    CHECK(route(pool, REQ_POST, "/healthz", &req, &allow) == NEPTUN_DECLINED);
    CHECK_STR(allow, "GET, HEAD, OPTIONS");
    CHECK(route(pool, REQ_PUT, "/admin/events/x", &req, &allow) == 205);
    CHECK(route(pool, REQ_GET, "/admin/events/x", &req, &allow) == NEPTUN_DECLINED);
    CHECK_STR(allow, "PUT, DELETE, OPTIONS");
    CHECK(route(pool, REQ_POST, "/nothing/here", &req, &allow) == NEPTUN_NOT_FOUND);
    CHECK(allow == NULL);

    router_cleanup();
    CHECK(route(pool, REQ_GET, "/", &req, NULL) == NEPTUN_NOT_FOUND);
    neptun_pool_free(pool);
}

static void test_decode(void)
{
    struct neptun_pool *pool = neptun_pool_new(0);
    const char *out = NULL;
    struct req_kv *kv = NULL;
    size_t n = 0;

    CHECK(router_decode_path(pool, "/a%20b/%C5%81%c3%B3d%C5%BA", 26, &out) == NEPTUN_OK);
    CHECK_STR(out, "/a b/Łódź");
    CHECK(router_decode_path(pool, "/a+b", 4, &out) == NEPTUN_OK);
    CHECK_STR(out, "/a+b");
    CHECK(router_decode_path(pool, "/%zz", 4, &out) == NEPTUN_INVALID);
    CHECK(router_decode_path(pool, "/%4", 3, &out) == NEPTUN_INVALID);
    CHECK(router_decode_path(pool, "/%", 2, &out) == NEPTUN_INVALID);
    CHECK(router_decode_path(pool, "/a%00b", 6, &out) == NEPTUN_INVALID);
    CHECK(router_decode_path(pool, "/%c3%28", 7, &out) == NEPTUN_INVALID);   /* bad UTF-8 */
    CHECK(router_decode_path(pool, "/%ed%a0%80", 10, &out) == NEPTUN_INVALID); /* surrogate */
    CHECK(router_decode_path(pool, "/%c0%af", 7, &out) == NEPTUN_INVALID);   /* overlong */

    CHECK(router_parse_query(pool, "q=%C5%82%C4%85czy+gdansk&page=2&flag&&x=", &kv, &n) == NEPTUN_OK);
    CHECK(n == 4);
    if (n == 4) {
        CHECK_STR(kv[0].name, "q");
        CHECK_STR(kv[0].value, "łączy gdansk");
        CHECK_STR(kv[1].value, "2");
        CHECK_STR(kv[2].name, "flag");
        CHECK_STR(kv[2].value, "");
        CHECK_STR(kv[3].name, "x");
        CHECK_STR(kv[3].value, "");
    }
    CHECK(router_parse_query(pool, NULL, &kv, &n) == NEPTUN_OK && n == 0);
    CHECK(router_parse_query(pool, "", &kv, &n) == NEPTUN_OK && n == 0);
    CHECK(router_parse_query(pool, "a=%zz", &kv, &n) == NEPTUN_INVALID);
    CHECK(router_parse_query(pool, "a=%00", &kv, &n) == NEPTUN_INVALID);
    CHECK(router_parse_query(pool, "a=%ff", &kv, &n) == NEPTUN_INVALID);
    char many[4 * (ROUTER_MAX_QUERY + 1) + 1] = "";
    for (int i = 0; i <= ROUTER_MAX_QUERY; i++)
        strcat(many, "a=1&");
    CHECK(router_parse_query(pool, many, &kv, &n) == NEPTUN_INVALID);

    /* the request accessors read what was parsed */
    struct neptun_req req;
    memset(&req, 0, sizeof(req));
    CHECK(router_parse_query(pool, "tag=conference&page=3&tag=x", &req.query, &req.nquery) == NEPTUN_OK);
    CHECK_STR(req_query(&req, "tag"), "conference");
    CHECK_STR(req_query(&req, "page"), "3");
    CHECK(req_query(&req, "q") == NULL);
    CHECK(req_header(&req, "Accept") == NULL); /* an internal request has no headers */
    neptun_pool_free(pool);
}

/* A pattern as a value: the grammar of the routes, matched on its own. */
static void test_pattern_value(void)
{
    struct neptun_pool *pool = neptun_pool_new(1024);
    struct req_kv kv[REQ_MAX_PARAMS];
    const char *err = NULL;
    size_t n = 9;

    struct router_pattern *p = router_pattern_new("/{lang}/hello/{name}.txt", &err);
    CHECK(p != NULL && err == NULL);
    CHECK(router_pattern_size(p) > 0);
    CHECK(router_pattern_match(p, "/en/hello/world.txt", pool, kv, &n) == NEPTUN_OK);
    CHECK(n == 2);
    CHECK_STR(kv[0].name, "lang");
    CHECK_STR(kv[0].value, "en");
    CHECK_STR(kv[1].name, "name");
    CHECK_STR(kv[1].value, "world");
    CHECK(router_pattern_match(p, "/xx/hello/world.txt", pool, kv, &n) == NEPTUN_DECLINED);
    CHECK(n == 0);
    CHECK(router_pattern_match(p, "/en/hello/.txt", pool, kv, &n) == NEPTUN_DECLINED);
    CHECK(router_pattern_match(p, "/en/hello/world.txt/", pool, kv, &n) == NEPTUN_DECLINED);
    router_pattern_free(p);

    CHECK(router_pattern_new("no-slash", &err) == NULL && err != NULL);
    CHECK(router_pattern_new("/a//b", &err) == NULL && err != NULL);
    CHECK(router_pattern_new("/a/", &err) == NULL && err != NULL);
    CHECK(router_pattern_new("/{A}", &err) == NULL && err != NULL);
    CHECK(router_pattern_new("/x{y}", &err) == NULL && err != NULL);
    CHECK(conf_has_lang("pl", 2) && !conf_has_lang("xx", 2));
    router_pattern_free(NULL);
    neptun_pool_free(pool);
}

int main(void)
{
    static char pl[] = "pl", en[] = "en", de[] = "de";
    test_conf.langs[0].code = pl;
    test_conf.langs[1].code = en;
    test_conf.langs[2].code = de;
    test_conf.nlangs = 3;
    neptun_conf = &test_conf;
    test_matching();
    test_decode();
    test_pattern_value();
    neptun_conf = NULL;
    CHECK_DONE();
}
