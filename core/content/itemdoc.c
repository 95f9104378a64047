/*
 * itemdoc.c - reading and writing item documents (see content.h).
 *
 * Reading happens in three layers, each refusing what the next must not see:
 *   1. bytes: valid UTF-8 (utf8.c), no non-UTF-8 encoding declaration, at most
 *      MAX_ATTRIBUTES attributes on any element (counted in one pass);
 *   2. the parser: a private SAX table stops at any DOCTYPE (so no entity is
 *      ever declared, let alone expanded) and at excessive depth or size;
 *      errors go to this parse's own handler, never to the global one;
 *   3. the tree: the composed RELAX NG grammar, then per item the checks
 *      that need the configuration or the type (slug, languages, times, the
 *      type's validate()), each problem reported with its element path.
 * Bodies are sanitised and re-serialised as one XHTML <div>; the type's
 * fields element is serialised with its namespace for the store.
 *
 * Writing goes through xmlTextWriter; bodies and fields are re-parsed with
 * the same secure reader and copied node by node, never pasted as text.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlsave.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include "content.h"
#include "conf.h"
#include "locale.h"
#include "sanitize.h"
#include "utf8.h"
#include "xmlutil.h"

#define MAX_DEPTH 64
#define MAX_ELEMENTS 200000
/* libxml2's RELAX NG check of "any attribute" content (XHTML bodies) costs
 * the square of an element's attribute count in time and memory (4,000
 * attributes: 1.2 s and 272 MB; 50,000 ran a server out of memory), and
 * its parser checks duplicates as slowly; no real element needs more. */
#define MAX_ATTRIBUTES 64
#define MAX_DOCUMENT_BYTES (64u * 1024 * 1024)

#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC)

/* ---- layer 1: bytes ------------------------------------------------------ */

static int check_utf8(const char *buf, size_t len, struct neptun_errors *errs)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t i = 0;
    int line = 1;

    while (i < len) {
        if (p[i] < 0x80) { /* most of a document: no call per byte */
            line += p[i] == '\n';
            i++;
            continue;
        }
        size_t n = utf8_sequence(p + i, len - i);
        if (n == 0) {
            errors_add(errs, "/", "line %d: invalid UTF-8 (byte 0x%02x at offset %zu)", line, p[i], i);
            return -1;
        }
        i += n;
    }
    return 0;
}

/* The encoding named in the XML declaration must be UTF-8 when present.
 * Only the declaration's own bytes are looked at; libxml2 checks its form. */
static int check_declared_encoding(const char *buf, size_t len, struct neptun_errors *errs)
{
    size_t i = 0, end;
    const char *decl;

    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    if (len - i < 5 || memcmp(buf + i, "<?xml", 5) != 0)
        return 0;
    decl = buf + i;
    for (end = 5; i + end + 1 < len && end < 256; end++)
        if (decl[end] == '?' && decl[end + 1] == '>')
            break;
    for (size_t k = 5; k + 8 <= end; k++) {
        if (memcmp(decl + k, "encoding", 8) != 0)
            continue;
        size_t v = k + 8;
        while (v < end && (decl[v] == ' ' || decl[v] == '\t' || decl[v] == '\r' || decl[v] == '\n' || decl[v] == '='))
            v++;
        if (v >= end || (decl[v] != '"' && decl[v] != '\''))
            return 0; /* malformed: the parser reports it */
        char quote = decl[v++];
        size_t start = v;
        while (v < end && decl[v] != quote)
            v++;
        size_t n = v - start;
        if ((n == 5 && strncasecmp(decl + start, "utf-8", 5) == 0) ||
            (n == 4 && strncasecmp(decl + start, "utf8", 4) == 0))
            return 0;
        errors_add(errs, "/", "line 1: encoding \"%.*s\" is not supported; documents must be UTF-8",
                   (int)(n > 40 ? 40 : n), decl + start);
        return -1;
    }
    return 0;
}

/* Skip from p to just past the terminator term (counting lines), or to
 * end when it is missing (the parser then reports the document). */
static const char *skip_past(const char *p, const char *end, const char *term, int *line)
{
    size_t tl = strlen(term);
    for (; p + tl <= end; p++) {
        if (memcmp(p, term, tl) == 0)
            return p + tl;
        if (*p == '\n')
            (*line)++;
    }
    return end;
}

/*
 * Count the attributes (namespace declarations included) of every start
 * tag in the raw bytes, before the parser sees them: one linear pass, so an
 * element with 50,000 attributes is refused before anything quadratic
 * runs.  The path names each element by its qualified name along the open
 * elements (no positions: the tree does not exist yet).  Anything this
 * scanner does not understand is left to the parser, which reports it.
 */
