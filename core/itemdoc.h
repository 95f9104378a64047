/*
 * itemdoc.h - the item document: one XML format for an item with all its
 * translations, used by import, export, the admin API and tests.
 *
 *   <item xmlns="urn:neptun:1" type="events" slug="..." status="published"
 *         publish_at="..." created="..." updated="...">
 *     <tags><tag>conference</tag></tags>
 *     <text xml:lang="pl"><title/><summary/><body><div xmlns="XHTML"/></body></text>
 *     <links><link rel="registration" href="..." hreflang="pl" type="..">title</link></links>
 *     <event>...the type's fields...</event>
 *   </item>
 *
 * A file may hold one <item> or an <items> wrapper of several.  slug is
 * optional: without it the slug is made from the title in the default
 * language (else the first text) by transliteration (locale_slugify).
 * Parsing is hostile-input safe: no network, no DTD loading, no external
 * entities, any DOCTYPE rejected, depth and size bounded, UTF-8 checked.
 * The slug and tag rule of the whole core (content_slug_ok) is here too.
 */
#ifndef NEPTUN_ITEMDOC_H
#define NEPTUN_ITEMDOC_H

#include <neptun/item.h>
#include <neptun/plugin.h>
#include "errors.h"

/* One parsed and validated item with what its type derived from it. */
struct itemdoc {
    struct neptun_item item;
    struct neptun_index index;
    int slug_made;    /* the document had no slug: item.slug was made from
                       * the title (locale_slugify) */
};

/* The one check of slugs and tags, wherever one arrives (a document, a
 * request path, a query, a plugin): 1 when s is 1..CONTENT_SLUG_MAX (tags:
 * CONTENT_TAG_MAX) bytes of [a-z0-9-], else 0 (NULL too). */
#define CONTENT_SLUG_MAX 80
#define CONTENT_TAG_MAX 80
int content_slug_ok(const char *s);
int content_tag_ok(const char *s);

/* Parse buf: well-formedness, the composed RELAX NG schema, the type's
 * validate(), slugs, configured languages; bodies are sanitised.
 * On NEPTUN_OK, *docs and *n hold the items (pool-owned).  On NEPTUN_INVALID,
 * errs lists every problem with its path (a 422); NEPTUN_ERROR for a
 * document that is not well-formed or is hostile (a 400), also in errs. */
int itemdoc_parse(struct neptun_pool *pool, const char *buf, size_t len,
                  struct itemdoc **docs, size_t *n, struct neptun_errors *errs);

/* Write item as an item document into w (no XML declaration when
 * fragment is set, for use inside <items>). */
int itemdoc_write(xmlTextWriterPtr w, const struct neptun_item *item, int fragment);

/* Parse item->fields_xml into a tree owned by pool (freed with it).
 * Returns the fields' root element or NULL. */
const xmlNode *itemdoc_fields(struct neptun_pool *pool, const struct neptun_item *item);

/* Secure libxml2 parse of a whole document from memory (options as above);
 * the result is owned by pool.  NULL with errs filled on failure. */
xmlDocPtr itemdoc_read_secure(struct neptun_pool *pool, const char *buf, size_t len,
                              struct neptun_errors *errs);

#endif
