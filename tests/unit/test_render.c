/*
 * test_render.c - the answer writers on items built by hand: RSS, Atom,
 * the XML API and iCalendar are well-formed and valid, fallback text is
 * marked with its language, hostile titles come out escaped, iCalendar
 * lines are escaped and folded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include "check.h"
#include "conf.h"
#include "errors.h"
#include "locale.h"
#include "render.h"
#include "content.h"
#include "xmlutil.h"

#define HOSTILE "<script>alert(\"x\")</script> & ]]> Tom's \"talk\""

static const char talks_rng[] =
    "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\" ns=\"urn:neptun:1\">"
    "<define name=\"fields.talks\"><element name=\"talk\">"
    "<element name=\"room\"><text/></element></element></define>"
    "<define name=\"render.talks\"><element name=\"talk\">"
    "<element name=\"room\"><text/></element></element></define>"
    "</grammar>";

static int talks_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const xmlNode *room = xmlutil_child(rc->fields, "room");
    if (xmlTextWriterStartElement(w, BAD_CAST "talk") < 0 ||
        xmlTextWriterWriteElement(w, BAD_CAST "room",
                                  BAD_CAST xmlutil_text(rc->pool, room)) < 0 ||
        xmlTextWriterEndElement(w) < 0)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

static int talks_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const xmlNode *room = xmlutil_child(rc->fields, "room");
    return xmlTextWriterWriteElement(w, BAD_CAST "p", BAD_CAST xmlutil_text(rc->pool, room)) < 0
               ? NEPTUN_ERROR : NEPTUN_OK;
}

static int talks_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics)
{
    const xmlNode *room = xmlutil_child(rc->fields, "room");
    if (render_ics_add(ics, "LOCATION", NULL, xmlutil_text(rc->pool, room)) != NEPTUN_OK)
        return NEPTUN_ERROR;
    /* the host's DESCRIPTION already exists: the two must become one */
    return render_ics_add(ics, "DESCRIPTION", NULL, "Doors open at 13:00");
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static struct conf test_conf;

static void setup_conf(void)
{
    static char pl[] = "pl", en[] = "en", de[] = "de";
    static char base[] = "http://127.0.0.1:8080", tz[] = "Europe/Warsaw";
    test_conf.nlangs = 3;
    test_conf.langs[0].code = pl;
    test_conf.langs[0].chain[0] = "pl";
    test_conf.langs[0].chain[1] = "en";
    test_conf.langs[1].code = en;
    test_conf.langs[1].chain[0] = "en";
    test_conf.langs[1].chain[1] = "pl";
    test_conf.langs[2].code = de;
    test_conf.langs[2].chain[0] = "de";
    test_conf.langs[2].chain[1] = "en";
    test_conf.langs[2].chain[2] = "pl";
    test_conf.base_url = base;
    test_conf.timezone = tz;
    neptun_conf = &test_conf;
}

/* Tiny catalogs in a temporary folder: the writers need a few keys. */
static int write_catalogs(char *dir)
{
    static const char *const langs[] = { "pl", "en", "de" };
    if (mkdtemp(dir) == NULL)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.po", dir, langs[i]);
        FILE *f = fopen(path, "w");
        if (f == NULL)
            return -1;
        fprintf(f, "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n"
                   "msgid \"site.title\"\nmsgstr \"Gdansk %s\"\n\n"
                   "msgid \"feed.title\"\nmsgstr \"{type} - Gdansk\"\n\n"
                   "msgid \"feed.all.title\"\nmsgstr \"All %s\"\n\n"
                   "msgid \"feed.description\"\nmsgstr \"News %s\"\n\n"
                   "msgid \"type.talks\"\nmsgstr \"Talks %s\"\n\n"
                   "msgid \"archive.notice\"\nmsgstr \"Archived %s\"\n",
                langs[i], langs[i], langs[i], langs[i], langs[i]);
        fclose(f);
    }
    return 0;
}

static void remove_catalogs(const char *dir)
{
    static const char *const langs[] = { "pl", "en", "de" };
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s.po", dir, langs[i]);
        unlink(path);
    }
    rmdir(dir);
}

