/*
 * projects_fields.c - what the schema cannot say about a project's fields
 * (periods in order, study visits inside the project period, a known
 * programme code), and what the store indexes: the period as the dated
 * type's start and end, and the names of people, places and organisations
 * as extra search text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "projects.h"

#define DAY_END 86399 /* a plain date as an end means the whole day */

static int is_plain_date(const char *text)
{
    return strlen(text) == 10;
}

/* The moment in attribute name of node.  NEPTUN_NOT_FOUND when absent,
 * NEPTUN_INVALID when malformed. */
static int attr_time(const struct projects_plugin *p, const xmlNode *node, const char *name,
                     int is_end, int64_t *out)
{
    xmlChar *v = xmlGetNoNsProp(node, BAD_CAST name);
    int rc = NEPTUN_NOT_FOUND;
    if (v == NULL)
        goto out;
    rc = p->host->parse_time((const char *)v, out);
    if (rc != NEPTUN_OK) {
        rc = NEPTUN_INVALID;
        goto out;
    }
    if (is_end && is_plain_date((const char *)v))
        *out += DAY_END;
out:
    xmlFree(v);
    return rc;
}

int projects_period(const struct projects_plugin *p, struct neptun_pool *pool, const xmlNode *node,
                    int64_t *start, int64_t *end)
{
    (void)pool;
    if (attr_time(p, node, "start", 0, start) != NEPTUN_OK || attr_time(p, node, "end", 1, end) != NEPTUN_OK)
        return NEPTUN_INVALID;
    return NEPTUN_OK;
}

/* Check the start/end pair of node at path; on success start and end hold
 * it.  Returns NEPTUN_OK, NEPTUN_NOT_FOUND (no period) or NEPTUN_INVALID
 * (reported). */
static int check_period(const struct projects_plugin *p, const xmlNode *node, const char *path,
                        struct neptun_errors *errs, int64_t *start, int64_t *end)
{
    int rs = attr_time(p, node, "start", 0, start);
    int re = attr_time(p, node, "end", 1, end);
    int rc = NEPTUN_OK;
    if (rs == NEPTUN_NOT_FOUND && re == NEPTUN_NOT_FOUND)
        return NEPTUN_NOT_FOUND;
    if (rs != NEPTUN_OK) {
        p->host->error_add(errs, path, "%s",
                           rs == NEPTUN_NOT_FOUND ? "start is missing"
                                                  : "start is not a date or an RFC 3339 date-time with offset");
        rc = NEPTUN_INVALID;
    }
    if (re != NEPTUN_OK) {
        p->host->error_add(errs, path, "%s",
                           re == NEPTUN_NOT_FOUND ? "end is missing"
                                                  : "end is not a date or an RFC 3339 date-time with offset");
        rc = NEPTUN_INVALID;
    }
    if (rc == NEPTUN_OK && *end < *start) {
        p->host->error_add(errs, path, "the period ends before it starts");
        rc = NEPTUN_INVALID;
    }
    return rc;
}

static int check_visits(const struct projects_plugin *p, const xmlNode *visits, int64_t from, int64_t to,
                        struct neptun_errors *errs)
{
    const struct neptun_host *h = p->host;
    int rc = NEPTUN_OK;
    int64_t start, end;
    int own = check_period(p, visits, "/item/project/visits", errs, &start, &end);

