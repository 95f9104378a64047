/*
 * The content module's whole contract: content types (the
 * registry plugins fill), item documents in and out (parsing, validation
 * against the composed RELAX NG schema, the type's own checks, the XHTML
 * allow-list), and copies of items.  Below the store and the renderers:
 * it knows what an item is, not where it is kept or how it is shown.
 */
#ifndef NEPTUN_CORE_CONTENT_H
#define NEPTUN_CORE_CONTENT_H

#include <stddef.h>
#include <libxml/relaxng.h>
#include <neptun/item.h>
#include <neptun/plugin.h>
#include "errors.h"

/*
 * An item's deep copy in one block of memory.
 */
/* Bytes of the arrays and strings item points to (the block item_copy
 * fills; aligned for the arrays at its start). */
size_t item_copy_size(const struct neptun_item *it);
/* dst = a deep copy of src whose arrays and strings live in mem, a block
 * of item_copy_size(src) bytes aligned like malloc's. */
void item_copy(struct neptun_item *dst, const struct neptun_item *src, char *mem);
/* dst = a copy of src, an item item_copy() made in src_mem (a block of
 * size bytes), into mem (size bytes aligned like malloc's): the block is
 * copied whole and the pointers moved over, no string is walked - what
 * kept pages and parts hand each request. */
void item_copy_moved(struct neptun_item *dst, char *mem, const struct neptun_item *src,
                     const char *src_mem, size_t size);
/* Whether a and b are the same content, every field compared. */
int item_same(const struct neptun_item *a, const struct neptun_item *b);

/*
 * The registry of content types.  Filled by plugins during
 * start-up (single-threaded), read-only once the workers run.
 */
#define TYPES_MAX 64

struct plugin_rec; /* plugin.c */

/* Copy def (up to its struct_size) into the registry.  NEPTUN_INVALID if
 * the name is taken or malformed. */
int types_register(const struct neptun_type *def, struct plugin_rec *owner);
/* Remove every type owned by owner (a plugin whose init failed). */
void types_unregister_owner(struct plugin_rec *owner);
const struct neptun_type *types_find(const char *name);
/* The plugin that registered the type name; NULL when none did. */
struct plugin_rec *types_owner(const char *name);
/* Index of a type in registration order, -1 when unknown. */
int types_index(const char *name);
size_t types_count(void);
const struct neptun_type *types_at(size_t i);

/*
 * The RELAX NG grammar of item documents and API answers,
 * composed at start-up from schema/neptun.rng and each type's fragment
 * (defines "fields.<type>" and "render.<type>", optionally "route.<type>"),
 * with the libxml2 tree API.
 */
/* Build from the base grammar file and the registered types.  -1 with a
 * message on stderr when a fragment is malformed. */
int schema_init(const char *base_path);
void schema_cleanup(void);
/* The composed grammar as served at /schema/neptun.rng (borrowed). */
const char *schema_text(size_t *len);
/* Validate doc against the grammar; each problem goes to errs with its
 * element path.  NEPTUN_OK or NEPTUN_INVALID.  Thread-safe. */
int schema_validate(xmlDocPtr doc, struct neptun_errors *errs);

/*
 * The item document: one XML format for an item with all its
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
