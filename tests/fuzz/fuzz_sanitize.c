/*
 * fuzz_sanitize.c - libFuzzer harness for the XHTML sanitiser.
 *
 * The input is read as XML (no DTDs, no network); after sanitize_xhtml()
 * the tree below the root must hold only allowed XHTML elements and
 * attributes, no comments or processing instructions, and no URL with a
 * scheme other than http, https, mailto, tel.  The raw input is also fed
 * to sanitize_url_ok().
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <neptun/item.h>
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const elements[] = {
    "p", "br", "a", "strong", "em", "b", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "h5",
    "h6", "blockquote", "q", "cite", "code", "pre", "span", "div", "img", "figure",
    "figcaption", "table", "thead", "tbody", "tr", "th", "td", "abbr", "time", "dl", "dt",
    "dd", "hr", "sub", "sup", "small", NULL
};
static const char *const attributes[] = {
    "href", "title", "lang", "alt", "src", "width", "height", "colspan", "rowspan",
    "datetime", "cite", "target", "rel", "class", NULL
};

static int listed(const char *const *list, const xmlChar *name)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], (const char *)name) == 0)
            return 1;
    return 0;
}

static int scheme_allowed(const xmlChar *v)
{
    char s[16];
    size_t n = 0;
    const char *colon = strchr((const char *)v, ':');
    size_t before = strcspn((const char *)v, "/?#");
    if (colon == NULL || (size_t)(colon - (const char *)v) > before)
        return 1;
    for (const unsigned char *p = v; p < (const unsigned char *)colon; p++) {
        if (*p <= 0x20 || *p == 0x7f)
            continue;
        if (n + 1 >= sizeof(s))
            return 0;
        s[n++] = (char)tolower(*p);
    }
    s[n] = '\0';
    return strcmp(s, "http") == 0 || strcmp(s, "https") == 0 || strcmp(s, "mailto") == 0 ||
           strcmp(s, "tel") == 0;
}

static void check_tree(const xmlNode *node)
{
    for (; node != NULL; node = node->next) {
        if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE ||
            node->type == XML_ENTITY_REF_NODE)
            abort();
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (node->ns == NULL || strcmp((const char *)node->ns->href, NEPTUN_XHTML_NS) != 0 ||
            !listed(elements, node->name))
            abort();
        for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
            if (a->ns != NULL ? strcmp((const char *)a->name, "lang") != 0 : !listed(attributes, a->name))
                abort();
            if (a->ns == NULL && (strcmp((const char *)a->name, "href") == 0 ||
                                  strcmp((const char *)a->name, "src") == 0 ||
                                  strcmp((const char *)a->name, "cite") == 0)) {
                xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
                if (v != NULL && !scheme_allowed(v))
                    abort();
                xmlFree(v);
            }
        }
        check_tree(node->children);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    xmlDocPtr doc;

    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    (void)sanitize_url_ok(text);
    free(text);

    if (size > 1 << 20)
        return 0;
    doc = xmlReadMemory((const char *)data, (int)size, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL)
        return 0;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root != NULL) {
        sanitize_xhtml(root);
        check_tree(root->children);
    }
    xmlFreeDoc(doc);
    return 0;
}
