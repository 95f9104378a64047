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

/* Identity (SPEC 7): names that never depend on the address the server
 * listens on, from the authority and date the store keeps
 * (conf_identity_authority/_date).  Links stay URLs.  All pool-owned.
 * An item in a language: "tag:AUTHORITY,DATE:pl/events/slug" (RSS guid,
 * Atom entry id). */
const char *render_item_id(struct neptun_pool *pool, const char *lang,
                           const struct neptun_item *item);
/* A feed: the tag: URI of url's path and query below the base URL
 * ("tag:AUTHORITY,DATE:pl/events.atom"); url itself when it is not below
 * it. */
const char *render_feed_id(struct neptun_pool *pool, const char *url);
/* An item's iCalendar UID, the same in every language: "slug@AUTHORITY". */
const char *render_item_uid(struct neptun_pool *pool, const struct neptun_item *item);

/* When the item was published: publish_at if set, else created, else
 * updated. */
int64_t render_pub_time(const struct neptun_item *item);
/* The time a feed is ordered by (updated, else the publication time): the
 * date RSS pubDate and Atom updated show, so that readers' dates agree with
 * the feed's order. */
int64_t render_feed_time(const struct neptun_item *item);

/* A feed's title naming its format: "name (RSS)", or "name (Atom)" for
 * format "ATOM" (OPML's version names).  The OPML outlines and the feeds'
 * own channel titles say the same.  Pool-owned; NULL on failure. */
const char *render_format_title(struct neptun_pool *pool, const char *name, const char *format);

/* The catalog key of the notice every archived item carries, in the
 * answer's language, in every format. */
#define RENDER_ARCHIVE_NOTICE_KEY "archive.notice"


/* Write <div xmlns="XHTML"> with, for an archived item, the archive notice
 * (<p class="archive-notice">), then the body and the type's render_xhtml
 * block.  NEPTUN_OK or NEPTUN_ERROR. */
int render_write_human(xmlTextWriterPtr w, const struct neptun_render_ctx *rc,
                       const struct render_pick *p);

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

/* ---- per-item pieces, made once and kept (render_fragments.c) ---------- */

/* What of an answer depends only on one stored item and the answer's
 * language.  Each piece is written by a libxml2 writer apart (no
 * indentation, as in the answers) or escaped by libxml2 exactly as it would
 * have been in place, so it goes back in with xmlTextWriterWriteRaw.  The
 * kind is the key a piece is kept under; who makes it is the caller's
 * maker (render_piece_fn). */
enum render_piece {
    RENDER_PIECE_HUMAN,      /* the human XHTML block (Atom content) */
    RENDER_PIECE_HUMAN_TEXT, /* the same escaped as element text (RSS description) */
    RENDER_PIECE_BODY,       /* the chosen body re-serialised (XML API <body>); "" when none */
    RENDER_PIECE_FIELDS,     /* the type's render_xml output (XML API entry) */
    RENDER_PIECE_RSS_ITEM,   /* a whole RSS <item> (not for a search: matched-lang) */
    RENDER_PIECE_ATOM_ENTRY, /* a whole Atom <entry> */
    RENDER_PIECE_LIST_ENTRY, /* a whole XML API list <entry> (not for a search) */
    RENDER_PIECE_VEVENT,     /* a whole VEVENT ("" for an item without a start) */
    RENDER_PIECES
};

/* One item in one language, as a maker of pieces gets it. */
struct render_item_job {
    struct neptun_pool *pool;
    const struct neptun_item *item;
    const char *lang;
    const char *const *chain;
};

/* Makes one piece of job's item: its bytes, pool-owned and NUL-terminated
 * (*len excludes the NUL); NULL on failure.  The memo knows no format:
 * each format passes the maker of its own pieces. */
typedef const char *(*render_piece_fn)(const struct render_item_job *job, size_t *len);

/* piece of item in lang: the kept bytes, else made now by make and kept
 * (make must be the maker of piece: piece is the key it is kept under).
 * Pool-owned and NUL-terminated (*len excludes the NUL); NULL on failure. */
const char *render_piece(struct neptun_pool *pool, const struct neptun_item *item,
                         const char *lang, const char *const *chain, enum render_piece piece,
                         size_t *len, render_piece_fn make);
/* The store underneath: 1 and a pool copy when piece is kept for this very
 * content of item (every field compared), else 0. */
int render_fragment_get(struct neptun_pool *pool, const struct neptun_item *item, const char *lang,
                        enum render_piece piece, const char **out, size_t *len);
void render_fragment_put(const struct neptun_item *item, const char *lang, enum render_piece piece,
                         const char *bytes, size_t len);

/* Run write(w, arg) on a writer of its own (no indentation) and hand over
 * what it wrote, pool-owned; NULL on failure. */
const char *render_write_apart(struct neptun_pool *pool,
                               int (*write)(xmlTextWriterPtr w, const void *arg),
                               const void *arg, size_t *len);

/* piece of item in lang (render_piece, made by make) written raw into w,
 * where a libxml2 writer would have written it.  NEPTUN_OK or
 * NEPTUN_ERROR. */
int render_write_piece(xmlTextWriterPtr w, struct neptun_pool *pool,
                       const struct neptun_item *item, const char *lang,
                       const char *const *chain, enum render_piece piece, render_piece_fn make);

/* The makers of the pieces every format shares (render_fragments.c), for
 * RENDER_PIECE_HUMAN, RENDER_PIECE_HUMAN_TEXT, RENDER_PIECE_BODY and
 * RENDER_PIECE_FIELDS.  The whole pieces' makers are in their formats. */
const char *render_human_piece(const struct render_item_job *job, size_t *len);
const char *render_human_text_piece(const struct render_item_job *job, size_t *len);
const char *render_body_piece(const struct render_item_job *job, size_t *len);
const char *render_fields_piece(const struct render_item_job *job, size_t *len);

#endif
