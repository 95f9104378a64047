/*
 * events_util.c - small helpers the events renderers share: localised
 * text lookup, session times, address lines, and checked xmlTextWriter
 * calls (every writer call can fail when memory runs out).
 */
#include <stdio.h>
#include <string.h>
#include "events.h"

const char *events_local_text(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                              const xmlNode *parent, const char *name, const char **got_lang)
{
    if (got_lang != NULL)
        *got_lang = NULL;
    if (parent == NULL)
        return NULL;
    const xmlNode *node = p->host->xml_child_lang(rc, parent, name, got_lang);
    if (node == NULL)
        return NULL;
    return p->host->xml_text(rc->pool, node);
}

int events_session_times(const struct events_plugin *p, struct neptun_pool *pool,
                         const xmlNode *session, int64_t *start, int64_t *end)
{
    const char *s = p->host->xml_attr(pool, session, "start");
    const char *e = p->host->xml_attr(pool, session, "end");
    if (s == NULL || e == NULL)
        return NEPTUN_INVALID;
    if (p->host->parse_time(s, start) != NEPTUN_OK || p->host->parse_time(e, end) != NEPTUN_OK)
        return NEPTUN_INVALID;
    return NEPTUN_OK;
}

const char *events_address_line(const struct events_plugin *p, struct neptun_pool *pool,
                                const xmlNode *address)
{
    if (address == NULL)
        return NULL;
    const struct neptun_host *h = p->host;
    const char *street = h->xml_text(pool, h->xml_child(address, "street"));
    const char *postcode = h->xml_text(pool, h->xml_child(address, "postcode"));
    const char *city = h->xml_text(pool, h->xml_child(address, "city"));
    if (street == NULL || city == NULL)
        return city ? city : street;
    if (postcode != NULL)
        return h->pool_printf(pool, "%s, %s %s", street, postcode, city);
    return h->pool_printf(pool, "%s, %s", street, city);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the era-based
 * arithmetic of the civil calendar; no tables involved). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int local_day(const char *rfc3339, long *day)
{
    int y, m, d, used = 0;
    if (rfc3339 == NULL || sscanf(rfc3339, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10)
        return NEPTUN_INVALID;
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return NEPTUN_INVALID;
    *day = days_from_civil(y, m, d);
    return NEPTUN_OK;
}

long events_day_span(const char *first_start, const char *last_end)
{
    long a, b;
    if (local_day(first_start, &a) != NEPTUN_OK || local_day(last_end, &b) != NEPTUN_OK || b < a)
        return 0;
    return b - a + 1;
}

/* ---- writer ------------------------------------------------------------ */

int events_w_start(xmlTextWriterPtr w, const char *name)
{
    return xmlTextWriterStartElement(w, BAD_CAST name) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int events_w_start_ns(xmlTextWriterPtr w, const char *name, const char *ns)
{
    return xmlTextWriterStartElementNS(w, NULL, BAD_CAST name, BAD_CAST ns) < 0 ? NEPTUN_ERROR
                                                                               : NEPTUN_OK;
}

int events_w_end(xmlTextWriterPtr w)
{
    return xmlTextWriterEndElement(w) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int events_w_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
    if (value == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST value) < 0 ? NEPTUN_ERROR
                                                                            : NEPTUN_OK;
}

int events_w_text(xmlTextWriterPtr w, const char *text)
{
    if (text == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteString(w, BAD_CAST text) < 0 ? NEPTUN_ERROR : NEPTUN_OK;
}

int events_w_element(xmlTextWriterPtr w, const char *name, const char *text)
{
    if (text == NULL)
        return NEPTUN_OK;
    return xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text) < 0 ? NEPTUN_ERROR
                                                                         : NEPTUN_OK;
}

int events_w_xhtml_text(const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                        const char *name, const char *cls, const char *text,
                        const char *got_lang)
{
    if (text == NULL)
        return NEPTUN_OK;
    const char *fallback = (got_lang != NULL && strcmp(got_lang, rc->lang) != 0) ? got_lang : NULL;
    if (events_w_start(w, name) != NEPTUN_OK || events_w_attr(w, "class", cls) != NEPTUN_OK ||
        events_w_attr(w, "xml:lang", fallback) != NEPTUN_OK ||
        events_w_text(w, text) != NEPTUN_OK || events_w_end(w) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}