static int check_attribute_counts(const char *buf, size_t len, struct neptun_errors *errs)
{
    const char *p = buf, *end = buf + len;
    struct { const char *name; size_t len; } open[MAX_DEPTH];
    size_t depth = 0;
    int line = 1;

    while (p < end) {
        if (*p != '<') {
            if (*p == '\n')
                line++;
            p++;
            continue;
        }
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            p = skip_past(p + 4, end, "-->", &line);
        } else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
            p = skip_past(p + 9, end, "]]>", &line);
        } else if (end - p >= 2 && p[1] == '?') {
            p = skip_past(p + 2, end, "?>", &line);
        } else if (end - p >= 2 && p[1] == '!') {
            return 0; /* a DOCTYPE: the parser refuses it */
        } else if (end - p >= 2 && p[1] == '/') {
            if (depth > 0)
                depth--;
            p = skip_past(p + 2, end, ">", &line);
        } else {
            const char *name = ++p;
            while (p < end && *p != '>' && *p != '/' && *p != ' ' && *p != '\t' &&
                   *p != '\r' && *p != '\n')
                p++;
            size_t nlen = (size_t)(p - name);
            int start_line = line;
            long attrs = 0;
            char quote = 0;
            for (; p < end && (quote != 0 || *p != '>'); p++) {
                if (*p == '\n')
                    line++;
                if (quote != 0) {
                    if (*p == quote)
                        quote = 0;
                } else if (*p == '"' || *p == '\'') {
                    quote = *p;
                } else if (*p == '=') {
                    attrs++;
                } else if (*p == '<') {
                    return 0; /* malformed: the parser says where */
                }
            }
            if (attrs > MAX_ATTRIBUTES) {
                char path[512];
                size_t off = 0;
                for (size_t i = 0; i <= depth && off < sizeof(path); i++) {
                    const char *n = i < depth ? open[i].name : name;
                    size_t l = i < depth ? open[i].len : nlen;
                    int w = snprintf(path + off, sizeof(path) - off, "/%.*s",
                                     (int)(l > 64 ? 64 : l), n);
                    if (w < 0)
                        break;
                    off += (size_t)w;
                }
                errors_add(errs, path, "line %d: <%.*s> has %ld attributes; at most %d are allowed",
                           start_line, (int)(nlen > 64 ? 64 : nlen), name, attrs, MAX_ATTRIBUTES);
                return -1;
            }
            if (p < end && p[-1] != '/') {
                if (depth == MAX_DEPTH)
                    return 0; /* the parser refuses the depth */
                open[depth].name = name;
                open[depth].len = nlen;
                depth++;
            }
            if (p < end)
                p++;
        }
    }
    return 0;
}

/* ---- layer 2: the parser ------------------------------------------------- */

struct parse_state {
    struct neptun_errors *errs;
    int depth;
    long elements;
    int refused; /* parsing stopped on purpose; later parser noise is dropped */
};

static void parse_error(void *ctx, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt ? ctxt->_private : NULL;
    const char *msg;
    size_t len;

    if (st == NULL || e == NULL || st->refused || e->level == XML_ERR_WARNING)
        return;
    msg = e->message ? e->message : "malformed XML";
    len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    errors_add(st->errs, "/", "line %d: %.*s", e->line, (int)len, msg);
}

static void refuse(xmlParserCtxtPtr ctxt, const char *msg)
{
    struct parse_state *st = ctxt->_private;
    if (!st->refused)
        errors_add(st->errs, "/", "line %d: %s", xmlSAX2GetLineNumber(ctxt), msg);
    st->refused = 1;
    xmlStopParser(ctxt);
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    refuse(ctx, "DTDs and entity declarations are not allowed");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    refuse(ctx, "DTDs and entity declarations are not allowed");
}

static void on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                             const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                             int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt->_private;

    if (++st->depth > MAX_DEPTH) {
        refuse(ctxt, "elements are nested too deeply (at most 64 levels)");
        return;
    }
    if (++st->elements > MAX_ELEMENTS) {
        refuse(ctxt, "too many elements");
        return;
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces,
                          nb_attributes, nb_defaulted, attributes);
}

static void on_end_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                           const xmlChar *uri)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt->_private;
    st->depth--;
    xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

static void free_doc(void *doc)
{
    xmlFreeDoc(doc);
}

xmlDocPtr itemdoc_read_secure(struct neptun_pool *pool, const char *buf, size_t len,
                              struct neptun_errors *errs)
{
    struct parse_state st = { errs, 0, 0, 0 };
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;

    if (buf == NULL || len == 0) {
        errors_add(errs, "/", "the document is empty");
        goto out;
    }
    if (len > MAX_DOCUMENT_BYTES) {
        errors_add(errs, "/", "the document is too large");
        goto out;
    }
    if (check_utf8(buf, len, errs) < 0 || check_declared_encoding(buf, len, errs) < 0 ||
        check_attribute_counts(buf, len, errs) < 0)
        goto out;

    ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
    if (ctxt == NULL) {
        errors_add(errs, "/", "out of memory parsing the document");
        goto out;
    }
    if (xmlCtxtUseOptions(ctxt, PARSE_OPTIONS) != 0) {
        errors_add(errs, "/", "the XML parser refused its options");
        goto out;
    }
    ctxt->_private = &st;
    ctxt->sax->serror = parse_error;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->externalSubset = on_doctype;
    ctxt->sax->entityDecl = on_entity_decl;
    ctxt->sax->startElementNs = on_start_element;
    ctxt->sax->endElementNs = on_end_element;

