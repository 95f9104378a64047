/*
 * render_common.c - what every answer writer shares: an item's text chosen
 * field by field along the language's fallback chain, the human XHTML block
 * (the archive notice of an archived item, the sanitised body, then the
 * type's render_xhtml), URLs, times and the feeds' titles per format.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "conf.h"
#include "content.h"
#include "locale.h"
#include "render_internal.h"

static const struct neptun_text *text_in(const struct neptun_item *item, const char *lang)
{
    for (size_t i = 0; i < item->ntexts; i++)
        if (item->texts[i].lang != NULL && strcmp(item->texts[i].lang, lang) == 0)
            return &item->texts[i];
    return NULL;
}

enum text_field { FIELD_TITLE, FIELD_SUMMARY, FIELD_BODY };

static const char *field_of(const struct neptun_text *t, enum text_field f)
{
    switch (f) {
    case FIELD_TITLE: return t->title;
    case FIELD_SUMMARY: return t->summary;
    case FIELD_BODY: return t->body;
    }
    return NULL;
}

/* The first text along chain (then any text at all) that has field f:
 * each field falls back on its own. */
static const struct neptun_text *pick_field(const struct neptun_item *item,
                                            const char *const *chain, enum text_field f)
{
    for (size_t i = 0; chain != NULL && chain[i] != NULL; i++) {
        const struct neptun_text *t = text_in(item, chain[i]);
        if (t != NULL && field_of(t, f) != NULL)
            return t;
    }
    for (size_t i = 0; i < item->ntexts; i++)
        if (field_of(&item->texts[i], f) != NULL)
            return &item->texts[i];
    return NULL;
}

void render_pick_text(const struct neptun_item *item, const char *const *chain,
                      struct render_pick *out)
{
    const struct neptun_text *t;
    memset(out, 0, sizeof *out);
    out->title = "";
    if ((t = pick_field(item, chain, FIELD_TITLE)) != NULL) {
        out->title = t->title;
        out->title_lang = t->lang;
    }
    if ((t = pick_field(item, chain, FIELD_SUMMARY)) != NULL) {
        out->summary = t->summary;
        out->summary_lang = t->lang;
    }
    if ((t = pick_field(item, chain, FIELD_BODY)) != NULL) {
        out->body = t->body;
        out->body_lang = t->lang;
    }
}

static int differs(const char *got, const char *lang)
{
    return got != NULL && lang != NULL && strcmp(got, lang) != 0;
}

const char *render_pick_fallback(const struct render_pick *p, const char *lang)
{
    if (differs(p->title_lang, lang))
        return p->title_lang;
    if (p->summary != NULL && differs(p->summary_lang, lang))
        return p->summary_lang;
    if (p->body != NULL && differs(p->body_lang, lang))
        return p->body_lang;
    return NULL;
}

const char *const *render_chain(struct neptun_pool *pool, const char *lang)
{
    const struct conf_lang *cl = conf_lang(neptun_conf, lang);
    if (cl != NULL)
        return cl->chain;
    const char **one = neptun_pool_calloc(pool, 2, sizeof *one);
    if (one != NULL)
        one[0] = lang;
    return one;
}

const char *render_fill_site(struct neptun_pool *pool, const char *text, const char *lang)
{
    const char *at = text != NULL ? strstr(text, "{site}") : NULL;
    if (at == NULL)
        return text;
    const char *filled = neptun_pool_printf(pool, "%.*s%s%s", (int)(at - text), text,
                                            conf_site(lang, CONF_SITE_NAME), at + 6);
    return filled != NULL ? filled : text;
}

const char *render_base_url(void)
{
    return neptun_conf->base_url;
}

const char *render_item_id(struct neptun_pool *pool, const char *lang,
                           const struct neptun_item *item)
{
    return neptun_pool_printf(pool, "tag:%s,%s:%s/%s/%s", conf_identity_authority(),
                              conf_identity_date(), lang, item->type, item->slug);
}

