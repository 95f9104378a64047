/*
 * projects_render.c - the render.projects element of an API <entry>: the
 * fields in the answer's language.  Each localised leaf is picked along the
 * fallback chain and carries xml:lang when it came from another language;
 * <when> lines are the host's human date ranges in the answer's language.
 */
#include "projects.h"

#define W(call)                                                                                    \
    do {                                                                                           \
        if ((call) != NEPTUN_OK)                                                                   \
            return NEPTUN_ERROR;                                                                   \
    } while (0)

static int write_attr_copy(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                           xmlTextWriterPtr w, const xmlNode *node, const char *name)
{
    return neptun_w_attr(w, name, p->host->xml_attr(rc->pool, node, name));
}

/* start, end and a <when> line for an element with a period. */
static int write_period(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                        xmlTextWriterPtr w, const xmlNode *node)
{
    int64_t start, end;
    W(write_attr_copy(p, rc, w, node, "start"));
    W(write_attr_copy(p, rc, w, node, "end"));
    if (projects_period(p, rc->pool, node, &start, &end) != NEPTUN_OK)
        return NEPTUN_OK; /* no period here: nothing to say */
    return neptun_w_element(w, "when", p->host->format_range(rc->pool, rc->lang, start, end, NEPTUN_FMT_DATE));
}

static int write_programme(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                           xmlTextWriterPtr w)
{
    const xmlNode *prog = p->host->xml_child(rc->fields, "programme");
    if (prog == NULL)
        return NEPTUN_OK;
    W(neptun_w_start(w, "programme"));
    W(write_attr_copy(p, rc, w, prog, "code"));
    W(neptun_w_local(p->host, rc, w, prog, "name", "name"));
    return neptun_w_end(w);
}

static int write_themes(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                        xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *themes = h->xml_child(rc->fields, "themes");
    for (const xmlNode *t = h->xml_child(themes, "theme"); t != NULL; t = h->xml_next(t, "theme")) {
        W(neptun_w_start(w, "theme"));
        W(write_attr_copy(p, rc, w, t, "code"));
        W(neptun_w_local(p->host, rc, w, t, "name", "name"));
        W(neptun_w_end(w));
    }
    return NEPTUN_OK;
}

/* One <task> per task of tasks, each its <text> in the answer's language. */
static int write_tasks(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w, const xmlNode *owner)
{
    const struct neptun_host *h = p->host;
    const xmlNode *tasks = h->xml_child(owner, "tasks");
    for (const xmlNode *t = h->xml_child(tasks, "task"); t != NULL; t = h->xml_next(t, "task"))
        W(neptun_w_local(p->host, rc, w, t, "text", "task"));
    return NEPTUN_OK;
}

static int write_plain(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                       xmlTextWriterPtr w, const xmlNode *parent, const char *name)
{
    const struct neptun_host *h = p->host;
    for (const xmlNode *c = h->xml_child(parent, name); c != NULL; c = h->xml_next(c, name))
        W(neptun_w_element(w, name, h->xml_text(rc->pool, c)));
    return NEPTUN_OK;
}

static int write_coordinator(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                             xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *co = h->xml_child(rc->fields, "coordinator");
    const xmlNode *address = h->xml_child(co, "address");
    if (co == NULL)
        return NEPTUN_OK;
    W(neptun_w_start(w, "coordinator"));
    W(write_attr_copy(p, rc, w, co, "href"));
    W(neptun_w_local(p->host, rc, w, co, "name", "name"));
    if (address != NULL) {
        W(neptun_w_start(w, "address"));
        W(write_plain(p, rc, w, address, "street"));
        W(write_plain(p, rc, w, address, "postcode"));
        W(write_plain(p, rc, w, address, "city"));
        W(write_plain(p, rc, w, address, "country"));
        W(neptun_w_end(w));
    }
    for (const xmlNode *c = h->xml_child(co, "contact"); c != NULL; c = h->xml_next(c, "contact")) {
        W(neptun_w_start(w, "contact"));
        W(write_plain(p, rc, w, c, "name"));
        W(write_plain(p, rc, w, c, "phone"));
        W(write_plain(p, rc, w, c, "email"));
        W(neptun_w_end(w));
    }
    W(write_tasks(p, rc, w, co));
    return neptun_w_end(w);
}

static int write_partners(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                          xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *partners = h->xml_child(rc->fields, "partners");
    if (partners == NULL)
        return NEPTUN_OK;
    W(neptun_w_start(w, "partners"));
    W(write_attr_copy(p, rc, w, partners, "countries"));
    for (const xmlNode *c = h->xml_child(partners, "partner"); c != NULL; c = h->xml_next(c, "partner")) {
        W(neptun_w_start(w, "partner"));
        W(write_attr_copy(p, rc, w, c, "country"));
        W(write_attr_copy(p, rc, w, c, "href"));
        W(neptun_w_local(p->host, rc, w, c, "name", "name"));
        W(neptun_w_end(w));
    }
    W(write_tasks(p, rc, w, partners));
    return neptun_w_end(w);
}

static int write_visits(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                        xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *visits = h->xml_child(rc->fields, "visits");
    if (visits == NULL)
        return NEPTUN_OK;
    W(neptun_w_start(w, "visits"));
    W(write_attr_copy(p, rc, w, visits, "count"));
    W(write_period(p, rc, w, visits));
    for (const xmlNode *v = h->xml_child(visits, "visit"); v != NULL; v = h->xml_next(v, "visit")) {
        W(neptun_w_start(w, "visit"));
        /* attributes first: write_period writes <when> after start/end */
        W(write_attr_copy(p, rc, w, v, "country"));
        W(write_period(p, rc, w, v));
        W(neptun_w_local(p->host, rc, w, v, "name", "name"));
        W(neptun_w_end(w));
    }
    return neptun_w_end(w);
}

static int write_outcomes(const struct projects_plugin *p, const struct neptun_render_ctx *rc,
                          xmlTextWriterPtr w)
{
    const struct neptun_host *h = p->host;
    const xmlNode *pubs = h->xml_child(rc->fields, "publications");
    for (const xmlNode *c = h->xml_child(pubs, "publication"); c != NULL; c = h->xml_next(c, "publication")) {
        W(neptun_w_start(w, "publication"));
        W(write_attr_copy(p, rc, w, c, "due"));
        W(write_attr_copy(p, rc, w, c, "medium"));
        W(write_attr_copy(p, rc, w, c, "href"));
        W(neptun_w_local(p->host, rc, w, c, "text", "text"));
        W(neptun_w_end(w));
    }
    const xmlNode *objectives = h->xml_child(rc->fields, "objectives");
    for (const xmlNode *o = h->xml_child(objectives, "objective"); o != NULL; o = h->xml_next(o, "objective"))
        W(neptun_w_local(p->host, rc, w, o, "text", "objective"));
    return NEPTUN_OK;
}

int projects_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const struct projects_plugin *p = ud;
    /* No namespace given: the element inherits urn:neptun:1 from <entry>. */
    W(neptun_w_start(w, "project"));
    W(write_period(p, rc, w, rc->fields));
    W(write_programme(p, rc, w));
    W(write_themes(p, rc, w));
    W(write_coordinator(p, rc, w));
    W(write_partners(p, rc, w));
    W(write_visits(p, rc, w));
    W(write_outcomes(p, rc, w));
    return neptun_w_end(w);
}