    xmlParseDocument(ctxt);
    doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    if (st.refused || !ctxt->wellFormed || doc == NULL || xmlDocGetRootElement(doc) == NULL) {
        if (!st.refused && (errs == NULL || errs->n == 0))
            errors_add(errs, "/", "the document is not well-formed XML");
        xmlFreeDoc(doc);
        doc = NULL;
        goto out;
    }
    if (neptun_pool_cleanup_add(pool, free_doc, doc) != NEPTUN_OK) {
        xmlFreeDoc(doc);
        doc = NULL;
        errors_add(errs, "/", "out of memory parsing the document");
    }
out:
    if (ctxt != NULL) {
        ctxt->_private = NULL;
        xmlFreeParserCtxt(ctxt);
    }
    return doc;
}

/* ---- layer 3: the item tree --------------------------------------------- */

static int is_elem(const xmlNode *node, const char *ns, const char *name)
{
    return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
           strcmp((const char *)node->ns->href, ns) == 0 &&
           (name == NULL || strcmp((const char *)node->name, name) == 0);
}

static const xmlNode *first_child(const xmlNode *parent, const char *name)
{
    for (const xmlNode *c = parent->children; c != NULL; c = c->next)
        if (is_elem(c, NEPTUN_XML_NS, name))
            return c;
    return NULL;
}

static const char *pool_text(struct neptun_pool *pool, const xmlNode *node)
{
    xmlChar *s = xmlNodeGetContent(node);
    const char *out = neptun_pool_strdup(pool, s ? (const char *)s : "");
    xmlFree(s);
    return out;
}

static const char *pool_attr(struct neptun_pool *pool, const xmlNode *node, const char *name)
{
    xmlChar *s = xmlGetNoNsProp(node, BAD_CAST name);
    const char *out = s ? neptun_pool_strdup(pool, (const char *)s) : NULL;
    xmlFree(s);
    return out;
}

/* [a-z0-9-], 1..max bytes; never reads past the (max + 1)th byte. */
static int machine_name_ok(const char *s, size_t max)
{
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (; s[n] != '\0'; n++)
        if (n == max || !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
            return 0;
    return n >= 1;
}

int content_slug_ok(const char *s)
{
    return machine_name_ok(s, CONTENT_SLUG_MAX);
}

int content_tag_ok(const char *s)
{
    return machine_name_ok(s, CONTENT_TAG_MAX);
}

static int language_ok(const char *code)
{
    return code != NULL && conf_has_lang(code, strlen(code));
}

/* A standalone copy of node: its own document, namespaces declared on the
 * copy's root.  Caller frees the document. */
static xmlDocPtr detached_copy(const xmlNode *node)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr copy;
    if (doc == NULL)
        return NULL;
    /* a document without an encoding serialises non-ASCII attribute text
     * as character references */
    doc->encoding = xmlStrdup(BAD_CAST "UTF-8");
    copy = xmlDocCopyNode((xmlNodePtr)node, doc, 1);
    if (copy == NULL) {
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlDocSetRootElement(doc, copy);
    return doc;
}

static const char *serialise(struct neptun_pool *pool, xmlDocPtr doc)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr save = NULL;
    const char *out = NULL;

    if (buf == NULL)
        return NULL;
    /* UTF-8 output keeps text as it is instead of character references */
    save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL | XML_SAVE_AS_XML);
    if (save != NULL && xmlSaveTree(save, xmlDocGetRootElement(doc)) >= 0 && xmlSaveClose(save) >= 0)
        out = neptun_pool_strdup(pool, (const char *)xmlBufferContent(buf));
    else if (save != NULL)
        xmlSaveClose(save);
    xmlBufferFree(buf);
    return out;
}

/* After sanitising only XHTML elements, unqualified attributes and xml:lang
 * remain: every element goes onto one default namespace declared on the
 * <div>, and the document's other declarations go (a nested xmlns="..."
 * would otherwise change what an unprefixed name means). */
static void canonical_xhtml_ns(xmlNodePtr node, xmlNsPtr xhtml, xmlNsPtr xml)
{
    for (xmlNodePtr n = node; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        n->ns = xhtml;
        xmlFreeNsList(n->nsDef);
        n->nsDef = NULL;
        for (xmlAttrPtr a = n->properties; a != NULL; a = a->next)
            if (a->ns != NULL)
                a->ns = xml;
        canonical_xhtml_ns(n->children, xhtml, xml);
    }
}

