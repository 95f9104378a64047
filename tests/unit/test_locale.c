/*
 * test_locale.c - catalogs, plurals, dates, folding, slugs and collation.
 * Runs from the source root; the catalogs come from
 * $NEPTUN_SOURCE_DIR/locales.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "locale.h"

/* ICU puts thin spaces around the dash of a range whose ends have spaces. */
#define THIN "\u2009"

static struct neptun_pool *pool;

static int64_t at(const char *text)
{
    int64_t t = 0;
    if (locale_parse_time(text, &t) != NEPTUN_OK)
        fprintf(stderr, "cannot parse %s\n", text);
    return t;
}

/* ---- catalogs written on the spot, for the loader's edge cases -------- */

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void remove_files(const char *dir)
{
    const char *names[] = { "pl.po", "en.po", "de.po" };
    char path[512];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
}

static const char pl_small[] =
    "# comment\n"
    "msgid \"\"\n"
    "msgstr \"\"\n"
    "\"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : 1);\\n\"\n"
    "\n"
    "msgid \"greeting\"\n"
    "msgstr \"Dzie\\305\\204 \" \"dobry\\t\\\"x\\\"\"\n"
    "\n"
    "msgctxt \"menu\"\n"
    "msgid \"open\"\n"
    "msgstr \"Otwórz\"\n"
    "\n"
    "#, fuzzy\n"
    "msgid \"draft\"\n"
    "msgstr \"Szkic\"\n"
    "\n"
    "msgid \"only.pl\"\n"
    "msgstr \"tylko po polsku\"\n"
    "\n"
    "msgid \"count.x\"\n"
    "msgid_plural \"count.x\"\n"
    "msgstr[0] \"{n} x-jeden\"\n"
    "msgstr[1] \"{n} x-kilka\"\n"
    "msgstr[2] \"{n} x-wiele\"\n";

static const char en_small[] =
    "msgid \"\"\n"
    "msgstr \"Plural-Forms: nplurals=2; plural=(n != 1);\\n\"\n"
    "msgid \"greeting\"\n"
    "msgstr \"Hello\"\n"
    "msgctxt \"menu\"\n"
    "msgid \"open\"\n"
    "msgstr \"Open\"\n"
    "msgid \"draft\"\n"
    "msgstr \"Draft\"\n"
    "msgid \"count.x\"\n"
    "msgid_plural \"count.x\"\n"
    "msgstr[0] \"{n} x\"\n"
    "msgstr[1] \"{n} xs\"\n";

/* Lacks "open" and "only.pl", and the second plural form. */
static const char de_small[] =
    "msgid \"greeting\"\n"
    "msgstr \"\"\n"
    "msgid \"draft\"\n"
    "msgstr \"Entwurf\"\n"
    "msgid \"count.x\"\n"
    "msgid_plural \"count.x\"\n"
    "msgstr[0] \"{n} x-de\"\n";

