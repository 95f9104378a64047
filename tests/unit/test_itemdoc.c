/*
 * test_itemdoc.c - item documents: parse, validate, write back; every kind
 * of error with its path; hostile input (XXE, entity bombs, bad UTF-8,
 * deep nesting) refused quickly; the slug and tag check.  A small test type
 * "notes" with its own schema fragment stands in for the real plugins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <libxml/parser.h>
#include <libxml/xmlwriter.h>
#include "content.h"
#include "xmlutil.h"
#include "check.h"

static const char notes_rng[] =
    "<grammar xmlns='http://relaxng.org/ns/structure/1.0' ns='urn:neptun:1'"
    "         datatypeLibrary='http://www.w3.org/2001/XMLSchema-datatypes'>"
    "  <define name='fields.notes'>"
    "    <element name='note'>"
    "      <optional><attribute name='level'><data type='integer'/></attribute></optional>"
    "      <zeroOrMore><element name='line'>"
    "        <optional><attribute><name ns='http://www.w3.org/XML/1998/namespace'>lang</name></attribute></optional>"
    "        <text/></element></zeroOrMore>"
    "    </element>"
    "  </define>"
    "  <define name='render.notes'><element name='note'><text/></element></define>"
    "</grammar>";

static const char memos_rng[] =
    "<grammar xmlns='http://relaxng.org/ns/structure/1.0' ns='urn:neptun:1'>"
    "  <define name='fields.memos'><element name='memo'><text/></element></define>"
    "  <define name='render.memos'><element name='memo'><text/></element></define>"
    "</grammar>";

static int index_calls;

/* level above 10 is refused, the way a plugin checks beyond the schema */
static int notes_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs)
{
    xmlChar *level = xmlGetNoNsProp(fields, BAD_CAST "level");
    int rc = NEPTUN_OK;
    if (level != NULL && atoi((const char *)level) > 10) {
        errors_add(errs, xmlutil_node_path(errs->pool, fields, "level"), "level %s is above 10",
                   (const char *)level);
        rc = NEPTUN_INVALID;
    }
    xmlFree(level);
    return rc;
}

static int notes_index(void *ud, struct neptun_pool *pool, const xmlNode *fields,
                       struct neptun_index *out)
{
    index_calls++;
    out->starts_at = 1000;
    out->ends_at = 2000;
    out->search_text = "note text";
    return NEPTUN_OK;
}

static void register_test_types(void)
{
    struct neptun_type notes = {
        .struct_size = sizeof(struct neptun_type), .name = "notes", .element = "note",
        .schema_rng = notes_rng, .validate = notes_validate, .index = notes_index,
    };
    struct neptun_type memos = {
        .struct_size = sizeof(struct neptun_type), .name = "memos", .element = "memo",
        .schema_rng = memos_rng,
    };
    CHECK(types_register(&notes, NULL) == NEPTUN_OK);
    CHECK(types_register(&memos, NULL) == NEPTUN_OK);
}

static int has_error(const struct neptun_errors *errs, const char *path, const char *text)
{
    for (size_t i = 0; i < errs->n; i++)
        if ((path == NULL || strcmp(errs->v[i].path, path) == 0) &&
            (text == NULL || strstr(errs->v[i].message, text) != NULL))
            return 1;
    return 0;
}

static void dump_errors(const struct neptun_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++)
        fprintf(stderr, "    %s: %s\n", errs->v[i].path, errs->v[i].message);
}