const char *render_feed_id(struct neptun_pool *pool, const char *url)
{
    const char *base = render_base_url();
    size_t bl = strlen(base);
    if (url == NULL || strncmp(url, base, bl) != 0 || (url[bl] != '/' && url[bl] != '\0'))
        return url;
    const char *rest = url[bl] == '/' ? url + bl + 1 : url + bl;
    return neptun_pool_printf(pool, "tag:%s,%s:%s", conf_identity_authority(),
                              conf_identity_date(), rest);
}

const char *render_item_uid(struct neptun_pool *pool, const struct neptun_item *item)
{
    return neptun_pool_printf(pool, "%s@%s", item->slug, conf_identity_authority());
}

const char *render_lang_url(struct neptun_pool *pool, const char *lang, const char *rest)
{
    return neptun_pool_printf(pool, "%s/%s/%s", render_base_url(), lang, rest);
}

const char *render_item_url(struct neptun_pool *pool, const char *lang, const struct neptun_item *item)
{
    return neptun_pool_printf(pool, "%s/%s/%s/%s", render_base_url(), lang, item->type, item->slug);
}

const char *render_count_text(struct neptun_pool *pool, const char *lang, const char *type,
                              int search, size_t total)
{
    const char *key = "count.items";
    const char *own = type != NULL ? neptun_pool_printf(pool, "count.%s", type) : NULL;
    if (search)
        key = "count.results";
    else if (own != NULL && locale_has_key(own))
        key = own;
    return locale_translate(pool, key, lang, total > LONG_MAX ? LONG_MAX : (long)total);
}

int64_t render_pub_time(const struct neptun_item *item)
{
    if (item->publish_at != 0)
        return item->publish_at;
    if (item->created != 0)
        return item->created;
    return item->updated;
}

int64_t render_feed_time(const struct neptun_item *item)
{
    return item->updated != 0 ? item->updated : render_pub_time(item);
}

const char *render_format_title(struct neptun_pool *pool, const char *name, const char *format)
{
    const char *title = neptun_pool_printf(pool, "%s (%s)", name != NULL ? name : "",
                                           strcmp(format, "ATOM") == 0 ? "Atom" : "RSS");
    return title;
}

int64_t render_started_at(void)
{
    /* Set once by whichever thread asks first; every later call agrees. */
    static _Atomic int64_t started;
    int64_t t = atomic_load(&started);
    if (t == 0) {
        int64_t expected = 0;
        int64_t now = (int64_t)time(NULL);
        if (!atomic_compare_exchange_strong(&started, &expected, now))
            now = expected;
        t = now;
    }
    return t;
}

void render_ctx_init(struct neptun_render_ctx *rc, struct neptun_pool *pool,
                     const struct neptun_item *item, const char *lang,
                     const char *const *chain)
{
    memset(rc, 0, sizeof *rc);
    rc->struct_size = sizeof *rc;
    rc->pool = pool;
    rc->item = item;
    rc->fields = item->fields_xml != NULL ? itemdoc_fields(pool, item) : NULL;
    rc->lang = lang;
    rc->fallback = chain;
    rc->base_url = render_base_url();
    rc->timezone = neptun_conf->timezone;
}

#define BODY_OPEN "<div xmlns=\"" NEPTUN_XHTML_NS "\">"
#define BODY_CLOSE "</div>"

/* The stored body is one <div xmlns="XHTML"> (the sanitiser writes it so):
 * its inner markup (*len bytes) goes into the human block's own div, so
 * readers do not get the div twice.  Checked by parsing, as writing the
 * whole fragment did: NULL when body has another shape (an attribute or
 * another namespace on its root), which is then written whole. */
static const char *body_inner(const char *body, size_t *len)
{
    size_t open = sizeof BODY_OPEN - 1, close = sizeof BODY_CLOSE - 1;
    size_t n = strlen(body);
    const char *inner = NULL;
    while (n > 0 && (body[n - 1] == ' ' || body[n - 1] == '\n' || body[n - 1] == '\t' ||
                     body[n - 1] == '\r'))
        n--;
    if (n < open + close || strncmp(body, BODY_OPEN, open) != 0 ||
        memcmp(body + n - close, BODY_CLOSE, close) != 0)
        return NULL;
    xmlDocPtr doc = xmlReadMemory(body, (int)n, NULL, "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    const xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (root != NULL && root->next == NULL && root->properties == NULL && root->ns != NULL &&
        root->ns->prefix == NULL && xmlStrEqual(root->ns->href, BAD_CAST NEPTUN_XHTML_NS) &&
        root->nsDef == root->ns && root->nsDef->next == NULL) {
        inner = body + open;
        *len = n - open - close;
    }
    if (doc != NULL)
        xmlFreeDoc(doc);
    return inner;
}