static const char *sanitised_body(struct neptun_pool *pool, const xmlNode *div)
{
    xmlDocPtr doc = detached_copy(div);
    xmlNodePtr root;
    xmlNsPtr xhtml, xml;
    const char *out = NULL;

    if (doc == NULL)
        return NULL;
    root = xmlDocGetRootElement(doc);
    sanitize_xhtml(root);
    xml = xmlSearchNs(doc, root, BAD_CAST "xml");
    xhtml = xmlNewNs(NULL, BAD_CAST NEPTUN_XHTML_NS, NULL);
    if (xml == NULL || xhtml == NULL) {
        xmlFreeNs(xhtml);
        goto out;
    }
    /* the walk frees root->nsDef, so the new declaration goes on after it */
    canonical_xhtml_ns(root, xhtml, xml);
    root->nsDef = xhtml;
    out = serialise(pool, doc);
out:
    xmlFreeDoc(doc);
    return out;
}

struct item_reader {
    struct neptun_pool *pool;
    struct neptun_errors *errs;
    size_t errors_before;
};

/* Add a problem about node (and its attribute attr, or NULL) - unless the
 * list is full: then not even the path is built, since a path walks the
 * node's siblings and a hostile document repeats a mistake thousands of
 * times (2,000 duplicate texts took 17 s when every one built its path). */
static void problem(struct item_reader *r, const xmlNode *node, const char *attr,
                    const char *fmt, ...) NEPTUN_PRINTF(4, 5);
static void problem(struct item_reader *r, const xmlNode *node, const char *attr,
                    const char *fmt, ...)
{
    va_list ap;
    if (errors_full(r->errs))
        return;
    va_start(ap, fmt);
    errors_vadd(r->errs, xmlutil_node_path(r->pool, node, attr), fmt, ap);
    va_end(ap);
}

static int64_t read_time(struct item_reader *r, const xmlNode *item, const char *name)
{
    const char *v = pool_attr(r->pool, item, name);
    int64_t t = 0;
    if (v == NULL)
        return 0;
    if (locale_parse_time(v, &t) != NEPTUN_OK)
        problem(r, item, name,
                   "\"%s\" is not an RFC 3339 date-time with offset (2017-06-29T13:30:00+02:00)", v);
    return t;
}

/* Order of pointers to an item's tag slots: by tag, then by slot, so of
 * equal tags the first in the document sorts first. */
static int tag_slot_order(const void *a, const void *b)
{
    const char *const *x = *(const char *const *const *)a;
    const char *const *y = *(const char *const *const *)b;
    int c = strcmp(*x, *y);
    return c != 0 ? c : (x > y) - (x < y);
}

/* Keep the first of repeated tags, in document order.  Sorting pointers to
 * the slots makes it n log n, where comparing each tag with every earlier
 * one took seconds for a document of 100,000 tags. */
static void drop_repeated_tags(struct neptun_pool *pool, struct neptun_item *item)
{
    size_t n = item->ntags, kept = 0;
    if (n < 2)
        return;
    const char **tags = item->tags;
    const char ***slots = neptun_pool_alloc(pool, n * sizeof(*slots));
    if (slots == NULL)
        return; /* out of memory: the repeats stay, which is harmless */
    for (size_t i = 0; i < n; i++)
        slots[i] = &tags[i];
    qsort(slots, n, sizeof(*slots), tag_slot_order);
    for (size_t i = n - 1; i > 0; i--)
        if (strcmp(*slots[i], *slots[i - 1]) == 0)
            *slots[i] = NULL; /* a later repeat (slots[i - 1] is earlier) */
    for (size_t i = 0; i < n; i++)
        if (tags[i] != NULL)
            tags[kept++] = tags[i];
    item->ntags = kept;
}

static void read_tags(struct item_reader *r, const xmlNode *tags, struct neptun_item *item)
{
    size_t n = 0;
    for (const xmlNode *t = first_child(tags, "tag"); t != NULL; t = t->next)
        if (is_elem(t, NEPTUN_XML_NS, "tag"))
            n++;
    item->tags = neptun_pool_calloc(r->pool, n ? n : 1, sizeof(*item->tags));
    if (item->tags == NULL)
        return;
    for (const xmlNode *t = first_child(tags, "tag"); t != NULL; t = t->next) {
        if (!is_elem(t, NEPTUN_XML_NS, "tag"))
            continue;
        const char *v = pool_text(r->pool, t);
        if (!content_tag_ok(v)) {
            problem(r, t, NULL,
                       "tag \"%s\" must be 1 to 80 characters of a-z, 0-9 and -", v ? v : "");
            continue;
        }
        item->tags[item->ntags++] = v;
    }
    drop_repeated_tags(r->pool, item);
}