/* Parse doc; expect rc; when path/text are given expect such an error. */
static void expect(const char *doc, int want_rc, const char *path, const char *text)
{
    struct neptun_pool *pool = neptun_pool_new(4096);
    struct neptun_errors errs;
    struct itemdoc *docs;
    size_t n;

    errors_init(&errs, pool);
    int rc = itemdoc_parse(pool, doc, strlen(doc), &docs, &n, &errs);
    CHECK(rc == want_rc);
    if (want_rc != NEPTUN_OK) {
        CHECK(docs == NULL && n == 0);
        CHECK(errs.n > 0);
    }
    if (path != NULL || text != NULL) {
        int found = has_error(&errs, path, text);
        CHECK(found);
        if (!found) {
            fprintf(stderr, "  wanted %s: %s; got:\n", path ? path : "*", text ? text : "*");
            dump_errors(&errs);
        }
    }
    if (rc != want_rc) {
        fprintf(stderr, "  document: %.300s\n  rc %d, errors:\n", doc, rc);
        dump_errors(&errs);
    }
    neptun_pool_free(pool);
}

#define NS "xmlns='urn:neptun:1'"
#define XHTML "xmlns='http://www.w3.org/1999/xhtml'"
#define MINIMAL_TEXT "<text xml:lang='pl'><title>T</title></text>"

static const char full_doc[] =
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    "<item " NS " type='notes' slug='miasta-integrujace-2017' status='published'\n"
    "      publish_at='2017-05-15T09:00:00+02:00' created='2017-05-15T09:00:00+02:00'\n"
    "      updated='2017-06-20T12:00:00+02:00'>\n"
    "  <tags><tag>conference</tag><tag>integration</tag></tags>\n"
    "  <text xml:lang='pl'>\n"
    "    <title>Miasta Integrujące. Integracja = Bezpieczeństwo</title>\n"
    "    <summary>Konferencja &amp; warsztaty</summary>\n"
    "    <body><div " XHTML "><p>Zapraszamy <a href='https://www.gdansk.pl/' target='_blank'>tutaj</a>"
    "<script>alert(1)</script><img src='javascript:alert(1)' alt='x'/></p></div></body>\n"
    "  </text>\n"
    "  <text xml:lang='en'><title>Integrating Cities</title>"
    "<body><h:div xmlns:h='http://www.w3.org/1999/xhtml'><h:p xml:lang='en'>Hello <h:em>all</h:em></h:p></h:div></body></text>\n"
    "  <links>\n"
    "    <link rel='registration' href='http://www.gdansk.pl/rejestracja' hreflang='pl' type='text/html'>Rejestracja</link>\n"
    "    <link rel='programme' href='https://example.org/p.pdf' type='application/pdf'/>\n"
    "  </links>\n"
    "  <note level='3'><line xml:lang='pl'>Łączy nas Gdańsk</line><line xml:lang='en'>We &lt;3 Gdańsk</line></note>\n"
    "</item>\n";

static void compare_items(const struct neptun_item *a, const struct neptun_item *b)
{
    CHECK_STR(a->type, b->type);
    CHECK_STR(a->slug, b->slug);
    CHECK(a->status == b->status);
    CHECK(a->publish_at == b->publish_at);
    CHECK(a->created == b->created);
    CHECK(a->updated == b->updated);
    CHECK(a->ntags == b->ntags);
    for (size_t i = 0; i < a->ntags && i < b->ntags; i++)
        CHECK_STR(a->tags[i], b->tags[i]);
    CHECK(a->ntexts == b->ntexts);
    for (size_t i = 0; i < a->ntexts && i < b->ntexts; i++) {
        CHECK_STR(a->texts[i].lang, b->texts[i].lang);
        CHECK_STR(a->texts[i].title, b->texts[i].title);
        CHECK((a->texts[i].summary == NULL) == (b->texts[i].summary == NULL));
        if (a->texts[i].summary)
            CHECK_STR(a->texts[i].summary, b->texts[i].summary);
        CHECK((a->texts[i].body == NULL) == (b->texts[i].body == NULL));
        if (a->texts[i].body)
            CHECK_STR(a->texts[i].body, b->texts[i].body);
    }
    CHECK(a->nlinks == b->nlinks);
    for (size_t i = 0; i < a->nlinks && i < b->nlinks; i++) {
        CHECK_STR(a->links[i].rel, b->links[i].rel);
        CHECK_STR(a->links[i].href, b->links[i].href);
        CHECK((a->links[i].lang == NULL) == (b->links[i].lang == NULL));
        CHECK((a->links[i].title == NULL) == (b->links[i].title == NULL));
        CHECK((a->links[i].mime == NULL) == (b->links[i].mime == NULL));
    }
    CHECK_STR(a->fields_xml, b->fields_xml);
}

