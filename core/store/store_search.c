/*
 * store_search.c - ranked search in bounded work.
 *
 * Ranking every match does not scale: a topic word is in a sixth of all
 * texts, and bm25() costs a pass over each term's whole posting list (its
 * document frequency) plus a join and a score per match.  Instead the
 * matches are read newest first (FTS5 streams them in rowid order, so the
 * reading stops wherever we stop) in blocks of SEARCH_BLOCK_ROWS texts, and
 * each block is ranked on its own by neptun_rank() (below: term frequency
 * per column, weighted, length-normalised, a bonus for the words in order;
 * no document frequencies, so nothing outside the row is read).  The order
 * is: exact words before a prefix-only match of the last word, then block
 * (newer first), then items matched in the reader's language, then score.
 * A page therefore depends only on the blocks before it: paging is stable,
 * and a page deep in the results reads the blocks up to it and no more.
 *
 * The total is exact when the matches ran out within the blocks read (a
 * name, a rare word); otherwise it is an estimate, extrapolated from the
 * share of the text ids the read blocks span, and store_total_estimated()
 * says so.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"
#include "log.h"

#define SEARCH_BLOCK_ROWS 500

/* ---- neptun_rank(): an FTS5 auxiliary function ------------------------- */

/* Column weights of item_search (title, summary, body, extra). */
static const double rank_weight[] = {8.0, 3.0, 1.0, 2.0};
#define RANK_K1 1.2
#define RANK_B 0.75
#define RANK_MAX_INST 256 /* instances looked at for the in-order bonus */

/* Do phrases 1..n-1 follow the instance i of phrase 0 word by word? */
static int in_order_from(const Fts5ExtensionApi *api, Fts5Context *fts, int ninst, int i,
                         int nphrase)
{
    int p0, col, off;
    if (api->xInst(fts, i, &p0, &col, &off) != SQLITE_OK || p0 != 0)
        return 0;
    for (int k = 1; k < nphrase; k++) {
        int found = 0;
        for (int j = 0; j < ninst && !found; j++) {
            int p, c, o;
            if (api->xInst(fts, j, &p, &c, &o) == SQLITE_OK && p == k && c == col && o == off + k)
                found = 1;
        }
        if (!found)
            return 0;
    }
    return 1 + col; /* the column, plus one */
}

static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                    int nval, sqlite3_value **val)
{
    enum { NCOL = sizeof(rank_weight) / sizeof(rank_weight[0]) };
    int hits[NCOL] = {0}, ordered[NCOL] = {0};
    int ninst = 0, ncol = api->xColumnCount(fts), nphrase = api->xPhraseCount(fts);
    sqlite3_int64 nrow = 0;
    double score = 0.0;

    (void)nval;
    (void)val;
    if (ncol > NCOL)
        ncol = NCOL;
    if (api->xInstCount(fts, &ninst) != SQLITE_OK || api->xRowCount(fts, &nrow) != SQLITE_OK) {
        sqlite3_result_error(ctx, "neptun_rank: no match data", -1);
        return;
    }
    if (ninst > RANK_MAX_INST)
        ninst = RANK_MAX_INST;
    for (int i = 0; i < ninst; i++) {
        int p, c, o;
        if (api->xInst(fts, i, &p, &c, &o) == SQLITE_OK && c >= 0 && c < ncol)
            hits[c]++;
        if (nphrase > 1) {
            int col = in_order_from(api, fts, ninst, i, nphrase);
            if (col > 0 && col <= ncol)
                ordered[col - 1] = 1;
        }
    }
    for (int c = 0; c < ncol; c++) {
        int len = 0;
        sqlite3_int64 total = 0;
        if (hits[c] == 0)
            continue;
        if (api->xColumnSize(fts, c, &len) != SQLITE_OK ||
            api->xColumnTotalSize(fts, c, &total) != SQLITE_OK)
            len = 0, total = 0;
        double avg = nrow > 0 && total > 0 ? (double)total / (double)nrow : 1.0;
        double tf = hits[c];
        /* bm25's saturation and length norm, without document frequencies */
        score += rank_weight[c] * tf * (RANK_K1 + 1.0) /
                 (tf + RANK_K1 * (1.0 - RANK_B + RANK_B * (double)len / avg));
        /* the words as typed, in order: a phrase match */
        if (ordered[c])
            score += 2.0 * rank_weight[c];
    }
    sqlite3_result_double(ctx, score);
}

