/*
 * server.c - listeners, worker threads and signals.
 *
 * Every worker owns an event_base, an evhttp and its own listening socket
 * on the same address (SO_REUSEPORT: the kernel spreads connections), plus
 * a store read connection and a Lua state; workers share nothing mutable
 * but the cache and the counters, which lock or use atomics themselves.
 *
 * The main thread only waits for signals (and script changes).  To stop, it
 * writes to each worker's wake pipe; the worker closes its listeners and
 * the connections with no request under way, lets every request that has
 * begun to arrive (a body still uploading included) arrive and be answered
 * (with "Connection: close") until none is left or DRAIN_DEADLINE_S
 * passes, and leaves its loop.  No libevent object is ever touched from
 * another thread, so libevent needs no locking.
 *
 * SO_REUSEPORT lets any process of the same user join the workers' port,
 * so before binding them the address is bound once without it: a second
 * neptun on a port in use fails to start instead of sharing it.
 *
 * Connections are tracked per worker from accept (evhttp's bufferevent
 * callback is the only hook there is in libevent 2.1): the cap counts every
 * open connection, a once-a-second sweep gives each connection read_timeout
 * seconds to deliver a complete request (so idle and slow-loris clients are
 * closed however they drip), TCP_NODELAY is set at the first request, and
 * replies being written are counted for the drain.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "http.h"
#include "clock.h"
#include "conf.h"
#include "dispatch.h"
#include "locale.h"
#include "log.h"
#include "rules.h"
#include "server.h"
#include "store.h"

#define MAX_WORKERS 256
#define CONN_BUCKETS 1024
#define LISTEN_BACKLOG 1024
#define MAX_SINGLE_WRITE (256 * 1024)
#define HEADER_BLOCK_MAX (64 * 1024)
/* What evhttp buffers of a request line and header fields before it gives
 * up with its own plain 400: room enough that request.c answers long URIs
 * (414) and large header fields (431) itself, with neptun's XML error. */
#define HEADER_CEILING (1024 * 1024)
#define DRAIN_TICK_MS 20
#define DRAIN_DEADLINE_S 10
/* While stopping, a request whose bytes stop coming for this long is
 * given up (a slow-loris client must not hold a stop to its deadline). */
#define DRAIN_STALL_MS 1000
#define RELOAD_DEBOUNCE_MS 200
#define SWEEP_INTERVAL_S 1
#define ACCEPT_PAUSE_MS 100
#define FD_LIMIT_WHEN_UNLIMITED 1048576
#define DEFAULT_MAX_CONNECTIONS 4096

struct worker_rt;

/* An accepted connection, keyed by its bufferevent.  Until its first
 * request arrives libevent gives no way to learn when it closes, so a
 * reference on the bufferevent is held (held); the first request adopts
 * it (evcon, close callback) and the reference is dropped. */
struct conn {
    struct bufferevent *bev;
    struct evhttp_connection *evcon; /* NULL until the first request */
    struct worker_rt *rt;
    unsigned pending;        /* replies handed to libevent, not yet written */
    time_t since;            /* when the request being awaited could start */
    struct evbuffer_cb_entry *input_cb; /* marks receiving */
    bool held, cut, over_cap;
    bool receiving;          /* bytes of a request not yet answered have arrived */
    uint64_t last_input_us;  /* when bytes last arrived (monotonic) */
    struct conn *next;
};

struct worker_rt {
    struct worker w;         /* what dispatch.c and the handlers see */
    pthread_t thread;
    bool started;
    int wake[2];             /* main thread -> worker: stop */
    struct event *wake_ev, *drain_ev, *sweep_ev, *resume_ev;
    struct evhttp_bound_socket *bound, *admin_bound;
    struct conn *conns[CONN_BUCKETS];
    int nconns, cap;
    bool cap_warned;
    time_t request_timeout;  /* read_timeout: accept or last reply -> full request */
    unsigned inflight;
    bool draining;
    time_t drain_deadline;
};

