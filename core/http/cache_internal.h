/*
 * cache_internal.h - what the answer cache's files share: cache_gen.c (the
 * generations), cache_entry.c (an entry's bytes, references and maker) and
 * cache.c (the shards and the per-worker fronts), each using only those
 * before it.  Nothing outside the http module includes it: the cache's
 * contract is the cache section of http.h.
 *
 * The helpers a cache hit runs (the generation check, taking a reference)
 * are inline here, so cache.c's lookup makes no call for them.
 */
#ifndef NEPTUN_CACHE_INTERNAL_H
#define NEPTUN_CACHE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "http.h"
#include "content.h"

/* ---- cache_gen.c: generations ------------------------------------------ */

/* Generation slots: [0] CACHE_DEP_NONE, [1] CACHE_DEP_ALL, [2 + t] type t. */
#define GEN_SLOTS (TYPES_MAX + 2)
extern _Atomic uint64_t cache_generations[GEN_SLOTS];

/* dep's slot, or -1 when dep names no dependency. */
static inline int cache_gen_slot(int dep)
{
    if (dep == CACHE_DEP_NONE)
        return 0;
    if (dep == CACHE_DEP_ALL)
        return 1;
    if (dep >= 0 && dep < TYPES_MAX)
        return dep + 2;
    return -1;
}

/* cache_generation(), inline. */
static inline uint64_t cache_gen_current(int dep)
{
    int slot = cache_gen_slot(dep);
    return slot < 0 ? 0 : atomic_load_explicit(&cache_generations[slot], memory_order_acquire);
}

/* ---- cache_entry.c: entries --------------------------------------------- */

/* e->gz once gzip did not shrink e (never freed). */
extern struct cache_gzip cache_gzip_none;
/* The gzip form of body (level CACHE_GZIP_LEVEL, its own ETag), malloc'd
 * for the caller to publish in an entry; &cache_gzip_none when gzip does
 * not shrink body; NULL on failure (try again later). */
struct cache_gzip *cache_gzip_make(const char *body, size_t len);
/* Free a form cache_gzip_make() made and nobody published. */
void cache_gzip_free(struct cache_gzip *gz);
/* Free this thread's deflate stream now (cache_cleanup). */
void cache_deflate_release(void);

/* The calling thread takes an owner slot (cache_thread_attach): entries it
 * makes are handed back to it to free.  true when it holds one. */
bool cache_owner_attach(void);
/* The calling thread gives its slot up, freeing what was handed back. */
void cache_owner_detach(void);
/* Free every entry handed back to any slot (cache_cleanup). */
void cache_owners_reclaim(void);
/* e's last reference is gone: free it, or hand it back to its maker. */
void cache_entry_release(struct cache_entry *e);

/* cache_entry_ref() and cache_entry_unref(), inline. */
static inline void cache_entry_hold(struct cache_entry *e)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

static inline void cache_entry_drop(struct cache_entry *e)
{
    if (e == NULL)
        return;
    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        cache_entry_release(e);
}

#endif