static void test_loader(void)
{
    char dir[] = "/tmp/neptun-locale-XXXXXX";
    static const char *const bad[] = {
        "msgid \"a\"\nmsgstr \"\\q\"\n",                      /* unknown escape */
        "msgid \"a\"\nmsgstr \"x\n",                          /* unterminated */
        "msgid \"a\"\nmsgid_plural \"a\"\nmsgstr[1] \"x\"\n", /* forms out of order */
        "msgid \"a\"\nmsgstr \"x\"\nmsgid \"a\"\nmsgstr \"y\"\n", /* duplicate */
        "msgid \"a\"\nmsgstr \"\xff\"\n",                     /* not UTF-8 */
        "msgid \"a\"\n",                                      /* no msgstr */
        "msgstr \"x\"\n",                                     /* no msgid */
        "msgid \"a\"\nmsgstr \"x\" trailing\n",
        "msgid \"a\"\nmsgid_plural \"a\"\nmsgstr \"x\"\n",     /* plural needs [N] */
        "msgid \"\"\nmsgstr \"Plural-Forms: nplurals=9;\\n\"\n",
        "bogus \"a\"\n",
    };

    if (mkdtemp(dir) == NULL) {
        CHECK(!"mkdtemp");
        return;
    }
    CHECK(write_file(dir, "pl.po", pl_small) == 0);
    CHECK(write_file(dir, "en.po", en_small) == 0);
    CHECK(write_file(dir, "de.po", de_small) == 0);
    CHECK(locale_init(dir, "Europe/Warsaw") == 0);

    CHECK_STR(locale_translate(pool, "greeting", "pl", -1), "Dzień dobry\t\"x\"");
    CHECK_STR(locale_translate(pool, "menu\004open", "pl", -1), "Otwórz");
    /* de: empty msgstr and missing keys fall back along de -> en -> pl. */
    CHECK_STR(locale_translate(pool, "greeting", "de", -1), "Hello");
    CHECK_STR(locale_translate(pool, "only.pl", "de", -1), "tylko po polsku");
    CHECK_STR(locale_translate(pool, "only.pl", "en", -1), "tylko po polsku");
    /* A fuzzy entry is not a translation. */
    CHECK_STR(locale_translate(pool, "draft", "pl", -1), "Draft");
    CHECK_STR(locale_translate(pool, "draft", "de", -1), "Entwurf");
    CHECK_STR(locale_translate(pool, "nothing.here", "pl", 3), "nothing.here");
    CHECK_STR(locale_translate(pool, "count.x", "pl", 22), "22 x-kilka");
    CHECK_STR(locale_translate(pool, "count.x", "pl", 1), "1 x-jeden");
    /* de has no "other" form: the English one, chosen by English rules. */
    CHECK_STR(locale_translate(pool, "count.x", "de", 1), "1 x-de");
    CHECK_STR(locale_translate(pool, "count.x", "de", 4), "4 xs");
    /* Gaps: de lacks open, only.pl and count.x[1], and greeting is empty;
     * en lacks only.pl; pl lacks draft, which is fuzzy there. */
    CHECK(locale_check_catalogs() == 6);
    locale_cleanup();

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(write_file(dir, "en.po", bad[i]) == 0);
        CHECK(locale_init(dir, "Europe/Warsaw") == -1);
    }
    CHECK(write_file(dir, "en.po", en_small) == 0);
    CHECK(locale_init(dir, "Mars/Olympus_Mons") == -1);
    CHECK(locale_init("/nonexistent-neptun-dir", "Europe/Warsaw") == -1);
    /* Nothing loaded: keys come back as they are. */
    CHECK_STR(locale_translate(pool, "greeting", "pl", -1), "greeting");

    remove_files(dir);
    rmdir(dir);
}

/* ---- the shipped catalogs --------------------------------------------- */

static void test_catalogs(void)
{
    static const struct { const char *lang; long n; const char *want; } counts[] = {
        { "pl", 1, "1 wydarzenie" },   { "pl", 2, "2 wydarzenia" },  { "pl", 5, "5 wydarzeń" },
        { "pl", 22, "22 wydarzenia" }, { "pl", 25, "25 wydarzeń" },  { "pl", 12, "12 wydarzeń" },
        { "pl", 112, "112 wydarzeń" }, { "pl", 0, "0 wydarzeń" },    { "pl", 104, "104 wydarzenia" },
        { "en", 1, "1 event" },        { "en", 2, "2 events" },      { "en", 0, "0 events" },
        { "en", 21, "21 events" },     { "de", 1, "1 Veranstaltung" }, { "de", 5, "5 Veranstaltungen" },
    };
    static const struct { const char *lang; long n; const char *want; } categories[] = {
        { "pl", 1, "one" }, { "pl", 2, "few" },  { "pl", 5, "many" }, { "pl", 22, "few" },
        { "pl", 25, "many" }, { "pl", 12, "many" }, { "pl", 112, "many" }, { "pl", 0, "many" },
        { "en", 1, "one" }, { "en", 2, "other" }, { "de", 1, "one" },  { "de", 12, "other" },
    };
    const char *notice;

    CHECK(locale_check_catalogs() == 0);
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        CHECK_STR(locale_translate(pool, "count.events", counts[i].lang, counts[i].n), counts[i].want);
    for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
        CHECK_STR(locale_plural(categories[i].lang, categories[i].n), categories[i].want);
    CHECK_STR(locale_plural("xx-not-a-lang!", 1), "other");
    CHECK_STR(locale_translate(pool, "count.days", "pl", 2), "2 dni");
    CHECK_STR(locale_translate(pool, "count.recommendations", "pl", 179), "179 rekomendacji");
    CHECK_STR(locale_translate(pool, "count.results", "pl", 3), "3 wyniki");
    CHECK_STR(locale_translate(pool, "count.forums", "pl", 2), "2 fora");
    CHECK_STR(locale_translate(pool, "count.forums", "pl", 8), "8 forów");
    CHECK_STR(locale_translate(pool, "count.campaigns", "pl", 24), "24 kampanie");
    CHECK_STR(locale_translate(pool, "count.campaigns", "de", 1), "1 Kampagne");
    CHECK(locale_has_key("count.events") && !locale_has_key("count.nothing"));
    /* The core's catalogs name no city: the portal's name is the
     * configuration's (site_name), filled in for {site}. */
    CHECK(!locale_has_key("site.title"));
    CHECK_STR(locale_translate(pool, "feed.title", "en", -1), "{type} — {site}");
    CHECK_STR(locale_translate(pool, "type.events", "de", -1), "Veranstaltungen");
    /* An unknown language reads the default language's chain. */
    CHECK_STR(locale_translate(pool, "type.events", "fr", -1), "Wydarzenia");
    CHECK_STR(locale_translate(pool, "no.such.key", "en", -1), "no.such.key");

    notice = locale_translate(pool, "archive.notice", "pl", -1);
    CHECK(notice != NULL && strncmp(notice, "Ten materiał pochodzi z archiwum portalu. "
                                    "Zachowaliśmy archiwalne materiały", 75) == 0);
    notice = locale_translate(pool, "archive.notice", "en", -1);
    CHECK(notice != NULL && strstr(notice, "redakcja@pomorskie.eu") != NULL);
}

