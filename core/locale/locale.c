/*
 * locale.c - language rules: catalogs, plurals, search folding, slugs and
 * collation, all through ICU.  Dates are in locale_time.c, the PO loader in
 * locale_catalog.c.
 *
 * How the pieces fit:
 *  - locale_init, at start-up, loads locales/<lang>.po for each configured
 *    language and resolves each language's fallback chain to catalog
 *    indices.  The catalogs are read-only afterwards, so every thread reads
 *    them without locks.
 *  - ICU service objects (plural rules, collators, transliterators, date
 *    formats) must not be used by two threads at once.  Each thread opens
 *    its own on first use and keeps them in a _Thread_local cache
 *    (locale_thread.c, which also holds locale_global), freed by
 *    locale_thread_cleanup when the thread ends.
 *
 * Plural forms.  A PO file's msgstr[i] are matched to CLDR plural
 * categories, not evaluated with the gettext "plural=" expression: the
 * categories the language has (ICU uplrules_getKeywords), in the canonical
 * order zero, one, two, few, many, other, take msgstr[0], msgstr[1]... in
 * turn; categories beyond the last form read the last form.  Polish has
 * one, few, many, other and nplurals=3: one -> [0], few -> [1],
 * many -> [2], other (fractions) -> [2].  English and German have one,
 * other: one -> [0], other -> [1].  At run time uplrules_select picks the
 * category of the count, in the language of the catalog that supplies the
 * text (a German page falling back to English text uses English rules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/ustring.h>

#include "locale_internal.h"


/* ---- helpers ---------------------------------------------------------- */

/* UTF-8 to UTF-16, malloc'ed (caller frees), NULL on invalid UTF-8. */
static UChar *utf16_from(const char *s, int32_t *out_len)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = 0;
    UChar *buf;

    if (s == NULL)
        return NULL;
    u_strFromUTF8(NULL, 0, &len, s, -1, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return NULL;   /* ill-formed UTF-8 */
    buf = malloc(((size_t)len + 1) * sizeof(UChar));
    if (buf == NULL)
        return NULL;
    err = U_ZERO_ERROR;
    u_strFromUTF8(buf, len + 1, NULL, s, -1, &err);
    if (U_FAILURE(err)) {
        free(buf);
        return NULL;
    }
    if (out_len != NULL)
        *out_len = len;
    return buf;
}

/* This thread's plural rules for code, opened on first use; NULL on error. */
static UPluralRules *plural_rules(const char *code)
{
    struct locale_thread_lang *slot = locale_thread_lang(code);
    UErrorCode err = U_ZERO_ERROR;

    if (slot == NULL)
        return NULL;
    if (slot->plural == NULL) {
        slot->plural = uplrules_open(code, &err);
        if (U_FAILURE(err)) {
            if (slot->plural != NULL)
                uplrules_close(slot->plural);
            slot->plural = NULL;
        }
    }
    return slot->plural;
}

/* ---- start-up --------------------------------------------------------- */

static int catalog_index(const char *code)
{
    for (size_t i = 0; i < locale_global.ncatalogs; i++)
        if (strcmp(locale_global.catalogs[i].lang, code) == 0)
            return (int)i;
    return -1;
}

static int set_timezone(const char *zone)
{
    UChar canonical[64];
    UBool is_system = 0;
    UErrorCode err = U_ZERO_ERROR;
    int32_t len;

    if (strlen(zone) >= sizeof(locale_global.timezone)) {
        fprintf(stderr, "locale: time zone name too long: \"%s\"\n", zone);
        return NEPTUN_INVALID;
    }
    strcpy(locale_global.timezone, zone);
    u_uastrncpy(locale_global.zone_u, zone, (int32_t)(sizeof(locale_global.zone_u) / sizeof(UChar)));
    locale_global.zone_len = u_strlen(locale_global.zone_u);
    len = ucal_getCanonicalTimeZoneID(locale_global.zone_u, locale_global.zone_len, canonical,
                                      (int32_t)(sizeof(canonical) / sizeof(UChar)), &is_system, &err);
    if (U_FAILURE(err) || len <= 0 || !is_system) {
        fprintf(stderr, "locale: unknown time zone \"%s\"\n", zone);
        return NEPTUN_INVALID;
    }
    return NEPTUN_OK;
}

