/*
 * store.c - the SQLite store: connections and writes.
 *
 * How the pieces fit, lowest first: store_sql.c holds the SQL plumbing
 * (cached statements, bind helpers, the read transaction, the file's data
 * version, the SQL builder of lists and searches); store_migrate.c brings
 * the schema up to date; store_text.c prepares the folded text of the FTS5
 * index and turns what a reader typed into a safe FTS5 query;
 * store_parts.c and store_pages.c keep recently read parts and pages;
 * store_load.c turns rows into items, a page's texts, tags and links in
 * three statements; store_search.c ranks searches; store_read.c reads
 * items, lists and searches.  store.c, on top, opens a connection (WAL,
 * synchronous=FULL, foreign keys, busy timeout), runs the migrations on
 * write connections, and writes items.  No file calls one above it.
 *
 * Tables: items (one row per type+slug), item_texts (one per language),
 * item_tags and item_links (ordered by pos), and item_search, an FTS5 table
 * whose rowid is the item_texts row it indexes.
 *
 * Writes are serialised inside the process by write_lock and across
 * processes (a CLI import beside a running server) by BEGIN IMMEDIATE; each
 * call is one transaction and returns only after COMMIT.
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
 * Alphabetical order is SQL's: ORDER BY title COLLATE neptun_pl, so LIMIT
 * and OFFSET page through the same order the reader sees.  The collations
 * are registered per connection on demand (sqlite3_collation_needed), each
 * owning an ICU UCollator that only its connection, and so only one thread
 * at a time, uses; SQLite closes it with the connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/stat.h>
#include <unicode/ucol.h>
#include "store_internal.h"
#include "clock.h"
#include "log.h"

#define STORE_BUSY_TIMEOUT_MS 10000

/* One writer at a time in this process: SQLite would serialise writers
 * anyway, but waiting on a mutex is cheaper and fairer than busy retries. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- collations -------------------------------------------------------- */

static int collate_icu(void *collator, int alen, const void *a, int blen, const void *b)
{
    UErrorCode err = U_ZERO_ERROR;
    UCollationResult r = ucol_strcollUTF8(collator, a, alen, b, blen, &err);
    if (U_FAILURE(err)) {
        /* not UTF-8: still a total order, by bytes */
        int n = memcmp(a, b, (size_t)(alen < blen ? alen : blen));
        return n != 0 ? n : (alen > blen) - (alen < blen);
    }
    return r == UCOL_LESS ? -1 : r == UCOL_GREATER ? 1 : 0;
}

static void collator_free(void *collator)
{
    ucol_close(collator);
}

/* SQLite asks for a collation a statement names and the connection lacks:
 * register "neptun_LANG" ("_" stands for "-" in the tag: neptun_pt_BR). */
static void collation_needed(void *ud, sqlite3 *db, int encoding, const char *name)
{
    struct store *s = ud;
    char tag[STORE_COLLATION_MAX];
    UErrorCode err = U_ZERO_ERROR;
    size_t n;

    (void)encoding;
    if (strncmp(name, STORE_COLLATION_PREFIX, strlen(STORE_COLLATION_PREFIX)) != 0)
        return;
    name += strlen(STORE_COLLATION_PREFIX);
    n = strlen(name);
    if (n < 2 || n >= sizeof(tag) || strspn(name, "abcdefghijklmnopqrstuvwxyz"
                                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n)
        return;
    for (size_t i = 0; i <= n; i++)
        tag[i] = name[i] == '_' ? '-' : name[i];
    UCollator *collator = ucol_open(tag, &err);
    if (U_FAILURE(err)) {
        log_error("store %s: no ICU collation for \"%s\": %s", s->path, tag, u_errorName(err));
        return; /* the statement then fails with "no such collation sequence" */
    }
    /* "Forum 9" before "Forum 10" */
    ucol_setAttribute(collator, UCOL_NUMERIC_COLLATION, UCOL_ON, &err);
    char full[sizeof(STORE_COLLATION_PREFIX) + STORE_COLLATION_MAX];
    snprintf(full, sizeof(full), "%s%s", STORE_COLLATION_PREFIX, name);
    /* on failure SQLite does not call the destructor: close it here */
    if (sqlite3_create_collation_v2(db, full, SQLITE_UTF8, collator, collate_icu,
                                    collator_free) != SQLITE_OK) {
        store_log_error(s, "register a collation");
        ucol_close(collator);
    }
}

/* ---- open and close --------------------------------------------------- */

/*
 * SQLite's process-wide settings, made once before its first use.  Every
 * SQLite call of the process goes through this file's connections, and
 * store_open() runs this first, so nothing has touched SQLite yet (when
 * something did, sqlite3_config() refuses and the defaults stay: slower,
 * still correct).  Each connection is used by one thread at a time (a
 * worker's own read and write connections, the CLI's one), so:
 *  - MULTITHREAD: no mutex per connection (store_open also asks for that
 *    with SQLITE_OPEN_NOMUTEX); SQLite keeps its core mutexes for what the
 *    connections share.
 *  - MEMSTATUS off: no global mutex, shared by every worker, around each of
 *    SQLite's mallocs and frees to keep statistics nobody reads.
 */
static pthread_once_t sqlite_setup_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MULTITHREAD) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        log_warn("store: SQLite was in use before the store set it up; keeping its defaults");
    if (sqlite3_initialize() != SQLITE_OK)
        log_error("store: SQLite does not initialise"); /* sqlite3_open_v2 then fails */
}