/* Copy the shipped catalog src_dir/name to dir/name without the entry of
 * msgid drop (its lines up to the next blank line), and with extra text
 * appended.  0 on success. */
static int copy_catalog(const char *src_dir, const char *dir, const char *name,
                        const char *drop, const char *extra)
{
    char path[1024], line[4096], start[256];
    FILE *in, *out;
    int skipping = 0, dropped = drop == NULL;

    snprintf(path, sizeof(path), "%s/%s", src_dir, name);
    if ((in = fopen(path, "r")) == NULL)
        return -1;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((out = fopen(path, "w")) == NULL) {
        fclose(in);
        return -1;
    }
    snprintf(start, sizeof(start), "msgid \"%s\"\n", drop != NULL ? drop : "");
    while (fgets(line, sizeof(line), in) != NULL) {
        if (drop != NULL && strcmp(line, start) == 0)
            skipping = dropped = 1;
        else if (skipping && line[0] == '\n')
            skipping = 0;
        if (!skipping)
            fputs(line, out);
    }
    if (extra != NULL)
        fputs(extra, out);
    fclose(in);
    return fclose(out) == 0 && dropped ? 0 : -1;
}

/* The check fails when a shipped catalog loses a key, or another gains
 * one: each gap is counted, each names the key. */
static void test_catalog_gaps(const char *src_dir)
{
    char dir[] = "/tmp/neptun-locale-gaps-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        CHECK(!"mkdtemp");
        return;
    }
    /* de lacks label.venue and count.events; en alone has label.extra */
    CHECK(copy_catalog(src_dir, dir, "pl.po", NULL, NULL) == 0);
    CHECK(copy_catalog(src_dir, dir, "en.po", NULL, "\nmsgid \"label.extra\"\nmsgstr \"Extra\"\n") == 0);
    CHECK(copy_catalog(src_dir, dir, "de.po", "label.venue", NULL) == 0);
    CHECK(locale_init(dir, "Europe/Warsaw") == 0);
    CHECK(locale_check_catalogs() == 3);   /* de: label.venue; pl, de: label.extra */
    /* the missing text falls back along de -> en -> pl */
    CHECK_STR(locale_translate(pool, "label.venue", "de", -1), "Venue");
    locale_cleanup();

    CHECK(copy_catalog(src_dir, dir, "en.po", NULL, NULL) == 0);
    CHECK(copy_catalog(src_dir, dir, "de.po", "count.events", NULL) == 0);
    CHECK(locale_init(dir, "Europe/Warsaw") == 0);
    CHECK(locale_check_catalogs() == 1);
    CHECK_STR(locale_translate(pool, "count.events", "de", 5), "5 events");
    locale_cleanup();

    CHECK(copy_catalog(src_dir, dir, "de.po", NULL, NULL) == 0);
    CHECK(locale_init(dir, "Europe/Warsaw") == 0);
    CHECK(locale_check_catalogs() == 0);   /* the copies as shipped: no gap */
    locale_cleanup();
    remove_files(dir);
    rmdir(dir);
}

