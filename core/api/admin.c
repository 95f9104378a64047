/*
 * admin.c - the admin API: PUT, GET and DELETE of item documents under
 * /admin/{type}/{slug}, POST /admin/{type} to create an item whose slug the
 * server makes from its title, and POST /admin/reload for the Lua rules.
 *
 * Every admin route checks the bearer token before anything else (so an
 * unauthenticated client learns nothing, not even which methods exist).
 * Writes go through the worker's own write connection and are answered
 * only after they committed; then the cached answers of that type are
 * invalidated.  Admin answers are never cached.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libxml/xmlwriter.h>
#include "http.h"
#include "conf.h"
#include "handlers.h"
#include "content.h"
#include "log.h"
#include "rules.h"
#include "metrics.h"
#include "render.h"
#include "server.h"
#include "store.h"
#include "xmlutil.h"

#define XML_TYPE "application/xml; charset=utf-8"
#define ITEM_ALLOW "GET, HEAD, PUT, DELETE"

/* ---- answers ---------------------------------------------------------- */

/* Hand a malloc'd XML document to the reply (copied into the pool; body
 * freed here).  Admin answers are never cached. */
static int reply_xml_bytes(struct neptun_req *req, struct neptun_reply *reply, int status,
                           char *body, size_t len)
{
    if (reply_set(req, reply, status, XML_TYPE, body, len) != NEPTUN_OK)
        reply_error(req, reply, 500, "out of memory");
    free(body);
    reply->no_store = 1;
    return NEPTUN_OK;
}

/* The same for the document o has written. */
static int reply_xml(struct neptun_req *req, struct neptun_reply *reply, int status,
                     struct xmlutil_out *o)
{
    char *body = NULL;
    size_t len = 0;
    if (xmlutil_writer_done(o, &body, &len) != NEPTUN_OK) {
        reply_error(req, reply, 500, "out of memory");
        return NEPTUN_OK;
    }
    return reply_xml_bytes(req, reply, status, body, len);
}

/* <error status="..."><message/><problem path="...">...</problem>*</error>,
 * written by the XML API's error writer. */
static int reply_problems(struct neptun_req *req, struct neptun_reply *reply, int status,
                          const char *message, const struct neptun_errors *errs)
{
    char *body = NULL;
    size_t len = 0;
    if (render_error_problems(status, message, errs, &body, &len) != NEPTUN_OK) {
        reply_error(req, reply, 500, "cannot write the error document");
        return NEPTUN_OK;
    }
    return reply_xml_bytes(req, reply, status, body, len);
}

/* The body as item documents (errs initialised here).  NEPTUN_OK, or
 * NEPTUN_DECLINED with the 400 or 422 listing every problem in reply. */
static int parse_body(struct neptun_req *req, struct neptun_reply *reply,
                      struct neptun_errors *errs, struct itemdoc **docs, size_t *n)
{
    errors_init(errs, req->pool);
    int rc = itemdoc_parse(req->pool, req->body ? req->body : "", req->body_len, docs, n, errs);
    if (rc == NEPTUN_OK)
        return NEPTUN_OK;
    if (rc == NEPTUN_INVALID)
        reply_problems(req, reply, 422, "the item document is not valid", errs);
    else
        reply_problems(req, reply, 400, "the body is not a well-formed item document", errs);
    return NEPTUN_DECLINED;
}

static int reply_item(struct neptun_req *req, struct neptun_reply *reply, int status,
                      const struct neptun_item *item)
{
    struct xmlutil_out o;
    /* not indented: whitespace added inside bodies would grow with every
     * GET-edit-PUT cycle */
    if (xmlutil_writer_new(&o, 0) != NEPTUN_OK) {
        reply_error(req, reply, 500, "out of memory");
        return NEPTUN_OK;
    }
    if (itemdoc_write(o.w, item, 0) != NEPTUN_OK) {
        xmlutil_writer_abort(&o);
        log_error("admin: cannot write %s/%s as an item document", item->type, item->slug);
        reply_error(req, reply, 500, "cannot write the item document");
        return NEPTUN_OK;
    }
    return reply_xml(req, reply, status, &o);
}

