/*
 * test_cache.c - ETags of both representations, invalidation by
 * generation and by expiry, the byte bound, and reference counts.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "content.h"
#include "check.h"

#define NOW 1500000000

/* A compressible body of len bytes that differs by seed. */
static char *make_body(size_t len, int seed)
{
    char *b = malloc(len + 1);
    if (b == NULL)
        return NULL;
    for (size_t i = 0; i < len; i++)
        b[i] = (char)('a' + (i / 7 + (size_t)seed) % 26);
    b[len] = '\0';
    return b;
}

static void test_etags(void)
{
    char *body = make_body(4096, 1);
    struct cache_entry *a = cache_entry_new(200, "application/xml; charset=utf-8", body, 4096, NOW,
                                            CACHE_DEP_ALL, 0);
    struct cache_entry *b = cache_entry_new(200, "application/xml; charset=utf-8", body, 4096, NOW,
                                            CACHE_DEP_ALL, 0);
    body[100] = '#';
    struct cache_entry *c = cache_entry_new(200, "application/xml; charset=utf-8", body, 4096, NOW,
                                            CACHE_DEP_ALL, 0);
    struct cache_entry *small = cache_entry_new(200, "text/plain", "ok\n", 3, NOW, CACHE_DEP_NONE, 0);
    CHECK(a != NULL && b != NULL && c != NULL && small != NULL);
    if (a == NULL || b == NULL || c == NULL || small == NULL)
        goto out;
    CHECK(a->len == 4096 && memcmp(a->body, body, 100) == 0);
    CHECK(a->etag[0] == '"' && a->etag[strlen(a->etag) - 1] == '"');
    size_t cost_before = a->cost;
    const struct cache_gzip *agz = cache_entry_gzip(a), *bgz = cache_entry_gzip(b);
    CHECK(agz != NULL && bgz != NULL);
    if (agz == NULL || bgz == NULL)
        goto out;
    CHECK(agz->len > 0 && agz->len < a->len);
    CHECK((unsigned char)agz->bytes[0] == 0x1f && (unsigned char)agz->bytes[1] == 0x8b);
    CHECK(cache_entry_gzip(a) == agz);                    /* made once, then kept */
    CHECK(a->cost >= cost_before + agz->len);             /* and counted */
    CHECK(strcmp(a->etag, agz->etag) != 0);               /* each representation its own */
    CHECK(agz->etag[0] == '"');
    CHECK_STR(a->etag, b->etag);                          /* same bytes, same tag */
    CHECK_STR(agz->etag, bgz->etag);
    CHECK(strcmp(a->etag, c->etag) != 0);                 /* one byte changed */
    CHECK(cache_entry_gzip(small) == NULL);               /* not worth compressing */

    /* made after the entry is shared: the cache's byte count grows with it */
    size_t bytes_before = 0, bytes_after = 0;
    cache_put("\x1f/gzip-later", c);
    cache_stats(NULL, NULL, &bytes_before, NULL);
    const struct cache_gzip *cgz = cache_entry_gzip(c);
    cache_stats(NULL, NULL, &bytes_after, NULL);
    CHECK(cgz != NULL && bytes_after >= bytes_before + cgz->len);
    CHECK(small->last_modified == NOW && small->status == 200);
    CHECK(cache_entry_new(200, "text/plain", "x", 1, NOW, TYPES_MAX + 5, 0) == NULL);
out:
    cache_entry_unref(a);
    cache_entry_unref(b);
    cache_entry_unref(c);
    cache_entry_unref(small);
    free(body);
}

static struct cache_entry *put(const char *key, const char *text, int dep, int64_t expires)
{
    struct cache_entry *e = cache_entry_new(200, "application/xml", text, strlen(text), NOW, dep,
                                            expires);
    if (e != NULL) {
        cache_put(key, e);
        cache_entry_unref(e);
    }
    return e;
}

static int present(const char *key, int64_t now)
{
    struct cache_entry *e = cache_get(key, now);
    cache_entry_unref(e);
    return e != NULL;
}

