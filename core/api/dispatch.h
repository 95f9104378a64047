/*
 * dispatch.h - answering one request (dispatch.c), for server.c's
 * evhttp callbacks.
 */
#ifndef NEPTUN_DISPATCH_H
#define NEPTUN_DISPATCH_H

#include "http.h"

/* Answer one evhttp request completely: build the struct neptun_req (400,
 * 414 for bad URIs), decide the answer, send it, write the access log and
 * count it.  Called by the worker's evhttp callback; on_admin_listener
 * tells which address it arrived on. */
void request_handle(struct evhttp_request *ev, struct worker *worker, int on_admin_listener);

#endif
