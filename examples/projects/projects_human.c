/*
 * projects_human.c - a project as a reader sees it: the XHTML block the
 * host puts after the body in RSS descriptions and Atom content, and the
 * properties added to the project's VEVENT in iCalendar answers.
 *
 * Every label comes from host->t: the host's own keys (label.date,
 * label.programme, label.partners, label.contact, label.phone) and the
 * plugin's (projects.coordinator, projects.count.visits, ...), which init
 * adds to the catalogs with register_messages (projects_messages.c).
 */
#include <stdlib.h>
#include "projects.h"

#define W(call)                                                                                    \
    do {                                                                                           \
        if ((call) != NEPTUN_OK)                                                                   \
            return NEPTUN_ERROR;                                                                   \
    } while (0)

/* <dt> with a catalog label: the host's or one the plugin registered. */
static int w_label(const struct projects_plugin *p, const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                   const char *key)
{
    return neptun_w_element(w, "dt", neptun_label(p->host, rc, key));
}

/* "first, second, ..." of the localised leaf of every child named name. */
static const char *joined_names(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                                const xmlNode *parent, const char *name)
{
    const struct neptun_host *h = p->host;
    const char *out = NULL;
    for (const xmlNode *c = h->xml_child(parent, name); c != NULL; c = h->xml_next(c, name)) {
        const char *text = neptun_local_text(p->host, rc, c, "name", NULL);
        if (text == NULL)
            continue;
        out = out == NULL ? text : h->pool_printf(rc->pool, "%s, %s", out, text);
    }
    return out;
}

/* <ul> of the tasks of owner (nothing when it has none). */
static int w_tasks(const struct projects_plugin *p, const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                   const xmlNode *owner)
{
    const struct neptun_host *h = p->host;
    const xmlNode *tasks = h->xml_child(owner, "tasks");
    if (h->xml_child(tasks, "task") == NULL)
        return NEPTUN_OK;
    W(neptun_w_start(w, "ul"));
    for (const xmlNode *t = h->xml_child(tasks, "task"); t != NULL; t = h->xml_next(t, "task")) {
        const char *got = NULL;
        const char *text = neptun_local_text(p->host, rc, t, "text", &got);
        W(neptun_w_xhtml_text(rc, w, "li", NULL, text, got));
    }
    return neptun_w_end(w);
}

static const char *period_text(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                               const xmlNode *node)
{
    int64_t start, end;
    if (projects_period(p, rc->pool, node, &start, &end) != NEPTUN_OK)
        return NULL;
    return p->host->format_range(rc->pool, rc->lang, start, end, NEPTUN_FMT_DATE);
}

static int w_coordinator(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                         xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *co = h->xml_child(rc->fields, "coordinator");
    const char *got = NULL;
    const char *name = neptun_local_text(p->host, rc, co, "name", &got);
    if (name == NULL)
        return NEPTUN_OK;
    W(w_label(p, rc, w, "projects.coordinator"));
    W(neptun_w_start(w, "dd"));
    W(neptun_w_xhtml_text(rc, w, "span", "name", name, got));
    W(neptun_w_xhtml_text(rc, w, "span", "address", neptun_address_line(p->host, rc->pool, h->xml_child(co, "address")),
             rc->lang));
    W(w_tasks(p, rc, w, co));
    W(neptun_w_end(w));

    const char *phone_label = h->t(rc->pool, "label.phone", rc->lang, -1);
    for (const xmlNode *c = h->xml_child(co, "contact"); c != NULL; c = h->xml_next(c, "contact")) {
        const char *who = h->xml_text(rc->pool, h->xml_child(c, "name"));
        const char *phone = h->xml_text(rc->pool, h->xml_child(c, "phone"));
        const char *email = h->xml_text(rc->pool, h->xml_child(c, "email"));
        W(w_label(p, rc, w, "label.contact"));
        W(neptun_w_start(w, "dd"));
        W(neptun_w_xhtml_text(rc, w, "span", "name", who, rc->lang));
        if (phone != NULL)
            W(neptun_w_xhtml_text(rc, w, "span", "phone", h->pool_printf(rc->pool, "%s: %s", phone_label, phone), rc->lang));
        W(neptun_w_xhtml_text(rc, w, "span", "email", email, rc->lang));
        W(neptun_w_end(w));
    }
    return NEPTUN_OK;
}

static int w_partners(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                      xmlTextWriterPtr w)
{
    const xmlNode *partners = p->host->xml_child(rc->fields, "partners");
    if (partners == NULL)
        return NEPTUN_OK;
    W(w_label(p, rc, w, "label.partners"));
    W(neptun_w_start(w, "dd"));
    W(neptun_w_xhtml_text(rc, w, "span", "names", joined_names(p, rc, partners, "partner"), rc->lang));
    W(w_tasks(p, rc, w, partners));
    return neptun_w_end(w);
}

