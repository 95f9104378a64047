/*
 * store_internal.h - what the store's files (store_sql.c, store_migrate.c,
 * store_text.c, store_parts.c, store_pages.c, store_load.c, store_search.c,
 * store_read.c, store_open.c, store_watch.c, store_write.c, store.c: each
 * uses only those before it) share.  Nothing outside the store includes it:
 * SQL stays behind store.h.
 */
#ifndef NEPTUN_STORE_INTERNAL_H
#define NEPTUN_STORE_INTERNAL_H

#include <sys/types.h>
#include <sqlite3.h>
#include "store.h"

/* The schema version the migrations in store_migrate.c lead to. */
#define STORE_SCHEMA_VERSION 5

/* Columns of an items row, in the order store_item_from_row() reads them. */
#define STORE_ITEM_COLS \
    "i.id, i.type, i.slug, i.status, i.publish_at, i.created, i.updated, " \
    "i.starts_at, i.ends_at, i.revision, i.fields_xml"
#define STORE_ITEM_NCOLS 11

/* Collations of titles: "neptun_" and the language tag with "_" for "-". */
#define STORE_COLLATION_PREFIX "neptun_"
#define STORE_COLLATION_MAX 16
/* The collation name for lang into buf; NEPTUN_INVALID when lang is not a
 * plausible language tag (then no collation may be named). */
int store_collation_name(const char *lang, char *buf, size_t size);

/* Statements prepared once per connection (SQL in store_sql.c). */
enum store_stmt_id {
    STMT_BEGIN,
    STMT_BEGIN_IMMEDIATE,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_ITEM_FIND,
    STMT_ITEM_INSERT,
    STMT_ITEM_UPDATE,
    STMT_ITEM_DELETE,
    STMT_ITEM_GET,
    STMT_SEARCH_DELETE,
    STMT_TEXTS_DELETE,
    STMT_TAGS_DELETE,
    STMT_LINKS_DELETE,
    STMT_TEXT_INSERT,
    STMT_SEARCH_INSERT,
    STMT_TAG_INSERT,
    STMT_LINK_INSERT,
    STMT_TEXTS_LOAD,
    STMT_TAGS_LOAD,
    STMT_LINKS_LOAD,
    STMT_COUNT,
    STMT_NEXT_PUBLISH_ALL,
    STMT_NEXT_PUBLISH_TYPE,
    STMT_DATA_VERSION,
    STMT_FOREACH_ALL,
    STMT_FOREACH_TYPE,
    STMT_ITEMS_BY_IDS,
    STMT_TEXT_MAX_ID,
    STMT_TYPE_CHANGED,
    STMT_CHANGED_AT_ALL,
    STMT_CHANGED_AT_TYPE,
    STMT__COUNT
};

/* Statements built from a query's shape (lists, searches), cached by SQL text. */
#define STORE_DYN_MAX 48

struct store_dyn_stmt {
    char *sql;            /* malloc'd key */
    sqlite3_stmt *stmt;
    uint64_t last_used;
};

#define STORE_NEXT_PUBLISH_MEMOS 8

/* The types a write transaction changed, bumped in type_changes just before
 * its COMMIT (store_write.c): once per type and transaction. */
#define STORE_TOUCHED_MAX 8

struct store_touched {
    const char *type;     /* borrowed from the writing call */
    int64_t at;           /* the latest time it wrote for the type */
};

struct store {
    sqlite3 *db;
    char *path;           /* malloc'd, for messages */
    int readonly;
    int watched;          /* a read connection counted by store_watch_attach() */
    dev_t dev;            /* the file opened at path (store_file_check) */
    ino_t ino;
    int last_rc;          /* extended code of the last logged error */
    sqlite3_stmt *stmt[STMT__COUNT];
    struct store_dyn_stmt dyn[STORE_DYN_MAX];
    uint64_t tick;
    int total_estimated;  /* the last store_list() total was estimated */
    int trim_pending;     /* a large list was loaded: trim malloc arenas */
    struct store_parts *parts; /* recently read items' parts; NULL until a read */
    struct store_pages *pages; /* recently read list pages; NULL until a list */
    struct next_publish_memo {  /* store_next_publish() answers, per type */
        const char *type;       /* NULL: every type */
        unsigned data_version;  /* of the file when answered */
        int64_t next;           /* the answer (0: none scheduled) */
        int used;
    } next_publish[STORE_NEXT_PUBLISH_MEMOS];
    unsigned next_publish_turn; /* the slot to reuse next */
    struct store_touched touched[STORE_TOUCHED_MAX]; /* this write transaction's */
    size_t ntouched;
    struct {                    /* the last store_data_version() read */
        uint64_t version, changes;
        uint64_t commits;       /* this process's commit count before it */
        double until_ms;        /* trusted until then (clock_monotonic_ms) */
    } seen;
};

