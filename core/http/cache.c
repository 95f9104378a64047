/*
 * cache.c - the answer cache: lookups and puts over shards, and each
 * worker's front.
 *
 * Design: CACHE_SHARDS independent shards, each a chained hash table plus an
 * LRU list under its own mutex, so workers rarely contend.  Every shard gets
 * an equal share of the byte budget.  Validity is decided by generations
 * (cache_gen.c): an entry is dropped on lookup once the counter of what it
 * depends on has moved on, or once it has expired.  Entries themselves -
 * their bytes, ETags, memfds, references, and freeing on the thread that
 * made them - are cache_entry.c's; this file only links them into shards
 * and counts their bytes, the gzip form included: cache_entry.c compresses,
 * cache_entry_gzip() here publishes the form in the entry once and charges
 * it to the entry's shard.
 *
 * A hit is served from the worker's front when the entry is there (no
 * lock), else from its shard under the lock; the generation check and the
 * new reference are inline (cache_internal.h), so a hit calls nothing
 * outside this file but the lock and the key comparison.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <neptun/common.h>
#include "cache_internal.h"
#include "render.h"

#define CACHE_SHARDS 16
#define CACHE_BUCKETS 4096          /* per shard; a power of two */
#define CACHE_GZIP_MIN 256          /* smaller bodies are sent as they are */

struct shard {
    pthread_mutex_t lock;
    struct cache_entry *buckets[CACHE_BUCKETS];
    struct lru_list lru;
    size_t bytes;
};

static struct shard shards[CACHE_SHARDS];
static _Atomic uint64_t hits, misses;
static _Atomic size_t total_bytes, total_entries;
static _Atomic size_t shard_budget;
static atomic_int initialised;