static struct neptun_text texts_a[2] = {
    { "pl", "Miasta Integrujące", "Konferencja w Gdańsku", NULL },
    { "en", HOSTILE, "A conference; with, commas\\and a backslash\nand a new line",
      "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>English <b>body</b></p></div>" },
};
static const char *tags_a[] = { "conference", "integration" };
static struct neptun_link links_a[] = {
    { "registration", "http://www.gdansk.pl/rejestracja?a=1&b=2", "pl", "Rejestracja", "text/html" },
};

static void make_item(struct neptun_item *it)
{
    memset(it, 0, sizeof *it);
    it->type = "talks";
    it->slug = "miasta-integrujace-2017";
    it->status = NEPTUN_STATUS_PUBLISHED;
    it->created = 1494831600;  /* 2017-05-15T07:00:00Z */
    it->updated = 1497960000;
    it->starts_at = 1498735800; /* 2017-06-29T11:30:00Z = 13:30 in Warsaw */
    it->ends_at = 1498831200;
    it->tags = tags_a;
    it->ntags = 2;
    it->texts = texts_a;
    it->ntexts = 2;
    it->links = links_a;
    it->nlinks = 1;
    it->fields_xml = "<talk xmlns=\"urn:neptun:1\"><room>Sala A, piętro 1; wejście B</room></talk>";
}

static xmlDocPtr parse(const char *buf, size_t len)
{
    return xmlReadMemory(buf, (int)len, NULL, "UTF-8", XML_PARSE_NONET);
}

static char *xpath_str(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "n", BAD_CAST NEPTUN_XML_NS);
    xmlXPathRegisterNs(ctx, BAD_CAST "a", BAD_CAST "http://www.w3.org/2005/Atom");
    xmlXPathRegisterNs(ctx, BAD_CAST "dc", BAD_CAST "http://purl.org/dc/elements/1.1/");
    xmlXPathRegisterNs(ctx, BAD_CAST "x", BAD_CAST NEPTUN_XHTML_NS);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    char *s = o != NULL ? (char *)xmlXPathCastToString(o) : NULL;
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return s;
}

static void check_xpath(xmlDocPtr doc, const char *expr, const char *want)
{
    char *got = xpath_str(doc, expr);
    CHECK_STR(got, want);
    if (strcmp(got != NULL ? got : "", want) != 0)
        fprintf(stderr, "  for %s\n", expr);
    xmlFree(got);
}

static int valid_atom(xmlDocPtr doc, const char *src)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/schemas/atom.rng", src);
    xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewParserCtxt(path);
    xmlRelaxNGPtr rng = pc != NULL ? xmlRelaxNGParse(pc) : NULL;
    xmlRelaxNGValidCtxtPtr vc = rng != NULL ? xmlRelaxNGNewValidCtxt(rng) : NULL;
    int rc = vc != NULL ? xmlRelaxNGValidateDoc(vc, doc) : -1;
    if (vc != NULL)
        xmlRelaxNGFreeValidCtxt(vc);
    if (rng != NULL)
        xmlRelaxNGFree(rng);
    if (pc != NULL)
        xmlRelaxNGFreeParserCtxt(pc);
    return rc == 0;
}

static int valid_api(struct neptun_pool *pool, xmlDocPtr doc)
{
    struct neptun_errors errs;
    errors_init(&errs, pool);
    int rc = schema_validate(doc, &errs);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "  schema: %s: %s\n", errs.v[i].path, errs.v[i].message);
    return rc == NEPTUN_OK;
}

static void init_feed(struct render_feed *f, struct neptun_pool *pool, const char *lang,
                      struct neptun_item **items, size_t n)
{
    memset(f, 0, sizeof *f);
    f->pool = pool;
    f->lang = lang;
    f->type = "talks";
    f->title = HOSTILE;
    f->description = "Talks & more";
    f->html_url = "http://127.0.0.1:8080/pl/talks";
    f->self_url = "http://127.0.0.1:8080/pl/talks.atom?page=2&tag=a";
    f->first_url = "http://127.0.0.1:8080/pl/talks.atom?tag=a";
    f->prev_url = f->first_url;
    f->next_url = "http://127.0.0.1:8080/pl/talks.atom?tag=a&page=3";
    f->last_url = "http://127.0.0.1:8080/pl/talks.atom?tag=a&page=9";
    f->updated = 1497960000;
    f->items = items;
    f->nitems = n;
    f->total = 90;
    f->page = 2;
    f->per_page = 10;
}

