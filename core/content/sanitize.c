/*
 * sanitize.c - the XHTML allow-list for rich bodies (see sanitize.h).
 *
 * Bodies arrive as parsed trees, so character references and the
 * predefined entities are already decoded: what is checked here is exactly
 * what a browser will see.  The walk is an allow-list: an element is kept
 * only when it is in the XHTML namespace and named below, an attribute only
 * when named below; everything else is dropped (with its content when the
 * content is active or invisible) or unwrapped (its text stays).
 */
#include <string.h>
#include <strings.h>
#include <libxml/tree.h>
#include <neptun/item.h>
#include "sanitize.h"

static const char *const allowed_elements[] = {
    "p", "br", "a", "strong", "em", "b", "i", "u", "ul", "ol", "li",
    "h2", "h3", "h4", "h5", "h6", "blockquote", "q", "cite", "code", "pre",
    "span", "div", "img", "figure", "figcaption", "table", "thead", "tbody",
    "tr", "th", "td", "abbr", "time", "dl", "dt", "dd", "hr", "sub", "sup",
    "small", NULL
};

/* Elements whose content is code, embedded documents or form controls:
 * removed together with everything inside them.  Matched in any case, as
 * an HTML parser would read them if a body ever reaches one. */
static const char *const dropped_elements[] = {
    "script", "style", "iframe", "frame", "frameset", "object", "embed",
    "applet", "param", "form", "input", "button", "select", "textarea",
    "option", "optgroup", "svg", "math", "link", "meta", "base", "head",
    "title", "noscript", "noembed", "noframes", "template", "xmp",
    "plaintext", "audio", "video", "source", "track", "canvas", "portal",
    NULL
};

static const char *const allowed_attributes[] = {
    "href", "title", "lang", "alt", "src", "width", "height", "colspan",
    "rowspan", "datetime", "cite", "target", "rel", "class", NULL
};

/* Attributes holding a URL a browser may follow or load. */
static const char *const url_attributes[] = { "href", "src", "cite", NULL };

static const char *const allowed_schemes[] = { "http", "https", "mailto", "tel", NULL };

static int in_list(const char *const *list, const xmlChar *name)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(list[i], (const char *)name) == 0)
            return 1;
    return 0;
}

static int in_list_nocase(const char *const *list, const xmlChar *name)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcasecmp(list[i], (const char *)name) == 0)
            return 1;
    return 0;
}

static int is_xhtml(const xmlNode *node)
{
    return node->ns != NULL && node->ns->href != NULL &&
           strcmp((const char *)node->ns->href, NEPTUN_XHTML_NS) == 0;
}

int sanitize_url_ok(const char *url)
{
    char scheme[16];
    size_t n = 0;
    const char *p;

    if (url == NULL)
        return 0;
    /* The first of ':', '/', '?', '#' decides: a ':' first means a scheme. */
    for (p = url; *p != '\0' && *p != ':' && *p != '/' && *p != '?' && *p != '#'; p++)
        ;
    if (*p != ':')
        return 1; /* relative URL */
    /* Browsers ignore tabs and newlines anywhere in a URL and strip control
     * characters and spaces around it; dropping all of them from the scheme
     * is stricter than any browser ("java\tscript:" is still javascript). */
    for (const unsigned char *q = (const unsigned char *)url; q < (const unsigned char *)p; q++) {
        if (*q <= 0x20 || *q == 0x7f)
            continue;
        if (n + 1 >= sizeof(scheme))
            return 0;
        scheme[n++] = (char)*q;
    }
    scheme[n] = '\0';
    for (size_t i = 0; n > 0 && allowed_schemes[i] != NULL; i++)
        if (strcasecmp(scheme, allowed_schemes[i]) == 0)
            return 1;
    return 0;
}

static void free_node(xmlNodePtr node)
{
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

/* Does the space-separated list value hold token (ASCII case-insensitive)? */
static int has_token(const xmlChar *value, const char *token)
{
    size_t len = strlen(token);
    const char *p = (const char *)value;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f')
            p++;
        if ((size_t)(p - start) == len && strncasecmp(start, token, len) == 0)
            return 1;
    }
    return 0;
}

