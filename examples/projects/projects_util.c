/*
 * projects_util.c - small helpers the renderers share: localised text
 * lookup, address lines, and checked xmlTextWriter calls (every writer
 * call can fail when memory runs out).
 */
#include "projects.h"

const char *projects_local_text(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                                const xmlNode *parent, const char *name, const char **got_lang)
{
    if (got_lang != NULL)
        *got_lang = NULL;
    if (parent == NULL)
        return NULL;
    const xmlNode *node = p->host->xml_child_lang(rc, parent, name, got_lang);
    return node != NULL ? p->host->xml_text(rc->pool, node) : NULL;
}

const char *projects_address_line(const struct projects_plugin *p, struct neptun_pool *pool,
                                  const xmlNode *address)
{
    const struct neptun_host *h = p->host;
    if (address == NULL)
        return NULL;
    const char *street = h->xml_text(pool, h->xml_child(address, "street"));
    const char *postcode = h->xml_text(pool, h->xml_child(address, "postcode"));
    const char *city = h->xml_text(pool, h->xml_child(address, "city"));
    if (street == NULL || city == NULL)
        return city != NULL ? city : street;
    if (postcode != NULL)
        return h->pool_printf(pool, "%s, %s %s", street, postcode, city);
    return h->pool_printf(pool, "%s, %s", street, city);
}

int projects_w_start(xmlTextWriterPtr w, const char *name)
{
    return xmlTextWriterStartElement(w, BAD_CAST name) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int projects_w_end(xmlTextWriterPtr w)
{
    return xmlTextWriterEndElement(w) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int projects_w_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    if (value == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int projects_w_element(xmlTextWriterPtr w, const char *name, const char *text)
{
    if (text == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}
