/*
 * schema.c - the composed RELAX NG grammar (see content.h).
 *
 * schema/neptun.rng holds the start pattern and the item document;
 * schema/api.rng beside it holds the API answers; each registered type
 * brings a fragment defining fields.<type> and render.<type>, and may define
 * route.<type> (the documents its plugin's routes answer).  The <define>s
 * of the other grammars are copied into the base tree, then fields.any,
 * render.any and route.any are added as choices over the types (api.rng's
 * api.document includes route.any).  The
 * result is serialised once (for /schema/neptun.rng) and compiled once.
 *
 * The compiled grammar is built before the workers start and only read
 * after; each validation gets its own context, so validation is
 * thread-safe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/relaxng.h>
#include <neptun/common.h>
#include "content.h"
#include "xmlutil.h"

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
#define SCHEMA_PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA)

static xmlRelaxNGPtr grammar;
static xmlChar *grammar_text;
static int grammar_text_len;

static int is_rng(const xmlNode *node, const char *name)
{
    return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
           strcmp((const char *)node->ns->href, RNG_NS) == 0 &&
           strcmp((const char *)node->name, name) == 0;
}

/* Does the grammar root already define name? */
static int has_define(const xmlNode *root, const char *name)
{
    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        if (!is_rng(c, "define"))
            continue;
        xmlChar *n = xmlGetNoNsProp(c, BAD_CAST "name");
        int same = n != NULL && strcmp((const char *)n, name) == 0;
        xmlFree(n);
        if (same)
            return 1;
    }
    return 0;
}

/* Copy an inherited ns / datatypeLibrary attribute of the fragment's
 * grammar onto a copied define, unless the define sets its own. */
static int inherit_attr(xmlNodePtr copy, const xmlNode *from, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(from, BAD_CAST name);
    int rc = 0;
    if (v != NULL && !xmlHasNsProp(copy, BAD_CAST name, NULL))
        rc = xmlSetProp(copy, BAD_CAST name, v) == NULL ? -1 : 0;
    xmlFree(v);
    return rc;
}

/* Copy every <define> of the fragment's grammar into base.  what names the
 * fragment in messages. */
static int merge_defines(xmlDocPtr base, xmlDocPtr frag, const char *what)
{
    xmlNodePtr base_root = xmlDocGetRootElement(base);
    xmlNodePtr root = xmlDocGetRootElement(frag);

    if (!is_rng(root, "grammar")) {
        fprintf(stderr, "neptun: schema of %s: root element is not a RELAX NG <grammar>\n", what);
        return -1;
    }
    for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!is_rng(c, "define")) {
            if (is_rng(c, "start"))
                continue; /* a fragment may have a start of its own for testing */
            fprintf(stderr, "neptun: schema of %s: only <define> is merged, <%s> ignored\n",
                    what, (const char *)c->name);
            continue;
        }
        xmlChar *name = xmlGetNoNsProp(c, BAD_CAST "name");
        int dup = name == NULL || has_define(base_root, (const char *)name);
        if (dup) {
            fprintf(stderr, "neptun: schema of %s: define \"%s\" %s\n", what,
                    name ? (const char *)name : "", name ? "is already defined" : "has no name");
            xmlFree(name);
            return -1;
        }
        xmlFree(name);
        xmlNodePtr copy = xmlDocCopyNode(c, base, 1);
        if (copy == NULL)
            return -1;
        /* namespace prefixes declared on the fragment's root may be used in
         * name attributes (QNames), so they travel with the define */
        for (xmlNsPtr ns = root->nsDef; ns != NULL; ns = ns->next)
            if (ns->prefix != NULL && xmlSearchNs(base, copy, ns->prefix) == NULL)
                xmlNewNs(copy, ns->href, ns->prefix);
        if (inherit_attr(copy, root, "ns") < 0 || inherit_attr(copy, root, "datatypeLibrary") < 0 ||
            xmlAddChild(base_root, copy) == NULL) {
            xmlFreeNode(copy);
            return -1;
        }
    }
    return 0;
}

static xmlDocPtr read_grammar_file(const char *path)
{
    return xmlReadFile(path, NULL, SCHEMA_PARSE_OPTIONS);
}

static xmlNodePtr new_rng(xmlNodePtr parent, const char *name)
{
    return xmlNewChild(parent, parent->ns, BAD_CAST name, NULL);
}