/* ---- dates ------------------------------------------------------------ */

static void test_ranges(void)
{
    int64_t conf_start = at("2017-06-29T13:30:00+02:00"), conf_end = at("2017-06-30T16:00:00+02:00");
    int64_t forum_start = at("2019-05-22T11:30:00+02:00"), forum_end = at("2019-05-22T16:00:00+02:00");
    const unsigned both = NEPTUN_FMT_DATE | NEPTUN_FMT_TIME;

    CHECK_STR(locale_format_range(pool, "pl", conf_start, conf_end, NEPTUN_FMT_DATE), "29–30 czerwca 2017");
    CHECK_STR(locale_format_range(pool, "en", conf_start, conf_end, NEPTUN_FMT_DATE), "29–30 June 2017");
    CHECK_STR(locale_format_range(pool, "de", conf_start, conf_end, NEPTUN_FMT_DATE), "29.–30. Juni 2017");

    CHECK_STR(locale_format_range(pool, "pl", forum_start, forum_end, NEPTUN_FMT_TIME), "11:30–16:00");
    CHECK_STR(locale_format_range(pool, "en", forum_start, forum_end, NEPTUN_FMT_TIME), "11:30–16:00");
    CHECK_STR(locale_format_range(pool, "de", forum_start, forum_end, NEPTUN_FMT_TIME), "11:30–16:00 Uhr");

    CHECK_STR(locale_format_range(pool, "pl", forum_start, forum_end, both), "22 maja 2019, 11:30–16:00");
    CHECK_STR(locale_format_range(pool, "en", forum_start, forum_end, both), "22 May 2019, 11:30–16:00");
    CHECK_STR(locale_format_range(pool, "de", forum_start, forum_end, both), "22. Mai 2019, 11:30–16:00 Uhr");

    /* A single moment, and ranges across months and years. */
    CHECK_STR(locale_format_range(pool, "pl", forum_start, 0, NEPTUN_FMT_DATE), "22 maja 2019");
    CHECK_STR(locale_format_range(pool, "de", forum_start, 0, NEPTUN_FMT_DATE), "22. Mai 2019");
    CHECK_STR(locale_format_range(pool, "en", at("2021-03-01"), at("2021-06-30"), NEPTUN_FMT_DATE),
              "1 March" THIN "–" THIN "30 June 2021");
    CHECK_STR(locale_format_range(pool, "pl", at("2021-12-30"), at("2022-01-02"), NEPTUN_FMT_DATE),
              "30 grudnia 2021" THIN "–" THIN "2 stycznia 2022");

    CHECK(locale_format_range(pool, "pl", conf_end, conf_start, NEPTUN_FMT_DATE) == NULL);
    CHECK(locale_format_range(pool, "p\"l", conf_start, conf_end, NEPTUN_FMT_DATE) == NULL);
    CHECK(locale_format_range(pool, "pl", INT64_MAX, 0, NEPTUN_FMT_DATE) == NULL);
}

