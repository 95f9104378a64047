/*
 * campaigns.c - the "campaigns" content type: city campaigns such as
 * "Łączy nas Gdańsk" and the policies they implement (the Immigrants
 * Integration Model), with their milestones and thematic groups.
 *
 * Not a dated type: a campaign runs on, its dates are milestones.  It has
 * no iCalendar rendering.
 */
#include <stdio.h>
#include <string.h>
#include <neptun/check.h>
#include "campaigns.h"

extern const char campaigns_schema_rng[]; /* generated from campaigns.rng */

#define CAMPAIGNS_ROOT_PATH "/item/campaign"

/* Written once by init, read-only while workers run. */
static struct campaigns_plugin plugin_state;

/* ---- validate ------------------------------------------------------------ */

/* Attribute or text of a node, malloc'd by libxml2 (validate has no pool). */
static char *attr_dup(const xmlNode *node, const char *name)
{
    return node ? (char *)xmlGetNoNsProp(node, BAD_CAST name) : NULL;
}

/* A calendar date "2017-09-22"; reports at path.  Sets *out. */
static int check_date(const struct campaigns_plugin *p, const char *text, const char *path,
                      int64_t *out, struct neptun_errors *errs)
{
    if (text != NULL && strlen(text) == 10 && p->host->parse_time(text, out) == NEPTUN_OK)
        return NEPTUN_OK;
    p->host->error_add(errs, path, "\"%s\" is not a date (YYYY-MM-DD)", text ? text : "");
    return NEPTUN_INVALID;
}

static int validate_milestones(const struct campaigns_plugin *p, const xmlNode *fields,
                               struct neptun_errors *errs)
{
    const struct neptun_host *h = p->host;
    int status = NEPTUN_OK;
    int64_t prev = 0;
    size_t i = 0;
    for (const xmlNode *m = h->xml_child(h->xml_child(fields, "milestones"), "milestone"); m;
         m = h->xml_next(m, "milestone")) {
        char path[96];
        int64_t when = 0;
        char *date = attr_dup(m, "date");
        i++;
        snprintf(path, sizeof(path), CAMPAIGNS_ROOT_PATH "/milestones/milestone[%zu]/@date", i);
        if (check_date(p, date, path, &when, errs) != NEPTUN_OK) {
            status = NEPTUN_INVALID;
        } else {
            if (i > 1 && when < prev) {
                h->error_add(errs, path, "milestones must be in date order: %s is before milestone %zu",
                             date, i - 1);
                status = NEPTUN_INVALID;
            }
            prev = when;
        }
        xmlFree(date);
    }
    return status;
}

static int campaigns_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs)
{
    const struct campaigns_plugin *p = ud;
    const struct neptun_host *h = p->host;
    int status = NEPTUN_OK;
    int64_t when;
    if (fields == NULL)
        return NEPTUN_OK;

    const xmlNode *launched = h->xml_child(fields, "launched");
    if (launched != NULL) {
        char *text = (char *)xmlNodeGetContent(launched);
        if (check_date(p, text, CAMPAIGNS_ROOT_PATH "/launched", &when, errs) != NEPTUN_OK)
            status = NEPTUN_INVALID;
        xmlFree(text);
    }
    const xmlNode *adopted = h->xml_child(fields, "adopted");
    if (adopted != NULL) {
        char *date = attr_dup(adopted, "date");
        if (check_date(p, date, CAMPAIGNS_ROOT_PATH "/adopted/@date", &when, errs) != NEPTUN_OK)
            status = NEPTUN_INVALID;
        xmlFree(date);
    }
    if (validate_milestones(p, fields, errs) != NEPTUN_OK)
        status = NEPTUN_INVALID;
    if (neptun_check_contact_emails(h, fields, CAMPAIGNS_ROOT_PATH, errs) != NEPTUN_OK)
        status = NEPTUN_INVALID;
    return status;
}

/* ---- index --------------------------------------------------------------- */

/* Owners, values and groups in every language, so that "równość" or
 * "housing" finds the campaign. */
static int campaigns_index(void *ud, struct neptun_pool *pool, const xmlNode *fields,
                           struct neptun_index *out)
{
    const struct campaigns_plugin *p = ud;
    const struct neptun_host *h = p->host;
    static const char *const lists[][2] = {{NULL, "owner"}, {"values", "value"}, {"groups", "group"}};
    const char *text = NULL;
    if (fields == NULL)
        return NEPTUN_OK;
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        const xmlNode *parent = lists[l][0] ? h->xml_child(fields, lists[l][0]) : fields;
        for (const xmlNode *e = h->xml_child(parent, lists[l][1]); e; e = h->xml_next(e, lists[l][1]))
            for (const xmlNode *n = h->xml_child(e, "name"); n; n = h->xml_next(n, "name")) {
                const char *name = h->xml_text(pool, n);
                if (name == NULL)
                    continue;
                text = text ? h->pool_printf(pool, "%s %s", text, name) : name;
                if (text == NULL)
                    return NEPTUN_NOMEM;
            }
    }
    for (const xmlNode *c = h->xml_child(fields, "contact"); c; c = h->xml_next(c, "contact")) {
        const char *name = h->xml_text(pool, h->xml_child(c, "name"));
        if (name != NULL && (text = text ? h->pool_printf(pool, "%s %s", text, name) : name) == NULL)
            return NEPTUN_NOMEM;
    }
    out->search_text = text;
    return NEPTUN_OK;
}

static int campaigns_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *host, void **data)
{
    const struct neptun_type type = {
        .struct_size = sizeof(struct neptun_type),
        .name = "campaigns",
        .element = "campaign",
        .flags = 0,
        .schema_rng = campaigns_schema_rng,
        .validate = campaigns_validate,
        .index = campaigns_index,
        .render_xml = campaigns_render_xml,
        .render_xhtml = campaigns_render_xhtml,
        .render_ics = NULL,
        .ud = &plugin_state,
    };
    if (host->abi_major != NEPTUN_ABI_MAJOR || !NEPTUN_HOST_HAS(host, xml_write_text))
        return NEPTUN_ERROR;
    plugin_state.host = host;
    *data = NULL;
    return host->register_type(ctx, &type);
}

static void campaigns_fini(void *data)
{
    (void)data;
    plugin_state.host = NULL;
}

NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
    NEPTUN_PLUGIN_HEADER,
    .name = "campaigns",
    .version = "1.0.0",
    .description = "City campaigns and the policies behind them, with milestones",
    .init = campaigns_init,
    .fini = campaigns_fini,
};
