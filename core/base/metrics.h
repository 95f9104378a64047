/*
 * metrics.h - counters for /metrics (Prometheus text format 0.0.4).
 * Lock-free: atomics per (route, status class) and per latency bucket.
 * Only counters: other subsystems' gauges are the /metrics handler's.
 */
#ifndef NEPTUN_METRICS_H
#define NEPTUN_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Count one answered request: route is the matched pattern (or "none"),
 * latency in microseconds, worker the worker index. */
void metrics_request(const char *route, int status, uint64_t latency_us, int worker);
/* Lua: an error or budget exhaustion, and a slow hook, per script name. */
void metrics_lua_error(const char *script);
void metrics_lua_slow(const char *script);
void metrics_auth_failure(void);
/* Write these counters' exposition to f (the caller owns f and checks its
 * errors when closing it). */
void metrics_write(FILE *f);

#endif
