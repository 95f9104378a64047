/*
 * render_xml.c - the XML API answers (namespace urn:neptun:1): an entry, a
 * list, search results, the service document and errors.  Their grammar is
 * schema/api.rng; every answer written here validates against it.
 */
#include <string.h>
#include "conf.h"
#include "errors.h"
#include "locale.h"
#include "render_internal.h"
#include "content.h"

#define W(call) do { if ((call) < 0) goto out; } while (0)

static int start_root(xmlTextWriterPtr w, const char *name)
{
    return xmlTextWriterStartElementNS(w, NULL, BAD_CAST name, BAD_CAST NEPTUN_XML_NS);
}

static int write_text_el(xmlTextWriterPtr w, const char *name, const char *text,
                         const char *got, const char *lang)
{
    if (xmlTextWriterStartElement(w, BAD_CAST name) < 0 || render_attr_lang(w, got, lang) < 0 ||
        xmlTextWriterWriteString(w, BAD_CAST text) < 0 || xmlTextWriterEndElement(w) < 0)
        return -1;
    return 0;
}

static int write_tags(xmlTextWriterPtr w, const struct neptun_item *item)
{
    if (item->ntags == 0)
        return 0;
    if (xmlTextWriterStartElement(w, BAD_CAST "tags") < 0)
        return -1;
    for (size_t i = 0; i < item->ntags; i++)
        if (xmlTextWriterWriteElement(w, BAD_CAST "tag", BAD_CAST item->tags[i]) < 0)
            return -1;
    return xmlTextWriterEndElement(w);
}

static int write_links(xmlTextWriterPtr w, const struct neptun_item *item)
{
    if (item->nlinks == 0)
        return 0;
    if (xmlTextWriterStartElement(w, BAD_CAST "links") < 0)
        return -1;
    for (size_t i = 0; i < item->nlinks; i++) {
        const struct neptun_link *l = &item->links[i];
        if (xmlTextWriterStartElement(w, BAD_CAST "link") < 0 ||
            render_attr(w, "rel", l->rel) < 0 || render_attr(w, "href", l->href) < 0 ||
            render_attr(w, "hreflang", l->lang) < 0 || render_attr(w, "type", l->mime) < 0 ||
            render_attr(w, "title", l->title) < 0 || xmlTextWriterEndElement(w) < 0)
            return -1;
    }
    return xmlTextWriterEndElement(w);
}

/* Every language the item has a text in, except the answer's own. */
static int write_translations(struct neptun_pool *pool, xmlTextWriterPtr w, const char *lang,
                              const struct neptun_item *item)
{
    if (xmlTextWriterStartElement(w, BAD_CAST "translations") < 0)
        return -1;
    for (size_t i = 0; i < item->ntexts; i++) {
        const char *tl = item->texts[i].lang;
        if (tl == NULL || strcmp(tl, lang) == 0)
            continue;
        if (xmlTextWriterStartElement(w, BAD_CAST "translation") < 0 ||
            render_attr(w, "hreflang", tl) < 0 ||
            render_attr(w, "href", render_item_url(pool, tl, item)) < 0 ||
            xmlTextWriterEndElement(w) < 0)
            return -1;
    }
    return xmlTextWriterEndElement(w);
}

