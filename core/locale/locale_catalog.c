/*
 * locale_catalog.c - the gettext PO loader behind locale_translate().
 *
 * Accepted syntax (the subset of GNU gettext PO that translators use):
 * '#' comment lines (a "#, fuzzy" flag drops the entry, as msgfmt does;
 * "#~" obsolete entries are comments), optional msgctxt, msgid, optional
 * msgid_plural, then msgstr or msgstr[0], msgstr[1]... in order.  Each
 * keyword is followed by one or more quoted strings; lines holding only
 * quoted strings continue the previous one.  C escapes: \n \t \r \a \b \f \v \\
 * \" \' \? \ooo \xhh.  Text must be well-formed UTF-8 (utf8_valid, the
 * core's one check).  The header entry (msgid "") is read only for
 * "Plural-Forms: nplurals=N;" (the plural expression is ignored: ICU's CLDR
 * rules choose the form, see locale_catalog_map_plurals).
 *
 * Everything a catalog holds lives in its own pool, so freeing the catalog
 * is one call; the entry array is sorted by key for binary search.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locale_internal.h"
#include "utf8.h"

#define PO_MAX_BYTES (4u << 20)  /* a catalog is small; refuse anything huge */
#define PO_MAX_FORMS 6           /* CLDR has at most six categories */

const char *const locale_category_names[LOCALE_NCATEGORIES] = {
    "zero", "one", "two", "few", "many", "other"
};

enum locale_category locale_category_of(const char *name)
{
    for (int c = 0; c < LOCALE_NCATEGORIES; c++)
        if (name != NULL && strcmp(name, locale_category_names[c]) == 0)
            return (enum locale_category)c;
    return LOCALE_OTHER;
}

/* The entry being read. */
struct po_entry {
    char *ctxt, *id, *id_plural;
    char *str[PO_MAX_FORMS];
    size_t nstr;
    int has_plain_str;
    int fuzzy;
    unsigned line;
};

/* Where the next continuation string goes. */
enum po_target { PO_NONE, PO_CTXT, PO_ID, PO_ID_PLURAL, PO_STR };

struct po_parser {
    struct locale_catalog *cat;
    const char *path;
    unsigned line;
    struct po_entry cur;
    enum po_target target;
    size_t target_form;
    size_t cap;           /* of cat->entries */
};

static int po_error(struct po_parser *p, const char *fmt, ...) NEPTUN_PRINTF(2, 3);