int store_search_register(struct store *s)
{
    fts5_api *fts = NULL;
    sqlite3_stmt *st = NULL;
    int ret = NEPTUN_ERROR;

    if (sqlite3_prepare_v2(s->db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_pointer(st, 1, (void *)&fts, "fts5_api_ptr", NULL) != SQLITE_OK) {
        store_log_error(s, "fts5 api");
        goto out;
    }
    (void)sqlite3_step(st);
    if (fts == NULL || fts->iVersion < 2 ||
        fts->xCreateFunction(fts, "neptun_rank", NULL, rank_fn, NULL) != SQLITE_OK) {
        store_log_error(s, "register neptun_rank");
        goto out;
    }
    ret = NEPTUN_OK;
out:
    sqlite3_finalize(st);
    return ret;
}

/* ---- candidates ------------------------------------------------------- */

struct cand {
    int64_t item_id;
    const char *lang;   /* language of its best text (pool) */
    double score;       /* of that text */
    int lang_hit;       /* the reader's language matched */
    int tier;           /* 0 exact words, 1 the last word as a prefix */
    size_t block;
};

struct cands {
    struct neptun_pool *pool;
    struct cand *v;
    size_t n, cap;
    size_t *slot;       /* open addressing: index + 1 into v, 0 empty */
    size_t nslot;
};

static size_t slot_of(const struct cands *c, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 20) & (c->nslot - 1);
    while (c->slot[i] != 0 && c->v[c->slot[i] - 1].item_id != id)
        i = (i + 1) & (c->nslot - 1);
    return i;
}

/* The candidate for id, added when new (*is_new); NULL when out of memory. */
static struct cand *cand_get(struct cands *c, int64_t id, int *is_new)
{
    *is_new = 0;
    if (c->nslot == 0 || (c->n + 1) * 2 > c->nslot) {
        size_t nslot = c->nslot ? c->nslot * 2 : 1024;
        size_t *slot = neptun_pool_calloc(c->pool, nslot, sizeof(*slot));
        if (slot == NULL)
            return NULL;
        size_t *old = c->slot, oldn = c->nslot;
        c->slot = slot;
        c->nslot = nslot;
        for (size_t i = 0; i < oldn; i++)
            if (old[i] != 0)
                c->slot[slot_of(c, c->v[old[i] - 1].item_id)] = old[i];
    }
    size_t i = slot_of(c, id);
    if (c->slot[i] != 0)
        return &c->v[c->slot[i] - 1];
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 256;
        struct cand *nv = neptun_pool_alloc(c->pool, ncap * sizeof(*nv));
        if (nv == NULL)
            return NULL;
        if (c->n)
            memcpy(nv, c->v, c->n * sizeof(*nv));
        c->v = nv;
        c->cap = ncap;
    }
    c->slot[i] = ++c->n;
    *is_new = 1;
    return &c->v[c->n - 1];
}

static int cand_order(const void *pa, const void *pb)
{
    const struct cand *a = pa, *b = pb;
    if (a->tier != b->tier)
        return a->tier - b->tier;
    if (a->block != b->block)
        return a->block < b->block ? -1 : 1;
    if (a->lang_hit != b->lang_hit)
        return b->lang_hit - a->lang_hit;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return a->item_id > b->item_id ? -1 : a->item_id < b->item_id;
}

/* The statement streaming the visible matches newest first: item, language,
 * score, text id.  CROSS JOIN keeps the full-text index the outer loop, so
 * its rowid order is the order read and nothing is sorted. */
