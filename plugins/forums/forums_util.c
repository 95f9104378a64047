/*
 * forums_util.c - small helpers the forums renderers share: localised
 * text lookup, the meeting time, address lines, and checked xmlTextWriter
 * calls (every writer call can fail when memory runs out).
 */
#include <string.h>
#include "forums.h"

const char *forums_local_text(const struct forums_plugin *p, const struct neptun_render_ctx *rc,
                              const xmlNode *parent, const char *name, const char **got_lang)
{
    if (got_lang != NULL)
        *got_lang = NULL;
    if (parent == NULL)
        return NULL;
    const xmlNode *node = p->host->xml_child_lang(rc, parent, name, got_lang);
    if (node == NULL)
        return NULL;
    return p->host->xml_text(rc->pool, node);
}

int forums_when_times(const struct forums_plugin *p, struct neptun_pool *pool,
                         const xmlNode *when, int64_t *start, int64_t *end)
{
    const char *s = p->host->xml_attr(pool, when, "start");
    const char *e = p->host->xml_attr(pool, when, "end");
    if (s == NULL || e == NULL)
        return NEPTUN_INVALID;
    if (p->host->parse_time(s, start) != NEPTUN_OK || p->host->parse_time(e, end) != NEPTUN_OK)
        return NEPTUN_INVALID;
    return NEPTUN_OK;
}

const char *forums_address_line(const struct forums_plugin *p, struct neptun_pool *pool,
                                const xmlNode *address)
{
    if (address == NULL)
        return NULL;
    const struct neptun_host *h = p->host;
    const char *street = h->xml_text(pool, h->xml_child(address, "street"));
    const char *postcode = h->xml_text(pool, h->xml_child(address, "postcode"));
    const char *city = h->xml_text(pool, h->xml_child(address, "city"));
    if (street == NULL || city == NULL)
        return city ? city : street;
    if (postcode != NULL)
        return h->pool_printf(pool, "%s, %s %s", street, postcode, city);
    return h->pool_printf(pool, "%s, %s", street, city);
}

/* ---- writer ------------------------------------------------------------ */

int forums_w_start(xmlTextWriterPtr w, const char *name)
{
    return xmlTextWriterStartElement(w, BAD_CAST name) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int forums_w_start_ns(xmlTextWriterPtr w, const char *name, const char *ns)
{
    return xmlTextWriterStartElementNS(w, NULL, BAD_CAST name, BAD_CAST ns) < 0 ? NEPTUN_ERROR
                                                                               : NEPTUN_OK;
}

int forums_w_end(xmlTextWriterPtr w)
{
    return xmlTextWriterEndElement(w) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int forums_w_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    if (value == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value) < 0 ? NEPTUN_ERROR
                                                                            : NEPTUN_OK;
}

int forums_w_text(xmlTextWriterPtr w, const char *text)
{
    if (text == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteString(w, BAD_CAST text) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int forums_w_element(xmlTextWriterPtr w, const char *name, const char *text)
{
    if (text == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text) < 0 ? NEPTUN_ERROR
                                                                         : NEPTUN_OK;
}

int forums_w_xhtml_text(const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                        const char *name, const char *cls, const char *text,
                        const char *got_lang)
{
    if (text == NULL)
        return NEPTUN_OK;
    const char *fallback = (got_lang != NULL && strcmp(got_lang, rc->lang) != 0) ? got_lang : NULL;
    if (forums_w_start(w, name) != NEPTUN_OK || forums_w_attr(w, "class", cls) != NEPTUN_OK ||
        forums_w_attr(w, "xml:lang", fallback) != NEPTUN_OK ||
        forums_w_text(w, text) != NEPTUN_OK || forums_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}
