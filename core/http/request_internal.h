/*
 * request_internal.h - what the request's files share: request.c (the
 * request, built from evhttp), framing.c (the framing checks), reply.c (the
 * reply object), reply_send.c (writing it on the wire) and access_log.c.
 * Nothing outside the http module includes it.
 *
 * The small helpers both a request's building and a cache hit's sending run
 * are inline here, so splitting the files added no call to either path.
 */
#ifndef NEPTUN_REQUEST_INTERNAL_H
#define NEPTUN_REQUEST_INTERNAL_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "http.h"

/* req_header(), inline: a header of the request (case-insensitive), or NULL. */
static inline const char *request_header(struct neptun_req *req, const char *name)
{
    if (req == NULL || req->ev == NULL || name == NULL)
        return NULL;
    return evhttp_find_header(evhttp_request_get_input_headers(req->ev), name);
}

/* req_is_admin_path(), inline. */
static inline int request_is_admin_path(const char *path)
{
    return strncmp(path, "/admin", 6) == 0 && (path[6] == '\0' || path[6] == '/');
}

/* Does s hold a control byte (a tab allowed when tab_ok)? */
static inline bool http_has_control(const char *s, bool tab_ok)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f)
            return true;
    }
    return false;
}

/* framing.c: the request as evhttp parsed it, checked (versions, header
 * names and values, counts, Content-Length and Transfer-Encoding).  0, or
 * the status to answer with (*message set, static). */
int http_check_framing(struct evhttp_request *ev, const char **message);

/* A reply's Content-Type: text types get "; charset=utf-8" when they name
 * none (copied into pool; type itself when out of memory). */
static inline bool reply_is_text_type(const char *type)
{
    if (strncasecmp(type, "text/", 5) == 0)
        return true;
    const char *semi = strchr(type, ';');
    size_t len = semi != NULL ? (size_t)(semi - type) : strlen(type);
    while (len > 0 && type[len - 1] == ' ')
        len--;
    static const char *const textual[] = {
        "application/xml", "application/json", "application/javascript",
    };
    for (size_t i = 0; i < sizeof(textual) / sizeof(textual[0]); i++) {
        if (len == strlen(textual[i]) && strncasecmp(type, textual[i], len) == 0)
            return true;
    }
    return len > 4 && strncasecmp(type + len - 4, "+xml", 4) == 0;
}

static inline const char *reply_type_charset(struct neptun_pool *pool, const char *type)
{
    if (type == NULL || !reply_is_text_type(type) || strcasestr(type, "charset=") != NULL)
        return type;
    const char *t = neptun_pool_printf(pool, "%s; charset=utf-8", type);
    return t != NULL ? t : type;
}

#endif
