/*
 * gen_items.c - fill a store with N synthetic items for the scale benchmark.
 *
 *   gen_items -c conf/neptun.conf --plugin-dir build/plugins --db /tmp/s.db -n 100000
 *
 * The shipped sample content is parsed through the real import path
 * (schema, validation, the type's index()) and used as templates: each
 * generated item takes a template's links and type fields, with the dated
 * fields (event sessions, forum meetings) moved to a random start spread
 * over 2005-2030, and gets new text in pl/en/de made of sentences drawn from
 * a skewed vocabulary (so the full-text index has common, medium and rare
 * words), two to five tags from a skewed tag set, a status mix with some
 * drafts and scheduled items, and publication dates over fifteen years.
 * Items go in through store_put_many() in large transactions.  The output is
 * deterministic for a given --seed.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "conf.h"
#include "errors.h"
#include "content.h"
#include "locale.h"
#include "log.h"
#include "plugin.h"
#include "store.h"

#define TEMPLATES_MAX 32
#define YEAR 31556952LL
#define T_2005 1104537600LL /* 2005-01-01 */
#define T_2010 1262304000LL /* 2010-01-01 */

/* ---- deterministic randomness ----------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* Any seed gives a non-zero xorshift state (splitmix64 finaliser). */
static void rng_seed(uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    rng_state = (z ^ (z >> 31)) | 1;
}

