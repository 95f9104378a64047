/*
 * render.h - writers of every answer format.  They receive items already
 * selected (and shaped by Lua rules) and write bytes; they know no type:
 * type-specific parts come from the type's render callbacks.
 * Output is malloc'd (*out, *len); caller frees.  All XML through libxml2's
 * xmlTextWriter.
 */
#ifndef NEPTUN_CORE_RENDER_H
#define NEPTUN_CORE_RENDER_H

#include <neptun/item.h>
#include <neptun/plugin.h>

/* What a list, feed or search answer shows. */
struct render_feed {
    struct neptun_pool *pool;
    const char *lang;
    const char *const *fallback;   /* lang's chain, NULL-terminated */
    const char *type;              /* NULL: every type together */
    const char *query;             /* search text, or NULL */
    const char *tag;               /* tag filter, or NULL */
    /* channel metadata; on_feed may change it */
    const char *title;
    const char *description;
    const char *html_url;          /* the list this feed mirrors */
    const char *self_url;          /* absolute URL of this answer */
    const char *first_url, *prev_url, *next_url, *last_url; /* NULL when none */
    int ttl;                       /* minutes, 0 = none */
    const char *image_url;         /* may be NULL */
    int64_t updated;               /* newest item update: lastBuildDate */
    struct neptun_item **items;
    const char **matched_lang;     /* search: language that matched, or NULL */
    size_t nitems;
    size_t total, page, per_page;
    int total_estimated;           /* total is extrapolated (a large search) */
    const char *sort;              /* lists: "date", "title" or "rank"; NULL: not said */
    const char *count_text;        /* total in words ("3 wydarzenia"), or NULL */
};

int render_list_xml(const struct render_feed *f, char **out, size_t *len);
int render_entry_xml(struct neptun_pool *pool, const char *lang, const struct neptun_item *item,
                     char **out, size_t *len);
int render_rss(const struct render_feed *f, char **out, size_t *len);
int render_atom(const struct render_feed *f, char **out, size_t *len);
/* iCalendar of f->items (dated types), one VEVENT each. */
int render_ics(const struct render_feed *f, char **out, size_t *len);
int render_opml(struct neptun_pool *pool, const char *lang, char **out, size_t *len);
int render_service(struct neptun_pool *pool, char **out, size_t *len);
int render_error(int status, const char *message, char **out, size_t *len);
/* The same with one <problem path="...">message</problem> per entry of errs
 * (a 422 listing schema problems); errs may be NULL. */
int render_error_problems(int status, const char *message, const struct neptun_errors *errs,
                          char **out, size_t *len);

/* The host table's ics_add: one property of the VEVENT being written;
 * TEXT values are escaped, lines folded at 75 octets.  NEPTUN_OK or
 * NEPTUN_INVALID (bad name, CR/LF in params). */
int render_ics_add(struct neptun_ics *ics, const char *name, const char *params, const char *value);

/* Localised title of one type's feeds ("Wydarzenia — Gdańsk"), pool-owned. */
const char *render_type_title(struct neptun_pool *pool, const char *lang, const char *type);

/* The total of a list in lang's words with the right plural form: count.TYPE
 * when the catalogs have it ("3 wydarzenia"), count.results for a search,
 * else count.items.  Pool-owned. */
const char *render_count_text(struct neptun_pool *pool, const char *lang, const char *type,
                              int search, size_t total);

/* Absolute URL of an item in lang: base/lang/type/slug. Pool-owned. */
const char *render_item_url(struct neptun_pool *pool, const char *lang, const struct neptun_item *item);

/* Per-item pieces kept across answers (render_fragments.c), a share of the
 * cache budget given by cache_init (0: nothing kept); cleared with every
 * cached answer (cache_bump_all, cache_cleanup). */
void render_fragments_init(size_t max_bytes);
void render_fragments_clear(void);
void render_fragments_stats(uint64_t *hits, uint64_t *misses, size_t *bytes);

/* ---- what the handlers and plugin routes share with the writers ---- */

/* lang's configured chain (lang first, NULL-terminated); a one-language
 * chain (pool-owned) when lang is not configured. */
const char *const *render_chain(struct neptun_pool *pool, const char *lang);

/* The configured base URL, without a trailing '/'. */
const char *render_base_url(void);

/* base/lang/rest, pool-owned. */
const char *render_lang_url(struct neptun_pool *pool, const char *lang, const char *rest);

/* text with "{site}" replaced by the portal's short name in lang (the
 * configuration's site_name); pool-owned, text itself when it has none. */
const char *render_fill_site(struct neptun_pool *pool, const char *text, const char *lang);

/* A fixed time for answers that depend on configuration only. */
int64_t render_started_at(void);

/* The context a type's render callbacks receive; fields parsed into pool. */
void render_ctx_init(struct neptun_render_ctx *rc, struct neptun_pool *pool,
                     const struct neptun_item *item, const char *lang,
                     const char *const *chain);

#endif