/* The worker whose loop runs on this thread (for callbacks whose argument
 * libevent keeps for itself). */
static _Thread_local struct worker_rt *this_worker;

struct server {
    const struct conf *conf;
    struct worker_rt *workers;
    int nworkers;
    struct event_base *base;  /* main thread: signals, file watch */
    int inotify_fd;
    struct event *watch_ev, *reload_ev;
};

/* ---- connections ----------------------------------------------------------- */

static size_t conn_bucket(const struct bufferevent *bev)
{
    uintptr_t p = (uintptr_t)bev;
    return (size_t)((p >> 4) ^ (p >> 14)) & (CONN_BUCKETS - 1);
}

static struct conn *conn_find(struct worker_rt *rt, const struct bufferevent *bev)
{
    for (struct conn *c = rt->conns[conn_bucket(bev)]; c != NULL; c = c->next) {
        if (c->bev == bev)
            return c;
    }
    return NULL;
}

static void conn_unlink(struct conn *c)
{
    struct worker_rt *rt = c->rt;
    if (c->input_cb != NULL) {
        evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->input_cb);
        c->input_cb = NULL;
    }
    struct conn **link = &rt->conns[conn_bucket(c->bev)];
    while (*link != NULL && *link != c)
        link = &(*link)->next;
    if (*link == c)
        *link = c->next;
    rt->nconns--;
}

/* Bytes arrived on a connection: a request has begun (or continues), and
 * a stop waits for it. */
static void input_arrived(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn *c = arg;
    if (info->n_added > 0) {
        c->receiving = true;
        c->last_input_us = clock_monotonic_us();
    }
}

static struct conn *conn_new(struct worker_rt *rt, struct bufferevent *bev)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->bev = bev;
    c->rt = rt;
    c->since = time(NULL);
    c->input_cb = evbuffer_add_cb(bufferevent_get_input(bev), input_arrived, c);
    if (c->input_cb == NULL) {
        free(c);
        return NULL;
    }
    size_t b = conn_bucket(bev);
    c->next = rt->conns[b];
    rt->conns[b] = c;
    rt->nconns++;
    return c;
}

/* A connection that was never adopted: drop the hold on its bufferevent
 * (which closes the socket if libevent is done with it). */
static void conn_release(struct conn *c)
{
    conn_unlink(c);
    if (c->held)
        bufferevent_decref(c->bev);
    free(c);
}

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
    struct conn *c = arg;
    struct worker_rt *rt = c->rt;
    conn_unlink(c);
    rt->inflight -= c->pending; /* replies cut off with the connection */
    free(c);
}

/* Has libevent freed the bufferevent (bufferevent_free clears every
 * callback, and evhttp keeps at least its error callback while it owns it)? */
static bool bev_released(struct bufferevent *bev)
{
    bufferevent_data_cb readcb = NULL, writecb = NULL;
    bufferevent_event_cb eventcb = NULL;
    bufferevent_getcb(bev, &readcb, &writecb, &eventcb, NULL);
    return readcb == NULL && writecb == NULL && eventcb == NULL;
}

/* Cut a connection off: the peer and libevent both see the end of the
 * stream, and libevent frees the connection the ordinary way.  The socket
 * stays open (and its number unused) until the last bufferevent reference
 * is gone, so this never reaches another connection. */
