/*
 * store.h - the one narrow interface to persistent storage.
 *
 * No SQL exists outside store.c (and its private helpers): plugins,
 * renderers and handlers speak only this interface, so a PostgreSQL backend
 * could replace SQLite behind it.
 *
 * A struct store is one connection and is not thread-safe: each worker opens
 * its own read connection, writers open their own.  Writes are serialised
 * process-wide and acknowledged only after COMMIT under WAL with
 * synchronous=FULL.  Items returned are allocated from the caller's pool.
 *
 * Each connection compares titles with ICU: a collation "neptun_LANG"
 * (neptun_pl, neptun_de...) is registered on the connection the first time
 * a statement names it, holding the connection's own UCollator for LANG.
 */
#ifndef NEPTUN_STORE_H
#define NEPTUN_STORE_H

#include <neptun/item.h>
#include <neptun/plugin.h>
#include <neptun/pool.h>

struct store;

#define STORE_READONLY 0x1  /* a worker's read connection */
#define STORE_CREATE 0x2    /* create the file and run migrations - unless the
                             * marker beside it says a store was there (below) */
#define STORE_INIT 0x4      /* with STORE_CREATE: create it even then (--init) */

/*
 * A store that went missing is never replaced by an empty one in silence.
 * Creating a store writes a marker file beside it, PATH + STORE_MARKER_SUFFIX
 * (opening an existing store writes one too, so stores made by earlier
 * versions get theirs).  When PATH is missing but its marker is there, the
 * store was moved or deleted: STORE_CREATE then fails with a message saying
 * so, and only STORE_INIT creates a new, empty store.  A first start (no
 * file, no marker) creates the store as before.
 */
#define STORE_MARKER_SUFFIX ".marker"

/* Open path.  On failure returns NEPTUN_ERROR and sets *err (malloc'd,
 * caller frees). */
int store_open(const char *path, int flags, struct store **out, char **err);
void store_close(struct store *s);
/* Bound the connection's page cache to about bytes (SQLite's own default,
 * 2 MB, when 0).  NEPTUN_OK, or NEPTUN_ERROR (logged). */
int store_set_page_cache(struct store *s, size_t bytes);

/* Whether the store file changed since the last call that answered 1 -
 * by any connection, of this process or another (`neptun import` beside
 * the server): the caller then drops what it derived from the file (the
 * answer cache).  Looks at most once per STORE_POLL_MS (a PRAGMA on a
 * connection of its own, kept while a read connection is open; the file is
 * the first read connection's); 0 in between, when another thread is
 * looking, and when no read connection is open.  Thread-safe and cheap. */
#define STORE_POLL_MS 1000
int store_poll_changes(void);

/* Number of items of every status. */
int store_count(struct store *s, int64_t *count);

/* Insert or replace the item (type, slug).  item->updated of 0 means now;
 * item->created of 0 keeps the stored one (or now).  *created tells
 * whether it is new.  idx comes from the type's index().  Search text is
 * folded (locale_fold) and indexed per language here.  NEPTUN_OK only
 * after the transaction committed. */
int store_put(struct store *s, const struct neptun_item *item,
              const struct neptun_index *idx, int *created);
/* Like store_put for n items in one transaction: all are stored or none.
 * idx may be NULL (no derived values); created (may be NULL) receives one
 * flag per item.  Used by import, where each file is all-or-nothing. */
int store_put_many(struct store *s, const struct neptun_item *const *items,
                   const struct neptun_index *const *idx, size_t n, int *created);
/* Returned by store_create when (type, slug) is stored already. */
#define STORE_EXISTS (-20)
/* Returned by every write when the file at the store's path is no longer
 * the one this connection opened (renamed, deleted or replaced under the
 * running server): the write is rolled back, since acknowledging it would
 * lose it at the next start.  Logged loudly; the HTTP layer answers 503. */
#define STORE_GONE (-21)
/* Returned by every write that failed for want of space (SQLITE_FULL: the
 * disk or the file's size limit): nothing was written.  HTTP 507. */
#define STORE_FULL (-22)
/* Like store_put, but only for a new item: STORE_EXISTS (nothing written)
 * when the type already has an item with that slug.  The check and the
 * insert are one transaction, so two creators of one slug cannot both win. */