static void test_generations(void)
{
    uint64_t hits0, misses0, hits1, misses1;
    cache_stats(&hits0, &misses0, NULL, NULL);

    put("\x1f/pl/events", "events", 0, 0);
    put("\x1f/pl/forums", "forums", 1, 0);
    put("\x1f/pl/feed.rss", "all", CACHE_DEP_ALL, 0);
    put("\x1f/", "service", CACHE_DEP_NONE, 0);
    put("\x1f/pl/events.ics", "ics", 0, NOW + 60);
    put("sopot\x1f/pl/events", "events for sopot", 0, 0);

    struct cache_entry *e = cache_get("\x1f/pl/events", NOW);
    CHECK(e != NULL && e->len == 6 && memcmp(e->body, "events", 6) == 0);
    cache_entry_unref(e);
    e = cache_get("sopot\x1f/pl/events", NOW);
    CHECK(e != NULL && e->len == 16);                     /* variants are separate */
    cache_entry_unref(e);
    CHECK(present("\x1f/pl/nothing", NOW) == 0);

    /* expiry at the next scheduled publication */
    CHECK(present("\x1f/pl/events.ics", NOW + 59) == 1);
    CHECK(present("\x1f/pl/events.ics", NOW + 60) == 0);

    /* an edit to events leaves forums alone, but not the all-types feed */
    cache_bump(0);
    CHECK(present("\x1f/pl/events", NOW) == 0);
    CHECK(present("sopot\x1f/pl/events", NOW) == 0);
    CHECK(present("\x1f/pl/forums", NOW) == 1);
    CHECK(present("\x1f/pl/feed.rss", NOW) == 0);
    CHECK(present("\x1f/", NOW) == 1);

    /* rendered before a write, stored after it: never served */
    struct cache_entry *stale = cache_entry_new(200, "application/xml", "old", 3, NOW, 1, 0);
    cache_bump(1);
    if (stale != NULL) {
        cache_put("\x1f/pl/forums", stale);
        cache_entry_unref(stale);
    }
    CHECK(present("\x1f/pl/forums", NOW) == 0);

    /* a rules reload invalidates everything */
    put("\x1f/pl/forums", "forums", 1, 0);
    CHECK(present("\x1f/pl/forums", NOW) == 1);
    cache_bump_all();
    CHECK(present("\x1f/pl/forums", NOW) == 0);
    CHECK(present("\x1f/", NOW) == 0);

    cache_stats(&hits1, &misses1, NULL, NULL);
    CHECK(hits1 > hits0 && misses1 > misses0);
}

static void test_refcount(void)
{
    put("\x1fkeep", "first version", CACHE_DEP_NONE, 0);
    struct cache_entry *held = cache_get("\x1fkeep", NOW);
    CHECK(held != NULL);
    /* replaced while a reply still writes it: the bytes stay valid */
    put("\x1fkeep", "second version", CACHE_DEP_NONE, 0);
    if (held != NULL) {
        CHECK(held->len == 13 && memcmp(held->body, "first version", 13) == 0);
        cache_entry_unref(held);
    }
    struct cache_entry *now = cache_get("\x1fkeep", NOW);
    CHECK(now != NULL && now->len == 14);
    if (now != NULL) {
        cache_entry_ref(now);
        cache_entry_unref(now);
        cache_entry_unref(now);
    }
    /* the same entry under a second key is refused (it has its key) */
    struct cache_entry *e = cache_entry_new(200, "text/plain", "once", 4, NOW, CACHE_DEP_NONE, 0);
    if (e != NULL) {
        cache_put("\x1fone", e);
        cache_put("\x1ftwo", e);
        cache_entry_unref(e);
    }
    CHECK(present("\x1fone", NOW) == 1);
    CHECK(present("\x1ftwo", NOW) == 0);
}

