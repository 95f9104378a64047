/*
 * locale_internal.h - what the parts of the locale module share:
 * locale_thread.c (the state below), locale_catalog.c (the PO loader),
 * locale_time.c (dates) and locale.c (start-up, translations, plurals,
 * folding, slugs, collation).  locale_thread.c uses no other part, and
 * locale.c is the only part that uses another besides it.
 *
 * Two kinds of state, both in locale_thread.c:
 *  - locale_global: the catalogs and the time zone, written once by
 *    locale_init before any worker starts, read-only after;
 *  - struct locale_thread: ICU service objects, which must not be shared
 *    between threads, kept per thread and freed by locale_thread_cleanup.
 */
#ifndef NEPTUN_LOCALE_INTERNAL_H
#define NEPTUN_LOCALE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <unicode/utypes.h>
#include <unicode/ucal.h>
#include <unicode/ucol.h>
#include <unicode/udat.h>
#include <unicode/udateintervalformat.h>
#include <unicode/upluralrules.h>
#include <unicode/utrans.h>

#include "conf.h"
#include "locale.h"

/* CLDR plural categories in their canonical order. */
enum locale_category {
    LOCALE_ZERO, LOCALE_ONE, LOCALE_TWO, LOCALE_FEW, LOCALE_MANY, LOCALE_OTHER,
    LOCALE_NCATEGORIES
};
extern const char *const locale_category_names[LOCALE_NCATEGORIES];
/* The category named name ("few"), or LOCALE_OTHER when unknown. */
enum locale_category locale_category_of(const char *name);

#define LOCALE_LANG_MAX 16   /* bytes of a language code, with the NUL */

/* One PO entry.  key is the msgid, or msgctxt "\004" msgid as in gettext. */
struct locale_entry {
    const char *key;
    const char **forms;   /* msgstr, or msgstr[0..nforms-1] */
    size_t nforms;
    int plural;           /* had msgid_plural */
    unsigned line;        /* where its msgid is, for messages */
};

struct locale_catalog {
    char lang[LOCALE_LANG_MAX];
    char *path;
    struct neptun_pool *pool;       /* owns path, keys and forms */
    struct locale_entry *entries;   /* sorted by key; malloc'ed */
    size_t nentries;
    size_t nplurals;                /* from Plural-Forms, else the language's count */
    int header_nplurals;            /* 0 when the header gave none */
    /* Which msgstr[i] serves each CLDR category; -1: the language lacks it. */
    int form_of[LOCALE_NCATEGORIES];
};

struct locale_global {
    int ready;
    char timezone[64];
    UChar zone_u[64];
    int32_t zone_len;
    struct locale_catalog catalogs[CONF_MAX_LANGS];
    size_t ncatalogs;                /* catalogs[0] is the default language */
    /* chain[i]: indices into catalogs, lang i first; -1 ends it. */
    int chain[CONF_MAX_LANGS][CONF_MAX_LANGS + 1];
};
/* Written only by locale_init/locale_cleanup (start-up and shut-down). */
extern struct locale_global locale_global;

/* ---- per-thread ICU objects ------------------------------------------- */

#define LOCALE_RANGE_KINDS 4   /* indexed by NEPTUN_FMT_DATE | NEPTUN_FMT_TIME */

struct locale_thread_lang {
    char code[LOCALE_LANG_MAX];
    UPluralRules *plural;
    UCollator *collator;
    UDateIntervalFormat *range[LOCALE_RANGE_KINDS];
};

struct locale_thread {
    struct locale_thread_lang langs[CONF_MAX_LANGS];
    size_t nlangs;
    UTransliterator *fold;    /* marks off, Latin to ASCII */
    UTransliterator *slug;    /* any script to ASCII, lower case */
    UDateFormat *rfc822;      /* en_US_POSIX, GMT */
    UCalendar *utc;           /* strict Gregorian calendar in GMT */
    UCalendar *zone;          /* strict Gregorian calendar in the configured zone */
};

/* The cache's life (locale_thread.c).  Each part opens the objects it
 * uses into the cache, which owns them: locale_thread_cleanup (locale.h)
 * frees them all. */

/* This thread's cache (created on first use), NULL when out of memory. */
struct locale_thread *locale_thread_get(void);
/* This thread's slot for a language code, NULL when the code is not a
 * plausible language tag or the cache is full. */
struct locale_thread_lang *locale_thread_lang(const char *code);
/* A language tag we are willing to hand to ICU: 2 to LOCALE_LANG_MAX - 1
 * letters, digits, '_' or '-'. */
int locale_plausible_lang(const char *code);
/* UTF-16 to UTF-8 owned by pool, NULL on error. */
char *locale_utf8_to_pool(struct neptun_pool *pool, const UChar *s, int32_t len);

/* ---- the PO loader (locale_catalog.c) --------------------------------- */

/* Parse path into cat for language lang.  Errors go to stderr as
 * "PATH:LINE: message"; NEPTUN_OK or NEPTUN_INVALID / NEPTUN_ERROR. */
int locale_catalog_load(struct locale_catalog *cat, const char *path, const char *lang);
/* Fill cat->form_of and cat->nplurals from ICU's categories for the
 * language.  NEPTUN_OK or NEPTUN_ERROR (message on stderr). */
int locale_catalog_map_plurals(struct locale_catalog *cat);
void locale_catalog_free(struct locale_catalog *cat);
/* The entry for key, or NULL. */
const struct locale_entry *locale_catalog_find(const struct locale_catalog *cat, const char *key);
/* Add one entry at run time (copied into cat->pool): one form, or nforms
 * plural forms in the order of the catalog's msgstr[i].  NEPTUN_OK,
 * NEPTUN_INVALID (empty key or form, key already present) or NEPTUN_NOMEM.
 * Start-up only: the catalogs are read without a lock afterwards. */
int locale_catalog_add(struct locale_catalog *cat, const char *key, const char *const *forms, size_t nforms);

#endif
