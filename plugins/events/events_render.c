/*
 * events_render.c - the render.events element of an API <entry>: the
 * fields in the answer's language, each localised leaf picked along the
 * fallback chain and marked with xml:lang when it came from another
 * language, plus human date lines for the event and each session.
 */
#include <string.h>
#include "events.h"

/* Write the localised child name of parent, if any language has one. */
static int write_local(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w, const xmlNode *parent, const char *name)
{
    return neptun_w_local(p->host, rc, w, parent, name, name);
}

/* Copy a plain (not localised) child element's text. */
static int write_plain(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w, const xmlNode *parent, const char *name)
{
    return neptun_w_element(w, name, p->host->xml_text(rc->pool, p->host->xml_child(parent, name)));
}

static int write_address(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                         xmlTextWriterPtr w, const xmlNode *address)
{
    if (address == NULL)
        return NEPTUN_OK;
    if (neptun_w_start(w, "address") != NEPTUN_OK || write_plain(p, rc, w, address, "street") != NEPTUN_OK ||
        write_plain(p, rc, w, address, "postcode") != NEPTUN_OK || write_plain(p, rc, w, address, "city") != NEPTUN_OK ||
        write_plain(p, rc, w, address, "country") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

static int write_session(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                         xmlTextWriterPtr w, const xmlNode *session)
{
    const struct neptun_host *h = p->host;
    const xmlNode *venue = h->xml_child(session, "venue");
    const char *name_lang = NULL;
    const char *venue_name = neptun_local_text(p->host, rc, venue, "name", &name_lang);
    int64_t start, end;

    if (venue_name == NULL)
        return NEPTUN_OK; /* the schema requires a venue name; nothing sound to show */
    if (neptun_start_end(p->host, rc->pool, session, &start, &end) != NEPTUN_OK)
        return NEPTUN_OK;
    if (neptun_w_start(w, "session") != NEPTUN_OK ||
        neptun_w_attr(w, "start", h->xml_attr(rc->pool, session, "start")) != NEPTUN_OK ||
        neptun_w_attr(w, "end", h->xml_attr(rc->pool, session, "end")) != NEPTUN_OK ||
        neptun_w_element(w, "when", h->format_range(rc->pool, rc->lang, start, end,
                                                    NEPTUN_FMT_DATE | NEPTUN_FMT_TIME)) != NEPTUN_OK ||
        write_local(p, rc, w, session, "title") != NEPTUN_OK)
        return NEPTUN_ERROR;

    if (neptun_w_start(w, "venue") != NEPTUN_OK ||
        neptun_w_attr(w, "href", h->xml_attr(rc->pool, venue, "href")) != NEPTUN_OK ||
        h->xml_write_text(rc, w, "name", venue_name, name_lang) != NEPTUN_OK ||
        write_address(p, rc, w, h->xml_child(venue, "address")) != NEPTUN_OK ||
        write_local(p, rc, w, venue, "room") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;

    if (write_local(p, rc, w, session, "description") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* <organisers> or <partners>, one <organisation> each with its name. */
static int write_organisations(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                               xmlTextWriterPtr w, const char *group)
{
    const struct neptun_host *h = p->host;
    const xmlNode *list = h->xml_child(rc->fields, group);
    int opened = 0;
    for (const xmlNode *o = h->xml_child(list, "organisation"); o; o = h->xml_next(o, "organisation")) {
        const char *got = NULL;
        const char *name = neptun_local_text(p->host, rc, o, "name", &got);
        if (name == NULL)
            continue;
        if (!opened && neptun_w_start(w, group) != NEPTUN_OK)
            return NEPTUN_ERROR;
        opened = 1;
        if (neptun_w_start(w, "organisation") != NEPTUN_OK ||
            neptun_w_attr(w, "href", h->xml_attr(rc->pool, o, "href")) != NEPTUN_OK ||
            neptun_w_attr(w, "short", h->xml_attr(rc->pool, o, "short")) != NEPTUN_OK ||
            h->xml_write_text(rc, w, "name", name, got) != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return opened ? neptun_w_end(w) : NEPTUN_OK;
}

static int write_speakers(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                          xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *list = h->xml_child(rc->fields, "speakers");
    if (h->xml_child(list, "speaker") == NULL)
        return NEPTUN_OK;
    if (neptun_w_start(w, "speakers") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *s = h->xml_child(list, "speaker"); s; s = h->xml_next(s, "speaker")) {
        if (neptun_w_start(w, "speaker") != NEPTUN_OK ||
            neptun_w_attr(w, "session", h->xml_attr(rc->pool, s, "session")) != NEPTUN_OK ||
            neptun_w_attr(w, "keynote", h->xml_attr(rc->pool, s, "keynote")) != NEPTUN_OK ||
            write_plain(p, rc, w, s, "name") != NEPTUN_OK ||
            write_local(p, rc, w, s, "role") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return neptun_w_end(w);
}

static int write_price(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w)
{
    const xmlNode *price = p->host->xml_child(rc->fields, "price");
    if (price == NULL)
        return NEPTUN_OK;
    if (neptun_w_start(w, "price") != NEPTUN_OK ||
        neptun_w_attr(w, "free", p->host->xml_attr(rc->pool, price, "free")) != NEPTUN_OK ||
        write_local(p, rc, w, price, "text") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

static int write_registration_and_participants(const struct events_plugin *p,
                                               const struct neptun_render_ctx *rc,
                                               xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *reg = h->xml_child(rc->fields, "registration");
    const xmlNode *participants = h->xml_child(rc->fields, "participants");
    if (reg != NULL &&
        (neptun_w_start(w, "registration") != NEPTUN_OK ||
         neptun_w_attr(w, "href", h->xml_attr(rc->pool, reg, "href")) != NEPTUN_OK ||
         neptun_w_attr(w, "deadline", h->xml_attr(rc->pool, reg, "deadline")) != NEPTUN_OK ||
         neptun_w_end(w) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (participants != NULL &&
        (neptun_w_start(w, "participants") != NEPTUN_OK ||
         neptun_w_attr(w, "at-least", h->xml_attr(rc->pool, participants, "at-least")) != NEPTUN_OK ||
         neptun_w_text(w, h->xml_text(rc->pool, participants)) != NEPTUN_OK ||
         neptun_w_end(w) != NEPTUN_OK))
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

static int write_contact(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                         xmlTextWriterPtr w, const xmlNode *c)
{
    const struct neptun_host *h = p->host;
    if (neptun_w_start(w, "contact") != NEPTUN_OK || write_plain(p, rc, w, c, "name") != NEPTUN_OK ||
        write_local(p, rc, w, c, "role") != NEPTUN_OK ||
        write_local(p, rc, w, c, "organisation") != NEPTUN_OK ||
        write_address(p, rc, w, h->xml_child(c, "address")) != NEPTUN_OK ||
        write_plain(p, rc, w, c, "room") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *ph = h->xml_child(c, "phone"); ph; ph = h->xml_next(ph, "phone"))
        if (neptun_w_start(w, "phone") != NEPTUN_OK ||
            neptun_w_attr(w, "kind", h->xml_attr(rc->pool, ph, "kind")) != NEPTUN_OK ||
            neptun_w_text(w, h->xml_text(rc->pool, ph)) != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    if (write_plain(p, rc, w, c, "fax") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *e = h->xml_child(c, "email"); e; e = h->xml_next(e, "email"))
        if (neptun_w_element(w, "email", h->xml_text(rc->pool, e)) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return neptun_w_end(w);
}

long events_days(const struct events_plugin *p, const struct neptun_render_ctx *rc)
{
    const struct neptun_host *h = p->host;
    const xmlNode *first = h->xml_child(rc->fields, "session"), *last = first;
    int64_t start, end, ignored;
    for (const xmlNode *s = first; s != NULL; s = h->xml_next(s, "session"))
        last = s;
    if (first == NULL || neptun_start_end(h, rc->pool, first, &start, &ignored) != NEPTUN_OK ||
        neptun_start_end(h, rc->pool, last, &ignored, &end) != NEPTUN_OK)
        return 0;
    return h->days_spanned(start, end);
}

int events_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct events_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *f = rc->fields;
    const xmlNode *first = h->xml_child(f, "session");
    const char *when = NULL, *days = NULL, *free_flag = NULL;

    if (f == NULL)
        return NEPTUN_OK;
    long span = events_days(p, rc);
    if (span > 0)
        days = h->pool_printf(rc->pool, "%ld", span);
    if (rc->item != NULL && rc->item->starts_at != 0)
        when = h->format_range(rc->pool, rc->lang, rc->item->starts_at, rc->item->ends_at,
                               NEPTUN_FMT_DATE);
    free_flag = h->xml_attr(rc->pool, h->xml_child(f, "price"), "free");

    if (neptun_w_start_ns(w, "event", NEPTUN_XML_NS) != NEPTUN_OK ||
        neptun_w_attr(w, "timezone", rc->timezone) != NEPTUN_OK ||
        neptun_w_attr(w, "days", days) != NEPTUN_OK || neptun_w_attr(w, "free", free_flag) != NEPTUN_OK ||
        neptun_w_element(w, "when", when) != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *s = first; s; s = h->xml_next(s, "session"))
        if (write_session(p, rc, w, s) != NEPTUN_OK)
            return NEPTUN_ERROR;
    if (write_organisations(p, rc, w, "organisers") != NEPTUN_OK ||
        write_organisations(p, rc, w, "partners") != NEPTUN_OK ||
        write_speakers(p, rc, w) != NEPTUN_OK || write_price(p, rc, w) != NEPTUN_OK ||
        write_registration_and_participants(p, rc, w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *c = h->xml_child(f, "contact"); c; c = h->xml_next(c, "contact"))
        if (write_contact(p, rc, w, c) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return neptun_w_end(w);
}