static void test_rss(struct neptun_pool *pool, struct neptun_item **items)
{
    struct render_feed f;
    char *out = NULL;
    size_t len = 0;
    init_feed(&f, pool, "de", items, 1);
    CHECK(render_rss(&f, &out, &len) == NEPTUN_OK);
    xmlDocPtr doc = out != NULL ? parse(out, len) : NULL;
    CHECK(doc != NULL);
    if (doc != NULL) {
        check_xpath(doc, "string(/rss/@version)", "2.0");
        /* the channel's own title names its format, as the OPML outline does */
        check_xpath(doc, "string(/rss/channel/title)", HOSTILE " (RSS)");
        check_xpath(doc, "string(/rss/channel/language)", "de");
        check_xpath(doc, "string(/rss/channel/lastBuildDate)", "Tue, 20 Jun 2017 12:00:00 GMT");
        check_xpath(doc, "string(/rss/channel/a:link[@rel='self']/@href)", f.self_url);
        check_xpath(doc, "string(/rss/channel/a:link[@rel='next']/@href)", f.next_url);
        check_xpath(doc, "string(/rss/channel/item/title)", HOSTILE);
        /* identity (SPEC 7): a tag: URI, not the address; the page is <link> */
        check_xpath(doc, "string(/rss/channel/item/guid/@isPermaLink)", "false");
        check_xpath(doc, "string(/rss/channel/item/guid)",
                     "tag:neptun.invalid,2000-01-01:de/talks/miasta-integrujace-2017");
        check_xpath(doc, "string(/rss/channel/item/link)",
                     "http://127.0.0.1:8080/de/talks/miasta-integrujace-2017");
        /* the time the feed is ordered by (updated), not the publication */
        check_xpath(doc, "string(/rss/channel/item/pubDate)", "Tue, 20 Jun 2017 12:00:00 GMT");
        check_xpath(doc, "count(/rss/channel/item/description[contains(., 'archive-notice')])",
                     "0");
        check_xpath(doc, "count(/rss/channel/item/category)", "2");
        /* German is missing: the text fell back to English and says so */
        check_xpath(doc, "string(/rss/channel/item/dc:language)", "en");
        /* translations are related links, never alternates readers take for the link */
        check_xpath(doc, "count(/rss/channel/item/a:link[@rel='alternate'])", "0");
        check_xpath(doc, "count(/rss/channel/item/a:link[@rel='related'][@hreflang])", "2");
        char *desc = xpath_str(doc, "string(/rss/channel/item/description)");
        CHECK(desc != NULL && strstr(desc, "<b>body</b>") != NULL);
        CHECK(desc != NULL && strstr(desc, "piętro 1") != NULL);
        xmlFree(desc);
        xmlFreeDoc(doc);
    }
    /* the raw bytes never carry the hostile markup unescaped */
    CHECK(out != NULL && strstr(out, "<script>") == NULL);
    free(out);
    /* an archived item's description opens with the notice, in the feed's language */
    init_feed(&f, pool, "de", items, 2);
    out = NULL;
    CHECK(render_rss(&f, &out, &len) == NEPTUN_OK);
    doc = out != NULL ? parse(out, len) : NULL;
    CHECK(doc != NULL);
    if (doc != NULL) {
        char *desc = xpath_str(doc, "string(/rss/channel/item[2]/description)");
        CHECK(desc != NULL && strstr(desc, "<p class=\"archive-notice\">Archived de</p>") != NULL);
        const char *opening = "<div xmlns=\"" NEPTUN_XHTML_NS "\"><p class=";
        CHECK(desc != NULL && strncmp(desc, opening, strlen(opening)) == 0);
        xmlFree(desc);
        xmlFreeDoc(doc);
    }
    free(out);
}

