/*
 * cache.c - the answer cache.
 *
 * Design: CACHE_SHARDS independent shards, each a chained hash table plus an
 * LRU list under its own mutex, so workers rarely contend.  Every shard gets
 * an equal share of the byte budget.  Validity is decided by generations:
 * one atomic counter per dependency (each type, "all types", "none"); an
 * entry remembers the counter's value when it was rendered and is dropped
 * on lookup once the counter has moved on.  Writes by the server bump the
 * counters of what they touch; writes by other processes are noticed by
 * the dispatcher (store_poll_changes(), within a second), which bumps them
 * all.  Entries are immutable and
 * reference-counted, so a reply can keep writing one that was evicted.
 *
 * An entry is made with its identity bytes and their strong ETag; the gzip
 * form (with its own ETag) is made once, by the first request that accepts
 * it, and kept with the entry.  A cache miss therefore never compresses for
 * a client that did not ask (it was a fifth of a miss's CPU), and a partner
 * that does ask pays once per entry, like nginx's gzip_static.
 * Each thread keeps one deflate stream and resets it between bodies:
 * setting one up costs about 256 KB of allocation, more than compressing a
 * small feed.  Large bodies are also copied into a sealed memfd, so that
 * replies can hand them to the kernel with sendfile instead of copying them
 * through the socket; the number of such descriptors is capped.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>


#include <neptun/common.h>
#include "http.h"
#include "locale.h"
#include "render.h"
#include "content.h"

#define CACHE_SHARDS 16
#define CACHE_BUCKETS 4096          /* per shard; a power of two */
#define CACHE_GZIP_MIN 256          /* smaller bodies are sent as they are */
/* Level 3 is zlib's fastest strategy with its better matching: about a
 * third of level 6's time for 8-17 % more bytes (bench/README.md). */
#define CACHE_GZIP_LEVEL 3
#ifndef CACHE_SENDFILE_MIN
#define CACHE_SENDFILE_MIN (32 * 1024) /* smaller bodies: writev is as cheap */
#endif
#define CACHE_MAX_FDS 512                /* memfds held by entries at most */

/* Generation slots: [0] CACHE_DEP_NONE, [1] CACHE_DEP_ALL, [2 + t] type t. */
#define GEN_SLOTS (TYPES_MAX + 2)

struct shard {
    pthread_mutex_t lock;
    struct cache_entry *buckets[CACHE_BUCKETS];
    struct lru_list lru;
    size_t bytes;
};

static struct shard shards[CACHE_SHARDS];
static _Atomic uint64_t generations[GEN_SLOTS];
static _Atomic uint64_t hits, misses;
static _Atomic size_t total_bytes, total_entries;
static _Atomic size_t shard_budget;
static atomic_int initialised;
static atomic_int open_fds;
static pthread_key_t deflate_key;
static struct cache_gzip not_worth_it; /* e->gz once gzip did not shrink e */
static pthread_once_t deflate_once = PTHREAD_ONCE_INIT;
static bool deflate_key_ok;

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

/* Bodies (ETags): tens of kilobytes, where FNV's byte at a time cost
 * 35 us per 30 KB feed.  Four independent multiply-rotate lanes over
 * 8-byte words, then a final mix: about 2 us for the same feed.  Not
 * cryptographic; an ETag only has to change when the bytes do. */
#define HASH_K1 0x9E3779B97F4A7C15ULL
#define HASH_K2 0xC2B2AE3D27D4EB4FULL

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t hash_lane(uint64_t h, uint64_t v)
{
    h ^= v * HASH_K2;
    h = (h << 31) | (h >> 33);
    return h * HASH_K1;
}

static uint64_t rotl64(uint64_t v, int r)
{
    return (v << r) | (v >> (64 - r));
}

static uint64_t content_hash(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t a = HASH_K1, b = HASH_K2, c = ~HASH_K1, d = ~HASH_K2;
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        a = hash_lane(a, load64(p + i));
        b = hash_lane(b, load64(p + i + 8));
        c = hash_lane(c, load64(p + i + 16));
        d = hash_lane(d, load64(p + i + 24));
    }
    uint64_t h = (uint64_t)len * HASH_K1 ^ a ^ rotl64(b, 17) ^ rotl64(c, 29) ^ rotl64(d, 43);
    for (; i + 8 <= len; i += 8)
        h = hash_lane(h, load64(p + i));
    uint64_t tail = 0;
    if (i < len)
        memcpy(&tail, p + i, len - i);
    h = hash_lane(h, tail);
    h ^= h >> 33;
    h *= HASH_K2;
    h ^= h >> 29;
    return h;
}

