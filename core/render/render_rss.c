/*
 * render_rss.c - RSS 2.0 feeds, following the RSS Advisory Board profile.
 * Machine dates are RFC 822 in English with four-digit years whatever the
 * feed's language.  Item descriptions carry the human XHTML block as
 * escaped text (libxml2 escapes it).  Each <item> is kept whole per item
 * and language (render_fragments.c) and written back raw, which is why the
 * document is not indented.  Paging links follow RFC 5005 as
 * atom:link elements; an item whose text fell back to another language
 * names that language in dc:language (RSS has no xml:lang on items).
 * An item's only link is its page in the feed's own language: <link>; its
 * guid is a tag: URI (isPermaLink="false") that does not follow the
 * server's address.  Its translations are atom:link rel="related" with
 * hreflang, never rel="alternate", which readers take for the item's link
 * before <link> (SimplePie does).  Every item names its author in
 * dc:creator: the portal, in the feed's language.  pubDate is the time the
 * feed is ordered by (the last change), so the dates readers show never
 * rise down the feed; the channel title names the format ("… (RSS)").
 * Search results name the language whose text matched in
 * <neptun:matched-lang> (namespace urn:neptun:1), as the XML API's
 * matched-lang attribute does.
 */
#include <string.h>
#include "conf.h"
#include "locale.h"
#include "render_internal.h"

#define W(call) do { if ((call) < 0) goto out; } while (0)

static int atom_link(xmlTextWriterPtr w, const char *rel, const char *href,
                     const char *type, const char *hreflang)
{
    if (href == NULL)
        return 0;
    if (xmlTextWriterStartElementNS(w, BAD_CAST "atom", BAD_CAST "link", NULL) < 0 ||
        render_attr(w, "rel", rel) < 0 || render_attr(w, "href", href) < 0 ||
        render_attr(w, "type", type) < 0 || render_attr(w, "hreflang", hreflang) < 0 ||
        xmlTextWriterEndElement(w) < 0)
        return -1;
    return 0;
}

/* One <item> written element by element. */
static int write_item_parts(struct neptun_pool *pool, const char *lang, xmlTextWriterPtr w,
                            const char *const *chain, const struct neptun_item *item,
                            const char *matched_lang)
{
    int rc = NEPTUN_ERROR;
    struct render_pick p;
    const char *url = render_item_url(pool, lang, item);
    const char *guid = render_item_id(pool, lang, item);
    size_t described;

    render_pick_text(item, chain, &p);
    /* The human block, already escaped as the description's text. */
    const char *description = render_piece(pool, item, lang, chain, RENDER_PIECE_HUMAN_TEXT,
                                           &described, render_human_text_piece);
    /* The time the feed is ordered by, so the dates readers show agree
     * with the order; the XML API keeps the publication time. */
    const char *pub = locale_rfc822(pool, render_feed_time(item));
    const char *fell_back = render_pick_fallback(&p, lang);
    const char *author = conf_site(lang, CONF_SITE_TITLE);
    if (description == NULL || pub == NULL || url == NULL || guid == NULL)
        goto out;

    W(xmlTextWriterStartElement(w, BAD_CAST "item"));
    W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST p.title));
    W(xmlTextWriterWriteElement(w, BAD_CAST "link", BAD_CAST url));
    W(xmlTextWriterStartElement(w, BAD_CAST "description"));
    if (described > 0)
        W(xmlTextWriterWriteRawLen(w, BAD_CAST description, (int)described));
    W(xmlTextWriterEndElement(w));
    for (size_t i = 0; i < item->ntags; i++)
        W(xmlTextWriterWriteElement(w, BAD_CAST "category", BAD_CAST item->tags[i]));
    /* A tag: URI that neither an edit nor the server's address changes
     * (SPEC 7, "Identity"); the page is <link>. */
    W(xmlTextWriterStartElement(w, BAD_CAST "guid"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "isPermaLink", BAD_CAST "false"));
    W(xmlTextWriterWriteString(w, BAD_CAST guid));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterWriteElement(w, BAD_CAST "pubDate", BAD_CAST pub));
    W(xmlTextWriterWriteElementNS(w, BAD_CAST "dc", BAD_CAST "creator", NULL,
                                  BAD_CAST(author != NULL ? author : "neptun")));
    if (fell_back != NULL)
        W(xmlTextWriterWriteElementNS(w, BAD_CAST "dc", BAD_CAST "language", NULL,
                                      BAD_CAST fell_back));
    if (matched_lang != NULL)
        W(xmlTextWriterWriteElementNS(w, BAD_CAST "neptun", BAD_CAST "matched-lang", NULL,
                                      BAD_CAST matched_lang));
    for (size_t i = 0; i < item->ntexts; i++) {
        const char *tl = item->texts[i].lang;
        if (tl != NULL && strcmp(tl, lang) != 0)
            W(atom_link(w, "related", render_item_url(pool, tl, item), "application/xml", tl));
    }
    W(xmlTextWriterEndElement(w));
    rc = NEPTUN_OK;
