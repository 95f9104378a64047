/*
 * cache.h - rendered answers kept in memory, keyed by (URL, variant).
 *
 * An entry is immutable once made and reference-counted: a reply holds a
 * reference while its bytes are on the wire (added to the output buffer by
 * reference, never copied).  Each entry records what content it depends on
 * (one type, every type, or none) and the generation of that dependency
 * when it was rendered; a store write bumps the generation, so stale entries
 * are never served.  Entries also expire at the next scheduled publish_at.
 * Bounded in bytes (least recently used go first).  Thread-safe.
 */
#ifndef NEPTUN_CACHE_H
#define NEPTUN_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lru.h"

#define CACHE_DEP_NONE (-2) /* config-only answers: service doc, OPML, schema */
#define CACHE_DEP_ALL (-1)  /* answers drawing on every type */
/* dep >= 0: the index of one type (types_index) */

/* The gzip representation of an entry, with its own strong ETag. */
struct cache_gzip {
    const char *bytes;
    size_t len;
    char etag[48];            /* "\"<hash of bytes>\"" */
};

struct cache_entry {
    int status;               /* 200 */
    const char *content_type; /* owned by the entry */
    const char *body;         /* identity bytes, owned */
    size_t len;
    char etag[48];            /* "\"<hash of body>\"" */
    int64_t last_modified;    /* Unix seconds */
    int dep;                  /* CACHE_DEP_* or a type index */
    uint64_t generation;      /* of dep when rendered */
    int64_t expires;          /* 0 or a Unix time (next publish_at) */
    const char *route;        /* router pattern that rendered it (borrowed,
                               * static); metrics label of cache hits */
    char last_modified_http[32]; /* last_modified as an HTTP date, or "" */
    int body_fd;              /* a sealed memfd holding body (so replies can
                               * sendfile it), or -1 */
    /* private to cache.c */
    struct cache_gzip *_Atomic gz; /* NULL until first asked for */
    int owner;                /* the making thread's slot (cache_thread_attach), or -1 */
    _Atomic int refs;
    atomic_bool linked;       /* in a shard (written under its lock, with cost) */
    _Atomic int64_t touched;  /* when its shard's LRU place was last refreshed */
    char *key;
    size_t cost;
    struct lru_node lru;
    struct cache_entry *hnext;
};

int cache_init(size_t max_bytes);
void cache_cleanup(void);

/* A new entry with one reference owned by the caller: copies body and
 * computes its strong ETag.  NULL on failure. */
struct cache_entry *cache_entry_new(int status, const char *content_type,
                                    const char *body, size_t len,
                                    int64_t last_modified, int dep, int64_t expires);
/* The same taking over body: malloc'd, with a NUL at body[len] (as the
 * renderers hand it over), freed by the entry - or here, on failure.
 * Saves copying an answer that was just rendered. */
struct cache_entry *cache_entry_adopt(int status, const char *content_type, char *body,
                                      size_t len, int64_t last_modified, int dep,
                                      int64_t expires);
/* e's gzip form, compressed on the first request that accepts gzip and
 * kept with e (its bytes then count against the cache's budget): answers
 * nobody asks compressed never pay for it.  NULL when e's body is too
 * small or does not shrink, or on failure.  Thread-safe; the result lives
 * as long as e. */
const struct cache_gzip *cache_entry_gzip(struct cache_entry *e);
void cache_entry_ref(struct cache_entry *e);
void cache_entry_unref(struct cache_entry *e);

/* The valid entry for key, with a new reference, or NULL (a miss). */
struct cache_entry *cache_get(const char *key, int64_t now);
/* Store e under key (the cache takes its own reference).  Does nothing when
 * e's generation is already stale. */
void cache_put(const char *key, struct cache_entry *e);

/* The current generation of dep; read before rendering, stored in the
 * entry.  Cheap (an atomic load). */
uint64_t cache_generation(int dep);
/* Content of type index changed (also bumps CACHE_DEP_ALL). */
void cache_bump(int type_index);
/* Everything changed (scripts reloaded). */
void cache_bump_all(void);

/* Worker threads: entries a worker made are freed by that worker (other
 * threads hand them back), since glibc frees a block under the lock of the
 * arena that allocated it and cross-thread frees made the workers contend.
 * An attached worker also keeps a small front of the entries it served
 * last, answering repeated hits without the shard lock.  attach when a
 * worker starts, collect now and then (each request), detach before it
 * ends.  Threads that never attach free directly and always lock. */
void cache_thread_attach(void);
void cache_thread_collect(void);
void cache_thread_detach(void);

/* For /metrics. */
void cache_stats(uint64_t *hits, uint64_t *misses, size_t *bytes, size_t *entries);

#endif