/* One <entry>; root adds the namespace declaration. */
static int write_entry(struct neptun_pool *pool, xmlTextWriterPtr w, const char *lang,
                       const char *const *chain, const struct neptun_item *item,
                       const char *matched_lang, int root)
{
    int rc = NEPTUN_ERROR;
    struct render_pick p;
    const struct neptun_type *type = types_find(item->type);
    static const char *const status_names[] = { "draft", "published", "archived" };
    unsigned st = (unsigned)item->status;
    size_t body_len = 0, fields_len = 0;
    const char *body = NULL, *fields = NULL;

    render_pick_text(item, chain, &p);
    if (p.body != NULL &&
        (body = render_piece(pool, item, lang, chain, RENDER_PIECE_BODY, &body_len,
                             render_body_piece)) == NULL)
        goto out;
    if (type != NULL && type->render_xml != NULL && item->fields_xml != NULL &&
        (fields = render_piece(pool, item, lang, chain, RENDER_PIECE_FIELDS, &fields_len,
                               render_fields_piece)) == NULL)
        goto out;
    W(root ? start_root(w, "entry") : xmlTextWriterStartElement(w, BAD_CAST "entry"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST lang));
    W(render_attr(w, "type", item->type));
    W(render_attr(w, "slug", item->slug));
    W(render_attr(w, "status", status_names[st < 3 ? st : 1]));
    W(render_attr(w, "href", render_item_url(pool, lang, item)));
    W(render_attr_time(pool, w, "published", render_pub_time(item)));
    W(render_attr_time(pool, w, "updated", item->updated));
    W(render_attr(w, "matched-lang", matched_lang));
    if (type != NULL && (type->flags & NEPTUN_TYPE_DATED)) {
        W(render_attr_time(pool, w, "starts", item->starts_at));
        W(render_attr_time(pool, w, "ends", item->ends_at));
    }
    W(write_text_el(w, "title", p.title, p.title_lang, lang));
    if (p.summary != NULL)
        W(write_text_el(w, "summary", p.summary, p.summary_lang, lang));
    if (p.body != NULL) {
        W(xmlTextWriterStartElement(w, BAD_CAST "body"));
        W(render_attr_lang(w, p.body_lang, lang));
        /* Pieces were written by a libxml2 writer: they go back in raw. */
        if (body_len > 0)
            W(xmlTextWriterWriteRawLen(w, BAD_CAST body, (int)body_len));
        W(xmlTextWriterEndElement(w));
    }
    W(write_tags(w, item));
    W(write_links(w, item));
    W(write_translations(pool, w, lang, item));
    if (item->status == NEPTUN_STATUS_ARCHIVED) {
        const char *notice = locale_translate(pool, RENDER_ARCHIVE_NOTICE_KEY, lang, -1);
        W(write_text_el(w, "archive-notice", notice != NULL ? notice : "", NULL, lang));
    }
    if (fields_len > 0)
        W(xmlTextWriterWriteRawLen(w, BAD_CAST fields, (int)fields_len));
    W(xmlTextWriterEndElement(w));
    rc = NEPTUN_OK;
out:
    return rc;
}

/* The whole list <entry>, as kept (render_write_apart's writer). */
static int write_kept_entry(xmlTextWriterPtr w, const void *arg)
{
    const struct render_item_job *job = arg;
    return write_entry(job->pool, w, job->lang, job->chain, job->item, NULL, 0);
}

/* The maker of RENDER_PIECE_LIST_ENTRY. */
static const char *list_entry_piece(const struct render_item_job *job, size_t *len)
{
    return render_write_apart(job->pool, write_kept_entry, job, len);
}

/* An entry of a list: kept whole unless it names the language a search
 * matched (that is per answer). */
static int write_list_entry(struct neptun_pool *pool, xmlTextWriterPtr w, const char *lang,
                            const char *const *chain, const struct neptun_item *item,
                            const char *matched_lang)
{
    if (matched_lang != NULL)
        return write_entry(pool, w, lang, chain, item, matched_lang, 0);
    return render_write_piece(w, pool, item, lang, chain, RENDER_PIECE_LIST_ENTRY,
                              list_entry_piece);
}

