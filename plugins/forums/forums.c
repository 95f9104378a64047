/*
 * forums.c - the "forums" content type: the numbered meetings of the
 * Forum Integracji i Migracji, each one afternoon at one venue with its
 * topics and programme.
 *
 * A dated type (lists take from/to/upcoming, iCalendar answers), plus the
 * Lua function neptun.forums.roman(n) -> "VIII" for titles and rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "forums.h"

extern const char forums_schema_rng[]; /* generated from forums.rng */

#define FORUMS_ROOT_PATH "/item/forum"

/* Written once by init, read-only while workers run. */
static struct forums_plugin plugin_state;

int forums_roman(unsigned long n, char *buf, size_t size)
{
    static const struct {
        unsigned value;
        const char *digits;
    } steps[] = {{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"},
                 {90, "XC"},  {50, "L"},   {40, "XL"}, {10, "X"},   {9, "IX"},
                 {5, "V"},    {4, "IV"},   {1, "I"}};
    size_t used = 0;
    if (n < 1 || n > 3999 || size == 0)
        return NEPTUN_INVALID;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        for (; n >= steps[i].value; n -= steps[i].value) {
            size_t len = strlen(steps[i].digits);
            if (used + len >= size)
                return NEPTUN_INVALID;
            memcpy(buf + used, steps[i].digits, len);
            used += len;
        }
    buf[used] = '\0';
    return NEPTUN_OK;
}

/* roman(n): the edition number as it appears in titles. */
static int lua_roman(void *ud, struct neptun_pool *pool, int argc, const char *const *argv,
                     const char **result)
{
    const struct forums_plugin *p = ud;
    char buf[32], *end = NULL;
    if (argc != 1 || argv[0] == NULL)
        return NEPTUN_INVALID;
    unsigned long n = strtoul(argv[0], &end, 10);
    if (end == argv[0] || *end != '\0' || forums_roman(n, buf, sizeof(buf)) != NEPTUN_OK)
        return NEPTUN_INVALID;
    *result = p->host->pool_strdup(pool, buf);
    return *result != NULL ? NEPTUN_OK : NEPTUN_NOMEM;
}

/* ---- validate and index -------------------------------------------------- */

/* Attribute of a node, malloc'd by libxml2 (validate has no pool). */
static char *attr_dup(const xmlNode *node, const char *name)
{
    return node ? (char *)xmlGetNoNsProp(node, BAD_CAST name) : NULL;
}

static int check_time(const struct forums_plugin *p, const xmlNode *when, const char *name,
                      int64_t *out, struct neptun_errors *errs)
{
    char *text = attr_dup(when, name);
    int status = NEPTUN_OK;
    size_t n = text ? strlen(text) : 0;
    int offset = n >= 20 && (text[n - 1] == 'Z' || text[n - 6] == '+' || text[n - 6] == '-');
    if (text == NULL || !offset || p->host->parse_time(text, out) != NEPTUN_OK) {
        char path[64];
        snprintf(path, sizeof(path), FORUMS_ROOT_PATH "/when/@%s", name);
        p->host->error_add(errs, path, "\"%s\" is not an RFC 3339 date-time with offset",
                           text ? text : "");
        status = NEPTUN_INVALID;
    }
    xmlFree(text);
    return status;
}

static int forums_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs)
{
    const struct forums_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const xmlNode *when = h->xml_child(fields, "when");
    int64_t start = 0, end = 0;
    int status = NEPTUN_OK;
    char numeral[32];

    if (fields == NULL)
        return NEPTUN_OK;
    char *edition = attr_dup(fields, "edition");
    char *endp = NULL;
    unsigned long n = edition ? strtoul(edition, &endp, 10) : 0;
    if (edition == NULL || endp == edition || *endp != '\0' ||
        forums_roman(n, numeral, sizeof(numeral)) != NEPTUN_OK) {
        h->error_add(errs, FORUMS_ROOT_PATH "/@edition", "the edition must be a number from 1 to 3999");
        status = NEPTUN_INVALID;
    }
    xmlFree(edition);
    if (when == NULL) {
        h->error_add(errs, FORUMS_ROOT_PATH, "a forum needs its <when start end>");
        return NEPTUN_INVALID;
    }
    int ok_start = check_time(p, when, "start", &start, errs) == NEPTUN_OK;
    int ok_end = check_time(p, when, "end", &end, errs) == NEPTUN_OK;
    if (!ok_start || !ok_end)
        status = NEPTUN_INVALID;
    else if (end <= start) {
        h->error_add(errs, FORUMS_ROOT_PATH "/when/@end", "the forum ends before it starts");
        status = NEPTUN_INVALID;
    }
    return status;
}

static int forums_index(void *ud, struct neptun_pool *pool, const xmlNode *fields,
                        struct neptun_index *out)
{
    const struct forums_plugin *p = ud;
    const struct neptun_host *h = p->host;
    const char *text = NULL;
    char numeral[32];
    if (fields == NULL)
        return NEPTUN_OK;
    if (neptun_start_end(p->host, pool, h->xml_child(fields, "when"), &out->starts_at, &out->ends_at) !=
        NEPTUN_OK)
        return NEPTUN_INVALID;
    /* the numeral ("VIII") is how people search for an edition */
    const char *edition = h->xml_attr(pool, fields, "edition");
    if (edition != NULL && forums_roman(strtoul(edition, NULL, 10), numeral, sizeof(numeral)) == NEPTUN_OK)
        text = h->pool_strdup(pool, numeral);
    const xmlNode *venue = h->xml_child(fields, "venue");
    for (const xmlNode *n = h->xml_child(venue, "name"); n; n = h->xml_next(n, "name")) {
        const char *name = h->xml_text(pool, n);
        text = text ? h->pool_printf(pool, "%s %s", text, name ? name : "") : name;
    }
    const char *address = neptun_address_line(p->host, pool, h->xml_child(venue, "address"));
    if (address != NULL)
        text = text ? h->pool_printf(pool, "%s %s", text, address) : address;
    out->search_text = text;
    return NEPTUN_OK;
}

static int forums_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *host, void **data)
{
    const struct neptun_type type = {
        .struct_size = sizeof(struct neptun_type),
        .name = "forums",
        .element = "forum",
        .flags = NEPTUN_TYPE_DATED,
        .schema_rng = forums_schema_rng,
        .validate = forums_validate,
        .index = forums_index,
        .render_xml = forums_render_xml,
        .render_xhtml = forums_render_xhtml,
        .render_ics = forums_render_ics,
        .ud = &plugin_state,
    };
    int rc;

    if (host->abi_major != NEPTUN_ABI_MAJOR || !NEPTUN_HOST_HAS(host, ics_add))
        return NEPTUN_ERROR;
    plugin_state.host = host;
    *data = NULL;
    rc = host->register_type(ctx, &type);
    if (rc != NEPTUN_OK)
        return rc;
    return host->register_lua_function(ctx, "roman", lua_roman, &plugin_state);
}

static void forums_fini(void *data)
{
    (void)data;
    plugin_state.host = NULL;
}

NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
    NEPTUN_PLUGIN_HEADER,
    .name = "forums",
    .version = "1.0.0",
    .description = "The numbered Forum Integracji i Migracji meetings",
    .init = forums_init,
    .fini = forums_fini,
};