static void conn_cut(struct conn *c, const char *why)
{
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    c->cut = true;
    if (fd >= 0 && shutdown(fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
        log_debug("worker %d: shutdown: %s", c->rt->w.index, strerror(errno));
    log_debug("worker %d: connection closed: %s", c->rt->w.index, why);
}

/* The first request on a connection: from now on libevent tells us when it
 * closes, so the hold taken at accept is no longer needed. */
static void conn_adopt(struct conn *c, struct evhttp_connection *evcon)
{
    c->evcon = evcon;
    evhttp_connection_set_closecb(evcon, conn_closed, c);
    if (c->held) {
        c->held = false;
        bufferevent_decref(c->bev);
    }
    /* Nagle against delayed ACKs stalls every multi-segment reply. */
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    int one = 1;
    if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
        log_debug("TCP_NODELAY: %s", strerror(errno));
}

/* Once a second: a connection gets read_timeout seconds from its accept,
 * or from the end of its last reply, to deliver a complete request (head
 * and body).  libevent's own timeout restarts with every byte, so without
 * this a client sending one byte now and then would hold its connection
 * for ever.  Connections taken over the cap are cut here too, and while
 * stopping, those with no request under way. */
static void sweep(evutil_socket_t fd, short what, void *arg)
{
    struct worker_rt *rt = arg;
    time_t now = time(NULL);
    for (size_t b = 0; b < CONN_BUCKETS; b++) {
        struct conn *c = rt->conns[b], *next;
        for (; c != NULL; c = next) {
            next = c->next;
            if (c->evcon == NULL) {
                if (c->cut || bev_released(c->bev))
                    conn_release(c);
                else if (c->over_cap)
                    conn_cut(c, "too many connections");
                else if (rt->draining && !c->receiving)
                    conn_cut(c, "stopping");
                else if (now - c->since >= rt->request_timeout)
                    conn_cut(c, "no complete request in time");
            } else if (c->pending == 0 && !c->cut) {
                if (rt->draining && !c->receiving)
                    conn_cut(c, "stopping");
                else if (now - c->since >= rt->request_timeout)
                    conn_cut(c, "no complete request in time");
            }
        }
    }
}

static void request_done(struct evhttp_request *ev, void *arg)
{
    struct conn *c = arg;
    c->pending--;
    c->rt->inflight--;
    if (c->pending == 0) {
        c->since = time(NULL); /* the deadline of the next request starts now */
        /* Pipelined bytes already read belong to a request under way. */
        c->receiving = evbuffer_get_length(bufferevent_get_input(c->bev)) > 0;
    }
}

static void serve(struct evhttp_request *ev, struct worker_rt *rt, int admin)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
    struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
    struct conn *c = bev != NULL ? conn_find(rt, bev) : NULL;

    if (c == NULL && bev != NULL && rt->nconns < rt->cap)
        c = conn_new(rt, bev);
    if (c == NULL || c->over_cap) {
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
        evhttp_send_error(ev, 503, "Too many connections");
        return;
    }
    if (c->evcon == NULL)
        conn_adopt(c, evcon);
    c->pending++;
    rt->inflight++;
    evhttp_request_set_on_complete_cb(ev, request_done, c);
    if (rt->draining)
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
    request_handle(ev, &rt->w, admin);
}

static void serve_public(struct evhttp_request *ev, void *arg)
{
    serve(ev, arg, 0);
}

static void serve_admin(struct evhttp_request *ev, void *arg)
{
    serve(ev, arg, 1);
}

/* Called by evhttp for every accepted connection, before it reads a byte:
 * the one moment a connection can be counted from its start.  A reference
 * keeps the bufferevent (and so its socket) alive until the first request
 * adopts the connection or the sweep finds libevent done with it. */
static struct bufferevent *make_bufferevent(struct event_base *base, void *arg)
{
    struct worker_rt *rt = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL)
        return NULL;
    /* libevent writes 16 KB per loop pass by default: far too little for
     * feeds of tens of KB. */
    bufferevent_set_max_single_write(bev, MAX_SINGLE_WRITE);
    bool over_cap = rt->nconns >= rt->cap;
    struct conn *c = conn_new(rt, bev);
    if (c == NULL)
        return bev; /* untracked: counted at its first request */
    bufferevent_incref(bev);
    c->held = true;
    c->over_cap = over_cap;
    if (over_cap && !rt->cap_warned) {
        rt->cap_warned = true;
        log_warn("worker %d: more than %d connections; new ones are closed", rt->w.index, rt->cap);
    } else if (!over_cap) {
        rt->cap_warned = false;
    }
    return bev;
}