/* The body into the open div: its inner markup raw, else whole. */
static int write_body(xmlTextWriterPtr w, const char *body)
{
    size_t len = 0;
    const char *inner = body_inner(body, &len);
    if (inner == NULL)
        return xmlutil_write_fragment(w, body);
    if (len > 0 && xmlTextWriterWriteRawLen(w, BAD_CAST inner, (int)len) < 0)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

int render_write_human(xmlTextWriterPtr w, const struct neptun_render_ctx *rc,
                       const struct render_pick *p)
{
    const struct neptun_type *type = types_find(rc->item->type);
    if (xmlTextWriterStartElementNS(w, NULL, BAD_CAST "div", BAD_CAST NEPTUN_XHTML_NS) < 0)
        return NEPTUN_ERROR;
    if (rc->item->status == NEPTUN_STATUS_ARCHIVED) {
        /* First, so that a reader showing only the start shows it too. */
        const char *notice = locale_translate(rc->pool, RENDER_ARCHIVE_NOTICE_KEY, rc->lang, -1);
        if (notice != NULL && notice[0] != '\0' &&
            (xmlTextWriterStartElement(w, BAD_CAST "p") < 0 ||
             xmlTextWriterWriteAttribute(w, BAD_CAST "class", BAD_CAST "archive-notice") < 0 ||
             xmlTextWriterWriteString(w, BAD_CAST notice) < 0 || xmlTextWriterEndElement(w) < 0))
            return NEPTUN_ERROR;
    }
    if (p->body != NULL) {
        /* A body that fell back is wrapped to say its language; the type's
         * block after it is in the answer's language. */
        int fell_back = differs(p->body_lang, rc->lang);
        if (fell_back && (xmlTextWriterStartElement(w, BAD_CAST "div") < 0 ||
                          render_attr_lang(w, p->body_lang, rc->lang) < 0))
            return NEPTUN_ERROR;
        if (write_body(w, p->body) != NEPTUN_OK)
            return NEPTUN_ERROR;
        if (fell_back && xmlTextWriterEndElement(w) < 0)
            return NEPTUN_ERROR;
    }
    if (type != NULL && type->render_xhtml != NULL &&
        type->render_xhtml(type->ud, rc, w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (xmlTextWriterEndElement(w) < 0)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

int render_doc_begin(struct xmlutil_out *o, int indent)
{
    if (xmlutil_writer_new(o, indent) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (xmlutil_start_utf8_document(o) != NEPTUN_OK) {
        xmlutil_writer_abort(o);
        return NEPTUN_ERROR;
    }
    return NEPTUN_OK;
}

int render_doc_end(struct xmlutil_out *o, char **out, size_t *len)
{
    if (xmlTextWriterEndDocument(o->w) < 0) {
        xmlutil_writer_abort(o);
        return NEPTUN_ERROR;
    }
    return xmlutil_writer_done(o, out, len);
}

int render_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    if (value == NULL)
        return 0;
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value);
}

int render_attr_lang(xmlTextWriterPtr w, const char *got, const char *lang)
{
    if (!differs(got, lang))
        return 0;
    return xmlTextWriterWriteAttribute(w, BAD_CAST "xml:lang", BAD_CAST got);
}

int render_attr_time(struct neptun_pool *pool, xmlTextWriterPtr w, const char *name, int64_t t)
{
    if (t == 0)
        return 0;
    const char *s = locale_rfc3339(pool, t);
    if (s == NULL)
        return -1;
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST s);
}

int render_attr_num(xmlTextWriterPtr w, const char *name, size_t n)
{
    return xmlTextWriterWriteFormatAttribute(w, BAD_CAST name, "%zu", n);
}
