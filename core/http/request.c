/*
 * request.c - the request: a struct neptun_req built from an evhttp request
 * (http_request_build) and the functions that read it (req_header,
 * req_query, req_param...), which the host table hands to plugins too.
 *
 * Building checks what evhttp parsed before anything reads it: the URI's
 * length (414), the framing (framing.c: 400/431/505), control bytes in the
 * target and the decoded path, the path and query decoded (router.c), the
 * partner from X-Partner-Key (conf_match_secret, constant time), the body
 * (413 when too large, 415 in a content coding).  When the request may not
 * end where evhttp thought, the reply says "Connection: close".  What
 * answers a request is decided above this file (dispatch.c); the reply is
 * reply.c's, sending it reply_send.c's, its log line access_log.c's.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include "request_internal.h"
#include "conf.h"

/* ---- the host-table functions ------------------------------------------- */

const char *req_header(struct neptun_req *req, const char *name)
{
    return request_header(req, name);
}

void req_header_each(struct neptun_req *req,
                     void (*fn)(const char *name, const char *value, void *arg), void *arg)
{
    if (req == NULL || req->ev == NULL)
        return;
    const struct evkeyvalq *headers = evhttp_request_get_input_headers(req->ev);
    for (const struct evkeyval *h = headers->tqh_first; h != NULL; h = h->next.tqe_next)
        fn(h->key, h->value, arg);
}

int req_is_admin_path(const char *path)
{
    return request_is_admin_path(path);
}

const char *req_query(struct neptun_req *req, const char *name)
{
    for (size_t i = 0; req != NULL && name != NULL && i < req->nquery; i++) {
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    }
    return NULL;
}

const char *req_param(struct neptun_req *req, const char *name)
{
    for (size_t i = 0; req != NULL && name != NULL && i < req->nparams; i++) {
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    }
    return NULL;
}

/* ---- building the request ------------------------------------------------------- */

static enum req_method method_of(enum evhttp_cmd_type cmd, const char **name)
{
    switch (cmd) {
    case EVHTTP_REQ_GET: *name = "GET"; return REQ_GET;
    case EVHTTP_REQ_HEAD: *name = "HEAD"; return REQ_HEAD;
    case EVHTTP_REQ_POST: *name = "POST"; return REQ_POST;
    case EVHTTP_REQ_PUT: *name = "PUT"; return REQ_PUT;
    case EVHTTP_REQ_DELETE: *name = "DELETE"; return REQ_DELETE;
    case EVHTTP_REQ_OPTIONS: *name = "OPTIONS"; return REQ_OPTIONS;
    default: *name = "OTHER"; return REQ_OTHER;
    }
}


/* A request body in a content coding: neptun reads only identity bodies. */
static bool body_is_encoded(struct neptun_req *req)
{
    const char *ce = request_header(req, "Content-Encoding");
    return ce != NULL && strcasecmp(ce, "identity") != 0 &&
           (req->method == REQ_PUT || req->method == REQ_POST || req->body_len > 0);
}

/* Fill req from ev.  0, or the HTTP status to answer with (message set). */
static int build(struct neptun_req *req, const char **message)
{
    const struct conf *conf = neptun_conf;
    struct evhttp_request *ev = req->ev;

    req->method = method_of(evhttp_request_get_command(ev), &req->method_name);
    req->now = (int64_t)time(NULL);
    req->uri = evhttp_request_get_uri(ev);
    req->path = "/";
    if (req->uri == NULL) {
        req->uri = "/";
        *message = "malformed request target";
        return 400;
    }
    if (conf != NULL && conf->max_uri > 0 && strlen(req->uri) > conf->max_uri) {
        *message = "request URI too long";
        return 414;
    }
    int status = http_check_framing(ev, message);
    if (status != 0)
        return status;
    if (http_has_control(req->uri, false)) {
        *message = "control character in the request target";
        return 400;
    }
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(ev);
    const char *raw_path = u != NULL ? evhttp_uri_get_path(u) : NULL;
    if (raw_path == NULL || raw_path[0] != '/' ||
        router_decode_path(req->pool, raw_path, strlen(raw_path), &req->path) != NEPTUN_OK) {
        req->path = "/";
        *message = "malformed path";
        return 400;
    }
    /* %0d%0a decodes to a line break: no path holds one, and it would end
     * up in a Location header or a log line. */
    if (http_has_control(req->path, false)) {
        req->path = "/";
        *message = "control character in the path";
        return 400;
    }
    req->query_string = evhttp_uri_get_query(u);
    if (router_parse_query(req->pool, req->query_string, &req->query, &req->nquery) != NEPTUN_OK) {
        *message = "malformed query string";
        return 400;
    }
    const char *key = request_header(req, "X-Partner-Key");
    if (key != NULL && conf != NULL) {
        const struct conf_secret *p = conf_match_secret(conf->partners, conf->npartners, key);
        req->partner = p != NULL ? p->name : NULL;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    size_t len = in != NULL ? evbuffer_get_length(in) : 0;
    if (conf != NULL && conf->max_body > 0 && len > conf->max_body) {
        *message = "request body too large";
        return 413;
    }
    if (len > 0) {
        char *body = neptun_pool_alloc(req->pool, len + 1);
        if (body == NULL || evbuffer_copyout(in, body, len) != (ev_ssize_t)len) {
            *message = "out of memory";
            return 500;
        }
        body[len] = '\0';
        req->body = body;
        req->body_len = len;
    }
    if (body_is_encoded(req)) {
        *message = "request bodies are read in the identity coding only (no Content-Encoding)";
        return 415;
    }
    return 0;
}

int http_request_build(struct neptun_req *req, const char **message)
{
    int status = build(req, message);

    if (status != 0 && status != 413 && status != 415)
        /* The request may not end where evhttp thought (smuggling), or
         * cannot be read at all: nothing more is read from this peer. */
        evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Connection", "close");
    return status;
}