/* accept() failed; with no descriptors left it would fail again at once,
 * so stop accepting for a moment instead of spinning. */
static void accept_error(struct evconnlistener *listener, void *arg)
{
    struct worker_rt *rt = this_worker; /* arg is evhttp's own */
    int err = EVUTIL_SOCKET_ERROR();
    if (rt == NULL)
        return;
    if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM)
        return;
    log_warn("worker %d: accept: %s; pausing new connections", rt->w.index, strerror(err));
    struct timeval pause = { 0, ACCEPT_PAUSE_MS * 1000 };
    if (evconnlistener_disable(listener) == 0 && rt->resume_ev != NULL &&
        evtimer_add(rt->resume_ev, &pause) == 0)
        return;
    evconnlistener_enable(listener);
}

static void accept_resume(evutil_socket_t fd, short what, void *arg)
{
    struct worker_rt *rt = arg;
    if (rt->draining)
        return;
    if (rt->bound != NULL)
        evconnlistener_enable(evhttp_bound_socket_get_listener(rt->bound));
    if (rt->admin_bound != NULL)
        evconnlistener_enable(evhttp_bound_socket_get_listener(rt->admin_bound));
}

/* ---- stopping a worker (on its own thread) ------------------------------------ */

/* Is a request still arriving (its head or its body) on a connection
 * that is not being closed?  Those whose bytes stalled are cut here. */
static bool requests_arriving(struct worker_rt *rt)
{
    uint64_t now = clock_monotonic_us();
    bool arriving = false;
    for (size_t b = 0; b < CONN_BUCKETS; b++) {
        for (struct conn *c = rt->conns[b]; c != NULL; c = c->next) {
            if (!c->receiving || c->cut || c->pending > 0 ||
                (c->evcon == NULL && bev_released(c->bev)))
                continue;
            if (now - c->last_input_us > (uint64_t)DRAIN_STALL_MS * 1000)
                conn_cut(c, "stopping: the request stalled");
            else
                arriving = true;
        }
    }
    return arriving;
}

static void drain_tick(evutil_socket_t fd, short what, void *arg)
{
    struct worker_rt *rt = arg;
    if ((rt->inflight == 0 && !requests_arriving(rt)) || time(NULL) >= rt->drain_deadline)
        event_base_loopexit(rt->w.base, NULL);
}

static void wake_read(evutil_socket_t fd, short what, void *arg)
{
    struct worker_rt *rt = arg;
    char buf[16];
    if (read(fd, buf, sizeof(buf)) <= 0 || rt->draining)
        return;
    rt->draining = true;
    rt->drain_deadline = time(NULL) + DRAIN_DEADLINE_S;
    if (rt->bound != NULL)
        evhttp_del_accept_socket(rt->w.http, rt->bound);
    if (rt->admin_bound != NULL)
        evhttp_del_accept_socket(rt->w.admin_http, rt->admin_bound);
    rt->bound = rt->admin_bound = NULL;
    sweep(-1, 0, rt); /* connections still waiting for a request are closed now */
    struct timeval tick = { 0, DRAIN_TICK_MS * 1000 };
    rt->drain_ev = event_new(rt->w.base, -1, EV_PERSIST, drain_tick, rt);
    if (rt->drain_ev == NULL || event_add(rt->drain_ev, &tick) != 0)
        event_base_loopexit(rt->w.base, NULL);
}

static void *worker_main(void *arg)
{
    struct worker_rt *rt = arg;
    this_worker = rt;
    cache_thread_attach();
    if (event_base_dispatch(rt->w.base) < 0)
        log_error("worker %d: event loop failed", rt->w.index);
    cache_thread_detach();
    locale_thread_cleanup();
    return NULL;
}

/* ---- setting a worker up (main thread) ------------------------------------------ */

/* A non-blocking listening socket on host:*port with SO_REUSEPORT.  When
 * *port is 0 the kernel picks one and *port receives it, so the other
 * workers bind the same.  With probe, only bound without SO_REUSEPORT and
 * closed again (0 on success): it fails (EADDRINUSE) when anything listens
 * there, a neptun with SO_REUSEPORT included.  -1 on failure, logged. */