static void test_machine_dates(void)
{
    static const char *const valid[] = {
        "2017-06-29T13:30:00+02:00", "2017-06-29T11:30:00Z", "2017-06-29t11:30:00z",
        "2017-06-29T11:30:00.250Z", "2017-06-29T06:30:00-05:00",
    };
    static const char *const invalid[] = {
        "2017-06-29T13:30:00+0200", "2017-06-29T13:30:00", "2017-06-29 13:30:00Z",
        "2017-06-29T13:30Z", "2017-13-01", "2017-00-10", "2017-02-29", "2017-04-31",
        "2017-06-29T24:00:00Z", "2017-06-29T13:60:00Z", "2017-06-29T13:30:60Z",
        "2017-06-29T13:30:00+24:00", "2017-06-29T13:30:00.Z", "2017-06-29T13:30:00Zx",
        "2017-6-29", "17-06-29", "", "0000-01-01", "2017-06-29x", "2017-06-29T",
        "２０１７-06-29",
    };
    int64_t t = 0;
    const int64_t conference = 1498735800; /* 2017-06-29T11:30:00Z */

    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        t = 0;
        CHECK(locale_parse_time(valid[i], &t) == NEPTUN_OK);
        CHECK(t == conference);
    }
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        t = 42;
        CHECK(locale_parse_time(invalid[i], &t) == NEPTUN_INVALID);
        CHECK(t == 42);   /* a rejected text changes nothing */
    }
    CHECK(locale_parse_time(NULL, &t) == NEPTUN_INVALID);

    /* A date alone is midnight in Warsaw (summer +02:00, winter +01:00). */
    CHECK(at("2017-06-29") == 1498687200);
    CHECK(at("2017-01-15") == 1484434800);
    CHECK(at("2016-02-29") == 1456700400);
    CHECK(locale_zone_offset(conference) == 7200);
    CHECK(locale_zone_offset(at("2017-01-15")) == 3600);

    CHECK_STR(locale_rfc822(pool, conference), "Thu, 29 Jun 2017 11:30:00 GMT");
    CHECK_STR(locale_rfc822(pool, 0), "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK_STR(locale_rfc822(pool, at("0099-03-01T00:00:00Z")), "Sun, 01 Mar 0099 00:00:00 GMT");
    CHECK_STR(locale_rfc3339(pool, conference), "2017-06-29T11:30:00Z");
    CHECK_STR(locale_ics_local(pool, conference), "20170629T133000");
    CHECK_STR(locale_ics_local(pool, at("2017-01-15T12:00:00Z")), "20170115T130000");
    CHECK(locale_rfc3339(pool, INT64_MIN) == NULL);
    CHECK(locale_rfc822(pool, INT64_MAX) == NULL);

    /* Round trips through both machine forms. */
    {
        const int64_t samples[] = { 0, conference, 951782400 /* 2000-02-29 */, 4102444799,
                                    -62135596800, 253402300799 };
        for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
            const char *s = locale_rfc3339(pool, samples[i]);
            t = 1;
            CHECK(s != NULL && locale_parse_time(s, &t) == NEPTUN_OK && t == samples[i]);
        }
    }
    CHECK_STR(locale_rfc3339(pool, at(locale_rfc3339(pool, 1558517400))), "2019-05-22T09:30:00Z");
}

/* ---- folding, slugs, collation ---------------------------------------- */

/* Every word of fold(query) occurs in fold(text). */
static int fold_finds(const char *text, const char *query)
{
    char *hay = locale_fold(pool, text), *needle = locale_fold(pool, query), *word, *save = NULL;
    if (hay == NULL || needle == NULL)
        return 0;
    for (word = strtok_r(needle, " ", &save); word != NULL; word = strtok_r(NULL, " ", &save))
        if (strstr(hay, word) == NULL)
            return 0;
    return 1;
}

static void test_fold(void)
{
    CHECK_STR(locale_fold(pool, "Łączy nas Gdańsk"), "laczy nas gdansk");
    CHECK_STR(locale_fold(pool, "ŁÓDŹ"), "lodz");
    CHECK_STR(locale_fold(pool, "Łódź"), "lodz");
    CHECK_STR(locale_fold(pool, "Straße"), "strasse");
    CHECK_STR(locale_fold(pool, "Miasta Integrujące. Integracja = Bezpieczeństwo"),
              "miasta integrujace integracja bezpieczenstwo");
    CHECK_STR(locale_fold(pool, "  „Ærø”\t—  Übung!  "), "aero ubung");
    CHECK_STR(locale_fold(pool, "Model Integracji Imigrantów (2016)"), "model integracji imigrantow 2016");
    CHECK_STR(locale_fold(pool, ""), "");
    CHECK(locale_fold(pool, "bad \xff utf-8") == NULL);
    CHECK(locale_fold(pool, "\xc0\xaf") == NULL);   /* overlong */
    CHECK(locale_fold(pool, NULL) == NULL);

    CHECK(fold_finds("Łączy nas Gdańsk", "laczy gdansk"));
    CHECK(fold_finds("Łączy nas Gdańsk", "GDANSK"));
    CHECK(fold_finds("Łączy nas Gdańsk", "Gdańsk"));
    CHECK(fold_finds("Europejskie Centrum Solidarności, Łódź", "lodz"));
    CHECK(!fold_finds("Łączy nas Gdańsk", "gdynia"));
}

