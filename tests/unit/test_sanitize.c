/*
 * test_sanitize.c - the XHTML allow-list: known XSS vectors are neutralised,
 * harmless markup survives unchanged.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <neptun/item.h>
#include "sanitize.h"
#include "check.h"

#define DIV_OPEN "<div xmlns=\"http://www.w3.org/1999/xhtml\">"

static const char *const allowed_elements[] = {
    "p", "br", "a", "strong", "em", "b", "i", "u", "ul", "ol", "li", "h2", "h3", "h4", "h5",
    "h6", "blockquote", "q", "cite", "code", "pre", "span", "div", "img", "figure",
    "figcaption", "table", "thead", "tbody", "tr", "th", "td", "abbr", "time", "dl", "dt",
    "dd", "hr", "sub", "sup", "small", NULL
};

static const char *const allowed_attributes[] = {
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

/* Sanitise DIV_OPEN inner </div>; the result as a string (caller frees),
 * or NULL when the input is not well-formed. */
static char *clean(const char *inner, int *removed)
{
    size_t len = strlen(DIV_OPEN) + strlen(inner) + 7;
    char *src = malloc(len);
    xmlDocPtr doc;
    xmlBufferPtr buf;
    char *out = NULL;

    snprintf(src, len, "%s%s</div>", DIV_OPEN, inner);
    doc = xmlReadMemory(src, (int)strlen(src), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    free(src);
    if (doc == NULL)
        return NULL;
    int n = sanitize_xhtml(xmlDocGetRootElement(doc));
    if (removed != NULL)
        *removed = n;
    if (doc->encoding == NULL)
        doc->encoding = xmlStrdup(BAD_CAST "UTF-8"); /* else attributes get &#x...; */
    buf = xmlBufferCreate();
    xmlSaveCtxtPtr save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL | XML_SAVE_AS_XML);
    xmlSaveTree(save, xmlDocGetRootElement(doc));
    xmlSaveClose(save);
    out = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    xmlFreeDoc(doc);
    return out;
}

/* A URL that a browser could run: the scheme, with every control character
 * and space removed, is not one of ours. */
static int url_dangerous(const xmlChar *v)
{
    char norm[64];
    size_t n = 0;
    for (const unsigned char *p = v; *p != '\0' && n + 1 < sizeof(norm); p++)
        if (*p > 0x20 && *p != 0x7f)
            norm[n++] = (char)tolower(*p);
    norm[n] = '\0';
    return strncmp(norm, "javascript:", 11) == 0 || strncmp(norm, "vbscript:", 9) == 0 ||
           strncmp(norm, "data:", 5) == 0 || strncmp(norm, "livescript:", 11) == 0;
}

/* Walk the cleaned tree: only allowed XHTML elements and attributes. */
static int tree_safe(const xmlNode *node)
{
    for (; node != NULL; node = node->next) {
        if (node->type == XML_COMMENT_NODE || node->type == XML_PI_NODE)
            return 0;
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (node->ns == NULL || strcmp((const char *)node->ns->href, NEPTUN_XHTML_NS) != 0 ||
            !listed(allowed_elements, node->name))
            return 0;
        for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
            if (a->ns != NULL && strcmp((const char *)a->name, "lang") != 0)
                return 0;
            if (a->ns == NULL && !listed(allowed_attributes, a->name))
                return 0;
            xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
            int bad = v != NULL && (strcmp((const char *)a->name, "href") == 0 ||
                                    strcmp((const char *)a->name, "src") == 0 ||
                                    strcmp((const char *)a->name, "cite") == 0) && url_dangerous(v);
            xmlFree(v);
            if (bad)
                return 0;
        }
        if (!tree_safe(node->children))
            return 0;
    }
    return 1;
}