static evutil_socket_t bind_on(const char *host, int *port, bool probe)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    evutil_socket_t fd = -1;
    int one = 1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof(portstr), "%d", *port);
    rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        log_error("listen %s:%d: %s", host, *port, gai_strerror(rc));
        goto out;
    }
    fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, res->ai_protocol);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (!probe && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
        (!probe && listen(fd, LISTEN_BACKLOG) != 0)) {
        if (errno == EADDRINUSE)
            log_error("listen %s:%d: the address is already in use (another neptun, or "
                      "another server, listens there); not starting", host, *port);
        else
            log_error("listen %s:%d: %s", host, *port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
        goto out;
    }
    if (probe) {
        close(fd);
        fd = 0;
        goto out;
    }
    if (*port == 0) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    }
out:
    if (res != NULL)
        freeaddrinfo(res);
    return fd;
}

static struct evhttp *http_new(struct worker_rt *rt, const struct conf *conf)
{
    struct evhttp *http = evhttp_new(rt->w.base);
    if (http == NULL)
        return NULL;
    /* Headroom above the configured limits, so that request.c answers
     * moderately oversized URIs (414) and bodies (413) with an XML error;
     * libevent's own plain answer is left for grossly oversized ones. */
    size_t max_body = conf->max_body > 0 ? conf->max_body : 1 << 20;
    evhttp_set_max_body_size(http, (ev_ssize_t)(max_body * 2 + HEADER_BLOCK_MAX));
    size_t max_head = conf->max_uri + 2 * REQ_HEADER_BYTES_MAX;
    evhttp_set_max_headers_size(http, (ev_ssize_t)(max_head > HEADER_CEILING ? max_head
                                                                            : HEADER_CEILING));
    /* libevent's timeout restarts with every byte read or written: it ends
     * stalled writes and silent peers; sweep() bounds the whole request. */
    evhttp_set_timeout(http, conf->write_timeout > 0 ? conf->write_timeout : 30);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                     EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS);
    evhttp_set_default_content_type(http, NULL);
    evhttp_set_bevcb(http, make_bufferevent, rt);
    return http;
}

static int bind_http(struct worker_rt *rt, struct evhttp *http, const char *host, int *port,
                     struct evhttp_bound_socket **bound)
{
    evutil_socket_t fd = bind_on(host, port, false);
    if (fd < 0)
        return NEPTUN_ERROR;
    *bound = evhttp_accept_socket_with_handle(http, fd);
    if (*bound == NULL) {
        close(fd);
        log_error("listen %s:%d: evhttp refused the socket", host, *port);
        return NEPTUN_ERROR;
    }
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(*bound), accept_error);
    return NEPTUN_OK;
}

/* A worker's event loop.  With the epoll changelist, the read/write
 * interest evhttp flips around every reply is folded into one epoll_ctl
 * per change of direction (2 per request instead of 4).  neptun never
 * dup()s a socket, the case the changelist cannot handle. */
static struct event_base *worker_base_new(void)
{
    struct event_config *cfg = event_config_new();
    struct event_base *base = NULL;
    if (cfg != NULL && event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0)
        base = event_base_new_with_config(cfg);
    if (cfg != NULL)
        event_config_free(cfg);
    return base != NULL ? base : event_base_new();
}