static void stream_sql(struct sql_text *t, const struct store_query *q)
{
    store_sql_add(t, "SELECT t.item_id, t.lang, neptun_rank(item_search), item_search.rowid"
               " FROM item_search CROSS JOIN item_texts t ON t.id = item_search.rowid"
               " CROSS JOIN items i ON i.id = t.item_id"
               " WHERE item_search MATCH :match");
    store_list_filters(t, q, 1); /* only the rows read are checked */
    store_sql_add(t, " ORDER BY item_search.rowid DESC");
}

struct tier_result {
    int complete;         /* the matches ran out */
    int64_t last_rowid;   /* the oldest text id read */
    size_t items;         /* candidates this tier added */
};

/* Read match (tier) into c until it runs out, or a block is complete and
 * the candidates fill the page (want). */
static int read_tier(struct store *s, const struct store_query *q, const char *match, int tier,
                     size_t want, struct cands *c, struct tier_result *r)
{
    struct sql_text t = {.len = 0};
    size_t rows = 0;
    int rc, ret = NEPTUN_ERROR;

    memset(r, 0, sizeof(*r));
    stream_sql(&t, q);
    if (t.overflow) {
        log_error("store %s: search query too long", s->path);
        return NEPTUN_ERROR;
    }
    sqlite3_stmt *st = store_stmt_sql(s, t.buf);
    if (st == NULL)
        return NEPTUN_ERROR;
    if (store_bind_query(st, q, match, NULL, 0, 0) != SQLITE_OK) {
        store_log_error(s, "search: bind");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *lang = (const char *)sqlite3_column_text(st, 1);
        double score = sqlite3_column_double(st, 2);
        int lang_hit = lang != NULL && q->lang != NULL && strcmp(lang, q->lang) == 0;
        int is_new = 0;
        struct cand *cd = cand_get(c, id, &is_new);

        if (cd == NULL) {
            ret = NEPTUN_NOMEM;
            goto out;
        }
        if (is_new) {
            memset(cd, 0, sizeof(*cd));
            cd->item_id = id;
            cd->tier = tier;
            cd->block = rows / SEARCH_BLOCK_ROWS;
            cd->lang_hit = -1; /* below any real row */
            r->items++;
        }
        /* an item's best text: the reader's language, else the best score;
         * a tier-0 candidate keeps its exact-word score */
        if (cd->tier == tier && (lang_hit > cd->lang_hit ||
                                 (lang_hit == cd->lang_hit && score > cd->score))) {
            cd->lang = lang != NULL ? neptun_pool_strdup(c->pool, lang) : NULL;
            if (lang != NULL && cd->lang == NULL) {
                ret = NEPTUN_NOMEM;
                goto out;
            }
            cd->lang_hit = lang_hit;
            cd->score = score;
        }
        r->last_rowid = sqlite3_column_int64(st, 3);
        rows++;
        if (rows % SEARCH_BLOCK_ROWS == 0 && c->n >= want)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        store_log_error(s, "search");
        goto out;
    }
    r->complete = rc == SQLITE_DONE;
    ret = NEPTUN_OK;
out:
    store_stmt_done(st);
    return ret;
}

/* Matches a tier did not read, extrapolated: its candidates per text id
 * over the span of ids it read, times the ids it did not reach. */
static size_t tier_estimate(struct store *s, const struct tier_result *r)
{
    sqlite3_stmt *st = store_stmt(s, STMT_TEXT_MAX_ID);
    int64_t max_id = 0;
    if (st == NULL)
        return r->items;
    if (sqlite3_step(st) == SQLITE_ROW)
        max_id = sqlite3_column_int64(st, 0);
    store_stmt_done(st);
    if (max_id <= r->last_rowid || r->last_rowid <= 0)
        return r->items;
    double span = (double)(max_id - r->last_rowid + 1);
    double est = (double)r->items * (double)max_id / span;
    return est > (double)r->items ? (size_t)llround(est) : r->items;
}

/* The page's items, one statement for their rows and three for their
 * parts, in candidate order. */
