/*
 * handlers_read.c - the public read API: the service document, lists,
 * items, feeds (RSS, Atom), search, iCalendar and OPML.
 *
 * Every answer follows one pipeline: validate the query (400 naming the
 * parameter), read the cache generation of what the answer depends on
 * BEFORE querying the store (a write racing with us then makes our entry
 * stale instead of wrongly fresh), query the worker's store connection,
 * let the Lua rules drop or reshape items (on_item) and feed metadata
 * (on_feed), render, and hand the result to the reply as one immutable
 * cache entry: dispatch() caches it, request.c does ETag, gzip, 304 and
 * HEAD from it.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <event2/http.h>
#include <libxml/xmlstring.h>
#include "http.h"
#include "conf.h"
#include "handlers.h"
#include "content.h"
#include "locale.h"
#include "log.h"
#include "rules.h"
#include "render.h"
#include "server.h"
#include "store.h"

#define CT_XML "application/xml; charset=utf-8"
#define CT_RSS "application/rss+xml; charset=utf-8"
#define CT_ATOM "application/atom+xml; charset=utf-8"
#define CT_ICS "text/calendar; charset=utf-8"
#define CT_OPML "text/x-opml; charset=utf-8"

#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 100
#define PAGE_MAX 100000
#define Q_MAX 256
/* A calendar holds at most ICS_MAX_EVENTS events.  Without from, to or
 * upcoming it shows what a subscribed calendar wants: every event from
 * ICS_RECENT_DAYS ago onwards, and when that leaves room, the latest ones
 * before (so a quiet type still shows its history). */
#define ICS_MAX_EVENTS 500
#define ICS_RECENT_DAYS 30
#define ICS_WINDOW_TTL 3600 /* the default window slides: rebuild hourly */

enum answer_format { FMT_LIST, FMT_RSS, FMT_ATOM, FMT_ICS };

/* What a list-like answer accepts in its query. */
#define ACCEPT_PAGING (1u << 0)
#define ACCEPT_Q (1u << 1)   /* optional search text */
#define NEED_Q (1u << 2)     /* search: q required */
#define ACCEPT_DATES (1u << 3) /* from, to, upcoming: dated types only */
#define ACCEPT_SORT (1u << 4)  /* sort=date|title (|rank with q): XML lists */

struct read_query {
    size_t page, per_page;
    const char *tag;
    const char *q;
    int64_t from, to;
    int upcoming;
    const char *sort;       /* as asked, or the default: "rank" with q, else "date" */
    enum store_order order;
};

/* ---- query validation ------------------------------------------------- */

static int bad_param(struct neptun_req *req, struct neptun_reply *reply, const char *fmt, ...)
    NEPTUN_PRINTF(3, 4);

/* Answer 400 with a message naming the parameter. */
static int bad_param(struct neptun_req *req, struct neptun_reply *reply, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *message = neptun_pool_vprintf(req->pool, fmt, ap);
    va_end(ap);
    reply_error(req, reply, 400, message != NULL ? message : "bad query parameter");
    return NEPTUN_INVALID;
}