static void read_text(struct item_reader *r, const xmlNode *text, struct neptun_text *out,
                      const struct neptun_item *item)
{
    xmlChar *lang = xmlNodeGetLang(text);
    const xmlNode *body, *div = NULL;

    out->lang = lang ? neptun_pool_strdup(r->pool, (const char *)lang) : NULL;
    xmlFree(lang);
    if (!language_ok(out->lang)) {
        problem(r, text, "xml:lang",
                   "language \"%s\" is not configured", out->lang ? out->lang : "");
    } else if (!errors_full(r->errs)) {
        /* One problem per duplicate, found at the first earlier text in the
         * language: the walk passes at most one text per configured
         * language and the unconfigured ones, each already a problem. */
        for (size_t i = 0; i < item->ntexts; i++)
            if (item->texts[i].lang != NULL && strcmp(item->texts[i].lang, out->lang) == 0) {
                problem(r, text, "xml:lang",
                        "a second text in \"%s\"; each language may appear once", out->lang);
                break;
            }
    }

    const xmlNode *title = first_child(text, "title");
    out->title = title ? pool_text(r->pool, title) : "";
    if (title == NULL || out->title == NULL || out->title[strspn(out->title, " \t\r\n")] == '\0')
        problem(r, title ? title : text, NULL, "the title is empty");
    const xmlNode *summary = first_child(text, "summary");
    out->summary = summary ? pool_text(r->pool, summary) : NULL;

    body = first_child(text, "body");
    if (body == NULL)
        return;
    for (const xmlNode *c = body->children; c != NULL && div == NULL; c = c->next)
        if (is_elem(c, NEPTUN_XHTML_NS, "div"))
            div = c;
    if (div == NULL) {
        problem(r, body, NULL,
                   "the body must hold one <div xmlns=\"" NEPTUN_XHTML_NS "\">");
        return;
    }
    out->body = sanitised_body(r->pool, div);
    if (out->body == NULL)
        problem(r, div, NULL, "out of memory cleaning the body");
}

static void read_links(struct item_reader *r, const xmlNode *links, struct neptun_item *item)
{
    size_t n = 0;
    for (const xmlNode *l = links->children; l != NULL; l = l->next)
        if (is_elem(l, NEPTUN_XML_NS, "link"))
            n++;
    item->links = neptun_pool_calloc(r->pool, n ? n : 1, sizeof(*item->links));
    if (item->links == NULL)
        return;
    for (const xmlNode *l = links->children; l != NULL; l = l->next) {
        if (!is_elem(l, NEPTUN_XML_NS, "link"))
            continue;
        struct neptun_link *link = &item->links[item->nlinks++];
        link->rel = pool_attr(r->pool, l, "rel");
        link->href = pool_attr(r->pool, l, "href");
        link->lang = pool_attr(r->pool, l, "hreflang");
        link->mime = pool_attr(r->pool, l, "type");
        link->title = pool_text(r->pool, l);
        if (link->title != NULL && link->title[0] == '\0')
            link->title = NULL;
        if (link->href == NULL || link->href[0] == '\0' || !sanitize_url_ok(link->href))
            problem(r, l, "href",
                       "\"%s\" is not an allowed URL (http, https, mailto, tel or relative)",
                       link->href ? link->href : "");
    }
}

/* The type's own element: checked by the type, indexed, serialised. */
static void read_fields(struct item_reader *r, const xmlNode *fields, const struct neptun_type *type,
                        struct itemdoc *doc)
{
    xmlDocPtr copy;

    if (type->element == NULL || strcmp((const char *)fields->name, type->element) != 0) {
        problem(r, fields, NULL, "type \"%s\" expects %s%s%s here",
                   type->name, type->element ? "<" : "no fields element",
                   type->element ? type->element : "", type->element ? ">" : "");
        return;
    }
    if (type->validate != NULL &&
        type->validate(type->ud, fields, r->errs) != NEPTUN_OK && r->errs->n == r->errors_before)
        problem(r, fields, NULL, "the %s fields are not valid", type->name);
    if (r->errs->n != r->errors_before)
        return; /* index() may rely on what validate() checked */
    if (type->index != NULL &&
        type->index(type->ud, r->pool, fields, &doc->index) != NEPTUN_OK) {
        problem(r, fields, NULL, "the %s fields cannot be indexed", type->name);
        return;
    }
    doc->item.starts_at = doc->index.starts_at;
    doc->item.ends_at = doc->index.ends_at;
    copy = detached_copy(fields);
    doc->item.fields_xml = copy ? serialise(r->pool, copy) : NULL;
    xmlFreeDoc(copy);
    if (doc->item.fields_xml == NULL)
        problem(r, fields, NULL, "out of memory storing the fields");
}

static const struct {
    const char *name;
    enum neptun_status status;
} statuses[] = {
    { "draft", NEPTUN_STATUS_DRAFT },
    { "published", NEPTUN_STATUS_PUBLISHED },
    { "archived", NEPTUN_STATUS_ARCHIVED },
};

