/*
 * events_fields.c - what the schema cannot say about an event's fields
 * (validate) and the values the store indexes (index).
 *
 * validate runs before anything is stored and has no pool, so it reads
 * attributes with libxml2's own allocating getters and frees them at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <neptun/check.h>
#include "events.h"

#define EVENTS_ROOT_PATH "/item/event"

/* Attribute of a node, malloc'd by libxml2: release with xmlFree. */
static char *attr_dup(const xmlNode *node, const char *name)
{
    return node ? (char *)xmlGetNoNsProp(node, BAD_CAST name) : NULL;
}

/* Parse attribute name of a session; reports and returns NEPTUN_INVALID. */
static int session_time(const struct events_plugin *p, const xmlNode *session, size_t index,
                        const char *name, int64_t *out, struct neptun_errors *errs)
{
    char path[96];
    int status = NEPTUN_OK;
    char *text = attr_dup(session, name);
    snprintf(path, sizeof(path), EVENTS_ROOT_PATH "/session[%zu]/@%s", index, name);
    if (text == NULL) {
        p->host->error_add(errs, path, "a session needs its %s time", name);
        status = NEPTUN_INVALID;
    } else if (!neptun_check_has_offset(text) || p->host->parse_time(text, out) != NEPTUN_OK) {
        p->host->error_add(errs, path, "\"%s\" is not an RFC 3339 date-time with offset", text);
        status = NEPTUN_INVALID;
    }
    xmlFree(text);
    return status;
}

static int validate_sessions(const struct events_plugin *p, const xmlNode *fields,
                             struct neptun_errors *errs, size_t *count)
{
    const struct neptun_host *h = p->host;
    int status = NEPTUN_OK;
    int64_t prev_start = 0;
    int have_prev = 0;
    size_t i = 0;
    char path[96];

    for (const xmlNode *s = h->xml_child(fields, "session"); s; s = h->xml_next(s, "session")) {
        int64_t start = 0, end = 0;
        i++;
        int ok_start = session_time(p, s, i, "start", &start, errs) == NEPTUN_OK;
        int ok_end = session_time(p, s, i, "end", &end, errs) == NEPTUN_OK;
        if (!ok_start || !ok_end)
            status = NEPTUN_INVALID;
        if (ok_start && ok_end && end <= start) {
            snprintf(path, sizeof(path), EVENTS_ROOT_PATH "/session[%zu]/@end", i);
            h->error_add(errs, path, "the session ends before it starts");
            status = NEPTUN_INVALID;
        }
        if (ok_start && have_prev && start < prev_start) {
            snprintf(path, sizeof(path), EVENTS_ROOT_PATH "/session[%zu]/@start", i);
            h->error_add(errs, path, "sessions must be in order: this one starts before session %zu",
                         i - 1);
            status = NEPTUN_INVALID;
        }
        if (ok_start) {
            prev_start = start;
            have_prev = 1;
        }

        char *href = attr_dup(h->xml_child(s, "venue"), "href");
        if (href != NULL && !neptun_check_http_url(href)) {
            snprintf(path, sizeof(path), EVENTS_ROOT_PATH "/session[%zu]/venue/@href", i);
            h->error_add(errs, path, "\"%s\" is not an absolute http(s) URL", href);
            status = NEPTUN_INVALID;
        }
        xmlFree(href);
    }
    if (i == 0) {
        h->error_add(errs, EVENTS_ROOT_PATH, "an event needs at least one session");
        status = NEPTUN_INVALID;
    }
    *count = i;
    return status;
}

/* The href of each organisation under organisers or partners. */
static int validate_organisations(const struct events_plugin *p, const xmlNode *fields,
                                  const char *group, struct neptun_errors *errs)
{
    const struct neptun_host *h = p->host;
    int status = NEPTUN_OK;
    size_t i = 0;
    for (const xmlNode *o = h->xml_child(h->xml_child(fields, group), "organisation"); o;
         o = h->xml_next(o, "organisation")) {
        char *href = attr_dup(o, "href");
        i++;
        if (href != NULL && !neptun_check_http_url(href)) {
            char path[96];
            snprintf(path, sizeof(path), EVENTS_ROOT_PATH "/%s/organisation[%zu]/@href", group, i);
            h->error_add(errs, path, "\"%s\" is not an absolute http(s) URL", href);
            status = NEPTUN_INVALID;
        }
        xmlFree(href);
    }
    return status;
}

static int validate_speakers(const struct events_plugin *p, const xmlNode *fields,
                             size_t nsessions, struct neptun_errors *errs)
{
    const struct neptun_host *h = p->host;
    int status = NEPTUN_OK;
    size_t i = 0;
    for (const xmlNode *s = h->xml_child(h->xml_child(fields, "speakers"), "speaker"); s;
         s = h->xml_next(s, "speaker")) {
        char *session = attr_dup(s, "session");
        i++;
        if (session != NULL) {
            char *endp = NULL;
            unsigned long n = strtoul(session, &endp, 10);
            if (endp == session || *endp != '\0' || n < 1 || n > nsessions) {
                char path[96];
                snprintf(path, sizeof(path), EVENTS_ROOT_PATH "/speakers/speaker[%zu]/@session", i);
                h->error_add(errs, path, "session \"%s\" does not exist (the event has %zu)",
                             session, nsessions);
                status = NEPTUN_INVALID;
            }
        }
        xmlFree(session);
    }
    return status;
}