int render_entry_xml(struct neptun_pool *pool, const char *lang, const struct neptun_item *item,
                     char **out, size_t *len)
{
    struct xmlutil_out o;
    if (render_doc_begin(&o, 0) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (write_entry(pool, o.w, lang, render_chain(pool, lang), item, NULL, 1) != NEPTUN_OK) {
        xmlutil_writer_abort(&o);
        return NEPTUN_ERROR;
    }
    return render_doc_end(&o, out, len);
}

static int write_link(xmlTextWriterPtr w, const char *rel, const char *href, const char *type)
{
    if (href == NULL)
        return 0;
    if (xmlTextWriterStartElement(w, BAD_CAST "link") < 0 || render_attr(w, "rel", rel) < 0 ||
        render_attr(w, "href", href) < 0 || render_attr(w, "type", type) < 0 ||
        xmlTextWriterEndElement(w) < 0)
        return -1;
    return 0;
}

static size_t page_count(size_t total, size_t per_page)
{
    if (per_page == 0 || total == 0)
        return 1;
    return (total + per_page - 1) / per_page;
}

int render_list_xml(const struct render_feed *f, char **out, size_t *len)
{
    struct xmlutil_out o;
    const char *const *chain = f->fallback != NULL ? f->fallback : render_chain(f->pool, f->lang);
    int is_search = f->query != NULL;

    if (render_doc_begin(&o, 0) != NEPTUN_OK)
        return NEPTUN_ERROR;
    xmlTextWriterPtr w = o.w;
    W(start_root(w, is_search ? "search" : "list"));
    W(xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST f->lang));
    W(render_attr(w, "type", f->type));
    W(render_attr(w, "q", f->query));
    W(render_attr(w, "tag", f->tag));
    W(render_attr_num(w, "page", f->page));
    W(render_attr_num(w, "per-page", f->per_page));
    W(render_attr_num(w, "total", f->total));
    if (f->total_estimated)
        W(render_attr(w, "total-estimated", "true"));
    W(render_attr_num(w, "pages", page_count(f->total, f->per_page)));
    W(render_attr(w, "count-text", f->count_text));
    W(render_attr(w, "sort", f->sort));
    W(write_link(w, "self", f->self_url, NULL));
    W(write_link(w, "first", f->first_url, NULL));
    W(write_link(w, "previous", f->prev_url, NULL));
    W(write_link(w, "next", f->next_url, NULL));
    W(write_link(w, "last", f->last_url, NULL));
    if (f->type != NULL) {
        const char *base = render_lang_url(f->pool, f->lang, f->type);
        W(write_link(w, "alternate", neptun_pool_printf(f->pool, "%s.rss", base),
                     "application/rss+xml"));
        W(write_link(w, "alternate", neptun_pool_printf(f->pool, "%s.atom", base),
                     "application/atom+xml"));
    } else if (is_search) {
        W(write_link(w, "alternate", f->html_url, "application/rss+xml"));
    }
    for (size_t i = 0; i < f->nitems; i++) {
        const char *ml = f->matched_lang != NULL ? f->matched_lang[i] : NULL;
        if (write_list_entry(f->pool, w, f->lang, chain, f->items[i], ml) != NEPTUN_OK)
            goto out;
    }
    W(xmlTextWriterEndElement(w));
    return render_doc_end(&o, out, len);
out:
    xmlutil_writer_abort(&o);
    return NEPTUN_ERROR;
}

/* ---- service document ------------------------------------------------- */

static int write_feed(struct neptun_pool *pool, xmlTextWriterPtr w, const char *lang,
                      const char *type, const char *format, const char *rest, const char *title)
{
    if (xmlTextWriterStartElement(w, BAD_CAST "feed") < 0 || render_attr(w, "lang", lang) < 0 ||
        render_attr(w, "type", type) < 0 || render_attr(w, "format", format) < 0 ||
        render_attr(w, "href", render_lang_url(pool, lang, rest)) < 0 ||
        render_attr(w, "title", title) < 0 || xmlTextWriterEndElement(w) < 0)
        return -1;
    return 0;
}

/* The localised title of one type's feed: feed.title with {type} (the
 * type's name) and {site} (the portal's short name) filled. */
const char *render_type_title(struct neptun_pool *pool, const char *lang, const char *type)
{
    const char *pattern = locale_translate(pool, "feed.title", lang, -1);
    const char *name = locale_translate(pool, neptun_pool_printf(pool, "type.%s", type), lang, -1);
    if (name == NULL || strncmp(name, "type.", 5) == 0)
        name = type;
    const char *at = pattern != NULL ? strstr(pattern, "{type}") : NULL;
    if (at == NULL)
        return name;
    return render_fill_site(pool, neptun_pool_printf(pool, "%.*s%s%s", (int)(at - pattern), pattern,
                                                     name, at + 6), lang);
}

