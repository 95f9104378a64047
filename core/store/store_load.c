/*
 * store_load.c - rows into items: an item's own columns, and the texts,
 * tags and links of a whole page of items with three statements however
 * long the page is (not three per item).
 *
 * The page's item ids go to each part statement as one JSON array bound to
 * ?1.  json_each() walks it as the outer loop (CROSS JOIN fixes that order),
 * so each id costs one index seek and no temporary table is built, and its
 * key, the id's position in the array, says which item a row belongs to.
 * Within an item the rows come in index order (texts by language), so they
 * are put into stored order here (texts by id, tags and links by pos): a
 * few small records moved in C rather than SQLite sorting whole rows with
 * their bodies.  Every string is copied once, from SQLite's row into the
 * caller's pool.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "store_internal.h"
#include "log.h"

const char *store_column_str(struct neptun_pool *pool, sqlite3_stmt *st, int col, int *oom)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    if (text == NULL) {
        /* NULL, or SQLite out of memory converting the value */
        if (sqlite3_column_type(st, col) != SQLITE_NULL)
            *oom = 1;
        return NULL;
    }
    char *copy = neptun_pool_strndup(pool, (const char *)text,
                                     (size_t)sqlite3_column_bytes(st, col));
    if (copy == NULL)
        *oom = 1;
    return copy;
}

int store_item_from_row(struct store *s, struct neptun_pool *pool, sqlite3_stmt *st, int c,
                        struct neptun_item *it)
{
    int oom = 0;
    memset(it, 0, sizeof(*it));
    it->id = sqlite3_column_int64(st, c + 0);
    it->type = store_column_str(pool, st, c + 1, &oom);
    it->slug = store_column_str(pool, st, c + 2, &oom);
    it->status = (enum neptun_status)sqlite3_column_int(st, c + 3);
    it->publish_at = sqlite3_column_int64(st, c + 4);
    it->created = sqlite3_column_int64(st, c + 5);
    it->updated = sqlite3_column_int64(st, c + 6);
    it->starts_at = sqlite3_column_int64(st, c + 7);
    it->ends_at = sqlite3_column_int64(st, c + 8);
    it->revision = sqlite3_column_int64(st, c + 9);
    it->fields_xml = store_column_str(pool, st, c + 10, &oom);
    if (oom) {
        log_error("store %s: out of memory loading an item", s->path);
        return NEPTUN_NOMEM;
    }
    return NEPTUN_OK;
}

