/*
 * render_fragments.c - per-item pieces of answers, rendered once and kept.
 *
 * Whatever of an answer depends only on one stored item and the answer's
 * language - a feed's whole <item> or <entry>, a list's <entry>, a VEVENT,
 * and inside them the type's render_xml output, the human XHTML block
 * (body + render_xhtml) and the re-serialised body - was most of the cost
 * of a cache miss: parsing the stored fields XML, ICU date intervals,
 * parsing the body again to write it.  It is made once and kept here,
 * shared by every worker, so a miss assembles kept pieces.
 *
 * One record per stored item (by row id) holds a private copy of the item
 * as it was when its pieces were made, and the pieces per (language,
 * kind).  A lookup compares the item in hand with that copy, field by
 * field: a record never answers for other content, whatever changed it -
 * an edit (a new revision), an on_item rule that reshaped the item for
 * this answer (title, summary, tags, links: the events block shows the
 * registration link), or a deleted item whose row id SQLite gave to a new
 * one.  Such items are rendered afresh; the record is replaced only by a
 * newer revision, so a rule's reshaped copies never evict the stored form.
 *
 * Sharded like the answer cache (one mutex per shard), bounded in bytes
 * with the least recently used records going first.  Hits are copied into
 * the request's pool: nothing a request holds points into a record.
 *
 * The memo knows no format: a piece missing is made by the maker its
 * caller passes (render_piece_fn), a format's own for a whole <item>,
 * <entry> or VEVENT, one of those below for the pieces formats share (the
 * human block, the body, the type's fields).  The kind is only the key.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "content.h"
#include "lru.h"
#include "render_internal.h"

#define FRAG_SHARDS 16
#define FRAG_BUCKETS 1024 /* per shard; a power of two */

struct piece {
    char *bytes; /* malloc'd, NUL-terminated; NULL: not made yet */
    size_t len;
};

struct record {
    struct neptun_item item;  /* the copy its pieces were made from */
    char *copy;               /* one allocation holding item's arrays and strings */
    struct piece *pieces;     /* [language slot * RENDER_PIECES + kind] */
    size_t nslots;            /* language slots (configured languages) */
    size_t cost;
    struct lru_node lru;
    struct record *hnext;
};

struct shard {
    pthread_mutex_t lock;
    struct record *buckets[FRAG_BUCKETS];
    struct lru_list lru;
    size_t bytes;
};

static struct shard shards[FRAG_SHARDS];
static atomic_size_t shard_budget;  /* 0: nothing is kept */
static atomic_int initialised;
static _Atomic uint64_t hits, misses;
static atomic_size_t total_bytes;

/* ---- records and shards ----------------------------------------------- */