static int gen_slot(int dep)
{
    if (dep == CACHE_DEP_NONE)
        return 0;
    if (dep == CACHE_DEP_ALL)
        return 1;
    if (dep >= 0 && dep < TYPES_MAX)
        return dep + 2;
    return -1;
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

static void entry_free(struct cache_entry *e)
{
    if (e->body_fd >= 0) {
        close(e->body_fd);
        atomic_fetch_sub(&open_fds, 1);
    }
    free((char *)e->content_type);
    free((char *)e->body);
    struct cache_gzip *gz = atomic_load_explicit(&e->gz, memory_order_acquire);
    if (gz != NULL && gz != &not_worth_it) {
        free((char *)gz->bytes);
        free(gz);
    }
    free(e->key);
    free(e);
}

/* ---- freeing on the making thread ------------------------------------- */

#define OWNER_SLOTS 64

struct owner {
    struct cache_entry *_Atomic returned; /* dead entries to free, linked by hnext */
    atomic_bool live;
};

static struct owner owners[OWNER_SLOTS];
static _Thread_local int my_slot = -1;

static void free_chain(struct cache_entry *e)
{
    while (e != NULL) {
        struct cache_entry *next = e->hnext;
        entry_free(e);
        e = next;
    }
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
    for (int i = 0; i < OWNER_SLOTS && my_slot < 0; i++) {
        bool free_slot = false;
        if (atomic_compare_exchange_strong(&owners[i].live, &free_slot, true))
            my_slot = i;
    }
    /* no slot left: this thread frees directly, as unattached ones do */
    if (my_slot >= 0 && front == NULL)
        front = calloc(FRONT_SLOTS, sizeof *front); /* none: every hit locks */
}

static void front_release(void)
{
    for (size_t i = 0; front != NULL && i < FRONT_SLOTS; i++)
        if (front[i].e != NULL)
            cache_entry_unref(front[i].e);
    free(front);
    front = NULL;
}

void cache_thread_collect(void)
{
    if (my_slot < 0)
        return;
    struct owner *o = &owners[my_slot];
    if (atomic_load_explicit(&o->returned, memory_order_relaxed) != NULL)
        free_chain(atomic_exchange_explicit(&o->returned, NULL, memory_order_acquire));
}

void cache_thread_detach(void)
{
    front_release(); /* before the slot dies: these entries may be ours */
    if (my_slot < 0)
        return;
    struct owner *o = &owners[my_slot];
    atomic_store(&o->live, false);
    /* whatever arrived before that store; later ones wait for the slot's
     * next owner or cache_cleanup */
    free_chain(atomic_exchange_explicit(&o->returned, NULL, memory_order_acquire));
    my_slot = -1;
}

/* Free e now if this thread made it (or its maker is gone), else hand it
 * back to its maker. */
static void entry_release(struct cache_entry *e)
{
    int slot = e->owner;
    if (slot < 0 || slot == my_slot || !atomic_load(&owners[slot].live)) {
        entry_free(e);
        return;
    }
    struct owner *o = &owners[slot];
    struct cache_entry *head = atomic_load_explicit(&o->returned, memory_order_relaxed);
    do
        e->hnext = head;
    while (!atomic_compare_exchange_weak_explicit(&o->returned, &head, e, memory_order_release,
                                                  memory_order_relaxed));
}

void cache_entry_ref(struct cache_entry *e)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

void cache_entry_unref(struct cache_entry *e)
{
    if (e == NULL)
        return;
    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        entry_release(e);
}

static void deflate_stream_free(void *arg)
{
    z_stream *z = arg;
    deflateEnd(z);
    free(z);
}

static void deflate_key_create(void)
{
    deflate_key_ok = pthread_key_create(&deflate_key, deflate_stream_free) == 0;
}

/* This thread's deflate stream, made on first use and freed when the
 * thread ends (or by cache_cleanup on the thread that calls it). */
static z_stream *thread_deflate_stream(void)
{
    pthread_once(&deflate_once, deflate_key_create);
    if (!deflate_key_ok)
        return NULL;
    z_stream *z = pthread_getspecific(deflate_key);
    if (z != NULL)
        return z;
    z = calloc(1, sizeof(*z));
    if (z == NULL)
        return NULL;
    if (deflateInit2(z, CACHE_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return NULL;
    }
    if (pthread_setspecific(deflate_key, z) != 0) {
        deflate_stream_free(z);
        return NULL;
    }
    return z;
}

/* gzip (RFC 1952) of body into *out (malloc'd): NEPTUN_OK, NEPTUN_DECLINED
 * when it does not shrink body, NEPTUN_NOMEM or NEPTUN_ERROR. */
static int gzip_bytes(const char *body, size_t len, char **out, size_t *outlen)
{
    z_stream *z = thread_deflate_stream();
    *out = NULL;
    if (z == NULL || deflateReset(z) != Z_OK)
        return NEPTUN_ERROR;
    size_t cap = deflateBound(z, (uLong)len) + 32;
    char *buf = malloc(cap);
    if (buf == NULL)
        return NEPTUN_NOMEM;
    z->next_in = (Bytef *)body;
    z->avail_in = (uInt)len;
    z->next_out = (Bytef *)buf;
    z->avail_out = (uInt)cap;
    if (deflate(z, Z_FINISH) != Z_STREAM_END) {
        free(buf);
        return NEPTUN_ERROR;
    }
    if (z->total_out >= len) {
        free(buf);
        return NEPTUN_DECLINED;
    }
    *out = buf;
    *outlen = z->total_out;
    return NEPTUN_OK;
}

/* A sealed memfd holding body, or -1 (small body, too many open, or no
 * memfd): replies then write body from memory. */
static int body_memfd(const char *body, size_t len)
{
    if (len < CACHE_SENDFILE_MIN || atomic_fetch_add(&open_fds, 1) >= CACHE_MAX_FDS)
        goto none;
    int fd = memfd_create("neptun-cache", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        goto none;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, body + done, len - done, (off_t)done);
        if (n <= 0) {
            close(fd);
            goto none;
        }
        done += (size_t)n;
    }
    /* Immutable from here on, like the entry itself. */
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        close(fd);
        goto none;
    }
    return fd;
none:
    if (len >= CACHE_SENDFILE_MIN)
        atomic_fetch_sub(&open_fds, 1);
    return -1;
}