static int write_lang_feeds(struct neptun_pool *pool, xmlTextWriterPtr w, const char *lang)
{
    const char *all = render_fill_site(pool, locale_translate(pool, "feed.all.title", lang, -1), lang);
    if (write_feed(pool, w, lang, NULL, "rss", "feed.rss", all) < 0 ||
        write_feed(pool, w, lang, NULL, "atom", "feed.atom", all) < 0 ||
        write_feed(pool, w, lang, NULL, "opml", "feeds.opml",
                   conf_site(lang, CONF_SITE_TITLE)) < 0)
        return -1;
    for (size_t i = 0; i < types_count(); i++) {
        const struct neptun_type *t = types_at(i);
        const char *title = render_type_title(pool, lang, t->name);
        if (write_feed(pool, w, lang, t->name, "rss",
                       neptun_pool_printf(pool, "%s.rss", t->name), title) < 0 ||
            write_feed(pool, w, lang, t->name, "atom",
                       neptun_pool_printf(pool, "%s.atom", t->name), title) < 0)
            return -1;
        if ((t->flags & NEPTUN_TYPE_DATED) &&
            write_feed(pool, w, lang, t->name, "ics",
                       neptun_pool_printf(pool, "%s.ics", t->name), title) < 0)
            return -1;
    }
    return 0;
}

int render_service(struct neptun_pool *pool, char **out, size_t *len)
{
    struct xmlutil_out o;
    size_t nlangs = neptun_conf->nlangs;

    if (render_doc_begin(&o, 1) != NEPTUN_OK)
        return NEPTUN_ERROR;
    xmlTextWriterPtr w = o.w;
    W(start_root(w, "service"));
    W(render_attr(w, "base", render_base_url()));
    W(xmlTextWriterStartElement(w, BAD_CAST "languages"));
    for (size_t i = 0; i < nlangs; i++) {
        const char *code = neptun_conf->langs[i].code;
        W(xmlTextWriterStartElement(w, BAD_CAST "language"));
        W(render_attr(w, "code", code));
        if (i == 0)
            W(render_attr(w, "default", "true"));
        /* Each language named in itself, as a language menu shows it. */
        W(render_attr(w, "name", locale_translate(pool, neptun_pool_printf(pool, "lang.%s", code),
                                          code, -1)));
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterStartElement(w, BAD_CAST "types"));
    for (size_t i = 0; i < types_count(); i++) {
        const struct neptun_type *t = types_at(i);
        W(xmlTextWriterStartElement(w, BAD_CAST "type"));
        W(render_attr(w, "name", t->name));
        if (t->flags & NEPTUN_TYPE_DATED)
            W(render_attr(w, "dated", "true"));
        W(render_attr(w, "href", neptun_pool_printf(pool, "%s/%s", render_base_url(), t->name)));
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterStartElement(w, BAD_CAST "feeds"));
    for (size_t i = 0; i < nlangs; i++)
        W(write_lang_feeds(pool, w, neptun_conf->langs[i].code));
    W(xmlTextWriterEndElement(w));
    W(xmlTextWriterEndElement(w));
    return render_doc_end(&o, out, len);
out:
    xmlutil_writer_abort(&o);
    return NEPTUN_ERROR;
}

/* ---- errors ----------------------------------------------------------- */

int render_error_problems(int status, const char *message, const struct neptun_errors *errs,
                          char **out, size_t *len)
{
    struct xmlutil_out o;
    if (render_doc_begin(&o, 1) != NEPTUN_OK)
        return NEPTUN_ERROR;
    xmlTextWriterPtr w = o.w;
    W(start_root(w, "error"));
    W(xmlTextWriterWriteFormatAttribute(w, BAD_CAST "status", "%d", status));
    W(xmlTextWriterWriteElement(w, BAD_CAST "message", BAD_CAST(message != NULL ? message : "")));
    for (size_t i = 0; errs != NULL && i < errs->n; i++) {
        W(xmlTextWriterStartElement(w, BAD_CAST "problem"));
        W(render_attr(w, "path", errs->v[i].path));
        W(xmlTextWriterWriteString(w, BAD_CAST(errs->v[i].message != NULL ? errs->v[i].message : "")));
        W(xmlTextWriterEndElement(w));
    }
    W(xmlTextWriterEndElement(w));
    return render_doc_end(&o, out, len);
out:
    xmlutil_writer_abort(&o);
    return NEPTUN_ERROR;
}

int render_error(int status, const char *message, char **out, size_t *len)
{
    return render_error_problems(status, message, NULL, out, len);
}