static int worker_setup(struct worker_rt *rt, int index, const struct conf *conf,
                        int *port, int *admin_port)
{
    char *err = NULL;
    rt->w.index = index;
    rt->cap = conf->max_connections > 0 ? conf->max_connections : DEFAULT_MAX_CONNECTIONS;
    rt->request_timeout = conf->read_timeout > 0 ? conf->read_timeout : 30;

    rt->w.base = worker_base_new();
    if (rt->w.base == NULL || pipe2(rt->wake, O_CLOEXEC | O_NONBLOCK) != 0)
        goto fail;
    rt->wake_ev = event_new(rt->w.base, rt->wake[0], EV_READ | EV_PERSIST, wake_read, rt);
    if (rt->wake_ev == NULL || event_add(rt->wake_ev, NULL) != 0)
        goto fail;
    struct timeval every = { SWEEP_INTERVAL_S, 0 };
    rt->sweep_ev = event_new(rt->w.base, -1, EV_PERSIST, sweep, rt);
    rt->resume_ev = evtimer_new(rt->w.base, accept_resume, rt);
    if (rt->sweep_ev == NULL || rt->resume_ev == NULL || event_add(rt->sweep_ev, &every) != 0)
        goto fail;

    rt->w.http = http_new(rt, conf);
    if (rt->w.http == NULL)
        goto fail;
    evhttp_set_gencb(rt->w.http, serve_public, rt);
    if (bind_http(rt, rt->w.http, conf->listen_host, port, &rt->bound) != NEPTUN_OK)
        goto fail;
    log_info("worker %d listening on %s:%d", index, conf->listen_host, *port);
    if (conf->admin_host != NULL) {
        rt->w.admin_http = http_new(rt, conf);
        if (rt->w.admin_http == NULL)
            goto fail;
        evhttp_set_gencb(rt->w.admin_http, serve_admin, rt);
        if (bind_http(rt, rt->w.admin_http, conf->admin_host, admin_port, &rt->admin_bound) != NEPTUN_OK)
            goto fail;
        log_info("worker %d listening on %s:%d (admin)", index, conf->admin_host, *admin_port);
    }

    if (store_open(conf->db_path, STORE_READONLY, &rt->w.store, &err) != NEPTUN_OK) {
        log_error("worker %d: %s: %s", index, conf->db_path, err != NULL ? err : "cannot open");
        free(err);
        goto fail;
    }
    if (store_set_page_cache(rt->w.store, conf->store_cache_bytes) != NEPTUN_OK)
        goto fail;
    rt->w.rules = rules_worker_new(rt->w.store, index);
    if (rt->w.rules == NULL) {
        log_error("worker %d: cannot create the Lua state", index);
        goto fail;
    }
    return NEPTUN_OK;
fail:
    if (rt->w.base == NULL)
        log_error("worker %d: cannot set up its event loop", index);
    return NEPTUN_ERROR;
}

/* Free what worker_setup made (after its thread has been joined). */
static void worker_cleanup(struct worker_rt *rt)
{
    if (rt->w.http != NULL)
        evhttp_free(rt->w.http); /* closes connections; their closecbs free the conns */
    if (rt->w.admin_http != NULL)
        evhttp_free(rt->w.admin_http);
    /* What is left was never adopted: drop the holds, which closes the
     * sockets, before the event base goes. */
    for (size_t b = 0; b < CONN_BUCKETS; b++) {
        struct conn *c = rt->conns[b], *next;
        for (; c != NULL; c = next) {
            next = c->next;
            if (c->held) {
                evbuffer_remove_cb_entry(bufferevent_get_input(c->bev), c->input_cb);
                bufferevent_decref(c->bev);
            }
            free(c);
        }
        rt->conns[b] = NULL;
    }
    if (rt->drain_ev != NULL)
        event_free(rt->drain_ev);
    if (rt->sweep_ev != NULL)
        event_free(rt->sweep_ev);
    if (rt->resume_ev != NULL)
        event_free(rt->resume_ev);
    if (rt->wake_ev != NULL)
        event_free(rt->wake_ev);
    neptun_pool_free(rt->w.spare_pool); /* before the Lua state its cleanups may unpin */
    if (rt->w.rules != NULL)
        rules_worker_free(rt->w.rules);
    if (rt->w.wstore != NULL)
        store_close(rt->w.wstore);
    if (rt->w.store != NULL)
        store_close(rt->w.store);
    if (rt->w.base != NULL)
        event_base_free(rt->w.base);
    for (int i = 0; i < 2; i++) {
        if (rt->wake[i] >= 0)
            close(rt->wake[i]);
    }
}