static int load_page(struct store *s, struct neptun_pool *pool, const struct cands *c,
                     size_t offset, size_t limit, struct neptun_item ***items,
                     const char ***langs, size_t *n)
{
    size_t end = limit == 0 || offset + limit > c->n ? c->n : offset + limit;
    size_t count = end > offset ? end - offset : 0;
    struct neptun_item **v = NULL;
    const char **lv = NULL;
    int64_t *ids = NULL;
    sqlite3_stmt *st = NULL;
    size_t loaded = 0;
    int rc, ret = NEPTUN_NOMEM;

    *n = 0;
    if (count == 0)
        return NEPTUN_OK;
    v = neptun_pool_calloc(pool, count, sizeof(*v));
    lv = neptun_pool_alloc(pool, count * sizeof(*lv));
    ids = neptun_pool_alloc(pool, count * sizeof(*ids));
    if (v == NULL || lv == NULL || ids == NULL)
        goto out;
    for (size_t k = 0; k < count; k++) {
        ids[k] = c->v[offset + k].item_id;
        lv[k] = c->v[offset + k].lang;
    }
    const char *json = store_ids_json(pool, ids, count);
    if (json == NULL)
        goto out;
    ret = NEPTUN_ERROR;
    if ((st = store_stmt(s, STMT_ITEMS_BY_IDS)) == NULL)
        goto out;
    if (store_bind_text(st, 1, json) != SQLITE_OK) {
        store_log_error(s, "search: bind");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 k = sqlite3_column_int64(st, 0);
        if (k < 0 || (uint64_t)k >= count || v[k] != NULL)
            continue; /* cannot happen: one row per id */
        if ((v[k] = neptun_pool_alloc(pool, sizeof(**v))) == NULL) {
            ret = NEPTUN_NOMEM;
            goto out;
        }
        if ((ret = store_item_from_row(s, pool, st, 1, v[k])) != NEPTUN_OK)
            goto out;
        ret = NEPTUN_ERROR;
        loaded++;
    }
    if (rc != SQLITE_DONE) {
        store_log_error(s, "search: load items");
        goto out;
    }
    if (loaded != count) {
        log_error("store %s: search: %zu of %zu items found", s->path, loaded, count);
        goto out;
    }
    store_stmt_done(st);
    st = NULL;
    if ((ret = store_items_load_parts(s, pool, v, count)) != NEPTUN_OK)
        goto out;
    *items = v;
    *langs = lv;
    *n = count;
out:
    store_stmt_done(st);
    return ret;
}

int store_search_ranked(struct store *s, struct neptun_pool *pool, const struct store_query *q,
                        const char *match, struct neptun_item ***items, const char ***langs,
                        size_t *n, size_t *total)
{
    struct cands c = {.pool = pool};
    struct tier_result exact, prefix = {0};
    size_t want = q->limit == 0 ? SIZE_MAX : q->offset + q->limit;
    int ret;

    s->total_estimated = 0;
    /* the query ends in '*' (the last word as a prefix): first without it */
    size_t len = strlen(match);
    char *exact_match = neptun_pool_strndup(pool, match, len > 0 && match[len - 1] == '*' ?
                                                         len - 1 : len);
    if (exact_match == NULL)
        return NEPTUN_NOMEM;
    if ((ret = read_tier(s, q, exact_match, 0, want, &c, &exact)) != NEPTUN_OK)
        return ret;
    *total = exact.items;
    if (!exact.complete) {
        /* more exact matches than read: prefixes would rank after them all */
        *total = tier_estimate(s, &exact);
        s->total_estimated = 1;
    } else if (strcmp(match, exact_match) != 0) {
        if ((ret = read_tier(s, q, match, 1, want, &c, &prefix)) != NEPTUN_OK)
            return ret;
        *total = exact.items + (prefix.complete ? prefix.items : tier_estimate(s, &prefix));
        s->total_estimated = !prefix.complete;
    }
    if (c.n > 1)
        qsort(c.v, c.n, sizeof(*c.v), cand_order);
    return load_page(s, pool, &c, q->offset, q->limit, items, langs, n);
}

int store_search_plan_sql(const struct store_query *q, struct sql_text *t)
{
    stream_sql(t, q);
    return t->overflow ? NEPTUN_ERROR : NEPTUN_OK;
}

int store_total_estimated(const struct store *s)
{
    return s->total_estimated;
}