static int output_safe(const char *out)
{
    xmlDocPtr doc = xmlReadMemory(out, (int)strlen(out), NULL, NULL, XML_PARSE_NONET);
    int ok = doc != NULL && tree_safe(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    /* every vector's payload calls alert(): none may be left, as markup or text */
    return ok && strstr(out, "alert") == NULL && strstr(out, "msgbox") == NULL;
}

static const char *const xss_vectors[] = {
    "<script>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<p>hi<script type=\"text/javascript\">alert(1)</script></p>",
    "<img src=\"x\" onerror=\"alert(1)\"/>",
    "<img src=\"x\" ONERROR=\"alert(1)\"/>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"java&#x09;script:alert(1)\">x</a>",
    "<a href=\"java&#x0A;script:alert(1)\">x</a>",
    "<a href=\"jav&#x0D;ascript:alert(1)\">x</a>",
    "<a href=\"&#x20;javascript:alert(1)\">x</a>",
    "<a href=\"&#x7f;javascript:alert(1)\">x</a>",
    "<a href=\"  JAVASCRIPT:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)\">x</a>",
    "<a href=\"javascript&#58;alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<img src=\"data:image/svg+xml,&lt;svg onload=alert(1)&gt;\"/>",
    "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><circle r=\"1\"/></svg>",
    "<svg onload=\"alert(1)\"/>",
    "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\"/>",
    "<form action=\"javascript:alert(1)\"><input type=\"submit\" value=\"alert\"/></form>",
    "<button formaction=\"javascript:alert(1)\">alert</button>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\"/>",
    "<base href=\"javascript:alert(1)//\"/>",
    "<link rel=\"stylesheet\" href=\"javascript:alert(1)\"/>",
    "<style>body{background:url(\"javascript:alert(1)\")}</style>",
    "<body onload=\"alert(1)\">x</body>",
    "<a href=\"https://example.org/\" onmouseover=\"alert(1)\">x</a>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<a xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:href=\"javascript:alert(1)\">x</a>",
    "<img src=\"x.png\" xml:base=\"javascript:alert(1)//\"/>",
    "<img src=\"https://example.org/x.png\" srcset=\"javascript:alert(1)\"/>",
    "<!-- <script>alert(1)</script> -->",
    "<?xml-stylesheet href=\"javascript:alert(1)\"?>",
    "<noscript><p title=\"&lt;/noscript&gt;&lt;img src=x onerror=alert(1)&gt;\">x</p></noscript>",
    "<template><script>alert(1)</script></template>",
    "<video><source onerror=\"alert(1)\"/></video>",
    "<unknown><script>alert(1)</script>text</unknown>",
    "<blockquote cite=\"javascript:alert(1)\">x</blockquote>",
    "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
    "<span class=\"x\" onclick=\"alert(1)\" style=\"x:expression(alert(1))\">x</span>",
    "<textarea>alert(1)</textarea>",
    "<applet code=\"alert\"></applet>",
    "<x:script xmlns:x=\"http://www.w3.org/1999/xhtml\">alert(1)</x:script>",
    "<p xmlns=\"urn:evil\" onclick=\"alert(1)\">alert</p>",
    NULL
};

static void test_xss_vectors(void)
{
    for (size_t i = 0; xss_vectors[i] != NULL; i++) {
        int removed = 0;
        char *out = clean(xss_vectors[i], &removed);
        CHECK(out != NULL);
        if (out == NULL) {
            fprintf(stderr, "  vector %zu not well-formed: %s\n", i, xss_vectors[i]);
            continue;
        }
        int safe = output_safe(out);
        CHECK(safe);
        CHECK(removed > 0);
        if (!safe)
            fprintf(stderr, "  vector %zu: %s\n  gave: %s\n", i, xss_vectors[i], out);
        free(out);
    }
    CHECK(sizeof(xss_vectors) / sizeof(xss_vectors[0]) > 30);
}

static void check_clean(const char *in, const char *want)
{
    char *out = clean(in, NULL);
    size_t len = strlen(DIV_OPEN) + strlen(want) + 7;
    char *full = malloc(len);
    snprintf(full, len, "%s%s</div>", DIV_OPEN, want);
    CHECK_STR(out, full);
    free(full);
    free(out);
}

static void test_harmless_markup_kept(void)
{
    check_clean("<p>Hello <strong>world</strong> &amp; <em>all</em></p>",
                "<p>Hello <strong>world</strong> &amp; <em>all</em></p>");
    check_clean("<p><a href=\"https://www.gdansk.pl/\" title=\"Gdańsk\">link</a></p>",
                "<p><a href=\"https://www.gdansk.pl/\" title=\"Gdańsk\">link</a></p>");
    check_clean("<a href=\"mailto:info@example.org\">m</a><a href=\"tel:+48585000000\">t</a>",
                "<a href=\"mailto:info@example.org\">m</a><a href=\"tel:+48585000000\">t</a>");
    check_clean("<a href=\"/pl/events/x?y=1#z\">r</a>", "<a href=\"/pl/events/x?y=1#z\">r</a>");
    check_clean("<p xml:lang=\"en\" lang=\"en\" class=\"lead\">x</p>",
                "<p xml:lang=\"en\" lang=\"en\" class=\"lead\">x</p>");
    check_clean("<table><tbody><tr><td colspan=\"2\">x</td></tr></tbody></table>",
                "<table><tbody><tr><td colspan=\"2\">x</td></tr></tbody></table>");
    check_clean("<img src=\"https://example.org/a.png\" alt=\"a\" width=\"10\" height=\"5\"/>",
                "<img src=\"https://example.org/a.png\" alt=\"a\" width=\"10\" height=\"5\"/>");
    check_clean("<p><time datetime=\"2017-06-29\">29 June</time></p>",
                "<p><time datetime=\"2017-06-29\">29 June</time></p>");
}

static void test_unwrap_and_drop(void)
{
    /* unknown elements give up their text; active ones take it with them */
    check_clean("<p><font color=\"red\">red <b>bold</b></font> text</p>", "<p>red <b>bold</b> text</p>");
    check_clean("<center><p>x</p></center>", "<p>x</p>");
    check_clean("<p>a<script>b</script>c</p>", "<p>ac</p>");
    check_clean("<p>a<!-- note -->b</p>", "<p>ab</p>");
    check_clean("<p>a<svg xmlns=\"http://www.w3.org/2000/svg\"><text>b</text></svg>c</p>", "<p>ac</p>");
    check_clean("<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>");
}

static void test_target_blank(void)
{
    check_clean("<a href=\"https://x.org/\" target=\"_blank\">x</a>",
                "<a href=\"https://x.org/\" target=\"_blank\" rel=\"noopener noreferrer\">x</a>");
    check_clean("<a href=\"https://x.org/\" target=\"_BLANK\" rel=\"nofollow\">x</a>",
                "<a href=\"https://x.org/\" target=\"_BLANK\" rel=\"nofollow noopener noreferrer\">x</a>");
    check_clean("<a href=\"https://x.org/\" target=\"_blank\" rel=\"noreferrer noopener\">x</a>",
                "<a href=\"https://x.org/\" target=\"_blank\" rel=\"noreferrer noopener\">x</a>");
}

static void test_url_check(void)
{
    CHECK(sanitize_url_ok("http://example.org/"));
    CHECK(sanitize_url_ok("HTTPS://example.org/"));
    CHECK(sanitize_url_ok("mailto:a@b.c"));
    CHECK(sanitize_url_ok("tel:+48"));
    CHECK(sanitize_url_ok("/relative/path"));
    CHECK(sanitize_url_ok("relative?x=a:b"));
    CHECK(sanitize_url_ok("#anchor"));
    CHECK(sanitize_url_ok("//example.org/x"));
    CHECK(sanitize_url_ok(""));
    CHECK(!sanitize_url_ok(NULL));
    CHECK(!sanitize_url_ok("javascript:alert(1)"));
    CHECK(!sanitize_url_ok(" \t\njavascript:alert(1)"));
    CHECK(!sanitize_url_ok("java\tscript:alert(1)"));
    CHECK(!sanitize_url_ok("java\x01script:alert(1)"));
    CHECK(!sanitize_url_ok("JAVASCRIPT:alert(1)"));
    CHECK(!sanitize_url_ok("vbscript:x"));
    CHECK(!sanitize_url_ok("data:text/html,x"));
    CHECK(!sanitize_url_ok("file:///etc/passwd"));
    CHECK(!sanitize_url_ok(":nothing"));
    CHECK(!sanitize_url_ok("\xc2\xa0javascript:alert(1)"));
    CHECK(!sanitize_url_ok("averyveryverylongschemename:x"));
}

int main(void)
{
    test_xss_vectors();
    test_harmless_markup_kept();
    test_unwrap_and_drop();
    test_target_blank();
    test_url_check();
    xmlCleanupParser();
    CHECK_DONE();
}
