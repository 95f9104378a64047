/*
 * reply_send.c - writing a reply on the wire (http_send).
 *
 * A reply with its own body goes as it is, with "Cache-Control: no-store"
 * unless it says otherwise.  A cached answer (a cache entry) is header work
 * plus handing the entry's bytes to the output buffer by reference: the
 * entry stays alive (reference-counted) until libevent has written them.
 * Its ETag and Last-Modified answer If-None-Match and If-Modified-Since
 * with 304; its gzip form (cache_entry_gzip, made once per entry) goes to a
 * client that accepts gzip; HEAD gets the headers only.  Large identity
 * bodies go one better: the entry keeps them in a memfd, and they are
 * appended to the connection's output as a file segment right after evhttp
 * has written the headers, so libevent sends them with sendfile (no copy
 * through user space, as nginx does for static files).  What every cached
 * reply shares (Cache-Control, Date, Last-Modified) is formatted once, not
 * per request.  The reply is written in the loop pass that made it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>

#include "request_internal.h"
#include "conf.h"
#include "locale.h"
#include "log.h"

static void entry_bytes_written(const void *data, size_t len, void *arg)
{
    cache_entry_unref(arg);
}

static void entry_segment_done(struct evbuffer_file_segment const *seg, int flags, void *arg)
{
    cache_entry_unref(arg);
}

/* Append e's identity body to out (a connection's output, which drains to
 * its socket): from the memfd by sendfile, else by reference. */
static int append_entry_body(struct evbuffer *out, struct cache_entry *e)
{
    struct evbuffer_file_segment *seg =
        evbuffer_file_segment_new(e->body_fd, 0, (ev_off_t)e->len, EVBUF_FS_DISABLE_LOCKING);
    int rc = -1;
    if (seg != NULL) {
        cache_entry_ref(e);
        evbuffer_file_segment_add_cleanup_cb(seg, entry_segment_done, e);
        rc = evbuffer_add_file_segment(out, seg, 0, (ev_off_t)e->len);
        evbuffer_file_segment_free(seg); /* the buffer holds its own reference */
        if (rc == 0)
            return 0;
    }
    cache_entry_ref(e);
    if (evbuffer_add_reference(out, e->body, e->len, entry_bytes_written, e) != 0) {
        cache_entry_unref(e);
        return -1;
    }
    return 0;
}

static void add_header(struct evkeyvalq *h, const char *name, const char *value)
{
    if (name != NULL && value != NULL)
        evhttp_add_header(h, name, value);
}

/* The Date header, formatted once a second per worker (evhttp would
 * format it for every reply). */
static const char *date_header(int64_t now)
{
    static _Thread_local int64_t stamp = -1;
    static _Thread_local char value[40];
    if (now != stamp) {
        locale_rfc822_buf(now, value, sizeof(value));
        stamp = now;
    }
    return value;
}

/* Cache-Control of cached answers: the same for every one, formatted once
 * per worker (again if the configured max-age changes). */
static const char *public_cache_control(void)
{
    static _Thread_local int max_age = -1;
    static _Thread_local char value[48];
    int age = neptun_conf->cache_max_age;
    if (age != max_age) {
        snprintf(value, sizeof(value), "public, max-age=%d", age);
        max_age = age;
    }
    return value;
}

/* If-Modified-Since in the RFC 1123 form; -1 when absent or unreadable. */
static int64_t parse_http_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (s == NULL)
        return -1;
    const char *end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL || *end != '\0')
        return -1;
    return (int64_t)timegm(&tm);
}

static bool is_not_modified(struct neptun_req *req, const char *etag, int64_t last_modified)
{
    const char *inm = request_header(req, "If-None-Match");
    if (inm != NULL)
        return negotiate_etag_match(inm, etag) != 0; /* If-Modified-Since is then ignored */
    int64_t ims = parse_http_date(request_header(req, "If-Modified-Since"));
    return ims >= 0 && last_modified > 0 && last_modified <= ims;
}

/* Headers and body of a cached answer; returns the status to send and the
 * body length written (for the access log).  *by_file is set when the body
 * is to be appended from the entry's memfd after the headers are sent. */
static int send_entry(struct neptun_req *req, struct neptun_reply *reply, struct evkeyvalq *out,
                      struct evbuffer *buf, size_t *sent, bool *by_file)
{
    struct cache_entry *e = reply->entry;
    const struct cache_gzip *zipped =
        negotiate_gzip(request_header(req, "Accept-Encoding")) ? cache_entry_gzip(e) : NULL;
    bool gz = zipped != NULL;
    const char *etag = gz ? zipped->etag : e->etag;
    const char *body = gz ? zipped->bytes : e->body;
    size_t len = gz ? zipped->len : e->len;
    char num[32];
    int status = e->status;

    add_header(out, "ETag", etag);
    /* A burst of writes may set a change time a second or two ahead of the
     * clock (every change is a second past the last, so If-Modified-Since
     * pollers see each).  RFC 9110 §8.8.2.1: never send a Last-Modified
     * later than Date; the comparison below still uses the true value, so
     * a poller asks again until the clock has caught up. */
    char lm_now[40];
    if (e->last_modified > req->now && locale_rfc822_buf(req->now, lm_now, sizeof(lm_now)) == NEPTUN_OK)
        add_header(out, "Last-Modified", lm_now); /* evhttp copies it */
    else if (e->last_modified_http[0] != '\0')
        add_header(out, "Last-Modified", e->last_modified_http);
    add_header(out, "Cache-Control", public_cache_control());
    add_header(out, "Vary", "Accept-Encoding");
    add_header(out, "Access-Control-Allow-Origin", "*");