static uint64_t id_hash(int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

static struct shard *shard_of(uint64_t h)
{
    return &shards[h & (FRAG_SHARDS - 1)];
}

static struct record **bucket_of(struct shard *s, uint64_t h)
{
    return &s->buckets[(h >> 8) & (FRAG_BUCKETS - 1)];
}

static void record_free(struct record *r)
{
    for (size_t i = 0; r->pieces != NULL && i < r->nslots * RENDER_PIECES; i++)
        free(r->pieces[i].bytes);
    free(r->pieces);
    free(r->copy);
    free(r);
}

/* The link that points to the record of id in s (to *link == NULL when none). */
static struct record **find(struct shard *s, uint64_t h, int64_t id)
{
    struct record **link = bucket_of(s, h);
    while (*link != NULL && (*link)->item.id != id)
        link = &(*link)->hnext;
    return link;
}

static void shard_remove(struct shard *s, struct record **link)
{
    struct record *r = *link;
    *link = r->hnext;
    lru_unlink(&s->lru, &r->lru);
    s->bytes -= r->cost;
    atomic_fetch_sub(&total_bytes, r->cost);
    record_free(r);
}

static void shard_charge(struct shard *s, size_t cost)
{
    s->bytes += cost;
    atomic_fetch_add(&total_bytes, cost);
}

/* Evict from the cold end until s fits its budget again; keep spares. */
static void shard_trim(struct shard *s, size_t budget, const struct record *keep)
{
    while (s->bytes > budget && s->lru.tail != NULL &&
           (keep == NULL || s->lru.tail != &keep->lru)) {
        struct record *victim = LRU_RECORD(s->lru.tail, struct record, lru);
        uint64_t h = id_hash(victim->item.id);
        shard_remove(s, find(s, h, victim->item.id));
    }
}

static struct record *record_new(const struct neptun_item *item, size_t nslots)
{
    struct record *r = calloc(1, sizeof *r);
    size_t size = item_copy_size(item);
    if (r == NULL)
        return NULL;
    r->copy = malloc(size > 0 ? size : 1);
    r->pieces = calloc(nslots * RENDER_PIECES, sizeof *r->pieces);
    if (r->copy == NULL || r->pieces == NULL) {
        free(r->copy);
        free(r->pieces);
        free(r);
        return NULL;
    }
    r->nslots = nslots;
    item_copy(&r->item, item, r->copy);
    r->cost = sizeof *r + size + nslots * RENDER_PIECES * sizeof *r->pieces;
    return r;
}

/* ---- the store's interface -------------------------------------------- */

void render_fragments_init(size_t max_bytes)
{
    if (!atomic_exchange(&initialised, 1))
        for (size_t i = 0; i < FRAG_SHARDS; i++)
            pthread_mutex_init(&shards[i].lock, NULL);
    render_fragments_clear();
    atomic_store(&shard_budget, max_bytes / FRAG_SHARDS);
}

void render_fragments_clear(void)
{
    if (!atomic_load(&initialised))
        return;
    for (size_t i = 0; i < FRAG_SHARDS; i++) {
        struct shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        shard_trim(s, 0, NULL);
        pthread_mutex_unlock(&s->lock);
    }
}

void render_fragments_stats(uint64_t *hits_out, uint64_t *misses_out, size_t *bytes)
{
    if (hits_out != NULL)
        *hits_out = atomic_load(&hits);
    if (misses_out != NULL)
        *misses_out = atomic_load(&misses);
    if (bytes != NULL)
        *bytes = atomic_load(&total_bytes);
}

/* Where lang's pieces go: its place among the configured languages, or -1
 * (nothing is kept for a language the configuration does not know). */
static int lang_slot(const char *lang)
{
    const struct conf_lang *cl = lang != NULL ? conf_lang(neptun_conf, lang) : NULL;
    return cl != NULL ? (int)(cl - neptun_conf->langs) : -1;
}

static int keepable(const struct neptun_item *item, const char *lang, enum render_piece piece)
{
    return atomic_load_explicit(&shard_budget, memory_order_relaxed) > 0 && item != NULL &&
           item->id != 0 && (unsigned)piece < RENDER_PIECES && lang_slot(lang) >= 0;
}

int render_fragment_get(struct neptun_pool *pool, const struct neptun_item *item, const char *lang,
                        enum render_piece piece, const char **out, size_t *len)
{
    int found = 0;
    if (!keepable(item, lang, piece))
        return 0;
    int slot = lang_slot(lang);
    uint64_t h = id_hash(item->id);
    struct shard *s = shard_of(h);

    pthread_mutex_lock(&s->lock);
    struct record *r = *find(s, h, item->id);
    const struct piece *p = r != NULL && (size_t)slot < r->nslots
                                ? &r->pieces[(size_t)slot * RENDER_PIECES + piece] : NULL;
    if (p != NULL && p->bytes != NULL && item_same(&r->item, item)) {
        char *copy = neptun_pool_alloc(pool, p->len + 1);
        if (copy != NULL) {
            memcpy(copy, p->bytes, p->len + 1);
            *out = copy;
            *len = p->len;
            found = 1;
            lru_unlink(&s->lru, &r->lru);
            lru_push_front(&s->lru, &r->lru);
        }
    }
    pthread_mutex_unlock(&s->lock);
    atomic_fetch_add_explicit(found ? &hits : &misses, 1, memory_order_relaxed);
    return found;
}

void render_fragment_put(const struct neptun_item *item, const char *lang, enum render_piece piece,
                         const char *bytes, size_t len)
{
    if (bytes == NULL || !keepable(item, lang, piece))
        return;
    size_t budget = atomic_load(&shard_budget);
    int slot = lang_slot(lang);
    uint64_t h = id_hash(item->id);
    struct shard *s = shard_of(h);
    struct record *fresh = NULL;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return;
    memcpy(copy, bytes, len);
    copy[len] = '\0';

    pthread_mutex_lock(&s->lock);
    struct record **link = find(s, h, item->id);
    struct record *r = *link;
    if (r != NULL && !item_same(&r->item, item)) {
        /* Only a newer revision replaces a record: the same revision with
         * other content is a copy reshaped by a rule (or a reused row id),
         * rendered afresh while the stored form keeps its pieces. */
        if (item->revision <= r->item.revision)
            goto out;
        shard_remove(s, link);
        r = NULL;
    }
    if (r == NULL) {
        fresh = record_new(item, neptun_conf->nlangs);
        if (fresh == NULL || fresh->cost + len > budget)
            goto out;
        link = bucket_of(s, h);
        fresh->hnext = *link;
        *link = fresh;
        lru_push_front(&s->lru, &fresh->lru);
        shard_charge(s, fresh->cost);
        r = fresh;
        fresh = NULL;
    }
    struct piece *p = (size_t)slot < r->nslots ? &r->pieces[(size_t)slot * RENDER_PIECES + piece]
                                               : NULL;
    if (p != NULL && p->bytes == NULL) {
        p->bytes = copy;
        p->len = len;
        copy = NULL;
        r->cost += len + 1;
        shard_charge(s, len + 1);
    }
    lru_unlink(&s->lru, &r->lru);
    lru_push_front(&s->lru, &r->lru);
    shard_trim(s, budget, r);
out:
    pthread_mutex_unlock(&s->lock);
    if (fresh != NULL)
        record_free(fresh);
    free(copy);
}

/* ---- making pieces ---------------------------------------------------- */

const char *render_write_apart(struct neptun_pool *pool,
                               int (*write)(xmlTextWriterPtr w, const void *arg),
                               const void *arg, size_t *len)
{
    const char *bytes = NULL;
    xmlTextWriterPtr w = NULL;
    xmlBufferPtr buf = xmlBufferCreate();
    if (buf == NULL)
        goto out;
    w = xmlNewTextWriterMemory(buf, 0);
    if (w == NULL || write(w, arg) != NEPTUN_OK || xmlTextWriterFlush(w) < 0)
        goto out;
    *len = (size_t)xmlBufferLength(buf);
    bytes = neptun_pool_strndup(pool, (const char *)xmlBufferContent(buf), *len);
out:
    if (w != NULL)
        xmlFreeTextWriter(w);
    if (buf != NULL)
        xmlBufferFree(buf);
    return bytes;
}

/* The context the shared pieces are made from. */
struct piece_job {
    struct neptun_render_ctx ctx;
    struct render_pick pick;
    const struct neptun_type *type;
};

static void piece_job_init(struct piece_job *pj, const struct render_item_job *job)
{
    render_pick_text(job->item, job->chain, &pj->pick);
    pj->type = types_find(job->item->type);
    render_ctx_init(&pj->ctx, job->pool, job->item, job->lang, job->chain);
}

static int write_human(xmlTextWriterPtr w, const void *arg)
{
    const struct piece_job *pj = arg;
    return render_write_human(w, &pj->ctx, &pj->pick);
}

static int write_body(xmlTextWriterPtr w, const void *arg)
{
    const struct piece_job *pj = arg;
    return xmlutil_write_fragment(w, pj->pick.body);
}

static int write_fields(xmlTextWriterPtr w, const void *arg)
{
    const struct piece_job *pj = arg;
    if (pj->type == NULL || pj->type->render_xml == NULL || pj->ctx.fields == NULL)
        return NEPTUN_OK;
    return pj->type->render_xml(pj->type->ud, &pj->ctx, w);
}

const char *render_human_piece(const struct render_item_job *job, size_t *len)
{
    struct piece_job pj;
    piece_job_init(&pj, job);
    return render_write_apart(job->pool, write_human, &pj, len);
}

const char *render_human_text_piece(const struct render_item_job *job, size_t *len)
{
    size_t human_len;
    const char *human = render_piece(job->pool, job->item, job->lang, job->chain,
                                     RENDER_PIECE_HUMAN, &human_len, render_human_piece);
    if (human == NULL)
        return NULL;
    /* The escaped form of the block as an element's content, as the writer
     * would put it (libxml2's own escaping). */
    xmlChar *e = xmlEncodeSpecialChars(NULL, BAD_CAST human);
    if (e == NULL)
        return NULL;
    *len = strlen((const char *)e);
    const char *copy = neptun_pool_strndup(job->pool, (const char *)e, *len);
    xmlFree(e);
    return copy;
}

const char *render_body_piece(const struct render_item_job *job, size_t *len)
{
    struct piece_job pj;
    piece_job_init(&pj, job);
    if (pj.pick.body == NULL) {
        *len = 0;
        return "";
    }
    return render_write_apart(job->pool, write_body, &pj, len);
}

const char *render_fields_piece(const struct render_item_job *job, size_t *len)
{
    struct piece_job pj;
    piece_job_init(&pj, job);
    return render_write_apart(job->pool, write_fields, &pj, len);
}

/* ---- the memo --------------------------------------------------------- */

/* Pieces made on the way to a whole one are not kept apart: the whole one
 * is what the next answer asks for (a search, which cannot take whole
 * pieces, keeps its own).  Per thread, as making is. */
static _Thread_local int making_whole;

static int is_whole(enum render_piece piece)
{
    return piece == RENDER_PIECE_RSS_ITEM || piece == RENDER_PIECE_ATOM_ENTRY ||
           piece == RENDER_PIECE_LIST_ENTRY || piece == RENDER_PIECE_VEVENT;
}

const char *render_piece(struct neptun_pool *pool, const struct neptun_item *item,
                         const char *lang, const char *const *chain, enum render_piece piece,
                         size_t *len, render_piece_fn make)
{
    const char *bytes = NULL;
    if (render_fragment_get(pool, item, lang, piece, &bytes, len))
        return bytes;
    const struct render_item_job job = { pool, item, lang, chain };
    int whole = is_whole(piece);
    making_whole += whole;
    bytes = make(&job, len);
    making_whole -= whole;
    if (bytes != NULL && (whole || making_whole == 0))
        render_fragment_put(item, lang, piece, bytes, *len);
    return bytes;
}

int render_write_piece(xmlTextWriterPtr w, struct neptun_pool *pool,
                       const struct neptun_item *item, const char *lang,
                       const char *const *chain, enum render_piece piece, render_piece_fn make)
{
    size_t len = 0;
    const char *bytes = render_piece(pool, item, lang, chain, piece, &len, make);
    if (bytes == NULL)
        return NEPTUN_ERROR;
    if (len > 0 && xmlTextWriterWriteRawLen(w, BAD_CAST bytes, (int)len) < 0)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}
