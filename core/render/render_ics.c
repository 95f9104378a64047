/*
 * render_ics.c - iCalendar (RFC 5545) for dated types: one VCALENDAR with
 * a VTIMEZONE for the city's zone and one VEVENT per item, or, for a type
 * that gives sessions (ics_sessions), one per session: the first with
 * RDATE, the others with RECURRENCE-ID, all of the item's UID.  A small writer
 * does what the format needs: CRLF line ends, TEXT escaping of backslash,
 * ';', ',' and newlines, and folding at 75 octets without splitting a
 * UTF-8 sequence.  Types add their own properties through ics_add.
 */
#include <stdlib.h>
#include <string.h>
#include "conf.h"
#include "locale.h"
#include "render_internal.h"
#include "content.h"

#define ICS_FOLD 75

/* The calendar being written (the plugin API's opaque struct). */
struct neptun_ics {
    char *data;   /* malloc'd */
    size_t len, cap;
    int failed;   /* out of memory: the whole answer fails */
    char *description; /* malloc'd; see add_description */
    int in_event;      /* between BEGIN:VEVENT and the DESCRIPTION flush */
};

static void put(struct neptun_ics *ics, const char *s, size_t n)
{
    if (ics->failed)
        return;
    if (ics->len + n + 1 > ics->cap) {
        size_t cap = ics->cap != 0 ? ics->cap : 4096;
        while (cap < ics->len + n + 1)
            cap *= 2;
        char *d = realloc(ics->data, cap);
        if (d == NULL) {
            ics->failed = 1;
            return;
        }
        ics->data = d;
        ics->cap = cap;
    }
    memcpy(ics->data + ics->len, s, n);
    ics->len += n;
    ics->data[ics->len] = '\0';
}

/* Write one content line, folded: every physical line holds at most 75
 * octets (a continuation's leading space included) and breaks fall
 * between UTF-8 characters. */
static void put_line(struct neptun_ics *ics, const char *line, size_t n)
{
    size_t room = ICS_FOLD;
    while (n > room) {
        size_t cut = room;
        while (cut > 0 && ((unsigned char)line[cut] & 0xC0) == 0x80)
            cut--;
        put(ics, line, cut);
        put(ics, "\r\n ", 3);
        line += cut;
        n -= cut;
        room = ICS_FOLD - 1;
    }
    put(ics, line, n);
    put(ics, "\r\n", 2);
}

static void put_raw(struct neptun_ics *ics, const char *line)
{
    put_line(ics, line, strlen(line));
}

/* Property values that are not TEXT (URIs, dates, numbers) pass as they
 * are; TEXT values are escaped. */
static int is_text_property(const char *name)
{
    static const char *const verbatim[] = {
        "URL", "ATTACH", "ORGANIZER", "ATTENDEE", "GEO", "TZURL", "DTSTART", "DTEND",
        "RECURRENCE-ID",
        "DTSTAMP", "DUE", "RDATE", "EXDATE", "RRULE", "LAST-MODIFIED", "CREATED",
        "SEQUENCE", "PRIORITY", "PERCENT-COMPLETE", "TRANSP", "STATUS", "CLASS", NULL
    };
    for (size_t i = 0; verbatim[i] != NULL; i++)
        if (strcmp(name, verbatim[i]) == 0)
            return 0;
    return 1;
}