    if (status == 200 && is_not_modified(req, etag, e->last_modified)) {
        *sent = 0;
        return 304;
    }
    add_header(out, "Content-Type", reply_type_charset(req->pool, e->content_type));
    if (gz)
        add_header(out, "Content-Encoding", "gzip");
    if (req->method == REQ_HEAD || (!gz && e->body_fd >= 0)) {
        snprintf(num, sizeof(num), "%zu", len);
        add_header(out, "Content-Length", num);
        *sent = 0;
        if (req->method == REQ_HEAD)
            return status;
        *by_file = true;
        *sent = len;
        return status;
    }
    cache_entry_ref(e);
    if (evbuffer_add_reference(buf, body, len, entry_bytes_written, e) != 0) {
        cache_entry_unref(e);
        return 500;
    }
    *sent = len;
    return status;
}

static int send_plain(struct neptun_req *req, struct neptun_reply *reply, struct evkeyvalq *out,
                      struct evbuffer *buf, size_t *sent)
{
    char num[32];
    bool has_cc = false;
    for (size_t i = 0; i < reply->nheaders; i++)
        has_cc |= strcasecmp(reply->headers[i].name, "Cache-Control") == 0;
    if (!has_cc)
        add_header(out, "Cache-Control", "no-store");
    if (reply->content_type != NULL)
        add_header(out, "Content-Type", reply_type_charset(req->pool, reply->content_type));
    *sent = 0;
    if (reply->status == 204 || reply->status == 304)
        return reply->status;
    if (req->method == REQ_HEAD) {
        snprintf(num, sizeof(num), "%zu", reply->len);
        add_header(out, "Content-Length", num);
        return reply->status;
    }
    if (reply->len > 0 && evbuffer_add(buf, reply->body, reply->len) != 0)
        return 500;
    *sent = reply->len;
    return reply->status;
}

/* evhttp only arms the socket for writing: the reply would go out in the
 * next loop pass, after an epoll_ctl to watch for writability and an
 * epoll_wait, and a second epoll_ctl to stop watching.  The socket is
 * almost always writable, so run the bufferevent's write callback in this
 * pass instead: with the epoll changelist the arm and disarm then cancel
 * out before they reach the kernel.  Should the socket not take it all,
 * the callback leaves the rest armed as usual. */
static void write_in_this_pass(struct bufferevent *bev)
{
    if (bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) > 0)
        event_active(&bev->ev_write, EV_WRITE, 1);
}

/* A write pass writes either memory (writev) or a file (sendfile), never
 * both: before a body that goes by sendfile, send the headers already
 * queued, so that the write callback sends the whole body in this pass.
 * MSG_MORE holds them back until the body follows (what nginx's
 * tcp_nopush does with TCP_CORK): headers and body leave in the same
 * segments instead of a small packet of headers first.  The bufferevent
 * keeps the start of its output frozen (only it drains it); thaw it for
 * this one drain.  An error is left for the write callback, whose own
 * write meets it and closes the connection. */
static void write_headers_now(struct bufferevent *bev)
{
    struct evbuffer *out = bufferevent_get_output(bev);
    size_t len = evbuffer_get_length(out);
    unsigned char *headers = evbuffer_pullup(out, (ev_ssize_t)len);
    if (headers == NULL)
        return;
    ssize_t sent = send(bufferevent_getfd(bev), headers, len, MSG_MORE | MSG_NOSIGNAL);
    if (sent <= 0)
        return;
    evbuffer_unfreeze(out, 1);
    evbuffer_drain(out, (size_t)sent);
    evbuffer_freeze(out, 1);
}

int http_send(struct neptun_req *req, struct neptun_reply *reply, size_t *sent)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(req->ev);
    struct evbuffer *buf = evhttp_request_get_output_buffer(req->ev);
    struct evhttp_connection *evcon = evhttp_request_get_connection(req->ev);
    struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
    bool by_file = false;
    int status;

    if (reply->status == 0 && reply->entry == NULL)
        reply_error(req, reply, 500, "no answer");
    if (req->ev->major == 1 && req->ev->minor >= 1)
        add_header(out, "Date", date_header(req->now));
    for (size_t i = 0; i < reply->nheaders; i++)
        add_header(out, reply->headers[i].name, reply->headers[i].value);
    if (reply->entry != NULL) {
        status = send_entry(req, reply, out, buf, sent, &by_file);
        if (by_file && bev == NULL) { /* no connection to append to: send as usual */
            evhttp_remove_header(out, "Content-Length");
            by_file = false;
            cache_entry_ref(reply->entry);
            if (evbuffer_add_reference(buf, reply->entry->body, reply->entry->len,
                                       entry_bytes_written, reply->entry) != 0) {
                cache_entry_unref(reply->entry);
                status = 500;
            }
        }
    } else {
        bool public_read = (req->method == REQ_GET || req->method == REQ_HEAD) &&
                           !request_is_admin_path(req->path) &&
                           evhttp_find_header(out, "Access-Control-Allow-Origin") == NULL;
        if (public_read)
            add_header(out, "Access-Control-Allow-Origin", "*");
        status = send_plain(req, reply, out, buf, sent);
    }
    evhttp_send_reply(req->ev, status, NULL, NULL);
    /* The headers are now in the connection's output and nothing has been
     * written yet: a body from the memfd follows them, sent as soon as the
     * headers are on their way. */
    if (by_file) {
        write_headers_now(bev);
        if (append_entry_body(bufferevent_get_output(bev), reply->entry) != 0)
            log_error("cannot queue a cached body of %zu bytes: the client will time out",
                      reply->entry->len); /* out of memory: nothing better left */
    }
    write_in_this_pass(bev);
    return status;
}
