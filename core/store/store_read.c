/*
 * store_read.c - loading items: one by slug, lists and searches, the
 * snapshot walk used by export, and when the next scheduled item shows.
 *
 * A list is two statements on one read transaction (the count and the
 * page), so the total always agrees with the page.  Their SQL depends only
 * on which filters are present: values are always bound, never written into
 * the SQL, and each shape is prepared once per connection.
 */
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "store_internal.h"
#include "log.h"

/* ---- one item --------------------------------------------------------- */

/* A large answer (a calendar of hundreds of events) leaves its freed
 * request memory in the worker's malloc arena, where it stays resident;
 * the next store call after one hands it back to the system.  The trim
 * waits for the next call because the answer is still being rendered
 * from the items when store_list() returns. */
#define STORE_TRIM_AFTER_ITEMS 200

static void trim_if_pending(struct store *s)
{
    if (!s->trim_pending)
        return;
    s->trim_pending = 0;
#ifdef __GLIBC__
    (void)malloc_trim(0);
#endif
}


/* Grow a pool-owned array to hold one more element of size bytes. */
static void *grow(struct neptun_pool *pool, void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *nv = neptun_pool_alloc(pool, ncap * size);
    if (nv == NULL)
        return NULL;
    if (n)
        memcpy(nv, v, n * size);
    *cap = ncap;
    return nv;
}

static int visible(const struct neptun_item *it, int64_t now)
{
    return (it->status == NEPTUN_STATUS_PUBLISHED || it->status == NEPTUN_STATUS_ARCHIVED) &&
           (it->publish_at == 0 || it->publish_at <= now);
}