static void make_etag(char dst[48], const char *data, size_t len)
{
    snprintf(dst, 48, "\"%016llx%08zx\"", (unsigned long long)content_hash(data, len),
             len & 0xffffffffu);
}

/* The entry around body (malloc'd, len + 1 bytes with a NUL at len, now
 * owned by the entry, freed on failure too). */
static struct cache_entry *entry_make(int status, const char *content_type, char *body,
                                      size_t len, int64_t last_modified, int dep,
                                      int64_t expires)
{
    struct cache_entry *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        free(body);
        return NULL;
    }
    e->body_fd = -1;
    e->owner = my_slot;
    e->body = body;
    if (gen_slot(dep) < 0 || body == NULL)
        goto fail;
    e->status = status;
    e->content_type = strdup(content_type != NULL ? content_type : "application/octet-stream");
    if (e->content_type == NULL)
        goto fail;
    e->len = len;
    make_etag(e->etag, e->body, len);
    e->last_modified = last_modified;
    if (last_modified <= 0 ||
        locale_rfc822_buf(last_modified, e->last_modified_http, sizeof(e->last_modified_http)) != NEPTUN_OK)
        e->last_modified_http[0] = '\0';
    e->body_fd = body_memfd(e->body, len);
    e->dep = dep;
    e->generation = cache_generation(dep);
    e->expires = expires;
    e->cost = sizeof(*e) + len + strlen(e->content_type) +
              (e->body_fd >= 0 ? len : 0); /* the memfd's pages */
    atomic_init(&e->refs, 1);
    return e;
fail:
    entry_free(e);
    return NULL;
}

struct cache_entry *cache_entry_new(int status, const char *content_type,
                                    const char *body, size_t len,
                                    int64_t last_modified, int dep, int64_t expires)
{
    if (body == NULL && len > 0)
        return NULL;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return NULL;
    if (len > 0)
        memcpy(copy, body, len);
    copy[len] = '\0';
    return entry_make(status, content_type, copy, len, last_modified, dep, expires);
}

