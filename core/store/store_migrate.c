/*
 * store_migrate.c - the schema as a list of numbered steps.
 *
 * PRAGMA user_version records the last step applied.  Opening a write
 * connection applies the missing steps in one IMMEDIATE transaction, so two
 * processes starting together cannot both migrate, and a failed step leaves
 * the file as it was.  Steps are never edited once released: a change is a
 * new step at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_internal.h"
#include "conf.h"
#include "log.h"

struct migration {
    int version;
    const char *what;
    const char *sql;
};

static const struct migration migrations[] = {
    {1, "items, texts, tags, links and the full-text index",
     "CREATE TABLE items ("
     "  id INTEGER PRIMARY KEY,"
     "  type TEXT NOT NULL,"
     "  slug TEXT NOT NULL,"
     "  status INTEGER NOT NULL CHECK (status IN (0, 1, 2)),"
     "  publish_at INTEGER NOT NULL DEFAULT 0,"
     "  created INTEGER NOT NULL,"
     "  updated INTEGER NOT NULL,"
     "  starts_at INTEGER NOT NULL DEFAULT 0,"
     "  ends_at INTEGER NOT NULL DEFAULT 0,"
     "  revision INTEGER NOT NULL DEFAULT 1,"
     "  fields_xml TEXT,"
     "  UNIQUE (type, slug));"
     /* lists and feeds: visible items of a type, newest first */
     "CREATE INDEX items_by_publication ON items(type, status, publish_at, updated);"
     /* dated types: calendars and from/to/upcoming */
     "CREATE INDEX items_by_start ON items(type, starts_at, ends_at);"
     "CREATE TABLE item_texts ("
     "  id INTEGER PRIMARY KEY,"
     "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
     "  lang TEXT NOT NULL,"
     "  title TEXT NOT NULL,"
     "  summary TEXT,"
     "  body TEXT,"
     "  UNIQUE (item_id, lang));"
     "CREATE TABLE item_tags ("
     "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
     "  pos INTEGER NOT NULL,"
     "  tag TEXT NOT NULL,"
     "  PRIMARY KEY (item_id, pos)) WITHOUT ROWID;"
     "CREATE INDEX item_tags_by_tag ON item_tags(tag, item_id);"
     "CREATE TABLE item_links ("
     "  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
     "  pos INTEGER NOT NULL,"
     "  rel TEXT NOT NULL,"
     "  href TEXT NOT NULL,"
     "  lang TEXT,"
     "  title TEXT,"
     "  mime TEXT,"
     "  PRIMARY KEY (item_id, pos)) WITHOUT ROWID;"
     /* One row per item_texts row (same rowid), holding folded text: the
      * tokenizer must not fold again, so diacritics are kept as given. */
     "CREATE VIRTUAL TABLE item_search USING fts5("
     "  title, summary, body, extra,"
     "  tokenize = 'unicode61 remove_diacritics 0');"},
    {2, "indexes for feeds at scale and kept item counts",
     /* Feeds and lists read newest first and stop at the page: the rowid
      * after updated gives "updated DESC, id DESC" straight from the index,
      * so a page costs its offset plus its length, not the table. */
     "CREATE INDEX items_by_type_updated ON items(type, updated);"
     "CREATE INDEX items_by_updated ON items(updated);"
     /* Scheduled items (publish_at in the future) are few: a range seek
      * finds them for the next-publication time and the visible totals,
      * and status and type ride along so the table itself is not read. */
     "CREATE INDEX items_by_publish_at ON items(publish_at, status, type);"
     /* upcoming=1 and from=: items not ended by then; the expression is
      * the one store_read.c filters on, so the planner can match it */
     "CREATE INDEX items_by_type_end ON items(type, max(starts_at, ends_at));"
     /* Superseded by the three above; left in place it tempts the planner
      * into reading every visible item of a type and sorting them. */
     "DROP INDEX items_by_publication;"
     /* Items per (type, status), kept by triggers in the writing
      * transaction: totals of unfiltered lists and store_count() read a
      * handful of rows instead of counting the table. */
     "CREATE TABLE item_counts ("
     "  type TEXT NOT NULL,"
     "  status INTEGER NOT NULL,"
     "  n INTEGER NOT NULL,"
     "  PRIMARY KEY (type, status)) WITHOUT ROWID;"
     "INSERT INTO item_counts(type, status, n)"
     "  SELECT type, status, count(*) FROM items GROUP BY type, status;"
     "CREATE TRIGGER item_counts_insert AFTER INSERT ON items BEGIN"
     "  INSERT INTO item_counts(type, status, n) VALUES (new.type, new.status, 1)"
     "  ON CONFLICT (type, status) DO UPDATE SET n = n + 1;"
     " END;"
     "CREATE TRIGGER item_counts_delete AFTER DELETE ON items BEGIN"
     "  UPDATE item_counts SET n = n - 1 WHERE type = old.type AND status = old.status;"
     " END;"
     "CREATE TRIGGER item_counts_update AFTER UPDATE OF type, status ON items"
     "  WHEN old.type IS NOT new.type OR old.status IS NOT new.status BEGIN"
     "  UPDATE item_counts SET n = n - 1 WHERE type = old.type AND status = old.status;"
     "  INSERT INTO item_counts(type, status, n) VALUES (new.type, new.status, 1)"
     "  ON CONFLICT (type, status) DO UPDATE SET n = n + 1;"
     " END;"},
    {3, "kept item counts per tag",
     /* Items per (tag, type, status), kept like item_counts: the total of
      * a ?tag= list reads a few rows instead of every item of the tag.
      * An item counts once per tag even if a document repeats the tag. */
     "CREATE TABLE item_tag_counts ("
     "  tag TEXT NOT NULL,"
     "  type TEXT NOT NULL,"
     "  status INTEGER NOT NULL,"
     "  n INTEGER NOT NULL,"
     "  PRIMARY KEY (tag, type, status)) WITHOUT ROWID;"
     "INSERT INTO item_tag_counts(tag, type, status, n)"
     "  SELECT g.tag, i.type, i.status, count(DISTINCT g.item_id)"
     "  FROM item_tags g JOIN items i ON i.id = g.item_id GROUP BY g.tag, i.type, i.status;"
     "CREATE TRIGGER item_tag_counts_insert AFTER INSERT ON item_tags"
     "  WHEN NOT EXISTS (SELECT 1 FROM item_tags d WHERE d.item_id = new.item_id"
     "   AND d.tag = new.tag AND d.pos <> new.pos) BEGIN"
     "  INSERT INTO item_tag_counts(tag, type, status, n)"
     "   SELECT new.tag, i.type, i.status, 1 FROM items i WHERE i.id = new.item_id"
     "  ON CONFLICT (tag, type, status) DO UPDATE SET n = n + 1;"
     " END;"
     "CREATE TRIGGER item_tag_counts_delete AFTER DELETE ON item_tags"
     "  WHEN NOT EXISTS (SELECT 1 FROM item_tags d WHERE d.item_id = old.item_id"
     "   AND d.tag = old.tag) BEGIN"
     "  UPDATE item_tag_counts SET n = n - 1 WHERE tag = old.tag"
     "   AND (type, status) = (SELECT i.type, i.status FROM items i WHERE i.id = old.item_id);"
     " END;"
     /* a status change moves the item's tags to the new status's counts */
     "CREATE TRIGGER item_tag_counts_update AFTER UPDATE OF type, status ON items"
     "  WHEN old.type IS NOT new.type OR old.status IS NOT new.status BEGIN"
     "  UPDATE item_tag_counts SET n = n - 1 WHERE type = old.type AND status = old.status"
     "   AND tag IN (SELECT g.tag FROM item_tags g WHERE g.item_id = new.id);"
     "  INSERT INTO item_tag_counts(tag, type, status, n)"
     "   SELECT DISTINCT g.tag, new.type, new.status, 1 FROM item_tags g WHERE g.item_id = new.id"
     "  ON CONFLICT (tag, type, status) DO UPDATE SET n = n + 1;"
     " END;"},
    {4, "change times per type",
     /* When each type last changed what its lists and feeds show: every
      * write bumps its type's row in the writing transaction (a delete and
      * an unpublish included, which leave no item behind to date them),
      * so Last-Modified never moves back, across restarts too.  What
      * changed before this step is not known: counted as now, never
      * earlier than any item's time. */
     "CREATE TABLE type_changes ("
     "  type TEXT PRIMARY KEY,"
     "  changed_at INTEGER NOT NULL) WITHOUT ROWID;"
     "INSERT INTO type_changes(type, changed_at)"
     "  SELECT type, max(max(updated), max(created), CAST(strftime('%s', 'now') AS INTEGER))"
     "  FROM items GROUP BY type;"},
    {5, "the store's identity",
     /* Facts about the store itself, written once.  "created" is the date
      * of the tag: URIs that name its items (guid, Atom id, UID): for a
      * store older than this step, the day of its first item.  The
      * authority beside it is chosen in C (store_identity_settle), once:
      * the configured base_url's host, else a generated name, never the
      * address the server listens on, so a moved or second server names
      * the items as the first did. */
     "CREATE TABLE IF NOT EXISTS meta ("
     "  key TEXT PRIMARY KEY,"
     "  value TEXT NOT NULL) WITHOUT ROWID;"
     "INSERT OR IGNORE INTO meta(key, value) VALUES ('created', strftime('%Y-%m-%d',"
     "  coalesce((SELECT min(created) FROM items WHERE created > 0),"
     "           CAST(strftime('%s', 'now') AS INTEGER)), 'unixepoch'));"},
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int store_schema_version(struct store *s, int *version)
{
    sqlite3_stmt *st = NULL;
    int ret = NEPTUN_ERROR;
    *version = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    *version = sqlite3_column_int(st, 0);
    ret = NEPTUN_OK;
out:
    sqlite3_finalize(st);
    return ret;
}