/* store_parts.c: the texts, tags and links of recently read items, kept per
 * connection (STORE_PARTS_BYTES at most). */
#define STORE_PARTS_BYTES (8u << 20)
struct store_parts;
struct store_parts *store_parts_new(size_t max_bytes);
void store_parts_free(struct store_parts *p);
/* Set it's texts, tags and links (copied into pool) from a kept copy of the
 * same row id, revision, times, type and slug: 1 when filled, else 0. */
int store_parts_fill(struct store_parts *p, struct neptun_pool *pool, struct neptun_item *it);
/* Keep a copy of it's parts (it fully read).  Nothing kept when out of memory. */
void store_parts_keep(struct store_parts *p, const struct neptun_item *it);
/* An item was deleted (its row id may be reused): every connection's copies
 * are dropped at its next read. */
void store_parts_deleted(void);

/* store_pages.c: recently read list pages (total and items), kept per
 * connection while the file is unchanged.  version and changes identify
 * the file's state (store_data_version); valid_until is 0 or the moment a
 * scheduled item becomes visible. */
struct store_pages;
struct store_pages *store_pages_new(void);
void store_pages_free(struct store_pages *ps);
/* Whether pages of q's shape are kept at all (plain type/tag pages). */
int store_pages_keeps(const struct store_query *q);
/* 1 with *items (copies in pool), *n and *total when the page is kept for
 * this state of the file, else 0. */
int store_pages_get(struct store_pages *ps, struct neptun_pool *pool, const struct store_query *q,
                    uint64_t version, uint64_t changes, struct neptun_item ***items, size_t *n,
                    size_t *total);
void store_pages_put(struct store_pages *ps, const struct store_query *q, uint64_t version,
                     uint64_t changes, int64_t valid_until, struct neptun_item *const *items,
                     size_t n, size_t total);
/* Count lookups for store_kept_stats(). */
void store_kept_count(int pages, uint64_t hits, uint64_t misses);

/* store_sql.c: the SQL plumbing every other store file builds on.
 * Inside a read transaction: the file's data version (moved by commits of
 * other connections) and this connection's change count. */
int store_data_version(struct store *s, uint64_t *version, uint64_t *changes);
/* Outside any transaction: 1 with the state the last store_data_version()
 * read, while no connection of this process has committed since and for
 * STORE_SEEN_MS after it; else 0.  A kept page can then be answered without
 * a statement: a commit here shows at once, one by another process (an
 * import beside the server) within STORE_SEEN_MS. */
#define STORE_SEEN_MS 1000
int store_data_version_seen(struct store *s, uint64_t *version, uint64_t *changes);
/* A connection of this process committed (or rolled back a write): the state
 * store_data_version_seen() remembers is stale. */
void store_commit_count(void);

/* The cached statement, prepared on first use; NULL (logged) on failure. */
sqlite3_stmt *store_stmt(struct store *s, enum store_stmt_id id);
sqlite3_stmt *store_stmt_sql(struct store *s, const char *sql);
/* Reset and clear bindings so no borrowed text pointer outlives the call. */
void store_stmt_done(sqlite3_stmt *st);
/* Step a statement that returns no rows, then store_stmt_done().
 * NEPTUN_OK or NEPTUN_ERROR (logged with what). */
int store_step_done(struct store *s, sqlite3_stmt *st, const char *what);
/* store_step_done() on a fixed statement: NEPTUN_OK or NEPTUN_ERROR (logged). */
int store_stmt_run(struct store *s, enum store_stmt_id id);
/* Log the connection's last error. */
void store_log_error(struct store *s, const char *what);

/* Bind helpers: 0 on success, else the sqlite code (which is also logged
 * by the caller through store_log_error). */
int store_bind_text(sqlite3_stmt *st, int idx, const char *text);
int store_bind_int64(sqlite3_stmt *st, int idx, int64_t v);

/* Open a read transaction unless one is already open; *began tells whether
 * to end it with store_read_end(). */
int store_read_begin(struct store *s, int *began);
void store_read_end(struct store *s, int began);