int store_create(struct store *s, const struct neptun_item *item,
                 const struct neptun_index *idx);
/* NEPTUN_OK, or NEPTUN_NOT_FOUND. */
int store_delete(struct store *s, const char *type, const char *slug);

enum store_order {
    STORE_ORDER_UPDATED = 0, /* newest publication first (feeds, lists) */
    STORE_ORDER_START = 1,   /* dated types: earliest start first (iCalendar) */
    STORE_ORDER_RANK = 2,    /* search relevance */
    STORE_ORDER_TITLE = 3    /* alphabetical by the title in lang (along chain),
                              * in lang's collation order (ICU) */
};

struct store_query {
    const char *type;     /* NULL: every type */
    const char *tag;      /* NULL: any */
    const char *q;        /* search text as typed (folded here), or NULL */
    const char *lang;     /* with q: language whose text ranks first */
    int64_t from, to;     /* dated: items overlapping [from, to]; 0 = open */
    int upcoming;         /* dated: items not yet ended at now */
    enum store_order order;
    int64_t now;          /* visibility: published/archived and publish_at <= now */
    int include_hidden;   /* admin: drafts and scheduled too */
    size_t offset, limit; /* limit 0: no limit */
    const char *const *chain; /* title order: lang's fallback chain, lang
                               * first, NULL-terminated (NULL: lang alone) */
};

/* Items matching q (texts, tags, links and fields loaded), plus the total
 * count without offset/limit.  For searches, (*matched_lang)[i] is the
 * language whose text matched item i (pass NULL when not wanted). */
int store_list(struct store *s, struct neptun_pool *pool, const struct store_query *q,
               struct neptun_item ***items, const char ***matched_lang,
               size_t *n, size_t *total);

/* Whether the total of the last store_list() on this connection is an
 * estimate: a search in rank order reads its matches newest first in
 * blocks and stops once the page is filled, so with more matches than it
 * read (a common word) the total is extrapolated.  Say "about N". */
int store_total_estimated(const struct store *s);

/* Forget the pages and item parts this connection keeps from earlier reads
 * (they are kept while the file is unchanged): the next reads go to the
 * file.  For measuring the store's own reads. */
void store_drop_kept(struct store *s);

/* For /metrics: lookups of kept pages and item parts, process-wide. */
struct store_kept_stats {
    uint64_t page_hits, page_misses, part_hits, part_misses;
};
void store_kept_stats(struct store_kept_stats *out);

/* One item; hidden ones only with include_hidden.  NEPTUN_NOT_FOUND. */
int store_get(struct store *s, struct neptun_pool *pool, const char *type,
              const char *slug, int include_hidden, int64_t now,
              struct neptun_item **out);

/* Earliest publish_at later than now among non-draft items of type (NULL:
 * any type), or 0: when cached answers of that type must be rebuilt. */
int64_t store_next_publish(struct store *s, const char *type, int64_t now);

/* When what type shows (NULL: any type) last changed, in Unix seconds: the
 * latest of its writes - create, edit, status change, delete - and of its
 * scheduled items that came due by now (at their publish_at).  Kept in the
 * file, so it survives a restart, and never earlier than before; always at
 * or after the time of every item of the type.  0 when the type was never
 * written (or on an error, logged).  One short statement: for answers being
 * rendered, not for cache hits. */
int64_t store_changed_at(struct store *s, const char *type, int64_t now);

/* Call fn on every item (all statuses) of type (NULL: all) inside one read
 * transaction: a consistent snapshot for export.  Stops at the first
 * non-OK return and returns it.  Each item (and its strings) is valid only
 * during its call. */
int store_foreach(struct store *s, const char *type,
                  int (*fn)(void *ud, const struct neptun_item *item), void *ud);

/* The plans (SQLite's EXPLAIN QUERY PLAN, an indented line per step) of the
 * count and page statements store_list() runs for q, pool-owned: for the
 * scale benchmark and diagnostics, to show indexes are used, not scans. */
int store_explain(struct store *s, struct neptun_pool *pool, const struct store_query *q,
                  const char **count_plan, const char **page_plan);

/* PRAGMA integrity_check: NEPTUN_OK when "ok". */
int store_check(struct store *s);

#endif