static char *write_item(const struct neptun_item *item, int fragment)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = xmlNewTextWriterMemory(buf, 0);
    char *out = NULL;
    CHECK(itemdoc_write(w, item, fragment) == NEPTUN_OK);
    xmlFreeTextWriter(w);
    out = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return out;
}

static void test_parse_and_round_trip(void)
{
    struct neptun_pool *pool = neptun_pool_new(4096);
    struct neptun_errors errs;
    struct itemdoc *docs = NULL, *again = NULL;
    size_t n = 0, n2 = 0;
    char *written = NULL;

    errors_init(&errs, pool);
    index_calls = 0;
    int rc = itemdoc_parse(pool, full_doc, strlen(full_doc), &docs, &n, &errs);
    CHECK(rc == NEPTUN_OK);
    if (rc != NEPTUN_OK) {
        dump_errors(&errs);
        goto out;
    }
    CHECK(n == 1);
    const struct neptun_item *it = &docs[0].item;
    CHECK_STR(it->type, "notes");
    CHECK_STR(it->slug, "miasta-integrujace-2017");
    CHECK(it->status == NEPTUN_STATUS_PUBLISHED);
    CHECK(it->publish_at == 1494831600);   /* 2017-05-15T07:00:00Z */
    CHECK(it->updated == 1497952800);      /* 2017-06-20T10:00:00Z */
    CHECK(it->ntags == 2);
    CHECK_STR(it->tags[1], "integration");
    CHECK(it->ntexts == 2);
    CHECK_STR(it->texts[0].lang, "pl");
    CHECK_STR(it->texts[0].title, "Miasta Integrujące. Integracja = Bezpieczeństwo");
    CHECK_STR(it->texts[0].summary, "Konferencja & warsztaty");
    CHECK_STR(it->texts[0].body,
              "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Zapraszamy "
              "<a href=\"https://www.gdansk.pl/\" target=\"_blank\" rel=\"noopener noreferrer\">tutaj</a>"
              "<img alt=\"x\"/></p></div>");
    /* a prefixed XHTML body comes out with XHTML as the default namespace */
    CHECK_STR(it->texts[1].body,
              "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p xml:lang=\"en\">Hello <em>all</em></p></div>");
    CHECK(it->texts[1].summary == NULL);
    CHECK(it->nlinks == 2);
    CHECK_STR(it->links[0].title, "Rejestracja");
    CHECK_STR(it->links[0].lang, "pl");
    CHECK_STR(it->links[0].mime, "text/html");
    CHECK(it->links[1].title == NULL);
    CHECK_STR(it->fields_xml,
              "<note xmlns=\"urn:neptun:1\" level=\"3\"><line xml:lang=\"pl\">Łączy nas Gdańsk</line>"
              "<line xml:lang=\"en\">We &lt;3 Gdańsk</line></note>");
    CHECK(index_calls == 1);
    CHECK(it->starts_at == 1000 && it->ends_at == 2000);
    CHECK_STR(docs[0].index.search_text, "note text");

    const xmlNode *fields = itemdoc_fields(pool, it);
    CHECK(fields != NULL && strcmp((const char *)fields->name, "note") == 0);

    /* export -> import gives the same item */
    written = write_item(it, 0);
    CHECK(strstr(written, "publish_at=\"2017-05-15T09:00:00+02:00\"") != NULL);
    rc = itemdoc_parse(pool, written, strlen(written), &again, &n2, &errs);
    CHECK(rc == NEPTUN_OK);
    if (rc != NEPTUN_OK) {
        fprintf(stderr, "  written: %s\n", written);
        dump_errors(&errs);
        goto out;
    }
    CHECK(n2 == 1);
    compare_items(it, &again[0].item);
out:
    free(written);
    neptun_pool_free(pool);
}

