/*
 * server.h - listeners and worker threads.  Each worker has its own
 * event_base and evhttp on a SO_REUSEPORT socket, its own store read
 * connection and its own Lua state (struct worker, http.h).
 * SIGTERM/SIGINT drain in-flight requests and exit; SIGHUP reloads the
 * Lua rules.  Each request is answered by request_handle (dispatch.h).
 */
#ifndef NEPTUN_SERVER_H
#define NEPTUN_SERVER_H

#include "conf.h"

/* Reload the Lua rules and drop the answers the old ones shaped; why is
 * logged.  NEPTUN_OK, or an error when the new set failed (the old one
 * stays in force). */
int server_reload_rules(const char *why);

/* Serve until a signal asks to stop.  Returns the exit status. */
int server_run(const struct conf *conf);

#endif
