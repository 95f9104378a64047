/*
 * reply.c - the reply object: what a handler sets (status, type, headers,
 * a body of its own or a cache entry's reference) before reply_send.c
 * writes it.  A body set here is copied into the request's pool and never
 * cached (errors, admin answers); a cache entry carries both its
 * representations and their ETags, and the reply owns one reference to it
 * until it is sent.  Text types get "; charset=utf-8" here and when sent
 * (reply_type_charset, request_internal.h).
 */
#include <stdlib.h>
#include <string.h>

#include "request_internal.h"
#include "render.h"

/* name and value are borrowed: they must stay valid until the reply is sent
 * (static strings or the request's pool). */
int reply_header(struct neptun_reply *reply, const char *name, const char *value)
{
    if (reply == NULL || name == NULL || value == NULL)
        return NEPTUN_INVALID;
    /* Header injection: no CR/LF in either part. */
    if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
        return NEPTUN_INVALID;
    if (reply->nheaders == REPLY_MAX_HEADERS)
        return NEPTUN_NOMEM;
    reply->headers[reply->nheaders].name = name;
    reply->headers[reply->nheaders].value = value;
    reply->nheaders++;
    return NEPTUN_OK;
}

int reply_set(struct neptun_req *req, struct neptun_reply *reply, int status,
              const char *content_type, const void *body, size_t len)
{
    char *copy = neptun_pool_alloc(req->pool, len + 1);
    if (copy == NULL)
        return NEPTUN_NOMEM;
    if (len > 0)
        memcpy(copy, body, len);
    copy[len] = '\0';
    if (reply->entry != NULL) {
        cache_entry_unref(reply->entry);
        reply->entry = NULL;
    }
    reply->status = status;
    reply->content_type = content_type != NULL ? reply_type_charset(req->pool, content_type) : NULL;
    reply->body = copy;
    reply->len = len;
    return NEPTUN_OK;
}

void reply_entry(struct neptun_reply *reply, struct cache_entry *entry)
{
    if (reply->entry != NULL)
        cache_entry_unref(reply->entry);
    reply->entry = entry;
    reply->status = entry != NULL ? entry->status : reply->status;
    reply->body = NULL;
    reply->len = 0;
}

void reply_error(struct neptun_req *req, struct neptun_reply *reply, int status,
                 const char *message)
{
    char *xml = NULL;
    size_t len = 0;
    if (message == NULL)
        message = "error";
    reply->nheaders = 0;
    if (render_error(status, message, &xml, &len) == NEPTUN_OK && xml != NULL) {
        if (reply_set(req, reply, status, "application/xml; charset=utf-8", xml, len) != NEPTUN_OK)
            reply->status = status;
    } else if (reply_set(req, reply, status, "text/plain; charset=utf-8", message,
                         strlen(message)) != NEPTUN_OK) {
        reply->status = status;
    }
    free(xml);
    reply->no_store = 1;
}