static char *open_error(const char *path, const char *what, sqlite3 *db)
{
    const char *msg = db != NULL ? sqlite3_errmsg(db) : "out of memory";
    size_t len = strlen(path) + strlen(what) + strlen(msg) + 8;
    char *err = malloc(len);
    if (err != NULL)
        snprintf(err, len, "%s: %s: %s", path, what, msg);
    return err;
}

static int exec_pragma(struct store *s, const char *sql, const char *want, char **err)
{
    sqlite3_stmt *st = NULL;
    int ret = NEPTUN_ERROR;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        goto fail;
    if (want != NULL) {
        const char *got = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        if (got == NULL || strcmp(got, want) != 0) {
            size_t len = strlen(s->path) + strlen(sql) + strlen(want) + 64;
            *err = malloc(len);
            if (*err != NULL)
                snprintf(*err, len, "%s: %s: got \"%s\", need \"%s\"", s->path, sql,
                         got ? got : "", want);
            goto out;
        }
    }
    ret = NEPTUN_OK;
    goto out;
fail:
    *err = open_error(s->path, sql, s->db);
out:
    sqlite3_finalize(st);
    return ret;
}

/* A malloc'd "path: message" (NULL when out of memory). */
static char *path_error(const char *path, const char *msg)
{
    size_t len = strlen(path) + strlen(msg) + 4;
    char *err = malloc(len);
    if (err != NULL)
        snprintf(err, len, "%s: %s", path, msg);
    return err;
}

/* path + STORE_MARKER_SUFFIX, malloc'd, or NULL. */
static char *marker_path(const char *path)
{
    size_t len = strlen(path) + sizeof(STORE_MARKER_SUFFIX);
    char *m = malloc(len);
    if (m != NULL)
        snprintf(m, len, "%s%s", path, STORE_MARKER_SUFFIX);
    return m;
}

/* Before creating path: NEPTUN_OK when it exists or was never created
 * (no marker), else NEPTUN_ERROR with *err saying what happened. */
static int creation_allowed(const char *path, int flags, char **err)
{
    struct stat st;
    char *marker = NULL;
    int ret = NEPTUN_ERROR;
    if (!(flags & STORE_CREATE) || (flags & STORE_INIT) || stat(path, &st) == 0 ||
        errno != ENOENT || strncmp(path, "file:", 5) == 0 || strcmp(path, ":memory:") == 0)
        return NEPTUN_OK;
    if ((marker = marker_path(path)) == NULL) {
        *err = path_error(path, "out of memory");
        goto out;
    }
    if (access(marker, F_OK) != 0) {
        ret = NEPTUN_OK; /* a first start */
        goto out;
    }
    size_t len = strlen(path) + strlen(marker) + 256;
    if ((*err = malloc(len)) != NULL)
        snprintf(*err, len,
                 "%s: the store is missing, but %s says one was created there: it was moved "
                 "or deleted.  Put it back (or restore a backup), or start with --init to "
                 "create a new, empty store",
                 path, marker);
out:
    free(marker);
    return ret;
}

/* Leave the marker beside a store opened for writing, when it has none.
 * Failing to is logged, not fatal: the store itself is fine. */