static int valid_name(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return 0;
    for (const char *c = name; *c != '\0'; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return 0;
    return 1;
}

/* DESCRIPTION may occur once per VEVENT (RFC 5545 3.6.1), yet both the
 * host (the summary) and the type (say, a schedule) have one to give:
 * the parts are joined by a blank line and written at END:VEVENT. */
static int add_description(struct neptun_ics *ics, const char *value)
{
    size_t old = ics->description != NULL ? strlen(ics->description) : 0;
    char *d = realloc(ics->description, old + strlen(value) + 3);
    if (d == NULL)
        return NEPTUN_NOMEM;
    if (old > 0) {
        memcpy(d + old, "\n\n", 2);
        old += 2;
    }
    strcpy(d + old, value);
    ics->description = d;
    return NEPTUN_OK;
}

static int flush_description(struct neptun_ics *ics)
{
    int rc = NEPTUN_OK;
    if (ics->description != NULL) {
        char *d = ics->description;
        ics->description = NULL;
        rc = render_ics_add(ics, "DESCRIPTION", NULL, d);
        free(d);
    }
    return rc;
}

int render_ics_add(struct neptun_ics *ics, const char *name, const char *params, const char *value)
{
    int rc = NEPTUN_INVALID;
    char *line = NULL;
    size_t n = 0, cap;

    if (ics == NULL || !valid_name(name) || value == NULL)
        goto out;
    if (params != NULL && strpbrk(params, "\r\n") != NULL)
        goto out;
    if (params == NULL && strcmp(name, "DESCRIPTION") == 0 && ics->in_event) {
        rc = add_description(ics, value);
        goto out;
    }
    int text = is_text_property(name);
    cap = strlen(name) + (params != NULL ? strlen(params) + 1 : 0) + 2 * strlen(value) + 2;
    line = malloc(cap);
    if (line == NULL) {
        rc = NEPTUN_NOMEM;
        goto out;
    }
    n = (size_t)snprintf(line, cap, "%s%s%s:", name, params != NULL ? ";" : "",
                         params != NULL ? params : "");
    for (const unsigned char *c = (const unsigned char *)value; *c != '\0'; c++) {
        if (*c == '\n') {
            line[n++] = '\\';
            line[n++] = 'n';
        } else if (*c < 0x20 || *c == 0x7F) {
            continue; /* CR and other controls are not allowed in values */
        } else if (text && (*c == '\\' || *c == ';' || *c == ',')) {
            line[n++] = '\\';
            line[n++] = (char)*c;
        } else {
            line[n++] = (char)*c;
        }
    }
    put_line(ics, line, n);
    rc = ics->failed ? NEPTUN_NOMEM : NEPTUN_OK;
out:
    free(line);
    return rc;
}

/* Europe/Warsaw since 1977 (EU rules since 1996): CEST from the last
 * Sunday of March 02:00, CET from the last Sunday of October 03:00. */
static void put_warsaw_zone(struct neptun_ics *ics)
{
    static const char *const lines[] = {
        "BEGIN:VTIMEZONE", "TZID:Europe/Warsaw", "X-LIC-LOCATION:Europe/Warsaw",
        "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
        "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
        "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
        "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
        "END:VTIMEZONE", NULL
    };
    for (size_t i = 0; lines[i] != NULL; i++)
        put_raw(ics, lines[i]);
}

static const char *zone_name(void)
{
    return neptun_conf->timezone;
}

/* UTC form 20170629T113000Z (for DTSTAMP and zones without rules here). */
static const char *utc_stamp(struct neptun_pool *pool, int64_t t)
{
    const char *s = locale_rfc3339(pool, t); /* 2017-06-29T11:30:00Z */
    if (s == NULL || strlen(s) < 19)
        return NULL;
    return neptun_pool_printf(pool, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", s, s + 5, s + 8, s + 11,
                              s + 14, s + 17);
}

static int put_time(struct neptun_ics *ics, struct neptun_pool *pool, const char *name, int64_t t,
                    int local)
{
    if (local) {
        const char *v = locale_ics_local(pool, t);
        const char *params = neptun_pool_printf(pool, "TZID=%s", zone_name());
        return v != NULL && params != NULL ? render_ics_add(ics, name, params, v) : NEPTUN_ERROR;
    }
    const char *v = utc_stamp(pool, t);
    return v != NULL ? render_ics_add(ics, name, NULL, v) : NEPTUN_ERROR;
}

/* At most this many sessions become VEVENTs; more are one VEVENT. */
#define ICS_SESSIONS_MAX 64

/* What every VEVENT of one item shares. */
struct event_head {
    struct neptun_pool *pool;
    const char *lang;
    const char *const *chain;
    const struct neptun_item *item;
    const struct neptun_type *type;
    struct render_pick pick;
    const char *title_params;
    const char *uid;
    int64_t stamp;
    int local;
};

/* RDATE of the first session's VEVENT: every further session's start. */
static int put_rdates(struct neptun_ics *ics, const struct event_head *hd,
                      const struct neptun_span *spans, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (put_time(ics, hd->pool, "RDATE", spans[i].start, hd->local) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* One VEVENT written property by property: the item's whole span
 * (session 0), or one of its sessions (1-based); a session after the first
 * is the recurrence of its own start. */
static int put_one_event(struct neptun_ics *ics, const struct event_head *hd,
                         const struct neptun_span *spans, size_t nspans, size_t session)
{
    struct neptun_render_ctx ctx;
    const struct neptun_item *item = hd->item;
    int64_t start = session > 0 ? spans[session - 1].start : item->starts_at;
    int64_t end = session > 0 ? spans[session - 1].end : item->ends_at;

    put_raw(ics, "BEGIN:VEVENT");
    ics->in_event = 1;
    if (render_ics_add(ics, "UID", NULL, hd->uid) != NEPTUN_OK ||
        put_time(ics, hd->pool, "DTSTAMP", hd->stamp, 0) != NEPTUN_OK ||
        put_time(ics, hd->pool, "LAST-MODIFIED", hd->stamp, 0) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (session > 1 && put_time(ics, hd->pool, "RECURRENCE-ID", start, hd->local) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (put_time(ics, hd->pool, "DTSTART", start, hd->local) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (end > start && put_time(ics, hd->pool, "DTEND", end, hd->local) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (session == 1 && put_rdates(ics, hd, spans, nspans) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (render_ics_add(ics, "SUMMARY", hd->title_params, hd->pick.title) != NEPTUN_OK ||
        render_ics_add(ics, "URL", NULL, render_item_url(hd->pool, hd->lang, item)) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (hd->pick.summary != NULL &&
        render_ics_add(ics, "DESCRIPTION", NULL, hd->pick.summary) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (item->ntags > 0) {
        /* CATEGORIES is a list: commas separate, so write them unescaped
         * (tags are [a-z0-9-]). */
        const char *cats = item->tags[0];
        for (size_t i = 1; i < item->ntags; i++)
            cats = neptun_pool_printf(hd->pool, "%s,%s", cats, item->tags[i]);
        put_raw(ics, neptun_pool_printf(hd->pool, "CATEGORIES:%s", cats));
    }
    render_ctx_init(&ctx, hd->pool, item, hd->lang, hd->chain);
    ctx.session = session;
    if (hd->type != NULL && hd->type->render_ics != NULL &&
        hd->type->render_ics(hd->type->ud, &ctx, ics) != NEPTUN_OK)
        return NEPTUN_ERROR;
    ics->in_event = 0;
    if (flush_description(ics) != NEPTUN_OK)
        return NEPTUN_ERROR;
    put_raw(ics, "END:VEVENT");
    return ics->failed ? NEPTUN_NOMEM : NEPTUN_OK;
}

/* The type's sessions (ics_sessions), 0 when it gives fewer than two: the
 * item is then one VEVENT. */
static size_t item_sessions(const struct event_head *hd, struct neptun_span **out)
{
    struct neptun_render_ctx ctx;
    const struct neptun_type *type = hd->type;
    if (type == NULL || type->ics_sessions == NULL || hd->item->fields_xml == NULL)
        return 0;
    struct neptun_span *spans = neptun_pool_calloc(hd->pool, ICS_SESSIONS_MAX, sizeof(*spans));
    if (spans == NULL)
        return 0;
    render_ctx_init(&ctx, hd->pool, hd->item, hd->lang, hd->chain);
    int n = type->ics_sessions(type->ud, &ctx, spans, ICS_SESSIONS_MAX);
    if (n < 2 || n > ICS_SESSIONS_MAX)
        return 0;
    for (int i = 0; i < n; i++)
        if (spans[i].start == 0 || spans[i].end < spans[i].start)
            return 0; /* not a usable session: keep the item whole */
    *out = spans;
    return (size_t)n;
}

/* The item's VEVENTs: one, or one per session. */
static int put_event_parts(struct neptun_pool *pool, const char *lang, struct neptun_ics *ics,
                           const char *const *chain, const struct neptun_item *item)
{
    struct event_head hd;
    struct neptun_span *spans = NULL;

    if (item->starts_at == 0)
        return NEPTUN_OK; /* nothing to put in a calendar */
    memset(&hd, 0, sizeof hd);
    hd.pool = pool;
    hd.lang = lang;
    hd.chain = chain;
    hd.item = item;
    hd.type = types_find(item->type);
    hd.local = strcmp(zone_name(), "Europe/Warsaw") == 0;
    hd.stamp = item->updated != 0 ? item->updated : render_pub_time(item);
    hd.uid = render_item_uid(pool, item);
    render_pick_text(item, chain, &hd.pick);
    /* A title that fell back says its language (RFC 5545 LANGUAGE). */
    hd.title_params = hd.pick.title_lang != NULL && strcmp(hd.pick.title_lang, lang) != 0
                          ? neptun_pool_printf(pool, "LANGUAGE=%s", hd.pick.title_lang)
                          : NULL;
    if (hd.uid == NULL)
        return NEPTUN_NOMEM;
    size_t n = item_sessions(&hd, &spans);
    if (n == 0)
        return put_one_event(ics, &hd, NULL, 0, 0);
    for (size_t s = 1; s <= n; s++)
        if (put_one_event(ics, &hd, spans, n, s) != NEPTUN_OK)
            return NEPTUN_ERROR;
    return NEPTUN_OK;
}

/* The maker of RENDER_PIECE_VEVENT. */
static const char *vevent_piece(const struct render_item_job *job, size_t *len)
{
    struct neptun_ics ics = { 0 };
    const char *piece = NULL;
    if (put_event_parts(job->pool, job->lang, &ics, job->chain, job->item) == NEPTUN_OK &&
        !ics.failed) {
        piece = neptun_pool_strndup(job->pool, ics.data != NULL ? ics.data : "", ics.len);
        *len = ics.len;
    }
    free(ics.data);
    free(ics.description);
    return piece;
}

/* A VEVENT as kept whole (nothing for an item without a start). */
static int put_event(const struct render_feed *f, struct neptun_ics *ics, const char *const *chain,
                     const struct neptun_item *item)
{
    size_t len;
    const char *piece = render_piece(f->pool, item, f->lang, chain, RENDER_PIECE_VEVENT, &len,
                                     vevent_piece);
    if (piece == NULL)
        return NEPTUN_ERROR;
    put(ics, piece, len);
    return ics->failed ? NEPTUN_NOMEM : NEPTUN_OK;
}

int render_ics(const struct render_feed *f, char **out, size_t *len)
{
    struct neptun_ics ics = { 0 };
    int rc = NEPTUN_ERROR;
    const char *const *chain = f->fallback != NULL ? f->fallback : render_chain(f->pool, f->lang);
    int local = strcmp(zone_name(), "Europe/Warsaw") == 0;

    put_raw(&ics, "BEGIN:VCALENDAR");
    put_raw(&ics, "VERSION:2.0");
    put_raw(&ics, "PRODID:-//neptun//neptun content API//EN");
    put_raw(&ics, "CALSCALE:GREGORIAN");
    put_raw(&ics, "METHOD:PUBLISH");
    if (render_ics_add(&ics, "X-WR-CALNAME", NULL, f->title != NULL ? f->title : "neptun") != NEPTUN_OK ||
        (f->description != NULL &&
         render_ics_add(&ics, "X-WR-CALDESC", NULL, f->description) != NEPTUN_OK))
        goto out;
    if (local) {
        put_raw(&ics, "X-WR-TIMEZONE:Europe/Warsaw");
        put_warsaw_zone(&ics);
    }
    for (size_t i = 0; i < f->nitems; i++)
        if (put_event(f, &ics, chain, f->items[i]) != NEPTUN_OK)
            goto out;
    put_raw(&ics, "END:VCALENDAR");
    if (ics.failed)
        goto out;
    *out = ics.data;
    *len = ics.len;
    ics.data = NULL;
    rc = NEPTUN_OK;
out:
    free(ics.data);
    free(ics.description);
    return rc;
}
