/*
 * store_open.c - opening and closing one SQLite connection.
 *
 * store_conn_open() makes a connection ready for the rest of the store:
 * SQLite's process-wide settings (once), the file opened read-write (a
 * read connection sets query_only: a read-only handle cannot create the WAL
 * index when it is the first to open), extended result codes, the busy
 * timeout, the pragmas every connection needs (foreign keys, WAL,
 * synchronous=FULL, untrusted schema), the search ranking function
 * (store_search.c), and then either the migrations (write connections,
 * store_migrate.c) or the schema version check (read connections).
 *
 * Alphabetical order is SQL's: ORDER BY title COLLATE neptun_pl, so LIMIT
 * and OFFSET page through the same order the reader sees.  The collations
 * are registered per connection on demand (sqlite3_collation_needed), each
 * owning an ICU UCollator that only its connection, and so only one thread
 * at a time, uses; SQLite closes it with the connection.
 *
 * Files that go away: a connection remembers the device and inode of the
 * file it opened, and store_file_check() compares them with what the path
 * holds now (store_write.c calls it before each COMMIT).  A marker beside
 * the file (STORE_MARKER_SUFFIX) remembers that a store was created, so a
 * start that finds the file missing refuses rather than making an empty
 * one; a write connection leaves the marker when there is none.
 *
 * Whether a read connection joins the change watch (store_watch.c) is
 * decided above, by store_open() in store.c: this file opens connections
 * for both, the watch's own included.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/stat.h>
#include <unicode/ucol.h>
#include "store_internal.h"
#include "log.h"

#define STORE_BUSY_TIMEOUT_MS 10000

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
 * store_conn_open() runs this first, so nothing has touched SQLite yet (when
 * something did, sqlite3_config() refuses and the defaults stay: slower,
 * still correct).  Each connection is used by one thread at a time (a
 * worker's own read and write connections, the CLI's one), so:
 *  - MULTITHREAD: no mutex per connection (store_conn_open also asks for that
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
int store_file_check(struct store *s)
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

int store_conn_open(const char *path, int flags, struct store **out, char **err)
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
    }
    *out = s;
    s = NULL;
    ret = NEPTUN_OK;
out:
    if (ret != NEPTUN_OK && *err == NULL)
        *err = open_error(path, "open", NULL);
    store_conn_close(s);
    return ret;
}

void store_conn_close(struct store *s)
{
    if (s == NULL)
        return;
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