int store_get(struct store *s, struct neptun_pool *pool, const char *type, const char *slug,
              int include_hidden, int64_t now, struct neptun_item **out)
{
    struct neptun_item *it = NULL;
    sqlite3_stmt *st = NULL;
    int began = 0, ret = NEPTUN_ERROR;
    *out = NULL;

    trim_if_pending(s);
    if (type == NULL || slug == NULL)
        return NEPTUN_NOT_FOUND;
    if (store_read_begin(s, &began) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if ((st = store_stmt(s, STMT_ITEM_GET)) == NULL)
        goto out;
    if (store_bind_text(st, 1, type) || store_bind_text(st, 2, slug)) {
        store_log_error(s, "get: bind");
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ret = NEPTUN_NOT_FOUND;
        goto out;
    }
    if (rc != SQLITE_ROW) {
        store_log_error(s, "get");
        goto out;
    }
    if ((it = neptun_pool_alloc(pool, sizeof(*it))) == NULL) {
        ret = NEPTUN_NOMEM;
        goto out;
    }
    if ((ret = store_item_load(s, pool, st, 0, it)) != NEPTUN_OK)
        goto out;
    if (!include_hidden && !visible(it, now)) {
        ret = NEPTUN_NOT_FOUND;
        goto out;
    }
    *out = it;
out:
    store_stmt_done(st);
    store_read_end(s, began);
    return ret;
}

/* ---- lists and searches ----------------------------------------------- */

/*
 * With a search, "hits" keeps one row per item: its row in the reader's
 * language when that matched, else its best-ranked one; that language is
 * reported as matched_lang.  bm25 weights: title, summary, body, extra.
 */
static const char search_cte[] =
    "WITH hits AS ("
    " SELECT t.item_id AS item_id, t.lang AS lang,"
    "  bm25(item_search, 8.0, 3.0, 1.0, 2.0) AS score"
    " FROM item_search JOIN item_texts t ON t.id = item_search.rowid"
    " WHERE item_search MATCH :match),"
    " best AS ("
    " SELECT item_id, lang, score, row_number() OVER ("
    "  PARTITION BY item_id ORDER BY lang IS :lang DESC, score) AS rn FROM hits) ";

static void build_where(struct sql_text *t, const struct store_query *q, int search,
                        int tag_walk)
{
    if (search)
        store_sql_add(t, " FROM best b JOIN items i ON i.id = b.item_id WHERE b.rn = 1");
    else
        store_sql_add(t, " FROM items i WHERE 1");
    store_list_filters(t, q, tag_walk);
}

/* The title an item shows in the reader's language: the first language of
 * :chain (" de en pl ") that has a text, else its first text, as the
 * renderers pick it. */
static const char title_in_chain[] =
    "(SELECT t.title FROM item_texts t WHERE t.item_id = i.id"
    " ORDER BY coalesce(nullif(instr(:chain, ' ' || t.lang || ' '), 0), 1000000), t.id"
    " LIMIT 1)";

static void build_order(struct sql_text *t, const struct store_query *q, int search)
{
    char collation[64];
    if (q->order == STORE_ORDER_TITLE) {
        store_sql_add(t, " ORDER BY ");
        store_sql_add(t, title_in_chain);
        /* the name is made of a checked language tag: safe in SQL text */
        if (store_collation_name(q->lang, collation, sizeof collation) == NEPTUN_OK) {
            store_sql_add(t, " COLLATE ");
            store_sql_add(t, collation);
        }
        store_sql_add(t, ", i.id");
    } else if (q->order == STORE_ORDER_START)
        store_sql_add(t, " ORDER BY i.starts_at, i.id");
    else if (q->order == STORE_ORDER_RANK && search)
        store_sql_add(t, " ORDER BY b.lang IS :lang DESC, b.score, i.updated DESC, i.id DESC");
    else
        store_sql_add(t, " ORDER BY i.updated DESC, i.id DESC");
}

/* The total of a list.  Unfiltered lists (feeds, first pages) take it from
 * item_counts, kept by triggers, less the scheduled items, which a range
 * seek on publish_at finds ("+" keeps the planner on that index): a few
 * rows read however large the store.  Filtered lists count their matches. */
static void count_sql(struct sql_text *t, const struct store_query *q, int search)
{
    if (!search && q->from == 0 && q->to == 0 && !q->upcoming) {
        /* with a tag, its own kept counts (migration 3) */
        if (q->tag != NULL)
            store_sql_add(t, "SELECT (SELECT coalesce(sum(c.n), 0) FROM item_tag_counts c"
                       " WHERE c.tag = :tag");
        else
            store_sql_add(t, "SELECT (SELECT coalesce(sum(c.n), 0) FROM item_counts c WHERE 1");
        if (q->type != NULL)
            store_sql_add(t, " AND c.type = :type");
        if (!q->include_hidden) {
            store_sql_add(t, " AND c.status IN (1, 2))"
                       " - (SELECT count(*) FROM items i WHERE i.publish_at > :now"
                       " AND +i.status IN (1, 2)");
            if (q->type != NULL)
                store_sql_add(t, " AND +i.type = :type");
            if (q->tag != NULL)
                store_sql_add(t, " AND EXISTS (SELECT 1 FROM item_tags g WHERE g.item_id = i.id"
                           " AND g.tag = :tag)");
        }
        store_sql_add(t, ")");
        return;
    }
    if (search)
        store_sql_add(t, search_cte);
    store_sql_add(t, "SELECT count(*)");
    build_where(t, q, search, 0);
}

static int list_count(struct store *s, const struct store_query *q, const char *match,
                      size_t *total)
{
    struct sql_text t = {.len = 0};
    count_sql(&t, q, match != NULL);
    if (t.overflow) {
        log_error("store %s: list query too long", s->path);
        return NEPTUN_ERROR;
    }
    sqlite3_stmt *st = store_stmt_sql(s, t.buf);
    if (st == NULL)
        return NEPTUN_ERROR;
    int ret = NEPTUN_ERROR;
    if (store_bind_query(st, q, match, NULL, 0, 0) != SQLITE_OK) {
        store_log_error(s, "count: bind");
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        store_log_error(s, "count");
        goto out;
    }
    *total = (size_t)sqlite3_column_int64(st, 0);
    ret = NEPTUN_OK;
out:
    store_stmt_done(st);
    return ret;
}

/* " de en pl ": the chain as instr() in title_in_chain searches it. */
static const char *chain_words(struct neptun_pool *pool, const struct store_query *q)
{
    const char *words = " ";
    if (q->chain == NULL)
        return neptun_pool_printf(pool, " %s ", q->lang != NULL ? q->lang : "");
    for (size_t i = 0; words != NULL && q->chain[i] != NULL; i++)
        words = neptun_pool_printf(pool, "%s%s ", words, q->chain[i]);
    return words;
}

/* Tags with more matches than this are checked item by item along the
 * list's order (a page reads about page end / tag share items); rarer ones
 * are read from the tag's index and sorted. */
#define TAG_WALK_MIN 2000

static void page_sql(struct sql_text *t, const struct store_query *q, int search, size_t total)
{
    int tag_walk = q->tag != NULL && total >= TAG_WALK_MIN && q->order == STORE_ORDER_UPDATED;
    if (search)
        store_sql_add(t, search_cte);
    store_sql_add(t, "SELECT " STORE_ITEM_COLS);
    if (search)
        store_sql_add(t, ", b.lang");
    build_where(t, q, search, tag_walk);
    build_order(t, q, search);
    store_sql_add(t, " LIMIT :limit OFFSET :offset");
}

static int list_page(struct store *s, struct neptun_pool *pool, const struct store_query *q,
                     const char *match, size_t total, struct neptun_item ***items,
                     const char ***langs, size_t *n)
{
    struct sql_text t = {.len = 0};
    int search = match != NULL;
    struct neptun_item **v = NULL;
    const char **lv = NULL;
    size_t count = 0, cap = 0, lcap = 0;
    int ret = NEPTUN_ERROR;

    page_sql(&t, q, search, total);
    if (t.overflow) {
        log_error("store %s: list query too long", s->path);
        return NEPTUN_ERROR;
    }
    sqlite3_stmt *st = store_stmt_sql(s, t.buf);
    if (st == NULL)
        return NEPTUN_ERROR;
    int64_t limit = q->limit == 0 || q->limit > INT64_MAX ? -1 : (int64_t)q->limit;
    int64_t offset = q->offset > INT64_MAX ? INT64_MAX : (int64_t)q->offset;
    const char *chain = q->order == STORE_ORDER_TITLE ? chain_words(pool, q) : NULL;
    if (q->order == STORE_ORDER_TITLE && chain == NULL) {
        ret = NEPTUN_NOMEM;
        goto out;
    }
    if (store_bind_query(st, q, match, chain, limit, offset) != SQLITE_OK) {
        store_log_error(s, "list: bind");
        goto out;
    }
    /* the page's own rows first, then the parts of all its items at once */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct neptun_item *it = neptun_pool_alloc(pool, sizeof(*it));
        v = grow(pool, v, count, &cap, sizeof(*v));
        if (it == NULL || v == NULL) {
            ret = NEPTUN_NOMEM;
            goto out;
        }
        if ((ret = store_item_from_row(s, pool, st, 0, it)) != NEPTUN_OK)
            goto out;
        ret = NEPTUN_ERROR;
        if (search) {
            int oom = 0;
            lv = grow(pool, lv, count, &lcap, sizeof(*lv));
            if (lv == NULL) {
                ret = NEPTUN_NOMEM;
                goto out;
            }
            lv[count] = store_column_str(pool, st, STORE_ITEM_NCOLS, &oom);
            if (oom) {
                ret = NEPTUN_NOMEM;
                goto out;
            }
        }
        v[count++] = it;
    }
    if (rc != SQLITE_DONE) {
        store_log_error(s, "list");
        goto out;
    }
    store_stmt_done(st);
    st = NULL;
    if ((ret = store_items_load_parts(s, pool, v, count)) != NEPTUN_OK)
        goto out;
    *items = v;
    *langs = lv;
    *n = count;
    ret = NEPTUN_OK;
out:
    store_stmt_done(st);
    return ret;
}

