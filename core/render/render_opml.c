/*
 * render_opml.c - OPML 2.0 subscription list of every feed of one
 * language: all types together and each type's RSS and Atom feed.
 *
 * Feed readers import every outline that carries a URL (newsboat -i takes
 * xmlUrl, else url) as a subscription, and most show the outline's title
 * until the feed is fetched: so the list holds feeds only, one outline
 * each, and every title names its format.  Calendars (.ics) and the other
 * languages' lists would be dead subscriptions; the service document
 * lists them instead.
 */
#include <string.h>
#include "conf.h"
#include "locale.h"
#include "render_internal.h"
#include "content.h"

#define W(call) do { if ((call) < 0) goto out; } while (0)

/* A feed reader subscription (OPML type "rss" covers Atom too), titled
 * "name (RSS)" or "name (Atom)". */
static int feed_outline(struct neptun_pool *pool, xmlTextWriterPtr w, const char *lang,
                        const char *name, const char *rest, const char *html_rest,
                        const char *version)
{
    const char *title = render_format_title(pool, name, version);
    if (title == NULL)
        return -1;
    if (xmlTextWriterStartElement(w, BAD_CAST "outline") < 0 ||
        render_attr(w, "type", "rss") < 0 || render_attr(w, "text", title) < 0 ||
        render_attr(w, "title", title) < 0 || render_attr(w, "version", version) < 0 ||
        render_attr(w, "language", lang) < 0 ||
        render_attr(w, "xmlUrl", render_lang_url(pool, lang, rest)) < 0 ||
        render_attr(w, "htmlUrl", html_rest != NULL ? render_lang_url(pool, lang, html_rest)
                                                    : render_base_url()) < 0 ||
        xmlTextWriterEndElement(w) < 0)
        return -1;
    return 0;
}

int render_opml(struct neptun_pool *pool, const char *lang, char **out, size_t *len)
{
    struct xmlutil_out o;
    const char *site = conf_site(lang, CONF_SITE_TITLE);
    const char *all = render_fill_site(pool, locale_translate(pool, "feed.all.title", lang, -1), lang);
    const char *created = locale_rfc822(pool, render_started_at());

    if (created == NULL || render_doc_begin(&o, 1) != NEPTUN_OK)
        return NEPTUN_ERROR;
    xmlTextWriterPtr w = o.w;
    W(xmlTextWriterStartElement(w, BAD_CAST "opml"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0"));
    W(xmlTextWriterStartElement(w, BAD_CAST "head"));
    W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST(site != NULL ? site : "neptun")));
    W(xmlTextWriterWriteElement(w, BAD_CAST "dateCreated", BAD_CAST created));
    W(xmlTextWriterWriteElement(w, BAD_CAST "docs", BAD_CAST "http://opml.org/spec2.opml"));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterStartElement(w, BAD_CAST "body"));
    W(feed_outline(pool, w, lang, all, "feed.rss", NULL, "RSS2"));
    W(feed_outline(pool, w, lang, all, "feed.atom", NULL, "ATOM"));
    for (size_t i = 0; i < types_count(); i++) {
        const struct neptun_type *t = types_at(i);
        const char *title = render_type_title(pool, lang, t->name);
        W(feed_outline(pool, w, lang, title, neptun_pool_printf(pool, "%s.rss", t->name),
                       t->name, "RSS2"));
        W(feed_outline(pool, w, lang, title, neptun_pool_printf(pool, "%s.atom", t->name),
                       t->name, "ATOM"));
    }
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterEndElement(w));
    return render_doc_end(&o, out, len);
out:
    xmlutil_writer_abort(&o);
    return NEPTUN_ERROR;
}
