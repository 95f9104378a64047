/*
 * projects_route.c - the plugin's two routes, each answering a small XML
 * document in the neptun namespace (route.projects in projects.rng, which
 * the host merges into the served /schema/neptun.rng):
 *
 * GET /{lang}/projects/strands.xml: the programme strands whose code
 * <programme code="..."> may name, each with its name in the requested
 * language, so that editors and partner portals can offer them.
 *
 *   <strands xmlns="urn:neptun:1" xml:lang="en">
 *     <strand code="efc-2-network-of-towns"><name>Europe for Citizens, ...</name></strand>
 *   </strands>
 *
 * GET /{lang}/projects/{slug}/partners: the partners of one published
 * project (read with host->item_get) and what each partner city does.
 *
 *   <partners xmlns="urn:neptun:1" xml:lang="en" project="..." href="..." countries="4">
 *     <partner country="DE" href="..."><name>...</name></partner>
 *     <task>...</task>
 *   </partners>
 *
 * (A slug never holds a dot, so strands.xml cannot shadow a project.)
 * Each document is written with an xmlTextWriter into a memory buffer that
 * reply_document owns and frees; reply_send copies the bytes.
 */
#include <string.h>
#include "projects.h"

#define W(call)                                                                                    \
    do {                                                                                           \
        if ((call) != NEPTUN_OK)                                                                   \
            return NEPTUN_ERROR;                                                                   \
    } while (0)

/* Writes the root element of an answer and everything inside it. */
typedef int (*document_fn)(const struct projects_plugin *p, const void *arg, xmlTextWriterPtr w);

/* Answer 200 with the XML document write_root writes. */
static int reply_document(const struct projects_plugin *p, struct neptun_reply *reply, document_fn write_root,
                          const void *arg)
{
    const struct neptun_host *h = p->host;
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf != NULL ? xmlNewTextWriterMemory(buf, 0) : NULL;
    int rc = NEPTUN_ERROR;

    if (w == NULL)
        goto out;
    if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 || write_root(p, arg, w) != NEPTUN_OK ||
        xmlTextWriterEndDocument(w) < 0)
        goto out;
    xmlFreeTextWriter(w); /* flushes into buf */
    w = NULL;
    if (h->reply_header(reply, "Access-Control-Allow-Origin", "*") != NEPTUN_OK)
        goto out;
    rc = h->reply_send(reply, 200, "application/xml", xmlBufferContent(buf), (size_t)xmlBufferLength(buf));
out:
    if (w != NULL)
        xmlFreeTextWriter(w);
    if (buf != NULL)
        xmlBufferFree(buf);
    return rc;
}

/* ---- strands.xml ------------------------------------------------------------ */

static int write_strands(const struct projects_plugin *p, const void *arg, xmlTextWriterPtr w)
{
    const char *lang = arg;
    const char *chain[] = {lang, "en", NULL}; /* the strand table has pl, en, de */
    (void)p;
    W(neptun_w_start_ns(w, "strands", NEPTUN_XML_NS));
    W(neptun_w_attr(w, "xml:lang", lang));
    for (const struct projects_strand *s = projects_strands; s->code != NULL; s++) {
        const char *got = NULL;
        const char *name = projects_strand_name(s, chain, &got);
        W(neptun_w_start(w, "strand"));
        W(neptun_w_attr(w, "code", s->code));
        W(neptun_w_start(w, "name"));
        W(neptun_w_attr(w, "xml:lang", strcmp(got, lang) != 0 ? got : NULL));
        W(neptun_w_text(w, name));
        W(neptun_w_end(w));
        W(neptun_w_end(w));
    }
    return neptun_w_end(w);
}

int projects_route_strands(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const struct projects_plugin *p = ud;
    const char *lang = p->host->req_lang(req);
    if (lang == NULL)
        return NEPTUN_ERROR;
    return reply_document(p, reply, write_strands, lang);
}

/* ---- {slug}/partners -------------------------------------------------------- */

static int write_partners(const struct projects_plugin *p, const void *arg, xmlTextWriterPtr w)
{
    const struct neptun_render_ctx *rc = arg;
    const struct neptun_host *h = p->host;
    const xmlNode *partners = h->xml_child(rc->fields, "partners");
    const xmlNode *tasks = h->xml_child(partners, "tasks");

    W(neptun_w_start_ns(w, "partners", NEPTUN_XML_NS));
    W(neptun_w_attr(w, "xml:lang", rc->lang));
    W(neptun_w_attr(w, "project", rc->item->slug));
    W(neptun_w_attr(w, "href", h->pool_printf(rc->pool, "%s/%s/projects/%s", rc->base_url, rc->lang,
                                              rc->item->slug)));
    W(neptun_w_attr(w, "countries", h->xml_attr(rc->pool, partners, "countries")));
    for (const xmlNode *c = h->xml_child(partners, "partner"); c != NULL; c = h->xml_next(c, "partner")) {
        W(neptun_w_start(w, "partner"));
        W(neptun_w_attr(w, "country", h->xml_attr(rc->pool, c, "country")));
        W(neptun_w_attr(w, "href", h->xml_attr(rc->pool, c, "href")));
        W(neptun_w_local(h, rc, w, c, "name", "name"));
        W(neptun_w_end(w));
    }
    for (const xmlNode *t = h->xml_child(tasks, "task"); t != NULL; t = h->xml_next(t, "task"))
        W(neptun_w_local(h, rc, w, t, "text", "task"));
    return neptun_w_end(w);
}

int projects_route_partners(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const struct projects_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const struct neptun_item *item = NULL;

    /* NEPTUN_NOT_FOUND (no such published project) becomes the host's 404. */
    int rc = h->item_get(req, "projects", h->req_param(req, "slug"), &item);
    if (rc != NEPTUN_OK)
        return rc;
    const struct neptun_render_ctx *render = h->item_render_ctx(req, item);
    if (render == NULL)
        return NEPTUN_ERROR;
    return reply_document(p, reply, write_partners, render);
}