const char *store_ids_json(struct neptun_pool *pool, const int64_t *ids, size_t n)
{
    enum { ID_CHARS_MAX = 21 }; /* "-9223372036854775808," */
    if (n > (SIZE_MAX - 3) / ID_CHARS_MAX)
        return NULL;
    size_t cap = n * ID_CHARS_MAX + 3, len = 0;
    char *json = neptun_pool_alloc(pool, cap);
    if (json == NULL)
        return NULL;
    json[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(json + len, cap - len, "%s%" PRId64, i > 0 ? "," : "", ids[i]);
    json[len++] = ']';
    json[len] = '\0';
    return json;
}

/* ---- the parts of a page ---------------------------------------------- */

/* Where a part row goes: the item's position in the page, and the row's
 * place among that item's rows (text id, tag or link pos).  First member
 * of every row type below, so the sort can read it from any of them. */
struct part_key {
    size_t pos;
    int64_t order;
};

struct text_row {
    struct part_key key;
    struct neptun_text text;
};

struct tag_row {
    struct part_key key;
    const char *tag;
};

struct link_row {
    struct part_key key;
    struct neptun_link link;
};

union any_row {
    struct text_row text;
    struct tag_row tag;
    struct link_row link;
};

/* One kind of part: its statement (item position, order, then the part's
 * columns) and how a row becomes a record; fill returns non-zero when out
 * of memory. */
struct part_kind {
    enum store_stmt_id stmt;
    const char *what;
    size_t row_size;
    int (*fill)(struct neptun_pool *pool, sqlite3_stmt *st, void *row);
};

static int fill_text(struct neptun_pool *pool, sqlite3_stmt *st, void *row)
{
    struct neptun_text *t = &((struct text_row *)row)->text;
    int oom = 0;
    t->lang = store_column_str(pool, st, 2, &oom);
    t->title = store_column_str(pool, st, 3, &oom);
    t->summary = store_column_str(pool, st, 4, &oom);
    t->body = store_column_str(pool, st, 5, &oom);
    return oom;
}

static int fill_tag(struct neptun_pool *pool, sqlite3_stmt *st, void *row)
{
    int oom = 0;
    ((struct tag_row *)row)->tag = store_column_str(pool, st, 2, &oom);
    return oom;
}

static int fill_link(struct neptun_pool *pool, sqlite3_stmt *st, void *row)
{
    struct neptun_link *l = &((struct link_row *)row)->link;
    int oom = 0;
    l->rel = store_column_str(pool, st, 2, &oom);
    l->href = store_column_str(pool, st, 3, &oom);
    l->lang = store_column_str(pool, st, 4, &oom);
    l->title = store_column_str(pool, st, 5, &oom);
    l->mime = store_column_str(pool, st, 6, &oom);
    return oom;
}

static const struct part_kind texts_kind = {
    STMT_TEXTS_LOAD, "load texts", sizeof(struct text_row), fill_text
};
static const struct part_kind tags_kind = {
    STMT_TAGS_LOAD, "load tags", sizeof(struct tag_row), fill_tag
};
static const struct part_kind links_kind = {
    STMT_LINKS_LOAD, "load links", sizeof(struct link_row), fill_link
};

static int key_order(const struct part_key *a, const struct part_key *b)
{
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

/* Insertion sort by key: rows arrive by position already (the outer loop)
 * and nearly in order within an item, so this is about linear and, unlike
 * qsort, never allocates. */
static void sort_rows(unsigned char *rows, size_t n, size_t size)
{
    union any_row held;
    for (size_t i = 1; i < n; i++) {
        unsigned char *row = rows + i * size;
        if (key_order((const struct part_key *)(row - size), (const struct part_key *)row) <= 0)
            continue;
        size_t j = i - 1;
        memcpy(&held, row, size);
        while (j > 0 && key_order((const struct part_key *)(rows + (j - 1) * size),
                                  &held.text.key) > 0)
            j--;
        memmove(rows + (j + 1) * size, rows + j * size, (i - j) * size);
        memcpy(rows + j * size, &held, size);
    }
}

/* Grow a pool-owned array of size-byte records to hold one more. */
static unsigned char *grow_rows(struct neptun_pool *pool, unsigned char *rows, size_t n,
                                size_t *cap, size_t size)
{
    if (n < *cap)
        return rows;
    size_t ncap = *cap * 2;
    if (ncap < 8)
        ncap = 8;
    unsigned char *nrows = neptun_pool_alloc(pool, ncap * size);
    if (nrows == NULL)
        return NULL;
    if (n > 0)
        memcpy(nrows, rows, n * size);
    *cap = ncap;
    return nrows;
}

/* Every row of kind for the npage items of ids (JSON), sorted by key. */
static int read_part(struct store *s, struct neptun_pool *pool, const struct part_kind *kind,
                     const char *ids, size_t npage, unsigned char **out, size_t *nout)
{
    sqlite3_stmt *st = store_stmt(s, kind->stmt);
    unsigned char *rows = NULL;
    size_t n = 0, cap = npage; /* about one row per item to start with */
    int rc = SQLITE_DONE, ret = NEPTUN_ERROR;

    *out = NULL;
    *nout = 0;
    if (st == NULL)
        return NEPTUN_ERROR;
    if (store_bind_text(st, 1, ids) != SQLITE_OK) {
        store_log_error(s, kind->what);
        goto out;
    }
    if (cap > 0 && (rows = neptun_pool_alloc(pool, cap * kind->row_size)) == NULL) {
        ret = NEPTUN_NOMEM;
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sqlite3_int64 pos = sqlite3_column_int64(st, 0);
        if (pos < 0 || (uint64_t)pos >= npage) {
            log_error("store %s: %s: a row for no item of the page", s->path, kind->what);
            goto out;
        }
        if ((rows = grow_rows(pool, rows, n, &cap, kind->row_size)) == NULL) {
            ret = NEPTUN_NOMEM;
            goto out;
        }
        struct part_key *key = (struct part_key *)(rows + n * kind->row_size);
        key->pos = (size_t)pos;
        key->order = sqlite3_column_int64(st, 1);
        if (kind->fill(pool, st, key) != 0) {
            log_error("store %s: out of memory loading an item", s->path);
            ret = NEPTUN_NOMEM;
            goto out;
        }
        n++;
    }
    if (rc != SQLITE_DONE) {
        store_log_error(s, kind->what);
        goto out;
    }
    sort_rows(rows, n, kind->row_size);
    *out = rows;
    *nout = n;
    ret = NEPTUN_OK;
out:
    store_stmt_done(st);
    return ret;
}

/* Each item's rows are adjacent once sorted: an item's array starts at its
 * first row and counts the rest. */
static int load_texts(struct store *s, struct neptun_pool *pool, struct neptun_item *const *items,
                      size_t n, const char *ids)
{
    unsigned char *raw = NULL;
    size_t nrows = 0;
    int ret = read_part(s, pool, &texts_kind, ids, n, &raw, &nrows);
    if (ret != NEPTUN_OK || nrows == 0)
        return ret;
    const struct text_row *rows = (const struct text_row *)raw;
    struct neptun_text *texts = neptun_pool_alloc(pool, nrows * sizeof(*texts));
    if (texts == NULL)
        return NEPTUN_NOMEM;
    for (size_t r = 0; r < nrows; r++) {
        struct neptun_item *it = items[rows[r].key.pos];
        texts[r] = rows[r].text;
        if (it->ntexts++ == 0)
            it->texts = &texts[r];
    }
    return NEPTUN_OK;
}

static int load_tags(struct store *s, struct neptun_pool *pool, struct neptun_item *const *items,
                     size_t n, const char *ids)
{
    unsigned char *raw = NULL;
    size_t nrows = 0;
    int ret = read_part(s, pool, &tags_kind, ids, n, &raw, &nrows);
    if (ret != NEPTUN_OK || nrows == 0)
        return ret;
    const struct tag_row *rows = (const struct tag_row *)raw;
    const char **tags = neptun_pool_alloc(pool, nrows * sizeof(*tags));
    if (tags == NULL)
        return NEPTUN_NOMEM;
    for (size_t r = 0; r < nrows; r++) {
        struct neptun_item *it = items[rows[r].key.pos];
        tags[r] = rows[r].tag;
        if (it->ntags++ == 0)
            it->tags = &tags[r];
    }
    return NEPTUN_OK;
}

static int load_links(struct store *s, struct neptun_pool *pool, struct neptun_item *const *items,
                      size_t n, const char *ids)
{
    unsigned char *raw = NULL;
    size_t nrows = 0;
    int ret = read_part(s, pool, &links_kind, ids, n, &raw, &nrows);
    if (ret != NEPTUN_OK || nrows == 0)
        return ret;
    const struct link_row *rows = (const struct link_row *)raw;
    struct neptun_link *links = neptun_pool_alloc(pool, nrows * sizeof(*links));
    if (links == NULL)
        return NEPTUN_NOMEM;
    for (size_t r = 0; r < nrows; r++) {
        struct neptun_item *it = items[rows[r].key.pos];
        links[r] = rows[r].link;
        if (it->nlinks++ == 0)
            it->links = &links[r];
    }
    return NEPTUN_OK;
}

/* Texts, tags and links of the n items from the database. */
static int load_parts_uncached(struct store *s, struct neptun_pool *pool,
                               struct neptun_item *const *items, size_t n)
{
    if (n == 0)
        return NEPTUN_OK;
    int64_t *ids = neptun_pool_alloc(pool, n * sizeof(*ids));
    if (ids == NULL)
        return NEPTUN_NOMEM;
    for (size_t i = 0; i < n; i++) {
        ids[i] = items[i]->id;
        items[i]->texts = NULL;
        items[i]->ntexts = 0;
        items[i]->tags = NULL;
        items[i]->ntags = 0;
        items[i]->links = NULL;
        items[i]->nlinks = 0;
    }
    const char *json = store_ids_json(pool, ids, n);
    if (json == NULL)
        return NEPTUN_NOMEM;
    int ret = load_texts(s, pool, items, n, json);
    if (ret == NEPTUN_OK)
        ret = load_tags(s, pool, items, n, json);
    if (ret == NEPTUN_OK)
        ret = load_links(s, pool, items, n, json);
    return ret;
}

int store_items_load_parts(struct store *s, struct neptun_pool *pool,
                           struct neptun_item *const *items, size_t n)
{
    if (n == 0)
        return NEPTUN_OK;
    if (s->parts == NULL)
        s->parts = store_parts_new(STORE_PARTS_BYTES); /* none kept if NULL */
    struct neptun_item **missing = neptun_pool_alloc(pool, n * sizeof(*missing));
    if (missing == NULL)
        return NEPTUN_NOMEM;
    size_t nmissing = 0;
    for (size_t i = 0; i < n; i++)
        if (!store_parts_fill(s->parts, pool, items[i]))
            missing[nmissing++] = items[i];
    store_kept_count(0, n - nmissing, nmissing);
    int ret = load_parts_uncached(s, pool, missing, nmissing);
    for (size_t i = 0; ret == NEPTUN_OK && i < nmissing; i++)
        store_parts_keep(s->parts, missing[i]);
    return ret;
}

int store_item_load(struct store *s, struct neptun_pool *pool, sqlite3_stmt *st, int first,
                    struct neptun_item *it)
{
    int ret = store_item_from_row(s, pool, st, first, it);
    if (ret != NEPTUN_OK)
        return ret;
    return store_items_load_parts(s, pool, &it, 1);
}

int store_item_load_uncached(struct store *s, struct neptun_pool *pool, sqlite3_stmt *st,
                             int first, struct neptun_item *it)
{
    int ret = store_item_from_row(s, pool, st, first, it);
    if (ret != NEPTUN_OK)
        return ret;
    return load_parts_uncached(s, pool, &it, 1);
}
