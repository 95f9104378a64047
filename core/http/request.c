/*
 * request.c - the request and reply objects, and evhttp on either side of
 * them: building a struct neptun_req from an evhttp request
 * (http_request_build, with the framing checks), and writing a reply on
 * the wire (http_send), then the access-log line.  What answers a request
 * is decided above this file (dispatch.c).  Cached answers
 * carry both representations and their ETags, so sending one is header
 * work plus handing the entry's bytes to the output buffer by reference:
 * the entry stays alive (reference-counted) until libevent has written them.
 * Large identity bodies go one better: the entry keeps them in a memfd, and
 * they are appended to the connection's output as a file segment right
 * after evhttp has written the headers, so libevent sends them with
 * sendfile (no copy through user space, as nginx does for static files).
 * What every cached reply shares (Cache-Control, Date, Last-Modified) is
 * formatted once, not per request.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

#include "http.h"
#include "conf.h"
#include "locale.h"
#include "log.h"
#include "render.h"

/* ---- the host-table functions ------------------------------------------- */

const char *req_header(struct neptun_req *req, const char *name)
{
    if (req == NULL || req->ev == NULL || name == NULL)
        return NULL;
    return evhttp_find_header(evhttp_request_get_input_headers(req->ev), name);
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
    return strncmp(path, "/admin", 6) == 0 && (path[6] == '\0' || path[6] == '/');
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

static bool is_text_type(const char *type)
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

/* type with "; charset=utf-8" added when it is text and names none. */
static const char *with_charset(struct neptun_pool *pool, const char *type)
{
    if (type == NULL || !is_text_type(type) || strcasestr(type, "charset=") != NULL)
        return type;
    const char *t = neptun_pool_printf(pool, "%s; charset=utf-8", type);
    return t != NULL ? t : type;
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
    reply->content_type = content_type != NULL ? with_charset(req->pool, content_type) : NULL;
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

/* ---- sending ---------------------------------------------------------------- */

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
    const char *inm = req_header(req, "If-None-Match");
    if (inm != NULL)
        return negotiate_etag_match(inm, etag) != 0; /* If-Modified-Since is then ignored */
    int64_t ims = parse_http_date(req_header(req, "If-Modified-Since"));
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
        negotiate_gzip(req_header(req, "Accept-Encoding")) ? cache_entry_gzip(e) : NULL;
    bool gz = zipped != NULL;
    const char *etag = gz ? zipped->etag : e->etag;
    const char *body = gz ? zipped->bytes : e->body;
    size_t len = gz ? zipped->len : e->len;
    char num[32];
    int status = e->status;

    add_header(out, "ETag", etag);
    if (e->last_modified_http[0] != '\0')
        add_header(out, "Last-Modified", e->last_modified_http);
    add_header(out, "Cache-Control", public_cache_control());
    add_header(out, "Vary", "Accept-Encoding");
    add_header(out, "Access-Control-Allow-Origin", "*");

    if (status == 200 && is_not_modified(req, etag, e->last_modified)) {
        *sent = 0;
        return 304;
    }
    add_header(out, "Content-Type", with_charset(req->pool, e->content_type));
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
        add_header(out, "Content-Type", with_charset(req->pool, reply->content_type));
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
                           !req_is_admin_path(req->path) &&
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

/* ---- access log --------------------------------------------------------------- */

/* A client's string as a quoted access-log field: quotes, backslashes
 * and control bytes escaped, so one request stays one parseable line. */
static void log_field(char *dst, size_t cap, const char *s)
{
    if (s == NULL)
        s = "-";
    log_escape(dst, cap, s, strlen(s), "\"\\");
}

void http_access_log(struct neptun_req *req, int status, size_t sent)
{
    static _Thread_local time_t stamp_time;
    static _Thread_local char stamp[40];
    char line[4096], uri[2048], referer[512], agent[512];
    char *peer = NULL;
    ev_uint16_t port = 0;

    if (neptun_conf->access_log == NULL)
        return;
    time_t now = (time_t)req->now;
    if (now != stamp_time) {
        struct tm tm;
        if (localtime_r(&now, &tm) == NULL ||
            strftime(stamp, sizeof(stamp), "%d/%b/%Y:%H:%M:%S %z", &tm) == 0)
            snprintf(stamp, sizeof(stamp), "-");
        stamp_time = now;
    }
    struct evhttp_connection *evcon = evhttp_request_get_connection(req->ev);
    if (evcon != NULL)
        evhttp_connection_get_peer(evcon, &peer, &port);
    log_field(uri, sizeof(uri), req->uri);
    log_field(referer, sizeof(referer), req_header(req, "Referer"));
    log_field(agent, sizeof(agent), req_header(req, "User-Agent"));
    int n = snprintf(line, sizeof(line), "%s - %s [%s] \"%s %s HTTP/%d.%d\" %d %zu \"%s\" \"%s\"",
                     peer != NULL ? peer : "-", req->partner != NULL ? req->partner : "-", stamp,
                     req->method_name, uri, req->ev->major, req->ev->minor, status, sent,
                     referer, agent);
    if (n > 0)
        log_access_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
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

/* ---- framing: what evhttp parsed, checked ------------------------------------------ */

/* RFC 9110 tchar. */
static bool is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && (c == '\0' || strchr(extra, c) == NULL))
            return false;
    }
    return true;
}