static void test_bound(void)
{
    const size_t max = 16 * 64 * 1024; /* 64 KB per shard */
    size_t bytes = 0, entries = 0;
    char key[64];
    CHECK(cache_init(max) == 0);
    char *body = make_body(8000, 3);
    for (int i = 0; i < 2000 && body != NULL; i++) {
        snprintf(key, sizeof(key), "\x1f/pl/events?page=%d", i);
        body[0] = (char)('a' + i % 26);
        struct cache_entry *e = cache_entry_new(200, "application/xml", body, 8000, NOW,
                                                CACHE_DEP_ALL, 0);
        if (e != NULL) {
            cache_put(key, e);
            cache_entry_unref(e);
        }
    }
    cache_stats(NULL, NULL, &bytes, &entries);
    CHECK(bytes <= max);
    CHECK(entries > 16 && entries < 2000);
    /* the most recent survive, the oldest went first */
    CHECK(present("\x1f/pl/events?page=1999", NOW) == 1);
    CHECK(present("\x1f/pl/events?page=0", NOW) == 0);

    /* an answer bigger than a shard's share is not kept */
    char *huge = make_body(200000, 4);
    if (huge != NULL) {
        struct cache_entry *e = cache_entry_new(200, "application/xml", huge, 200000, NOW,
                                                CACHE_DEP_ALL, 0);
        if (e != NULL) {
            cache_put("\x1fhuge", e);
            cache_entry_unref(e);
        }
        CHECK(present("\x1fhuge", NOW) == 0);
    }
    free(huge);
    free(body);
}

/* An entry a worker made and another thread let go goes back to the
 * worker and is freed there (a leak or a double free fails under the
 * sanitizer build). */
struct maker {
    sem_t made, released;
    struct cache_entry *e;
};

static void *maker_thread(void *arg)
{
    struct maker *m = arg;
    cache_thread_attach();
    char *body = make_body(2048, 9);
    m->e = body != NULL ? cache_entry_adopt(200, "text/plain", body, 2048, NOW, CACHE_DEP_ALL, 0)
                        : NULL;
    sem_post(&m->made);
    sem_wait(&m->released);
    cache_thread_collect(); /* frees m->e here */
    cache_thread_detach();
    return NULL;
}

static void test_handed_back(void)
{
    struct maker m = {.e = NULL};
    pthread_t t;
    CHECK(sem_init(&m.made, 0, 0) == 0 && sem_init(&m.released, 0, 0) == 0);
    CHECK(pthread_create(&t, NULL, maker_thread, &m) == 0);
    sem_wait(&m.made);
    CHECK(m.e != NULL && m.e->owner >= 0);
    if (m.e != NULL) {
        cache_entry_ref(m.e);
        cache_entry_unref(m.e);
        CHECK(m.e->refs == 1); /* still alive with the maker's reference */
        cache_entry_unref(m.e);  /* the last: handed back, not freed here */
    }
    sem_post(&m.released);
    pthread_join(t, NULL);
    sem_destroy(&m.made);
    sem_destroy(&m.released);
}

/* A worker's front answers repeated hits without the shard lock; it must
 * never answer for an entry its shard replaced, dropped or outlived. */
static void *front_thread(void *arg)
{
    (void)arg;
    cache_thread_attach();
    put("\x1f/front", "first", 2, 0);
    CHECK(present("\x1f/front", NOW) == 1); /* from the shard, into the front */
    CHECK(present("\x1f/front", NOW) == 1); /* from the front */
    put("\x1f/front", "second!", 2, 0);     /* a newer render replaces it */
    struct cache_entry *e = cache_get("\x1f/front", NOW);
    CHECK(e != NULL && e->len == 7);
    cache_entry_unref(e);
    CHECK(present("\x1f/front", NOW) == 1);
    cache_bump(2);                          /* an edit of its type */
    CHECK(present("\x1f/front", NOW) == 0);

    put("\x1f/front-expires", "soon", 2, NOW + 10);
    CHECK(present("\x1f/front-expires", NOW) == 1);
    CHECK(present("\x1f/front-expires", NOW + 9) == 1);
    CHECK(present("\x1f/front-expires", NOW + 10) == 0); /* the next publication */
    cache_thread_detach(); /* lets go of what the front held */
    return NULL;
}

static void test_front(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, front_thread, NULL) == 0);
    pthread_join(t, NULL);
}

int main(void)
{
    CHECK(cache_init(8u << 20) == 0);
    test_etags();
    test_generations();
    test_refcount();
    test_bound();
    test_handed_back();
    test_front();
    cache_cleanup();
    size_t bytes = 1, entries = 1;
    cache_stats(NULL, NULL, &bytes, &entries);
    CHECK(bytes == 0 && entries == 0);
    CHECK_DONE();
}