static int w_visits(const struct projects_plugin *p, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *visits = h->xml_child(rc->fields, "visits");
    if (visits == NULL)
        return NEPTUN_OK;
    W(w_label(p, rc, w, "projects.visits"));
    W(neptun_w_start(w, "dd"));
    W(neptun_w_xhtml_text(rc, w, "span", "when", period_text(p, rc, visits), rc->lang));
    /* "4 wizyty studyjne", "4 study visits": a plural form the plugin registered. */
    const char *count = h->xml_attr(rc->pool, visits, "count");
    if (count != NULL)
        W(neptun_w_xhtml_text(rc, w, "span", "count",
                              h->t(rc->pool, "projects.count.visits", rc->lang, strtol(count, NULL, 10)),
                              rc->lang));
    if (h->xml_child(visits, "visit") != NULL) {
        W(neptun_w_start(w, "ul"));
        for (const xmlNode *v = h->xml_child(visits, "visit"); v != NULL; v = h->xml_next(v, "visit")) {
            const char *where = neptun_local_text(p->host, rc, v, "name", NULL);
            const char *country = h->xml_attr(rc->pool, v, "country");
            const char *when = period_text(p, rc, v);
            const char *line = where != NULL ? h->pool_printf(rc->pool, "%s: %s (%s)", when, where, country)
                                             : h->pool_printf(rc->pool, "%s (%s)", when, country);
            W(neptun_w_xhtml_text(rc, w, "li", NULL, line, rc->lang));
        }
        W(neptun_w_end(w));
    }
    return neptun_w_end(w);
}

static int w_publications(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                          xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *pubs = h->xml_child(rc->fields, "publications");
    if (h->xml_child(pubs, "publication") == NULL)
        return NEPTUN_OK;
    W(w_label(p, rc, w, "projects.publications"));
    for (const xmlNode *c = h->xml_child(pubs, "publication"); c != NULL; c = h->xml_next(c, "publication")) {
        const char *got = NULL;
        const char *text = neptun_local_text(p->host, rc, c, "text", &got);
        int64_t due;
        const char *due_text = h->xml_attr(rc->pool, c, "due");
        W(neptun_w_start(w, "dd"));
        W(neptun_w_xhtml_text(rc, w, "span", "title", text, got));
        if (due_text != NULL && h->parse_time(due_text, &due) == NEPTUN_OK)
            W(neptun_w_xhtml_text(rc, w, "span", "due", h->format_range(rc->pool, rc->lang, due, 0, NEPTUN_FMT_DATE),
                     rc->lang));
        W(neptun_w_end(w));
    }
    return NEPTUN_OK;
}

static int w_objectives(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                        xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *objectives = h->xml_child(rc->fields, "objectives");
    const char *got = NULL;
    if (h->xml_child(objectives, "objective") == NULL)
        return NEPTUN_OK;
    W(neptun_w_xhtml_text(rc, w, "p", "objectives", neptun_label(h, rc, "projects.objectives"), rc->lang));
    W(neptun_w_start(w, "ol"));
    for (const xmlNode *o = h->xml_child(objectives, "objective"); o != NULL; o = h->xml_next(o, "objective")) {
        const char *text = neptun_local_text(p->host, rc, o, "text", &got);
        W(neptun_w_xhtml_text(rc, w, "li", NULL, text, got));
    }
    return neptun_w_end(w);
}

int projects_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct projects_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *programme = h->xml_child(rc->fields, "programme");
    const char *got = NULL;
    const char *programme_name = neptun_local_text(p->host, rc, programme, "name", &got);

    if (rc->fields == NULL)
        return NEPTUN_OK;
    /* No namespace given: the host's enclosing <div> sets the XHTML one. */
    W(neptun_w_start(w, "dl"));
    W(neptun_w_attr(w, "class", "project"));
    W(w_label(p, rc, w, "label.date"));
    W(neptun_w_xhtml_text(rc, w, "dd", NULL, period_text(p, rc, rc->fields), rc->lang));
    if (programme_name != NULL) {
        W(w_label(p, rc, w, "label.programme"));
        W(neptun_w_xhtml_text(rc, w, "dd", NULL, programme_name, got));
    }
    const char *themes = joined_names(p, rc, h->xml_child(rc->fields, "themes"), "theme");
    if (themes != NULL) {
        W(w_label(p, rc, w, "projects.themes"));
        W(neptun_w_xhtml_text(rc, w, "dd", NULL, themes, rc->lang));
    }
    W(w_coordinator(p, rc, w));
    W(w_partners(p, rc, w));
    W(w_visits(p, rc, w));
    W(w_publications(p, rc, w));
    W(neptun_w_end(w));
    return w_objectives(p, rc, w);
}

int projects_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics)
{
    const struct projects_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *co = h->xml_child(rc->fields, "coordinator");
    const char *co_name = neptun_local_text(p->host, rc, co, "name", NULL);
    const char *address = neptun_address_line(p->host, rc->pool, h->xml_child(co, "address"));

    if (rc->fields == NULL)
        return NEPTUN_OK;
    /* The project happens where its coordinator sits; visits go abroad. */
    if (address != NULL)
        W(h->ics_add(ics, "LOCATION", NULL,
                     co_name != NULL ? h->pool_printf(rc->pool, "%s, %s", co_name, address) : address));
    for (const xmlNode *c = h->xml_child(co, "contact"); c != NULL; c = h->xml_next(c, "contact")) {
        const char *who = h->xml_text(rc->pool, h->xml_child(c, "name"));
        const char *phone = h->xml_text(rc->pool, h->xml_child(c, "phone"));
        if (who != NULL)
            W(h->ics_add(ics, "CONTACT", NULL,
                         phone != NULL ? h->pool_printf(rc->pool, "%s, %s", who, phone) : who));
    }
    /* One CATEGORIES line per theme: the host escapes commas inside a value. */
    const xmlNode *themes = h->xml_child(rc->fields, "themes");
    for (const xmlNode *t = h->xml_child(themes, "theme"); t != NULL; t = h->xml_next(t, "theme")) {
        const char *name = neptun_local_text(p->host, rc, t, "name", NULL);
        if (name != NULL)
            W(h->ics_add(ics, "CATEGORIES", NULL, name));
    }
    return NEPTUN_OK;
}
