/*
 * store_write.c - writing items: store_put(), store_put_many(),
 * store_create() and store_delete().
 *
 * Each call is one transaction and returns only after COMMIT (WAL,
 * synchronous=FULL, set when the connection was opened in store_open.c).
 * Writes are serialised inside the process by write_lock and across
 * processes (a CLI import beside a running server) by BEGIN IMMEDIATE.
 * An item is its row in items, then per language its item_texts row and
 * the item_search row of its folded text (store_text.c), then its
 * item_tags and item_links in order; replacing an item deletes those parts
 * and writes them again.  Before COMMIT the file is checked to be the one
 * the connection opened (store_file_check(), store_open.c): a write into a
 * moved or deleted file is rolled back as STORE_GONE, a full disk answers
 * STORE_FULL.  Every commit (and rollback) is counted (store_commit_count,
 * store_sql.c) before it is acknowledged, so no kept page outlives it; a
 * delete drops the kept parts before and after (store_parts.c).
 *
 * Every write also moves its type's change time (type_changes, migration
 * 4) in the same transaction: once per type and transaction, just before
 * COMMIT, to the later of now and the items' times, and at least a second
 * past the time before.  Answers take their Last-Modified from it
 * (store_changed_at, store_read.c), so a delete or an unpublish, which
 * leave no item to date them, still move it forward.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include "store_internal.h"
#include "log.h"

/* One writer at a time in this process: SQLite would serialise writers
 * anyway, but waiting on a mutex is cheaper and fairer than busy retries. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static int delete_parts(struct store *s, int64_t id)
{
    static const struct {
        enum store_stmt_id id;
        const char *what;
    } parts[] = {
        { STMT_SEARCH_DELETE, "delete search rows" },
        { STMT_TEXTS_DELETE, "delete texts" },
        { STMT_TAGS_DELETE, "delete tags" },
        { STMT_LINKS_DELETE, "delete links" },
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        sqlite3_stmt *st = store_stmt(s, parts[i].id);
        if (st == NULL)
            return NEPTUN_ERROR;
        if (store_bind_int64(st, 1, id) != SQLITE_OK) {
            store_log_error(s, parts[i].what);
            store_stmt_done(st);
            return NEPTUN_ERROR;
        }
        if (store_step_done(s, st, parts[i].what) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

/* The item row: *id and *created (1 when new) on success. */
static int write_item_row(struct store *s, const struct neptun_item *item,
                          const struct neptun_index *idx, int64_t now, int64_t *id,
                          int *created)
{
    sqlite3_stmt *st = store_stmt(s, STMT_ITEM_FIND);
    int64_t stored_created = 0;
    int rc;
    *id = 0;
    if (st == NULL)
        return NEPTUN_ERROR;
    if (store_bind_text(st, 1, item->type) || store_bind_text(st, 2, item->slug)) {
        store_log_error(s, "find item: bind");
        store_stmt_done(st);
        return NEPTUN_ERROR;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        stored_created = sqlite3_column_int64(st, 1);
    } else if (rc != SQLITE_DONE) {
        store_log_error(s, "find item");
    }
    store_stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return NEPTUN_ERROR;

    int64_t updated = item->updated ? item->updated : now;
    int64_t created_at = item->created ? item->created : stored_created ? stored_created : now;
    int64_t starts = idx ? idx->starts_at : item->starts_at;
    int64_t ends = idx ? idx->ends_at : item->ends_at;
    *created = *id == 0;

    if (*id != 0) {
        st = store_stmt(s, STMT_ITEM_UPDATE);
        if (st == NULL)
            return NEPTUN_ERROR;
        if (store_bind_int64(st, 1, *id) || store_bind_int64(st, 2, item->status) ||
            store_bind_int64(st, 3, item->publish_at) || store_bind_int64(st, 4, created_at) ||
            store_bind_int64(st, 5, updated) || store_bind_int64(st, 6, starts) ||
            store_bind_int64(st, 7, ends) || store_bind_text(st, 8, item->fields_xml)) {
            store_log_error(s, "update item: bind");
            store_stmt_done(st);
            return NEPTUN_ERROR;
        }
        if (store_step_done(s, st, "update item") != NEPTUN_OK)
            return NEPTUN_ERROR;
        return delete_parts(s, *id);
    }
    st = store_stmt(s, STMT_ITEM_INSERT);
    if (st == NULL)
        return NEPTUN_ERROR;
    if (store_bind_text(st, 1, item->type) || store_bind_text(st, 2, item->slug) ||
        store_bind_int64(st, 3, item->status) || store_bind_int64(st, 4, item->publish_at) ||
        store_bind_int64(st, 5, created_at) || store_bind_int64(st, 6, updated) ||
        store_bind_int64(st, 7, starts) || store_bind_int64(st, 8, ends) ||
        store_bind_text(st, 9, item->fields_xml)) {
        store_log_error(s, "insert item: bind");
        store_stmt_done(st);
        return NEPTUN_ERROR;
    }
    if (store_step_done(s, st, "insert item") != NEPTUN_OK)
        return NEPTUN_ERROR;
    *id = sqlite3_last_insert_rowid(s->db);
    return NEPTUN_OK;
}