static int parse_count(const char *s, size_t min, size_t max, size_t *out)
{
    size_t v = 0;
    if (s == NULL || s[0] == '\0' || strlen(s) > 9)
        return -1;
    for (const char *c = s; *c != '\0'; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (size_t)(*c - '0');
    }
    if (v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A bare date ("2017-06-30") as an upper bound means the whole day. */
static int64_t end_of_day_if_date(const char *text, int64_t t)
{
    return strlen(text) == 10 ? t + 86399 : t;
}

static int parse_query(struct neptun_req *req, struct neptun_reply *reply, unsigned accept,
                       int dated, struct read_query *out)
{
    const char *v;
    memset(out, 0, sizeof *out);
    out->page = 1;
    out->per_page = PER_PAGE_DEFAULT;

    if ((accept & ACCEPT_PAGING) && (v = req_query(req, "page")) != NULL &&
        parse_count(v, 1, PAGE_MAX, &out->page) != 0)
        return bad_param(req, reply, "page must be a whole number from 1 (got \"%s\")", v);
    if ((accept & ACCEPT_PAGING) && (v = req_query(req, "per_page")) != NULL &&
        parse_count(v, 1, PER_PAGE_MAX, &out->per_page) != 0)
        return bad_param(req, reply, "per_page must be a whole number from 1 to 100 (got \"%s\")", v);
    if ((v = req_query(req, "tag")) != NULL) {
        if (!content_tag_ok(v))
            return bad_param(req, reply, "tag must be 1 to 64 of a-z, 0-9 and '-' (got \"%s\")", v);
        out->tag = v;
    }
    if (accept & (ACCEPT_Q | NEED_Q)) {
        v = req_query(req, "q");
        if (v != NULL && strlen(v) > Q_MAX)
            return bad_param(req, reply, "q must be at most %d bytes", Q_MAX);
        if (v != NULL && xmlCheckUTF8(BAD_CAST v) == 0)
            return bad_param(req, reply, "q must be valid UTF-8");
        if (v != NULL && v[strspn(v, " \t")] == '\0')
            v = NULL;
        if (v == NULL && (accept & NEED_Q))
            return bad_param(req, reply, "q is required: the text to search for");
        out->q = v;
    }
    out->sort = out->q != NULL ? "rank" : "date";
    out->order = out->q != NULL ? STORE_ORDER_RANK : STORE_ORDER_UPDATED;
    if ((accept & ACCEPT_SORT) && (v = req_query(req, "sort")) != NULL) {
        if (strcmp(v, "title") == 0)
            out->order = STORE_ORDER_TITLE;
        else if (strcmp(v, "date") == 0)
            out->order = STORE_ORDER_UPDATED;
        else if (strcmp(v, "rank") == 0 && out->q != NULL)
            out->order = STORE_ORDER_RANK;
        else
            return bad_param(req, reply, "sort must be date or title%s (got \"%s\")",
                             out->q != NULL ? " or rank" : "", v);
        out->sort = v;
    }
    if (!(accept & ACCEPT_DATES))
        return NEPTUN_OK;
    static const char *const date_params[] = { "from", "to", "upcoming" };
    for (size_t i = 0; i < 3; i++)
        if (!dated && req_query(req, date_params[i]) != NULL)
            return bad_param(req, reply, "%s applies only to dated types", date_params[i]);
    if ((v = req_query(req, "from")) != NULL && locale_parse_time(v, &out->from) != NEPTUN_OK)
        return bad_param(req, reply, "from must be an ISO date such as 2017-06-29 (got \"%s\")", v);
    if ((v = req_query(req, "to")) != NULL) {
        if (locale_parse_time(v, &out->to) != NEPTUN_OK)
            return bad_param(req, reply, "to must be an ISO date such as 2017-06-30 (got \"%s\")", v);
        out->to = end_of_day_if_date(v, out->to);
    }
    if (out->from != 0 && out->to != 0 && out->to < out->from)
        return bad_param(req, reply, "to must not be before from");
    if ((v = req_query(req, "upcoming")) != NULL) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
            return bad_param(req, reply, "upcoming must be 0 or 1 (got \"%s\")", v);
        out->upcoming = v[0] == '1';
    }
    return NEPTUN_OK;
}

/* ---- URLs ------------------------------------------------------------- */

/* This answer's URL without its page parameter (the other parameters
 * encoded once per answer, not once per link). */
struct page_base {
    const char *url; /* NULL when out of memory */
    char sep;        /* '?' or '&': what comes before another parameter */
};

static struct page_base page_base(struct neptun_req *req)
{
    struct page_base b = {neptun_pool_printf(req->pool, "%s%s", render_base_url(), req->path), '?'};
    for (size_t i = 0; b.url != NULL && i < req->nquery; i++) {
        if (strcmp(req->query[i].name, "page") == 0)
            continue;
        char *name = evhttp_uriencode(req->query[i].name, -1, 0);
        char *value = evhttp_uriencode(req->query[i].value, -1, 0);
        if (name != NULL && value != NULL)
            b.url = neptun_pool_printf(req->pool, "%s%c%s=%s", b.url, b.sep, name, value);
        free(name);
        free(value);
        b.sep = '&';
    }
    return b;
}

/* The URL of page (0: without a page parameter, the first page). */
static const char *page_url(struct neptun_req *req, const struct page_base *b, size_t page)
{
    if (b->url == NULL || page == 0)
        return b->url;
    return neptun_pool_printf(req->pool, "%s%cpage=%zu", b->url, b->sep, page);
}

/* Paging links from the total.  An estimated total (a large search) says
 * nothing sure about the last page: then there is no "last" link, "next"
 * is there exactly when this page came back full (the store stops reading
 * once a page is filled, and a page short of full means the matches ran
 * out), and the total is raised to at least what the pages so far hold. */
static void set_paging(struct neptun_req *req, struct render_feed *f, size_t listed)
{
    struct page_base base = page_base(req);
    f->self_url = page_url(req, &base, f->page > 1 ? f->page : 0);
    if (f->total_estimated) {
        int more = listed >= f->per_page;
        size_t seen = (f->page - 1) * f->per_page + listed + (more ? 1 : 0);
        if (f->total < seen)
            f->total = seen;
        if (f->page == 1 && !more)
            return;
        f->first_url = page_url(req, &base, 0);
        if (more)
            f->next_url = page_url(req, &base, f->page + 1);
    } else {
        size_t pages = f->total == 0 ? 1 : (f->total + f->per_page - 1) / f->per_page;
        if (pages <= 1)
            return;
        f->first_url = page_url(req, &base, 0);
        f->last_url = page_url(req, &base, pages);
        if (f->page < pages)
            f->next_url = page_url(req, &base, f->page + 1);
    }
    if (f->page > 1)
        f->prev_url = page_url(req, &base, f->page - 1 > 1 ? f->page - 1 : 0);
}

/* ---- the common tail: entry, cache, reply ----------------------------- */

static int finish(struct neptun_req *req, struct neptun_reply *reply, const char *ctype,
                  char *body, size_t len, int64_t last_modified, int dep, uint64_t generation,
                  int64_t expires)
{
    /* The entry takes the rendered bytes over (no copy). */
    struct cache_entry *e = cache_entry_adopt(200, ctype, body, len, last_modified, dep, expires);
    if (e == NULL)
        return NEPTUN_NOMEM;
    /* The generation read before the store was queried: a write since
     * then makes this entry stale at once.  dispatch() stores the entry in
     * the cache under the request's key. */
    e->generation = generation;
    reply_entry(reply, e);
    return NEPTUN_OK;
}

static struct rules_worker *rules(struct neptun_req *req)
{
    return req->worker != NULL ? req->worker->rules : NULL;
}

/* Let on_item drop or reshape each item; keeps matched_lang aligned.
 * NEPTUN_OK or NEPTUN_ERROR (a rule failed: 500). */
static int apply_rules(struct neptun_req *req, const char *lang, struct neptun_item **items,
                       const char **matched, size_t *n)
{
    struct rules_worker *lw = rules(req);
    size_t kept = 0;
    if (lw == NULL || *n == 0)
        return NEPTUN_OK;
    unsigned char *keep = neptun_pool_alloc(req->pool, *n);
    if (keep == NULL)
        return NEPTUN_NOMEM;
    if (rules_on_items(lw, req, items, *n, lang, keep) == NEPTUN_ERROR)
        return NEPTUN_ERROR;
    for (size_t i = 0; i < *n; i++) {
        if (!keep[i])
            continue;
        items[kept] = items[i];
        if (matched != NULL)
            matched[kept] = matched[i];
        kept++;
    }
    *n = kept;
    return NEPTUN_OK;
}

static int64_t newest_update(struct neptun_item *const *items, size_t n)
{
    int64_t newest = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i]->updated > newest)
            newest = items[i]->updated;
    return newest != 0 ? newest : render_started_at();
}