static uint64_t rng_next(void)
{
    uint64_t x = rng_state; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static size_t rng_below(size_t n)
{
    return n ? (size_t)(rng_next() % n) : 0;
}

/* Skewed pick in [0, n): low indexes far more often (roughly Zipf-like),
 * as real text uses a few words a lot and most words rarely. */
static size_t rng_skewed(size_t n)
{
    double u = (double)(rng_next() >> 11) / 9007199254740992.0;
    size_t i = (size_t)((double)n * u * u * u);
    return i < n ? i : n - 1;
}

/* ---- vocabulary ------------------------------------------------------- */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const words_pl[] = {
    "integracja", "migracja", "miasto", "spotkanie", "mieszkańcy", "imigranci", "współpraca",
    "rozmowa", "społeczność", "kultura", "edukacja", "praca", "urząd", "język", "szkoła",
    "rodzina", "dzieci", "zdrowie", "mieszkanie", "sąsiedztwo", "wolontariat", "dialog",
    "bezpieczeństwo", "solidarność", "różnorodność", "równość", "uchodźcy", "obywatelstwo",
    "organizacje", "pozarządowe", "samorząd", "metropolia", "województwo", "pomorskie",
    "warsztaty", "konferencja", "debata", "seminarium", "szkolenie", "festiwal", "koncert",
    "wystawa", "projekt", "program", "rekomendacje", "zespół", "tematyczny", "model",
    "polityka", "lokalna", "zarządzanie", "wsparcie", "pomoc", "doradztwo", "prawne",
    "tłumaczenie", "ukraińskiej", "białoruskiej", "gruzińskiej", "wietnamskiej", "czeczeńskiej",
    "kobiety", "młodzież", "seniorzy", "przedsiębiorcy", "pracodawcy", "nauczyciele",
    "biblioteka", "dzielnica", "Wrzeszcz", "Oliwa", "Przymorze", "Zaspa", "Śródmieście",
    "przestrzeń", "publiczna", "wspólnota", "tożsamość", "pamięć", "historia", "przyszłość",
    "źródła", "gościnność", "życzliwość", "ślad", "zaświadczenie", "świetlica", "żłobek",
    "ogłoszenie", "zaproszenie", "rejestracja", "bezpłatny", "udział", "uczestnicy",
    "prelegenci", "moderator", "panel", "sesja", "podsumowanie", "raport", "badanie",
};

static const char *const words_en[] = {
    "integration", "migration", "city", "meeting", "residents", "immigrants", "cooperation",
    "conversation", "community", "culture", "education", "work", "office", "language",
    "school", "family", "children", "health", "housing", "neighbourhood", "volunteering",
    "dialogue", "security", "solidarity", "diversity", "equality", "refugees", "citizenship",
    "organisations", "non-governmental", "municipality", "metropolis", "voivodeship",
    "Pomeranian", "workshop", "conference", "debate", "seminar", "training", "festival",
    "concert", "exhibition", "project", "programme", "recommendations", "team", "thematic",
    "model", "policy", "local", "management", "support", "assistance", "counselling", "legal",
    "translation", "Ukrainian", "Belarusian", "Georgian", "Vietnamese", "Chechen", "women",
    "youth", "seniors", "entrepreneurs", "employers", "teachers", "library", "district",
    "public", "space", "belonging", "identity", "memory", "history", "future", "hospitality",
    "kindness", "certificate", "nursery", "announcement", "invitation", "registration", "free",
    "participation", "participants", "speakers", "moderator", "panel", "session", "summary",
    "report", "survey", "welcome", "newcomers", "neighbours", "partnership", "network",
};

static const char *const words_de[] = {
    "Integration", "Migration", "Stadt", "Treffen", "Einwohner", "Zuwanderer",
    "Zusammenarbeit", "Gespräch", "Gemeinschaft", "Kultur", "Bildung", "Arbeit", "Behörde",
    "Sprache", "Schule", "Familie", "Kinder", "Gesundheit", "Wohnung", "Nachbarschaft",
    "Ehrenamt", "Dialog", "Sicherheit", "Solidarität", "Vielfalt", "Gleichheit", "Geflüchtete",
    "Staatsbürgerschaft", "Organisationen", "Selbstverwaltung", "Metropole", "Woiwodschaft",
    "pommersche", "Werkstatt", "Konferenz", "Diskussion", "Seminar", "Schulung", "Festival",
    "Konzert", "Ausstellung", "Projekt", "Programm", "Empfehlungen", "Arbeitsgruppe",
    "thematische", "Modell", "Politik", "lokale", "Steuerung", "Unterstützung", "Hilfe",
    "Beratung", "rechtliche", "Übersetzung", "ukrainische", "belarussische", "georgische",
    "vietnamesische", "Frauen", "Jugendliche", "Senioren", "Unternehmer", "Arbeitgeber",
    "Lehrkräfte", "Bibliothek", "Stadtteil", "öffentlicher", "Raum", "Zugehörigkeit",
    "Identität", "Erinnerung", "Geschichte", "Zukunft", "Gastfreundschaft", "Bescheinigung",
    "Kindergarten", "Bekanntmachung", "Einladung", "Anmeldung", "kostenlos", "Teilnahme",
    "Teilnehmende", "Referentinnen", "Moderation", "Podium", "Sitzung", "Zusammenfassung",
    "Bericht", "Umfrage", "Willkommen", "Neuankömmlinge", "Nachbarn", "Partnerschaft",
    "Netzwerk", "Straße", "Größe", "Begegnung", "Mitbürger",
};

static const char *const cities[] = {
    "Gdańsk", "Gdynia", "Sopot", "Warszawa", "Kraków", "Wrocław", "Poznań", "Łódź", "Toruń",
    "Bydgoszcz", "Słupsk", "Elbląg", "Malbork", "Kościerzyna", "Berlin", "Hamburg", "München",
    "Köln", "Bremen", "Rostock", "Lübeck", "Göteborg", "Kalmar", "Vilnius", "Rīga", "Tartu",
    "Lwów", "Charków", "Tbilisi", "Hamtramck",
};

static const char *const kinds_pl[] = { "Forum", "Konferencja", "Warsztaty", "Spotkanie",
                                        "Debata", "Kampania", "Festiwal", "Szkolenie" };
static const char *const kinds_en[] = { "Forum", "Conference", "Workshop", "Meeting",
                                        "Debate", "Campaign", "Festival", "Training" };
static const char *const kinds_de[] = { "Forum", "Konferenz", "Werkstatt", "Treffen",
                                        "Debatte", "Kampagne", "Festival", "Schulung" };

static const char *const tags[] = {
    "integration", "migration", "conference", "workshop", "forum", "campaign", "education",
    "culture", "housing", "health", "work", "language", "children", "youth", "women",
    "seniors", "security", "refugees", "ukraine", "belarus", "georgia", "vietnam", "volunteers",
    "ngo", "city-council", "metropolis", "pomerania", "recommendations", "research", "report",
    "festival", "concert", "exhibition", "library", "school", "neighbourhood", "dialogue",
    "diversity", "equality", "citizenship", "employment", "business", "legal-aid",
    "translation", "sport", "media", "history", "memory", "solidarity", "partnership",
    "network", "eu-funds", "europe-for-citizens", "immigrants-integration-model", "archive",
    "press", "call-for-papers", "volunteering", "family", "nursery",
};

struct lang_words {
    const char *lang;
    const char *const *words;
    size_t nwords;
    const char *const *kinds;
};

static const struct lang_words langs[] = {
    { "pl", words_pl, N_OF(words_pl), kinds_pl },
    { "en", words_en, N_OF(words_en), kinds_en },
    { "de", words_de, N_OF(words_de), kinds_de },
};

/* ---- text ------------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
};

static int buf_add(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap : 512);
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
    return 0;
}

/* Proper names (people, organisations, streets): 40^3 of them, drawn with
 * the same skew, give the index the long tail of rare words real text has,
 * so a search for a name finds a handful of items, not a tenth of them. */
static const char *const syllables[] = {
    "ko", "wal", "ski", "now", "ak", "mar", "zen", "ber", "gon", "li", "sza", "rek",
    "dor", "wi", "cka", "tom", "las", "mi", "ra", "bie", "żyń", "ło", "szek", "ha",
    "nik", "sel", "brun", "ow", "ta", "gród", "vik", "ström", "er", "ich", "dal", "ow",
    "ląd", "mann", "berg", "ert",
};

static void make_name(char *out, size_t size)
{
    size_t n = N_OF(syllables), k = rng_skewed(n * n * n);
    snprintf(out, size, "%s%s%s", syllables[k % n], syllables[k / n % n], syllables[k / n / n]);
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
}

/* One sentence of 6 to 14 words, the first capitalised when ASCII, a city
 * or a name now and then; words never need escaping (no <, &). */
static int add_sentence(struct buf *b, const struct lang_words *lw)
{
    size_t n = 6 + rng_below(9);
    char name[32];
    for (size_t i = 0; i < n; i++) {
        size_t pick = i > 0 ? rng_below(12) : 11;
        const char *w = pick == 0 ? cities[rng_skewed(N_OF(cities))]
                      : pick <= 2 ? (make_name(name, sizeof(name)), name)
                      : lw->words[rng_skewed(lw->nwords)];
        if (i > 0 && buf_add(b, " ") != 0)
            return -1;
        if (i == 0 && w[0] >= 'a' && w[0] <= 'z') {
            char first[2] = { (char)(w[0] - 'a' + 'A'), '\0' };
            if (buf_add(b, first) != 0 || buf_add(b, w + 1) != 0)
                return -1;
        } else if (buf_add(b, w) != 0) {
            return -1;
        }
    }
    return buf_add(b, ".");
}

/* Title, summary and an XHTML body in one language, copied into pool. */
static int make_text(struct neptun_pool *pool, const struct lang_words *lw, int year,
                     size_t serial, struct neptun_text *out)
{
    struct buf b = { NULL, 0, 0 };
    int ret = -1;
    char tail[64];

    out->lang = lw->lang;
    /* title: kind, two to four words, a city and the year */
    if (buf_add(&b, lw->kinds[rng_below(8)]) != 0)
        goto out;
    for (size_t i = 0, n = 2 + rng_below(3); i < n; i++)
        if (buf_add(&b, " ") != 0 || buf_add(&b, lw->words[rng_skewed(lw->nwords)]) != 0)
            goto out;
    snprintf(tail, sizeof(tail), " – %s %d (%zu)", cities[rng_skewed(N_OF(cities))], year,
             serial);
    if (buf_add(&b, tail) != 0 || (out->title = neptun_pool_strdup(pool, b.p)) == NULL)
        goto out;

    b.len = 0;
    b.p[0] = '\0';
    for (size_t i = 0, n = 1 + rng_below(2); i < n; i++)
        if ((i > 0 && buf_add(&b, " ") != 0) || add_sentence(&b, lw) != 0)
            goto out;
    if ((out->summary = neptun_pool_strdup(pool, b.p)) == NULL)
        goto out;

    b.len = 0;
    b.p[0] = '\0';
    if (buf_add(&b, "<div xmlns=\"http://www.w3.org/1999/xhtml\">") != 0)
        goto out;
    for (size_t p = 0, np = 1 + rng_below(3); p < np; p++) {
        if (buf_add(&b, p == 1 ? "<p><strong>" : "<p>") != 0)
            goto out;
        for (size_t i = 0, n = 1 + rng_below(3); i < n; i++) {
            if ((i > 0 && buf_add(&b, " ") != 0) || add_sentence(&b, lw) != 0)
                goto out;
            if (p == 1 && i == 0 && buf_add(&b, "</strong>") != 0)
                goto out;
        }
        if (buf_add(&b, "</p>") != 0)
            goto out;
    }
    if (buf_add(&b, "</div>") != 0 || (out->body = neptun_pool_strdup(pool, b.p)) == NULL)
        goto out;
    ret = 0;
out:
    free(b.p);
    return ret;
}

/* ---- templates -------------------------------------------------------- */

struct template {
    const struct itemdoc *doc;
    const struct neptun_type *type;
    xmlDocPtr fields;     /* parsed fields_xml; dated attributes rewritten per item */
    int64_t first_start;  /* index().starts_at of the template */
};

struct generator {
    struct template t[TEMPLATES_MAX];
    size_t nt;
    struct neptun_pool *pool; /* templates live here */
};

static char *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    if (f == NULL)
        goto fail;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto fail;
    if ((buf = malloc((size_t)size + 1)) == NULL ||
        fread(buf, 1, (size_t)size, f) != (size_t)size)
        goto fail;
    buf[size] = '\0';
    *len = (size_t)size;
    fclose(f);
    return buf;
fail:
    fprintf(stderr, "gen_items: %s: %s\n", path, strerror(errno));
    free(buf);
    if (f != NULL)
        fclose(f);
    return NULL;
}