static int write_text(struct store *s, struct neptun_pool *pool, int64_t id,
                      const struct neptun_item *item, const struct neptun_text *text,
                      const char *extra)
{
    struct store_fts_row row;
    sqlite3_stmt *st = store_stmt(s, STMT_TEXT_INSERT);
    if (st == NULL)
        return NEPTUN_ERROR;
    if (store_bind_int64(st, 1, id) || store_bind_text(st, 2, text->lang) ||
        store_bind_text(st, 3, text->title ? text->title : "") ||
        store_bind_text(st, 4, text->summary) || store_bind_text(st, 5, text->body)) {
        store_log_error(s, "insert text: bind");
        store_stmt_done(st);
        return NEPTUN_ERROR;
    }
    if (store_step_done(s, st, "insert text") != NEPTUN_OK)
        return NEPTUN_ERROR;
    int64_t text_id = sqlite3_last_insert_rowid(s->db);

    if (store_fts_row(pool, item, text, extra, &row) != NEPTUN_OK) {
        log_error("store %s: %s/%s: cannot prepare the search text", s->path, item->type,
                  item->slug);
        return NEPTUN_ERROR;
    }
    st = store_stmt(s, STMT_SEARCH_INSERT);
    if (st == NULL)
        return NEPTUN_ERROR;
    if (store_bind_int64(st, 1, text_id) || store_bind_text(st, 2, row.title) ||
        store_bind_text(st, 3, row.summary) || store_bind_text(st, 4, row.body) ||
        store_bind_text(st, 5, row.extra)) {
        store_log_error(s, "index text: bind");
        store_stmt_done(st);
        return NEPTUN_ERROR;
    }
    return store_step_done(s, st, "index text");
}

