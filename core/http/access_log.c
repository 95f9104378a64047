/*
 * access_log.c - the access-log line of an answered request
 * (http_access_log), in the combined format with the partner as the user:
 * peer, partner, time, request line, status, body bytes, Referer and
 * User-Agent.  The client's strings are escaped so one request stays one
 * parseable line; the time stamp is formatted once a second per worker.
 * Written by log_access_line (log.c) when access_log is set.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <event2/http_struct.h>

#include "request_internal.h"
#include "conf.h"
#include "log.h"

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
    log_field(referer, sizeof(referer), request_header(req, "Referer"));
    log_field(agent, sizeof(agent), request_header(req, "User-Agent"));
    int n = snprintf(line, sizeof(line), "%s - %s [%s] \"%s %s HTTP/%d.%d\" %d %zu \"%s\" \"%s\"",
                     peer != NULL ? peer : "-", req->partner != NULL ? req->partner : "-", stamp,
                     req->method_name, uri, req->ev->major, req->ev->minor, status, sent,
                     referer, agent);
    if (n > 0)
        log_access_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