struct cache_entry *cache_entry_adopt(int status, const char *content_type, char *body,
                                      size_t len, int64_t last_modified, int dep,
                                      int64_t expires)
{
    if (body == NULL || body[len] != '\0') {
        free(body);
        return NULL;
    }
    return entry_make(status, content_type, body, len, last_modified, dep, expires);
}

uint64_t cache_generation(int dep)
{
    int slot = gen_slot(dep);
    return slot < 0 ? 0 : atomic_load_explicit(&generations[slot], memory_order_acquire);
}

void cache_bump(int type_index)
{
    int slot = gen_slot(type_index);
    if (slot >= 2)
        atomic_fetch_add_explicit(&generations[slot], 1, memory_order_acq_rel);
    atomic_fetch_add_explicit(&generations[1], 1, memory_order_acq_rel);
}

void cache_bump_all(void)
{
    render_fragments_clear(); /* a reload: whatever they drew on may have changed too */
    for (int i = 0; i < GEN_SLOTS; i++)
        atomic_fetch_add_explicit(&generations[i], 1, memory_order_acq_rel);
}

static bool entry_valid(const struct cache_entry *e, int64_t now)
{
    if (e->expires != 0 && now >= e->expires)
        return false;
    return e->generation == cache_generation(e->dep);
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
    cache_entry_unref(e);
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
            cache_entry_ref(e);
            refresh(s, e, now);
            atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
            return e;
        }
        fs->e = NULL; /* stale, or another key's: look in the shard */
        cache_entry_unref(e);
    }

    pthread_mutex_lock(&s->lock);
    struct cache_entry **link = bucket_find(s, h, key);
    struct cache_entry *e = *link;
    if (e != NULL) {
        if (entry_valid(e, now)) {
            lru_unlink(&s->lru, &e->lru);
            lru_push_front(&s->lru, &e->lru);
            atomic_store_explicit(&e->touched, now, memory_order_relaxed);
            cache_entry_ref(e);
            found = e;
            found_cost = e->cost; /* charge() changes it under this lock */
        } else {
            shard_remove(s, link, e);
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (found != NULL && fs != NULL && found_cost <= FRONT_MAX_COST) {
        cache_entry_ref(found);
        fs->e = found;
        fs->hash = h;
    }
    atomic_fetch_add_explicit(found != NULL ? &hits : &misses, 1, memory_order_relaxed);
    return found;
}

void cache_put(const char *key, struct cache_entry *e)
{
    size_t budget = atomic_load(&shard_budget);
    if (e == NULL || e->key != NULL || e->generation != cache_generation(e->dep))
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
    cache_entry_ref(e);
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
        return gz != &not_worth_it ? gz : NULL;
    if (e->len < CACHE_GZIP_MIN)
        return NULL;

    /* Two workers may race to compress the same entry: both do, the first
     * to publish wins and the other's copy is dropped. */
    char *bytes = NULL;
    size_t len = 0;
    int rc = gzip_bytes(e->body, e->len, &bytes, &len);
    if (rc == NEPTUN_DECLINED)
        gz = &not_worth_it;
    else if (rc != NEPTUN_OK || (gz = malloc(sizeof *gz)) == NULL) {
        free(bytes);
        return NULL; /* try again next time */
    } else {
        gz->bytes = bytes;
        gz->len = len;
        make_etag(gz->etag, bytes, len);
    }
    struct cache_gzip *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&e->gz, &expected, gz, memory_order_acq_rel,
                                                 memory_order_acquire)) {
        if (gz != &not_worth_it) {
            free(bytes);
            free(gz);
        }
        gz = expected;
    } else if (gz != &not_worth_it) {
        charge(e, sizeof *gz + len);
    }
    return gz != &not_worth_it ? gz : NULL;
}

void cache_cleanup(void)
{
    render_fragments_init(0);
    if (deflate_key_ok) {
        z_stream *z = pthread_getspecific(deflate_key);
        if (z != NULL && pthread_setspecific(deflate_key, NULL) == 0)
            deflate_stream_free(z);
    }
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
    for (int i = 0; i < OWNER_SLOTS; i++) /* handed back after their maker ended */
        free_chain(atomic_exchange(&owners[i].returned, NULL));
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