/* Keys: short, FNV-1a is enough. */
static uint64_t fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int cache_init(size_t max_bytes)
{
    /* A quarter of the budget keeps per-item pieces (render_fragments.c),
     * from which missing answers are assembled; the rest whole answers.
     * Called again (a second server run in one process): only resize. */
    size_t pieces = max_bytes / 4;
    render_fragments_init(pieces);
    atomic_store(&shard_budget, (max_bytes - pieces) / CACHE_SHARDS);
    if (atomic_exchange(&initialised, 1))
        return NEPTUN_OK;
    for (int i = 0; i < CACHE_SHARDS; i++) {
        if (pthread_mutex_init(&shards[i].lock, NULL) != 0)
            return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

/* Each attached worker's front: a direct-mapped table of entries it found
 * in the shards, each with a reference.  A hit there needs no lock: the
 * entry is still valid (generation, expiry: atomics) and still in its
 * shard (linked).  Its LRU place is refreshed under the lock at most once
 * a second, so entries busy in a front are not evicted as cold.  An entry
 * the shards evicted stays alive until its slot is next looked at, so only
 * entries up to FRONT_MAX_COST go in: at most FRONT_SLOTS of them beyond
 * the budget per worker. */
#define FRONT_SLOTS 128                /* a power of two */
#define FRONT_MAX_COST (256 * 1024)

struct front_slot {
    uint64_t hash;
    struct cache_entry *e;
};

static _Thread_local struct front_slot *front;

void cache_thread_attach(void)
{
    /* no slot left: this thread frees directly, as unattached ones do */
    if (cache_owner_attach() && front == NULL)
        front = calloc(FRONT_SLOTS, sizeof *front); /* none: every hit locks */
}

static void front_release(void)
{
    for (size_t i = 0; front != NULL && i < FRONT_SLOTS; i++)
        if (front[i].e != NULL)
            cache_entry_drop(front[i].e);
    free(front);
    front = NULL;
}

void cache_thread_detach(void)
{
    front_release(); /* before the slot dies: these entries may be ours */
    cache_owner_detach();
}

static bool entry_valid(const struct cache_entry *e, int64_t now)
{
    if (e->expires != 0 && now >= e->expires)
        return false;
    return e->generation == cache_gen_current(e->dep);
}

/* ---- one shard: callers hold its lock ---------------------------------- */

/* Unlink e from its bucket and the LRU and drop the cache's reference. */
static void shard_remove(struct shard *s, struct cache_entry **link, struct cache_entry *e)
{
    *link = e->hnext;
    e->hnext = NULL;
    lru_unlink(&s->lru, &e->lru);
    atomic_store_explicit(&e->linked, false, memory_order_release);
    s->bytes -= e->cost;
    atomic_fetch_sub(&total_bytes, e->cost);
    atomic_fetch_sub(&total_entries, 1);
    cache_entry_drop(e);
}

static struct cache_entry **bucket_find(struct shard *s, uint64_t h, const char *key)
{
    struct cache_entry **link = &s->buckets[(h >> 8) & (CACHE_BUCKETS - 1)];
    while (*link != NULL && strcmp((*link)->key, key) != 0)
        link = &(*link)->hnext;
    return link;
}

static struct cache_entry **link_of(struct shard *s, struct cache_entry *e)
{
    uint64_t h = fnv1a64(e->key, strlen(e->key));
    return bucket_find(s, h, e->key);
}

/* Drop the least recently used entries until s fits budget (keep stays). */
static void shard_trim(struct shard *s, size_t budget, const struct cache_entry *keep)
{
    while (s->bytes > budget && s->lru.tail != NULL &&
           (keep == NULL || s->lru.tail != &keep->lru)) {
        struct cache_entry *victim = LRU_RECORD(s->lru.tail, struct cache_entry, lru);
        shard_remove(s, link_of(s, victim), victim);
    }
}

/* Move e to the front of its shard's LRU list, at most once a second. */
static void refresh(struct shard *s, struct cache_entry *e, int64_t now)
{
    if (atomic_load_explicit(&e->touched, memory_order_relaxed) >= now)
        return;
    pthread_mutex_lock(&s->lock);
    if (atomic_load_explicit(&e->linked, memory_order_relaxed)) {
        lru_unlink(&s->lru, &e->lru);
        lru_push_front(&s->lru, &e->lru);
    }
    atomic_store_explicit(&e->touched, now, memory_order_relaxed);
    pthread_mutex_unlock(&s->lock);
}

struct cache_entry *cache_get(const char *key, int64_t now)
{
    uint64_t h = fnv1a64(key, strlen(key));
    struct shard *s = &shards[h & (CACHE_SHARDS - 1)];
    struct front_slot *fs = front != NULL ? &front[(h >> 20) & (FRONT_SLOTS - 1)] : NULL;
    struct cache_entry *found = NULL;
    size_t found_cost = 0;

    if (fs != NULL && fs->e != NULL) {
        struct cache_entry *e = fs->e;
        if (fs->hash == h && strcmp(e->key, key) == 0 &&
            atomic_load_explicit(&e->linked, memory_order_acquire) && entry_valid(e, now)) {
            cache_entry_hold(e);
            refresh(s, e, now);
            atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
            return e;
        }
        fs->e = NULL; /* stale, or another key's: look in the shard */
        cache_entry_drop(e);
    }

    pthread_mutex_lock(&s->lock);
    struct cache_entry **link = bucket_find(s, h, key);
    struct cache_entry *e = *link;
    if (e != NULL) {
        if (entry_valid(e, now)) {
            lru_unlink(&s->lru, &e->lru);
            lru_push_front(&s->lru, &e->lru);
            atomic_store_explicit(&e->touched, now, memory_order_relaxed);
            cache_entry_hold(e);
            found = e;
            found_cost = e->cost; /* charge() changes it under this lock */
        } else {
            shard_remove(s, link, e);
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (found != NULL && fs != NULL && found_cost <= FRONT_MAX_COST) {
        cache_entry_hold(found);
        fs->e = found;
        fs->hash = h;
    }
    atomic_fetch_add_explicit(found != NULL ? &hits : &misses, 1, memory_order_relaxed);
    return found;
}

void cache_put(const char *key, struct cache_entry *e)
{
    size_t budget = atomic_load(&shard_budget);
    if (e == NULL || e->key != NULL || e->generation != cache_gen_current(e->dep))
        return;
    size_t keylen = strlen(key);
    if (e->cost + keylen > budget)
        return; /* would evict the whole shard and still not fit */
    e->key = strdup(key);
    if (e->key == NULL)
        return;
    e->cost += keylen;

    uint64_t h = fnv1a64(key, keylen);
    struct shard *s = &shards[h & (CACHE_SHARDS - 1)];
    pthread_mutex_lock(&s->lock);
    struct cache_entry **link = bucket_find(s, h, key);
    if (*link != NULL)
        shard_remove(s, link, *link);
    cache_entry_hold(e);
    e->hnext = s->buckets[(h >> 8) & (CACHE_BUCKETS - 1)];
    s->buckets[(h >> 8) & (CACHE_BUCKETS - 1)] = e;
    lru_push_front(&s->lru, &e->lru);
    atomic_store_explicit(&e->linked, true, memory_order_release);
    s->bytes += e->cost;
    atomic_fetch_add(&total_bytes, e->cost);
    atomic_fetch_add(&total_entries, 1);
    shard_trim(s, budget, e);
    pthread_mutex_unlock(&s->lock);
}

/* Count n more bytes held by e: at once while e is still private (before
 * cache_put), else against its shard if it is still in one. */
static void charge(struct cache_entry *e, size_t n)
{
    if (e->key == NULL) {
        e->cost += n;
        return;
    }
    uint64_t h = fnv1a64(e->key, strlen(e->key));
    struct shard *s = &shards[h & (CACHE_SHARDS - 1)];
    pthread_mutex_lock(&s->lock);
    if (atomic_load_explicit(&e->linked, memory_order_relaxed)) {
        e->cost += n;
        s->bytes += n;
        atomic_fetch_add(&total_bytes, n);
        shard_trim(s, atomic_load(&shard_budget), e);
    }
    pthread_mutex_unlock(&s->lock);
}

const struct cache_gzip *cache_entry_gzip(struct cache_entry *e)
{
    struct cache_gzip *gz = atomic_load_explicit(&e->gz, memory_order_acquire);
    if (gz != NULL)
        return gz != &cache_gzip_none ? gz : NULL;
    if (e->len < CACHE_GZIP_MIN)
        return NULL;

    /* Two workers may race to compress the same entry: both do, the first
     * to publish wins and the other's copy is dropped. */
    gz = cache_gzip_make(e->body, e->len);
    if (gz == NULL)
        return NULL; /* try again next time */
    struct cache_gzip *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&e->gz, &expected, gz, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        cache_gzip_free(gz);
        gz = expected;
    } else if (gz != &cache_gzip_none) {
        charge(e, sizeof *gz + gz->len);
    }
    return gz != &cache_gzip_none ? gz : NULL;
}

void cache_cleanup(void)
{
    render_fragments_init(0);
    cache_deflate_release();
    if (!atomic_load(&initialised))
        return;
    for (int i = 0; i < CACHE_SHARDS; i++) {
        struct shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        while (s->lru.tail != NULL) {
            struct cache_entry *victim = LRU_RECORD(s->lru.tail, struct cache_entry, lru);
            shard_remove(s, link_of(s, victim), victim);
        }
        pthread_mutex_unlock(&s->lock);
    }
    cache_owners_reclaim();
}

void cache_stats(uint64_t *hits_out, uint64_t *misses_out, size_t *bytes, size_t *entries)
{
    if (hits_out != NULL)
        *hits_out = atomic_load(&hits);
    if (misses_out != NULL)
        *misses_out = atomic_load(&misses);
    if (bytes != NULL)
        *bytes = atomic_load(&total_bytes);
    if (entries != NULL)
        *entries = atomic_load(&total_entries);
}
