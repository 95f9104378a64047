/*
 * store_probe.c - what the store does for the read API's main queries.
 *
 *   store_probe -c conf/neptun.conf --db /tmp/s.db [--runs N]
 *
 * For each query shape the read API uses (a type's list and feed, a deep
 * page, a tag, every type together, the calendar, a search) it prints the
 * plans SQLite chose for the count and the page (store_explain), then times
 * store_list() itself in this process, N runs each (fewer when a probe has
 * used up PROBE_SECONDS), and prints the median and the 90th percentile:
 * the store's share of an uncached answer, without HTTP, rules or rendering.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include "conf.h"
#include "locale.h"
#include "store.h"

#define PROBE_SECONDS 10.0

struct probe {
    const char *name;
    struct store_query q;
};

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_probe(struct store *s, const struct probe *p, int runs, double *samples)
{
    struct neptun_pool *pool = neptun_pool_new(1 << 16);
    const char *count_plan = NULL, *page_plan = NULL;
    struct neptun_item **items = NULL;
    size_t n = 0, total = 0;
    int ret = -1;

    if (pool == NULL)
        return -1;
    if (store_explain(s, pool, &p->q, &count_plan, &page_plan) != NEPTUN_OK) {
        fprintf(stderr, "store_probe: %s: no plan\n", p->name);
        goto out;
    }
    printf("== %s\n-- count\n%s-- page\n%s", p->name, count_plan, page_plan);
    double started = now_ms();
    int done = 0;
    for (int i = 0; i < runs; i++, done++) {
        if (i >= 3 && now_ms() - started > PROBE_SECONDS * 1000)
            break;
        struct neptun_pool *rp = neptun_pool_new(1 << 16);
        if (rp == NULL)
            goto out;
        store_drop_kept(s); /* time the reads from the file, not the kept copies */
        double t0 = now_ms();
        int rc = store_list(s, rp, &p->q, &items, NULL, &n, &total);
        samples[i] = now_ms() - t0;
        neptun_pool_free(rp);
        if (rc != NEPTUN_OK) {
            fprintf(stderr, "store_probe: %s: store_list failed\n", p->name);
            goto out;
        }
    }
    qsort(samples, (size_t)done, sizeof(*samples), by_value);
    printf("-- store_list: %zu of %zu items, p50 %.3f ms, p90 %.3f ms (%d runs)\n\n", n, total,
           samples[done / 2], samples[done * 9 / 10], done);
    ret = 0;
out:
    neptun_pool_free(pool);
    return ret;
}

int main(int argc, char **argv)
{
    const char *conf_path = "conf/neptun.conf", *db = NULL;
    int runs = 50, conf_loaded = 0, rc = 1;
    struct store *s = NULL;
    double *samples = NULL;
    char *err = NULL;
    struct conf conf;

    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-c") == 0)
            conf_path = argv[i + 1];
        else if (strcmp(argv[i], "--db") == 0)
            db = argv[i + 1];
        else if (strcmp(argv[i], "--runs") == 0 && (runs = atoi(argv[i + 1])) > 0)
            continue;
        else
            break;
    }
    if (db == NULL || runs <= 0 || argc % 2 == 0) {
        fprintf(stderr, "usage: store_probe [-c CONF] --db PATH [--runs N]\n");
        return 2;
    }
    if (conf_load(conf_path, &conf) < 0)
        return 2;
    conf_loaded = 1;
    neptun_conf = &conf;
    xmlInitParser();
    /* searches fold what is typed with the locale rules */
    if (locale_init(conf.locales_dir, conf.timezone) < 0)
        goto out;
    if (store_open(db, STORE_READONLY, &s, &err) != NEPTUN_OK) {
        fprintf(stderr, "store_probe: %s\n", err ? err : "cannot open the store");
        goto out;
    }
    if ((samples = calloc((size_t)runs, sizeof(*samples))) == NULL)
        goto out;

    int64_t now = (int64_t)time(NULL);
    const struct probe probes[] = {
        { "list /pl/events (page 1, newest first)",
          { .type = "events", .now = now, .limit = 20 } },
        { "list /pl/events?page=50",
          { .type = "events", .now = now, .offset = 49 * 20, .limit = 20 } },
        { "list /pl/events?tag=culture",
          { .type = "events", .tag = "culture", .now = now, .limit = 20 } },
        { "feed /pl/feed.rss (every type)", { .now = now, .limit = 20 } },
        { "calendar /pl/events.ics?upcoming=1",
          { .type = "events", .upcoming = 1, .order = STORE_ORDER_START, .now = now,
            .limit = 1000 } },
        { "search /pl/search?q=lodz",
          { .q = "lodz", .lang = "pl", .order = STORE_ORDER_RANK, .now = now, .limit = 20 } },
        { "search /pl/search?q=integracja gdansk",
          { .q = "integracja gdansk", .lang = "pl", .order = STORE_ORDER_RANK, .now = now,
            .limit = 20 } },
    };
    rc = 0;
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
        if (run_probe(s, &probes[i], runs, samples) != 0)
            rc = 1;
out:
    free(samples);
    free(err);
    store_close(s);
    locale_cleanup();
    xmlCleanupParser();
    neptun_conf = NULL;
    if (conf_loaded)
        conf_free(&conf);
    return rc;
}