/* Bring the schema to STORE_SCHEMA_VERSION (store_migrate.c).  On failure
 * returns NEPTUN_ERROR with *err malloc'd. */
int store_migrate(struct store *s, char **err);
/* The schema version in the file. */
int store_schema_version(struct store *s, int *version);

/* store_load.c: rows into items.  The text of column col copied into pool
 * (NULL for SQL NULL; *oom set when out of memory). */
const char *store_column_str(struct neptun_pool *pool, sqlite3_stmt *st, int col, int *oom);
/* Fill it from the current row of a statement selecting STORE_ITEM_COLS
 * from column first on; its texts, tags and links are left empty. */
int store_item_from_row(struct store *s, struct neptun_pool *pool, sqlite3_stmt *st, int first,
                        struct neptun_item *it);
/* Load the texts, tags and links of items[0..n): kept copies where the
 * connection has them (store_parts.c), the rest with three statements in
 * all, each in stored order (texts by id, tags and links by pos). */
int store_items_load_parts(struct store *s, struct neptun_pool *pool,
                           struct neptun_item *const *items, size_t n);
/* store_item_from_row(), then that one item's parts. */
int store_item_load(struct store *s, struct neptun_pool *pool, sqlite3_stmt *st, int first,
                    struct neptun_item *it);
/* The same, always from the database and keeping no copy (whole-store walks). */
int store_item_load_uncached(struct store *s, struct neptun_pool *pool, sqlite3_stmt *st,
                             int first, struct neptun_item *it);
/* "[id,id,...]": the JSON array the part statements take as ?1 (pool). */
const char *store_ids_json(struct neptun_pool *pool, const int64_t *ids, size_t n);

/* SQL text of a statement built from a query's shape (lists and searches). */
struct sql_text {
    char buf[2048];
    size_t len;
    int overflow;
};
/* Append part; on overflow t->overflow is set and t keeps what fitted. */
void store_sql_add(struct sql_text *t, const char *part);
/* " AND ..." for the filters of q on items i (type, visibility, tag,
 * dates): the same for lists, counts and searches.  tag_walk: check the
 * tag per item read (a common tag, or a streamed search) rather than
 * starting from the tag's index. */
void store_list_filters(struct sql_text *t, const struct store_query *q, int tag_walk);
/* Bind every named parameter a list statement may use. */
int store_bind_query(sqlite3_stmt *st, const struct store_query *q, const char *match,
                     const char *chain, int64_t limit, int64_t offset);

/* store_search.c: ranked search in bounded work.  Register neptun_rank()
 * on a new connection; rank match (from store_fts_query) for q. */
int store_search_register(struct store *s);
int store_search_ranked(struct store *s, struct neptun_pool *pool, const struct store_query *q,
                        const char *match, struct neptun_item ***items, const char ***langs,
                        size_t *n, size_t *total);
/* The streaming statement's SQL, for store_explain(). */
int store_search_plan_sql(const struct store_query *q, struct sql_text *t);

/* store_open.c: one connection opened (pragmas, collations, the marker, the
 * file's identity; migrations on a write connection, the schema version
 * checked on a read one) and closed, without the change watch, which
 * store_open() and store_close() in store.c add.  On failure
 * store_conn_open() returns NEPTUN_ERROR with *err malloc'd. */
int store_conn_open(const char *path, int flags, struct store **out, char **err);
void store_conn_close(struct store *s);
/* Whether the file at s->path is still the one s opened: NEPTUN_OK, or
 * STORE_GONE (logged). */
int store_file_check(struct store *s);

/* store_watch.c: a read connection of path joins the change watch (the
 * first opens the watch's own connection: NEPTUN_ERROR, logged, when that
 * fails; the connection counts as joined all the same) and leaves it (the
 * last closes it). */
int store_watch_attach(const char *path);
void store_watch_detach(void);

/* store_text.c: the folded text indexed for one language's row, and the
 * FTS5 query for what a reader typed ("" when nothing searchable is left). */
struct store_fts_row {
    const char *title, *summary, *body, *extra;
};
int store_fts_row(struct neptun_pool *pool, const struct neptun_item *item,
                  const struct neptun_text *text, const char *extra,
                  struct store_fts_row *out);
const char *store_fts_extra(struct neptun_pool *pool, const struct neptun_item *item,
                            const struct neptun_index *idx);
const char *store_fts_query(struct neptun_pool *pool, const char *typed);

#endif