/* <define name="NAME.any"><choice><ref name="NAME.t1"/>...</choice></define>,
 * or <notAllowed/> when no type defines one. */
static int add_any_define(xmlNodePtr root, const char *prefix)
{
    char name[160];
    xmlNodePtr define = new_rng(root, "define");
    xmlNodePtr choice;
    int refs = 0;

    if (define == NULL)
        return -1;
    snprintf(name, sizeof(name), "%s.any", prefix);
    if (xmlSetProp(define, BAD_CAST "name", BAD_CAST name) == NULL)
        return -1;
    choice = new_rng(define, "choice");
    if (choice == NULL)
        return -1;
    for (size_t i = 0; i < types_count(); i++) {
        const struct neptun_type *t = types_at(i);
        if (t == NULL || t->schema_rng == NULL)
            continue;
        snprintf(name, sizeof(name), "%s.%s", prefix, t->name);
        if (!has_define(root, name))
            continue;
        xmlNodePtr ref = new_rng(choice, "ref");
        if (ref == NULL || xmlSetProp(ref, BAD_CAST "name", BAD_CAST name) == NULL)
            return -1;
        refs++;
    }
    if (refs == 0) {
        xmlUnlinkNode(choice);
        xmlFreeNode(choice);
        if (new_rng(define, "notAllowed") == NULL)
            return -1;
    }
    return 0;
}

static void report_schema_error(void *ctx, xmlErrorPtr e)
{
    const char *file = ctx;
    if (e == NULL || e->level == XML_ERR_WARNING)
        return;
    fprintf(stderr, "neptun: schema %s:%d: %s", e->file ? e->file : file, e->line,
            e->message ? e->message : "error\n");
}

/* The folder of path with "/api.rng" appended (caller frees). */
static char *sibling_path(const char *path, const char *file)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t len = dirlen + strlen(file) + 1;
    char *out = malloc(len);
    if (out == NULL)
        return NULL;
    memcpy(out, path, dirlen);
    strcpy(out + dirlen, file);
    return out;
}

static int merge_api(xmlDocPtr base, const char *base_path)
{
    char *api_path = sibling_path(base_path, "api.rng");
    xmlDocPtr api = NULL;
    int rc = -1;

    if (api_path == NULL)
        goto out;
    if (access(api_path, R_OK) != 0) {
        xmlNodePtr root = xmlDocGetRootElement(base);
        fprintf(stderr, "neptun: warning: %s not found; API answers have no grammar\n", api_path);
        if (!has_define(root, "api.document")) {
            xmlNodePtr define = new_rng(root, "define");
            if (define == NULL || xmlSetProp(define, BAD_CAST "name", BAD_CAST "api.document") == NULL ||
                new_rng(define, "notAllowed") == NULL)
                goto out;
        }
        rc = 0;
        goto out;
    }
    api = read_grammar_file(api_path);
    if (api == NULL) {
        fprintf(stderr, "neptun: %s: not a well-formed grammar\n", api_path);
        goto out;
    }
    rc = merge_defines(base, api, api_path);
out:
    xmlFreeDoc(api);
    free(api_path);
    return rc;
}

static int merge_types(xmlDocPtr base)
{
    for (size_t i = 0; i < types_count(); i++) {
        const struct neptun_type *t = types_at(i);
        char what[128];
        if (t == NULL || t->schema_rng == NULL)
            continue;
        snprintf(what, sizeof(what), "type \"%s\"", t->name);
        size_t len = strlen(t->schema_rng);
        xmlDocPtr frag = len <= 0x7fffffff
            ? xmlReadMemory(t->schema_rng, (int)len, what, NULL, SCHEMA_PARSE_OPTIONS) : NULL;
        if (frag == NULL) {
            fprintf(stderr, "neptun: schema of %s: not well-formed\n", what);
            return -1;
        }
        int rc = merge_defines(base, frag, what);
        xmlFreeDoc(frag);
        if (rc < 0)
            return -1;
        char def[128];
        snprintf(def, sizeof(def), "fields.%s", t->name);
        if (t->element != NULL && !has_define(xmlDocGetRootElement(base), def)) {
            fprintf(stderr, "neptun: schema of %s: it must define \"%s\"\n", what, def);
            return -1;
        }
    }
    return 0;
}

