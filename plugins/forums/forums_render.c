/*
 * forums_render.c - a forum in an API entry (render.forums), in feeds
 * (XHTML) and in iCalendar.  Localised leaves are picked along the answer's
 * fallback chain; text from another language carries its xml:lang.
 */
#include <stdlib.h>
#include <string.h>
#include "forums.h"

static const char *numeral_of(const struct forums_plugin *p, const struct neptun_render_ctx *rc)
{
    char buf[32];
    const char *edition = p->host->xml_attr(rc->pool, rc->fields, "edition");
    if (edition == NULL || forums_roman(strtoul(edition, NULL, 10), buf, sizeof(buf)) != NEPTUN_OK)
        return NULL;
    return p->host->pool_strdup(rc->pool, buf);
}

static const char *when_text(const struct forums_plugin *p, const struct neptun_render_ctx *rc)
{
    int64_t start, end;
    if (neptun_start_end(p->host, rc->pool, p->host->xml_child(rc->fields, "when"), &start, &end) !=
        NEPTUN_OK)
        return NULL;
    return p->host->format_range(rc->pool, rc->lang, start, end, NEPTUN_FMT_DATE | NEPTUN_FMT_TIME);
}

/* ---- render.forums ------------------------------------------------------ */

static int xml_venue(const struct forums_plugin *p, const struct neptun_render_ctx *rc,
                     xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *venue = h->xml_child(rc->fields, "venue");
    const xmlNode *address = h->xml_child(venue, "address");
    if (neptun_local_text(p->host, rc, venue, "name", NULL) == NULL)
        return NEPTUN_OK;
    if (neptun_w_start(w, "venue") != NEPTUN_OK ||
        neptun_w_attr(w, "href", h->xml_attr(rc->pool, venue, "href")) != NEPTUN_OK ||
        neptun_w_local(p->host, rc, w, venue, "name", "name") != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (address != NULL) {
        static const char *const parts[] = {"street", "postcode", "city", "country"};
        if (neptun_w_start(w, "address") != NEPTUN_OK)
            return NEPTUN_ERROR;
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
            if (neptun_w_element(w, parts[i], h->xml_text(rc->pool, h->xml_child(address, parts[i]))) !=
                NEPTUN_OK)
                return NEPTUN_ERROR;
        if (neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return neptun_w_end(w);
}

static int xml_topics_and_programme(const struct forums_plugin *p,
                                    const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *topics = h->xml_child(rc->fields, "topics");
    const xmlNode *programme = h->xml_child(rc->fields, "programme");
    if (h->xml_child(topics, "topic") != NULL) {
        if (neptun_w_start(w, "topics") != NEPTUN_OK)
            return NEPTUN_ERROR;
        for (const xmlNode *t = h->xml_child(topics, "topic"); t; t = h->xml_next(t, "topic"))
            if (neptun_w_local(p->host, rc, w, t, "name", "topic") != NEPTUN_OK)
                return NEPTUN_ERROR;
        if (neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    if (h->xml_child(programme, "point") != NULL) {
        if (neptun_w_start(w, "programme") != NEPTUN_OK)
            return NEPTUN_ERROR;
        for (const xmlNode *pt = h->xml_child(programme, "point"); pt; pt = h->xml_next(pt, "point"))
            if (neptun_w_start(w, "point") != NEPTUN_OK ||
                neptun_w_local(p->host, rc, w, pt, "title", "title") != NEPTUN_OK ||
                neptun_w_local(p->host, rc, w, pt, "description", "description") != NEPTUN_OK ||
                neptun_w_local(p->host, rc, w, pt, "by", "by") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
                return NEPTUN_ERROR;
        if (neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

static int xml_price_organisers_related(const struct forums_plugin *p,
                                        const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *price = h->xml_child(rc->fields, "price");
    const xmlNode *organisers = h->xml_child(rc->fields, "organisers");
    if (price != NULL &&
        (neptun_w_start(w, "price") != NEPTUN_OK ||
         neptun_w_attr(w, "free", h->xml_attr(rc->pool, price, "free")) != NEPTUN_OK ||
         neptun_w_local(p->host, rc, w, price, "text", "text") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (h->xml_child(organisers, "organisation") != NULL) {
        if (neptun_w_start(w, "organisers") != NEPTUN_OK)
            return NEPTUN_ERROR;
        for (const xmlNode *o = h->xml_child(organisers, "organisation"); o;
             o = h->xml_next(o, "organisation"))
            if (neptun_w_start(w, "organisation") != NEPTUN_OK ||
                neptun_w_attr(w, "href", h->xml_attr(rc->pool, o, "href")) != NEPTUN_OK ||
                neptun_w_local(p->host, rc, w, o, "name", "name") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
                return NEPTUN_ERROR;
        if (neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return neptun_w_related(h, rc, w);
}

int forums_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct forums_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *when = h->xml_child(rc->fields, "when");
    const char *numeral;
    if (rc->fields == NULL || (numeral = numeral_of(p, rc)) == NULL)
        return NEPTUN_OK;
    const char *when_line = when_text(p, rc);

    if (neptun_w_start_ns(w, "forum", NEPTUN_XML_NS) != NEPTUN_OK ||
        neptun_w_attr(w, "edition", h->xml_attr(rc->pool, rc->fields, "edition")) != NEPTUN_OK ||
        neptun_w_attr(w, "numeral", numeral) != NEPTUN_OK ||
        neptun_w_attr(w, "free", h->xml_attr(rc->pool, h->xml_child(rc->fields, "price"), "free")) !=
            NEPTUN_OK)
        return NEPTUN_ERROR;
    if (when_line != NULL &&
        (neptun_w_start(w, "when") != NEPTUN_OK ||
         neptun_w_attr(w, "start", h->xml_attr(rc->pool, when, "start")) != NEPTUN_OK ||
         neptun_w_attr(w, "end", h->xml_attr(rc->pool, when, "end")) != NEPTUN_OK ||
         neptun_w_text(w, when_line) != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (xml_venue(p, rc, w) != NEPTUN_OK || xml_topics_and_programme(p, rc, w) != NEPTUN_OK ||
        neptun_w_local(p->host, rc, w, rc->fields, "audience", "audience") != NEPTUN_OK ||
        xml_price_organisers_related(p, rc, w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}

/* ---- XHTML for feeds ----------------------------------------------------- */

static int xhtml_list(const struct forums_plugin *p, const struct neptun_render_ctx *rc,
                      xmlTextWriterPtr w, const char *key, const xmlNode *list, const char *item)
{
    const struct neptun_host *h = p->host;
    if (h->xml_child(list, item) == NULL)
        return NEPTUN_OK;
    if (neptun_w_element(w, "dt", neptun_label(p->host, rc, key)) != NEPTUN_OK ||
        neptun_w_start(w, "dd") != NEPTUN_OK || neptun_w_start(w, "ul") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *n = h->xml_child(list, item); n; n = h->xml_next(n, item)) {
        const char *got = NULL, *by_lang = NULL, *desc_lang = NULL;
        const char *text = neptun_local_text(p->host, rc, n, strcmp(item, "point") == 0 ? "title" : "name", &got);
        const char *by = neptun_local_text(p->host, rc, n, "by", &by_lang);
        const char *desc = neptun_local_text(p->host, rc, n, "description", &desc_lang);
        if (neptun_w_start(w, "li") != NEPTUN_OK ||
            neptun_w_xhtml_text(rc, w, "strong", NULL, text, got) != NEPTUN_OK ||
            neptun_w_xhtml_text(rc, w, "p", "description", desc, desc_lang) != NEPTUN_OK ||
            neptun_w_xhtml_text(rc, w, "p", "by", by, by_lang) != NEPTUN_OK ||
            neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    if (neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}

int forums_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct forums_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *f = rc->fields;
    const xmlNode *venue = h->xml_child(f, "venue");
    const xmlNode *price = h->xml_child(f, "price");
    const char *venue_lang = NULL, *audience_lang = NULL, *price_lang = NULL;
    if (f == NULL)
        return NEPTUN_OK;
    const char *numeral = numeral_of(p, rc);
    const char *venue_name = neptun_local_text(p->host, rc, venue, "name", &venue_lang);
    const char *address = neptun_address_line(p->host, rc->pool, h->xml_child(venue, "address"));
    const char *audience = neptun_local_text(p->host, rc, f, "audience", &audience_lang);
    const char *price_text = neptun_local_text(p->host, rc, price, "text", &price_lang);
    const char *free_flag = h->xml_attr(rc->pool, price, "free");

    if (venue_name != NULL && address != NULL)
        venue_name = h->pool_printf(rc->pool, "%s, %s", venue_name, address);
    if (free_flag != NULL && strcmp(free_flag, "true") == 0)
        price_text = price_text ? h->pool_printf(rc->pool, "%s. %s", neptun_label(p->host, rc, "label.free"), price_text)
                                : neptun_label(p->host, rc, "label.free");

    if (neptun_w_start_ns(w, "div", NEPTUN_XHTML_NS) != NEPTUN_OK ||
        neptun_w_attr(w, "class", "forum") != NEPTUN_OK || neptun_w_start(w, "dl") != NEPTUN_OK ||
        neptun_w_labelled(p->host, rc, w, "label.edition", numeral, NULL) != NEPTUN_OK ||
        neptun_w_labelled(p->host, rc, w, "label.date", when_text(p, rc), NULL) != NEPTUN_OK ||
        neptun_w_labelled(p->host, rc, w, "label.venue", venue_name, venue_lang) != NEPTUN_OK ||
        xhtml_list(p, rc, w, "label.topics", h->xml_child(f, "topics"), "topic") != NEPTUN_OK ||
        xhtml_list(p, rc, w, "label.programme", h->xml_child(f, "programme"), "point") != NEPTUN_OK ||
        neptun_w_labelled(p->host, rc, w, "label.audience", audience, audience_lang) != NEPTUN_OK ||
        neptun_w_labelled(p->host, rc, w, "label.price", price_text, price_lang) != NEPTUN_OK ||
        xhtml_list(p, rc, w, "label.organisers", h->xml_child(f, "organisers"), "organisation") !=
            NEPTUN_OK)
        return NEPTUN_ERROR;
    if (neptun_w_related_xhtml(h, rc, w) != NEPTUN_OK ||
        neptun_w_end(w) != NEPTUN_OK) /* </dl> */
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}

/* ---- iCalendar ------------------------------------------------------------ */

int forums_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics)
{
    const struct forums_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *f = rc->fields;
    const xmlNode *venue = h->xml_child(f, "venue");
    const char *description = NULL;
    if (f == NULL)
        return NEPTUN_OK;
    const char *location = neptun_local_text(p->host, rc, venue, "name", NULL);
    const char *address = neptun_address_line(p->host, rc->pool, h->xml_child(venue, "address"));
    if (location != NULL && address != NULL)
        location = h->pool_printf(rc->pool, "%s, %s", location, address);
    if (location != NULL && h->ics_add(ics, "LOCATION", NULL, location) != NEPTUN_OK)
        return NEPTUN_ERROR;

    /* the programme, one point a line */
    for (const xmlNode *pt = h->xml_child(h->xml_child(f, "programme"), "point"); pt;
         pt = h->xml_next(pt, "point")) {
        const char *title = neptun_local_text(p->host, rc, pt, "title", NULL);
        if (title == NULL)
            continue;
        description = description ? h->pool_printf(rc->pool, "%s\n– %s", description, title)
                                  : h->pool_printf(rc->pool, "%s:\n– %s", neptun_label(p->host, rc, "label.programme"), title);
    }
    const char *free_flag = h->xml_attr(rc->pool, h->xml_child(f, "price"), "free");
    if (free_flag != NULL && strcmp(free_flag, "true") == 0)
        description = description ? h->pool_printf(rc->pool, "%s\n%s", description, neptun_label(p->host, rc, "label.free"))
                                  : neptun_label(p->host, rc, "label.free");
    if (description != NULL && h->ics_add(ics, "DESCRIPTION", NULL, description) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}
