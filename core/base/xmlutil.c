/*
 * xmlutil.c - libxml2 helpers: reading fields trees by local name in the
 * neptun namespace, naming a node's element path for error messages,
 * choosing a child by language along a fallback chain, and writers into
 * memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/xmlsave.h>
#include "xmlutil.h"

static int is_named(const xmlNode *n, const char *name)
{
    if (n->type != XML_ELEMENT_NODE)
        return 0;
    if (n->ns == NULL || n->ns->href == NULL || strcmp((const char *)n->ns->href, NEPTUN_XML_NS) != 0)
        return 0;
    return name == NULL || strcmp((const char *)n->name, name) == 0;
}

const xmlNode *xmlutil_child(const xmlNode *parent, const char *name)
{
    if (parent == NULL)
        return NULL;
    for (const xmlNode *c = parent->children; c != NULL; c = c->next)
        if (is_named(c, name))
            return c;
    return NULL;
}

const xmlNode *xmlutil_next(const xmlNode *node, const char *name)
{
    if (node == NULL)
        return NULL;
    for (const xmlNode *c = node->next; c != NULL; c = c->next)
        if (is_named(c, name))
            return c;
    return NULL;
}

const char *xmlutil_text(struct neptun_pool *pool, const xmlNode *node)
{
    if (node == NULL)
        return NULL;
    xmlChar *s = xmlNodeGetContent(node);
    if (s == NULL)
        return NULL;
    char *d = neptun_pool_strdup(pool, (const char *)s);
    xmlFree(s);
    return d;
}

const char *xmlutil_attr(struct neptun_pool *pool, const xmlNode *node, const char *name)
{
    if (node == NULL || node->type != XML_ELEMENT_NODE)
        return NULL;
    xmlChar *s = xmlGetNoNsProp(node, (const xmlChar *)name);
    if (s == NULL)
        return NULL;
    char *d = neptun_pool_strdup(pool, (const char *)s);
    xmlFree(s);
    return d;
}

/* Position of node among its siblings of the same name and namespace, or 0
 * when it has none (so the path shows "[n]" only where it tells apart). */
static int sibling_position(const xmlNode *node)
{
    int pos = 0, total = 0;
    if (node->parent == NULL || node->parent->type == XML_DOCUMENT_NODE)
        return 0;
    for (const xmlNode *c = node->parent->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !xmlStrEqual(c->name, node->name) ||
            (c->ns == NULL) != (node->ns == NULL) ||
            (c->ns != NULL && !xmlStrEqual(c->ns->href, node->ns->href)))
            continue;
        total++;
        if (c == node)
            pos = total;
    }
    return total > 1 ? pos : 0;
}

