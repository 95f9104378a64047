/*
 * render_internal.h - parts shared by the answer writers (render_*.c):
 * choosing an item's text for a language, the human XHTML block, URLs and
 * machine times.  Private to the renderers.
 */
#ifndef NEPTUN_RENDER_INTERNAL_H
#define NEPTUN_RENDER_INTERNAL_H

#include <neptun/item.h>
#include <neptun/plugin.h>
#include "render.h"
#include "xmlutil.h"

#define RENDER_ATOM_NS "http://www.w3.org/2005/Atom"
#define RENDER_DC_NS "http://purl.org/dc/elements/1.1/"

/* An item's text in one language, chosen field by field along the
 * fallback chain: the title may come from one language and the body from
 * another.  Each *_lang is the language the field came from. */
struct render_pick {
    const char *title, *title_lang;     /* never NULL */
    const char *summary, *summary_lang; /* NULL when no language has one */
    const char *body, *body_lang;
};

void render_pick_text(const struct neptun_item *item, const char *const *chain,
                      struct render_pick *out);
/* The first language of p that is not lang (the language a feed item fell
 * back to), or NULL when every field is in lang. */
const char *render_pick_fallback(const struct render_pick *p, const char *lang);

/* lang's configured chain (lang first, NULL-terminated); a one-language
 * chain (pool-owned) when lang is not configured. */
const char *const *render_chain(struct neptun_pool *pool, const char *lang);
/* Configured base URL without trailing '/', "" when none. */
const char *render_base_url(void);
/* Host part of the base URL ("127.0.0.1:8080"), pool-owned. */
const char *render_base_host(struct neptun_pool *pool);
/* base/lang/rest, pool-owned. */
const char *render_lang_url(struct neptun_pool *pool, const char *lang, const char *rest);

/* When the item was published: publish_at if set, else created, else
 * updated. */
int64_t render_pub_time(const struct neptun_item *item);
/* A fixed time for answers that depend on configuration only. */
int64_t render_started_at(void);

/* The context a type's render callbacks receive; fields parsed into pool. */
void render_ctx_init(struct neptun_render_ctx *rc, struct neptun_pool *pool,
                     const struct neptun_item *item, const char *lang,
                     const char *const *chain);

/* Write <div xmlns="XHTML"> with the body and the type's render_xhtml
 * block.  NEPTUN_OK or NEPTUN_ERROR. */
int render_write_human(xmlTextWriterPtr w, const struct neptun_render_ctx *rc,
                       const struct render_pick *p);
/* The same block serialised (for RSS, which carries it as escaped text).
 * Pool-owned; NULL on failure. */
const char *render_human_html(const struct neptun_render_ctx *rc, const struct render_pick *p);

/* Start a document on a fresh writer into memory.  indent only for
 * documents without XHTML: indenting mixed content would change it. */
int render_doc_begin(struct xmlutil_out *o, int indent);
/* End it and hand over the bytes (malloc'd). */
int render_doc_end(struct xmlutil_out *o, char **out, size_t *len);

/* Write an attribute / element only when value is not NULL. */
int render_attr(xmlTextWriterPtr w, const char *name, const char *value);
int render_attr_lang(xmlTextWriterPtr w, const char *got, const char *lang);
int render_attr_time(struct neptun_pool *pool, xmlTextWriterPtr w, const char *name, int64_t t);
int render_attr_num(xmlTextWriterPtr w, const char *name, size_t n);

#endif