static void test_items_wrapper(void)
{
    struct neptun_pool *pool = neptun_pool_new(4096);
    struct neptun_errors errs;
    struct itemdoc *docs = NULL;
    size_t n = 0;
    static const char doc[] =
        "<items " NS ">"
        "<item type='notes' slug='a' status='draft'>" MINIMAL_TEXT "</item>"
        "<item type='memos' slug='b' status='archived'>" MINIMAL_TEXT "<memo>m</memo></item>"
        "</items>";

    errors_init(&errs, pool);
    CHECK(itemdoc_parse(pool, doc, strlen(doc), &docs, &n, &errs) == NEPTUN_OK);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(docs[0].item.status == NEPTUN_STATUS_DRAFT);
        CHECK(docs[0].item.fields_xml == NULL);
        CHECK(docs[1].item.status == NEPTUN_STATUS_ARCHIVED);
        CHECK_STR(docs[1].item.fields_xml, "<memo xmlns=\"urn:neptun:1\">m</memo>");
        char *frag = write_item(&docs[1].item, 1);
        CHECK(strncmp(frag, "<item", 5) == 0); /* no XML declaration */
        free(frag);
    }
    neptun_pool_free(pool);
}

static void test_errors_with_paths(void)
{
    /* not well-formed: a 400 with the line */
    expect("<item " NS ">\n<text>\n</item>", NEPTUN_ERROR, "/", "line 3");
    expect("", NEPTUN_ERROR, "/", "empty");
    /* wrong root */
    expect("<foo " NS "/>", NEPTUN_INVALID, "/foo", "root element");
    expect("<item type='notes' slug='a' status='draft'>" MINIMAL_TEXT "</item>", NEPTUN_INVALID,
           "/item", "root element");
    /* the grammar: a text without a title */
    expect("<item " NS " type='notes' slug='a' status='draft'><text xml:lang='pl'><summary>s</summary></text></item>",
           NEPTUN_INVALID, NULL, NULL);
    expect("<item " NS " type='notes' slug='a'>" MINIMAL_TEXT "</item>", NEPTUN_INVALID, "/item", NULL);
    expect("<item " NS " type='notes' slug='a' status='draft'></item>", NEPTUN_INVALID, "/item", NULL);
    /* attributes checked with their own path */
    expect("<items " NS "><item type='notes' slug='ok' status='draft'>" MINIMAL_TEXT "</item>"
           "<item type='notes' slug='ok-2' status='draft'>" MINIMAL_TEXT "</item>"
           "<item type='notes' slug='Bad Slug' status='draft'>" MINIMAL_TEXT "</item></items>",
           NEPTUN_INVALID, "/items/item[3]/@slug", "slug");
    expect("<item " NS " type='notes' slug='" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "' status='draft'>"
           MINIMAL_TEXT "</item>", NEPTUN_INVALID, "/item/@slug", "80");
    expect("<item " NS " type='nosuch' slug='a' status='draft'>" MINIMAL_TEXT "</item>",
           NEPTUN_INVALID, "/item/@type", "unknown type");
    expect("<item " NS " type='notes' slug='a' status='live'>" MINIMAL_TEXT "</item>",
           NEPTUN_INVALID, "/item/@status", "draft, published or archived");
    expect("<item " NS " type='notes' slug='a' status='draft' publish_at='yesterday'>" MINIMAL_TEXT "</item>",
           NEPTUN_INVALID, "/item/@publish_at", "RFC 3339");
    expect("<item " NS " type='notes' slug='a' status='draft'>" MINIMAL_TEXT
           "<text xml:lang='fr'><title>T</title></text></item>",
           NEPTUN_INVALID, "/item/text[2]/@xml:lang", "not configured");
    expect("<item " NS " type='notes' slug='a' status='draft'>" MINIMAL_TEXT MINIMAL_TEXT "</item>",
           NEPTUN_INVALID, "/item/text[2]/@xml:lang", "once");
    expect("<item " NS " type='notes' slug='a' status='draft'><text xml:lang='pl'><title> </title></text></item>",
           NEPTUN_INVALID, "/item/text/title", "empty");
    expect("<item " NS " type='notes' slug='a' status='draft'><text xml:lang='pl'><title></title></text></item>",
           NEPTUN_INVALID, "/item/text/title", "empty");
    expect("<item " NS " type='notes' slug='a' status='draft'><tags><tag>ok</tag><tag>Not OK</tag></tags>"
           MINIMAL_TEXT "</item>", NEPTUN_INVALID, "/item/tags/tag[2]", "tag");
    expect("<item " NS " type='notes' slug='a' status='draft'>" MINIMAL_TEXT
           "<links><link rel='x' href='javascript:alert(1)'/></links></item>",
           NEPTUN_INVALID, "/item/links/link/@href", "URL");
    /* fields: another type's element, the type's own validate() */
    expect("<item " NS " type='notes' slug='a' status='draft'>" MINIMAL_TEXT "<memo>x</memo></item>",
           NEPTUN_INVALID, "/item/memo", "<note>");
    expect("<item " NS " type='notes' slug='a' status='draft'>" MINIMAL_TEXT "<note level='11'/></item>",
           NEPTUN_INVALID, "/item/note/@level", "above 10");
    expect("<item " NS " type='notes' slug='a' status='draft'>" MINIMAL_TEXT "<note level='x'/></item>",
           NEPTUN_INVALID, "/item/note", NULL);
    /* the same item twice in one file */
    expect("<items " NS "><item type='notes' slug='a' status='draft'>" MINIMAL_TEXT "</item>"
           "<item type='notes' slug='a' status='draft'>" MINIMAL_TEXT "</item></items>",
           NEPTUN_INVALID, "/items/item[2]/@slug", "twice");
    /* several problems are all reported */
    {
        struct neptun_pool *pool = neptun_pool_new(4096);
        struct neptun_errors errs;
        struct itemdoc *docs;
        size_t n;
        static const char doc[] = "<item " NS " type='notes' slug='B' status='x'>"
                                  "<text xml:lang='xx'><title>T</title></text></item>";
        errors_init(&errs, pool);
        CHECK(itemdoc_parse(pool, doc, strlen(doc), &docs, &n, &errs) == NEPTUN_INVALID);
        CHECK(errs.n == 3);
        neptun_pool_free(pool);
    }
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_hostile_input(void)
{
    static const char xxe[] =
        "<?xml version='1.0'?>\n<!DOCTYPE item [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n"
        "<item " NS " type='notes' slug='a' status='draft'><text xml:lang='pl'><title>&e;</title></text></item>";
    static const char laughs[] =
        "<?xml version='1.0'?>\n<!DOCTYPE lolz [\n <!ENTITY lol 'lol'>\n"
        " <!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>\n"
        " <!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>\n"
        " <!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>\n"
        " <!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>\n"
        " <!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>\n"
        " <!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>\n"
        " <!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>\n"
        " <!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>\n"
        " <!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>\n"
        "]>\n<item " NS " type='notes' slug='a' status='draft'><text xml:lang='pl'><title>&lol9;</title></text></item>";

    struct neptun_pool *pool = neptun_pool_new(4096);
    struct neptun_errors errs;
    struct itemdoc *docs;
    size_t n;

    errors_init(&errs, pool);
    CHECK(itemdoc_parse(pool, xxe, strlen(xxe), &docs, &n, &errs) == NEPTUN_ERROR);
    CHECK(has_error(&errs, "/", "DTDs and entity declarations are not allowed"));
    CHECK(has_error(&errs, NULL, "line 2"));
    for (size_t i = 0; i < errs.n; i++)
        CHECK(strstr(errs.v[i].message, "root:") == NULL);

    double t0 = now_seconds();
    errors_init(&errs, pool);
    CHECK(itemdoc_parse(pool, laughs, strlen(laughs), &docs, &n, &errs) == NEPTUN_ERROR);
    CHECK(now_seconds() - t0 < 0.5);
    CHECK(has_error(&errs, "/", "DTDs"));

    expect("<!DOCTYPE item><item " NS " type='notes' slug='a' status='draft'>" MINIMAL_TEXT "</item>",
           NEPTUN_ERROR, "/", "DTDs");
    expect("<!DOCTYPE item SYSTEM 'http://127.0.0.1:1/x.dtd'><item " NS "/>", NEPTUN_ERROR, "/", "DTDs");

    /* invalid UTF-8: a stray continuation, an overlong '/', a surrogate, a cut sequence */
    expect("<item " NS " type='notes' slug='a' status='draft'><text xml:lang='pl'><title>\x80</title></text></item>",
           NEPTUN_ERROR, "/", "UTF-8");
    expect("<item " NS "\n>\xc0\xaf</item>", NEPTUN_ERROR, "/", "line 2: invalid UTF-8");
    expect("<item " NS ">\xed\xa0\x80</item>", NEPTUN_ERROR, "/", "UTF-8");
    expect("<item " NS ">\xe2\x82", NEPTUN_ERROR, "/", "UTF-8");
    expect("<?xml version='1.0' encoding='ISO-8859-2'?><item " NS "/>", NEPTUN_ERROR, "/", "must be UTF-8");
    expect("<?xml version='1.0' encoding='UTF-16'?><item " NS "/>", NEPTUN_ERROR, "/", "must be UTF-8");

    /* nesting beyond the bound, inside an otherwise fine body */
    {
        size_t depth = 200, cap = depth * 7 + 512;
        char *deep = malloc(cap);
        size_t len = (size_t)snprintf(deep, cap, "<item " NS " type='notes' slug='a' status='draft'>"
                                      "<text xml:lang='pl'><title>T</title><body><div " XHTML ">");
        for (size_t i = 0; i < depth; i++)
            len += (size_t)snprintf(deep + len, cap - len, "<i>");
        for (size_t i = 0; i < depth; i++)
            len += (size_t)snprintf(deep + len, cap - len, "</i>");
        snprintf(deep + len, cap - len, "</div></body></text></item>");
        expect(deep, NEPTUN_ERROR, "/", "nested too deeply");
        free(deep);
    }
    /* a NUL byte inside the buffer */
    {
        static const char nul[] = "<item " NS ">\0</item>";
        errors_init(&errs, pool);
        CHECK(itemdoc_parse(pool, nul, sizeof(nul) - 1, &docs, &n, &errs) == NEPTUN_ERROR);
    }
    /* the secure reader without an error list */
    CHECK(itemdoc_read_secure(pool, "<a/>", 4, NULL) != NULL);
    CHECK(itemdoc_read_secure(pool, "<!DOCTYPE a><a/>", 16, NULL) == NULL);
    neptun_pool_free(pool);
}

/* Shapes whose checking grew faster than the document: an element with tens
 * of thousands of attributes (libxml2's RELAX NG check of XHTML's "any
 * attribute" is quadratic: 50,000 took a server to 23.8 GB), thousands of
 * texts in one language (each built the path of every earlier one: 2,000
 * took 17 s), and repeated tags. */
static char *many_attributes_doc(size_t nattrs)
{
    size_t cap = nattrs * 16 + 512, len;
    char *doc = malloc(cap);
    if (doc == NULL)
        return NULL;
    len = (size_t)snprintf(doc, cap, "<item " NS " type='notes' slug='a' status='draft'>"
                           "<text xml:lang='pl'><title>T</title><body><div " XHTML "><p");
    for (size_t i = 0; i < nattrs; i++)
        len += (size_t)snprintf(doc + len, cap - len, " data-a%zu='x'", i);
    snprintf(doc + len, cap - len, ">x</p></div></body></text></item>");
    return doc;
}

static void test_hostile_shapes(void)
{
    struct neptun_pool *pool = neptun_pool_new(4096);
    struct neptun_errors errs;
    struct itemdoc *docs;
    size_t n;

    /* 64 attributes pass (data-* are allowed in bodies), 65 do not */
    {
        char *doc = many_attributes_doc(64);
        CHECK(doc != NULL);
        expect(doc, NEPTUN_OK, NULL, NULL);
        free(doc);
        doc = many_attributes_doc(65);
        expect(doc, NEPTUN_INVALID, "/item/text/body/div/p",
               "line 1: <p> has 65 attributes; at most 64 are allowed");
        free(doc);
    }
    /* 50,000 attributes: refused before the parser and the grammar see
     * them, in well under a second and within 1 GB of data (the bound
     * keeps the old quadratic check from taking the machine down: it
     * fails instead; sanitizer builds reserve their own shadow memory) */
    {
        char *doc = many_attributes_doc(50000);
        CHECK(doc != NULL);
#if !defined(__SANITIZE_ADDRESS__)
        struct rlimit old, bound;
        int limited = getrlimit(RLIMIT_DATA, &old) == 0;
        if (limited) {
            bound = old;
            bound.rlim_cur = (rlim_t)1 << 30;
            limited = setrlimit(RLIMIT_DATA, &bound) == 0;
        }
#endif
        double t0 = now_seconds();
        errors_init(&errs, pool);
        CHECK(itemdoc_parse(pool, doc, strlen(doc), &docs, &n, &errs) == NEPTUN_INVALID);
        CHECK(now_seconds() - t0 < 1.0);
#if !defined(__SANITIZE_ADDRESS__)
        if (limited)
            CHECK(setrlimit(RLIMIT_DATA, &old) == 0);
#endif
        CHECK(errs.n == 1);
        CHECK(has_error(&errs, "/item/text/body/div/p", "<p> has 50000 attributes; at most 64"));
        free(doc);
    }
    /* attributes inside comments, CDATA and quoted values are not counted;
     * namespace declarations are; a prefixed name is named as written */
    {
        char doc[4096];
        size_t len = (size_t)snprintf(doc, sizeof doc, "<item " NS " type='notes' slug='a' status='draft'>"
                                      "<!-- <p a='1' b='2' c='3'> --><text xml:lang='pl'><title a='");
        for (int i = 0; i < 100; i++)
            len += (size_t)snprintf(doc + len, sizeof doc - len, "x=");
        snprintf(doc + len, sizeof doc - len, "'>T</title></text></item>");
        errors_init(&errs, pool);
        CHECK(itemdoc_parse(pool, doc, strlen(doc), &docs, &n, &errs) == NEPTUN_INVALID);
        CHECK(!has_error(&errs, NULL, "attributes; at most"));
        len = (size_t)snprintf(doc, sizeof doc, "<n:item xmlns:n='urn:neptun:1'\n");
        for (int i = 0; i < 70; i++)
            len += (size_t)snprintf(doc + len, sizeof doc - len, " xmlns:p%d='urn:x'", i);
        snprintf(doc + len, sizeof doc - len, "/>");
        expect(doc, NEPTUN_INVALID, "/n:item", "line 1: <n:item> has 71 attributes");
        /* the secure reader alone refuses it too */
        errors_init(&errs, pool);
        CHECK(itemdoc_read_secure(pool, doc, strlen(doc), &errs) == NULL);
        CHECK(has_error(&errs, "/n:item", "at most 64"));
    }
    /* 2,000 texts in one language: one problem per repeat up to the cap,
     * each with its path, in linear time */
    {
        size_t ntexts = 2000, cap = ntexts * 64 + 256;
        char *doc = malloc(cap);
        CHECK(doc != NULL);
        size_t len = (size_t)snprintf(doc, cap, "<item " NS " type='notes' slug='a' status='draft'>");
        for (size_t i = 0; i < ntexts; i++)
            len += (size_t)snprintf(doc + len, cap - len,
                                    "<text xml:lang='pl'><title>T</title></text>");
        snprintf(doc + len, cap - len, "</item>");
        double t0 = now_seconds();
        errors_init(&errs, pool);
        CHECK(itemdoc_parse(pool, doc, strlen(doc), &docs, &n, &errs) == NEPTUN_INVALID);
        double took = now_seconds() - t0;
        CHECK(took < 2.0);
        if (took >= 2.0)
            fprintf(stderr, "    2,000 repeated texts took %.1f s\n", took);
        CHECK(errs.n == ERRORS_MAX);
        CHECK(has_error(&errs, "/item/text[2]/@xml:lang", "a second text in \"pl\""));
        CHECK(has_error(&errs, "/item/text[1001]/@xml:lang", "a second text in \"pl\""));
        CHECK(!has_error(&errs, "/item/text[1002]/@xml:lang", NULL));
        free(doc);
    }
    /* repeated tags: the first of each stays, in document order */
    {
        static const char doc[] =
            "<item " NS " type='notes' slug='a' status='draft'><tags><tag>b</tag><tag>a</tag>"
            "<tag>b</tag><tag>c</tag><tag>a</tag><tag>b</tag></tags>" MINIMAL_TEXT "</item>";
        errors_init(&errs, pool);
        CHECK(itemdoc_parse(pool, doc, strlen(doc), &docs, &n, &errs) == NEPTUN_OK);
        CHECK(n == 1 && docs[0].item.ntags == 3);
        if (n == 1 && docs[0].item.ntags == 3) {
            CHECK_STR(docs[0].item.tags[0], "b");
            CHECK_STR(docs[0].item.tags[1], "a");
            CHECK_STR(docs[0].item.tags[2], "c");
        }
    }
    neptun_pool_free(pool);
}

static void test_schema_text(void)
{
    size_t len = 0;
    const char *text = schema_text(&len);
    CHECK(text != NULL && len > 0);
    CHECK(text != NULL && strstr(text, "fields.any") != NULL);
    CHECK(text != NULL && strstr(text, "fields.notes") != NULL);
    CHECK(text != NULL && strstr(text, "render.memos") != NULL);
}

/* The one slug and tag check: 1..80 of [a-z0-9-]. */
static void test_slug_and_tag_check(void)
{
    char longest[CONTENT_SLUG_MAX + 2];
    memset(longest, 'a', CONTENT_SLUG_MAX);
    longest[CONTENT_SLUG_MAX] = '\0';
    CHECK(content_slug_ok("a") == 1);
    CHECK(content_slug_ok("spring-2025-concert") == 1);
    CHECK(content_slug_ok(longest) == 1);
    CHECK(content_tag_ok(longest) == 1);
    longest[CONTENT_SLUG_MAX] = 'a';
    longest[CONTENT_SLUG_MAX + 1] = '\0';
    CHECK(content_slug_ok(longest) == 0);
    CHECK(content_tag_ok(longest) == 0);
    CHECK(content_slug_ok(NULL) == 0);
    CHECK(content_slug_ok("") == 0);
    CHECK(content_slug_ok("Upper") == 0);
    CHECK(content_slug_ok("a_b") == 0);
    CHECK(content_slug_ok("a/b") == 0);
    CHECK(content_slug_ok("..") == 0);
    CHECK(content_tag_ok("za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87") == 0);
    CHECK(content_tag_ok("conference") == 1);
}

int main(void)
{
    const char *src = getenv("NEPTUN_SOURCE_DIR");
    char path[4096];

    register_test_types();
    snprintf(path, sizeof(path), "%s/schema/neptun.rng", src ? src : ".");
    int rc = schema_init(path);
    CHECK(rc == 0);
    if (rc != 0)
        CHECK_DONE();
    test_schema_text();
    test_parse_and_round_trip();
    test_items_wrapper();
    test_errors_with_paths();
    test_hostile_input();
    test_hostile_shapes();
    test_slug_and_tag_check();
    schema_cleanup();
    xmlCleanupParser();
    CHECK_DONE();
}