/* The slug of an item document without one: its title in the default
 * language (the first text when it has none) transliterated, "Größe
 * Straße" -> "grosse-strasse".  NULL when nothing is left of the title. */
static const char *slug_from_title(struct neptun_pool *pool, const struct neptun_item *item)
{
    const char *deflang = conf_default_lang();
    const struct neptun_text *t = &item->texts[0];
    for (size_t i = 0; deflang != NULL && i < item->ntexts; i++)
        if (item->texts[i].lang != NULL && strcmp(item->texts[i].lang, deflang) == 0)
            t = &item->texts[i];
    return t->title != NULL ? locale_slugify(pool, t->title) : NULL;
}

static void read_item(struct item_reader *r, const xmlNode *node, struct itemdoc *doc)
{
    struct neptun_item *item = &doc->item;
    const struct neptun_type *type;
    const char *status;
    size_t ntexts = 0;
    int known_status = 0;

    r->errors_before = r->errs->n;
    item->type = pool_attr(r->pool, node, "type");
    type = item->type ? types_find(item->type) : NULL;
    if (type == NULL)
        problem(r, node, "type", "unknown type \"%s\"",
                   item->type ? item->type : "");
    item->slug = pool_attr(r->pool, node, "slug");
    doc->slug_made = item->slug == NULL;
    if (item->slug != NULL && !content_slug_ok(item->slug))
        problem(r, node, "slug",
                   "slug \"%s\" must be 1 to 80 characters of a-z, 0-9 and -", item->slug ? item->slug : "");
    status = pool_attr(r->pool, node, "status");
    for (size_t i = 0; status != NULL && i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (strcmp(status, statuses[i].name) == 0) {
            item->status = statuses[i].status;
            known_status = 1;
        }
    if (!known_status)
        problem(r, node, "status",
                   "status \"%s\" must be draft, published or archived", status ? status : "");
    item->publish_at = read_time(r, node, "publish_at");
    item->created = read_time(r, node, "created");
    item->updated = read_time(r, node, "updated");

    for (const xmlNode *c = node->children; c != NULL; c = c->next)
        if (is_elem(c, NEPTUN_XML_NS, "text"))
            ntexts++;
    item->texts = neptun_pool_calloc(r->pool, ntexts ? ntexts : 1, sizeof(*item->texts));
    if (item->texts == NULL) {
        problem(r, node, NULL, "out of memory");
        return;
    }
    const xmlNode *fields = NULL;
    for (const xmlNode *c = node->children; c != NULL; c = c->next) {
        if (is_elem(c, NEPTUN_XML_NS, "text")) {
            read_text(r, c, &item->texts[item->ntexts], item);
            item->ntexts++;
        } else if (is_elem(c, NEPTUN_XML_NS, "tags")) {
            read_tags(r, c, item);
        } else if (is_elem(c, NEPTUN_XML_NS, "links")) {
            read_links(r, c, item);
        } else if (c->type == XML_ELEMENT_NODE) {
            fields = c;
        }
    }
    if (item->ntexts == 0)
        problem(r, node, NULL, "an item needs at least one <text>");
    else if (doc->slug_made && (item->slug = slug_from_title(r->pool, item)) == NULL)
        problem(r, node, "slug",
                   "no slug given, and the title has no letters or digits to make one from");
    if (type != NULL && fields != NULL)
        read_fields(r, fields, type, doc);
}

/* The attributes every <item> must have, reported with the item's path:
 * libxml2's RELAX NG validator loses the element of a missing attribute
 * when an optional one (slug, publish_at...) is present. */
static int check_required_attributes(struct neptun_pool *pool, const xmlNode *root,
                                     struct neptun_errors *errs)
{
    static const char *const required[] = { "type", "status" };
    size_t before = errs->n;
    int single = is_elem(root, NEPTUN_XML_NS, "item");
    for (const xmlNode *c = single ? root : root->children; c != NULL; c = single ? NULL : c->next) {
        if (!is_elem(c, NEPTUN_XML_NS, "item"))
            continue;
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
            if (!xmlHasNsProp(c, BAD_CAST required[i], NULL))
                errors_add(errs, xmlutil_node_path(pool, c, NULL),
                           "<item> needs the attribute %s", required[i]);
    }
    return errs->n == before ? NEPTUN_OK : NEPTUN_INVALID;
}

int itemdoc_parse(struct neptun_pool *pool, const char *buf, size_t len,
                  struct itemdoc **docs, size_t *n, struct neptun_errors *errs)
{
    struct item_reader r = { pool, errs, 0 };
    xmlDocPtr doc;
    const xmlNode *root;
    size_t count = 0;
    struct itemdoc *out;

    *docs = NULL;
    *n = 0;
    /* well-formed but beyond a bound: a problem with the document (422),
     * not a malformed one (the secure reader alone refuses it as such) */
    if (buf != NULL && len <= MAX_DOCUMENT_BYTES && check_attribute_counts(buf, len, errs) < 0)
        return NEPTUN_INVALID;
    doc = itemdoc_read_secure(pool, buf, len, errs);
    if (doc == NULL)
        return NEPTUN_ERROR;
    root = xmlDocGetRootElement(doc);
    if (!is_elem(root, NEPTUN_XML_NS, "item") && !is_elem(root, NEPTUN_XML_NS, "items")) {
        errors_add(errs, xmlutil_node_path(pool, root, NULL),
                   "the root element must be <item> or <items> in the namespace " NEPTUN_XML_NS);
        return NEPTUN_INVALID;
    }
    if (check_required_attributes(pool, root, errs) != NEPTUN_OK ||
        schema_validate(doc, errs) != NEPTUN_OK)
        return NEPTUN_INVALID;

    if (is_elem(root, NEPTUN_XML_NS, "item")) {
        count = 1;
    } else {
        for (const xmlNode *c = root->children; c != NULL; c = c->next)
            if (is_elem(c, NEPTUN_XML_NS, "item"))
                count++;
    }
    out = neptun_pool_calloc(pool, count ? count : 1, sizeof(*out));
    if (out == NULL) {
        errors_add(errs, "/", "out of memory");
        return NEPTUN_ERROR;
    }
    size_t i = 0;
    for (const xmlNode *c = is_elem(root, NEPTUN_XML_NS, "item") ? root : root->children;
         c != NULL && i < count; c = c->next) {
        if (!is_elem(c, NEPTUN_XML_NS, "item"))
            continue;
        read_item(&r, c, &out[i]);
        for (size_t k = 0; k < i && !errors_full(errs); k++)
            if (out[k].item.type && out[i].item.type && out[k].item.slug && out[i].item.slug &&
                strcmp(out[k].item.type, out[i].item.type) == 0 &&
                strcmp(out[k].item.slug, out[i].item.slug) == 0)
                errors_add(errs, xmlutil_node_path(pool, c, "slug"), "%s/%s appears twice in this document",
                           out[i].item.type, out[i].item.slug);
        i++;
    }
    if (errs->n > 0)
        return NEPTUN_INVALID;
    *docs = out;
    *n = count;
    return NEPTUN_OK;
}

/* ---- writing ------------------------------------------------------------- */

/* RFC 3339 in the configured zone: "2017-06-29T13:30:00+02:00".  Old
 * local mean times have offsets with seconds, which RFC 3339 cannot say:
 * those moments are written in UTC. */
static int format_time(int64_t t, char *buf, size_t size)
{
    int off = locale_zone_offset(t);
    time_t local;
    struct tm tm;
    int aoff, n;

    if (off % 60 != 0)
        off = 0;
    local = (time_t)(t + off);
    aoff = off < 0 ? -off : off;
    if ((int64_t)local != t + off || gmtime_r(&local, &tm) == NULL)
        return -1;
    if (off == 0)
        n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else
        n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     off < 0 ? '-' : '+', aoff / 3600, (aoff % 3600) / 60);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

static int write_time(xmlTextWriterPtr w, const char *name, int64_t t)
{
    char buf[48];
    if (t == 0)
        return 0;
    if (format_time(t, buf, sizeof(buf)) < 0)
        return -1;
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST buf) < 0 ? -1 : 0;
}