static void test_slugify(void)
{
    char long_title[512];
    const char *slug;

    CHECK_STR(locale_slugify(pool, "Łączy nas Gdańsk"), "laczy-nas-gdansk");
    CHECK_STR(locale_slugify(pool, "Miasta Integrujące. Integracja = Bezpieczeństwo"),
              "miasta-integrujace-integracja-bezpieczenstwo");
    CHECK_STR(locale_slugify(pool, "Größe Straße Übung"), "grosse-strasse-ubung");
    CHECK_STR(locale_slugify(pool, "VIII Forum Integracji i Migracji – Łączy nas Gdańsk"),
              "viii-forum-integracji-i-migracji-laczy-nas-gdansk");
    CHECK_STR(locale_slugify(pool, "  --Ærø & Øresund!-- "), "aero-oresund");
    CHECK_STR(locale_slugify(pool, "Україна 2022"), "ukraina-2022");
    CHECK(locale_slugify(pool, "!!! ???") == NULL);
    CHECK(locale_slugify(pool, "\xe2\x82") == NULL);
    CHECK(locale_slugify(pool, NULL) == NULL);

    long_title[0] = '\0';
    for (int i = 0; i < 20; i++)   /* 20 * 14 bytes */
        strcat(long_title, "Integracja Ł ");
    slug = locale_slugify(pool, long_title);
    CHECK(slug != NULL && strlen(slug) <= 80 && slug[strlen(slug) - 1] != '-');
    CHECK(slug != NULL && strncmp(slug, "integracja-l-integracja-l-", 26) == 0);
    memset(long_title, 'a', 200);
    long_title[200] = '\0';
    slug = locale_slugify(pool, long_title);
    CHECK(slug != NULL && strlen(slug) == 80);
}

static void test_collate(void)
{
    CHECK(locale_collate("pl", "Lublin", "Łódź") < 0);
    CHECK(locale_collate("pl", "Łódź", "Lublin") > 0);
    CHECK(locale_collate("pl", "Łódź", "Mława") < 0);
    CHECK(locale_collate("pl", "Gdańsk", "Gdańsk") == 0);
    CHECK(locale_collate("pl", "Zakopane", "Źródło") < 0);
    CHECK(locale_collate("de", "Übung", "Uhr") < 0);
    CHECK(locale_collate("pl", "a", NULL) > 0);
}

/* ---- threads: each keeps its own ICU objects -------------------------- */

static void *worker(void *arg)
{
    struct neptun_pool *p = neptun_pool_new(1024);
    int *ok = arg;
    *ok = p != NULL;
    for (int i = 0; i < 50 && *ok; i++) {
        const char *d = locale_format_range(p, i % 2 ? "pl" : "de", 1498735800, 1498824000,
                                            NEPTUN_FMT_DATE);
        const char *f = locale_fold(p, "Łączy nas Gdańsk");
        const char *c = locale_translate(p, "count.events", "pl", i);
        *ok = d != NULL && f != NULL && strcmp(f, "laczy nas gdansk") == 0 && c != NULL &&
              locale_collate("pl", "Lublin", "Łódź") < 0;
    }
    locale_thread_cleanup();
    if (p != NULL)
        neptun_pool_free(p);
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[4];
    int ok[4] = {0};
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, worker, &ok[i]) == 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(ok[i]);
    }
}

int main(void)
{
    const char *src = getenv("NEPTUN_SOURCE_DIR");
    char dir[1024];

    pool = neptun_pool_new(8192);
    if (pool == NULL)
        return 1;
    test_loader();

    snprintf(dir, sizeof(dir), "%s/locales", src ? src : ".");
    test_catalog_gaps(dir);
    CHECK(locale_init(dir, "Europe/Warsaw") == 0);
    test_catalogs();
    test_ranges();
    test_machine_dates();
    test_fold();
    test_slugify();
    test_collate();
    test_threads();

    locale_cleanup();
    neptun_pool_free(pool);
    CHECK_DONE();
}