static int add_template_file(struct generator *g, const char *path)
{
    struct neptun_errors errs;
    struct itemdoc *docs = NULL;
    size_t len = 0, n = 0;
    int ret = -1;
    char *buf = read_whole(path, &len);
    if (buf == NULL)
        return -1;
    errors_init(&errs, g->pool);
    if (itemdoc_parse(g->pool, buf, len, &docs, &n, &errs) != NEPTUN_OK) {
        for (size_t i = 0; i < errs.n; i++)
            fprintf(stderr, "gen_items: %s: %s: %s\n", path, errs.v[i].path, errs.v[i].message);
        goto out;
    }
    for (size_t i = 0; i < n && g->nt < TEMPLATES_MAX; i++) {
        struct template *t = &g->t[g->nt];
        t->doc = &docs[i];
        t->type = types_find(docs[i].item.type);
        t->first_start = docs[i].index.starts_at;
        if (t->type == NULL)
            continue;
        if (docs[i].item.fields_xml != NULL) {
            t->fields = xmlReadMemory(docs[i].item.fields_xml,
                                      (int)strlen(docs[i].item.fields_xml), NULL, "UTF-8",
                                      XML_PARSE_NONET);
            if (t->fields == NULL) {
                fprintf(stderr, "gen_items: %s: cannot re-read the fields\n", path);
                goto out;
            }
        }
        g->nt++;
    }
    ret = 0;
out:
    free(buf);
    return ret;
}