static const char *qname(char *buf, size_t size, const xmlChar *prefix, const xmlChar *name)
{
    if (prefix == NULL)
        return (const char *)name;
    snprintf(buf, size, "%s:%s", (const char *)prefix, (const char *)name);
    return buf;
}

/* Copy a parsed element into the writer: its namespace declarations,
 * attributes, text and children.  Escaping is the writer's. */
static int write_tree(xmlTextWriterPtr w, const xmlNode *node)
{
    char qbuf[512];

    switch (node->type) {
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
        return xmlTextWriterWriteString(w, node->content ? node->content : BAD_CAST "") < 0 ? -1 : 0;
    case XML_ELEMENT_NODE:
        break;
    default:
        return 0; /* comments and processing instructions are not content */
    }
    if (xmlTextWriterStartElement(w, BAD_CAST qname(qbuf, sizeof(qbuf),
                                  node->ns ? node->ns->prefix : NULL, node->name)) < 0)
        return -1;
    for (const xmlNs *ns = node->nsDef; ns != NULL; ns = ns->next) {
        const char *attr = ns->prefix ? qname(qbuf, sizeof(qbuf), BAD_CAST "xmlns", ns->prefix) : "xmlns";
        if (xmlTextWriterWriteAttribute(w, BAD_CAST attr, ns->href) < 0)
            return -1;
    }
    for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
        xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
        int rc = xmlTextWriterWriteAttribute(w, BAD_CAST qname(qbuf, sizeof(qbuf),
                                             a->ns ? a->ns->prefix : NULL, a->name),
                                             v ? v : BAD_CAST "");
        xmlFree(v);
        if (rc < 0)
            return -1;
    }
    for (const xmlNode *c = node->children; c != NULL; c = c->next)
        if (write_tree(w, c) < 0)
            return -1;
    return xmlTextWriterFullEndElement(w) < 0 ? -1 : 0;
}

