/*
 * events_xhtml.c - an event as a reader sees it in RSS and Atom: a
 * <div class="event"> in the XHTML namespace with the dates in the
 * language's own forms, every session's venue and address, the people and
 * organisations, the price, how to register and whom to ask.  Labels come
 * from the catalogs (host->t), so the renderer holds no language text.
 */
#include <string.h>
#include "events.h"

/* <dt>label</dt> and an open <dd>. */
static int open_entry(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                      xmlTextWriterPtr w, const char *key)
{
    if (neptun_w_element(w, "dt", neptun_label(p->host, rc, key)) != NEPTUN_OK || neptun_w_start(w, "dd") != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

static int write_when(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                      xmlTextWriterPtr w, long days)
{
    const struct neptun_host *h = p->host;
    if (rc->item == NULL || rc->item->starts_at == 0)
        return NEPTUN_OK;
    const char *range = h->format_range(rc->pool, rc->lang, rc->item->starts_at,
                                        rc->item->ends_at, NEPTUN_FMT_DATE);
    if (range == NULL)
        return NEPTUN_OK;
    const char *line = days > 1 ? h->pool_printf(rc->pool, "%s (%s)", range,
                                                 h->t(rc->pool, "count.days", rc->lang, days))
                                : range;
    if (neptun_w_start(w, "p") != NEPTUN_OK || neptun_w_attr(w, "class", "when") != NEPTUN_OK ||
        neptun_w_element(w, "strong", neptun_label(p->host, rc, "label.date")) != NEPTUN_OK ||
        neptun_w_text(w, ": ") != NEPTUN_OK || neptun_w_text(w, line) != NEPTUN_OK ||
        neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

static int write_session(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                         xmlTextWriterPtr w, const xmlNode *session)
{
    const struct neptun_host *h = p->host;
    const xmlNode *venue = h->xml_child(session, "venue");
    const char *title_lang = NULL, *venue_lang = NULL, *room_lang = NULL, *desc_lang = NULL;
    const char *title = neptun_local_text(p->host, rc, session, "title", &title_lang);
    const char *venue_name = neptun_local_text(p->host, rc, venue, "name", &venue_lang);
    const char *room = neptun_local_text(p->host, rc, venue, "room", &room_lang);
    const char *desc = neptun_local_text(p->host, rc, session, "description", &desc_lang);
    const char *address = neptun_address_line(p->host, rc->pool, h->xml_child(venue, "address"));
    const char *when = NULL;
    int64_t start, end;

    if (neptun_start_end(p->host, rc->pool, session, &start, &end) == NEPTUN_OK)
        when = h->format_range(rc->pool, rc->lang, start, end, NEPTUN_FMT_DATE | NEPTUN_FMT_TIME);
    if (neptun_w_start(w, "li") != NEPTUN_OK ||
        neptun_w_xhtml_text(rc, w, "strong", "when", when, NULL) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (title != NULL && (neptun_w_text(w, " ") != NEPTUN_OK ||
                          neptun_w_xhtml_text(rc, w, "em", "title", title, title_lang) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (neptun_w_start(w, "br") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK ||
        neptun_w_text(w, neptun_label(p->host, rc, "label.venue")) != NEPTUN_OK || neptun_w_text(w, ": ") != NEPTUN_OK ||
        neptun_w_xhtml_text(rc, w, "span", "venue", venue_name, venue_lang) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (address != NULL && (neptun_w_text(w, ", ") != NEPTUN_OK ||
                            neptun_w_xhtml_text(rc, w, "span", "address", address, NULL) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (room != NULL && (neptun_w_text(w, ", ") != NEPTUN_OK ||
                         neptun_w_xhtml_text(rc, w, "span", "room", room, room_lang) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (neptun_w_xhtml_text(rc, w, "p", "description", desc, desc_lang) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}

static int write_sessions(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                          xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    if (h->xml_child(rc->fields, "session") == NULL)
        return NEPTUN_OK;
    if (neptun_w_start(w, "ul") != NEPTUN_OK || neptun_w_attr(w, "class", "sessions") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *s = h->xml_child(rc->fields, "session"); s; s = h->xml_next(s, "session"))
        if (write_session(p, rc, w, s) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return neptun_w_end(w);
}

/* Organisers or partners: names joined with commas. */
static int write_organisations(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                               xmlTextWriterPtr w, const char *group, const char *key)
{
    const struct neptun_host *h = p->host;
    const xmlNode *list = h->xml_child(rc->fields, group);
    size_t n = 0;
    for (const xmlNode *o = h->xml_child(list, "organisation"); o; o = h->xml_next(o, "organisation")) {
        const char *got = NULL;
        const char *name = neptun_local_text(p->host, rc, o, "name", &got);
        const char *href = h->xml_attr(rc->pool, o, "href");
        if (name == NULL)
            continue;
        if (n == 0 && open_entry(p, rc, w, key) != NEPTUN_OK)
            return NEPTUN_ERROR;
        if (n++ > 0 && neptun_w_text(w, ", ") != NEPTUN_OK)
            return NEPTUN_ERROR;
        if (href != NULL) {
            if (neptun_w_start(w, "a") != NEPTUN_OK || neptun_w_attr(w, "href", href) != NEPTUN_OK ||
                neptun_w_xhtml_text(rc, w, "span", NULL, name, got) != NEPTUN_OK ||
                neptun_w_end(w) != NEPTUN_OK)
                return NEPTUN_ERROR;
        } else if (neptun_w_xhtml_text(rc, w, "span", NULL, name, got) != NEPTUN_OK) {
            return NEPTUN_ERROR;
        }
    }
    return n > 0 ? neptun_w_end(w) : NEPTUN_OK;
}

static int write_speakers(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                          xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *list = h->xml_child(rc->fields, "speakers");
    if (h->xml_child(list, "speaker") == NULL)
        return NEPTUN_OK;
    if (open_entry(p, rc, w, "label.speakers") != NEPTUN_OK || neptun_w_start(w, "ul") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *s = h->xml_child(list, "speaker"); s; s = h->xml_next(s, "speaker")) {
        const char *got = NULL;
        const char *role = neptun_local_text(p->host, rc, s, "role", &got);
        const char *keynote = h->xml_attr(rc->pool, s, "keynote");
        if (neptun_w_start(w, "li") != NEPTUN_OK ||
            neptun_w_element(w, "strong", h->xml_text(rc->pool, h->xml_child(s, "name"))) != NEPTUN_OK)
            return NEPTUN_ERROR;
        if (role != NULL && (neptun_w_text(w, " — ") != NEPTUN_OK ||
                             neptun_w_xhtml_text(rc, w, "span", "role", role, got) != NEPTUN_OK))
            return NEPTUN_ERROR;
        if (keynote != NULL && strcmp(keynote, "true") == 0 &&
            (neptun_w_text(w, " (") != NEPTUN_OK ||
             neptun_w_text(w, neptun_label(p->host, rc, "label.keynote")) != NEPTUN_OK ||
             neptun_w_text(w, ")") != NEPTUN_OK))
            return NEPTUN_ERROR;
        if (neptun_w_end(w) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return neptun_w_end(w) == NEPTUN_OK ? neptun_w_end(w) : NEPTUN_ERROR; /* </ul></dd> */
}

static int write_price(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *price = h->xml_child(rc->fields, "price");
    const char *got = NULL;
    if (price == NULL)
        return NEPTUN_OK;
    const char *free_flag = h->xml_attr(rc->pool, price, "free");
    const char *text = neptun_local_text(p->host, rc, price, "text", &got);
    int is_free = free_flag != NULL && strcmp(free_flag, "true") == 0;
    if (open_entry(p, rc, w, "label.price") != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (is_free && neptun_w_element(w, "strong", neptun_label(p->host, rc, "label.free")) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (text != NULL && ((is_free && neptun_w_text(w, " ") != NEPTUN_OK) ||
                         neptun_w_xhtml_text(rc, w, "span", NULL, text, got) != NEPTUN_OK))
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}

/* A link entry: the field's href first, else the item's link of that rel. */
static int write_link_entry(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                            xmlTextWriterPtr w, const char *rel, const char *href, const char *key)
{
    const char *title = NULL;
    if (href == NULL && rc->item != NULL)
        for (size_t i = 0; i < rc->item->nlinks && href == NULL; i++)
            if (rc->item->links[i].rel != NULL && strcmp(rc->item->links[i].rel, rel) == 0) {
                href = rc->item->links[i].href;
                title = rc->item->links[i].title;
            }
    if (href == NULL)
        return NEPTUN_OK;
    if (open_entry(p, rc, w, key) != NEPTUN_OK || neptun_w_start(w, "a") != NEPTUN_OK ||
        neptun_w_attr(w, "href", href) != NEPTUN_OK ||
        neptun_w_text(w, title ? title : href) != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK ||
        neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* "label value" pieces of a contact, separated by line breaks. */
static int write_labelled(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                          xmlTextWriterPtr w, const char *key, const char *value, const char *mailto)
{
    if (value == NULL)
        return NEPTUN_OK;
    if (neptun_w_start(w, "br") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK ||
        neptun_w_text(w, neptun_label(p->host, rc, key)) != NEPTUN_OK || neptun_w_text(w, ": ") != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (mailto == NULL)
        return neptun_w_text(w, value);
    if (neptun_w_start(w, "a") != NEPTUN_OK || neptun_w_attr(w, "href", mailto) != NEPTUN_OK ||
        neptun_w_text(w, value) != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

static int write_contact(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                         xmlTextWriterPtr w, const xmlNode *c)
{
    const struct neptun_host *h = p->host;
    const char *role_lang = NULL, *org_lang = NULL;
    const char *role = neptun_local_text(p->host, rc, c, "role", &role_lang);
    const char *org = neptun_local_text(p->host, rc, c, "organisation", &org_lang);
    const char *address = neptun_address_line(p->host, rc->pool, h->xml_child(c, "address"));
    const char *room = h->xml_text(rc->pool, h->xml_child(c, "room"));

    if (open_entry(p, rc, w, "label.contact") != NEPTUN_OK ||
        neptun_w_element(w, "strong", h->xml_text(rc->pool, h->xml_child(c, "name"))) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (role != NULL && (neptun_w_text(w, ", ") != NEPTUN_OK ||
                         neptun_w_xhtml_text(rc, w, "span", "role", role, role_lang) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (org != NULL && (neptun_w_start(w, "br") != NEPTUN_OK || neptun_w_end(w) != NEPTUN_OK ||
                        neptun_w_xhtml_text(rc, w, "span", "organisation", org, org_lang) != NEPTUN_OK))
        return NEPTUN_ERROR;
    if (write_labelled(p, rc, w, "label.address", address, NULL) != NEPTUN_OK ||
        write_labelled(p, rc, w, "label.room", room, NULL) != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *ph = h->xml_child(c, "phone"); ph; ph = h->xml_next(ph, "phone")) {
        const char *kind = h->xml_attr(rc->pool, ph, "kind");
        const char *key = kind && strcmp(kind, "mobile") == 0 ? "label.mobile" : "label.phone";
        if (write_labelled(p, rc, w, key, h->xml_text(rc->pool, ph), NULL) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    if (write_labelled(p, rc, w, "label.fax", h->xml_text(rc->pool, h->xml_child(c, "fax")), NULL) != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *e = h->xml_child(c, "email"); e; e = h->xml_next(e, "email")) {
        const char *email = h->xml_text(rc->pool, e);
        const char *mailto = email ? h->pool_printf(rc->pool, "mailto:%s", email) : NULL;
        if (write_labelled(p, rc, w, "label.email", email, mailto) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    return neptun_w_end(w);
}

int events_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct events_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *f = rc->fields;
    const xmlNode *reg = h->xml_child(f, "registration");

    if (f == NULL)
        return NEPTUN_OK;
    long days = events_days(p, rc);

    if (neptun_w_start_ns(w, "div", NEPTUN_XHTML_NS) != NEPTUN_OK ||
        neptun_w_attr(w, "class", "event") != NEPTUN_OK || write_when(p, rc, w, days) != NEPTUN_OK ||
        write_sessions(p, rc, w) != NEPTUN_OK || neptun_w_start(w, "dl") != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (write_organisations(p, rc, w, "organisers", "label.organisers") != NEPTUN_OK ||
        write_organisations(p, rc, w, "partners", "label.partners") != NEPTUN_OK ||
        write_speakers(p, rc, w) != NEPTUN_OK || write_price(p, rc, w) != NEPTUN_OK ||
        write_link_entry(p, rc, w, "registration", h->xml_attr(rc->pool, reg, "href"),
                         "label.registration") != NEPTUN_OK ||
        write_link_entry(p, rc, w, "programme", NULL, "label.programme") != NEPTUN_OK)
        return NEPTUN_ERROR;
    for (const xmlNode *c = h->xml_child(f, "contact"); c; c = h->xml_next(c, "contact"))
        if (write_contact(p, rc, w, c) != NEPTUN_OK)
            return NEPTUN_ERROR;
    if (neptun_w_end(w) != NEPTUN_OK) /* </dl> */
        return NEPTUN_ERROR;
    return neptun_w_end(w);
}