/* One value of meta, malloc'd, or NULL when there is none. */
static char *meta_get(struct store *s, const char *key)
{
    sqlite3_stmt *st = NULL;
    char *value = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK)
        goto out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        value = strdup((const char *)sqlite3_column_text(st, 0));
out:
    sqlite3_finalize(st);
    return value;
}

/* The authority of the items' identity, chosen at the first start after
 * step 5 and kept: the configured base_url's host, else "neptun-" and 12
 * random hex digits.  Then handed to conf_identity_set() for the
 * renderers.  Runs inside the migration's transaction. */
static int store_identity_settle(struct store *s)
{
    int ret = NEPTUN_ERROR;
    sqlite3_stmt *st = NULL;
    char *authority = meta_get(s, "authority"), *created = NULL;
    if (authority == NULL) {
        const char *host = neptun_conf->base_host;
        if (sqlite3_prepare_v2(s->db,
                               "INSERT INTO meta(key, value) VALUES ('authority',"
                               " coalesce(?1, 'neptun-' || lower(hex(randomblob(6)))))",
                               -1, &st, NULL) != SQLITE_OK ||
            sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_DONE)
            goto out;
        authority = meta_get(s, "authority");
    }
    created = meta_get(s, "created");
    if (authority == NULL || created == NULL)
        goto out;
    conf_identity_set(authority, created);
    ret = NEPTUN_OK;
out:
    sqlite3_finalize(st);
    free(authority);
    free(created);
    return ret;
}