int schema_init(const char *base_path)
{
    xmlDocPtr base = NULL;
    xmlRelaxNGParserCtxtPtr pctx = NULL;
    int rc = -1;

    schema_cleanup();
    base = read_grammar_file(base_path);
    if (base == NULL || !is_rng(xmlDocGetRootElement(base), "grammar")) {
        fprintf(stderr, "neptun: %s: not a RELAX NG grammar\n", base_path);
        goto out;
    }
    if (merge_api(base, base_path) < 0 || merge_types(base) < 0)
        goto out;
    if (add_any_define(xmlDocGetRootElement(base), "fields") < 0 ||
        add_any_define(xmlDocGetRootElement(base), "render") < 0 ||
        add_any_define(xmlDocGetRootElement(base), "route") < 0) {
        fprintf(stderr, "neptun: out of memory composing the schema\n");
        goto out;
    }
    xmlDocDumpFormatMemoryEnc(base, &grammar_text, &grammar_text_len, "UTF-8", 1);
    if (grammar_text == NULL)
        goto out;

    pctx = xmlRelaxNGNewDocParserCtxt(base);
    if (pctx == NULL)
        goto out;
    xmlRelaxNGSetParserStructuredErrors(pctx, report_schema_error, (void *)base_path);
    grammar = xmlRelaxNGParse(pctx);
    if (grammar == NULL) {
        fprintf(stderr, "neptun: %s: the composed grammar does not compile\n", base_path);
        goto out;
    }
    rc = 0;
out:
    xmlRelaxNGFreeParserCtxt(pctx);
    xmlFreeDoc(base);
    if (rc < 0)
        schema_cleanup();
    return rc;
}

void schema_cleanup(void)
{
    xmlRelaxNGFree(grammar);
    grammar = NULL;
    xmlFree(grammar_text);
    grammar_text = NULL;
    grammar_text_len = 0;
}

const char *schema_text(size_t *len)
{
    if (len != NULL)
        *len = grammar_text ? (size_t)grammar_text_len : 0;
    return (const char *)grammar_text;
}

struct validation {
    struct neptun_errors *errs;
    int count;
};

/* libxml2 reports "Element item failed to validate attributes" on the
 * item's first child; the path should name the element the message does. */
static const xmlNode *error_element(const xmlError *e)
{
    const xmlNode *node = e->node;
    const char *msg = e->message;
    static const char prefix[] = "Element ";

    if (msg == NULL || strncmp(msg, prefix, sizeof(prefix) - 1) != 0 ||
        node->type != XML_ELEMENT_NODE || node->parent == NULL ||
        node->parent->type != XML_ELEMENT_NODE)
        return node;
    const char *name = msg + sizeof(prefix) - 1;
    size_t len = strcspn(name, " ");
    if (strlen((const char *)node->name) == len && strncmp((const char *)node->name, name, len) == 0)
        return node;
    if (strlen((const char *)node->parent->name) == len &&
        strncmp((const char *)node->parent->name, name, len) == 0)
        return node->parent;
    return node;
}

static void collect_validity_error(void *ctx, xmlErrorPtr e)
{
    struct validation *v = ctx;
    const char *path;
    const char *msg;
    size_t len;

    if (e == NULL)
        return;
    v->count++;
    if (v->errs == NULL)
        return;
    path = e->node != NULL ? xmlutil_node_path(v->errs->pool, error_element(e), NULL) : "/";
    msg = e->message ? e->message : "does not match the schema";
    len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    errors_add(v->errs, path, "%.*s", (int)len, msg);
}

int schema_validate(xmlDocPtr doc, struct neptun_errors *errs)
{
    struct validation v = { errs, 0 };
    xmlRelaxNGValidCtxtPtr vctx;
    int rc;

    if (grammar == NULL) {
        errors_add(errs, "/", "the schema is not loaded");
        return NEPTUN_INVALID;
    }
    vctx = xmlRelaxNGNewValidCtxt(grammar);
    if (vctx == NULL) {
        errors_add(errs, "/", "out of memory validating the document");
        return NEPTUN_INVALID;
    }
    xmlRelaxNGSetValidStructuredErrors(vctx, collect_validity_error, &v);
    rc = xmlRelaxNGValidateDoc(vctx, doc);
    xmlRelaxNGFreeValidCtxt(vctx);
    if (rc == 0)
        return NEPTUN_OK;
    if (v.count == 0)
        errors_add(errs, "/", "the document does not match the schema");
    return NEPTUN_INVALID;
}