static void reply_status(struct neptun_req *req, struct neptun_reply *reply, int status,
                         const char *message)
{
    reply_error(req, reply, status, message);
    reply->no_store = 1;
}

/* ---- authentication --------------------------------------------------- */

/* The token of an "Authorization: Bearer <token>" header, or NULL. */
static const char *bearer_token(struct neptun_req *req)
{
    const char *h = req_header(req, "Authorization");
    if (h == NULL)
        return NULL;
    while (*h == ' ' || *h == '\t')
        h++;
    if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return NULL;
    h += 6;
    while (*h == ' ' || *h == '\t')
        h++;
    size_t len = strlen(h);
    while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
        len--;
    return len > 0 ? neptun_pool_strndup(req->pool, h, len) : NULL;
}

/* NEPTUN_OK when the request carries a configured admin token; otherwise
 * the reply is a 401 and the failure is logged and counted (never the
 * token itself). */
static int authenticate(struct neptun_req *req, struct neptun_reply *reply)
{
    const char *token = bearer_token(req);
    const struct conf_secret *who = NULL;
    if (token != NULL)
        who = conf_match_secret(neptun_conf->admin_tokens, neptun_conf->nadmin_tokens, token);
    if (who != NULL)
        return NEPTUN_OK;
    metrics_auth_failure();
    log_warn("admin: %s %s refused: %s", req->method_name ? req->method_name : "?", req->path,
             token ? "unknown bearer token" : "no bearer token");
    reply_status(req, reply, 401, "a valid admin token is required (Authorization: Bearer)");
    reply_header(reply, "WWW-Authenticate", "Bearer realm=\"neptun\"");
    return NEPTUN_DECLINED;
}

/* ---- items ------------------------------------------------------------ */

/* A failed write, by what the store said: 507 when it is out of space,
 * 503 when its file was moved or deleted under the server (both wrote
 * nothing), else 500. */
static void write_failed(struct neptun_req *req, struct neptun_reply *reply, int rc, const char *what)
{
    if (rc == STORE_FULL) {
        log_error("admin: %s: the store is out of space", what);
        reply_status(req, reply, 507, "insufficient storage: the disk holding the store is full; "
                                      "nothing was written");
        return;
    }
    if (rc == STORE_GONE) {
        reply_status(req, reply, 503, "the store's database file was moved or deleted under the "
                                      "server; nothing was written (restore it and restart)");
        reply_header(reply, "Retry-After", "60");
        return;
    }
    reply_status(req, reply, 500, what);
}


/* The worker's write connection, opened on its first write. */
static struct store *write_store(struct neptun_req *req)
{
    struct worker *w = req->worker;
    char *err = NULL;
    if (w == NULL)
        return NULL;
    if (w->wstore == NULL && store_open(neptun_conf->db_path, 0, &w->wstore, &err) != NEPTUN_OK) {
        log_error("admin: cannot open the store for writing: %s", err ? err : "?");
        free(err);
        w->wstore = NULL;
    }
    return w->wstore;
}

static int item_get(struct neptun_req *req, struct neptun_reply *reply, const char *type,
                    const char *slug)
{
    struct neptun_item *item = NULL;
    struct store *s = req->worker ? req->worker->store : NULL;
    if (s == NULL)
        s = write_store(req);
    if (s == NULL) {
        reply_status(req, reply, 500, "the store is not available");
        return NEPTUN_OK;
    }
    int rc = store_get(s, req->pool, type, slug, 1, req->now, &item);
    if (rc == NEPTUN_NOT_FOUND) {
        reply_status(req, reply, 404, "no such item");
        return NEPTUN_OK;
    }
    if (rc != NEPTUN_OK) {
        reply_status(req, reply, 500, "cannot read the item");
        return NEPTUN_OK;
    }
    return reply_item(req, reply, 200, item);
}

/* The body must be exactly the item the URL names. */
static int check_identity(struct neptun_req *req, const struct itemdoc *docs, size_t n,
                          const char *type, const char *slug, struct neptun_errors *errs)
{
    if (n != 1) {
        errors_add(errs, "/", "the body must hold exactly one <item>, not %zu", n);
        return NEPTUN_INVALID;
    }
    if (strcmp(docs[0].item.type, type) != 0)
        errors_add(errs, "/item/@type", "type \"%s\" differs from the URL's \"%s\"",
                   docs[0].item.type, type);
    if (strcmp(docs[0].item.slug, slug) != 0)
        errors_add(errs, "/item/@slug", "slug \"%s\" differs from the URL's \"%s\"",
                   docs[0].item.slug, slug);
    return errs->n ? NEPTUN_INVALID : NEPTUN_OK;
}

