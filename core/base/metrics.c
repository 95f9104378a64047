/*
 * metrics.c - counters for /metrics in the Prometheus text format 0.0.4.
 *
 * It only counts: the gauges other subsystems keep (the answer cache, the
 * fragment memo, the store's kept pages and parts) are gathered by the
 * /metrics handler (handlers_system.c), which writes them after these.
 *
 * Label sets are small and bounded (route patterns, script names, worker
 * indexes), so they live in fixed arrays: a name is registered once under a
 * mutex and published by an atomic count; every later lookup and every
 * count is lock-free.  Names beyond the array bound are counted under a
 * catch-all "other" label rather than dropped.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <neptun/common.h>
#include "metrics.h"

#define MAX_ROUTES 128
#define MAX_SCRIPTS 64
#define MAX_WORKERS 256

/* Status codes with a slot of their own; anything else goes to its class. */
static const int known_status[] = {
    200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 405, 406, 409,
    413, 414, 415, 422, 429, 500, 501, 503
};
#define NSTATUS (sizeof(known_status) / sizeof(known_status[0]))
#define STATUS_SLOTS (NSTATUS + 5) /* + "1xx".."5xx" catch-alls */

/* Upper bounds of the latency histogram, in microseconds. */
static const uint64_t bucket_us[] = {
    500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
    2500000, 5000000
};
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct label_set {
    pthread_mutex_t lock;          /* serialises registration only */
    const char *names[MAX_ROUTES]; /* strdup'd, never freed while running */
    _Atomic size_t count;
    size_t max;
};

static struct label_set routes = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, MAX_ROUTES };
static struct label_set scripts = { PTHREAD_MUTEX_INITIALIZER, { 0 }, 0, MAX_SCRIPTS };

static _Atomic uint64_t route_status[MAX_ROUTES][STATUS_SLOTS];
static _Atomic uint64_t latency_bucket[NBUCKETS];
static _Atomic uint64_t latency_count, latency_sum_us;
static _Atomic uint64_t worker_requests[MAX_WORKERS];
static _Atomic uint64_t lua_errors[MAX_SCRIPTS], lua_slow[MAX_SCRIPTS];
static _Atomic uint64_t auth_failures;

/* Index of name in set, registering it when new; the last slot is "other". */
static size_t label_index(struct label_set *set, const char *name)
{
    size_t n = atomic_load_explicit(&set->count, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        if (set->names[i] == name || strcmp(set->names[i], name) == 0)
            return i;
    }
    pthread_mutex_lock(&set->lock);
    n = atomic_load_explicit(&set->count, memory_order_relaxed);
    size_t i;
    for (i = 0; i < n; i++) {
        if (strcmp(set->names[i], name) == 0)
            goto out;
    }
    if (n + 1 >= set->max) {
        if (n + 1 == set->max) {
            set->names[n] = "other";
            atomic_store_explicit(&set->count, n + 1, memory_order_release);
        }
        i = set->max - 1;
        goto out;
    }
    set->names[n] = strdup(name);
    if (set->names[n] == NULL) {
        set->names[n] = "other";
    }
    atomic_store_explicit(&set->count, n + 1, memory_order_release);
    i = n;
out:
    pthread_mutex_unlock(&set->lock);
    return i;
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < NSTATUS; i++) {
        if (known_status[i] == status)
            return i;
    }
    int cls = status / 100;
    if (cls < 1 || cls > 5)
        cls = 5;
    return NSTATUS + (size_t)(cls - 1);
}

static void status_label(size_t slot, char buf[8])
{
    if (slot < NSTATUS)
        snprintf(buf, 8, "%d", known_status[slot]);
    else
        snprintf(buf, 8, "%cxx", (char)('1' + (slot - NSTATUS) % 5));
}

void metrics_request(const char *route, int status, uint64_t latency_us, int worker)
{
    size_t r = label_index(&routes, route != NULL ? route : "none");
    atomic_fetch_add_explicit(&route_status[r][status_slot(status)], 1, memory_order_relaxed);
    for (size_t b = 0; b < NBUCKETS; b++) {
        if (latency_us <= bucket_us[b]) {
            atomic_fetch_add_explicit(&latency_bucket[b], 1, memory_order_relaxed);
            break;
        }
    }
    atomic_fetch_add_explicit(&latency_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_us, latency_us, memory_order_relaxed);
    if (worker >= 0 && worker < MAX_WORKERS)
        atomic_fetch_add_explicit(&worker_requests[worker], 1, memory_order_relaxed);
}