const char *xmlutil_node_path(struct neptun_pool *pool, const xmlNode *node, const char *attr)
{
    const xmlNode *chain[256];
    size_t depth = 0;
    char buf[1024];
    size_t len = 0;
    const char *leaf = attr;
    char leafbuf[160];

    if (node != NULL && node->type == XML_ATTRIBUTE_NODE) {
        snprintf(leafbuf, sizeof(leafbuf), "%s%s%s", node->ns && node->ns->prefix ? (const char *)node->ns->prefix : "",
                 node->ns && node->ns->prefix ? ":" : "", (const char *)node->name);
        leaf = leafbuf;
        node = node->parent;
    } else if (node != NULL && node->type != XML_ELEMENT_NODE) {
        node = node->parent; /* text, comment: the element that holds it */
    }
    for (; node != NULL && node->type == XML_ELEMENT_NODE && depth < 256; node = node->parent)
        chain[depth++] = node;
    buf[0] = '\0';
    while (depth > 0 && len < sizeof(buf)) {
        const xmlNode *n = chain[--depth];
        int pos = sibling_position(n);
        int w = pos ? snprintf(buf + len, sizeof(buf) - len, "/%s[%d]", (const char *)n->name, pos)
                    : snprintf(buf + len, sizeof(buf) - len, "/%s", (const char *)n->name);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (leaf != NULL && len < sizeof(buf))
        snprintf(buf + len, sizeof(buf) - len, "/@%s", leaf);
    if (buf[0] == '\0')
        strcpy(buf, "/");
    return neptun_pool_strdup(pool, buf);
}

/* The xml:lang written on this very element (not inherited), borrowed. */
static const xmlChar *own_lang(const xmlNode *n)
{
    for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
        if (a->ns != NULL && a->ns->href != NULL && xmlStrEqual(a->ns->href, XML_XML_NAMESPACE) &&
            xmlStrEqual(a->name, (const xmlChar *)"lang") && a->children != NULL)
            return a->children->content;
    return NULL;
}

const xmlNode *xmlutil_child_lang(const struct neptun_render_ctx *rc, const xmlNode *parent, const char *name,
                                  const char **got_lang)
{
    if (got_lang != NULL)
        *got_lang = NULL;
    if (parent == NULL)
        return NULL;
    const xmlNode *neutral = NULL;
    for (size_t i = 0; rc->fallback != NULL && rc->fallback[i] != NULL; i++)
        for (const xmlNode *c = xmlutil_child(parent, name); c != NULL; c = xmlutil_next(c, name)) {
            const xmlChar *l = own_lang(c);
            if (l == NULL) {
                if (neutral == NULL)
                    neutral = c;
                continue;
            }
            if (strcmp((const char *)l, rc->fallback[i]) == 0) {
                if (got_lang != NULL)
                    *got_lang = rc->fallback[i];
                return c;
            }
        }
    if (neutral == NULL)
        neutral = xmlutil_child(parent, name);
    if (neutral != NULL && got_lang != NULL) {
        const xmlChar *l = own_lang(neutral);
        *got_lang = l ? neptun_pool_strdup(rc->pool, (const char *)l) : rc->lang;
    }
    return neutral;
}

int xmlutil_write_text(const struct neptun_render_ctx *rc, xmlTextWriterPtr w, const char *name, const char *text,
                       const char *got_lang)
{
    if (xmlTextWriterStartElement(w, (const xmlChar *)name) < 0)
        return NEPTUN_ERROR;
    if (got_lang != NULL && rc->lang != NULL && strcmp(got_lang, rc->lang) != 0 &&
        xmlTextWriterWriteAttribute(w, (const xmlChar *)"xml:lang", (const xmlChar *)got_lang) < 0)
        return NEPTUN_ERROR;
    if (text != NULL && xmlTextWriterWriteString(w, (const xmlChar *)text) < 0)
        return NEPTUN_ERROR;
    if (xmlTextWriterEndElement(w) < 0)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

#define XMLUTIL_FIRST_BUFFER (16 * 1024)

int xmlutil_writer_new(struct xmlutil_out *o, int indent)
{
    o->buf = xmlBufferCreateSize(XMLUTIL_FIRST_BUFFER);
    if (o->buf == NULL)
        return NEPTUN_NOMEM;
    /* The default (exact) scheme reallocates at every flush of the
     * writer's 4 KB chunks: a 30 KB feed moved its whole buffer 8 times.
     * Doubling from 16 KB, a feed page moves once; the result is trimmed
     * to its length when handed over. */
    xmlBufferSetAllocationScheme(o->buf, XML_BUFFER_ALLOC_DOUBLEIT);
    /* The writer's output kept at hand (xmlNewTextWriterMemory hides it):
     * xmlutil_start_utf8_document takes the converter off it. */
    o->out = xmlOutputBufferCreateBuffer(o->buf, NULL);
    o->w = o->out != NULL ? xmlNewTextWriter(o->out) : NULL;
    if (o->w == NULL) {
        if (o->out != NULL)
            xmlOutputBufferClose(o->out);
        o->out = NULL;
        xmlBufferFree(o->buf);
        o->buf = NULL;
        return NEPTUN_NOMEM;
    }
    if (indent) {
        xmlTextWriterSetIndent(o->w, 1);
        xmlTextWriterSetIndentString(o->w, (const xmlChar *)"  ");
    }
    return NEPTUN_OK;
}

int xmlutil_start_utf8_document(struct xmlutil_out *o)
{
    if (xmlTextWriterStartDocument(o->w, "1.0", "UTF-8", NULL) < 0)
        return NEPTUN_ERROR;
    /* Naming the encoding makes libxml2 put a UTF-8 to UTF-8 converter in
     * front of the output: every byte written afterwards is copied once
     * more through it (a tenth of a feed's rendering).  The declaration is
     * written; flush it through, then write straight. */
    xmlCharEncodingHandlerPtr enc = o->out->encoder;
    if (enc != NULL && enc->name != NULL && strcmp(enc->name, "UTF-8") == 0) {
        if (xmlTextWriterFlush(o->w) < 0)
            return NEPTUN_ERROR;
        o->out->encoder = NULL;
        xmlCharEncCloseFunc(enc);
    }
    return NEPTUN_OK;
}

int xmlutil_writer_done(struct xmlutil_out *o, char **out, size_t *len)
{
    int rc = NEPTUN_ERROR;
    *out = NULL;
    *len = 0;
    /* Freeing the writer flushes it into the buffer. */
    xmlFreeTextWriter(o->w);
    o->w = NULL;
    o->out = NULL;
    size_t n = (size_t)xmlBufferLength(o->buf);
    /* The buffer's own bytes (NUL-terminated, from malloc: libxml2's
     * allocator is left at its default) are handed over without a copy,
     * trimmed to their length so that the cache counts what is held. */
    char *d = (char *)xmlBufferDetach(o->buf);
    if (d == NULL && n == 0)
        d = calloc(1, 1);
    if (d != NULL) {
        char *fit = realloc(d, n + 1);
        *out = fit != NULL ? fit : d;
        *len = n;
        rc = NEPTUN_OK;
    }
    xmlBufferFree(o->buf);
    o->buf = NULL;
    return rc;
}

void xmlutil_writer_abort(struct xmlutil_out *o)
{
    if (o->w != NULL)
        xmlFreeTextWriter(o->w);
    if (o->buf != NULL)
        xmlBufferFree(o->buf);
    o->w = NULL;
    o->out = NULL;
    o->buf = NULL;
}

/* Parse the stored fragment (no DTD, no network, no entities: it came from
 * our own sanitiser) and write its nodes through the writer, so the
 * writer's state and escaping stay in charge. */
static int write_node(xmlTextWriterPtr w, const xmlNode *n);

static int write_children(xmlTextWriterPtr w, const xmlNode *n)
{
    for (const xmlNode *c = n->children; c != NULL; c = c->next)
        if (write_node(w, c) < 0)
            return -1;
    return 0;
}

static int write_node(xmlTextWriterPtr w, const xmlNode *n)
{
    switch (n->type) {
    case XML_ELEMENT_NODE: {
        int rc;
        const xmlChar *href = n->ns ? n->ns->href : NULL;
        /* Only the fragment root declares the namespace; children inherit. */
        int declare = href != NULL && (n->parent == NULL || n->parent->type != XML_ELEMENT_NODE);
        rc = declare ? xmlTextWriterStartElementNS(w, NULL, n->name, href)
                     : xmlTextWriterStartElement(w, n->name);
        if (rc < 0)
            return -1;
        for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
            xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
            const char *prefix = a->ns && xmlStrEqual(a->ns->href, XML_XML_NAMESPACE) ? "xml:" : "";
            char name[128];
            snprintf(name, sizeof(name), "%s%s", prefix, (const char *)a->name);
            rc = xmlTextWriterWriteAttribute(w, (const xmlChar *)name, v ? v : (const xmlChar *)"");
            xmlFree(v);
            if (rc < 0)
                return -1;
        }
        if (write_children(w, n) < 0)
            return -1;
        return xmlTextWriterFullEndElement(w) < 0 ? -1 : 0;
    }
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
        return xmlTextWriterWriteString(w, n->content) < 0 ? -1 : 0;
    default:
        return 0; /* comments and processing instructions are not carried */
    }
}

int xmlutil_write_fragment(xmlTextWriterPtr w, const char *xhtml)
{
    if (xhtml == NULL || xhtml[0] == '\0')
        return NEPTUN_OK;
    xmlDocPtr doc = xmlReadMemory(xhtml, (int)strlen(xhtml), NULL, "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING);
    if (doc == NULL)
        return NEPTUN_ERROR;
    int rc = write_node(w, xmlDocGetRootElement(doc)) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
    xmlFreeDoc(doc);
    return rc;
}