/* ---- main thread: signals and the script watch ------------------------------------ */

/* What a reload does, whoever asks (SIGHUP, the file watch, POST
 * /admin/reload): the new rule set replaces the old one only when every
 * script loads, and then the answers the old rules shaped go. */
int server_reload_rules(const char *why)
{
    const char *dir = neptun_conf->scripts_dir;
    if (dir == NULL)
        return NEPTUN_OK;
    log_info("reloading rules from %s (%s)", dir, why);
    int rc = rules_reload(dir);
    if (rc == NEPTUN_OK)
        cache_bump_all();
    return rc;
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
    struct server *srv = arg;
    log_info("signal %d: stopping; finishing requests in progress", (int)sig);
    for (int i = 0; i < srv->nworkers; i++) {
        struct worker_rt *rt = &srv->workers[i];
        if (rt->wake[1] >= 0 && write(rt->wake[1], "s", 1) != 1)
            log_warn("worker %d: cannot wake it: %s", i, strerror(errno));
    }
    event_base_loopexit(srv->base, NULL);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
    server_reload_rules("SIGHUP");
}

static void on_reload_timer(evutil_socket_t fd, short what, void *arg)
{
    server_reload_rules("a script changed");
}

static void on_watch(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool lua_changed = false;
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ie = (struct inotify_event *)p;
            size_t len = ie->len > 0 ? strlen(ie->name) : 0;
            if (len > 4 && strcmp(ie->name + len - 4, ".lua") == 0)
                lua_changed = true;
            p += sizeof(*ie) + ie->len;
        }
    }
    /* Editors write in bursts: reload once the burst is over. */
    struct timeval debounce = { 0, RELOAD_DEBOUNCE_MS * 1000 };
    if (lua_changed && evtimer_add(srv->reload_ev, &debounce) != 0)
        log_warn("script watch: cannot schedule the reload");
}

static void watch_scripts(struct server *srv)
{
    const struct conf *conf = srv->conf;
    srv->inotify_fd = -1;
    if (!conf->watch_scripts || conf->scripts_dir == NULL)
        return;
    srv->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (srv->inotify_fd < 0 ||
        inotify_add_watch(srv->inotify_fd, conf->scripts_dir,
                          IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE) < 0) {
        log_warn("cannot watch %s: %s", conf->scripts_dir, strerror(errno));
        return;
    }
    srv->reload_ev = evtimer_new(srv->base, on_reload_timer, srv);
    srv->watch_ev = event_new(srv->base, srv->inotify_fd, EV_READ | EV_PERSIST, on_watch, srv);
    if (srv->reload_ev == NULL || srv->watch_ev == NULL || event_add(srv->watch_ev, NULL) != 0)
        log_warn("cannot watch %s", conf->scripts_dir);
}

static int worker_count(const struct conf *conf)
{
    long n = conf->workers > 0 ? conf->workers : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

/* Start every worker thread with the stop and reload signals blocked, so
 * they reach the main thread's event loop only. */
static int start_threads(struct server *srv)
{
    sigset_t block, old;
    int rc = NEPTUN_OK;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    for (int i = 0; i < srv->nworkers; i++) {
        struct worker_rt *rt = &srv->workers[i];
        int err = pthread_create(&rt->thread, NULL, worker_main, rt);
        if (err != 0) {
            log_error("worker %d: cannot start a thread: %s", i, strerror(err));
            rc = NEPTUN_ERROR;
            break;
        }
        rt->started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

/* Every connection is a descriptor: take the soft limit up to the hard
 * one (the default soft 1024 is gone after a few hundred idle clients). */
static void raise_fd_limit(int nworkers, int cap)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return;
    }
    rlim_t want = rl.rlim_max;
    if (want == RLIM_INFINITY)
        want = FD_LIMIT_WHEN_UNLIMITED;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rlim_t was = rl.rlim_cur;
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_warn("cannot raise the open file limit from %llu to %llu: %s",
                     (unsigned long long)was, (unsigned long long)want, strerror(errno));
        else
            log_debug("open file limit raised from %llu to %llu", (unsigned long long)was,
                      (unsigned long long)want);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)nworkers * (rlim_t)cap)
        log_info("open file limit %llu is below workers x max_connections (%d x %d); "
                 "accepting pauses briefly when it is reached",
                 (unsigned long long)rl.rlim_cur, nworkers, cap);
}