/* A link opened in a new window must not get a handle on this page; when
 * rel cannot be set, the new window is not opened at all. */
static void protect_new_window(xmlNodePtr node)
{
    xmlChar *target = xmlGetNoNsProp(node, BAD_CAST "target");
    xmlChar *rel = NULL, *joined = NULL;
    xmlAttrPtr set = NULL;

    if (target == NULL)
        return;
    if (strcasecmp((const char *)target, "_blank") != 0)
        goto out;
    rel = xmlGetNoNsProp(node, BAD_CAST "rel");
    if (rel == NULL) {
        set = xmlSetProp(node, BAD_CAST "rel", BAD_CAST "noopener noreferrer");
    } else if (has_token(rel, "noopener") && has_token(rel, "noreferrer")) {
        goto out;
    } else {
        joined = xmlStrdup(rel);
        if (joined != NULL && !has_token(rel, "noopener"))
            joined = xmlStrcat(joined, BAD_CAST " noopener");
        if (joined != NULL && !has_token(rel, "noreferrer"))
            joined = xmlStrcat(joined, BAD_CAST " noreferrer");
        if (joined != NULL)
            set = xmlSetProp(node, BAD_CAST "rel", joined);
    }
    if (set == NULL)
        xmlUnsetProp(node, BAD_CAST "target");
out:
    xmlFree(joined);
    xmlFree(rel);
    xmlFree(target);
}

static int clean_attributes(xmlNodePtr node)
{
    int removed = 0;
    xmlAttrPtr attr = node->properties;

    while (attr != NULL) {
        xmlAttrPtr next = attr->next;
        int keep;
        if (attr->ns != NULL) {
            /* only xml:lang; xml:base, xlink:href and friends go */
            keep = attr->ns->href != NULL &&
                   strcmp((const char *)attr->ns->href, (const char *)XML_XML_NAMESPACE) == 0 &&
                   strcmp((const char *)attr->name, "lang") == 0;
        } else {
            keep = in_list(allowed_attributes, attr->name);
            if (keep && in_list(url_attributes, attr->name)) {
                xmlChar *value = xmlNodeListGetString(node->doc, attr->children, 1);
                keep = value != NULL && sanitize_url_ok((const char *)value);
                xmlFree(value);
            }
        }
        if (!keep) {
            xmlRemoveProp(attr);
            removed++;
        }
        attr = next;
    }
    protect_new_window(node);
    return removed;
}

/* Move node's (already cleaned) children in front of it and remove it. */
static void unwrap(xmlNodePtr node)
{
    xmlNodePtr child = node->children;
    while (child != NULL) {
        xmlNodePtr next = child->next;
        xmlUnlinkNode(child);
        if (xmlAddPrevSibling(node, child) == NULL)
            xmlFreeNode(child);
        child = next;
    }
    free_node(node);
}

static int clean_children(xmlNodePtr parent)
{
    int removed = 0;
    xmlNodePtr node = parent->children;

    while (node != NULL) {
        xmlNodePtr next = node->next;
        switch (node->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            break;
        case XML_ELEMENT_NODE:
            if (!is_xhtml(node) || in_list_nocase(dropped_elements, node->name)) {
                free_node(node);
                removed++;
            } else if (in_list(allowed_elements, node->name)) {
                removed += clean_attributes(node);
                removed += clean_children(node);
            } else {
                removed += clean_children(node);
                unwrap(node);
                removed++;
            }
            break;
        default: /* comments, processing instructions, entity references */
            free_node(node);
            removed++;
            break;
        }
        node = next;
    }
    return removed;
}

int sanitize_xhtml(xmlNodePtr div)
{
    if (div == NULL || div->type != XML_ELEMENT_NODE)
        return 0;
    return clean_attributes(div) + clean_children(div);
}
