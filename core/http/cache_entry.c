/*
 * cache_entry.c - the answer cache's entries: made, referenced, freed by
 * the thread that made them, and their gzip form's bytes.
 *
 * An entry is made with its identity bytes and their strong ETag (a fast
 * non-cryptographic hash of the body), the generation of what it depends on
 * (cache_gen.c), and, for large bodies, a sealed memfd copy so that replies
 * can hand the body to the kernel with sendfile instead of copying it
 * through the socket; the number of such descriptors is capped.  Entries are
 * immutable and reference-counted, so a reply can keep writing one the
 * shards (cache.c) evicted.  The last reference frees the entry on the
 * thread that made it: other threads hand it back on the maker's lock-free
 * list, which the maker empties after each request (cache_thread_collect),
 * since glibc frees a block under the lock of the arena that allocated it.
 *
 * The gzip form (with its own ETag) is made once, by the first request
 * that accepts it; cache.c publishes it in the entry and charges its bytes
 * to the entry's shard.  A cache miss therefore never compresses for a
 * client that did not ask (it was a fifth of a miss's CPU), and a partner
 * that does ask pays once per entry, like nginx's gzip_static.  Each thread
 * keeps one deflate stream and resets it between bodies: setting one up
 * costs about 256 KB of allocation, more than compressing a small feed.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <neptun/common.h>
#include "cache_internal.h"
#include "locale.h"

/* Level 3 is zlib's fastest strategy with its better matching: about a
 * third of level 6's time for 8-17 % more bytes (bench/README.md). */
#define CACHE_GZIP_LEVEL 3
#ifndef CACHE_SENDFILE_MIN
#define CACHE_SENDFILE_MIN (32 * 1024) /* smaller bodies: writev is as cheap */
#endif
#define CACHE_MAX_FDS 512                /* memfds held by entries at most */

static atomic_int open_fds;
static pthread_key_t deflate_key;
static pthread_once_t deflate_once = PTHREAD_ONCE_INIT;
static bool deflate_key_ok;

struct cache_gzip cache_gzip_none;

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

static void entry_free(struct cache_entry *e)
{
    if (e->body_fd >= 0) {
        close(e->body_fd);
        atomic_fetch_sub(&open_fds, 1);
    }
    free((char *)e->content_type);
    free((char *)e->body);
    struct cache_gzip *gz = atomic_load_explicit(&e->gz, memory_order_acquire);
    if (gz != NULL && gz != &cache_gzip_none) {
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

bool cache_owner_attach(void)
{
    for (int i = 0; i < OWNER_SLOTS && my_slot < 0; i++) {
        bool free_slot = false;
        if (atomic_compare_exchange_strong(&owners[i].live, &free_slot, true))
            my_slot = i;
    }
    return my_slot >= 0;
}

void cache_thread_collect(void)
{
    if (my_slot < 0)
        return;
    struct owner *o = &owners[my_slot];
    if (atomic_load_explicit(&o->returned, memory_order_relaxed) != NULL)
        free_chain(atomic_exchange_explicit(&o->returned, NULL, memory_order_acquire));
}

void cache_owner_detach(void)
{
    if (my_slot < 0)
        return;
    struct owner *o = &owners[my_slot];
    atomic_store(&o->live, false);
    /* whatever arrived before that store; later ones wait for the slot's
     * next owner or cache_cleanup */
    free_chain(atomic_exchange_explicit(&o->returned, NULL, memory_order_acquire));
    my_slot = -1;
}

void cache_owners_reclaim(void)
{
    for (int i = 0; i < OWNER_SLOTS; i++) /* handed back after their maker ended */
        free_chain(atomic_exchange(&owners[i].returned, NULL));
}

/* Free e now if this thread made it (or its maker is gone), else hand it
 * back to its maker. */
void cache_entry_release(struct cache_entry *e)
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
    cache_entry_hold(e);
}

void cache_entry_unref(struct cache_entry *e)
{
    cache_entry_drop(e);
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

/* This thread's deflate stream freed now rather than when it ends. */
void cache_deflate_release(void)
{
    if (deflate_key_ok) {
        z_stream *z = pthread_getspecific(deflate_key);
        if (z != NULL && pthread_setspecific(deflate_key, NULL) == 0)
            deflate_stream_free(z);
    }
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

struct cache_gzip *cache_gzip_make(const char *body, size_t len)
{
    char *bytes = NULL;
    size_t zlen = 0;
    struct cache_gzip *gz;
    int rc = gzip_bytes(body, len, &bytes, &zlen);
    if (rc == NEPTUN_DECLINED)
        return &cache_gzip_none;
    if (rc != NEPTUN_OK || (gz = malloc(sizeof *gz)) == NULL) {
        free(bytes);
        return NULL;
    }
    gz->bytes = bytes;
    gz->len = zlen;
    make_etag(gz->etag, bytes, zlen);
    return gz;
}

void cache_gzip_free(struct cache_gzip *gz)
{
    if (gz != NULL && gz != &cache_gzip_none) {
        free((char *)gz->bytes);
        free(gz);
    }
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
    if (cache_gen_slot(dep) < 0 || body == NULL)
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
    e->generation = cache_gen_current(dep);
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
