/*
 * render_atom.c - Atom 1.0 feeds (RFC 4287) with RFC 5005 paging links.
 * Entry content is the human XHTML block as type="xhtml"; text that fell
 * back to another language carries xml:lang on its own element.  Output
 * validates against the RFC 4287 RELAX NG grammar (tests/schemas/atom.rng).
 * An entry has one rel="alternate" link, its page in the feed's own
 * language: readers differ on which of several alternates they take
 * (SimplePie the first, newsboat the last).  Its translations are
 * rel="related" links with hreflang.  Each entry names its author (the
 * portal, in the feed's language), since not every reader falls back to
 * the feed's.  An entry's only date is <updated>, the time the feed is
 * ordered by: readers show <published> first when there is one.  The feed
 * title names the format ("… (Atom)").  An archived entry's content and
 * summary open with the archive notice in the feed's language.
 */
#include <string.h>
#include "locale.h"
#include "conf.h"
#include "render_internal.h"

#define W(call) do { if ((call) < 0) goto out; } while (0)

static int link_el(xmlTextWriterPtr w, const char *rel, const char *href, const char *type,
                   const char *hreflang)
{
    if (href == NULL)
        return 0;
    if (xmlTextWriterStartElement(w, BAD_CAST "link") < 0 || render_attr(w, "rel", rel) < 0 ||
        render_attr(w, "href", href) < 0 || render_attr(w, "type", type) < 0 ||
        render_attr(w, "hreflang", hreflang) < 0 || xmlTextWriterEndElement(w) < 0)
        return -1;
    return 0;
}

static int text_el(xmlTextWriterPtr w, const char *name, const char *text, const char *got,
                   const char *lang)
{
    if (xmlTextWriterStartElement(w, BAD_CAST name) < 0 ||
        xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "text") < 0 ||
        render_attr_lang(w, got, lang) < 0 || xmlTextWriterWriteString(w, BAD_CAST text) < 0 ||
        xmlTextWriterEndElement(w) < 0)
        return -1;
    return 0;
}

static int date_el(struct neptun_pool *pool, xmlTextWriterPtr w, const char *name, int64_t t)
{
    const char *s = locale_rfc3339(pool, t);
    if (s == NULL)
        return -1;
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST s);
}

/* The summary readers show in place of the content (feedparser's and
 * SimplePie's description): an archived item's opens with the archive
 * notice, as its content does, unless it already does. */
static const char *archived_summary(struct neptun_pool *pool, const struct neptun_item *item,
                                    const char *lang, const char *summary)
{
    if (item->status != NEPTUN_STATUS_ARCHIVED)
        return summary;
    const char *notice = locale_translate(pool, RENDER_ARCHIVE_NOTICE_KEY, lang, -1);
    if (notice == NULL || notice[0] == '\0' || strncmp(summary, notice, strlen(notice)) == 0)
        return summary;
    const char *both = neptun_pool_printf(pool, "%s\n\n%s", notice, summary);
    return both != NULL ? both : summary;
}

/* One <entry> written element by element. */
static int write_entry_parts(struct neptun_pool *pool, const char *lang, xmlTextWriterPtr w,
                             const char *const *chain, const struct neptun_item *item)
{
    int rc = NEPTUN_ERROR;
    struct render_pick p;
    const char *url = render_item_url(pool, lang, item);
    const char *id = render_item_id(pool, lang, item);
    int64_t updated = render_feed_time(item);
    const char *author = conf_site(lang, CONF_SITE_TITLE);
    size_t human_len;

    render_pick_text(item, chain, &p);
    const char *human = render_piece(pool, item, lang, chain, RENDER_PIECE_HUMAN, &human_len,
                                     render_human_piece);
    if (human == NULL || url == NULL || id == NULL)
        goto out;
    W(xmlTextWriterStartElement(w, BAD_CAST "entry"));
    W(text_el(w, "title", p.title, p.title_lang, lang));
    /* No <published>: readers show it before <updated> (SimplePie does),
     * and the feed is ordered by updated. */
    W(date_el(pool, w, "updated", updated));
    W(xmlTextWriterStartElement(w, BAD_CAST "author"));
    W(xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST(author != NULL ? author : "neptun")));
    W(xmlTextWriterEndElement(w));
    /* No type on the page's link: feedparser takes an alternate as the
     * entry's link only when it is (or defaults to) HTML, and falls back to
     * <id>, which is no URL. */
    W(link_el(w, "alternate", url, NULL, lang));
    for (size_t i = 0; i < item->ntexts; i++) {
        const char *tl = item->texts[i].lang;
        if (tl != NULL && strcmp(tl, lang) != 0)
            W(link_el(w, "related", render_item_url(pool, tl, item), "application/xml", tl));
    }
    /* A tag: URI identifies the entry: neither an edit nor the server's
     * address changes it (SPEC 7, "Identity").  After the links:
     * feedparser takes an <id> met before any link for the entry's link. */
    W(xmlTextWriterWriteElement(w, BAD_CAST "id", BAD_CAST id));
    for (size_t i = 0; i < item->ntags; i++) {
        W(xmlTextWriterStartElement(w, BAD_CAST "category"));
        W(xmlTextWriterWriteAttribute(w, BAD_CAST "term", BAD_CAST item->tags[i]));
        W(xmlTextWriterEndElement(w));
    }
    if (p.summary != NULL)
        W(text_el(w, "summary", archived_summary(pool, item, lang, p.summary), p.summary_lang,
                  lang));
    W(xmlTextWriterStartElement(w, BAD_CAST "content"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST "xhtml"));
    /* The block as a libxml2 writer wrote it (no indentation here). */
    if (human_len > 0)
        W(xmlTextWriterWriteRawLen(w, BAD_CAST human, (int)human_len));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterEndElement(w));
    rc = NEPTUN_OK;
