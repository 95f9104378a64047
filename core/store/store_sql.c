/*
 * store_sql.c - the store's SQL plumbing, the lowest file of the store:
 * every other store file builds on it and it calls none of them.
 *
 * How the pieces fit: the fixed statements (stmt_sql below) are prepared
 * once per connection on first use; statements built from a query's shape
 * (store_sql_add, store_list_filters) are cached by their SQL text, the
 * least recently used one replaced; values are always bound
 * (store_bind_query), never written into the SQL.  The read transaction,
 * the file's data version and the collation names live here too, so lists
 * (store_read.c), searches (store_search.c), loads (store_load.c) and
 * writes (store.c) share one set of helpers without calling each other.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_internal.h"
#include "clock.h"
#include "log.h"

/* Commits made by this process's connections (store_data_version_seen). */
static _Atomic uint64_t commits_here;

static const char *const stmt_sql[STMT__COUNT] = {
    [STMT_BEGIN] = "BEGIN",
    [STMT_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_ITEM_FIND] = "SELECT id, created, revision FROM items WHERE type = ?1 AND slug = ?2",
    [STMT_ITEM_INSERT] =
        "INSERT INTO items(type, slug, status, publish_at, created, updated, starts_at,"
        " ends_at, revision, fields_xml) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9)",
    [STMT_ITEM_UPDATE] =
        "UPDATE items SET status = ?2, publish_at = ?3, created = ?4, updated = ?5,"
        " starts_at = ?6, ends_at = ?7, revision = revision + 1, fields_xml = ?8 WHERE id = ?1",
    [STMT_ITEM_DELETE] = "DELETE FROM items WHERE id = ?1",
    [STMT_ITEM_GET] = "SELECT " STORE_ITEM_COLS " FROM items i WHERE i.type = ?1 AND i.slug = ?2",
    [STMT_SEARCH_DELETE] =
        "DELETE FROM item_search WHERE rowid IN (SELECT id FROM item_texts WHERE item_id = ?1)",
    [STMT_TEXTS_DELETE] = "DELETE FROM item_texts WHERE item_id = ?1",
    [STMT_TAGS_DELETE] = "DELETE FROM item_tags WHERE item_id = ?1",
    [STMT_LINKS_DELETE] = "DELETE FROM item_links WHERE item_id = ?1",
    [STMT_TEXT_INSERT] =
        "INSERT INTO item_texts(item_id, lang, title, summary, body) VALUES(?1, ?2, ?3, ?4, ?5)",
    [STMT_SEARCH_INSERT] =
        "INSERT INTO item_search(rowid, title, summary, body, extra) VALUES(?1, ?2, ?3, ?4, ?5)",
    [STMT_TAG_INSERT] = "INSERT INTO item_tags(item_id, pos, tag) VALUES(?1, ?2, ?3)",
    [STMT_LINK_INSERT] =
        "INSERT INTO item_links(item_id, pos, rel, href, lang, title, mime)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* the parts of a page of items, ?1 the JSON array of their ids: the
     * item's position in it, the row's order within the item, then the
     * part (store_load.c puts the rows in order) */
    [STMT_TEXTS_LOAD] =
        "SELECT j.key, t.id, t.lang, t.title, t.summary, t.body"
        " FROM json_each(?1) AS j CROSS JOIN item_texts AS t ON t.item_id = j.value",
    [STMT_TAGS_LOAD] =
        "SELECT j.key, g.pos, g.tag"
        " FROM json_each(?1) AS j CROSS JOIN item_tags AS g ON g.item_id = j.value",
    [STMT_LINKS_LOAD] =
        "SELECT j.key, l.pos, l.rel, l.href, l.lang, l.title, l.mime"
        " FROM json_each(?1) AS j CROSS JOIN item_links AS l ON l.item_id = j.value",
    /* kept by triggers (migration 2): no scan of the table at start-up */
    [STMT_COUNT] = "SELECT coalesce(sum(n), 0) FROM item_counts",
    [STMT_NEXT_PUBLISH_ALL] =
        "SELECT min(publish_at) FROM items WHERE status IN (1, 2) AND publish_at > ?1",
    /* "+": seek the few scheduled items by publish_at (migration 2), never
     * walk every item of the type */
    [STMT_NEXT_PUBLISH_TYPE] =
        "SELECT min(publish_at) FROM items"
        " WHERE +type = ?2 AND status IN (1, 2) AND publish_at > ?1",
    [STMT_DATA_VERSION] = "PRAGMA data_version",
    [STMT_FOREACH_ALL] = "SELECT " STORE_ITEM_COLS " FROM items i ORDER BY i.type, i.slug",
    [STMT_FOREACH_TYPE] =
        "SELECT " STORE_ITEM_COLS " FROM items i WHERE i.type = ?1 ORDER BY i.slug",
    /* a page of items by id (a search's), in the order of the JSON array ?1 */
    [STMT_ITEMS_BY_IDS] =
        "SELECT j.key, " STORE_ITEM_COLS
        " FROM json_each(?1) AS j CROSS JOIN items AS i ON i.id = j.value",
    /* the newest text id: searches extrapolate their totals over it */
    [STMT_TEXT_MAX_ID] = "SELECT max(id) FROM item_texts",
    /* a write changed the type (migration 4): never back, and a second
     * write within the same second still moves it (by one second) */
    [STMT_TYPE_CHANGED] =
        "INSERT INTO type_changes(type, changed_at) VALUES(?1, ?2)"
        " ON CONFLICT(type) DO UPDATE SET changed_at = max(changed_at + 1, excluded.changed_at)",
    /* the latest write, or a scheduled item that came due since it (?1 now):
     * only publish_at after the write can be later, so the range is short */
    [STMT_CHANGED_AT_ALL] =
        "SELECT max(c.m, coalesce((SELECT max(publish_at) FROM items"
        "  WHERE publish_at > c.m AND publish_at <= ?1 AND status IN (1, 2)), 0))"
        " FROM (SELECT coalesce(max(changed_at), 0) AS m FROM type_changes) AS c",
    [STMT_CHANGED_AT_TYPE] =
        "SELECT max(c.changed_at, coalesce((SELECT max(publish_at) FROM items"
        "  WHERE publish_at > c.changed_at AND publish_at <= ?1 AND status IN (1, 2)"
        "  AND +type = ?2), 0))"
        " FROM type_changes AS c WHERE c.type = ?2",
};