static void test_atom(struct neptun_pool *pool, struct neptun_item **items, const char *src)
{
    struct render_feed f;
    char *out = NULL;
    size_t len = 0;
    init_feed(&f, pool, "de", items, 2);
    CHECK(render_atom(&f, &out, &len) == NEPTUN_OK);
    xmlDocPtr doc = out != NULL ? parse(out, len) : NULL;
    CHECK(doc != NULL);
    if (doc != NULL) {
        CHECK(valid_atom(doc, src));
        check_xpath(doc, "string(/a:feed/@xml:lang)", "de");
        check_xpath(doc, "string(/a:feed/a:updated)", "2017-06-20T12:00:00Z");
        check_xpath(doc, "string(/a:feed/a:link[@rel='previous']/@href)", f.prev_url);
        check_xpath(doc, "string(/a:feed/a:entry[1]/a:title/@xml:lang)", "en");
        check_xpath(doc, "string(/a:feed/a:entry[1]/a:title)", HOSTILE);
        /* one date, the one the feed is ordered by: readers show published first */
        check_xpath(doc, "string(/a:feed/a:entry[1]/a:updated)", "2017-06-20T12:00:00Z");
        check_xpath(doc, "count(/a:feed/a:entry/a:published)", "0");
        check_xpath(doc, "string(/a:feed/a:title)", HOSTILE " (Atom)");
        /* the archived entry opens its content and its summary with the notice */
        check_xpath(doc, "count(/a:feed/a:entry[1]//x:p[@class='archive-notice'])", "0");
        check_xpath(doc, "string(/a:feed/a:entry[2]/a:content/x:div/*[1][self::x:p]"
                         "[@class='archive-notice'])", "Archived de");
        check_xpath(doc, "starts-with(/a:feed/a:entry[2]/a:summary, 'Archived de')", "true");
        check_xpath(doc, "string(/a:feed/a:entry[1]/a:content/@type)", "xhtml");
        check_xpath(doc, "count(/a:feed/a:entry[1]/a:link[@rel='alternate'])", "1");
        check_xpath(doc, "count(/a:feed/a:entry[1]/a:link[@rel='related'][@hreflang])", "2");
        check_xpath(doc, "count(/a:feed/a:entry[1]/a:category)", "2");
        /* identity (SPEC 7): tag: URIs, not the address */
        check_xpath(doc, "string(/a:feed/a:entry[1]/a:id)",
                     "tag:neptun.invalid,2000-01-01:de/talks/miasta-integrujace-2017");
        check_xpath(doc, "starts-with(/a:feed/a:id, 'tag:neptun.invalid,2000-01-01:')", "true");
        xmlFreeDoc(doc);
    }
    free(out);
    /* Polish has everything: nothing is marked as fallback */
    init_feed(&f, pool, "pl", items, 1);
    out = NULL;
    CHECK(render_atom(&f, &out, &len) == NEPTUN_OK);
    doc = out != NULL ? parse(out, len) : NULL;
    if (doc != NULL) {
        CHECK(valid_atom(doc, src));
        check_xpath(doc, "count(/a:feed/a:entry/a:title/@xml:lang)", "0");
        check_xpath(doc, "string(/a:feed/a:entry/a:title)", "Miasta Integrujące");
        xmlFreeDoc(doc);
    }
    free(out);
}