out:
    return rc;
}

/* The whole <item>, as kept (render_write_apart's writer). */
static int write_kept_item(xmlTextWriterPtr w, const void *arg)
{
    const struct render_item_job *job = arg;
    return write_item_parts(job->pool, job->lang, w, job->chain, job->item, NULL);
}

/* The maker of RENDER_PIECE_RSS_ITEM. */
static const char *item_piece(const struct render_item_job *job, size_t *len)
{
    return render_write_apart(job->pool, write_kept_item, job, len);
}

static int write_item(const struct render_feed *f, xmlTextWriterPtr w, const char *const *chain,
                      const struct neptun_item *item, const char *matched_lang)
{
    /* A search names the language that matched, per answer: written out. */
    if (matched_lang != NULL)
        return write_item_parts(f->pool, f->lang, w, chain, item, matched_lang);
    return render_write_piece(w, f->pool, item, f->lang, chain, RENDER_PIECE_RSS_ITEM, item_piece);
}

int render_rss(const struct render_feed *f, char **out, size_t *len)
{
    struct xmlutil_out o;
    const char *const *chain = f->fallback != NULL ? f->fallback : render_chain(f->pool, f->lang);
    const char *built = locale_rfc822(f->pool, f->updated != 0 ? f->updated : render_started_at());
    /* Readers show the channel's own title: it names the format, as the
     * OPML outline does. */
    const char *title = render_format_title(f->pool, f->title, "RSS2");

    /* Not indented: items are written whole from kept pieces, which an
     * indenting writer would not line up. */
    if (built == NULL || title == NULL || render_doc_begin(&o, 0) != NEPTUN_OK)
        return NEPTUN_ERROR;
    xmlTextWriterPtr w = o.w;
    W(xmlTextWriterStartElement(w, BAD_CAST "rss"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:atom", BAD_CAST RENDER_ATOM_NS));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:dc", BAD_CAST RENDER_DC_NS));
    if (f->matched_lang != NULL)
        W(xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:neptun", BAD_CAST NEPTUN_XML_NS));
    W(xmlTextWriterStartElement(w, BAD_CAST "channel"));
    W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST title));
    W(xmlTextWriterWriteElement(w, BAD_CAST "link",
                                BAD_CAST(f->html_url != NULL ? f->html_url : render_base_url())));
    W(xmlTextWriterWriteElement(w, BAD_CAST "description",
                                BAD_CAST(f->description != NULL ? f->description : "")));
    W(xmlTextWriterWriteElement(w, BAD_CAST "language", BAD_CAST f->lang));
    W(xmlTextWriterWriteElement(w, BAD_CAST "lastBuildDate", BAD_CAST built));
    W(xmlTextWriterWriteElement(w, BAD_CAST "generator", BAD_CAST "neptun"));
    W(xmlTextWriterWriteElement(w, BAD_CAST "docs",
                                BAD_CAST "https://www.rssboard.org/rss-specification"));
    if (f->ttl > 0)
        W(xmlTextWriterWriteFormatElement(w, BAD_CAST "ttl", "%d", f->ttl));
    if (f->image_url != NULL) {
        W(xmlTextWriterStartElement(w, BAD_CAST "image"));
        W(xmlTextWriterWriteElement(w, BAD_CAST "url", BAD_CAST f->image_url));
        W(xmlTextWriterWriteElement(w, BAD_CAST "title", BAD_CAST title));
        W(xmlTextWriterWriteElement(w, BAD_CAST "link",
                                    BAD_CAST(f->html_url != NULL ? f->html_url : render_base_url())));
        W(xmlTextWriterEndElement(w));
    }
    W(atom_link(w, "self", f->self_url, "application/rss+xml", NULL));
    W(atom_link(w, "first", f->first_url, "application/rss+xml", NULL));
    W(atom_link(w, "previous", f->prev_url, "application/rss+xml", NULL));
    W(atom_link(w, "next", f->next_url, "application/rss+xml", NULL));
    W(atom_link(w, "last", f->last_url, "application/rss+xml", NULL));
    for (size_t i = 0; i < f->nitems; i++)
        if (write_item(f, w, chain, f->items[i],
                       f->matched_lang != NULL ? f->matched_lang[i] : NULL) != NEPTUN_OK)
            goto out;
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterEndElement(w));
    return render_doc_end(&o, out, len);
out:
    xmlutil_writer_abort(&o);
    return NEPTUN_ERROR;
}
