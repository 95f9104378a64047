/*
 * store_text.c - text for the full-text index and queries against it.
 *
 * Everything indexed is folded first with locale_fold() (case, diacritics,
 * "ł" -> "l"), and so is what a reader types, so "laczy gdansk" meets
 * "Łączy nas Gdańsk" whatever the tokenizer knows.  A reader's query never
 * reaches FTS5 as syntax: each word becomes a quoted string, so quotes,
 * operators, column filters and parentheses are just text.
 */
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "store_internal.h"
#include "locale.h"
#include "log.h"

#define FTS_MAX_TOKENS 32

/* Append the text under node to buf, a space after each element so words
 * of adjacent paragraphs or cells stay apart. */
static int collect_text(const xmlNode *node, xmlBufferPtr buf, int depth)
{
    if (depth > 256) /* the sanitiser bounds depth already; stay safe anyway */
        return 0;
    for (const xmlNode *n = node; n != NULL; n = n->next) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
            if (xmlBufferCat(buf, n->content) != 0)
                return -1;
        } else if (n->type == XML_ELEMENT_NODE) {
            if (collect_text(n->children, buf, depth + 1) != 0 ||
                xmlBufferCCat(buf, " ") != 0)
                return -1;
        }
    }
    return 0;
}

/* The words of a stored XHTML body, without markup; NULL on failure. */
static const char *body_text(struct neptun_pool *pool, const char *body)
{
    xmlDocPtr doc = NULL;
    xmlBufferPtr buf = NULL;
    const char *text = NULL;

    doc = xmlReadMemory(body, (int)strlen(body), NULL, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        log_warn("store: a stored body is not well-formed; indexing it without its text");
        text = "";
        goto out;
    }
    buf = xmlBufferCreate();
    if (buf == NULL || collect_text(xmlDocGetRootElement(doc), buf, 0) != 0)
        goto out;
    text = neptun_pool_strdup(pool, (const char *)xmlBufferContent(buf));
out:
    xmlBufferFree(buf);
    xmlFreeDoc(doc);
    return text;
}

static const char *fold(struct neptun_pool *pool, const char *text)
{
    if (text == NULL || *text == '\0')
        return "";
    return locale_fold(pool, text);
}

int store_fts_row(struct neptun_pool *pool, const struct neptun_item *item,
                  const struct neptun_text *text, const char *extra,
                  struct store_fts_row *out)
{
    (void)item;
    const char *body = text->body ? body_text(pool, text->body) : "";
    out->title = fold(pool, text->title);
    out->summary = fold(pool, text->summary);
    out->body = body ? fold(pool, body) : NULL;
    out->extra = extra;
    if (out->title == NULL || out->summary == NULL || out->body == NULL)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

const char *store_fts_extra(struct neptun_pool *pool, const struct neptun_item *item,
                            const struct neptun_index *idx)
{
    /* the type's own search text (venues, names) and the tags */
    size_t len = 1;
    const char *search = idx && idx->search_text ? idx->search_text : "";
    len += strlen(search) + 1;
    for (size_t i = 0; i < item->ntags; i++)
        len += strlen(item->tags[i]) + 1;
    char *all = neptun_pool_alloc(pool, len);
    if (all == NULL)
        return NULL;
    char *p = all;
    size_t n = strlen(search);
    memcpy(p, search, n);
    p += n;
    for (size_t i = 0; i < item->ntags; i++) {
        *p++ = ' ';
        n = strlen(item->tags[i]);
        memcpy(p, item->tags[i], n);
        p += n;
    }
    *p = '\0';
    return fold(pool, all);
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

#define FTS_PREFIX_MIN 3

const char *store_fts_query(struct neptun_pool *pool, const char *typed)
{
    const char *folded = fold(pool, typed);
    if (folded == NULL)
        return ""; /* not text (invalid UTF-8): nothing can match it */
    /* worst case every byte is a quote (doubled) and every token adds
     * two quotes, a space and the prefix star */
    size_t len = strlen(folded);
    char *out = neptun_pool_alloc(pool, len * 2 + FTS_MAX_TOKENS * 4 + 1);
    if (out == NULL)
        return NULL;
    char *o = out;
    int ntokens = 0;
    size_t last_chars = 0; /* characters of the last word */
    const char *p = folded;
    while (*p != '\0' && ntokens < FTS_MAX_TOKENS) {
        while (is_space(*p))
            p++;
        if (*p == '\0')
            break;
        if (ntokens > 0)
            *o++ = ' ';
        *o++ = '"';
        last_chars = 0;
        while (*p != '\0' && !is_space(*p)) {
            if (*p == '"')
                *o++ = '"';
            last_chars += ((unsigned char)*p & 0xC0) != 0x80; /* UTF-8 lead bytes */
            *o++ = *p++;
        }
        *o++ = '"';
        ntokens++;
    }
    /* The last word may still be being typed: match it as a prefix, from
     * FTS_PREFIX_MIN characters on.  A shorter prefix names most of the
     * vocabulary ("l*": 78 ms at 100k items, ten times that at 1M) and
     * ranks nothing usefully; it matches as a whole word instead. */
    if (ntokens > 0 && last_chars >= FTS_PREFIX_MIN)
        *o++ = '*';
    *o = '\0';
    return out;
}
