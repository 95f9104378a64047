/*
 * campaigns_render.c - a campaign in an API entry (render.campaigns) and
 * in feeds (XHTML): dates in the language's own forms, localised names
 * picked along the fallback chain (marked with xml:lang when they came from
 * another language), related items as links to their pages.
 */
#include <stdlib.h>
#include <string.h>
#include "campaigns.h"

/* "22 września 2017" for "2017-09-22"; NULL when it does not parse. */
static const char *human_date(const struct campaigns_plugin *p, const struct neptun_render_ctx *rc,
                              const char *date)
{
    int64_t t;
    if (date == NULL || p->host->parse_time(date, &t) != NEPTUN_OK)
        return NULL;
    return p->host->format_range(rc->pool, rc->lang, t, 0, NEPTUN_FMT_DATE);
}

/* date="..." and <when> of a dated element (launched, adopted, milestone). */
static int write_dated(const struct campaigns_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w, const char *date)
{
    const char *when = human_date(p, rc, date);
    if (neptun_w_attr(w, "date", date) != NEPTUN_OK ||
        neptun_w_element(w, "when", when ? when : date) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* ---- render.campaigns ----------------------------------------------------- */

static int xml_dates_and_owners(const struct campaigns_plugin *p,
                                const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *launched = h->xml_child(rc->fields, "launched");
    const xmlNode *adopted = h->xml_child(rc->fields, "adopted");
    if (launched != NULL &&
        (neptun_w_start(w, "launched") != NEPTUN_OK ||
         write_dated(p, rc, w, h->xml_text(rc->pool, launched)) != NEPTUN_OK ||
         neptun_w_end(w) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (adopted != NULL &&
        (neptun_w_start(w, "adopted") != NEPTUN_OK ||
         write_dated(p, rc, w, h->xml_attr(rc->pool, adopted, "date")) != NEPTUN_OK ||
         neptun_w_local(p->host, rc, w, adopted, "by", "by") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK))
        return NEPTUN_ERROR;
    for (const xmlNode *o = h->xml_child(rc->fields, "owner"); o; o = h->xml_next(o, "owner")) {
        if (neptun_local_text(p->host, rc, o, "name", NULL) == NULL)
            continue;
        if (neptun_w_start(w, "owner") != NEPTUN_OK ||
            neptun_w_local(p->host, rc, w, o, "name", "name") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

/* <values><value>..</value></values> or <groups count><group>..</group></groups>. */
static int xml_names(const struct campaigns_plugin *p, const struct neptun_render_ctx *rc,
                     xmlTextWriterPtr w, const char *list, const char *item, int with_count)
{
    const struct neptun_host *h = p->host;
    const xmlNode *parent = h->xml_child(rc->fields, list);
    long n = 0;
    for (const xmlNode *e = h->xml_child(parent, item); e; e = h->xml_next(e, item))
        n++;
    if (n == 0)
        return NEPTUN_OK;
    if (neptun_w_start(w, list) != NEPTUN_OK ||
        (with_count && neptun_w_attr(w, "count", h->pool_printf(rc->pool, "%ld", n)) != NEPTUN_OK))
        return NEPTUN_ERROR;
    for (const xmlNode *e = h->xml_child(parent, item); e; e = h->xml_next(e, item))
        if (neptun_w_local(p->host, rc, w, e, "name", item) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return neptun_w_end(w);
}

static int xml_milestones(const struct campaigns_plugin *p, const struct neptun_render_ctx *rc,
                          xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *list = h->xml_child(rc->fields, "milestones");
    if (h->xml_child(list, "milestone") == NULL)
        return NEPTUN_OK;
    if (neptun_w_start(w, "milestones") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *m = h->xml_child(list, "milestone"); m; m = h->xml_next(m, "milestone"))
        if (neptun_w_start(w, "milestone") != NEPTUN_OK ||
            neptun_w_attr(w, "recommendations", h->xml_attr(rc->pool, m, "recommendations")) !=
                NEPTUN_OK ||
            write_dated(p, rc, w, h->xml_attr(rc->pool, m, "date")) != NEPTUN_OK ||
            neptun_w_local(p->host, rc, w, m, "title", "title") != NEPTUN_OK ||
            neptun_w_local(p->host, rc, w, m, "description", "description") != NEPTUN_OK ||
            neptun_w_local(p->host, rc, w, m, "by", "by") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return neptun_w_end(w);
}

static int xml_contact(const struct campaigns_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w, const xmlNode *c)
{
    const struct neptun_host *h = p->host;
    const xmlNode *address = h->xml_child(c, "address");
    if (neptun_w_start(w, "contact") != NEPTUN_OK ||
        neptun_w_element(w, "name", h->xml_text(rc->pool, h->xml_child(c, "name"))) != NEPTUN_OK ||
        neptun_w_local(p->host, rc, w, c, "role", "role") != NEPTUN_OK ||
        neptun_w_local(p->host, rc, w, c, "organisation", "organisation") != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (address != NULL) {
        static const char *const parts[] = {"street", "postcode", "city", "country"};
        if (neptun_w_start(w, "address") != NEPTUN_OK)
            return NEPTUN_ERROR;
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
            if (neptun_w_element(w, parts[i],
                                    h->xml_text(rc->pool, h->xml_child(address, parts[i]))) != NEPTUN_OK)
                return NEPTUN_ERROR;
        if (neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    for (const xmlNode *ph = h->xml_child(c, "phone"); ph; ph = h->xml_next(ph, "phone"))
        if (neptun_w_element(w, "phone", h->xml_text(rc->pool, ph)) != NEPTUN_OK)
            return NEPTUN_ERROR;
    for (const xmlNode *e = h->xml_child(c, "email"); e; e = h->xml_next(e, "email"))
        if (neptun_w_element(w, "email", h->xml_text(rc->pool, e)) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return neptun_w_end(w);
}

int campaigns_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct campaigns_plugin *p = ud;
    const struct neptun_host *h = p->host;
    if (rc->fields == NULL)
        return NEPTUN_OK;
    if (neptun_w_start_ns(w, "campaign", NEPTUN_XML_NS) != NEPTUN_OK ||
        neptun_w_attr(w, "kind", h->xml_attr(rc->pool, rc->fields, "kind")) != NEPTUN_OK ||
        xml_dates_and_owners(p, rc, w) != NEPTUN_OK ||
        xml_names(p, rc, w, "values", "value", 0) != NEPTUN_OK ||
        xml_names(p, rc, w, "groups", "group", 1) != NEPTUN_OK || xml_milestones(p, rc, w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *c = h->xml_child(rc->fields, "contact"); c; c = h->xml_next(c, "contact"))
        if (xml_contact(p, rc, w, c) != NEPTUN_OK)
            return NEPTUN_ERROR;
    if (neptun_w_related(h, rc, w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}

/* ---- XHTML for feeds ----------------------------------------------------- */

/* A <dt> and a <dd><ul> of the localised names of list/item; the heading
 * may carry a count ("11 grup"), chosen by plural rules. */
static int xhtml_names(const struct campaigns_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w, const char *key, const char *list, const char *item)
{
    const struct neptun_host *h = p->host;
    const xmlNode *parent = h->xml_child(rc->fields, list);
    if (h->xml_child(parent, item) == NULL)
        return NEPTUN_OK;
    if (neptun_w_element(w, "dt", neptun_label(p->host, rc, key)) != NEPTUN_OK ||
        neptun_w_start(w, "dd") != NEPTUN_OK || neptun_w_start(w, "ul") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *e = h->xml_child(parent, item); e; e = h->xml_next(e, item)) {
        const char *got = NULL;
        const char *name = neptun_local_text(p->host, rc, e, "name", &got);
        if (neptun_w_xhtml_text(rc, w, "li", NULL, name, got) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    if (neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}

static int xhtml_milestones(const struct campaigns_plugin *p, const struct neptun_render_ctx *rc,
                            xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *list = h->xml_child(rc->fields, "milestones");
    if (h->xml_child(list, "milestone") == NULL)
        return NEPTUN_OK;
    if (neptun_w_element(w, "dt", neptun_label(p->host, rc, "label.milestones")) != NEPTUN_OK ||
        neptun_w_start(w, "dd") != NEPTUN_OK || neptun_w_start(w, "ul") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *m = h->xml_child(list, "milestone"); m; m = h->xml_next(m, "milestone")) {
        const char *title_lang = NULL, *desc_lang = NULL, *by_lang = NULL;
        const char *title = neptun_local_text(p->host, rc, m, "title", &title_lang);
        const char *desc = neptun_local_text(p->host, rc, m, "description", &desc_lang);
        const char *by = neptun_local_text(p->host, rc, m, "by", &by_lang);
        const char *count = h->xml_attr(rc->pool, m, "recommendations");
        const char *recs = count ? h->t(rc->pool, "count.recommendations", rc->lang,
                                        strtol(count, NULL, 10))
                                 : NULL;
        if (neptun_w_start(w, "li") != NEPTUN_OK ||
            neptun_w_xhtml_text(rc, w, "strong", "when",
                                   human_date(p, rc, h->xml_attr(rc->pool, m, "date")), NULL) != NEPTUN_OK ||
            neptun_w_text(w, " ") != NEPTUN_OK ||
            neptun_w_xhtml_text(rc, w, "span", "title", title, title_lang) != NEPTUN_OK)
            return NEPTUN_ERROR;
        if (by != NULL && (neptun_w_text(w, " — ") != NEPTUN_OK ||
                           neptun_w_xhtml_text(rc, w, "span", "by", by, by_lang) != NEPTUN_OK))
            return NEPTUN_ERROR;
        if (recs != NULL && (neptun_w_text(w, " (") != NEPTUN_OK || neptun_w_text(w, recs) != NEPTUN_OK ||
                             neptun_w_text(w, ")") != NEPTUN_OK))
            return NEPTUN_ERROR;
        if (neptun_w_xhtml_text(rc, w, "p", "description", desc, desc_lang) != NEPTUN_OK ||
            neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    if (neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}

static int xhtml_contacts_related(const struct campaigns_plugin *p,
                                  const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    for (const xmlNode *c = h->xml_child(rc->fields, "contact"); c; c = h->xml_next(c, "contact")) {
        const char *line = h->xml_text(rc->pool, h->xml_child(c, "name"));
        const char *org = neptun_local_text(p->host, rc, c, "organisation", NULL);
        const char *address = neptun_address_line(p->host, rc->pool, h->xml_child(c, "address"));
        const char *phone = h->xml_text(rc->pool, h->xml_child(c, "phone"));
        const char *email = h->xml_text(rc->pool, h->xml_child(c, "email"));
        if (line == NULL)
            continue;
        if (org != NULL)
            line = h->pool_printf(rc->pool, "%s, %s", line, org);
        if (address != NULL)
            line = h->pool_printf(rc->pool, "%s, %s", line, address);
        if (phone != NULL)
            line = h->pool_printf(rc->pool, "%s, %s %s", line, neptun_label(p->host, rc, "label.phone"), phone);
        if (email != NULL)
            line = h->pool_printf(rc->pool, "%s, %s %s", line, neptun_label(p->host, rc, "label.email"), email);
        if (neptun_w_labelled(p->host, rc, w, "label.contact", line, NULL) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return neptun_w_related_xhtml(h, rc, w);
}

int campaigns_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct campaigns_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *f = rc->fields;
    const char *owner_lang = NULL, *by_lang = NULL;
    if (f == NULL)
        return NEPTUN_OK;
    const xmlNode *adopted = h->xml_child(f, "adopted");
    const char *launched = human_date(p, rc, h->xml_text(rc->pool, h->xml_child(f, "launched")));
    const char *adopted_on = human_date(p, rc, h->xml_attr(rc->pool, adopted, "date"));
    const char *adopted_by = neptun_local_text(p->host, rc, adopted, "by", &by_lang);
    const char *owner = neptun_local_text(p->host, rc, h->xml_child(f, "owner"), "name", &owner_lang);
    if (adopted_on != NULL && adopted_by != NULL)
        adopted_on = h->pool_printf(rc->pool, "%s — %s", adopted_on, adopted_by);
    else
        by_lang = NULL;

    if (neptun_w_start_ns(w, "div", NEPTUN_XHTML_NS) != NEPTUN_OK ||
        neptun_w_attr(w, "class", "campaign") != NEPTUN_OK || neptun_w_start(w, "dl") != NEPTUN_OK ||
        neptun_w_labelled(p->host, rc, w, "label.launched", launched, NULL) != NEPTUN_OK ||
        neptun_w_labelled(p->host, rc, w, "label.adopted", adopted_on, by_lang) != NEPTUN_OK ||
        neptun_w_labelled(p->host, rc, w, "label.owner", owner, owner_lang) != NEPTUN_OK ||
        xhtml_names(p, rc, w, "label.values", "values", "value") != NEPTUN_OK ||
        xhtml_names(p, rc, w, "label.groups", "groups", "group") != NEPTUN_OK ||
        xhtml_milestones(p, rc, w) != NEPTUN_OK || xhtml_contacts_related(p, rc, w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (neptun_w_end(w) != NEPTUN_OK) /* </dl> */
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}