static int po_error(struct po_parser *p, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%u: ", p->path, p->line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return NEPTUN_INVALID;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode the quoted string at *s (pointing at '"'); trailing blanks and a
 * comment may follow.  The result is pool-owned in *out. */
static int po_read_string(struct po_parser *p, const char *s, char **out)
{
    size_t n = strlen(s);
    char *buf = neptun_pool_alloc(p->cat->pool, n + 1);
    size_t o = 0;
    if (buf == NULL)
        return po_error(p, "out of memory");
    if (*s != '"')
        return po_error(p, "expected a quoted string");
    s++;
    for (;;) {
        char c = *s++;
        if (c == '\0')
            return po_error(p, "unterminated string");
        if (c == '"') {
            /* "a" "b" on one line are one string, as in C. */
            while (*s == ' ' || *s == '\t')
                s++;
            if (*s != '"')
                break;
            s++;
            continue;
        }
        if (c != '\\') {
            buf[o++] = c;
            continue;
        }
        c = *s++;
        switch (c) {
        case 'n': buf[o++] = '\n'; break;
        case 't': buf[o++] = '\t'; break;
        case 'r': buf[o++] = '\r'; break;
        case 'a': buf[o++] = '\a'; break;
        case 'b': buf[o++] = '\b'; break;
        case 'f': buf[o++] = '\f'; break;
        case 'v': buf[o++] = '\v'; break;
        case '\\': case '"': case '\'': case '?': buf[o++] = c; break;
        case 'x': {
            int v = 0, digits = 0, h;
            while (digits < 2 && (h = hex_value(*s)) >= 0) {
                v = v * 16 + h;
                s++;
                digits++;
            }
            if (digits == 0)
                return po_error(p, "\\x without hex digits");
            if (v == 0)
                return po_error(p, "NUL byte in string");
            buf[o++] = (char)v;
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                int v = c - '0', digits = 1;
                while (digits < 3 && *s >= '0' && *s <= '7') {
                    v = v * 8 + (*s++ - '0');
                    digits++;
                }
                if (v == 0 || v > 255)
                    return po_error(p, "bad octal escape");
                buf[o++] = (char)v;
                break;
            }
            return po_error(p, "unknown escape \\%c", c ? c : '0');
        }
    }
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    if (*s != '\0' && *s != '#')
        return po_error(p, "unexpected text after the string");
    buf[o] = '\0';
    if (!utf8_valid(buf, o))
        return po_error(p, "string is not valid UTF-8");
    *out = buf;
    return NEPTUN_OK;
}

/* Append src to *dst (both pool strings). */
static int po_append(struct po_parser *p, char **dst, const char *src)
{
    char *joined = neptun_pool_printf(p->cat->pool, "%s%s", *dst ? *dst : "", src);
    if (joined == NULL)
        return po_error(p, "out of memory");
    *dst = joined;
    return NEPTUN_OK;
}

/* "nplurals=N" from the header's Plural-Forms line. */
static int po_read_header(struct po_parser *p, const char *header)
{
    const char *pf = strstr(header, "Plural-Forms:");
    const char *np;
    char *end;
    long n;
    if (pf == NULL)
        return NEPTUN_OK;
    np = strstr(pf, "nplurals=");
    if (np == NULL)
        return po_error(p, "Plural-Forms without nplurals");
    errno = 0;
    n = strtol(np + strlen("nplurals="), &end, 10);
    if (errno != 0 || end == np + strlen("nplurals=") || n < 1 || n > PO_MAX_FORMS)
        return po_error(p, "nplurals must be 1 to %d", PO_MAX_FORMS);
    p->cat->header_nplurals = (int)n;
    return NEPTUN_OK;
}

static int po_finish_entry(struct po_parser *p)
{
    struct po_entry *e = &p->cur;
    struct locale_entry *out;
    int rc = NEPTUN_OK;

    if (e->id == NULL) {
        if (e->ctxt != NULL || e->nstr > 0 || e->has_plain_str)
            rc = po_error(p, "entry without msgid");
        goto out;
    }
    if (!e->has_plain_str && e->nstr == 0) {
        rc = po_error(p, "msgid \"%s\" has no msgstr", e->id);
        goto out;
    }
    if (e->id_plural != NULL && e->has_plain_str) {
        rc = po_error(p, "msgid \"%s\" has msgid_plural: use msgstr[N]", e->id);
        goto out;
    }
    if (e->id_plural == NULL && e->nstr > 0) {
        rc = po_error(p, "msgid \"%s\" has msgstr[N] without msgid_plural", e->id);
        goto out;
    }
    if (e->id[0] == '\0' && e->ctxt == NULL) {
        rc = po_read_header(p, e->str[0] ? e->str[0] : "");
        goto out;
    }
    if (e->fuzzy)
        goto out;
    if (p->cat->nentries == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct locale_entry *grown = realloc(p->cat->entries, cap * sizeof(*grown));
        if (grown == NULL) {
            rc = po_error(p, "out of memory");
            goto out;
        }
        p->cat->entries = grown;
        p->cap = cap;
    }
    out = &p->cat->entries[p->cat->nentries];
    memset(out, 0, sizeof(*out));
    out->key = e->ctxt ? neptun_pool_printf(p->cat->pool, "%s\004%s", e->ctxt, e->id) : e->id;
    out->nforms = e->id_plural ? e->nstr : 1;
    out->forms = neptun_pool_calloc(p->cat->pool, out->nforms, sizeof(*out->forms));
    if (out->key == NULL || out->forms == NULL) {
        rc = po_error(p, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < out->nforms; i++)
        out->forms[i] = e->str[i];
    out->plural = e->id_plural != NULL;
    out->line = e->line;
    p->cat->nentries++;
out:
    memset(e, 0, sizeof(*e));
    p->target = PO_NONE;
    return rc;
}

/* A keyword line: "msgid \"...\"" and friends. */
static int po_keyword(struct po_parser *p, const char *line)
{
    struct po_entry *e = &p->cur;
    const char *rest;
    char *text = NULL;
    int rc;
    size_t form = 0;
    enum po_target target;

    if (strncmp(line, "msgctxt", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
        target = PO_CTXT;
        rest = line + 7;
    } else if (strncmp(line, "msgid_plural", 12) == 0 && (line[12] == ' ' || line[12] == '\t')) {
        target = PO_ID_PLURAL;
        rest = line + 12;
    } else if (strncmp(line, "msgid", 5) == 0 && (line[5] == ' ' || line[5] == '\t')) {
        target = PO_ID;
        rest = line + 5;
    } else if (strncmp(line, "msgstr[", 7) == 0) {
        char *end;
        long idx;
        errno = 0;
        idx = strtol(line + 7, &end, 10);
        if (errno != 0 || end == line + 7 || *end != ']' || idx < 0 || idx >= PO_MAX_FORMS)
            return po_error(p, "bad msgstr index (0 to %d)", PO_MAX_FORMS - 1);
        target = PO_STR;
        form = (size_t)idx;
        rest = end + 1;
    } else if (strncmp(line, "msgstr", 6) == 0 && (line[6] == ' ' || line[6] == '\t')) {
        target = PO_STR;
        rest = line + 6;
    } else {
        return po_error(p, "unknown keyword");
    }
    while (*rest == ' ' || *rest == '\t')
        rest++;
    rc = po_read_string(p, rest, &text);
    if (rc != NEPTUN_OK)
        return rc;

    /* A msgctxt or msgid after a msgstr starts the next entry. */
    if ((target == PO_CTXT || target == PO_ID) && (e->has_plain_str || e->nstr > 0)) {
        rc = po_finish_entry(p);
        if (rc != NEPTUN_OK)
            return rc;
    }
    switch (target) {
    case PO_CTXT:
        if (e->ctxt != NULL || e->id != NULL)
            return po_error(p, "msgctxt must come first, once");
        e->ctxt = text;
        e->line = p->line;
        break;
    case PO_ID:
        if (e->id != NULL)
            return po_error(p, "second msgid without msgstr");
        e->id = text;
        if (e->ctxt == NULL)
            e->line = p->line;
        break;
    case PO_ID_PLURAL:
        if (e->id == NULL || e->id_plural != NULL || e->nstr > 0 || e->has_plain_str)
            return po_error(p, "msgid_plural must follow msgid");
        e->id_plural = text;
        break;
    case PO_STR:
        if (e->id == NULL)
            return po_error(p, "msgstr without msgid");
        if (strncmp(line, "msgstr[", 7) == 0) {
            if (form != e->nstr)
                return po_error(p, "expected msgstr[%zu]", e->nstr);
            e->str[e->nstr++] = text;
        } else {
            if (e->has_plain_str || e->nstr > 0)
                return po_error(p, "second msgstr");
            e->has_plain_str = 1;
            e->str[0] = text;
        }
        break;
    case PO_NONE:
        break;
    }
    p->target = target;
    p->target_form = target == PO_STR && e->nstr > 0 ? e->nstr - 1 : 0;
    return NEPTUN_OK;
}

static int po_continuation(struct po_parser *p, const char *line)
{
    struct po_entry *e = &p->cur;
    char *text = NULL;
    int rc = po_read_string(p, line, &text);
    if (rc != NEPTUN_OK)
        return rc;
    switch (p->target) {
    case PO_CTXT: return po_append(p, &e->ctxt, text);
    case PO_ID: return po_append(p, &e->id, text);
    case PO_ID_PLURAL: return po_append(p, &e->id_plural, text);
    case PO_STR: return po_append(p, &e->str[p->target_form], text);
    case PO_NONE: break;
    }
    return po_error(p, "string outside an entry");
}

static int po_comment(struct po_parser *p, const char *line)
{
    /* A comment after a msgstr closes that entry; "#, fuzzy" flags the next. */
    if (p->cur.has_plain_str || p->cur.nstr > 0) {
        int rc = po_finish_entry(p);
        if (rc != NEPTUN_OK)
            return rc;
    }
    if (line[1] == ',' && strstr(line, "fuzzy") != NULL)
        p->cur.fuzzy = 1;
    p->target = PO_NONE;
    return NEPTUN_OK;
}

static int compare_entries(const void *a, const void *b)
{
    return strcmp(((const struct locale_entry *)a)->key, ((const struct locale_entry *)b)->key);
}

static int read_file(const char *path, char **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    int rc = NEPTUN_ERROR;

    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        goto out;
    }
    buf = malloc(PO_MAX_BYTES + 1);
    if (buf == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        goto out;
    }
    len = fread(buf, 1, PO_MAX_BYTES + 1, f);
    if (ferror(f)) {
        fprintf(stderr, "%s: read error\n", path);
        goto out;
    }
    if (len > PO_MAX_BYTES) {
        fprintf(stderr, "%s: larger than %u bytes\n", path, PO_MAX_BYTES);
        goto out;
    }
    if (memchr(buf, '\0', len) != NULL) {
        fprintf(stderr, "%s: NUL byte in a text file\n", path);
        goto out;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
    rc = NEPTUN_OK;
out:
    free(buf);
    if (f != NULL)
        fclose(f);
    return rc;
}

int locale_catalog_load(struct locale_catalog *cat, const char *path, const char *lang)
{
    struct po_parser p;
    char *text = NULL, *line, *next;
    size_t len = 0;
    int rc = NEPTUN_ERROR;

    memset(cat, 0, sizeof(*cat));
    memset(&p, 0, sizeof(p));
    if (strlen(lang) >= sizeof(cat->lang)) {
        fprintf(stderr, "%s: language code too long\n", path);
        return NEPTUN_INVALID;
    }
    strcpy(cat->lang, lang);
    cat->pool = neptun_pool_new(16384);
    if (cat->pool == NULL || (cat->path = neptun_pool_strdup(cat->pool, path)) == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        goto out;
    }
    rc = read_file(path, &text, &len);
    if (rc != NEPTUN_OK)
        goto out;
    p.cat = cat;
    p.path = cat->path;

    line = text;
    if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;   /* a byte order mark some editors write */
    for (; line != NULL; line = next) {
        const char *s = line;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        p.line++;
        while (*s == ' ' || *s == '\t' || *s == '\r')
            s++;
        if (*s == '\0')
            rc = NEPTUN_OK;
        else if (*s == '#')
            rc = po_comment(&p, s);
        else if (*s == '"')
            rc = po_continuation(&p, s);
        else
            rc = po_keyword(&p, s);
        if (rc != NEPTUN_OK)
            goto out;
    }
    rc = po_finish_entry(&p);
    if (rc != NEPTUN_OK)
        goto out;

    if (cat->nentries > 0)
        qsort(cat->entries, cat->nentries, sizeof(*cat->entries), compare_entries);
    for (size_t i = 1; i < cat->nentries; i++) {
        if (strcmp(cat->entries[i - 1].key, cat->entries[i].key) == 0) {
            p.line = cat->entries[i].line;
            rc = po_error(&p, "duplicate msgid \"%s\" (first at line %u)", cat->entries[i].key,
                          cat->entries[i - 1].line);
            goto out;
        }
    }
    rc = NEPTUN_OK;
out:
    free(text);
    if (rc != NEPTUN_OK)
        locale_catalog_free(cat);
    return rc;
}

/*
 * CLDR categories to msgstr forms.  ICU lists the categories the language
 * has; taken in the canonical order zero, one, two, few, many, other, the
 * k-th of them reads msgstr[k].  Categories past the last form (for Polish,
 * with nplurals=3 over one, few, many, other: "other") read the last form.
 */
int locale_catalog_map_plurals(struct locale_catalog *cat)
{
    UErrorCode err = U_ZERO_ERROR;
    UPluralRules *rules = uplrules_open(cat->lang, &err);
    UEnumeration *keywords = NULL;
    int present[LOCALE_NCATEGORIES] = {0};
    int count = 0, rc = NEPTUN_ERROR;
    const char *kw;

    if (U_FAILURE(err)) {
        fprintf(stderr, "%s: no ICU plural rules for \"%s\": %s\n", cat->path, cat->lang,
                u_errorName(err));
        goto out;
    }
    keywords = uplrules_getKeywords(rules, &err);
    while (U_SUCCESS(err) && (kw = uenum_next(keywords, NULL, &err)) != NULL)
        present[locale_category_of(kw)] = 1;
    if (U_FAILURE(err)) {
        fprintf(stderr, "%s: ICU plural categories: %s\n", cat->path, u_errorName(err));
        goto out;
    }
    present[LOCALE_OTHER] = 1;   /* CLDR: every language has "other" */
    for (int c = 0; c < LOCALE_NCATEGORIES; c++)
        count += present[c];
    cat->nplurals = cat->header_nplurals > 0 ? (size_t)cat->header_nplurals : (size_t)count;
    for (int c = 0, k = 0; c < LOCALE_NCATEGORIES; c++) {
        if (!present[c]) {
            cat->form_of[c] = -1;
            continue;
        }
        cat->form_of[c] = k < (int)cat->nplurals ? k : (int)cat->nplurals - 1;
        k++;
    }
    rc = NEPTUN_OK;
out:
    if (keywords != NULL)
        uenum_close(keywords);
    if (rules != NULL)
        uplrules_close(rules);
    return rc;
}

void locale_catalog_free(struct locale_catalog *cat)
{
    free(cat->entries);
    if (cat->pool != NULL)
        neptun_pool_free(cat->pool);
    memset(cat, 0, sizeof(*cat));
}

const struct locale_entry *locale_catalog_find(const struct locale_catalog *cat, const char *key)
{
    struct locale_entry probe = { .key = key };
    if (cat->nentries == 0 || key == NULL)
        return NULL;
    return bsearch(&probe, cat->entries, cat->nentries, sizeof(*cat->entries), compare_entries);
}

int locale_catalog_add(struct locale_catalog *cat, const char *key, const char *const *forms, size_t nforms)
{
    struct locale_entry e = { .key = NULL, .forms = NULL, .nforms = nforms, .plural = nforms > 1, .line = 0 };
    size_t at = 0;

    if (cat->pool == NULL || key == NULL || key[0] == '\0' || forms == NULL || nforms == 0)
        return NEPTUN_INVALID;
    if (locale_catalog_find(cat, key) != NULL)
        return NEPTUN_INVALID;
    e.key = neptun_pool_strdup(cat->pool, key);
    e.forms = neptun_pool_calloc(cat->pool, nforms, sizeof(*e.forms));
    if (e.key == NULL || e.forms == NULL)
        return NEPTUN_NOMEM;
    for (size_t i = 0; i < nforms; i++) {
        if (forms[i] == NULL)
            return NEPTUN_INVALID;
        e.forms[i] = neptun_pool_strdup(cat->pool, forms[i]);
        if (e.forms[i] == NULL)
            return NEPTUN_NOMEM;
    }
    struct locale_entry *grown = realloc(cat->entries, (cat->nentries + 1) * sizeof(*grown));
    if (grown == NULL)
        return NEPTUN_NOMEM;
    cat->entries = grown;
    /* Keep the array sorted for bsearch: insert before the first larger key. */
    while (at < cat->nentries && strcmp(cat->entries[at].key, key) < 0)
        at++;
    memmove(&cat->entries[at + 1], &cat->entries[at], (cat->nentries - at) * sizeof(*cat->entries));
    cat->entries[at] = e;
    cat->nentries++;
    return NEPTUN_OK;
}