static int name_order(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_templates(struct generator *g, const char *dir)
{
    DIR *d = opendir(dir);
    char *names[64];
    size_t n = 0;
    int ret = 0;
    struct dirent *e;
    if (d == NULL) {
        fprintf(stderr, "gen_items: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL && n < N_OF(names)) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        names[n] = neptun_pool_printf(g->pool, "%s/%s", dir, e->d_name);
        if (names[n] != NULL)
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), name_order);
    for (size_t i = 0; i < n && ret == 0; i++)
        ret = add_template_file(g, names[i]);
    if (ret == 0 && g->nt == 0) {
        fprintf(stderr, "gen_items: no usable item documents in %s\n", dir);
        ret = -1;
    }
    return ret;
}

/* ---- one item --------------------------------------------------------- */

static void format_utc(char *out, size_t size, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Move every start/end attribute of the template's dated elements by
 * shift seconds (sessions of an event, the meeting of a forum). */
static int shift_dates(xmlNode *node, int64_t shift)
{
    static const char *const names[] = { "start", "end" };
    for (xmlNode *n = node; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (size_t i = 0; i < 2; i++) {
            xmlChar *v = xmlGetProp(n, BAD_CAST names[i]);
            int64_t t = 0;
            if (v == NULL)
                continue;
            int ok = locale_parse_time((const char *)v, &t) == NEPTUN_OK;
            xmlFree(v);
            if (!ok)
                continue;
            char out[32];
            format_utc(out, sizeof(out), t + shift);
            if (xmlSetProp(n, BAD_CAST names[i], BAD_CAST out) == NULL)
                return -1;
        }
        if (shift_dates(n->children, shift) != 0)
            return -1;
    }
    return 0;
}

static const char *node_to_string(struct neptun_pool *pool, xmlDocPtr doc, xmlNode *node)
{
    xmlBufferPtr b = xmlBufferCreate();
    const char *s = NULL;
    if (b != NULL && xmlNodeDump(b, doc, node, 0, 0) >= 0)
        s = neptun_pool_strdup(pool, (const char *)xmlBufferContent(b));
    xmlBufferFree(b);
    return s;
}

static int make_item(struct neptun_pool *pool, const struct template *t, size_t serial,
                     int64_t now, struct neptun_item *it, struct neptun_index *idx)
{
    const struct neptun_item *src = &t->doc->item;
    memset(it, 0, sizeof(*it));
    memset(idx, 0, sizeof(*idx));
    it->type = src->type;
    it->slug = neptun_pool_printf(pool, "%s-%08zu", src->slug, serial);
    it->links = src->links;
    it->nlinks = src->nlinks;

    /* 90 % published, 5 % archived, 4 % drafts, 1 % scheduled */
    size_t r = rng_below(100);
    it->status = r < 90 ? NEPTUN_STATUS_PUBLISHED
               : r < 95 ? NEPTUN_STATUS_ARCHIVED
               : r < 99 ? NEPTUN_STATUS_DRAFT : NEPTUN_STATUS_PUBLISHED;
    it->created = T_2010 + (int64_t)rng_below((size_t)(15 * YEAR));
    it->updated = it->created + (int64_t)rng_below(90 * 86400);
    if (r == 99)
        it->publish_at = now + 86400 + (int64_t)rng_below((size_t)YEAR);

    size_t ntags = 2 + rng_below(4);
    const char **tv = neptun_pool_calloc(pool, ntags, sizeof(*tv));
    if (it->slug == NULL || tv == NULL)
        return -1;
    for (size_t i = 0; i < ntags; i++) {
        const char *tag = tags[rng_skewed(N_OF(tags))];
        int dup = 0;
        for (size_t j = 0; j < it->ntags; j++)
            dup |= strcmp(tv[j], tag) == 0;
        if (!dup)
            tv[it->ntags++] = tag;
    }
    it->tags = tv;

    /* dated types: a new start anywhere in 2005-2030 */
    int64_t start = T_2005 + (int64_t)rng_below((size_t)(25 * YEAR));
    if (t->fields != NULL) {
        xmlNode *root = xmlDocGetRootElement(t->fields);
        int64_t shift = t->first_start != 0 ? start - t->first_start : 0;
        if (shift != 0 && shift_dates(root->children, shift) != 0)
            return -1;
        it->fields_xml = node_to_string(pool, t->fields, root);
        if (it->fields_xml == NULL)
            return -1;
        if (t->type->index != NULL && t->type->index(t->type->ud, pool, root, idx) != NEPTUN_OK)
            return -1;
        /* back to the template's own dates for the next copy */
        if (shift != 0 && shift_dates(root->children, -shift) != 0)
            return -1;
    }
    time_t year_t = (time_t)(idx->starts_at ? idx->starts_at : it->updated);
    struct tm tm;
    gmtime_r(&year_t, &tm);

    /* 70 % in all three languages, 20 % pl+en, 10 % pl only */
    size_t nl = rng_below(10) < 7 ? 3 : rng_below(3) < 2 ? 2 : 1;
    it->texts = neptun_pool_calloc(pool, nl, sizeof(*it->texts));
    if (it->texts == NULL)
        return -1;
    for (size_t i = 0; i < nl; i++)
        if (make_text(pool, &langs[i], tm.tm_year + 1900, serial, &it->texts[i]) != 0)
            return -1;
    it->ntexts = nl;
    return 0;
}

/* ---- main ------------------------------------------------------------- */

struct options {
    const char *conf, *plugin_dir, *db, *content;
    size_t n, batch;
    uint64_t seed;
};

static int parse_options(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->conf = "conf/neptun.conf";
    o->n = 100000;
    o->batch = 5000;
    o->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL) {
            fprintf(stderr, "gen_items: %s needs a value\n", a);
            return -1;
        }
        i++;
        if (strcmp(a, "-c") == 0)
            o->conf = v;
        else if (strcmp(a, "--plugin-dir") == 0)
            o->plugin_dir = v;
        else if (strcmp(a, "--db") == 0)
            o->db = v;
        else if (strcmp(a, "--content") == 0)
            o->content = v;
        else if (strcmp(a, "-n") == 0 || strcmp(a, "--batch") == 0 || strcmp(a, "--seed") == 0) {
            char *end;
            errno = 0;
            unsigned long long x = strtoull(v, &end, 10);
            if (errno != 0 || *end != '\0' || x == 0) {
                fprintf(stderr, "gen_items: %s expects a positive number, got \"%s\"\n", a, v);
                return -1;
            }
            if (a[1] == 'n')
                o->n = (size_t)x;
            else if (a[2] == 'b')
                o->batch = (size_t)x;
            else
                o->seed = (uint64_t)x;
        } else {
            fprintf(stderr, "gen_items: unknown option %s\n"
                    "usage: gen_items [-c CONF] [--plugin-dir DIR] --db PATH [-n N] [--batch B]"
                    " [--seed S] [--content DIR]\n", a);
            return -1;
        }
    }
    if (o->db == NULL) {
        fprintf(stderr, "gen_items: --db PATH is required\n");
        return -1;
    }
    return 0;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int generate(struct generator *g, struct store *s, const struct options *o)
{
    const struct neptun_item **items = calloc(o->batch, sizeof(*items));
    const struct neptun_index **idx = calloc(o->batch, sizeof(*idx));
    struct neptun_item *iv = calloc(o->batch, sizeof(*iv));
    struct neptun_index *xv = calloc(o->batch, sizeof(*xv));
    int64_t now = (int64_t)time(NULL);
    struct timespec t0;
    int ret = -1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (items == NULL || idx == NULL || iv == NULL || xv == NULL)
        goto out;
    for (size_t done = 0; done < o->n;) {
        size_t n = o->n - done < o->batch ? o->n - done : o->batch;
        struct neptun_pool *pool = neptun_pool_new(n * 4096);
        if (pool == NULL)
            goto out;
        int ok = 1;
        for (size_t i = 0; i < n && ok; i++) {
            /* the type mix follows the sample content: 3 events, 2 campaigns, 1 forum */
            const struct template *t = &g->t[rng_below(g->nt)];
            ok = make_item(pool, t, done + i + 1, now, &iv[i], &xv[i]) == 0;
            items[i] = &iv[i];
            idx[i] = &xv[i];
        }
        if (!ok || store_put_many(s, items, idx, n, NULL) != NEPTUN_OK) {
            fprintf(stderr, "gen_items: writing items %zu..%zu failed\n", done + 1, done + n);
            neptun_pool_free(pool);
            goto out;
        }
        neptun_pool_free(pool);
        done += n;
        if (done % (o->batch * 20) == 0 || done == o->n)
            fprintf(stderr, "gen_items: %zu items, %.1f s\n", done, seconds_since(&t0));
    }
    ret = 0;
out:
    free(items);
    free(idx);
    free(iv);
    free(xv);
    return ret;
}

int main(int argc, char **argv)
{
    struct options o;
    struct conf conf;
    struct generator g;
    struct store *s = NULL;
    char *err = NULL;
    int conf_loaded = 0, rc = 1;

    memset(&g, 0, sizeof(g));
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    rng_seed(o.seed);
    if (conf_load(o.conf, &conf) < 0) {
        fprintf(stderr, "gen_items: %s: configuration errors\n", o.conf);
        return 2;
    }
    conf_loaded = 1;
    neptun_conf = &conf;
    xmlInitParser();
    const char *plugin_dir = o.plugin_dir ? o.plugin_dir : conf.plugin_dir;
    const char *content = o.content ? o.content : conf.content_dir;
    if (locale_init(conf.locales_dir, conf.timezone) < 0 ||
        plugins_load(conf.plugins, conf.nplugins, plugin_dir) < (int)conf.nplugins ||
        schema_init(conf.schema_path) < 0) {
        fprintf(stderr, "gen_items: cannot load the locale rules, plugins or schema\n");
        goto out;
    }
    if (content == NULL || (g.pool = neptun_pool_new(1 << 20)) == NULL ||
        load_templates(&g, content) != 0)
        goto out;
    if (store_open(o.db, STORE_CREATE, &s, &err) != NEPTUN_OK) {
        fprintf(stderr, "gen_items: %s\n", err ? err : "cannot open the store");
        goto out;
    }
    if (generate(&g, s, &o) != 0)
        goto out;
    rc = 0;
out:
    store_close(s);
    free(err);
    for (size_t i = 0; i < g.nt; i++)
        xmlFreeDoc(g.t[i].fields);
    neptun_pool_free(g.pool);
    schema_cleanup();
    plugins_unload();
    locale_cleanup();
    xmlCleanupParser();
    neptun_conf = NULL;
    if (conf_loaded)
        conf_free(&conf);
    return rc;
}
