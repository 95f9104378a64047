/*
 * xmlutil.h - small libxml2 helpers shared by the core: reading fields
 * trees, naming a node's path in error messages, writing to memory, and the
 * host-table XML functions.
 */
#ifndef NEPTUN_XMLUTIL_H
#define NEPTUN_XMLUTIL_H

#include <neptun/plugin.h>

/* First element child / next element sibling with this local name in the
 * neptun namespace (name NULL: any element). */
const xmlNode *xmlutil_child(const xmlNode *parent, const char *name);
const xmlNode *xmlutil_next(const xmlNode *node, const char *name);
const char *xmlutil_text(struct neptun_pool *pool, const xmlNode *node);
const char *xmlutil_attr(struct neptun_pool *pool, const xmlNode *node, const char *name);
/* Element path of node for error messages: local names with a position
 * where siblings share the name ("/items/item[3]/text[2]/title"), and
 * "/@attr" appended when attr is set (or node is an attribute).  Pool-owned. */
const char *xmlutil_node_path(struct neptun_pool *pool, const xmlNode *node, const char *attr);
const xmlNode *xmlutil_child_lang(const struct neptun_render_ctx *rc, const xmlNode *parent,
                                  const char *name, const char **got_lang);
int xmlutil_write_text(const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                       const char *name, const char *text, const char *got_lang);

/* A writer into memory.  Finish with xmlutil_writer_done(), which frees
 * the writer and hands over the bytes (malloc'd, caller frees). */
struct xmlutil_out {
    xmlTextWriterPtr w;
    xmlBufferPtr buf;
    xmlOutputBufferPtr out; /* owned by w */
};
int xmlutil_writer_new(struct xmlutil_out *o, int indent);
/* <?xml version="1.0" encoding="UTF-8"?> on a new writer, which then
 * writes its bytes straight into the buffer (they are UTF-8 already). */
int xmlutil_start_utf8_document(struct xmlutil_out *o);
int xmlutil_writer_done(struct xmlutil_out *o, char **out, size_t *len);
void xmlutil_writer_abort(struct xmlutil_out *o);

/* Write a serialised XHTML fragment (a whole <div>...</div> string, as
 * stored in neptun_text.body) into w as raw markup.  It was produced by the
 * sanitiser through libxml2, so it is well-formed. */
int xmlutil_write_fragment(xmlTextWriterPtr w, const char *xhtml);

#endif