static int write_tags_links(struct store *s, int64_t id, const struct neptun_item *item)
{
    for (size_t i = 0; i < item->ntags; i++) {
        sqlite3_stmt *st = store_stmt(s, STMT_TAG_INSERT);
        if (st == NULL)
            return NEPTUN_ERROR;
        if (store_bind_int64(st, 1, id) || store_bind_int64(st, 2, (int64_t)i) ||
            store_bind_text(st, 3, item->tags[i])) {
            store_log_error(s, "insert tag: bind");
            store_stmt_done(st);
            return NEPTUN_ERROR;
        }
        if (store_step_done(s, st, "insert tag") != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    for (size_t i = 0; i < item->nlinks; i++) {
        const struct neptun_link *l = &item->links[i];
        sqlite3_stmt *st = store_stmt(s, STMT_LINK_INSERT);
        if (st == NULL)
            return NEPTUN_ERROR;
        if (store_bind_int64(st, 1, id) || store_bind_int64(st, 2, (int64_t)i) ||
            store_bind_text(st, 3, l->rel ? l->rel : "related") ||
            store_bind_text(st, 4, l->href ? l->href : "") || store_bind_text(st, 5, l->lang) ||
            store_bind_text(st, 6, l->title) || store_bind_text(st, 7, l->mime)) {
            store_log_error(s, "insert link: bind");
            store_stmt_done(st);
            return NEPTUN_ERROR;
        }
        if (store_step_done(s, st, "insert link") != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

/* Move the change time of each type this transaction wrote, and forget
 * them.  NEPTUN_OK or NEPTUN_ERROR (logged). */
static int bump_touched(struct store *s)
{
    int ret = NEPTUN_OK;
    for (size_t i = 0; i < s->ntouched && ret == NEPTUN_OK; i++) {
        sqlite3_stmt *st = store_stmt(s, STMT_TYPE_CHANGED);
        if (st == NULL) {
            ret = NEPTUN_ERROR;
            break;
        }
        if (store_bind_text(st, 1, s->touched[i].type) ||
            store_bind_int64(st, 2, s->touched[i].at)) {
            store_log_error(s, "type changed: bind");
            store_stmt_done(st);
            ret = NEPTUN_ERROR;
            break;
        }
        ret = store_step_done(s, st, "type changed");
    }
    s->ntouched = 0;
    return ret;
}

/* The write changes type as of at (kept until the transaction ends). */
static int touch(struct store *s, const char *type, int64_t at)
{
    for (size_t i = 0; i < s->ntouched; i++)
        if (strcmp(s->touched[i].type, type) == 0) {
            if (at > s->touched[i].at)
                s->touched[i].at = at;
            return NEPTUN_OK;
        }
    if (s->ntouched == STORE_TOUCHED_MAX && bump_touched(s) != NEPTUN_OK)
        return NEPTUN_ERROR;
    s->touched[s->ntouched].type = type;
    s->touched[s->ntouched].at = at;
    s->ntouched++;
    return NEPTUN_OK;
}

static int write_one(struct store *s, const struct neptun_item *item,
                     const struct neptun_index *idx, int64_t now, int *created)
{
    struct neptun_pool *pool = NULL;
    int64_t id = 0;
    int ret = NEPTUN_ERROR;

    if (item->type == NULL || item->slug == NULL || item->ntexts == 0) {
        log_error("store %s: refusing an item without type, slug or text", s->path);
        return NEPTUN_INVALID;
    }
    pool = neptun_pool_new(8192); /* folded search text, gone after the write */
    if (pool == NULL) {
        log_error("store %s: out of memory", s->path);
        return NEPTUN_NOMEM;
    }
    if (write_item_row(s, item, idx, now, &id, created) != NEPTUN_OK)
        goto out;
    /* an item dated later than now moves its type's time to its date, so
     * the time stays at or after every item's */
    if (touch(s, item->type, item->updated > now ? item->updated : now) != NEPTUN_OK)
        goto out;
    const char *extra = store_fts_extra(pool, item, idx);
    if (extra == NULL)
        goto out;
    for (size_t i = 0; i < item->ntexts; i++)
        if (write_text(s, pool, id, item, &item->texts[i], extra) != NEPTUN_OK)
            goto out;
    if (write_tags_links(s, id, item) != NEPTUN_OK)
        goto out;
    ret = NEPTUN_OK;
out:
    neptun_pool_free(pool);
    return ret;
}

/* A failed write's code: STORE_FULL when SQLite ran out of space,
 * STORE_GONE when it found the file moved itself, else ret. */
static int write_error(struct store *s, int ret)
{
    if ((s->last_rc & 0xff) == SQLITE_FULL) {
        log_error("store %s: out of space (disk full or the file's size limit): "
                  "the write was refused", s->path);
        return STORE_FULL;
    }
    if (s->last_rc == SQLITE_READONLY_DBMOVED) {
        (void)store_file_check(s); /* says so, loudly */
        return STORE_GONE;
    }
    return ret;
}

/* Run BEGIN IMMEDIATE under the write lock; the caller ends with
 * write_end(). */
static int write_begin(struct store *s)
{
    if (s->readonly) {
        log_error("store %s: write on a read connection", s->path);
        return NEPTUN_ERROR;
    }
    pthread_mutex_lock(&write_lock);
    s->last_rc = SQLITE_OK;
    s->ntouched = 0;
    if (store_stmt_run(s, STMT_BEGIN_IMMEDIATE) != NEPTUN_OK) {
        pthread_mutex_unlock(&write_lock);
        return write_error(s, NEPTUN_ERROR);
    }
    return NEPTUN_OK;
}

/* COMMIT when ok is NEPTUN_OK, else ROLLBACK; returns the outcome. */
static int write_end(struct store *s, int ok)
{
    /* the types' change times commit with the write, or roll back with it */
    if (ok == NEPTUN_OK)
        ok = bump_touched(s);
    s->ntouched = 0;
    /* not acknowledged into a file the next start will not open */
    if (ok == NEPTUN_OK)
        ok = store_file_check(s);
    if (ok == NEPTUN_OK && store_stmt_run(s, STMT_COMMIT) != NEPTUN_OK)
        ok = NEPTUN_ERROR;
    if (ok != NEPTUN_OK && ok != STORE_GONE)
        ok = write_error(s, ok);
    /* counted before the write is acknowledged; a rollback counts too
     * (harmless: a kept page is only read again) */
    store_commit_count();
    if (ok != NEPTUN_OK && !sqlite3_get_autocommit(s->db) &&
        store_stmt_run(s, STMT_ROLLBACK) != NEPTUN_OK)
        log_error("store %s: rollback failed", s->path);
    pthread_mutex_unlock(&write_lock);
    return ok;
}

int store_put_many(struct store *s, const struct neptun_item *const *items,
                   const struct neptun_index *const *idx, size_t n, int *created)
{
    int64_t now = (int64_t)time(NULL);
    int ret = write_begin(s);
    if (ret != NEPTUN_OK)
        return ret;
    for (size_t i = 0; i < n && ret == NEPTUN_OK; i++) {
        int is_new = 0;
        ret = write_one(s, items[i], idx ? idx[i] : NULL, now, &is_new);
        if (created != NULL)
            created[i] = is_new;
    }
    return write_end(s, ret);
}

int store_put(struct store *s, const struct neptun_item *item,
              const struct neptun_index *idx, int *created)
{
    int is_new = 0;
    int ret = store_put_many(s, &item, &idx, 1, &is_new);
    if (created != NULL)
        *created = is_new;
    return ret;
}

/* Is (type, slug) stored?  1 yes, 0 no, NEPTUN_ERROR. */
static int item_exists(struct store *s, const char *type, const char *slug)
{
    sqlite3_stmt *st = store_stmt(s, STMT_ITEM_FIND);
    if (st == NULL)
        return NEPTUN_ERROR;
    if (store_bind_text(st, 1, type) || store_bind_text(st, 2, slug)) {
        store_log_error(s, "find item: bind");
        store_stmt_done(st);
        return NEPTUN_ERROR;
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        store_log_error(s, "find item");
    store_stmt_done(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : NEPTUN_ERROR;
}

int store_create(struct store *s, const struct neptun_item *item,
                 const struct neptun_index *idx)
{
    int is_new = 0;
    int ret = write_begin(s);
    if (ret != NEPTUN_OK)
        return ret;
    int exists = item_exists(s, item->type, item->slug);
    if (exists == 1) {
        (void)write_end(s, NEPTUN_ERROR); /* nothing written: roll back */
        return STORE_EXISTS;
    }
    ret = exists == 0 ? write_one(s, item, idx, (int64_t)time(NULL), &is_new) : NEPTUN_ERROR;
    return write_end(s, ret);
}

int store_delete(struct store *s, const char *type, const char *slug)
{
    int64_t id = 0;
    /* Kept parts are keyed by row id, which the next insert may reuse:
     * dropped before the delete and again once it is committed, so no
     * reader keeps a copy across it. */
    store_parts_deleted();
    int ret = write_begin(s);
    if (ret != NEPTUN_OK)
        return ret;
    ret = NEPTUN_ERROR;
    sqlite3_stmt *st = store_stmt(s, STMT_ITEM_FIND);
    if (st == NULL)
        goto out;
    if (store_bind_text(st, 1, type) || store_bind_text(st, 2, slug)) {
        store_log_error(s, "delete: bind");
        store_stmt_done(st);
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        store_log_error(s, "delete: find");
    store_stmt_done(st);
    if (rc == SQLITE_DONE) {
        ret = NEPTUN_NOT_FOUND;
        goto out;
    }
    if (rc != SQLITE_ROW || delete_parts(s, id) != NEPTUN_OK ||
        touch(s, type, (int64_t)time(NULL)) != NEPTUN_OK)
        goto out;
    st = store_stmt(s, STMT_ITEM_DELETE);
    if (st == NULL)
        goto out;
    if (store_bind_int64(st, 1, id) != SQLITE_OK) {
        store_log_error(s, "delete: bind");
        store_stmt_done(st);
        goto out;
    }
    ret = store_step_done(s, st, "delete item");
out:
    /* nothing to commit for a missing item: roll the empty transaction back */
    if (ret == NEPTUN_NOT_FOUND) {
        (void)write_end(s, NEPTUN_ERROR);
        return NEPTUN_NOT_FOUND;
    }
    ret = write_end(s, ret);
    store_parts_deleted();
    return ret;
}
