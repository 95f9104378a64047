/*
 * server.h - listeners and worker threads.  Each worker has its own
 * event_base and evhttp on a SO_REUSEPORT socket, its own store read
 * connection and its own Lua state.  SIGTERM/SIGINT drain in-flight
 * requests and exit; SIGHUP reloads the Lua rules.
 */
#ifndef NEPTUN_SERVER_H
#define NEPTUN_SERVER_H

#include "conf.h"

struct worker {
    int index;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp *admin_http;  /* when the admin API has its own address */
    struct store *store;        /* read connection */
    struct store *wstore;       /* write connection (opened lazily) */
    struct rules_worker *rules;
    struct neptun_pool *spare_pool; /* the last request's pool, reset for the next */
};

/* Serve until a signal asks to stop.  Returns the exit status. */
int server_run(const struct conf *conf);

#endif
