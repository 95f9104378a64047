/*
 * locale_time.c - dates, human and machine.
 *
 * Human forms come from ICU's date interval formats (CLDR), in the
 * configured zone: skeleton "dMMMMy" for dates ("29–30 czerwca 2017"),
 * "HHmm" for times ("11:30–16:00"), both together for one day
 * ("22 maja 2019, 11:30–16:00").  A bare language code is formatted as
 * written in Europe (CLDR region 150): English reads "29–30 June 2017",
 * not the US "June 29 – 30, 2017"; languages without regional variants
 * (pl, de) are unaffected.
 *
 * Machine forms never follow a language: RFC 822 uses ICU's en_US_POSIX
 * names in GMT, RFC 3339 and iCalendar are digits only.  Times are
 * accepted from year 1 to 9999, on the proleptic Gregorian calendar.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unicode/ustring.h>
#include <event2/util.h>

#include "locale_internal.h"

#define TIME_MIN (-62135596800LL)  /* 0001-01-01T00:00:00Z */
#define TIME_MAX 253402300799LL    /* 9999-12-31T23:59:59Z */
#define PROLEPTIC (-8.64e15)       /* earliest UDate: Gregorian rules throughout */

static const char *const range_skeletons[LOCALE_RANGE_KINDS] = {
    [NEPTUN_FMT_DATE] = "dMMMMy",
    [NEPTUN_FMT_TIME] = "HHmm",
    [NEPTUN_FMT_DATE | NEPTUN_FMT_TIME] = "dMMMMyHHmm",
};

static int in_range(int64_t t)
{
    return t >= TIME_MIN && t <= TIME_MAX;
}

/* The configured zone; Europe/Warsaw, the city's, before locale_init. */
static const UChar *zone_id(int32_t *len)
{
    static const UChar warsaw[] = { 'E', 'u', 'r', 'o', 'p', 'e', '/', 'W', 'a', 'r', 's', 'a', 'w', 0 };
    if (locale_global.zone_len > 0) {
        *len = locale_global.zone_len;
        return locale_global.zone_u;
    }
    *len = (int32_t)(sizeof(warsaw) / sizeof(warsaw[0])) - 1;
    return warsaw;
}

/* A strict proleptic Gregorian calendar in zone (UTF-16), NULL on error. */
static UCalendar *calendar_open(const UChar *zone, int32_t zone_len)
{
    UErrorCode err = U_ZERO_ERROR;
    UCalendar *cal = ucal_open(zone, zone_len, "en_US_POSIX", UCAL_GREGORIAN, &err);
    if (U_SUCCESS(err))
        ucal_setGregorianChange(cal, PROLEPTIC, &err);
    if (U_FAILURE(err)) {
        if (cal != NULL)
            ucal_close(cal);
        return NULL;
    }
    return cal;
}

/* This thread's calendar in GMT, strict: bad fields are errors. */
static UCalendar *utc_calendar(void)
{
    static const UChar gmt[] = { 'G', 'M', 'T', 0 };
    struct locale_thread *th = locale_thread_get();
    if (th == NULL)
        return NULL;
    if (th->utc == NULL) {
        th->utc = calendar_open(gmt, 3);
        if (th->utc != NULL)
            ucal_setAttribute(th->utc, UCAL_LENIENT, 0);
    }
    return th->utc;
}

/* This thread's calendar in the configured zone.  Lenient, so that a wall
 * time skipped by a DST change resolves to the next valid one. */
