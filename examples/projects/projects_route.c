/*
 * projects_route.c - GET /{lang}/projects/strands.xml: the programme strands
 * whose code <programme code="..."> may name, each with its name in the
 * requested language, so that editors and partner portals can offer them.
 *
 *   <strands xmlns="urn:neptun:1" xml:lang="en">
 *     <strand code="efc-2-network-of-towns"><name>Europe for Citizens, ...</name></strand>
 *   </strands>
 *
 * (A slug never holds a dot, so the path cannot shadow a project's own.)
 * The document is written with an xmlTextWriter into a memory buffer that
 * this handler owns and frees; reply_send copies the bytes.
 */
#include <string.h>
#include "projects.h"

#define W(call)                                                                                    \
    do {                                                                                           \
        if ((call) < 0)                                                                            \
            goto out;                                                                              \
    } while (0)

int projects_route_strands(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const struct projects_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const char *lang = h->req_lang(req);
    const char *chain[] = {lang, "en", NULL}; /* the strand table has pl, en, de */
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf != NULL ? xmlNewTextWriterMemory(buf, 0) : NULL;
    int rc = NEPTUN_ERROR;

    if (w == NULL || lang == NULL)
        goto out;
    W(xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL));
    W(xmlTextWriterStartElementNS(w, NULL, BAD_CAST "strands", BAD_CAST NEPTUN_XML_NS));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST lang));
    for (const struct projects_strand *s = projects_strands; s->code != NULL; s++) {
        const char *got = NULL;
        const char *name = projects_strand_name(s, chain, &got);
        W(xmlTextWriterStartElement(w, BAD_CAST "strand"));
        W(xmlTextWriterWriteAttribute(w, BAD_CAST "code", BAD_CAST s->code));
        W(xmlTextWriterStartElement(w, BAD_CAST "name"));
        if (strcmp(got, lang) != 0)
            W(xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST got));
        W(xmlTextWriterWriteString(w, BAD_CAST name));
        W(xmlTextWriterEndElement(w));
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndDocument(w));
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
