/*
 * store_watch.c - noticing other processes' writes (store_poll_changes).
 *
 * A commit by another process (`neptun import` beside the running server)
 * reaches no cache of this one by itself.  While any read connection is
 * open, one more connection of the process, the watch's own (opened with
 * store_conn_open(), store_open.c), reads PRAGMA data_version at most once
 * per STORE_POLL_MS; when it moved, store_poll_changes() answers 1 and the
 * caller (the dispatcher) drops the answers derived from the file.  Read
 * connections join and leave the watch through store_open() and
 * store_close() (store.c): the first opens the watch's connection, the
 * last closes it.  The fast path, between looks, is one relaxed atomic
 * load; a look takes a trylock, so one thread looks while the others go on.
 */
#include <stdlib.h>
#include <stdatomic.h>
#include <pthread.h>
#include "store_internal.h"
#include "clock.h"
#include "log.h"

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

int store_watch_attach(const char *path)
{
    int ret = NEPTUN_OK;
    pthread_mutex_lock(&watch.lock);
    watch.users++;
    if (watch.s == NULL) {
        char *err = NULL;
        if (store_conn_open(path, STORE_READONLY, &watch.s, &err) != NEPTUN_OK ||
            watch_read(&watch.version) != NEPTUN_OK) {
            log_error("store %s: the change watcher: %s", path, err ? err : "cannot read");
            store_conn_close(watch.s);
            watch.s = NULL;
            ret = NEPTUN_ERROR;
        }
        free(err);
        atomic_store(&watch.next_ms, (int64_t)clock_monotonic_ms() + STORE_POLL_MS);
    }
    pthread_mutex_unlock(&watch.lock);
    return ret;
}

void store_watch_detach(void)
{
    pthread_mutex_lock(&watch.lock);
    if (--watch.users == 0) {
        store_conn_close(watch.s);
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