/* Re-read stored markup with the secure reader and copy it into w. */
static int write_markup(xmlTextWriterPtr w, const char *markup)
{
    struct neptun_pool *pool = neptun_pool_new(1024);
    xmlDocPtr doc;
    int rc = -1;

    if (pool == NULL)
        return -1;
    doc = itemdoc_read_secure(pool, markup, strlen(markup), NULL);
    if (doc != NULL)
        rc = write_tree(w, xmlDocGetRootElement(doc));
    neptun_pool_free(pool);
    return rc;
}

static int write_element(xmlTextWriterPtr w, const char *name, const char *text)
{
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text) < 0 ? -1 : 0;
}

static int write_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    if (value == NULL)
        return 0;
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value) < 0 ? -1 : 0;
}

static int write_text(xmlTextWriterPtr w, const struct neptun_text *text)
{
    if (xmlTextWriterStartElement(w, BAD_CAST "text") < 0 ||
        xmlTextWriterWriteAttributeNS(w, BAD_CAST "xml", BAD_CAST "lang", NULL, BAD_CAST text->lang) < 0 ||
        write_element(w, "title", text->title ? text->title : "") < 0)
        return -1;
    if (text->summary != NULL && write_element(w, "summary", text->summary) < 0)
        return -1;
    if (text->body != NULL) {
        if (xmlTextWriterStartElement(w, BAD_CAST "body") < 0 || write_markup(w, text->body) < 0 ||
            xmlTextWriterEndElement(w) < 0)
            return -1;
    }
    return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

static int write_link(xmlTextWriterPtr w, const struct neptun_link *link)
{
    if (xmlTextWriterStartElement(w, BAD_CAST "link") < 0 ||
        write_attr(w, "rel", link->rel ? link->rel : "related") < 0 ||
        write_attr(w, "href", link->href ? link->href : "") < 0 ||
        write_attr(w, "hreflang", link->lang) < 0 || write_attr(w, "type", link->mime) < 0)
        return -1;
    if (link->title != NULL && xmlTextWriterWriteString(w, BAD_CAST link->title) < 0)
        return -1;
    return xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

int itemdoc_write(xmlTextWriterPtr w, const struct neptun_item *item, int fragment)
{
    const char *status = "draft";

    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (statuses[i].status == item->status)
            status = statuses[i].name;
    if (!fragment && xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0)
        return NEPTUN_ERROR;
    if (xmlTextWriterStartElementNS(w, NULL, BAD_CAST "item", BAD_CAST NEPTUN_XML_NS) < 0 ||
        write_attr(w, "type", item->type) < 0 || write_attr(w, "slug", item->slug) < 0 ||
        write_attr(w, "status", status) < 0 || write_time(w, "publish_at", item->publish_at) < 0 ||
        write_time(w, "created", item->created) < 0 || write_time(w, "updated", item->updated) < 0)
        return NEPTUN_ERROR;
    if (item->ntags > 0) {
        if (xmlTextWriterStartElement(w, BAD_CAST "tags") < 0)
            return NEPTUN_ERROR;
        for (size_t i = 0; i < item->ntags; i++)
            if (write_element(w, "tag", item->tags[i]) < 0)
                return NEPTUN_ERROR;
        if (xmlTextWriterEndElement(w) < 0)
            return NEPTUN_ERROR;
    }
    for (size_t i = 0; i < item->ntexts; i++)
        if (write_text(w, &item->texts[i]) < 0)
            return NEPTUN_ERROR;
    if (item->nlinks > 0) {
        if (xmlTextWriterStartElement(w, BAD_CAST "links") < 0)
            return NEPTUN_ERROR;
        for (size_t i = 0; i < item->nlinks; i++)
            if (write_link(w, &item->links[i]) < 0)
                return NEPTUN_ERROR;
        if (xmlTextWriterEndElement(w) < 0)
            return NEPTUN_ERROR;
    }
    if (item->fields_xml != NULL && write_markup(w, item->fields_xml) < 0)
        return NEPTUN_ERROR;
    if (xmlTextWriterEndElement(w) < 0)
        return NEPTUN_ERROR;
    if (!fragment && xmlTextWriterEndDocument(w) < 0)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

const xmlNode *itemdoc_fields(struct neptun_pool *pool, const struct neptun_item *item)
{
    xmlDocPtr doc;
    if (item == NULL || item->fields_xml == NULL)
        return NULL;
    doc = itemdoc_read_secure(pool, item->fields_xml, strlen(item->fields_xml), NULL);
    return doc ? xmlDocGetRootElement(doc) : NULL;
}
