/*
 * locale.h - language rules through ICU: translated interface strings from
 * the catalogs in locales/ (gettext PO), CLDR plurals, date and interval
 * formats, collation, transliteration for slugs and folding for search.
 *
 * ICU service objects are not shared between threads: each thread keeps
 * its own (thread-local caches), so every function here is thread-safe.
 */
#ifndef NEPTUN_LOCALE_H
#define NEPTUN_LOCALE_H

#include <neptun/pool.h>
#include <neptun/plugin.h>

/* Load every locales_dir/<lang>.po of the configured languages and check
 * ICU data for them.  -1 with a message on stderr. */
int locale_init(const char *locales_dir, const char *timezone);
void locale_cleanup(void);
/* Free this thread's ICU objects (call at worker exit). */
void locale_thread_cleanup(void);

/* Catalog string for key in lang, plural form chosen by n (n < 0: none),
 * "{n}" replaced by n; falls back along lang's chain, then to key itself.
 * Pool-owned (with a NULL pool: the catalog's own text, without "{n}"
 * replaced, valid until locale_cleanup). */
const char *locale_translate(struct neptun_pool *pool, const char *key, const char *lang, long n);
/* Add a catalog string for lang at start-up (plugins' own messages): one
 * form, or as many plural forms as lang's catalog uses, in its msgstr[i]
 * order.  Copied.  NEPTUN_OK; NEPTUN_NOT_FOUND when lang is not configured;
 * NEPTUN_INVALID for a key the catalog already has, an empty key or form,
 * or a wrong number of forms; NEPTUN_NOMEM.  Not thread-safe: call before
 * the workers start. */
int locale_add_message(const char *lang, const char *key, const char *const *forms, size_t nforms);
/* Plural forms lang's catalog uses (2 for en and de, 3 for pl), 0 when
 * lang is not configured. */
size_t locale_plural_forms(const char *lang);
/* Does any catalog have key (translated or not)? */
int locale_has_key(const char *key);
/* CLDR plural category of n in lang: "one", "few", "many", "other"... */
const char *locale_plural(const char *lang, long n);
/* Does every catalog have every key of the others (with every plural form
 * its language needs)?  Prints each gap; returns the count of gaps. */
int locale_check_catalogs(void);

/* Human date/time (range) in lang and the configured time zone:
 * NEPTUN_FMT_DATE "29–30 czerwca 2017", NEPTUN_FMT_TIME "11:30–16:00",
 * both "22 maja 2019, 11:30–16:00".  end 0: a single moment. */
const char *locale_format_range(struct neptun_pool *pool, const char *lang,
                                int64_t start, int64_t end, unsigned flags);

/* Machine dates, never localised: RFC 822 with a four-digit year
 * ("Thu, 29 Jun 2017 11:30:00 GMT"), RFC 3339 UTC ("2017-06-29T11:30:00Z"),
 * iCalendar local ("20170629T133000") in the configured zone. */
const char *locale_rfc822(struct neptun_pool *pool, int64_t t);
/* The same RFC 822 form into buf (HTTP headers; no pool): NEPTUN_OK, or
 * NEPTUN_INVALID with buf empty for a year outside 1000-9999. */
int locale_rfc822_buf(int64_t t, char *buf, size_t size);
const char *locale_rfc3339(struct neptun_pool *pool, int64_t t);
const char *locale_ics_local(struct neptun_pool *pool, int64_t t);
/* Parse RFC 3339 / ISO 8601 date-time with offset, or a date (midnight in
 * the configured zone).  NEPTUN_OK or NEPTUN_INVALID. */
int locale_parse_time(const char *text, int64_t *out);
/* Calendar days from the local date of start to that of end, both
 * counted, in the configured zone (ICU): 1 for one day, 2 for an evening
 * to the next morning.  0 when end < start or either is out of range. */
long locale_days_spanned(int64_t start, int64_t end);
/* Offset of the configured zone from UTC at t, in seconds. */
int locale_zone_offset(int64_t t);

/* Search folding: lower case, diacritics removed, "ł" -> "l", "ß" -> "ss",
 * punctuation to spaces.  "Łączy nas Gdańsk" -> "laczy nas gdansk". */
char *locale_fold(struct neptun_pool *pool, const char *text);
/* Slug from a title: transliterated, [a-z0-9-], at most 80 bytes.
 * "Łączy nas Gdańsk" -> "laczy-nas-gdansk", "Straße" -> "strasse". */
char *locale_slugify(struct neptun_pool *pool, const char *title);
/* Compare two strings in lang's collation order (<0, 0, >0). */
int locale_collate(const char *lang, const char *a, const char *b);

#endif