/* ---- statements ------------------------------------------------------- */

void store_log_error(struct store *s, const char *what)
{
    s->last_rc = sqlite3_extended_errcode(s->db);
    log_error("store %s: %s: %s (%d)", s->path, what, sqlite3_errmsg(s->db),
              sqlite3_extended_errcode(s->db));
}

sqlite3_stmt *store_stmt(struct store *s, enum store_stmt_id id)
{
    if (s->stmt[id] == NULL &&
        sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id],
                           NULL) != SQLITE_OK) {
        store_log_error(s, stmt_sql[id]);
        s->stmt[id] = NULL;
    }
    return s->stmt[id];
}

sqlite3_stmt *store_stmt_sql(struct store *s, const char *sql)
{
    struct store_dyn_stmt *slot = &s->dyn[0];
    for (size_t i = 0; i < STORE_DYN_MAX; i++) {
        struct store_dyn_stmt *d = &s->dyn[i];
        if (d->sql != NULL && strcmp(d->sql, sql) == 0) {
            d->last_used = ++s->tick;
            return d->stmt;
        }
        /* remember an empty slot, else the least recently used one */
        if (slot->sql != NULL && (d->sql == NULL || d->last_used < slot->last_used))
            slot = d;
    }
    sqlite3_stmt *st = NULL;
    char *key = strdup(sql);
    if (key == NULL) {
        log_error("store %s: out of memory", s->path);
        return NULL;
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        store_log_error(s, sql);
        sqlite3_finalize(st);
        free(key);
        return NULL;
    }
    if (slot->sql != NULL) {
        sqlite3_finalize(slot->stmt);
        free(slot->sql);
    }
    slot->sql = key;
    slot->stmt = st;
    slot->last_used = ++s->tick;
    return st;
}

void store_stmt_done(sqlite3_stmt *st)
{
    if (st == NULL)
        return;
    sqlite3_reset(st); /* its code repeats the step's, already handled */
    sqlite3_clear_bindings(st);
}

int store_step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        store_log_error(s, what);
    store_stmt_done(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? NEPTUN_OK : NEPTUN_ERROR;
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
    if (text == NULL)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
}

int store_bind_int64(sqlite3_stmt *st, int idx, int64_t v)
{
    return sqlite3_bind_int64(st, idx, (sqlite3_int64)v);
}

int store_stmt_run(struct store *s, enum store_stmt_id id)
{
    sqlite3_stmt *st = store_stmt(s, id);
    if (st == NULL)
        return NEPTUN_ERROR;
    return store_step_done(s, st, stmt_sql[id]);
}

int store_read_begin(struct store *s, int *began)
{
    *began = 0;
    if (!sqlite3_get_autocommit(s->db))
        return NEPTUN_OK; /* already inside store_foreach's snapshot */
    if (store_stmt_run(s, STMT_BEGIN) != NEPTUN_OK)
        return NEPTUN_ERROR;
    *began = 1;
    return NEPTUN_OK;
}

void store_read_end(struct store *s, int began)
{
    if (began && store_stmt_run(s, STMT_COMMIT) != NEPTUN_OK)
        (void)store_stmt_run(s, STMT_ROLLBACK);
}