static void test_xml(struct neptun_pool *pool, struct neptun_item **items)
{
    struct render_feed f;
    char *out = NULL;
    size_t len = 0;
    xmlDocPtr doc;

    CHECK(render_entry_xml(pool, "pl", items[0], &out, &len) == NEPTUN_OK);
    doc = out != NULL ? parse(out, len) : NULL;
    CHECK(doc != NULL);
    if (doc != NULL) {
        CHECK(valid_api(pool, doc));
        check_xpath(doc, "string(/n:entry/@xml:lang)", "pl");
        check_xpath(doc, "string(/n:entry/@starts)", "2017-06-29T11:30:00Z");
        check_xpath(doc, "count(/n:entry/n:title/@xml:lang)", "0");
        /* Polish has no body: the English one is used and marked, field by field */
        check_xpath(doc, "string(/n:entry/n:body/@xml:lang)", "en");
        check_xpath(doc, "string(/n:entry/n:summary)", "Konferencja w Gdańsku");
        check_xpath(doc, "string(/n:entry/n:translations/n:translation/@hreflang)", "en");
        check_xpath(doc, "string(/n:entry/n:links/n:link/@href)",
                     "http://www.gdansk.pl/rejestracja?a=1&b=2");
        check_xpath(doc, "string(/n:entry/n:talk/n:room)", "Sala A, piętro 1; wejście B");
        xmlFreeDoc(doc);
    }
    free(out);

    init_feed(&f, pool, "en", items, 2);
    const char *matched[2] = { "pl", NULL };
    f.query = "gdansk";
    f.type = NULL;
    f.matched_lang = matched;
    out = NULL;
    CHECK(render_list_xml(&f, &out, &len) == NEPTUN_OK);
    doc = out != NULL ? parse(out, len) : NULL;
    CHECK(doc != NULL);
    if (doc != NULL) {
        CHECK(valid_api(pool, doc));
        check_xpath(doc, "string(/n:search/@q)", "gdansk");
        check_xpath(doc, "string(/n:search/@pages)", "9");
        check_xpath(doc, "string(/n:search/n:entry[1]/@matched-lang)", "pl");
        check_xpath(doc, "string(/n:search/n:entry[2]/@status)", "archived");
        check_xpath(doc, "string(/n:search/n:entry[2]/n:archive-notice)", "Archived en");
        check_xpath(doc, "string(/n:search/n:entry[1]/n:title)", HOSTILE);
        xmlFreeDoc(doc);
    }
    free(out);

    out = NULL;
    CHECK(render_error(404, "no talks item named \"<x>\"", &out, &len) == NEPTUN_OK);
    doc = out != NULL ? parse(out, len) : NULL;
    if (doc != NULL) {
        CHECK(valid_api(pool, doc));
        check_xpath(doc, "string(/n:error/@status)", "404");
        check_xpath(doc, "string(/n:error/n:message)", "no talks item named \"<x>\"");
        xmlFreeDoc(doc);
    }
    free(out);

    out = NULL;
    CHECK(render_service(pool, &out, &len) == NEPTUN_OK);
    doc = out != NULL ? parse(out, len) : NULL;
    if (doc != NULL) {
        CHECK(valid_api(pool, doc));
        check_xpath(doc, "string(/n:service/n:types/n:type/@dated)", "true");
        check_xpath(doc, "count(/n:service/n:feeds/n:feed[@format='ics'])", "3");
        check_xpath(doc, "string(/n:service/n:feeds/n:feed[@lang='pl'][@type='talks'][@format='rss']/@title)",
                     "Talks pl - Gdansk");
        xmlFreeDoc(doc);
    }
    free(out);

    out = NULL;
    CHECK(render_opml(pool, "en", &out, &len) == NEPTUN_OK);
    doc = out != NULL ? parse(out, len) : NULL;
    CHECK(doc != NULL);
    if (doc != NULL) {
        check_xpath(doc, "string(/opml/@version)", "2.0");
        check_xpath(doc, "count(/opml/body/outline[@type='rss'])", "4");
        /* feeds only: calendars and the other languages' lists are in the
         * service document, not subscriptions for a feed reader */
        check_xpath(doc, "count(/opml/body/outline)", "4");
        check_xpath(doc, "count(/opml/body/outline[@url])", "0");
        check_xpath(doc, "count(/opml/body/outline[@title=preceding-sibling::outline/@title])",
                    "0");
        xmlFreeDoc(doc);
    }
    free(out);
}

/* Every physical line ends in CRLF and holds at most 75 octets; a fold
 * never splits a UTF-8 sequence. */
static int ics_lines_ok(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\n')
            continue;
        if (i == 0 || s[i - 1] != '\r' || i - 1 - start > 75)
            return 0;
        if (i + 1 < len && s[i + 1] == ' ' && ((unsigned char)s[i + 2] & 0xC0) == 0x80)
            return 0;
        start = i + 1;
    }
    return start == len;
}

/* The text with folds undone (CRLF followed by a space removed). */
static char *unfold(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    size_t n = 0;
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == ' ') {
            i += 2;
            continue;
        }
        d[n++] = s[i];
    }
    d[n] = '\0';
    return d;
}