static UCalendar *zone_calendar(void)
{
    struct locale_thread *th = locale_thread_get();
    if (th == NULL)
        return NULL;
    if (th->zone == NULL) {
        int32_t len;
        const UChar *zone = zone_id(&len);
        th->zone = calendar_open(zone, len);
        if (th->zone != NULL)
            ucal_setAttribute(th->zone, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    }
    return th->zone;
}

/* ---- zone offsets and digit-only forms ------------------------------- */

int locale_zone_offset(int64_t t)
{
    UCalendar *cal = zone_calendar();
    UErrorCode err = U_ZERO_ERROR;
    int32_t zone, dst;

    if (cal == NULL || !in_range(t))
        return 0;
    ucal_setMillis(cal, (UDate)t * 1000.0, &err);
    zone = ucal_get(cal, UCAL_ZONE_OFFSET, &err);
    dst = ucal_get(cal, UCAL_DST_OFFSET, &err);
    if (U_FAILURE(err))
        return 0;
    return (zone + dst) / 1000;
}

/* The Julian day number of t's local date in the configured zone. */
static int local_julian_day(UCalendar *cal, int64_t t, int32_t *out)
{
    UErrorCode err = U_ZERO_ERROR;
    ucal_setMillis(cal, (UDate)t * 1000.0, &err);
    *out = ucal_get(cal, UCAL_JULIAN_DAY, &err);
    return U_SUCCESS(err) ? NEPTUN_OK : NEPTUN_ERROR;
}

long locale_days_spanned(int64_t start, int64_t end)
{
    UCalendar *cal = zone_calendar();
    int32_t first, last;

    if (cal == NULL || !in_range(start) || !in_range(end) || end < start)
        return 0;
    if (local_julian_day(cal, start, &first) != NEPTUN_OK || local_julian_day(cal, end, &last) != NEPTUN_OK)
        return 0;
    return (long)last - first + 1;
}

static int utc_fields(int64_t t, struct tm *tm)
{
    time_t tt = (time_t)t;
    if (!in_range(t) || (int64_t)tt != t || gmtime_r(&tt, tm) == NULL)
        return NEPTUN_INVALID;
    return NEPTUN_OK;
}

const char *locale_rfc3339(struct neptun_pool *pool, int64_t t)
{
    struct tm tm;
    if (utc_fields(t, &tm) != NEPTUN_OK)
        return NULL;
    return neptun_pool_printf(pool, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

const char *locale_ics_local(struct neptun_pool *pool, int64_t t)
{
    struct tm tm;
    if (!in_range(t) || utc_fields(t + locale_zone_offset(t), &tm) != NEPTUN_OK)
        return NULL;
    return neptun_pool_printf(pool, "%04d%02d%02dT%02d%02d%02d", tm.tm_year + 1900,
                              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int locale_rfc822_buf(int64_t t, char *buf, size_t size)
{
    struct tm tm;
    time_t tt = (time_t)t;
    /* libevent's HTTP date formatter writes the same form with English
     * names and no ICU formatter per call; it pads the year with blanks,
     * so years outside 1000-9999 are left to ICU. */
    if (size > 0)
        buf[0] = '\0';
    if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 1000 ||
        tm.tm_year + 1900 > 9999 || evutil_date_rfc1123(buf, size, &tm) <= 0)
        return NEPTUN_INVALID;
    return NEPTUN_OK;
}

const char *locale_rfc822(struct neptun_pool *pool, int64_t t)
{
    struct locale_thread *th = locale_thread_get();
    UErrorCode err = U_ZERO_ERROR;
    UChar buf[64];
    int32_t len;
    char quick[48];

    if (locale_rfc822_buf(t, quick, sizeof quick) == NEPTUN_OK)
        return neptun_pool_strdup(pool, quick);
    if (th == NULL || !in_range(t))
        return NULL;
    if (th->rfc822 == NULL) {
        static const char pattern[] = "EEE, dd MMM yyyy HH:mm:ss 'GMT'";
        UChar upattern[sizeof(pattern)], gmt[4];
        UCalendar *cal;
        u_uastrcpy(upattern, pattern);
        u_uastrcpy(gmt, "GMT");
        th->rfc822 = udat_open(UDAT_PATTERN, UDAT_PATTERN, "en_US_POSIX", gmt, 3, upattern, -1, &err);
        cal = U_SUCCESS(err) ? calendar_open(gmt, 3) : NULL;
        if (cal == NULL) {
            if (th->rfc822 != NULL)
                udat_close(th->rfc822);
            th->rfc822 = NULL;
            return NULL;
        }
        udat_setCalendar(th->rfc822, cal);   /* copies it */
        ucal_close(cal);
    }
    len = udat_format(th->rfc822, (UDate)t * 1000.0, buf, (int32_t)(sizeof(buf) / sizeof(UChar)),
                      NULL, &err);
    if (U_FAILURE(err))
        return NULL;
    return locale_utf8_to_pool(pool, buf, len);
}

/* ---- parsing ---------------------------------------------------------- */

/* n decimal digits at *s into *out, advancing *s. */
static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*s)[i];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    *s += n;
    *out = v;
    return 1;
}

static int expect(const char **s, char c)
{
    if (**s != c)
        return 0;
    (*s)++;
    return 1;
}

/* Milliseconds of the wall time in cal's zone; NEPTUN_INVALID when the
 * fields do not name a real date (cal strict). */
static int wall_millis(UCalendar *cal, int y, int mo, int d, int h, int mi, int sec, UDate *out)
{
    UErrorCode err = U_ZERO_ERROR;
    ucal_clear(cal);
    ucal_setDateTime(cal, y, mo - 1, d, h, mi, sec, &err);
    *out = ucal_getMillis(cal, &err);
    return U_SUCCESS(err) ? NEPTUN_OK : NEPTUN_INVALID;
}

int locale_parse_time(const char *text, int64_t *out)
{
    const char *s = text;
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
    UCalendar *utc = utc_calendar(), *zone = zone_calendar();
    UDate millis;
    int64_t t;

    if (text == NULL || out == NULL || utc == NULL || zone == NULL)
        return NEPTUN_INVALID;
    if (!digits(&s, 4, &y) || !expect(&s, '-') || !digits(&s, 2, &mo) || !expect(&s, '-') ||
        !digits(&s, 2, &d))
        return NEPTUN_INVALID;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31)
        return NEPTUN_INVALID;
    if (*s == '\0') {
        /* A date alone: its midnight in the configured zone. */
        if (wall_millis(utc, y, mo, d, 0, 0, 0, &millis) != NEPTUN_OK ||
            wall_millis(zone, y, mo, d, 0, 0, 0, &millis) != NEPTUN_OK)
            return NEPTUN_INVALID;
        t = (int64_t)(millis / 1000.0);
        goto done;
    }
    if (*s != 'T' && *s != 't')
        return NEPTUN_INVALID;
    s++;
    if (!digits(&s, 2, &h) || !expect(&s, ':') || !digits(&s, 2, &mi) || !expect(&s, ':') ||
        !digits(&s, 2, &sec))
        return NEPTUN_INVALID;
    if (h > 23 || mi > 59 || sec > 59)   /* no leap seconds: POSIX time has none */
        return NEPTUN_INVALID;
    if (*s == '.') {                     /* fractions are allowed and dropped */
        s++;
        if (*s < '0' || *s > '9')
            return NEPTUN_INVALID;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;
        if (!digits(&s, 2, &oh) || !expect(&s, ':') || !digits(&s, 2, &om) || oh > 23 || om > 59)
            return NEPTUN_INVALID;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return NEPTUN_INVALID;
    }
    if (*s != '\0')
        return NEPTUN_INVALID;
    if (wall_millis(utc, y, mo, d, h, mi, sec, &millis) != NEPTUN_OK)
        return NEPTUN_INVALID;
    t = (int64_t)(millis / 1000.0) - off;
done:
    if (!in_range(t))
        return NEPTUN_INVALID;
    *out = t;
    return NEPTUN_OK;
}

/* ---- human ranges ----------------------------------------------------- */

/* The ICU locale for a language's human dates: a bare code as written in
 * Europe ("en" -> "en_150"), a code with a region as given. */
static void format_locale(const char *lang, char *buf, size_t size)
{
    if (strchr(lang, '_') != NULL || strchr(lang, '-') != NULL)
        snprintf(buf, size, "%s", lang);
    else
        snprintf(buf, size, "%s_150", lang);
}

const char *locale_format_range(struct neptun_pool *pool, const char *lang,
                                int64_t start, int64_t end, unsigned flags)
{
    unsigned kind = flags & (NEPTUN_FMT_DATE | NEPTUN_FMT_TIME);
    struct locale_thread_lang *slot;
    UErrorCode err = U_ZERO_ERROR;
    UChar stack[128], *buf = stack;
    int32_t len;
    const char *out = NULL;

    if (kind == 0)
        kind = NEPTUN_FMT_DATE;
    if (end == 0)
        end = start;
    if (!in_range(start) || !in_range(end) || end < start)
        return NULL;
    if (lang == NULL && locale_global.ncatalogs > 0)
        lang = locale_global.catalogs[0].lang;
    slot = locale_thread_lang(lang);
    if (slot == NULL)
        return NULL;
    if (slot->range[kind] == NULL) {
        char loc[LOCALE_LANG_MAX + 8];
        UChar skeleton[16];
        int32_t zlen;
        const UChar *zone = zone_id(&zlen);
        format_locale(lang, loc, sizeof(loc));
        u_uastrcpy(skeleton, range_skeletons[kind]);
        slot->range[kind] = udtitvfmt_open(loc, skeleton, -1, zone, zlen, &err);
        if (U_FAILURE(err)) {
            if (slot->range[kind] != NULL)
                udtitvfmt_close(slot->range[kind]);
            slot->range[kind] = NULL;
            return NULL;
        }
    }
    len = udtitvfmt_format(slot->range[kind], (UDate)start * 1000.0, (UDate)end * 1000.0, buf,
                           (int32_t)(sizeof(stack) / sizeof(UChar)), NULL, &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
        buf = malloc(((size_t)len + 1) * sizeof(UChar));
        if (buf == NULL)
            return NULL;
        err = U_ZERO_ERROR;
        len = udtitvfmt_format(slot->range[kind], (UDate)start * 1000.0, (UDate)end * 1000.0, buf,
                               len + 1, NULL, &err);
    }
    if (U_SUCCESS(err))
        out = locale_utf8_to_pool(pool, buf, len);
    if (buf != stack)
        free(buf);
    return out;
}