int store_collation_name(const char *lang, char *buf, size_t size)
{
    size_t n = lang != NULL ? strlen(lang) : 0;
    if (n < 2 || n >= STORE_COLLATION_MAX || strlen(STORE_COLLATION_PREFIX) + n >= size ||
        strspn(lang, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n)
        return NEPTUN_INVALID;
    snprintf(buf, size, "%s%s", STORE_COLLATION_PREFIX, lang);
    for (char *p = buf; *p != '\0'; p++)
        if (*p == '-')
            *p = '_';
    return NEPTUN_OK;
}

/* ---- the file's state --------------------------------------------------- */

void store_commit_count(void)
{
    atomic_fetch_add(&commits_here, 1);
}

int store_data_version(struct store *s, uint64_t *version, uint64_t *changes)
{
    /* read before the statement starts its snapshot: a commit counted here
     * is in that snapshot, one made later moves the count */
    uint64_t commits = atomic_load(&commits_here);
    sqlite3_stmt *st = store_stmt(s, STMT_DATA_VERSION);
    if (st == NULL)
        return NEPTUN_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = (uint64_t)sqlite3_column_int64(st, 0);
    else
        store_log_error(s, "data version");
    store_stmt_done(st);
    *changes = (uint64_t)sqlite3_total_changes64(s->db);
    if (rc != SQLITE_ROW)
        return NEPTUN_ERROR;
    s->seen.version = *version;
    s->seen.changes = *changes;
    s->seen.commits = commits;
    s->seen.until_ms = clock_monotonic_ms() + STORE_SEEN_MS;
    return NEPTUN_OK;
}

int store_data_version_seen(struct store *s, uint64_t *version, uint64_t *changes)
{
    if (s->seen.until_ms == 0 || atomic_load(&commits_here) != s->seen.commits ||
        clock_monotonic_ms() >= s->seen.until_ms)
        return 0;
    *version = s->seen.version;
    *changes = s->seen.changes;
    return 1;
}

/* ---- statements built from a query's shape ------------------------------ */

void store_sql_add(struct sql_text *t, const char *part)
{
    size_t n = strlen(part);
    if (t->len + n >= sizeof(t->buf)) {
        t->overflow = 1;
        return;
    }
    memcpy(t->buf + t->len, part, n + 1);
    t->len += n;
}

/* Bind :name when the statement uses it. */
static int bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
    int idx = sqlite3_bind_parameter_index(st, name);
    return idx ? store_bind_text(st, idx, v) : SQLITE_OK;
}

static int bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
    int idx = sqlite3_bind_parameter_index(st, name);
    return idx ? store_bind_int64(st, idx, v) : SQLITE_OK;
}

int store_bind_query(sqlite3_stmt *st, const struct store_query *q, const char *match,
                      const char *chain, int64_t limit, int64_t offset)
{
    return bind_named_text(st, ":chain", chain) ||
           bind_named_int(st, ":now", q->now) || bind_named_text(st, ":type", q->type) ||
           bind_named_text(st, ":tag", q->tag) || bind_named_text(st, ":match", match) ||
           bind_named_text(st, ":lang", q->lang) || bind_named_int(st, ":from", q->from) ||
           bind_named_int(st, ":to", q->to) || bind_named_int(st, ":limit", limit) ||
           bind_named_int(st, ":offset", offset);
}

void store_list_filters(struct sql_text *t, const struct store_query *q, int tag_walk)
{
    if (q->type != NULL)
        store_sql_add(t, " AND i.type = :type");
    if (!q->include_hidden)
        store_sql_add(t, " AND i.status IN (1, 2) AND (i.publish_at = 0 OR i.publish_at <= :now)");
    if (q->tag != NULL && tag_walk)
        /* a common tag: walk the items in the list's order and check each
         * one's few tags, stopping at the page */
        store_sql_add(t, " AND EXISTS (SELECT 1 FROM item_tags g WHERE g.item_id = i.id"
                         " AND g.tag = :tag)");
    else if (q->tag != NULL)
        /* a rare tag: start from its index entries */
        store_sql_add(t, " AND i.id IN (SELECT g.item_id FROM item_tags g WHERE g.tag = :tag)");
    /* dated filters: an item without a start is never in a date range */
    if (q->from != 0)
        store_sql_add(t, " AND i.starts_at <> 0 AND max(i.starts_at, i.ends_at) >= :from");
    if (q->to != 0)
        store_sql_add(t, " AND i.starts_at <> 0 AND i.starts_at <= :to");
    if (q->upcoming)
        store_sql_add(t, " AND i.starts_at <> 0 AND max(i.starts_at, i.ends_at) >= :now");
}