static char *migrate_error(struct store *s, const char *what)
{
    const char *msg = sqlite3_errmsg(s->db);
    size_t len = strlen(s->path) + strlen(what) + strlen(msg) + 32;
    char *err = malloc(len);
    if (err != NULL)
        snprintf(err, len, "%s: migration: %s: %s", s->path, what, msg);
    return err;
}

int store_migrate(struct store *s, char **err)
{
    int version = 0, in_tx = 0;
    int ret = NEPTUN_ERROR;

    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        *err = migrate_error(s, "begin");
        goto out;
    }
    in_tx = 1;
    if (store_schema_version(s, &version) != NEPTUN_OK) {
        *err = migrate_error(s, "reading user_version");
        goto out;
    }
    if (version > STORE_SCHEMA_VERSION) {
        size_t len = strlen(s->path) + 96;
        *err = malloc(len);
        if (*err != NULL)
            snprintf(*err, len, "%s: schema version %d is newer than this neptun's (%d)",
                     s->path, version, STORE_SCHEMA_VERSION);
        goto out;
    }
    for (size_t i = 0; i < NMIGRATIONS; i++) {
        const struct migration *m = &migrations[i];
        if (m->version <= version)
            continue;
        if (sqlite3_exec(s->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
            *err = migrate_error(s, m->what);
            goto out;
        }
        char pragma[64];
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
        if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
            *err = migrate_error(s, pragma);
            goto out;
        }
        log_info("store %s: schema migrated to version %d (%s)", s->path, m->version, m->what);
    }
    if (store_identity_settle(s) != NEPTUN_OK) {
        *err = migrate_error(s, "the store's identity");
        goto out;
    }
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        *err = migrate_error(s, "commit");
        goto out;
    }
    in_tx = 0;
    ret = NEPTUN_OK;
out:
    if (in_tx && sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
        log_error("store %s: migration rollback: %s", s->path, sqlite3_errmsg(s->db));
    return ret;
}