    if (own == NEPTUN_INVALID)
        rc = NEPTUN_INVALID;
    if (own == NEPTUN_OK) {
        if (start < from || end > to) {
            h->error_add(errs, "/item/project/visits", "the study visits lie outside the project period");
            rc = NEPTUN_INVALID;
        }
        from = start;
        to = end;
    }
    long n = 0;
    char path[80];
    for (const xmlNode *v = h->xml_child(visits, "visit"); v != NULL; v = h->xml_next(v, "visit")) {
        snprintf(path, sizeof(path), "/item/project/visits/visit[%ld]", ++n);
        int vr = check_period(p, v, path, errs, &start, &end);
        if (vr != NEPTUN_OK) {
            rc = NEPTUN_INVALID;
            continue;
        }
        if (start < from || end > to) {
            h->error_add(errs, path, "the visit lies outside the period of the study visits");
            rc = NEPTUN_INVALID;
        }
    }
    xmlChar *count = xmlGetNoNsProp(visits, BAD_CAST "count");
    if (count != NULL && strtol((const char *)count, NULL, 10) < n) {
        h->error_add(errs, "/item/project/visits/@count", "%ld visits are listed but count says %s", n,
                     (const char *)count);
        rc = NEPTUN_INVALID;
    }
    xmlFree(count);
    return rc;
}

int projects_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs)
{
    const struct projects_plugin *p = ud;
    const struct neptun_host *h = p->host;
    int64_t from = 0, to = 0;
    int rc = NEPTUN_OK;

    int pr = check_period(p, fields, "/item/project", errs, &from, &to);
    if (pr == NEPTUN_NOT_FOUND)
        h->error_add(errs, "/item/project", "the project period (start, end) is missing");
    if (pr != NEPTUN_OK)
        return NEPTUN_INVALID; /* the other checks measure against the period */
    const xmlNode *programme = h->xml_child(fields, "programme");
    xmlChar *code = programme != NULL ? xmlGetNoNsProp(programme, BAD_CAST "code") : NULL;
    if (code != NULL && projects_strand_find((const char *)code) == NULL) {
        h->error_add(errs, "/item/project/programme/@code",
                     "unknown programme code \"%s\" (GET /{lang}/projects/strands.xml lists them; "
                     "leave the code out for another programme)", (const char *)code);
        rc = NEPTUN_INVALID;
    }
    xmlFree(code);

    const xmlNode *visits = h->xml_child(fields, "visits");
    if (visits != NULL && check_visits(p, visits, from, to, errs) != NEPTUN_OK)
        rc = NEPTUN_INVALID;

    const xmlNode *pubs = h->xml_child(fields, "publications");
    long n = 0;
    for (const xmlNode *pub = h->xml_child(pubs, "publication"); pub != NULL;
         pub = h->xml_next(pub, "publication")) {
        int64_t due;
        char path[80];
        snprintf(path, sizeof(path), "/item/project/publications/publication[%ld]/@due", ++n);
        int dr = attr_time(p, pub, "due", 1, &due);
        if (dr != NEPTUN_OK) {
            h->error_add(errs, path, "not a date or an RFC 3339 date-time with offset");
            rc = NEPTUN_INVALID;
        } else if (due < from) {
            h->error_add(errs, path, "a publication cannot be due before the project starts");
            rc = NEPTUN_INVALID;
        }
    }
    return rc;
}

/* Append the text of every <name>, <street> and <city> under node to
 * *text, separated by newlines. */
static int collect_names(const struct projects_plugin *p, struct neptun_pool *pool, const xmlNode *node,
                         const char **text)
{
    for (const xmlNode *c = node->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *n = (const char *)c->name;
        if (strcmp(n, "name") == 0 || strcmp(n, "street") == 0 || strcmp(n, "city") == 0) {
            const char *v = p->host->xml_text(pool, c);
            if (v == NULL)
                return NEPTUN_NOMEM;
            *text = *text == NULL ? v : p->host->pool_printf(pool, "%s\n%s", *text, v);
            if (*text == NULL)
                return NEPTUN_NOMEM;
        } else if (collect_names(p, pool, c, text) != NEPTUN_OK) {
            return NEPTUN_NOMEM;
        }
    }
    return NEPTUN_OK;
}

int projects_index(void *ud, struct neptun_pool *pool, const xmlNode *fields, struct neptun_index *out)
{
    const struct projects_plugin *p = ud;
    if (projects_period(p, pool, fields, &out->starts_at, &out->ends_at) != NEPTUN_OK)
        return NEPTUN_INVALID;
    return collect_names(p, pool, fields, &out->search_text);
}