static int validate_registration(const struct events_plugin *p, const xmlNode *fields,
                                 struct neptun_errors *errs)
{
    const struct neptun_host *h = p->host;
    const xmlNode *reg = h->xml_child(fields, "registration");
    int status = NEPTUN_OK;
    int64_t when;
    if (reg == NULL)
        return NEPTUN_OK;
    char *href = attr_dup(reg, "href");
    char *deadline = attr_dup(reg, "deadline");
    if (href == NULL || !neptun_check_http_url(href)) {
        h->error_add(errs, EVENTS_ROOT_PATH "/registration/@href",
                     "registration needs an absolute http(s) URL");
        status = NEPTUN_INVALID;
    }
    if (deadline != NULL && (!neptun_check_has_offset(deadline) || h->parse_time(deadline, &when) != NEPTUN_OK)) {
        h->error_add(errs, EVENTS_ROOT_PATH "/registration/@deadline",
                     "\"%s\" is not an RFC 3339 date-time with offset", deadline);
        status = NEPTUN_INVALID;
    }
    xmlFree(href);
    xmlFree(deadline);
    return status;
}

int events_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs)
{
    const struct events_plugin *p = ud;
    size_t nsessions = 0;
    int status = NEPTUN_OK;
    if (fields == NULL)
        return NEPTUN_OK; /* fields are optional in an item document */
    if (validate_sessions(p, fields, errs, &nsessions) != NEPTUN_OK)
        status = NEPTUN_INVALID;
    if (validate_organisations(p, fields, "organisers", errs) != NEPTUN_OK)
        status = NEPTUN_INVALID;
    if (validate_organisations(p, fields, "partners", errs) != NEPTUN_OK)
        status = NEPTUN_INVALID;
    if (validate_speakers(p, fields, nsessions, errs) != NEPTUN_OK)
        status = NEPTUN_INVALID;
    if (validate_registration(p, fields, errs) != NEPTUN_OK)
        status = NEPTUN_INVALID;
    if (neptun_check_contact_emails(p->host, fields, EVENTS_ROOT_PATH, errs) != NEPTUN_OK)
        status = NEPTUN_INVALID;
    return status;
}

/* ---- index ------------------------------------------------------------- */

/* Words for the search index, appended with single spaces. */
struct words {
    const struct neptun_host *host;
    struct neptun_pool *pool;
    const char *text;
};

static int words_add(struct words *w, const char *more)
{
    if (more == NULL || *more == '\0')
        return NEPTUN_OK;
    const char *joined = w->text ? w->host->pool_printf(w->pool, "%s %s", w->text, more)
                                 : w->host->pool_strdup(w->pool, more);
    if (joined == NULL)
        return NEPTUN_NOMEM;
    w->text = joined;
    return NEPTUN_OK;
}

/* Every child called name of parent, in every language. */
static int words_add_all(struct words *w, const xmlNode *parent, const char *name)
{
    for (const xmlNode *n = w->host->xml_child(parent, name); n; n = w->host->xml_next(n, name))
        if (words_add(w, w->host->xml_text(w->pool, n)) != NEPTUN_OK)
            return NEPTUN_NOMEM;
    return NEPTUN_OK;
}

static int index_words(struct words *w, const xmlNode *fields)
{
    const struct neptun_host *h = w->host;
    for (const xmlNode *s = h->xml_child(fields, "session"); s; s = h->xml_next(s, "session")) {
        const xmlNode *venue = h->xml_child(s, "venue");
        const xmlNode *address = h->xml_child(venue, "address");
        if (words_add_all(w, venue, "name") != NEPTUN_OK ||
            words_add_all(w, address, "street") != NEPTUN_OK ||
            words_add_all(w, address, "city") != NEPTUN_OK)
            return NEPTUN_NOMEM;
    }
    static const char *const groups[] = {"organisers", "partners"};
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        for (const xmlNode *o = h->xml_child(h->xml_child(fields, groups[g]), "organisation"); o;
             o = h->xml_next(o, "organisation"))
            if (words_add_all(w, o, "name") != NEPTUN_OK ||
                words_add(w, h->xml_attr(w->pool, o, "short")) != NEPTUN_OK)
                return NEPTUN_NOMEM;
    for (const xmlNode *s = h->xml_child(h->xml_child(fields, "speakers"), "speaker"); s;
         s = h->xml_next(s, "speaker"))
        if (words_add_all(w, s, "name") != NEPTUN_OK)
            return NEPTUN_NOMEM;
    for (const xmlNode *c = h->xml_child(fields, "contact"); c; c = h->xml_next(c, "contact"))
        if (words_add_all(w, c, "name") != NEPTUN_OK)
            return NEPTUN_NOMEM;
    return NEPTUN_OK;
}

int events_index(void *ud, struct neptun_pool *pool, const xmlNode *fields,
                 struct neptun_index *out)
{
    const struct events_plugin *p = ud;
    const struct neptun_host *h = p->host;
    struct words words = {.host = h, .pool = pool, .text = NULL};
    if (fields == NULL)
        return NEPTUN_OK;
    for (const xmlNode *s = h->xml_child(fields, "session"); s; s = h->xml_next(s, "session")) {
        int64_t start, end;
        if (neptun_start_end(p->host, pool, s, &start, &end) != NEPTUN_OK)
            return NEPTUN_INVALID;
        if (out->starts_at == 0 || start < out->starts_at)
            out->starts_at = start;
        if (end > out->ends_at)
            out->ends_at = end;
    }
    if (index_words(&words, fields) != NEPTUN_OK)
        return NEPTUN_NOMEM;
    out->search_text = words.text;
    return NEPTUN_OK;
}
