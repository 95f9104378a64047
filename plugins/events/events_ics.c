/*
 * events_ics.c - the event's part of its VEVENTs.  An event of several
 * sessions has one VEVENT per session (events_ics_sessions gives the host
 * their times), each with the LOCATION of its own venue; every VEVENT
 * carries ORGANIZER and CONTACT from the first contact and all sessions in
 * DESCRIPTION.  The host escapes values and folds lines; parameters are
 * ours to keep clean.
 */
#include <stddef.h>
#include <string.h>
#include "events.h"

/* "name, address" of a venue, pool-owned; NULL when it has no name. */
static const char *venue_line(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                              const xmlNode *venue)
{
    const struct neptun_host *h = p->host;
    const char *name = neptun_local_text(p->host, rc, venue, "name", NULL);
    const char *address = neptun_address_line(p->host, rc->pool, h->xml_child(venue, "address"));
    if (name == NULL)
        return address;
    return address ? h->pool_printf(rc->pool, "%s, %s", name, address) : name;
}

/* A CN parameter value may not hold DQUOTE or control characters
 * (RFC 5545 3.1); such a name is left out rather than mangled. */
static int param_safe(const char *s)
{
    for (; *s; s++)
        if (*s == '"' || (unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static const char *join(const struct events_plugin *p, struct neptun_pool *pool, const char *a,
                        const char *sep, const char *b)
{
    if (b == NULL)
        return a;
    if (a == NULL)
        return b;
    return p->host->pool_printf(pool, "%s%s%s", a, sep, b);
}

static int add_contact(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                       struct neptun_ics *ics, const xmlNode *c)
{
    const struct neptun_host *h = p->host;
    const char *name = h->xml_text(rc->pool, h->xml_child(c, "name"));
    const char *email = h->xml_text(rc->pool, h->xml_child(c, "email"));
    const char *phone = h->xml_text(rc->pool, h->xml_child(c, "phone"));
    const char *line = name;

    if (email != NULL) {
        const char *cn = name && param_safe(name) ? h->pool_printf(rc->pool, "CN=\"%s\"", name) : NULL;
        const char *mailto = h->pool_printf(rc->pool, "mailto:%s", email);
        if (mailto == NULL || h->ics_add(ics, "ORGANIZER", cn, mailto) != NEPTUN_OK)
            return NEPTUN_ERROR;
    }
    line = join(p, rc->pool, line, ", ", neptun_local_text(p->host, rc, c, "role", NULL));
    line = join(p, rc->pool, line, ", ", neptun_local_text(p->host, rc, c, "organisation", NULL));
    line = join(p, rc->pool, line, ", ", phone);
    line = join(p, rc->pool, line, ", ", email);
    if (line != NULL && h->ics_add(ics, "CONTACT", NULL, line) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* One line per session: "29 czerwca 2017, 13:30–21:00 — venue, address". */
static const char *sessions_text(const struct events_plugin *p, const struct neptun_render_ctx *rc)
{
    const struct neptun_host *h = p->host;
    const char *text = NULL;
    for (const xmlNode *s = h->xml_child(rc->fields, "session"); s; s = h->xml_next(s, "session")) {
        int64_t start, end;
        const char *when = NULL;
        if (neptun_start_end(p->host, rc->pool, s, &start, &end) == NEPTUN_OK)
            when = h->format_range(rc->pool, rc->lang, start, end, NEPTUN_FMT_DATE | NEPTUN_FMT_TIME);
        const char *line = join(p, rc->pool, when, " — ", venue_line(p, rc, h->xml_child(s, "venue")));
        line = join(p, rc->pool, line, ": ", neptun_local_text(p->host, rc, s, "title", NULL));
        text = join(p, rc->pool, text, "\n", line);
    }
    return text;
}

int events_ics_sessions(void *ud, const struct neptun_render_ctx *rc, struct neptun_span *out,
                        size_t max)
{
    const struct events_plugin *p = ud;
    const struct neptun_host *h = p->host;
    size_t n = 0;
    for (const xmlNode *s = h->xml_child(rc->fields, "session"); s; s = h->xml_next(s, "session")) {
        if (n == max)
            return 0; /* too many to list: the event stays one VEVENT */
        if (neptun_start_end(h, rc->pool, s, &out[n].start, &out[n].end) != NEPTUN_OK)
            return NEPTUN_INVALID;
        n++;
    }
    return (int)n;
}

/* The session this VEVENT is (the first for the whole event). */
static const xmlNode *this_session(const struct events_plugin *p, const struct neptun_render_ctx *rc)
{
    const struct neptun_host *h = p->host;
    const xmlNode *s = h->xml_child(rc->fields, "session");
    size_t k = rc->struct_size >= offsetof(struct neptun_render_ctx, session) + sizeof(rc->session)
                   ? rc->session
                   : 0;
    for (size_t i = 1; s != NULL && i < k; i++)
        s = h->xml_next(s, "session");
    return s;
}

int events_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics)
{
    const struct events_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *f = rc->fields;
    const xmlNode *first = f != NULL ? this_session(p, rc) : NULL;
    const xmlNode *price = h->xml_child(f, "price");
    const xmlNode *reg = h->xml_child(f, "registration");

    if (f == NULL)
        return NEPTUN_OK;
    const char *location = first ? venue_line(p, rc, h->xml_child(first, "venue")) : NULL;
    if (location != NULL && h->ics_add(ics, "LOCATION", NULL, location) != NEPTUN_OK)
        return NEPTUN_ERROR;

    const xmlNode *contact = h->xml_child(f, "contact");
    if (contact != NULL && add_contact(p, rc, ics, contact) != NEPTUN_OK)
        return NEPTUN_ERROR;

    const char *description = sessions_text(p, rc);
    if (price != NULL) {
        const char *free_flag = h->xml_attr(rc->pool, price, "free");
        const char *price_text = neptun_local_text(p->host, rc, price, "text", NULL);
        if (free_flag != NULL && strcmp(free_flag, "true") == 0)
            price_text = join(p, rc->pool, h->t(rc->pool, "label.free", rc->lang, -1), ". ", price_text);
        price_text = join(p, rc->pool, h->t(rc->pool, "label.price", rc->lang, -1), ": ", price_text);
        description = join(p, rc->pool, description, "\n", price_text);
    }
    if (reg != NULL) {
        const char *line = join(p, rc->pool, h->t(rc->pool, "label.registration", rc->lang, -1),
                                ": ", h->xml_attr(rc->pool, reg, "href"));
        description = join(p, rc->pool, description, "\n", line);
    }
    if (description != NULL && h->ics_add(ics, "DESCRIPTION", NULL, description) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}