/* A search in rank order takes the bounded path of store_search.c; other
 * orders of a search (title, date) need every match and count them here. */
static int ranked_search(const struct store_query *q, const char *match)
{
    return match != NULL && q->order == STORE_ORDER_RANK;
}

int store_list(struct store *s, struct neptun_pool *pool, const struct store_query *q,
               struct neptun_item ***items, const char ***matched_lang, size_t *n,
               size_t *total)
{
    const char *match = NULL;
    const char **langs = NULL;
    int began = 0, ret = NEPTUN_ERROR;

    trim_if_pending(s);

    *items = NULL;
    *n = 0;
    *total = 0;
    s->total_estimated = 0;
    if (matched_lang != NULL)
        *matched_lang = NULL;
    if (q->q != NULL) {
        match = store_fts_query(pool, q->q);
        if (match == NULL)
            return NEPTUN_NOMEM;
        if (*match == '\0')
            return NEPTUN_OK; /* nothing searchable typed: nothing found */
    }
    /* a plain page read before, with nothing committed since: no statement */
    uint64_t version = 0, changes = 0;
    if (match == NULL && s->pages != NULL && sqlite3_get_autocommit(s->db) &&
        store_pages_keeps(q) && store_data_version_seen(s, &version, &changes) &&
        store_pages_get(s->pages, pool, q, version, changes, items, n, total)) {
        store_kept_count(1, 1, 0);
        return NEPTUN_OK;
    }
    if (store_read_begin(s, &began) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (ranked_search(q, match)) {
        ret = store_search_ranked(s, pool, q, match, items, &langs, n, total);
        if (ret != NEPTUN_OK)
            goto out;
        if (matched_lang != NULL)
            *matched_lang = langs;
        goto out;
    }
    /* a plain page read before, with the file unchanged since */
    int keep = match == NULL && store_pages_keeps(q) &&
               store_data_version(s, &version, &changes) == NEPTUN_OK;
    if (keep && s->pages == NULL)
        s->pages = store_pages_new(); /* none kept if NULL */
    if (keep && store_pages_get(s->pages, pool, q, version, changes, items, n, total)) {
        store_kept_count(1, 1, 0);
        ret = NEPTUN_OK;
        goto out;
    }
    if (keep)
        store_kept_count(1, 0, 1);
    if (list_count(s, q, match, total) != NEPTUN_OK)
        goto out;
    if (*total > q->offset &&
        (ret = list_page(s, pool, q, match, *total, items, &langs, n)) != NEPTUN_OK)
        goto out;
    if (matched_lang != NULL)
        *matched_lang = langs;
    if (keep)
        store_pages_put(s->pages, q, version, changes,
                        q->include_hidden ? 0 : store_next_publish(s, q->type, q->now), *items,
                        *n, *total);
    ret = NEPTUN_OK;
out:
    store_read_end(s, began);
    if (*n >= STORE_TRIM_AFTER_ITEMS)
        s->trim_pending = 1;
    if (ret != NEPTUN_OK) {
        *items = NULL;
        *n = 0;
        *total = 0;
    }
    return ret;
}

/* ---- when the next scheduled item shows -------------------------------- */

/* Every cache miss asks when its answer expires; the answer only changes
 * when the file does (a commit by any connection or process moves its data
 * version) or when now passes it. */
/* The memo kept for type (NULL: every type), or NULL. */
static struct next_publish_memo *next_publish_memo(struct store *s, const char *type)
{
    for (size_t i = 0; i < STORE_NEXT_PUBLISH_MEMOS; i++) {
        struct next_publish_memo *m = &s->next_publish[i];
        if (m->used && (m->type == type ||
                        (m->type != NULL && type != NULL && strcmp(m->type, type) == 0)))
            return m;
    }
    return NULL;
}

static void next_publish_remember(struct store *s, const char *type, unsigned version,
                                  int64_t next)
{
    struct next_publish_memo *m = next_publish_memo(s, type);
    if (m == NULL)
        m = &s->next_publish[s->next_publish_turn++ % STORE_NEXT_PUBLISH_MEMOS];
    free((char *)m->type);
    m->type = type != NULL ? strdup(type) : NULL;
    m->used = type == NULL || m->type != NULL;
    m->data_version = version;
    m->next = next;
}

int64_t store_next_publish(struct store *s, const char *type, int64_t now)
{
    unsigned version = 0;
    int versioned = sqlite3_file_control(s->db, "main", SQLITE_FCNTL_DATA_VERSION, &version) ==
                    SQLITE_OK;
    if (versioned) {
        const struct next_publish_memo *m = next_publish_memo(s, type);
        if (m != NULL && m->data_version == version && (m->next == 0 || now < m->next))
            return m->next;
    }
    sqlite3_stmt *st = store_stmt(s, type ? STMT_NEXT_PUBLISH_TYPE : STMT_NEXT_PUBLISH_ALL);
    int64_t next = 0;
    if (st == NULL)
        return 0;
    if (store_bind_int64(st, 1, now) != SQLITE_OK ||
        (type != NULL && store_bind_text(st, 2, type) != SQLITE_OK)) {
        store_log_error(s, "next publish: bind");
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        next = sqlite3_column_int64(st, 0); /* NULL (none) reads as 0 */
        if (versioned)
            next_publish_remember(s, type, version, next);
    } else {
        store_log_error(s, "next publish");
    }
out:
    store_stmt_done(st);
    return next;
}

int64_t store_changed_at(struct store *s, const char *type, int64_t now)
{
    sqlite3_stmt *st = store_stmt(s, type ? STMT_CHANGED_AT_TYPE : STMT_CHANGED_AT_ALL);
    int64_t at = 0;
    if (st == NULL)
        return 0;
    if (store_bind_int64(st, 1, now) != SQLITE_OK ||
        (type != NULL && store_bind_text(st, 2, type) != SQLITE_OK)) {
        store_log_error(s, "changed at: bind");
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        at = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE) /* DONE: the type was never written */
        store_log_error(s, "changed at");
out:
    store_stmt_done(st);
    return at;
}

/* ---- export snapshot -------------------------------------------------- */

int store_foreach(struct store *s, const char *type,
                  int (*fn)(void *ud, const struct neptun_item *item), void *ud)
{
    sqlite3_stmt *st = NULL;
    int began = 0, ret = NEPTUN_ERROR, rc = SQLITE_DONE;

    if (store_read_begin(s, &began) != NEPTUN_OK)
        return NEPTUN_ERROR;
    /* The walk's own statement stays open while each item's parts load. */
    st = store_stmt(s, type ? STMT_FOREACH_TYPE : STMT_FOREACH_ALL);
    if (st == NULL)
        goto out;
    if (type != NULL && store_bind_text(st, 1, type) != SQLITE_OK) {
        store_log_error(s, "foreach: bind");
        goto out;
    }
    ret = NEPTUN_OK;
    while (ret == NEPTUN_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct neptun_pool *pool = neptun_pool_new(16384);
        struct neptun_item it;
        if (pool == NULL) {
            ret = NEPTUN_NOMEM;
            break;
        }
        ret = store_item_load_uncached(s, pool, st, 0, &it); /* a walk: keep nothing */
        if (ret == NEPTUN_OK)
            ret = fn(ud, &it);
        neptun_pool_free(pool);
    }
    if (ret == NEPTUN_OK && rc != SQLITE_DONE) {
        store_log_error(s, "foreach");
        ret = NEPTUN_ERROR;
    }
out:
    store_stmt_done(st);
    store_read_end(s, began);
    return ret;
}

/* ---- query plans ------------------------------------------------------ */

/* EXPLAIN QUERY PLAN of sql as an indented tree, one step a line. */
static const char *plan_of(struct store *s, struct neptun_pool *pool, const char *sql,
                           const struct store_query *q, const char *match)
{
    enum { DEPTH_MAX = 32 };
    int ids[DEPTH_MAX], depth = 0;
    sqlite3_stmt *st = NULL;
    const char *plan = "";
    const char *sql_eqp = neptun_pool_printf(pool, "EXPLAIN QUERY PLAN %s", sql);

    if (sql_eqp == NULL)
        return NULL;
    if (sqlite3_prepare_v2(s->db, sql_eqp, -1, &st, NULL) != SQLITE_OK) {
        store_log_error(s, "explain");
        plan = NULL;
        goto out;
    }
    if (store_bind_query(st, q, match, NULL, 20, 0) != SQLITE_OK) {
        store_log_error(s, "explain: bind");
        plan = NULL;
        goto out;
    }
    int rc;
    while (plan != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0), parent = sqlite3_column_int(st, 1);
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        /* a step's depth: one below its parent's (rows come parents first) */
        while (depth > 0 && ids[depth - 1] != parent)
            depth--;
        plan = neptun_pool_printf(pool, "%s%*s%s\n", plan, 2 * depth, "",
                                  detail != NULL ? detail : "?");
        if (depth < DEPTH_MAX)
            ids[depth++] = id;
    }
    if (plan != NULL && rc != SQLITE_DONE) {
        store_log_error(s, "explain");
        plan = NULL;
    }
out:
    sqlite3_finalize(st);
    return plan;
}