/* An answer's Last-Modified: the latest of its items' times and of its
 * types' change time (read before the store was queried, so a write racing
 * with us leaves it earlier than what we show, never later).  The change
 * time moves on deletes and unpublishes too and is kept in the store, so
 * it never goes back, across restarts too, and If-Modified-Since alone
 * sees every change. */
static int64_t answer_time(struct neptun_item *const *items, size_t n, int64_t changed)
{
    int64_t t = changed;
    for (size_t i = 0; i < n; i++)
        if (items[i]->updated > t)
            t = items[i]->updated;
    return t != 0 ? t : render_started_at();
}

/* "{q}" in a catalog string replaced by the search text. */
static const char *fill_query(struct neptun_pool *pool, const char *pattern, const char *q)
{
    const char *at = pattern != NULL && q != NULL ? strstr(pattern, "{q}") : NULL;
    if (at == NULL)
        return pattern;
    return neptun_pool_printf(pool, "%.*s%s%s", (int)(at - pattern), pattern, q, at + 3);
}

static void feed_titles(struct neptun_req *req, struct render_feed *f)
{
    struct neptun_pool *pool = req->pool;
    if (f->query != NULL) {
        f->title = fill_query(pool, locale_translate(pool, "search.title", f->lang, -1), f->query);
        f->description = fill_query(pool, locale_translate(pool, "search.description", f->lang, -1),
                                    f->query);
        return;
    }
    f->title = f->type != NULL
                   ? render_type_title(pool, f->lang, f->type)
                   : render_fill_site(pool, locale_translate(pool, "feed.all.title", f->lang, -1), f->lang);
    f->description = conf_site(f->lang, CONF_SITE_DESCRIPTION);
}

