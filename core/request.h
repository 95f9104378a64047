/*
 * request.h - the request and reply inside the core.
 *
 * request_handle (dispatch.c) turns each evhttp request into a struct
 * neptun_req with its own pool (http_request_build), decides the answer,
 * then sends the struct neptun_reply (http_send).  Handlers never touch
 * evhttp.  A reply either carries its own body (errors, admin answers:
 * never cached) or a cache entry (public GET answers), from which
 * http_send() does ETag, gzip, 304 and HEAD.  The structures themselves
 * are in http_types.h.
 */
#ifndef NEPTUN_REQUEST_H
#define NEPTUN_REQUEST_H

#include "http_types.h"

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

#endif
