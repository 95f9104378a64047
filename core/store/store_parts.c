/*
 * store_parts.c - the texts, tags and links of recently read items, kept
 * per connection so that the next page need not read them again.
 *
 * Reading a page's parts was a third of a cache-missing feed's CPU (three
 * statements, an index and a table lookup per row, every string copied out
 * of SQLite).  An item's parts only change with its revision, so a copy
 * made at the last read answers for it as long as the page row read now
 * carries the same row id, revision, creation and update times, type and
 * slug.  Row ids are reused only after a delete; any delete in this
 * process empties every connection's copies (deletes are rare, reads are
 * not).  A write by another process replaces parts with a new revision.
 *
 * Each worker owns its connection, so nothing here is shared: no locks.
 * Bounded in bytes, least recently used copies going first.  A hit is
 * copied into the request's pool, so nothing a request holds points here.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <neptun/pool.h>
#include "content.h"
#include "lru.h"
#include "store_internal.h"

#define PARTS_BUCKETS 4096 /* a power of two */

struct kept {
    struct neptun_item item; /* parts, type and slug; no fields */
    char *copy;              /* item's arrays and strings */
    size_t copy_size, cost;
    struct lru_node lru;
    struct kept *hnext;
};

struct store_parts {
    struct kept *buckets[PARTS_BUCKETS];
    struct lru_list lru;
    size_t bytes, budget;
    uint64_t deletions; /* store_parts_deleted() count these copies know of */
};

static _Atomic uint64_t deletions;
static _Atomic uint64_t counts[4]; /* page hits, page misses, part hits, part misses */

void store_kept_count(int pages, uint64_t hits, uint64_t misses)
{
    if (hits > 0)
        atomic_fetch_add_explicit(&counts[pages ? 0 : 2], hits, memory_order_relaxed);
    if (misses > 0)
        atomic_fetch_add_explicit(&counts[pages ? 1 : 3], misses, memory_order_relaxed);
}

void store_kept_stats(struct store_kept_stats *out)
{
    out->page_hits = atomic_load_explicit(&counts[0], memory_order_relaxed);
    out->page_misses = atomic_load_explicit(&counts[1], memory_order_relaxed);
    out->part_hits = atomic_load_explicit(&counts[2], memory_order_relaxed);
    out->part_misses = atomic_load_explicit(&counts[3], memory_order_relaxed);
}

void store_parts_deleted(void)
{
    atomic_fetch_add_explicit(&deletions, 1, memory_order_release);
}

struct store_parts *store_parts_new(size_t max_bytes)
{
    struct store_parts *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->budget = max_bytes;
    p->deletions = atomic_load_explicit(&deletions, memory_order_acquire);
    return p;
}

static struct kept **bucket_of(struct store_parts *p, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return &p->buckets[(h >> 40) & (PARTS_BUCKETS - 1)];
}

static struct kept **find(struct store_parts *p, int64_t id)
{
    struct kept **link = bucket_of(p, id);
    while (*link != NULL && (*link)->item.id != id)
        link = &(*link)->hnext;
    return link;
}

static void remove_kept(struct store_parts *p, struct kept **link)
{
    struct kept *k = *link;
    *link = k->hnext;
    lru_unlink(&p->lru, &k->lru);
    p->bytes -= k->cost;
    free(k->copy);
    free(k);
}

static void trim(struct store_parts *p, size_t budget)
{
    while (p->bytes > budget && p->lru.tail != NULL)
        remove_kept(p, find(p, LRU_RECORD(p->lru.tail, struct kept, lru)->item.id));
}

void store_parts_free(struct store_parts *p)
{
    if (p == NULL)
        return;
    trim(p, 0);
    free(p);
}

/* A delete anywhere in the process: a row id may now name another item. */
static void forget_if_deleted(struct store_parts *p)
{
    uint64_t now = atomic_load_explicit(&deletions, memory_order_acquire);
    if (now != p->deletions) {
        trim(p, 0);
        p->deletions = now;
    }
}

static int same_row(const struct neptun_item *a, const struct neptun_item *b)
{
    return a->id == b->id && a->revision == b->revision && a->created == b->created &&
           a->updated == b->updated && strcmp(a->type, b->type) == 0 &&
           strcmp(a->slug, b->slug) == 0;
}

int store_parts_fill(struct store_parts *p, struct neptun_pool *pool, struct neptun_item *it)
{
    if (p == NULL || it->type == NULL || it->slug == NULL)
        return 0;
    forget_if_deleted(p);
    struct kept **link = find(p, it->id);
    struct kept *k = *link;
    if (k == NULL)
        return 0;
    if (!same_row(&k->item, it)) {
        remove_kept(p, link); /* an older revision: never asked for again */
        return 0;
    }
    char *mem = neptun_pool_alloc(pool, k->copy_size > 0 ? k->copy_size : 1);
    if (mem == NULL)
        return 0;
    struct neptun_item copy;
    item_copy_moved(&copy, mem, &k->item, k->copy, k->copy_size);
    it->texts = copy.texts;
    it->ntexts = copy.ntexts;
    it->tags = copy.tags;
    it->ntags = copy.ntags;
    it->links = copy.links;
    it->nlinks = copy.nlinks;
    lru_unlink(&p->lru, &k->lru);
    lru_push_front(&p->lru, &k->lru);
    return 1;
}

void store_parts_keep(struct store_parts *p, const struct neptun_item *it)
{
    if (p == NULL || it->type == NULL || it->slug == NULL)
        return;
    forget_if_deleted(p);
    struct neptun_item parts = *it;
    parts.fields_xml = NULL; /* read with the page row every time */
    size_t size = item_copy_size(&parts);
    size_t cost = sizeof(struct kept) + size;
    if (cost > p->budget / 8)
        return; /* one huge item would push out everything else */
    struct kept *k = calloc(1, sizeof *k);
    if (k == NULL)
        return;
    k->copy = malloc(size > 0 ? size : 1);
    if (k->copy == NULL) {
        free(k);
        return;
    }
    item_copy(&k->item, &parts, k->copy);
    k->copy_size = size;
    k->cost = cost;

    struct kept **link = find(p, it->id);
    if (*link != NULL)
        remove_kept(p, link);
    link = bucket_of(p, it->id);
    k->hnext = *link;
    *link = k;
    lru_push_front(&p->lru, &k->lru);
    p->bytes += cost;
    trim(p, p->budget);
}