/* The list the answer mirrors: the XML list of the type, or of the
 * search; the search feed for a search list (its alternate). */
static const char *mirror_url(struct neptun_req *req, const struct render_feed *f,
                              enum answer_format fmt)
{
    if (f->query != NULL) {
        char *q = evhttp_uriencode(f->query, -1, 0);
        const char *url = NULL;
        if (q != NULL)
            url = render_lang_url(req->pool, f->lang,
                                  neptun_pool_printf(req->pool, "%s?q=%s",
                                                     fmt == FMT_LIST ? "search.rss" : "search", q));
        free(q);
        return url;
    }
    if (f->type != NULL)
        return render_lang_url(req->pool, f->lang, f->type);
    return neptun_pool_printf(req->pool, "%s/", render_base_url());
}

static int render_as(enum answer_format fmt, const struct render_feed *f, char **out, size_t *len)
{
    switch (fmt) {
    case FMT_LIST: return render_list_xml(f, out, len);
    case FMT_RSS: return render_rss(f, out, len);
    case FMT_ATOM: return render_atom(f, out, len);
    case FMT_ICS: return render_ics(f, out, len);
    }
    return NEPTUN_ERROR;
}

static const char *content_type_of(enum answer_format fmt)
{
    switch (fmt) {
    case FMT_LIST: return CT_XML;
    case FMT_RSS: return CT_RSS;
    case FMT_ATOM: return CT_ATOM;
    case FMT_ICS: return CT_ICS;
    }
    return CT_XML;
}

/* ---- calendars -------------------------------------------------------- */

static int64_t ends_or_starts(const struct neptun_item *item)
{
    return item->ends_at > item->starts_at ? item->ends_at : item->starts_at;
}

/* The default calendar window (see ICS_MAX_EVENTS): the events from
 * recent_from onwards in start order, then, when there is room, the latest
 * events that ended before recent_from put in front of them.  sq holds the
 * type, tag and visibility; *total counts both parts. */
static int load_default_calendar(struct neptun_req *req, struct store_query *sq,
                                 struct neptun_item ***items, size_t *n, size_t *total)
{
    struct store *store = req->worker->store;
    struct neptun_item **recent = NULL, **past = NULL, **probe = NULL;
    size_t nrecent = 0, npast = 0, nprobe = 0, past_total = 0;
    int64_t recent_from = req->now - (int64_t)ICS_RECENT_DAYS * 86400;

    sq->from = recent_from;
    sq->limit = ICS_MAX_EVENTS;
    if (store_list(store, req->pool, sq, &recent, NULL, &nrecent, total) != NEPTUN_OK)
        return NEPTUN_ERROR;
    *items = recent;
    *n = nrecent;
    if (nrecent >= ICS_MAX_EVENTS)
        return NEPTUN_OK;

