/*
 * neptun/writer.h - small helpers every renderer of a plugin needs: checked
 * xmlTextWriter calls and the localised text of a fields tree.  Part of the
 * public plugin SDK.
 *
 * Everything here is `static inline` and calls only libxml2 and the host
 * table, so there is nothing to link: include <neptun/writer.h> (it includes
 * <neptun/plugin.h>) and use what you need, from C or C++.
 *
 * Conventions:
 *  - every function returns NEPTUN_OK or NEPTUN_ERROR (a libxml2 writer call
 *    failed, which means memory ran out), so that a renderer can chain them
 *    with || and give up on the first failure;
 *  - a NULL value or text writes nothing and is not an error: optional
 *    fields need no test before they are written;
 *  - strings returned are owned by the pool they were made in (rc->pool or
 *    the pool passed), valid until the reply; never free them.
 */
#ifndef NEPTUN_WRITER_H
#define NEPTUN_WRITER_H

#include <string.h>
#include <neptun/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- checked writer calls ------------------------------------------------ */

/* <name>, in the namespace of the enclosing element. */
static inline int neptun_w_start(xmlTextWriterPtr w, const char *name)
{
    return xmlTextWriterStartElement(w, BAD_CAST name) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

/* <name xmlns="ns">: the root element of a type's rendering or of a route's
 * answer (NEPTUN_XML_NS, NEPTUN_XHTML_NS). */
static inline int neptun_w_start_ns(xmlTextWriterPtr w, const char *name, const char *ns)
{
    return xmlTextWriterStartElementNS(w, NULL, BAD_CAST name, BAD_CAST ns) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

/* Close the element opened last. */
static inline int neptun_w_end(xmlTextWriterPtr w)
{
    return xmlTextWriterEndElement(w) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

/* name="value" on the open element; nothing when value is NULL.  The
 * writer escapes value. */
static inline int neptun_w_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    if (value == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

/* Text inside the open element; nothing when text is NULL. */
static inline int neptun_w_text(xmlTextWriterPtr w, const char *text)
{
    if (text == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteString(w, BAD_CAST text) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

/* <name>text</name>; nothing when text is NULL. */
static inline int neptun_w_element(xmlTextWriterPtr w, const char *name, const char *text)
{
    if (text == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

/* <name class="cls" xml:lang="got_lang">text</name> for XHTML (RSS, Atom):
 * class only when cls is not NULL, xml:lang only when got_lang is a
 * fallback language (differs from rc->lang).  Nothing when text is NULL.
 * In the neptun namespace use host->xml_write_text instead. */
static inline int neptun_w_xhtml_text(const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                                      const char *name, const char *cls, const char *text,
                                      const char *got_lang)
{
    const char *fallback = got_lang != NULL && strcmp(got_lang, rc->lang) != 0 ? got_lang : NULL;
    if (text == NULL)
        return NEPTUN_OK;
    if (neptun_w_start(w, name) != NEPTUN_OK || neptun_w_attr(w, "class", cls) != NEPTUN_OK ||
        neptun_w_attr(w, "xml:lang", fallback) != NEPTUN_OK || neptun_w_text(w, text) != NEPTUN_OK ||
        neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* ---- localised text of the fields ---------------------------------------- */

/* Text of the child name of parent in rc->lang or along its fallback chain
 * (host->xml_child_lang); *got_lang (may be NULL) receives the language
 * found.  Pool-owned; NULL when parent is NULL or no language has it. */
static inline const char *neptun_local_text(const struct neptun_host *host, const struct neptun_render_ctx *rc,
                                            const xmlNode *parent, const char *name, const char **got_lang)
{
    const xmlNode *node;
    if (got_lang != NULL)
        *got_lang = NULL;
    if (parent == NULL)
        return NULL;
    node = host->xml_child_lang(rc, parent, name, got_lang);
    return node != NULL ? host->xml_text(rc->pool, node) : NULL;
}

/* <as>text</as> in the neptun namespace from the localised child `child` of
 * parent, with xml:lang when the text came from a fallback language;
 * nothing when no language has it. */
static inline int neptun_w_local(const struct neptun_host *host, const struct neptun_render_ctx *rc,
                                 xmlTextWriterPtr w, const xmlNode *parent, const char *child, const char *as)
{
    const char *got = NULL;
    const char *text = neptun_local_text(host, rc, parent, child, &got);
    return text != NULL ? host->xml_write_text(rc, w, as, text, got) : NEPTUN_OK;
}

/* The catalog string key ("label.venue") in rc->lang, without a count.
 * Pool-owned; the key itself when no catalog has it. */
static inline const char *neptun_label(const struct neptun_host *host, const struct neptun_render_ctx *rc,
                                       const char *key)
{
    return host->t(rc->pool, key, rc->lang, -1);
}

/* <dt>label</dt><dd xml:lang="got_lang">text</dd> in XHTML (a line of a
 * definition list in feeds), the label being the catalog string key in
 * rc->lang; nothing when text is NULL. */
static inline int neptun_w_labelled(const struct neptun_host *host, const struct neptun_render_ctx *rc,
                                    xmlTextWriterPtr w, const char *key, const char *text, const char *got_lang)
{
    if (text == NULL)
        return NEPTUN_OK;
    if (neptun_w_element(w, "dt", neptun_label(host, rc, key)) != NEPTUN_OK ||
        neptun_w_xhtml_text(rc, w, "dd", NULL, text, got_lang) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* "street, postcode city" of an <address> with <street>, <postcode> and
 * <city> children (whichever are present).  Pool-owned; NULL when address
 * is NULL or holds neither street nor city. */
static inline const char *neptun_address_line(const struct neptun_host *host, struct neptun_pool *pool,
                                              const xmlNode *address)
{
    const char *street, *postcode, *city;
    if (address == NULL)
        return NULL;
    street = host->xml_text(pool, host->xml_child(address, "street"));
    postcode = host->xml_text(pool, host->xml_child(address, "postcode"));
    city = host->xml_text(pool, host->xml_child(address, "city"));
    if (street == NULL || city == NULL)
        return city != NULL ? city : street;
    if (postcode != NULL)
        return host->pool_printf(pool, "%s, %s %s", street, postcode, city);
    return host->pool_printf(pool, "%s, %s", street, city);
}

/* The start and end attributes of node (a session, a meeting) as Unix
 * seconds, read with host->parse_time.  NEPTUN_OK, or NEPTUN_INVALID when
 * either is missing or malformed (*start and *end are then unspecified). */
static inline int neptun_start_end(const struct neptun_host *host, struct neptun_pool *pool,
                                   const xmlNode *node, int64_t *start, int64_t *end)
{
    const char *s = host->xml_attr(pool, node, "start");
    const char *e = host->xml_attr(pool, node, "end");
    if (s == NULL || e == NULL || host->parse_time(s, start) != NEPTUN_OK ||
        host->parse_time(e, end) != NEPTUN_OK)
        return NEPTUN_INVALID;
    return NEPTUN_OK;
}

/* Absolute URL, in rc->lang, of the item a reference element names with
 * its type and slug attributes (<related type="campaigns" slug="..."/>).
 * Pool-owned; NULL when either attribute is missing. */
static inline const char *neptun_related_url(const struct neptun_host *host, const struct neptun_render_ctx *rc,
                                             const xmlNode *ref)
{
    const char *type = host->xml_attr(rc->pool, ref, "type");
    const char *slug = host->xml_attr(rc->pool, ref, "slug");
    if (type == NULL || slug == NULL)
        return NULL;
    return host->pool_printf(rc->pool, "%s/%s/%s/%s", rc->base_url, rc->lang, type, slug);
}

/* Every <related type slug> of the fields as it goes into the XML API:
 * <related type slug href/>, href in rc->lang. */
static inline int neptun_w_related(const struct neptun_host *host, const struct neptun_render_ctx *rc,
                                   xmlTextWriterPtr w)
{
    for (const xmlNode *r = host->xml_child(rc->fields, "related"); r; r = host->xml_next(r, "related"))
        if (neptun_w_start(w, "related") != NEPTUN_OK ||
            neptun_w_attr(w, "type", host->xml_attr(rc->pool, r, "type")) != NEPTUN_OK ||
            neptun_w_attr(w, "slug", host->xml_attr(rc->pool, r, "slug")) != NEPTUN_OK ||
            neptun_w_attr(w, "href", neptun_related_url(host, rc, r)) != NEPTUN_OK ||
            neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* The same for a human XHTML <dl>: a label.related <dt> and a <dd> with
 * the link for each <related> that names both type and slug. */
static inline int neptun_w_related_xhtml(const struct neptun_host *host,
                                         const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    for (const xmlNode *r = host->xml_child(rc->fields, "related"); r; r = host->xml_next(r, "related")) {
        const char *href = neptun_related_url(host, rc, r);
        if (href == NULL)
            continue;
        if (neptun_w_element(w, "dt", neptun_label(host, rc, "label.related")) != NEPTUN_OK ||
            neptun_w_start(w, "dd") != NEPTUN_OK || neptun_w_start(w, "a") != NEPTUN_OK ||
            neptun_w_attr(w, "href", href) != NEPTUN_OK || neptun_w_text(w, href) != NEPTUN_OK ||
            neptun_w_end(w) != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

#ifdef __cplusplus
}
#endif

#endif /* NEPTUN_WRITER_H */