static int load_language(const char *dir, const char *code)
{
    struct locale_catalog *cat = &locale_global.catalogs[locale_global.ncatalogs];
    char path[4096];
    int rc;

    if (!locale_plausible_lang(code)) {
        fprintf(stderr, "locale: bad language code \"%s\"\n", code);
        return NEPTUN_INVALID;
    }
    if (snprintf(path, sizeof(path), "%s/%s.po", dir, code) >= (int)sizeof(path)) {
        fprintf(stderr, "locale: path too long for %s/%s.po\n", dir, code);
        return NEPTUN_INVALID;
    }
    rc = locale_catalog_load(cat, path, code);
    if (rc != NEPTUN_OK)
        return rc;
    locale_global.ncatalogs++;
    return locale_catalog_map_plurals(cat);
}

/* chain_codes: NULL-terminated, the language itself first. */
static int set_chain(size_t lang, const char *const *chain_codes)
{
    size_t n = 0;
    for (size_t i = 0; chain_codes[i] != NULL && n < CONF_MAX_LANGS; i++) {
        int idx = catalog_index(chain_codes[i]);
        if (idx < 0) {
            fprintf(stderr, "locale: fallback language \"%s\" of \"%s\" is not configured\n",
                    chain_codes[i], locale_global.catalogs[lang].lang);
            return NEPTUN_INVALID;
        }
        locale_global.chain[lang][n++] = idx;
    }
    locale_global.chain[lang][n] = -1;
    return NEPTUN_OK;
}

int locale_init(const char *locales_dir, const char *timezone)
{
    const struct conf *conf = neptun_conf;
    size_t nlangs = conf->nlangs;
    int rc;

    locale_cleanup();
    if (locales_dir == NULL) {
        fprintf(stderr, "locale: no locales directory\n");
        return NEPTUN_ERROR;
    }
    if (timezone == NULL)
        timezone = conf->timezone;
    rc = set_timezone(timezone);
    if (rc != NEPTUN_OK)
        goto out;
    if (nlangs == 0 || nlangs > CONF_MAX_LANGS) {
        fprintf(stderr, "locale: between 1 and %d languages are needed\n", CONF_MAX_LANGS);
        rc = NEPTUN_INVALID;
        goto out;
    }
    for (size_t i = 0; i < nlangs; i++) {
        rc = load_language(locales_dir, conf->langs[i].code);
        if (rc != NEPTUN_OK)
            goto out;
    }
    for (size_t i = 0; i < nlangs; i++) {
        rc = set_chain(i, conf->langs[i].chain);
        if (rc != NEPTUN_OK)
            goto out;
    }
    locale_global.ready = 1;
out:
    if (rc != NEPTUN_OK)
        locale_cleanup();
    return rc == NEPTUN_OK ? NEPTUN_OK : -1;
}

void locale_cleanup(void)
{
    for (size_t i = 0; i < locale_global.ncatalogs; i++)
        locale_catalog_free(&locale_global.catalogs[i]);
    memset(&locale_global, 0, sizeof(locale_global));
    locale_thread_cleanup();
}

/* ---- translations and plurals ----------------------------------------- */

const char *locale_plural(const char *lang, long n)
{
    UPluralRules *rules = plural_rules(lang);
    UChar keyword[16];
    char name[16];
    UErrorCode err = U_ZERO_ERROR;
    int32_t len;

    if (rules == NULL)
        return "other";
    len = uplrules_select(rules, (double)n, keyword, (int32_t)(sizeof(keyword) / sizeof(UChar)), &err);
    if (U_FAILURE(err) || len <= 0 || len >= (int32_t)sizeof(name))
        return "other";
    u_austrncpy(name, keyword, len);
    name[len] = '\0';
    return locale_category_names[locale_category_of(name)];
}

/* The form of entry e (from catalog cat) that serves count n. */
static const char *entry_form(const struct locale_catalog *cat, const struct locale_entry *e, long n)
{
    enum locale_category c;
    int idx;

    if (!e->plural)
        return e->forms[0];
    c = n < 0 ? LOCALE_OTHER : locale_category_of(locale_plural(cat->lang, n));
    idx = cat->form_of[c];
    if (idx < 0)
        idx = cat->form_of[LOCALE_OTHER];
    if (idx < 0 || (size_t)idx >= e->nforms)
        return NULL;
    return e->forms[idx];
}