int store_explain(struct store *s, struct neptun_pool *pool, const struct store_query *q,
                  const char **count_plan, const char **page_plan)
{
    struct sql_text count = {.len = 0}, page = {.len = 0};
    const char *match = NULL;
    *count_plan = *page_plan = NULL;
    if (q->q != NULL && (match = store_fts_query(pool, q->q)) == NULL)
        return NEPTUN_NOMEM;
    if (match != NULL && *match != '\0' && ranked_search(q, match)) {
        /* one statement streams, ranks and counts */
        if (store_search_plan_sql(q, &page) != NEPTUN_OK)
            return NEPTUN_ERROR;
        *count_plan = "(counted while ranking: exact while the matches last, else estimated)\n";
        *page_plan = plan_of(s, pool, page.buf, q, match);
        return *page_plan != NULL ? NEPTUN_OK : NEPTUN_ERROR;
    }
    size_t total = 0;
    if (q->tag != NULL && list_count(s, q, match, &total) != NEPTUN_OK)
        return NEPTUN_ERROR;
    count_sql(&count, q, match != NULL);
    page_sql(&page, q, match != NULL, total);
    if (count.overflow || page.overflow)
        return NEPTUN_ERROR;
    *count_plan = plan_of(s, pool, count.buf, q, match);
    *page_plan = plan_of(s, pool, page.buf, q, match);
    return *count_plan != NULL && *page_plan != NULL ? NEPTUN_OK : NEPTUN_ERROR;
}