static bool has_control(const char *s, bool tab_ok)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && !(tab_ok && c == '\t')) || c == 0x7f)
            return true;
    }
    return false;
}

static bool all_digits(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 18 && s[n] == '\0';
}

/* The request as evhttp parsed it, checked against the shapes a proxy in
 * front could read differently (request smuggling): evhttp takes the first
 * of two Content-Lengths and ignores a "Transfer-Encoding " with a space
 * before the colon, so the rest of the body would be read as a request of
 * its own.  neptun parses nothing itself; it refuses what evhttp let by.
 * evhttp joins an obs-fold continuation line onto the previous value with
 * one space; a value evhttp trimmed yet begins or ends in blanks can only
 * come from such a join, which is what is refused here.
 * 0, or the status to answer with (message set); the caller closes the
 * connection after it. */
static int check_framing(struct evhttp_request *ev, const char **message)
{
    const struct evkeyvalq *headers = evhttp_request_get_input_headers(ev);
    const struct evkeyval *h;
    const char *length = NULL, *coding = NULL;
    size_t count = 0, bytes = 0;
    int hosts = 0, lengths = 0, codings = 0;

    if (ev->major != 1 || ev->minor > 1) {
        /* evhttp would echo the version in the status line. */
        ev->major = 1;
        ev->minor = 1;
        *message = "HTTP version not supported (HTTP/1.0 and HTTP/1.1 only)";
        return 505;
    }
    for (h = headers->tqh_first; h != NULL; h = h->next.tqe_next) {
        count++;
        bytes += strlen(h->key) + strlen(h->value) + 4; /* ": " and CRLF */
        if (!is_token(h->key)) {
            *message = "malformed header name";
            return 400;
        }
        size_t vlen = strlen(h->value);
        if (vlen > 0 && (strchr(" \t", h->value[0]) != NULL ||
                         strchr(" \t", h->value[vlen - 1]) != NULL)) {
            *message = "folded header line (obs-fold)";
            return 400;
        }
        if (has_control(h->value, true)) {
            *message = "control character in a header value";
            return 400;
        }
        if (strcasecmp(h->key, "Host") == 0)
            hosts++;
        else if (strcasecmp(h->key, "Content-Length") == 0)
            lengths++, length = h->value;
        else if (strcasecmp(h->key, "Transfer-Encoding") == 0)
            codings++, coding = h->value;
    }
    if (count > REQ_HEADERS_MAX || bytes > REQ_HEADER_BYTES_MAX) {
        *message = "request header fields too large";
        return 431;
    }
    if (hosts > 1 || lengths > 1 || codings > 1) {
        *message = hosts > 1 ? "more than one Host header" : "conflicting message framing headers";
        return 400;
    }
    if (length != NULL && coding != NULL) {
        *message = "both Content-Length and Transfer-Encoding";
        return 400;
    }
    if (length != NULL && !all_digits(length)) {
        *message = "malformed Content-Length";
        return 400;
    }
    if (coding != NULL && strcasecmp(coding, "chunked") != 0) {
        *message = "unsupported Transfer-Encoding (only chunked)";
        return 400;
    }
    return 0;
}

/* A request body in a content coding: neptun reads only identity bodies. */
static bool body_is_encoded(struct neptun_req *req)
{
    const char *ce = req_header(req, "Content-Encoding");
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
    int status = check_framing(ev, message);
    if (status != 0)
        return status;
    if (has_control(req->uri, false)) {
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
    if (has_control(req->path, false)) {
        req->path = "/";
        *message = "control character in the path";
        return 400;
    }
    req->query_string = evhttp_uri_get_query(u);
    if (router_parse_query(req->pool, req->query_string, &req->query, &req->nquery) != NEPTUN_OK) {
        *message = "malformed query string";
        return 400;
    }
    const char *key = req_header(req, "X-Partner-Key");
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