void metrics_lua_error(const char *script)
{
    size_t i = label_index(&scripts, script != NULL ? script : "unknown");
    atomic_fetch_add_explicit(&lua_errors[i], 1, memory_order_relaxed);
}

void metrics_lua_slow(const char *script)
{
    size_t i = label_index(&scripts, script != NULL ? script : "unknown");
    atomic_fetch_add_explicit(&lua_slow[i], 1, memory_order_relaxed);
}

void metrics_auth_failure(void)
{
    atomic_fetch_add_explicit(&auth_failures, 1, memory_order_relaxed);
}

/* A label value with '\\', '"' and newlines escaped as the format asks. */
static void put_label(FILE *f, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
}

static void render_requests(FILE *f)
{
    char st[8];
    fputs("# HELP neptun_requests_total Requests answered, by route pattern and status.\n"
          "# TYPE neptun_requests_total counter\n", f);
    size_t n = atomic_load_explicit(&routes.count, memory_order_acquire);
    for (size_t r = 0; r < n; r++) {
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            uint64_t v = atomic_load_explicit(&route_status[r][s], memory_order_relaxed);
            if (v == 0)
                continue;
            status_label(s, st);
            fputs("neptun_requests_total{route=\"", f);
            put_label(f, routes.names[r]);
            fprintf(f, "\",status=\"%s\"} %llu\n", st, (unsigned long long)v);
        }
    }

    fputs("# HELP neptun_request_duration_seconds Time from request to reply.\n"
          "# TYPE neptun_request_duration_seconds histogram\n", f);
    uint64_t cumulative = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        cumulative += atomic_load_explicit(&latency_bucket[b], memory_order_relaxed);
        fprintf(f, "neptun_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                (double)bucket_us[b] / 1e6, (unsigned long long)cumulative);
    }
    uint64_t count = atomic_load_explicit(&latency_count, memory_order_relaxed);
    fprintf(f, "neptun_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
            (unsigned long long)count);
    fprintf(f, "neptun_request_duration_seconds_sum %.6f\n",
            (double)atomic_load_explicit(&latency_sum_us, memory_order_relaxed) / 1e6);
    fprintf(f, "neptun_request_duration_seconds_count %llu\n", (unsigned long long)count);

    fputs("# HELP neptun_worker_requests_total Requests answered by each worker thread.\n"
          "# TYPE neptun_worker_requests_total counter\n", f);
    for (int w = 0; w < MAX_WORKERS; w++) {
        uint64_t v = atomic_load_explicit(&worker_requests[w], memory_order_relaxed);
        if (v != 0)
            fprintf(f, "neptun_worker_requests_total{worker=\"%d\"} %llu\n", w,
                    (unsigned long long)v);
    }
}

static void render_script_counter(FILE *f, const char *name, const char *help,
                                  _Atomic uint64_t *values)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    size_t n = atomic_load_explicit(&scripts.count, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = atomic_load_explicit(&values[i], memory_order_relaxed);
        if (v == 0)
            continue;
        fprintf(f, "%s{script=\"", name);
        put_label(f, scripts.names[i]);
        fprintf(f, "\"} %llu\n", (unsigned long long)v);
    }
}

void metrics_write(FILE *f)
{
    render_requests(f);
    render_script_counter(f, "neptun_lua_errors_total",
                          "Lua hook calls that failed or ran out of budget.", lua_errors);
    render_script_counter(f, "neptun_lua_slow_total",
                          "Lua hook calls slower than lua_slow_ms.", lua_slow);
    fprintf(f, "# HELP neptun_auth_failures_total Rejected admin credentials.\n"
               "# TYPE neptun_auth_failures_total counter\n"
               "neptun_auth_failures_total %llu\n",
            (unsigned long long)atomic_load(&auth_failures));
}
