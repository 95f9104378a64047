/*
 * hello.c - the smallest complete neptun plugin: one content type,
 * "notices" (short notices of the integration office: what, and at which
 * office desk), with its fields, their check, their look in the API XML and
 * in feeds, and its name in each language.  Built against the installed SDK
 * alone (docs/plugins.md, "A complete minimal plugin"):
 *
 *   make -C examples/hello O=/tmp/hello
 *
 * Of a type's callbacks only what the type needs is set: validate, index,
 * render_xml, render_xhtml and render_ics may each be NULL.
 */
#include <string.h>
#include <neptun/plugin.h>

/* The fields of a notice: one or more <desk> in any languages.  The host
 * merges these <define>s into /schema/neptun.rng. */
static const char notices_rng[] =
    "<grammar xmlns='http://relaxng.org/ns/structure/1.0' ns='urn:neptun:1'>"
    " <define name='fields.notices'>"
    "  <element name='notice'><oneOrMore><ref name='notices.desk'/></oneOrMore></element>"
    " </define>"
    " <define name='render.notices'>"
    "  <element name='notice'><ref name='notices.desk'/></element>"
    " </define>"
    " <define name='notices.desk'>"
    "  <element name='desk'>"
    "   <optional><attribute name='xml:lang' ns='http://www.w3.org/XML/1998/namespace'/></optional>"
    "   <text/>"
    "  </element>"
    " </define>"
    "</grammar>";

/* Set once by init; read-only while the workers run. */
static const struct neptun_host *host;

/* Beyond the schema: a desk is named, not blank.  The validation's pool
 * (host->errors_pool, ABI 1.2) holds the element paths. */
static int notices_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs)
{
    struct neptun_pool *pool = NEPTUN_HOST_HAS(host, errors_pool) ? host->errors_pool(errs) : NULL;
    int rc = NEPTUN_OK;
    int i = 1;
    for (const xmlNode *d = host->xml_child(fields, "desk"); d != NULL; d = host->xml_next(d, "desk"), i++) {
        const char *text = pool != NULL ? host->xml_text(pool, d) : NULL;
        if (pool != NULL && (text == NULL || text[strspn(text, " \t\r\n")] == '\0')) {
            const char *path = host->pool_printf(pool, "/item/notice/desk[%d]", i);
            host->error_add(errs, path != NULL ? path : "/item/notice", "a desk needs a name");
            rc = NEPTUN_INVALID;
        }
    }
    return rc;
}

/* <notice><desk>…</desk></notice> in the answer's language (or the first
 * of its fallbacks that the notice has). */
static int notices_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const char *got = NULL;
    const xmlNode *desk = host->xml_child_lang(rc, rc->fields, "desk", &got);
    if (xmlTextWriterStartElement(w, BAD_CAST "notice") < 0)
        return NEPTUN_ERROR;
    if (desk != NULL &&
        host->xml_write_text(rc, w, "desk", host->xml_text(rc->pool, desk), got) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return xmlTextWriterEndElement(w) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

/* "Desk: …" under the body in RSS and Atom. */
static int notices_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w)
{
    const xmlNode *desk = host->xml_child_lang(rc, rc->fields, "desk", NULL);
    if (desk == NULL)
        return NEPTUN_OK;
    const char *line = host->pool_printf(rc->pool, "%s: %s", host->t(rc->pool, "hello.desk", rc->lang, -1),
                                         host->xml_text(rc->pool, desk));
    if (line == NULL || xmlTextWriterWriteElement(w, BAD_CAST "p", BAD_CAST line) < 0)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* The type's name in each language titles its feeds ("type.<name>"); the
 * plugin's own words go under its own prefix. */
static const struct {
    const char *lang, *key, *text;
} words[] = {
    { "pl", "type.notices", "Ogłoszenia" },
    { "en", "type.notices", "Notices" },
    { "de", "type.notices", "Mitteilungen" },
    { "pl", "hello.desk", "Stanowisko" },
    { "en", "hello.desk", "Desk" },
    { "de", "hello.desk", "Schalter" },
};

static int hello_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *h, void **data)
{
    const struct neptun_type type = {
        .struct_size = sizeof(struct neptun_type),
        .name = "notices",
        .element = "notice",
        .schema_rng = notices_rng,
        .validate = notices_validate,
        .render_xml = notices_render_xml,
        .render_xhtml = notices_render_xhtml,
    };
    host = h;
    int rc = host->register_type(ctx, &type);
    if (rc != NEPTUN_OK)
        return rc;
    if (!NEPTUN_HOST_HAS(host, register_messages))
        return NEPTUN_OK; /* an older host: feeds are titled "notices" */
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        rc = host->register_messages(ctx, words[i].lang, words[i].key, &words[i].text, 1);
        if (rc != NEPTUN_OK)
            return rc;
    }
    return NEPTUN_OK;
}

NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
    NEPTUN_PLUGIN_HEADER,
    .name = "hello",
    .version = "1.0.0",
    .description = "Notices of the integration office: the smallest complete plugin",
    .init = hello_init,
};