static int item_put(struct neptun_req *req, struct neptun_reply *reply, const char *type,
                    const char *slug)
{
    struct neptun_errors errs;
    struct itemdoc *docs = NULL;
    size_t n = 0;
    int created = 0;

    if (parse_body(req, reply, &errs, &docs, &n) != NEPTUN_OK)
        return NEPTUN_OK; /* the 400 or 422 is in reply */
    /* A document without a slug is the item the URL names. */
    if (n == 1 && docs[0].slug_made)
        docs[0].item.slug = slug;
    if (check_identity(req, docs, n, type, slug, &errs) != NEPTUN_OK)
        return reply_problems(req, reply, 422, "the item document is not valid", &errs);

    struct neptun_item item = docs[0].item;
    item.updated = req->now; /* an admin write is a publication change now */
    struct store *s = write_store(req);
    int rc = s != NULL ? store_put(s, &item, &docs[0].index, &created) : NEPTUN_ERROR;
    if (rc != NEPTUN_OK) {
        write_failed(req, reply, rc, "the item could not be stored");
        return NEPTUN_OK;
    }
    cache_bump(types_index(type));
    log_info("admin: %s %s/%s", created ? "created" : "replaced", type, slug);

    struct neptun_item *stored = NULL;
    if (store_get(s, req->pool, type, slug, 1, req->now, &stored) != NEPTUN_OK)
        stored = &item; /* committed; only the echo could not be read back */
    if (created) {
        const char *where = neptun_pool_printf(req->pool, "/admin/%s/%s", type, slug);
        if (where != NULL)
            reply_header(reply, "Location", where);
    }
    return reply_item(req, reply, created ? 201 : 200, stored);
}

static int item_delete(struct neptun_req *req, struct neptun_reply *reply, const char *type,
                       const char *slug)
{
    struct store *s = write_store(req);
    int rc = s ? store_delete(s, type, slug) : NEPTUN_ERROR;
    if (rc == NEPTUN_NOT_FOUND) {
        reply_status(req, reply, 404, "no such item");
        return NEPTUN_OK;
    }
    if (rc != NEPTUN_OK) {
        write_failed(req, reply, rc, "the item could not be deleted");
        return NEPTUN_OK;
    }
    cache_bump(types_index(type));
    log_info("admin: deleted %s/%s", type, slug);
    reply->status = 204; /* no body, no type */
    reply->content_type = NULL;
    reply->body = NULL;
    reply->len = 0;
    reply->no_store = 1;
    return NEPTUN_OK;
}

static int admin_item(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    (void)ud;
    if (authenticate(req, reply) != NEPTUN_OK)
        return NEPTUN_OK;
    const char *type = req_param(req, "type");
    const char *slug = req_param(req, "slug");
    if (type == NULL || slug == NULL || types_find(type) == NULL) {
        reply_status(req, reply, 404, "no such content type");
        return NEPTUN_OK;
    }
    switch (req->method) {
    case REQ_GET:
    case REQ_HEAD:
        return item_get(req, reply, type, slug);
    case REQ_PUT:
        return item_put(req, reply, type, slug);
    case REQ_DELETE:
        return item_delete(req, reply, type, slug);
    default:
        reply_status(req, reply, 405, "method not allowed");
        reply_header(reply, "Allow", ITEM_ALLOW);
        return NEPTUN_OK;
    }
}

/* POST /admin/{type}: a new item; its slug is the document's, or made from
 * its title.  201 with the new item's Location, 409 when the slug is taken
 * (PUT /admin/{type}/{slug} replaces an item). */