out:
    return rc;
}

/* The whole <entry>, as kept (render_write_apart's writer). */
static int write_kept_entry(xmlTextWriterPtr w, const void *arg)
{
    const struct render_item_job *job = arg;
    return write_entry_parts(job->pool, job->lang, w, job->chain, job->item);
}

/* The maker of RENDER_PIECE_ATOM_ENTRY. */
static const char *entry_piece(const struct render_item_job *job, size_t *len)
{
    return render_write_apart(job->pool, write_kept_entry, job, len);
}

int render_atom(const struct render_feed *f, char **out, size_t *len)
{
    struct xmlutil_out o;
    struct neptun_pool *pool = f->pool;
    const char *const *chain = f->fallback != NULL ? f->fallback : render_chain(pool, f->lang);
    /* The first page's URL names the feed whichever page this is. */
    const char *id = render_feed_id(pool, f->first_url != NULL ? f->first_url : f->self_url);
    const char *author = conf_site(f->lang, CONF_SITE_TITLE);
    /* Readers show the feed's own title: it names the format, as the OPML
     * outline does. */
    const char *title = render_format_title(pool, f->title, "ATOM");

    if (title == NULL || render_doc_begin(&o, 0) != NEPTUN_OK)
        return NEPTUN_ERROR;
    xmlTextWriterPtr w = o.w;
    W(xmlTextWriterStartElementNS(w, NULL, BAD_CAST "feed", BAD_CAST RENDER_ATOM_NS));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST f->lang));
    W(text_el(w, "title", title, NULL, NULL));
    if (f->description != NULL && f->description[0] != '\0')
        W(text_el(w, "subtitle", f->description, NULL, NULL));
    W(date_el(pool, w, "updated", f->updated != 0 ? f->updated : render_started_at()));
    W(xmlTextWriterStartElement(w, BAD_CAST "author"));
    W(xmlTextWriterWriteElement(w, BAD_CAST "name", BAD_CAST(author != NULL ? author : "neptun")));
    W(xmlTextWriterWriteElement(w, BAD_CAST "uri", BAD_CAST render_base_url()));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterWriteElement(w, BAD_CAST "generator", BAD_CAST "neptun"));
    if (f->image_url != NULL)
        W(xmlTextWriterWriteElement(w, BAD_CAST "logo", BAD_CAST f->image_url));
    W(link_el(w, "self", f->self_url, "application/atom+xml", NULL));
    W(link_el(w, "alternate", f->html_url, NULL, NULL)); /* untyped, as an entry's */
    W(link_el(w, "first", f->first_url, "application/atom+xml", NULL));
    W(link_el(w, "previous", f->prev_url, "application/atom+xml", NULL));
    W(link_el(w, "next", f->next_url, "application/atom+xml", NULL));
    W(link_el(w, "last", f->last_url, "application/atom+xml", NULL));
    /* after the links, as in an entry */
    W(xmlTextWriterWriteElement(w, BAD_CAST "id",
                                BAD_CAST(id != NULL ? id : render_feed_id(pool, render_base_url()))));
    for (size_t i = 0; i < f->nitems; i++)
        /* each entry as kept whole */
        if (render_write_piece(w, pool, f->items[i], f->lang, chain, RENDER_PIECE_ATOM_ENTRY,
                               entry_piece) != NEPTUN_OK)
            goto out;
    W(xmlTextWriterEndElement(w));
    return render_doc_end(&o, out, len);
out:
    xmlutil_writer_abort(&o);
    return NEPTUN_ERROR;
}