/* Replace each "{n}" of text with n. */
static const char *substitute_count(struct neptun_pool *pool, const char *text, long n)
{
    char number[24];
    size_t numlen, count = 0, outlen;
    const char *p;
    char *out, *o;

    if (n < 0 || strstr(text, "{n}") == NULL)
        return neptun_pool_strdup(pool, text);
    numlen = (size_t)snprintf(number, sizeof(number), "%ld", n);
    for (p = text; (p = strstr(p, "{n}")) != NULL; p += 3)
        count++;
    outlen = strlen(text) - count * 3 + count * numlen;
    out = neptun_pool_alloc(pool, outlen + 1);
    if (out == NULL)
        return NULL;
    for (o = out, p = text; *p != '\0';) {
        if (strncmp(p, "{n}", 3) == 0) {
            memcpy(o, number, numlen);
            o += numlen;
            p += 3;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

const char *locale_translate(struct neptun_pool *pool, const char *key, const char *lang, long n)
{
    int idx = lang ? catalog_index(lang) : -1;
    const char *text = NULL;

    if (key == NULL)
        return NULL;
    if (locale_global.ready) {
        if (idx < 0)
            idx = 0;   /* an unknown language reads the default one's chain */
        for (const int *c = locale_global.chain[idx]; *c >= 0 && text == NULL; c++) {
            const struct locale_catalog *cat = &locale_global.catalogs[*c];
            const struct locale_entry *e = locale_catalog_find(cat, key);
            const char *form = e ? entry_form(cat, e, n) : NULL;
            if (form != NULL && form[0] != '\0')
                text = form;
        }
    }
    if (text == NULL)
        text = key;
    if (pool == NULL)
        return text;
    return substitute_count(pool, text, n);
}

int locale_add_message(const char *lang, const char *key, const char *const *forms, size_t nforms)
{
    int idx = lang != NULL && locale_global.ready ? catalog_index(lang) : -1;
    if (idx < 0)
        return NEPTUN_NOT_FOUND;
    const struct locale_catalog *cat = &locale_global.catalogs[idx];
    /* A plural entry needs every form the language's catalog uses. */
    if (nforms != 1 && nforms != cat->nplurals)
        return NEPTUN_INVALID;
    return locale_catalog_add(&locale_global.catalogs[idx], key, forms, nforms);
}

size_t locale_plural_forms(const char *lang)
{
    int idx = lang != NULL && locale_global.ready ? catalog_index(lang) : -1;
    return idx < 0 ? 0 : locale_global.catalogs[idx].nplurals;
}

int locale_has_key(const char *key)
{
    for (size_t i = 0; key != NULL && i < locale_global.ncatalogs; i++)
        if (locale_catalog_find(&locale_global.catalogs[i], key) != NULL)
            return 1;
    return 0;
}

/* ---- the catalog check ------------------------------------------------ */

/* A key for messages: "msgid" or "msgid" (context "ctxt"). */
static void print_key(const char *key)
{
    const char *sep = strchr(key, '\004');
    if (sep == NULL)
        fprintf(stderr, "\"%s\"", key);
    else
        fprintf(stderr, "\"%s\" (context \"%.*s\")", sep + 1, (int)(sep - key), key);
}

/* Gaps of one entry against the forms its language needs. */
static int check_entry_forms(const struct locale_catalog *cat, const struct locale_entry *e)
{
    int gaps = 0;
    if (!e->plural) {
        if (e->forms[0][0] == '\0') {
            fprintf(stderr, "%s:%u: ", cat->path, e->line);
            print_key(e->key);
            fprintf(stderr, " is not translated\n");
            gaps++;
        }
        return gaps;
    }
    for (size_t i = 0; i < cat->nplurals; i++) {
        if (i >= e->nforms || e->forms[i][0] == '\0') {
            const char *served = "unused";
            for (int c = 0; c < LOCALE_NCATEGORIES; c++)
                if (cat->form_of[c] == (int)i) {
                    served = locale_category_names[c];
                    break;
                }
            fprintf(stderr, "%s:%u: ", cat->path, e->line);
            print_key(e->key);
            fprintf(stderr, " lacks msgstr[%zu] (plural category %s)\n", i, served);
            gaps++;
        }
    }
    return gaps;
}

int locale_check_catalogs(void)
{
    int gaps = 0;
    const struct locale_global *g = &locale_global;

    if (!g->ready) {
        fprintf(stderr, "locale: no catalogs loaded\n");
        return 1;
    }
    for (size_t i = 0; i < g->ncatalogs; i++) {
        const struct locale_catalog *cat = &g->catalogs[i];
        for (size_t k = 0; k < cat->nentries; k++) {
            const struct locale_entry *e = &cat->entries[k];
            int seen_before = 0;
            gaps += check_entry_forms(cat, e);
            /* Compare each key once: from the first catalog that has it. */
            for (size_t j = 0; j < i && !seen_before; j++)
                seen_before = locale_catalog_find(&g->catalogs[j], e->key) != NULL;
            if (seen_before)
                continue;
            for (size_t j = 0; j < g->ncatalogs; j++) {
                const struct locale_entry *other;
                if (j == i)
                    continue;
                other = locale_catalog_find(&g->catalogs[j], e->key);
                if (other == NULL) {
                    fprintf(stderr, "%s: missing ", g->catalogs[j].path);
                    print_key(e->key);
                    fprintf(stderr, " (%s:%u has it)\n", cat->path, e->line);
                    gaps++;
                } else if (other->plural != e->plural) {
                    fprintf(stderr, "%s:%u: ", g->catalogs[j].path, other->line);
                    print_key(e->key);
                    fprintf(stderr, " %s msgid_plural, unlike %s:%u\n",
                            other->plural ? "has" : "lacks", cat->path, e->line);
                    gaps++;
                }
            }
        }
    }
    return gaps;
}

/* ---- folding, slugs, collation ---------------------------------------- */

static UTransliterator *open_transliterator(UTransliterator **slot, const char *id)
{
    UChar uid[128];
    UErrorCode err = U_ZERO_ERROR;

    if (*slot != NULL)
        return *slot;
    u_uastrncpy(uid, id, (int32_t)(sizeof(uid) / sizeof(UChar)));
    *slot = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &err);
    if (U_FAILURE(err)) {
        if (*slot != NULL)
            utrans_close(*slot);
        *slot = NULL;
    }
    return *slot;
}

/* Run trans over text[0..*len): returns the malloc'ed result (caller
 * frees), NULL on failure.  text is consumed either way. */
static UChar *transliterate(UTransliterator *trans, UChar *text, int32_t *len)
{
    int32_t cap = *len * 2 + 16;
    for (int attempt = 0; attempt < 4 && cap > 0; attempt++, cap *= 4) {
        UErrorCode err = U_ZERO_ERROR;
        UChar *out = malloc((size_t)cap * sizeof(UChar));
        int32_t n = *len, limit = *len;
        if (out == NULL)
            break;
        memcpy(out, text, (size_t)*len * sizeof(UChar));
        utrans_transUChars(trans, out, &n, cap, 0, &limit, &err);
        if (U_SUCCESS(err) && n < cap) {
            free(text);
            *len = n;
            return out;
        }
        free(out);
        if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
            break;
    }
    free(text);
    return NULL;
}

/* Keep letters and digits, turn every other run into one separator;
 * no separator at either end.  Works in place. */
static int32_t squeeze(UChar *s, int32_t len, UChar sep)
{
    int32_t in = 0, out = 0;
    int pending = 0;
    while (in < len) {
        UChar32 c;
        int32_t start = in;
        U16_NEXT(s, in, len, c);
        if (u_isalnum(c)) {
            if (pending && out > 0)
                s[out++] = sep;
            pending = 0;
            for (int32_t k = start; k < in; k++)
                s[out++] = s[k];
        } else {
            pending = 1;
        }
    }
    return out;
}

static int all_ascii(const UChar *s, int32_t len)
{
    for (int32_t i = 0; i < len; i++)
        if (s[i] >= 0x80)
            return 0;
    return 1;
}

char *locale_fold(struct neptun_pool *pool, const char *text)
{
    struct locale_thread *th = locale_thread_get();
    UTransliterator *trans;
    UChar *src = NULL, *folded = NULL;
    int32_t len = 0, flen;
    UErrorCode err = U_ZERO_ERROR;
    char *out = NULL;

    /* Case folding first (ß -> ss, Ł -> ł), then marks off and the
     * remaining Latin letters to ASCII (ł -> l, which has no decomposition;
     * æ -> ae; ø -> o).  Other scripts keep their letters, marks removed.
     * The filter leaves ASCII alone, which halves the time on long bodies. */
    if (th == NULL || text == NULL)
        goto out;
    trans = open_transliterator(&th->fold, "[:^ASCII:]; NFD; [:Nonspacing Mark:] Remove; NFC; Latin-ASCII");
    src = utf16_from(text, &len);
    if (trans == NULL || src == NULL)
        goto out;
    flen = u_strFoldCase(NULL, 0, src, len, U_FOLD_CASE_DEFAULT, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        goto out;
    folded = malloc(((size_t)flen + 1) * sizeof(UChar));
    if (folded == NULL)
        goto out;
    err = U_ZERO_ERROR;
    u_strFoldCase(folded, flen + 1, src, len, U_FOLD_CASE_DEFAULT, &err);
    if (U_FAILURE(err))
        goto out;
    if (!all_ascii(folded, flen)) {
        folded = transliterate(trans, folded, &flen);
        if (folded == NULL)
            goto out;
    }
    flen = squeeze(folded, flen, ' ');
    out = locale_utf8_to_pool(pool, folded, flen);
out:
    free(src);
    free(folded);
    return out;
}

#define SLUG_MAX 80

char *locale_slugify(struct neptun_pool *pool, const char *title)
{
    struct locale_thread *th = locale_thread_get();
    UTransliterator *trans;
    UChar *text = NULL;
    int32_t len = 0;
    char *slug = NULL, *out = NULL;
    size_t n;

    if (th == NULL || title == NULL)
        goto out;
    trans = open_transliterator(&th->slug, "Any-Latin; Latin-ASCII; Lower");
    text = utf16_from(title, &len);
    if (trans == NULL || text == NULL)
        goto out;
    text = transliterate(trans, text, &len);
    if (text == NULL)
        goto out;
    len = squeeze(text, len, '-');
    slug = locale_utf8_to_pool(pool, text, len);
    if (slug == NULL)
        goto out;
    /* Only ASCII letters and digits may stay (a letter of a script ICU
     * cannot write in Latin is dropped). */
    n = 0;
    for (const char *p = slug; *p != '\0'; p++) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
        if (keep)
            slug[n++] = *p;
        else if (n > 0 && slug[n - 1] != '-')
            slug[n++] = '-';
    }
    slug[n] = '\0';
    if (n > SLUG_MAX) {
        /* Cut at the last word boundary when one is near enough. */
        int mid_word = slug[SLUG_MAX] != '-' && slug[SLUG_MAX - 1] != '-';
        char *dash;
        slug[SLUG_MAX] = '\0';
        dash = strrchr(slug, '-');
        if (mid_word && dash != NULL && dash - slug >= SLUG_MAX / 2)
            *dash = '\0';
        n = strlen(slug);
    }
    while (n > 0 && slug[n - 1] == '-')
        slug[--n] = '\0';
    if (n > 0)
        out = slug;
out:
    free(text);
    return out;
}

int locale_collate(const char *lang, const char *a, const char *b)
{
    struct locale_thread_lang *slot = locale_thread_lang(lang);
    UErrorCode err = U_ZERO_ERROR;
    UCollationResult r;

    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    if (slot != NULL && slot->collator == NULL) {
        slot->collator = ucol_open(lang, &err);
        if (U_FAILURE(err)) {
            if (slot->collator != NULL)
                ucol_close(slot->collator);
            slot->collator = NULL;
        }
        err = U_ZERO_ERROR;
    }
    if (slot == NULL || slot->collator == NULL)
        return strcmp(a, b);
    r = ucol_strcollUTF8(slot->collator, a, -1, b, -1, &err);
    if (U_FAILURE(err))
        return strcmp(a, b);
    return r == UCOL_LESS ? -1 : r == UCOL_GREATER ? 1 : 0;
}
