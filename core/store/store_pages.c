/*
 * store_pages.c - recently read list pages, kept per connection while the
 * database file is unchanged.
 *
 * A feed or list page is one of few shapes (a type, maybe a tag, newest
 * first or by start, an offset and a length) asked for again and again
 * under different URLs (paging links, partners' own query parameters, a
 * rule's variants).  Its total and its rows only change when the file does
 * or when a scheduled item comes due, so the page read last time answers
 * as long as the file's data version (a commit by any connection or
 * process moves it) and this connection's own change count are the same,
 * and the earliest scheduled publication it did not show has not come.
 *
 * Each worker owns its connection: nothing here is shared, no locks.  A
 * few pages, bounded in bytes, least recently used going first.  A hit is
 * copied into the request's pool, like store_parts.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <neptun/pool.h>
#include "content.h"
#include "store_internal.h"

#define PAGES_MAX 32                 /* pages kept per connection */
#define PAGES_BYTES (2u << 20)       /* their bytes at most */
#define PAGE_MAX_ITEMS 100           /* longer pages are not kept */

struct kept_page {
    char *key;
    uint64_t version, changes; /* of the file and the connection when read */
    int64_t valid_until;       /* 0, or when a scheduled item becomes visible */
    size_t total, n;
    struct neptun_item *items; /* n copies, each with its own block */
    char **blocks;
    size_t *sizes;             /* of each block */
    size_t cost;
};

struct store_pages {
    struct kept_page page[PAGES_MAX];
    size_t used; /* page[0] is the most recently used */
    size_t bytes;
};

int store_pages_keeps(const struct store_query *q)
{
    /* searches, date windows and title order depend on more than the file */
    return q->q == NULL && q->from == 0 && q->to == 0 && !q->upcoming &&
           (q->order == STORE_ORDER_UPDATED || q->order == STORE_ORDER_START) && q->limit > 0 &&
           q->limit <= PAGE_MAX_ITEMS;
}

/* The shape of q as a key, or NULL (not kept, or out of memory). */
static char *page_key(const struct store_query *q)
{
    if (!store_pages_keeps(q))
        return NULL;
    size_t len = (q->type != NULL ? strlen(q->type) : 0) + (q->tag != NULL ? strlen(q->tag) : 0) + 64;
    char *key = malloc(len);
    if (key != NULL)
        snprintf(key, len, "%s\x1f%s\x1f%d\x1f%d\x1f%zu\x1f%zu", q->type != NULL ? q->type : "",
                 q->tag != NULL ? q->tag : "\x1e", (int)q->order, q->include_hidden, q->offset,
                 q->limit);
    return key;
}

static void page_clear(struct kept_page *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->blocks[i]);
    free(p->blocks);
    free(p->sizes);
    free(p->items);
    free(p->key);
    memset(p, 0, sizeof *p);
}

static void drop(struct store_pages *ps, size_t i)
{
    ps->bytes -= ps->page[i].cost;
    page_clear(&ps->page[i]);
    memmove(&ps->page[i], &ps->page[i + 1], (ps->used - i - 1) * sizeof ps->page[0]);
    ps->used--;
    memset(&ps->page[ps->used], 0, sizeof ps->page[0]);
}

void store_pages_free(struct store_pages *ps)
{
    if (ps == NULL)
        return;
    while (ps->used > 0)
        drop(ps, ps->used - 1);
    free(ps);
}

static void to_front(struct store_pages *ps, size_t i)
{
    struct kept_page p = ps->page[i];
    memmove(&ps->page[1], &ps->page[0], i * sizeof ps->page[0]);
    ps->page[0] = p;
}

int store_pages_get(struct store_pages *ps, struct neptun_pool *pool, const struct store_query *q,
                    uint64_t version, uint64_t changes, struct neptun_item ***items, size_t *n,
                    size_t *total)
{
    if (ps == NULL)
        return 0;
    char *key = page_key(q);
    if (key == NULL)
        return 0;
    size_t i = 0;
    while (i < ps->used && strcmp(ps->page[i].key, key) != 0)
        i++;
    free(key);
    if (i == ps->used)
        return 0;
    struct kept_page *p = &ps->page[i];
    if (p->version != version || p->changes != changes ||
        (p->valid_until != 0 && q->now >= p->valid_until)) {
        drop(ps, i); /* the file moved on: read afresh */
        return 0;
    }
    struct neptun_item **v = p->n > 0 ? neptun_pool_alloc(pool, p->n * sizeof *v) : NULL;
    if (p->n > 0 && v == NULL)
        return 0;
    for (size_t k = 0; k < p->n; k++) {
        struct neptun_item *it = neptun_pool_alloc(pool, sizeof *it);
        char *mem = neptun_pool_alloc(pool, p->sizes[k] > 0 ? p->sizes[k] : 1);
        if (it == NULL || mem == NULL)
            return 0;
        item_copy_moved(it, mem, &p->items[k], p->blocks[k], p->sizes[k]);
        v[k] = it;
    }
    *items = v;
    *n = p->n;
    *total = p->total;
    to_front(ps, i);
    return 1;
}

void store_pages_put(struct store_pages *ps, const struct store_query *q, uint64_t version,
                     uint64_t changes, int64_t valid_until, struct neptun_item *const *items,
                     size_t n, size_t total)
{
    if (ps == NULL)
        return;
    struct kept_page p = {.key = page_key(q), .version = version, .changes = changes,
                          .valid_until = valid_until, .total = total, .n = n};
    if (p.key == NULL)
        return;
    p.items = calloc(n > 0 ? n : 1, sizeof *p.items);
    p.blocks = calloc(n > 0 ? n : 1, sizeof *p.blocks);
    p.sizes = calloc(n > 0 ? n : 1, sizeof *p.sizes);
    p.cost = sizeof p + strlen(p.key) + n * (sizeof *p.items + sizeof *p.blocks + sizeof *p.sizes);
    if (p.items == NULL || p.blocks == NULL || p.sizes == NULL) {
        p.n = 0;
        page_clear(&p);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        size_t size = item_copy_size(items[k]);
        p.blocks[k] = malloc(size > 0 ? size : 1);
        if (p.blocks[k] == NULL) {
            p.n = k;
            page_clear(&p);
            return;
        }
        item_copy(&p.items[k], items[k], p.blocks[k]);
        p.sizes[k] = size;
        p.cost += size;
    }
    if (p.cost > PAGES_BYTES / 4) {
        page_clear(&p);
        return;
    }
    for (size_t i = 0; i < ps->used; i++)
        if (strcmp(ps->page[i].key, p.key) == 0) {
            drop(ps, i);
            break;
        }
    while (ps->used > 0 && (ps->used == PAGES_MAX || ps->bytes + p.cost > PAGES_BYTES))
        drop(ps, ps->used - 1);
    memmove(&ps->page[1], &ps->page[0], ps->used * sizeof ps->page[0]);
    ps->page[0] = p;
    ps->used++;
    ps->bytes += p.cost;
}

struct store_pages *store_pages_new(void)
{
    return calloc(1, sizeof(struct store_pages));
}