static void marker_write(const struct store *s)
{
    static const char text[] =
        "A neptun store was created beside this file.  While this file exists, neptun\n"
        "refuses to replace a missing store with an empty one (start it with --init\n"
        "to do that on purpose).\n";
    char *marker = marker_path(s->path);
    int fd = -1;
    if (marker == NULL || access(marker, F_OK) == 0)
        goto out;
    fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno != EEXIST)
            log_warn("store %s: cannot write the marker %s: %s", s->path, marker, strerror(errno));
        goto out;
    }
    if (write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1) || fsync(fd) != 0)
        log_warn("store %s: cannot write the marker %s: %s", s->path, marker, strerror(errno));
out:
    if (fd >= 0 && close(fd) != 0)
        log_warn("store %s: closing the marker: %s", s->path, strerror(errno));
    free(marker);
}

/* Whether the file at s->path is still the one s opened: NEPTUN_OK, or
 * STORE_GONE (logged). */
static int store_file_check(struct store *s)
{
    struct stat st;
    if (s->ino == 0)
        return NEPTUN_OK; /* an in-memory or URI store: nothing to compare */
    if (stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
        return NEPTUN_OK;
    log_error("store %s: the database file %s since the store was opened; refusing writes "
              "(they would be lost at the next start): put the file back, or restart",
              s->path, errno == ENOENT ? "was moved or deleted" : "was replaced");
    return STORE_GONE;
}

static int watch_attach(const char *path);
static void watch_detach(void);

int store_open(const char *path, int flags, struct store **out, char **err)
{
    struct store *s = NULL;
    int ret = NEPTUN_ERROR;
    *out = NULL;
    *err = NULL;

    if (pthread_once(&sqlite_setup_once, sqlite_setup) != 0) {
        *err = open_error(path, "setting SQLite up", NULL);
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        *err = open_error(path, "open", NULL);
        goto out;
    }
    s->readonly = (flags & STORE_READONLY) != 0;
    s->watcher = (flags & STORE_WATCHER) != 0;
    if (creation_allowed(path, flags, err) != NEPTUN_OK)
        goto out;
    /* Read connections open read-write and set query_only: a read-only
     * handle cannot create the WAL index when it is the first to open. */
    int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (flags & STORE_CREATE)
        oflags |= SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
        *err = open_error(path, "cannot open the database", s->db);
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    /* the file just opened (a rename between open and stat is as likely
     * as one a moment later, and found the same way at the first write) */
    const char *file = sqlite3_db_filename(s->db, "main");
    struct stat st;
    if (file != NULL && file[0] != '\0') {
        if (stat(file, &st) != 0) {
            *err = path_error(path, strerror(errno));
            goto out;
        }
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    if (sqlite3_collation_needed(s->db, s, collation_needed) != SQLITE_OK) {
        *err = open_error(path, "collations", s->db);
        goto out;
    }
    if (sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS) != SQLITE_OK) {
        *err = open_error(path, "busy_timeout", s->db);
        goto out;
    }
    if (exec_pragma(s, "PRAGMA foreign_keys = ON", NULL, err) != NEPTUN_OK ||
        exec_pragma(s, "PRAGMA trusted_schema = OFF", NULL, err) != NEPTUN_OK ||
        exec_pragma(s, "PRAGMA journal_mode = WAL", "wal", err) != NEPTUN_OK ||
        exec_pragma(s, "PRAGMA synchronous = FULL", NULL, err) != NEPTUN_OK)
        goto out;

    if (store_search_register(s) != NEPTUN_OK) {
        *err = open_error(path, "registering the search ranking", s->db);
        goto out;
    }
    if (!s->readonly) {
        if (store_migrate(s, err) != NEPTUN_OK)
            goto out;
        marker_write(s);
    } else {
        int version = 0;
        if (store_schema_version(s, &version) != NEPTUN_OK) {
            *err = open_error(path, "reading the schema version", s->db);
            goto out;
        }
        if (version != STORE_SCHEMA_VERSION) {
            size_t len = strlen(path) + 96;
            *err = malloc(len);
            if (*err != NULL)
                snprintf(*err, len, "%s: schema version %d, this neptun needs %d", path,
                         version, STORE_SCHEMA_VERSION);
            goto out;
        }
        if (exec_pragma(s, "PRAGMA query_only = ON", NULL, err) != NEPTUN_OK)
            goto out;
        if (!s->watcher && watch_attach(path) != NEPTUN_OK)
            log_warn("store %s: cannot watch the file for other processes' writes; "
                     "cached answers follow them only at their max-age", path);
        s->watched = !s->watcher;
    }
    *out = s;
    s = NULL;
    ret = NEPTUN_OK;
out:
    if (ret != NEPTUN_OK && *err == NULL)
        *err = open_error(path, "open", NULL);
    store_close(s);
    return ret;
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

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    if (s->watched)
        watch_detach();
    for (size_t i = 0; i < STMT__COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    for (size_t i = 0; i < STORE_DYN_MAX; i++) {
        sqlite3_finalize(s->dyn[i].stmt);
        free(s->dyn[i].sql);
    }
    store_parts_free(s->parts);
    store_pages_free(s->pages);
    for (size_t i = 0; i < STORE_NEXT_PUBLISH_MEMOS; i++)
        free((char *)s->next_publish[i].type);
    if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
        log_error("store %s: close: %s", s->path, sqlite3_errmsg(s->db));
    free(s->path);
    free(s);
}

/* ---- other processes' writes -------------------------------------------- */

/* One connection of the process reads PRAGMA data_version for
 * store_poll_changes(): it moves when any other connection commits, so
 * this process's writes show too (the cache was bumped for those already;
 * the extra drop costs one rebuild per answer, once per second of writes). */
static struct {
    pthread_mutex_t lock;
    struct store *s;          /* NULL while no read connection is open */
    int users;                /* read connections open */
    int64_t version;          /* at the last look */
    _Atomic int64_t next_ms;  /* no look before (clock_monotonic_ms) */
} watch = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int watch_read(int64_t *version)
{
    sqlite3_stmt *st = store_stmt(watch.s, STMT_DATA_VERSION);
    if (st == NULL)
        return NEPTUN_ERROR;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int64(st, 0);
    else
        store_log_error(watch.s, "data version");
    store_stmt_done(st);
    return rc == SQLITE_ROW ? NEPTUN_OK : NEPTUN_ERROR;
}

static int watch_attach(const char *path)
{
    int ret = NEPTUN_OK;
    pthread_mutex_lock(&watch.lock);
    watch.users++;
    if (watch.s == NULL) {
        char *err = NULL;
        if (store_open(path, STORE_READONLY | STORE_WATCHER, &watch.s, &err) != NEPTUN_OK ||
            watch_read(&watch.version) != NEPTUN_OK) {
            log_error("store %s: the change watcher: %s", path, err ? err : "cannot read");
            store_close(watch.s);
            watch.s = NULL;
            ret = NEPTUN_ERROR;
        }
        free(err);
        atomic_store(&watch.next_ms, (int64_t)clock_monotonic_ms() + STORE_POLL_MS);
    }
    pthread_mutex_unlock(&watch.lock);
    return ret;
}

static void watch_detach(void)
{
    pthread_mutex_lock(&watch.lock);
    if (--watch.users == 0) {
        store_close(watch.s);
        watch.s = NULL;
    }
    pthread_mutex_unlock(&watch.lock);
}

int store_poll_changes(void)
{
    int64_t now = (int64_t)clock_monotonic_ms(), version = 0;
    int changed = 0;
    if (now < atomic_load_explicit(&watch.next_ms, memory_order_relaxed) ||
        pthread_mutex_trylock(&watch.lock) != 0)
        return 0;
    /* a look in flight elsewhere moved next_ms already: checked again */
    if (watch.s != NULL && now >= atomic_load(&watch.next_ms)) {
        atomic_store(&watch.next_ms, now + STORE_POLL_MS);
        if (watch_read(&version) == NEPTUN_OK && version != watch.version) {
            watch.version = version;
            changed = 1;
            /* and no connection answers from the state it last saw
             * (store_data_version_seen) while the caller rebuilds */
            store_commit_count();
        }
    }
    pthread_mutex_unlock(&watch.lock);
    return changed;
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

/* ---- writes ----------------------------------------------------------- */

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
    if (store_stmt_run(s, STMT_BEGIN_IMMEDIATE) != NEPTUN_OK) {
        pthread_mutex_unlock(&write_lock);
        return write_error(s, NEPTUN_ERROR);
    }
    return NEPTUN_OK;
}

/* COMMIT when ok is NEPTUN_OK, else ROLLBACK; returns the outcome. */
static int write_end(struct store *s, int ok)
{
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
    if (rc != SQLITE_ROW || delete_parts(s, id) != NEPTUN_OK)
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