static int item_post(struct neptun_req *req, struct neptun_reply *reply, const char *type)
{
    struct neptun_errors errs;
    struct itemdoc *docs = NULL;
    size_t n = 0;

    if (parse_body(req, reply, &errs, &docs, &n) != NEPTUN_OK)
        return NEPTUN_OK; /* the 400 or 422 is in reply */
    if (check_identity(req, docs, n, type, n == 1 ? docs[0].item.slug : "", &errs) != NEPTUN_OK)
        return reply_problems(req, reply, 422, "the item document is not valid", &errs);

    struct neptun_item item = docs[0].item;
    const char *slug = item.slug;
    item.updated = req->now;
    struct store *s = write_store(req);
    int rc = s != NULL ? store_create(s, &item, &docs[0].index) : NEPTUN_ERROR;
    if (rc == STORE_EXISTS) {
        errors_add(&errs, "/item/@slug",
                   "%s/%s exists already; PUT /admin/%s/%s replaces it, or give another slug",
                   type, slug, type, slug);
        return reply_problems(req, reply, 409, "an item with this slug exists", &errs);
    }
    if (rc != NEPTUN_OK) {
        write_failed(req, reply, rc, "the item could not be stored");
        return NEPTUN_OK;
    }
    cache_bump(types_index(type));
    log_info("admin: created %s/%s%s", type, slug, docs[0].slug_made ? " (slug from the title)" : "");

    struct neptun_item *stored = NULL;
    if (store_get(s, req->pool, type, slug, 1, req->now, &stored) != NEPTUN_OK)
        stored = &item; /* committed; only the echo could not be read back */
    const char *where = neptun_pool_printf(req->pool, "/admin/%s/%s", type, slug);
    if (where != NULL)
        reply_header(reply, "Location", where);
    return reply_item(req, reply, 201, stored);
}

static int admin_type(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    (void)ud;
    if (authenticate(req, reply) != NEPTUN_OK)
        return NEPTUN_OK;
    const char *type = req_param(req, "type");
    if (type == NULL || types_find(type) == NULL) {
        reply_status(req, reply, 404, "no such content type");
        return NEPTUN_OK;
    }
    if (req->method != REQ_POST) {
        reply_status(req, reply, 405, "method not allowed");
        reply_header(reply, "Allow", "POST");
        return NEPTUN_OK;
    }
    return item_post(req, reply, type);
}

/* ---- rules ------------------------------------------------------------ */

static int admin_reload(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    (void)ud;
    if (authenticate(req, reply) != NEPTUN_OK)
        return NEPTUN_OK;
    if (req->method != REQ_POST) {
        reply_status(req, reply, 405, "method not allowed");
        reply_header(reply, "Allow", "POST");
        return NEPTUN_OK;
    }
    if (server_reload_rules("POST /admin/reload") != NEPTUN_OK) {
        log_warn("admin: rules reload refused; the previous rules stay in force");
        reply_status(req, reply, 500,
                     "the rules failed to load; the previous rules stay in force (see the log)");
        return NEPTUN_OK;
    }
    log_info("admin: rules reloaded");

    struct xmlutil_out o;
    char generation[24];
    snprintf(generation, sizeof(generation), "%llu",
             (unsigned long long)rules_generation());
    if (xmlutil_writer_new(&o, 1) != NEPTUN_OK) {
        reply_status(req, reply, 500, "out of memory");
        return NEPTUN_OK;
    }
    if (xmlutil_start_utf8_document(&o) != NEPTUN_OK ||
        xmlTextWriterStartElementNS(o.w, NULL, BAD_CAST "reloaded", BAD_CAST NEPTUN_XML_NS) < 0 ||
        xmlTextWriterWriteAttribute(o.w, BAD_CAST "generation", BAD_CAST generation) < 0 ||
        xmlTextWriterEndDocument(o.w) < 0) {
        xmlutil_writer_abort(&o);
        reply_status(req, reply, 500, "cannot write the answer");
        return NEPTUN_OK;
    }
    return reply_xml(req, reply, 200, &o);
}

void admin_init(void)
{
    /* "*": authentication comes before the method check */
    if (router_add("*", "/admin/reload", admin_reload, NULL, "admin") != NEPTUN_OK ||
        router_add("*", "/admin/{type}", admin_type, NULL, "admin") != NEPTUN_OK ||
        router_add("*", "/admin/{type}/{slug}", admin_item, NULL, "admin") != NEPTUN_OK)
        log_error("admin: cannot register the admin routes");
}
