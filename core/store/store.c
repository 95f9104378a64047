/*
 * store.c - the SQLite store: a connection as the rest of neptun sees it.
 *
 * How the pieces fit, lowest first: store_sql.c holds the SQL plumbing
 * (cached statements, bind helpers, the read transaction, the file's data
 * version, the SQL builder of lists and searches); store_migrate.c brings
 * the schema up to date; store_text.c prepares the folded text of the FTS5
 * index and turns what a reader typed into a safe FTS5 query;
 * store_parts.c and store_pages.c keep recently read parts and pages;
 * store_load.c turns rows into items, a page's texts, tags and links in
 * three statements; store_search.c ranks searches; store_read.c reads
 * items, lists and searches.  store_open.c opens a connection (WAL,
 * synchronous=FULL, foreign keys, busy timeout, the ICU collations, the
 * marker and the file's identity) and runs the migrations on write
 * connections; store_watch.c notices other processes' writes
 * (store_poll_changes) on a connection of its own; store_write.c writes
 * items.  store.c, on top, is store_open() and store_close() - a
 * connection from store_open.c, and a read connection's place in the
 * change watch - and the calls on a whole connection: the page cache's
 * size, the item count, the integrity check, dropping the kept copies.
 * No file calls one above it.
 *
 * Tables: items (one row per type+slug), item_texts (one per language),
 * item_tags and item_links (ordered by pos), and item_search, an FTS5 table
 * whose rowid is the item_texts row it indexes.
 *
 * Writes are serialised inside the process by write_lock and across
 * processes (a CLI import beside a running server) by BEGIN IMMEDIATE; each
 * call is one transaction and returns only after COMMIT (store_write.c).
 *
 * Files that go away: a write connection remembers the device and inode of
 * the file it opened and, before each COMMIT, stats the path again (as
 * SQLite's documentation on corruption advises: an open file renamed or
 * deleted goes on taking writes that the next start never sees).  When they
 * differ the write is rolled back as STORE_GONE.  A marker beside the file
 * (STORE_MARKER_SUFFIX) remembers that a store was created, so a start
 * that finds the file missing refuses rather than making an empty one.
 * Other processes' writes: store_poll_changes() reads PRAGMA data_version on
 * a connection of its own at most once a second, so the answer cache drops
 * what an import beside the server made stale.
 *
 * Alphabetical order is SQL's: ORDER BY title COLLATE neptun_pl, a
 * collation each connection registers on demand with its own ICU collator
 * (store_open.c).
 */
#include <stdio.h>
#include <string.h>
#include "store_internal.h"
#include "log.h"

int store_open(const char *path, int flags, struct store **out, char **err)
{
    int ret = store_conn_open(path, flags, out, err);
    if (ret != NEPTUN_OK || !(*out)->readonly)
        return ret;
    /* a read connection: answers derived from the file follow other
     * processes' writes through the watch (a failed watch still counts
     * this connection, and store_close() leaves it) */
    if (store_watch_attach(path) != NEPTUN_OK)
        log_warn("store %s: cannot watch the file for other processes' writes; "
                 "cached answers follow them only at their max-age", path);
    (*out)->watched = 1;
    return NEPTUN_OK;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    if (s->watched)
        store_watch_detach();
    store_conn_close(s);
}

int store_set_page_cache(struct store *s, size_t bytes)
{
    char sql[64];
    if (bytes == 0)
        return NEPTUN_OK;
    /* a negative cache_size is a bound in KiB rather than in pages */
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%zu", bytes / 1024 > 0 ? bytes / 1024 : 1);
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        store_log_error(s, "cache_size");
        return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

/* ---- small reads ------------------------------------------------------ */

int store_count(struct store *s, int64_t *count)
{
    sqlite3_stmt *st = store_stmt(s, STMT_COUNT);
    *count = 0;
    if (st == NULL)
        return NEPTUN_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    else
        store_log_error(s, "count");
    store_stmt_done(st);
    return rc == SQLITE_ROW ? NEPTUN_OK : NEPTUN_ERROR;
}

void store_drop_kept(struct store *s)
{
    store_parts_free(s->parts);
    store_pages_free(s->pages);
    s->parts = NULL;
    s->pages = NULL;
}

int store_check(struct store *s)
{
    sqlite3_stmt *st = NULL;
    int ret = NEPTUN_ERROR;
    if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        store_log_error(s, "integrity_check");
        goto out;
    }
    int rc = sqlite3_step(st);
    const char *first = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (first == NULL || strcmp(first, "ok") != 0) {
        log_error("store %s: integrity_check: %s", s->path, first ? first : sqlite3_errmsg(s->db));
        goto out;
    }
    /* The full-text index must agree with the texts it indexes; the check
     * is an INSERT, so only a write connection can run it. */
    if (!s->readonly &&
        sqlite3_exec(s->db, "INSERT INTO item_search(item_search) VALUES('integrity-check')",
                     NULL, NULL, NULL) != SQLITE_OK) {
        store_log_error(s, "full-text integrity check");
        goto out;
    }
    ret = NEPTUN_OK;
out:
    sqlite3_finalize(st);
    return ret;
}