    /* Events that started before recent_from, the latest first: count them,
     * then read the last ones in start order.  Those of them still running
     * at recent_from are in recent already: read as many more, and drop
     * them. */
    size_t room = ICS_MAX_EVENTS - nrecent, running = 0;
    for (size_t i = 0; i < nrecent; i++)
        if (recent[i]->starts_at < recent_from)
            running++;
    sq->from = 0;
    sq->to = recent_from - 1;
    sq->limit = 1;
    if (store_list(store, req->pool, sq, &probe, NULL, &nprobe, &past_total) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (past_total == 0)
        return NEPTUN_OK;
    sq->offset = past_total > room + running ? past_total - room - running : 0;
    sq->limit = room + running;
    if (store_list(store, req->pool, sq, &past, NULL, &npast, &past_total) != NEPTUN_OK)
        return NEPTUN_ERROR;

    struct neptun_item **all = neptun_pool_calloc(req->pool, room + nrecent + 1, sizeof *all);
    size_t kept = 0;
    if (all == NULL)
        return NEPTUN_NOMEM;
    /* the latest room of them that ended before recent_from, in start order */
    size_t first = npast;
    for (size_t count = 0; first > 0 && count < room; first--)
        if (ends_or_starts(past[first - 1]) < recent_from)
            count++;
    for (size_t i = first; i < npast; i++)
        if (ends_or_starts(past[i]) < recent_from)
            all[kept++] = past[i];
    if (nrecent > 0)
        memcpy(all + kept, recent, nrecent * sizeof *all);
    *items = all;
    *n = kept + nrecent;
    *total += kept;
    return NEPTUN_OK;
}

/* Lists, feeds, search and calendars of type (NULL: every type). */
static int answer_list(struct neptun_req *req, struct neptun_reply *reply,
                       const struct neptun_type *type, enum answer_format fmt, unsigned accept)
{
    struct read_query rq;
    struct store_query sq;
    struct render_feed f;
    struct neptun_item **items = NULL;
    const char **matched = NULL;
    size_t n = 0, total = 0;
    char *body = NULL;
    size_t len = 0;
    int dated = type != NULL && (type->flags & NEPTUN_TYPE_DATED);
    int dep = type != NULL ? types_index(type->name) : CACHE_DEP_ALL;

    if (req->worker == NULL || req->worker->store == NULL)
        return NEPTUN_ERROR;
    if (parse_query(req, reply, accept, dated, &rq) != NEPTUN_OK)
        return NEPTUN_OK; /* the 400 is in reply */
    uint64_t generation = cache_generation(dep);
    int64_t changed = store_changed_at(req->worker->store, type != NULL ? type->name : NULL,
                                       req->now);

    memset(&sq, 0, sizeof sq);
    sq.type = type != NULL ? type->name : NULL;
    sq.tag = rq.tag;
    sq.q = rq.q;
    sq.lang = req->lang;
    sq.from = rq.from;
    sq.to = rq.to;
    sq.upcoming = rq.upcoming;
    sq.now = req->now;
    int default_window = fmt == FMT_ICS && rq.from == 0 && rq.to == 0 && !rq.upcoming;
    int loaded;
    if (fmt == FMT_ICS) {
        sq.order = STORE_ORDER_START;
        sq.limit = ICS_MAX_EVENTS;
    } else {
        sq.order = rq.order;
        sq.chain = render_chain(req->pool, req->lang);
        sq.offset = (rq.page - 1) * rq.per_page;
        sq.limit = rq.per_page;
    }
    if (default_window)
        loaded = load_default_calendar(req, &sq, &items, &n, &total);
    else
        loaded = store_list(req->worker->store, req->pool, &sq, &items,
                            rq.q != NULL ? &matched : NULL, &n, &total);
    if (loaded != NEPTUN_OK) {
        log_error("read: listing %s failed", sq.type != NULL ? sq.type : "every type");
        return NEPTUN_ERROR;
    }
    int total_estimated = rq.q != NULL && store_total_estimated(req->worker->store);
    size_t listed = n; /* before the rules leave some out */
    if (apply_rules(req, req->lang, items, matched, &n) != NEPTUN_OK)
        return NEPTUN_ERROR;

    memset(&f, 0, sizeof f);
    f.pool = req->pool;
    f.lang = req->lang;
    f.fallback = render_chain(req->pool, req->lang);
    f.type = type != NULL ? type->name : NULL;
    f.query = rq.q;
    f.tag = rq.tag;
    f.items = items;
    f.matched_lang = matched;
    f.nitems = n;
    f.total = total;
    f.total_estimated = total_estimated;
    f.page = fmt == FMT_ICS ? 1 : rq.page;
    f.per_page = fmt == FMT_ICS ? (n > 0 ? n : 1) : rq.per_page;
    f.updated = newest_update(items, n);
    f.sort = fmt == FMT_LIST ? rq.sort : NULL;
    if (fmt == FMT_ICS)
        f.self_url = page_base(req).url;
    else
        set_paging(req, &f, listed);
    f.count_text = render_count_text(req->pool, f.lang, f.type, f.query != NULL, f.total);
    feed_titles(req, &f);
    /* a feed's description says how much it holds: "… — 3 wydarzenia" */
    if ((fmt == FMT_RSS || fmt == FMT_ATOM) && f.description != NULL && f.count_text != NULL)
        f.description = neptun_pool_printf(req->pool, "%s — %s", f.description, f.count_text);
    f.html_url = mirror_url(req, &f, fmt);
    if (fmt != FMT_LIST && rules(req) != NULL &&
        rules_on_feed(rules(req), req, &f) == NEPTUN_ERROR)
        return NEPTUN_ERROR;

    if (render_as(fmt, &f, &body, &len) != NEPTUN_OK) {
        log_error("read: rendering %s failed", req->path);
        return NEPTUN_ERROR;
    }
    int64_t expires = store_next_publish(req->worker->store, sq.type, req->now);
    if (default_window && (expires == 0 || expires > req->now + ICS_WINDOW_TTL))
        expires = req->now + ICS_WINDOW_TTL;
    return finish(req, reply, content_type_of(fmt), body, len, answer_time(items, n, changed),
                  dep, generation, expires);
}

/* ---- route handlers --------------------------------------------------- */

static const struct neptun_type *route_type(struct neptun_req *req)
{
    const char *name = req_param(req, "type");
    return name != NULL ? types_find(name) : NULL;
}

static int list_handler(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const struct neptun_type *type = route_type(req);
    if (type == NULL)
        return NEPTUN_DECLINED;
    return answer_list(req, reply, type, FMT_LIST,
                       ACCEPT_PAGING | ACCEPT_Q | ACCEPT_DATES | ACCEPT_SORT);
}

static int type_feed_handler(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const struct neptun_type *type = route_type(req);
    enum answer_format fmt = (enum answer_format)(intptr_t)ud;
    if (type == NULL)
        return NEPTUN_DECLINED;
    if (fmt == FMT_ICS) {
        if (!(type->flags & NEPTUN_TYPE_DATED))
            return NEPTUN_DECLINED;
        return answer_list(req, reply, type, fmt, ACCEPT_DATES);
    }
    return answer_list(req, reply, type, fmt, ACCEPT_PAGING | ACCEPT_DATES);
}

static int all_feed_handler(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    return answer_list(req, reply, NULL, (enum answer_format)(intptr_t)ud, ACCEPT_PAGING);
}

static int search_handler(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    enum answer_format fmt = (enum answer_format)(intptr_t)ud;
    return answer_list(req, reply, NULL, fmt,
                       ACCEPT_PAGING | NEED_Q | (fmt == FMT_LIST ? ACCEPT_SORT : 0));
}

/* One item: /{lang}/{type}/{slug} as XML, or .ics for dated types. */
static int item_handler(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const struct neptun_type *type = route_type(req);
    enum answer_format fmt = (enum answer_format)(intptr_t)ud;
    const char *slug = req_param(req, "slug");
    struct neptun_item *item = NULL;
    char *body = NULL;
    size_t len = 0;
    int rc;

    if (type == NULL || (fmt == FMT_ICS && !(type->flags & NEPTUN_TYPE_DATED)))
        return NEPTUN_DECLINED;
    if (req->worker == NULL || req->worker->store == NULL)
        return NEPTUN_ERROR;
    int dep = types_index(type->name);
    uint64_t generation = cache_generation(dep);
    int64_t changed = store_changed_at(req->worker->store, type->name, req->now);
    rc = content_slug_ok(slug) ? store_get(req->worker->store, req->pool, type->name, slug, 0, req->now,
                                   &item)
                       : NEPTUN_NOT_FOUND;
    if (rc == NEPTUN_OK && rules(req) != NULL) {
        int keep = 1;
        if (rules_on_item(rules(req), req, item, req->lang, &keep) == NEPTUN_ERROR)
            return NEPTUN_ERROR;
        if (!keep)
            rc = NEPTUN_NOT_FOUND;
    }
    if (rc == NEPTUN_NOT_FOUND) {
        reply_error(req, reply, 404, neptun_pool_printf(req->pool, "no %s item named \"%s\"",
                                                        type->name, slug != NULL ? slug : ""));
        return NEPTUN_OK;
    }
    if (rc != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (fmt == FMT_ICS && item->starts_at == 0) {
        /* A calendar without an event would be read as an empty one. */
        reply_error(req, reply, 404, neptun_pool_printf(req->pool, "%s/%s has no dates, so no calendar",
                                                        type->name, item->slug));
        return NEPTUN_OK;
    }

    if (fmt == FMT_ICS) {
        struct render_feed f;
        struct neptun_item *one[1] = { item };
        memset(&f, 0, sizeof f);
        f.pool = req->pool;
        f.lang = req->lang;
        f.fallback = render_chain(req->pool, req->lang);
        f.type = type->name;
        f.items = one;
        f.nitems = f.total = f.page = f.per_page = 1;
        f.updated = item->updated;
        feed_titles(req, &f);
        rc = render_ics(&f, &body, &len);
    } else {
        rc = render_entry_xml(req->pool, req->lang, item, &body, &len);
    }
    if (rc != NEPTUN_OK)
        return NEPTUN_ERROR;
    struct neptun_item *one[1] = { item };
    return finish(req, reply, fmt == FMT_ICS ? CT_ICS : CT_XML, body, len,
                  answer_time(one, 1, changed), dep, generation,
                  store_next_publish(req->worker->store, type->name, req->now));
}

static int service_handler(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    char *body = NULL;
    size_t len = 0;
    uint64_t generation = cache_generation(CACHE_DEP_NONE);
    if (render_service(req->pool, &body, &len) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return finish(req, reply, CT_XML, body, len, render_started_at(), CACHE_DEP_NONE,
                  generation, 0);
}

static int opml_handler(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    char *body = NULL;
    size_t len = 0;
    uint64_t generation = cache_generation(CACHE_DEP_NONE);
    if (render_opml(req->pool, req->lang, &body, &len) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return finish(req, reply, CT_OPML, body, len, render_started_at(), CACHE_DEP_NONE,
                  generation, 0);
}

#define FMT(f) ((void *)(intptr_t)(f))

void handlers_read_init(void)
{
    static const struct {
        const char *pattern;
        route_fn fn;
        enum answer_format fmt;
    } routes[] = {
        /* fixed names first: "feed" or "search" is never taken for a type */
        { "/", service_handler, FMT_LIST },
        { "/{lang}/feeds.opml", opml_handler, FMT_LIST },
        { "/{lang}/feed.rss", all_feed_handler, FMT_RSS },
        { "/{lang}/feed.atom", all_feed_handler, FMT_ATOM },
        { "/{lang}/search", search_handler, FMT_LIST },
        { "/{lang}/search.rss", search_handler, FMT_RSS },
        { "/{lang}/{type}.rss", type_feed_handler, FMT_RSS },
        { "/{lang}/{type}.atom", type_feed_handler, FMT_ATOM },
        { "/{lang}/{type}.ics", type_feed_handler, FMT_ICS },
        { "/{lang}/{type}/{slug}.ics", item_handler, FMT_ICS },
        { "/{lang}/{type}/{slug}", item_handler, FMT_LIST },
        { "/{lang}/{type}", list_handler, FMT_LIST },
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (router_add("GET", routes[i].pattern, routes[i].fn, FMT(routes[i].fmt), "core") !=
            NEPTUN_OK)
            log_error("read: cannot register %s", routes[i].pattern);
}