static void test_ics(struct neptun_pool *pool, struct neptun_item **items)
{
    struct render_feed f;
    char *out = NULL;
    size_t len = 0;
    init_feed(&f, pool, "en", items, 2);
    f.title = "Talks, \"all\"; of them";
    CHECK(render_ics(&f, &out, &len) == NEPTUN_OK);
    CHECK(out != NULL && ics_lines_ok(out, len));
    char *u = out != NULL ? unfold(out) : NULL;
    if (u != NULL) {
        CHECK(strncmp(u, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30) == 0);
        CHECK(strstr(u, "X-WR-CALNAME:Talks\\, \"all\"\\; of them\r\n") != NULL);
        CHECK(strstr(u, "BEGIN:VTIMEZONE\r\nTZID:Europe/Warsaw\r\n") != NULL);
        CHECK(strstr(u, "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n") != NULL);
        CHECK(strstr(u, "UID:miasta-integrujace-2017@neptun.invalid\r\n") != NULL);
        CHECK(strstr(u, "DTSTART;TZID=Europe/Warsaw:20170629T133000\r\n") != NULL);
        CHECK(strstr(u, "DTSTAMP:20170620T120000Z\r\n") != NULL);
        CHECK(strstr(u, "DESCRIPTION:A conference\\; with\\, commas\\\\and a backslash"
                        "\\nand a new line\\n\\nDoors open at 13:00\r\n") != NULL);
        CHECK(count(u, "\r\nDESCRIPTION:") == count(u, "BEGIN:VEVENT"));
        CHECK(strstr(u, "LOCATION:Sala A\\, piętro 1\\; wejście B\r\n") != NULL);
        CHECK(strstr(u, "URL:http://127.0.0.1:8080/en/talks/miasta-integrujace-2017\r\n") != NULL);
        CHECK(strstr(u, "END:VCALENDAR\r\n") != NULL);
        free(u);
    }
    free(out);

    /* a long UTF-8 value folds between characters */
    struct neptun_item one = *items[0];
    struct neptun_text pl_only = {
        "pl", "Żółć gęślą jaźń — zażółć gęślą jaźń — Łączy nas Gdańsk — "
              "Forum Integracji i Migracji — Miasta Integrujące 2017",
        NULL, NULL
    };
    struct neptun_item *list[1] = { &one };
    one.texts = &pl_only;
    one.ntexts = 1;
    init_feed(&f, pool, "pl", list, 1);
    out = NULL;
    CHECK(render_ics(&f, &out, &len) == NEPTUN_OK);
    CHECK(out != NULL && ics_lines_ok(out, len));
    u = out != NULL ? unfold(out) : NULL;
    CHECK(u != NULL && strstr(u, pl_only.title) != NULL);
    free(u);
    free(out);

    CHECK(render_ics_add(NULL, "X", NULL, "v") == NEPTUN_INVALID);
}

int main(void)
{
    const char *src = getenv("NEPTUN_SOURCE_DIR");
    char dir[] = "/tmp/neptun-render-XXXXXX";
    char path[1024];
    struct neptun_item a, b;
    struct neptun_item *items[2] = { &a, &b };

    if (src == NULL)
        src = ".";
    setup_conf();
    CHECK(write_catalogs(dir) == 0);
    CHECK(locale_init(dir, "Europe/Warsaw") == NEPTUN_OK);
    struct neptun_type talks = {
        .struct_size = sizeof talks, .name = "talks", .element = "talk",
        .flags = NEPTUN_TYPE_DATED, .schema_rng = talks_rng,
        .render_xml = talks_render_xml, .render_xhtml = talks_render_xhtml,
        .render_ics = talks_render_ics,
    };
    CHECK(types_register(&talks, NULL) == NEPTUN_OK);
    snprintf(path, sizeof path, "%s/schema/neptun.rng", src);
    CHECK(schema_init(path) == 0);

    struct neptun_pool *pool = neptun_pool_new(1 << 16);
    make_item(&a);
    make_item(&b);
    b.slug = "forum-2016";
    b.status = NEPTUN_STATUS_ARCHIVED;
    b.texts = &texts_a[0];
    b.ntexts = 1;

    test_rss(pool, items);
    test_atom(pool, items, src);
    test_xml(pool, items);
    test_ics(pool, items);

    neptun_pool_free(pool);
    schema_cleanup();
    locale_cleanup();
    locale_thread_cleanup();
    remove_catalogs(dir);
    xmlCleanupParser();
    CHECK_DONE();
}