int server_run(const struct conf *conf)
{
    struct server srv;
    struct event *sig_term = NULL, *sig_int = NULL, *sig_hup = NULL;
    int status = 1;
    int port = conf->listen_port, admin_port = conf->admin_port;

    memset(&srv, 0, sizeof(srv));
    srv.conf = conf;
    srv.inotify_fd = -1;
    signal(SIGPIPE, SIG_IGN);
    if (cache_init(conf->cache_bytes) != NEPTUN_OK) {
        log_error("cannot set up the answer cache");
        return 1;
    }
    srv.nworkers = worker_count(conf);
    raise_fd_limit(srv.nworkers, conf->max_connections > 0 ? conf->max_connections : DEFAULT_MAX_CONNECTIONS);
    srv.workers = calloc((size_t)srv.nworkers, sizeof(*srv.workers));
    srv.base = event_base_new();
    if (srv.workers == NULL || srv.base == NULL)
        goto out;
    for (int i = 0; i < srv.nworkers; i++)
        srv.workers[i].wake[0] = srv.workers[i].wake[1] = -1;
    /* A port chosen by the kernel (0) is new by definition. */
    if ((port != 0 && bind_on(conf->listen_host, &port, true) < 0) ||
        (conf->admin_host != NULL && admin_port != 0 &&
         bind_on(conf->admin_host, &admin_port, true) < 0))
        goto out;
    for (int i = 0; i < srv.nworkers; i++) {
        if (worker_setup(&srv.workers[i], i, conf, &port, &admin_port) != NEPTUN_OK)
            goto out;
    }

    sig_term = evsignal_new(srv.base, SIGTERM, on_stop, &srv);
    sig_int = evsignal_new(srv.base, SIGINT, on_stop, &srv);
    sig_hup = evsignal_new(srv.base, SIGHUP, on_hup, &srv);
    if (sig_term == NULL || sig_int == NULL || sig_hup == NULL || event_add(sig_term, NULL) != 0 ||
        event_add(sig_int, NULL) != 0 || event_add(sig_hup, NULL) != 0) {
        log_error("cannot install signal handlers");
        goto out;
    }
    watch_scripts(&srv);
    if (start_threads(&srv) != NEPTUN_OK) {
        on_stop(SIGTERM, 0, &srv);
        goto out;
    }
    log_info("serving on %s:%d with %d workers", conf->listen_host, port, srv.nworkers);
    if (event_base_dispatch(srv.base) < 0)
        log_error("main event loop failed");
    else
        status = 0;
out:
    if (srv.workers != NULL) {
        for (int i = 0; i < srv.nworkers; i++) {
            if (srv.workers[i].started)
                pthread_join(srv.workers[i].thread, NULL);
        }
        for (int i = 0; i < srv.nworkers; i++)
            worker_cleanup(&srv.workers[i]);
        free(srv.workers);
    }
    if (sig_term != NULL)
        event_free(sig_term);
    if (sig_int != NULL)
        event_free(sig_int);
    if (sig_hup != NULL)
        event_free(sig_hup);
    if (srv.watch_ev != NULL)
        event_free(srv.watch_ev);
    if (srv.reload_ev != NULL)
        event_free(srv.reload_ev);
    if (srv.inotify_fd >= 0)
        close(srv.inotify_fd);
    if (srv.base != NULL)
        event_base_free(srv.base);
    cache_cleanup();
    if (status == 0)
        log_info("stopped");
    return status;
}
