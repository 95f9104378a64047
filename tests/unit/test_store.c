/*
 * test_store.c - the SQLite store on a temporary database: writes and
 * reads, visibility and scheduling, lists and filters, folded full-text
 * search (including hostile queries), the export walk and integrity, the
 * types' change times and the migration of a store of the previous version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "conf.h"
#include "store.h"
#include "store_internal.h" /* STORE_SEEN_MS */

#define NOW 1500000000 /* 2017-07-14 */

static struct neptun_pool *pool;

static struct neptun_item *make_item(const char *type, const char *slug,
                                     enum neptun_status status, int64_t publish_at,
                                     int64_t updated, const char *pl_title, const char *en_title)
{
    struct neptun_item *it = neptun_pool_calloc(pool, 1, sizeof(*it));
    it->type = type;
    it->slug = slug;
    it->status = status;
    it->publish_at = publish_at;
    it->updated = updated;
    it->texts = neptun_pool_calloc(pool, 2, sizeof(*it->texts));
    it->texts[0].lang = "pl";
    it->texts[0].title = pl_title;
    it->ntexts = 1;
    if (en_title != NULL) {
        it->texts[1].lang = "en";
        it->texts[1].title = en_title;
        it->ntexts = 2;
    }
    return it;
}

static int put(struct store *s, struct neptun_item *it, const struct neptun_index *idx)
{
    int created = -1;
    int rc = store_put(s, it, idx, &created);
    return rc == NEPTUN_OK ? created : rc;
}

static size_t list_count(struct store *s, const struct store_query *q, size_t *total)
{
    struct neptun_item **items = NULL;
    size_t n = 0;
    if (store_list(s, pool, q, &items, NULL, &n, total) != NEPTUN_OK)
        return (size_t)-1;
    return n;
}

static int count_walk(void *ud, const struct neptun_item *item)
{
    (*(int *)ud)++;
    return item->ntexts >= 1 ? NEPTUN_OK : NEPTUN_ERROR;
}

static int stop_walk(void *ud, const struct neptun_item *item)
{
    (*(int *)ud)++;
    return NEPTUN_DECLINED;
}

static void test_put_get(struct store *s)
{
    struct neptun_item *it = make_item("events", "miasta-integrujace-2017", NEPTUN_STATUS_PUBLISHED,
                                       0, NOW - 100, "Miasta Integrujące", "Integrating Cities");
    it->created = NOW - 1000;
    it->texts[0].summary = "Konferencja w Gdańsku";
    it->texts[0].body = "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Pierwszy</p>"
                        "<p>Drugi <em>dzień</em></p></div>";
    static const char *tags[] = {"conference", "integration"};
    it->tags = tags;
    it->ntags = 2;
    struct neptun_link links[2] = {
        {.rel = "registration", .href = "http://www.gdansk.pl/r", .lang = "pl", .title = "Rejestracja"},
        {.rel = "programme", .href = "http://www.gdansk.pl/p.pdf", .mime = "application/pdf"},
    };
    it->links = links;
    it->nlinks = 2;
    it->fields_xml = "<event xmlns=\"urn:neptun:1\"><session/></event>";
    struct neptun_index idx = {.starts_at = NOW + 86400, .ends_at = NOW + 2 * 86400,
                               .search_text = "Europejskie Centrum Solidarności"};
    CHECK(put(s, it, &idx) == 1);

    struct neptun_item *got = NULL;
    CHECK(store_get(s, pool, "events", "miasta-integrujace-2017", 0, NOW, &got) == NEPTUN_OK);
    if (got == NULL)
        return;
    CHECK(got->id > 0);
    CHECK_STR(got->type, "events");
    CHECK(got->status == NEPTUN_STATUS_PUBLISHED);
    CHECK(got->created == NOW - 1000);
    CHECK(got->updated == NOW - 100);
    CHECK(got->starts_at == NOW + 86400 && got->ends_at == NOW + 2 * 86400);
    CHECK(got->revision == 1);
    CHECK(got->ntexts == 2);
    CHECK_STR(got->texts[0].lang, "pl");
    CHECK_STR(got->texts[0].title, "Miasta Integrujące");
    CHECK_STR(got->texts[0].summary, "Konferencja w Gdańsku");
    CHECK(got->texts[1].summary == NULL && got->texts[1].body == NULL);
    CHECK(got->ntags == 2);
    CHECK_STR(got->tags[1], "integration");
    CHECK(got->nlinks == 2);
    CHECK_STR(got->links[0].title, "Rejestracja");
    CHECK(got->links[1].lang == NULL);
    CHECK_STR(got->links[1].mime, "application/pdf");
    CHECK_STR(got->fields_xml, "<event xmlns=\"urn:neptun:1\"><session/></event>");

    /* replacing keeps created when not given, bumps the revision */
    it->created = 0;
    it->ntags = 1;
    it->ntexts = 1;
    CHECK(put(s, it, &idx) == 0);
    CHECK(store_get(s, pool, "events", "miasta-integrujace-2017", 0, NOW, &got) == NEPTUN_OK);
    CHECK(got != NULL && got->created == NOW - 1000 && got->revision == 2);
    CHECK(got != NULL && got->ntexts == 1 && got->ntags == 1);
    CHECK(store_get(s, pool, "events", "nope", 1, NOW, &got) == NEPTUN_NOT_FOUND && got == NULL);
    CHECK(store_get(s, pool, "forums", "miasta-integrujace-2017", 1, NOW, &got) == NEPTUN_NOT_FOUND);
}

static void test_visibility(struct store *s)
{
    CHECK(put(s, make_item("campaigns", "draft", NEPTUN_STATUS_DRAFT, 0, NOW - 50,
                           "Szkic", NULL), NULL) == 1);
    CHECK(put(s, make_item("campaigns", "later", NEPTUN_STATUS_PUBLISHED, NOW + 3600, NOW - 40,
                           "Później", NULL), NULL) == 1);
    CHECK(put(s, make_item("campaigns", "old", NEPTUN_STATUS_ARCHIVED, NOW - 3600, NOW - 30,
                           "Archiwum", NULL), NULL) == 1);
    CHECK(put(s, make_item("campaigns", "laczy-nas-gdansk", NEPTUN_STATUS_PUBLISHED, 0, NOW - 20,
                           "Łączy nas Gdańsk", "Gdańsk unites us"), NULL) == 1);

    struct neptun_item *got = NULL;
    CHECK(store_get(s, pool, "campaigns", "draft", 0, NOW, &got) == NEPTUN_NOT_FOUND);
    CHECK(store_get(s, pool, "campaigns", "draft", 1, NOW, &got) == NEPTUN_OK);
    CHECK(store_get(s, pool, "campaigns", "later", 0, NOW, &got) == NEPTUN_NOT_FOUND);
    CHECK(store_get(s, pool, "campaigns", "later", 0, NOW + 3600, &got) == NEPTUN_OK);
    CHECK(store_get(s, pool, "campaigns", "old", 0, NOW, &got) == NEPTUN_OK);

    struct store_query q = {.type = "campaigns", .now = NOW};
    size_t total = 0;
    CHECK(list_count(s, &q, &total) == 2 && total == 2);
    q.now = NOW + 3600;
    CHECK(list_count(s, &q, &total) == 3 && total == 3);
    q.include_hidden = 1;
    CHECK(list_count(s, &q, &total) == 4 && total == 4);

    CHECK(store_next_publish(s, "campaigns", NOW) == NOW + 3600);
    CHECK(store_next_publish(s, NULL, NOW) == NOW + 3600);
    CHECK(store_next_publish(s, "campaigns", NOW + 3600) == 0);
    CHECK(store_next_publish(s, "events", NOW) == 0);
}

static void test_lists(struct store *s)
{
    struct store_query q = {.type = "campaigns", .now = NOW + 7200};
    struct neptun_item **items = NULL;
    size_t n = 0, total = 0;

    /* newest first, paged */
    q.limit = 2;
    CHECK(store_list(s, pool, &q, &items, NULL, &n, &total) == NEPTUN_OK);
    CHECK(n == 2 && total == 3);
    if (n == 2) {
        CHECK_STR(items[0]->slug, "laczy-nas-gdansk");
        CHECK_STR(items[1]->slug, "old");
    }
    q.offset = 2;
    CHECK(store_list(s, pool, &q, &items, NULL, &n, &total) == NEPTUN_OK);
    CHECK(n == 1 && total == 3 && strcmp(items[0]->slug, "later") == 0);
    q.offset = 50;
    CHECK(store_list(s, pool, &q, &items, NULL, &n, &total) == NEPTUN_OK);
    CHECK(n == 0 && total == 3);

    /* every type, tag filter */
    struct store_query all = {.now = NOW};
    CHECK(list_count(s, &all, &total) == 3 && total == 3);
    all.tag = "conference";
    CHECK(list_count(s, &all, &total) == 1 && total == 1);
    all.tag = "nothing";
    CHECK(list_count(s, &all, &total) == 0 && total == 0);

    /* kept tag counts follow status changes, repeated tags, schedules and
     * deletes (the total of a ?tag= list reads them) */
    struct neptun_item *tagged = make_item("forums", "tag-count", NEPTUN_STATUS_DRAFT, 0,
                                           NOW - 5, "Licznik", NULL);
    static const char *twice[] = {"counted", "counted", "other"};
    tagged->tags = twice;
    tagged->ntags = 3;
    struct store_query tq = {.tag = "counted", .now = NOW};
    CHECK(put(s, tagged, NULL) == 1);
    CHECK(list_count(s, &tq, &total) == 0 && total == 0);
    tq.include_hidden = 1;
    CHECK(list_count(s, &tq, &total) == 1 && total == 1);
    tq.include_hidden = 0;
    tagged->status = NEPTUN_STATUS_PUBLISHED;
    CHECK(put(s, tagged, NULL) == 0);
    CHECK(list_count(s, &tq, &total) == 1 && total == 1);
    tq.type = "forums";
    CHECK(list_count(s, &tq, &total) == 1 && total == 1);
    tq.type = "events";
    CHECK(list_count(s, &tq, &total) == 0 && total == 0);
    tq.type = NULL;
    tagged->publish_at = NOW + 60;
    CHECK(put(s, tagged, NULL) == 0);
    CHECK(list_count(s, &tq, &total) == 0 && total == 0);
    tq.now = NOW + 60;
    CHECK(list_count(s, &tq, &total) == 1 && total == 1);
    tagged->ntags = 1; /* "other" dropped */
    CHECK(put(s, tagged, NULL) == 0);
    tq.tag = "other";
    CHECK(list_count(s, &tq, &total) == 0 && total == 0);
    CHECK(store_delete(s, "forums", "tag-count") == NEPTUN_OK);
    tq.tag = "counted";
    CHECK(list_count(s, &tq, &total) == 0 && total == 0);
    CHECK(!store_total_estimated(s));

    /* dated filters and calendar order */
    struct neptun_index later = {.starts_at = NOW + 10 * 86400, .ends_at = NOW + 10 * 86400 + 3600};
    struct neptun_index past = {.starts_at = NOW - 10 * 86400, .ends_at = NOW - 10 * 86400 + 3600};
    CHECK(put(s, make_item("events", "forum-later", NEPTUN_STATUS_PUBLISHED, 0, NOW - 500,
                           "Forum", NULL), &later) == 1);
    CHECK(put(s, make_item("events", "forum-past", NEPTUN_STATUS_PUBLISHED, 0, NOW - 400,
                           "Forum dawne", NULL), &past) == 1);
    struct store_query ev = {.type = "events", .now = NOW, .order = STORE_ORDER_START};
    CHECK(store_list(s, pool, &ev, &items, NULL, &n, &total) == NEPTUN_OK && n == 3);
    if (n == 3) {
        CHECK_STR(items[0]->slug, "forum-past");
        CHECK_STR(items[1]->slug, "miasta-integrujace-2017");
        CHECK_STR(items[2]->slug, "forum-later");
    }
    ev.upcoming = 1;
    CHECK(list_count(s, &ev, &total) == 2);
    ev.upcoming = 0;
    ev.from = NOW + 2 * 86400; /* the two-day event ends exactly then */
    CHECK(list_count(s, &ev, &total) == 2);
    ev.to = NOW + 5 * 86400;
    CHECK(list_count(s, &ev, &total) == 1);
    ev.from = 0;
    CHECK(list_count(s, &ev, &total) == 2);
}

static void test_search(struct store *s)
{
    struct store_query q = {.q = "laczy gdansk", .lang = "en", .now = NOW, .order = STORE_ORDER_RANK};
    struct neptun_item **items = NULL;
    const char **langs = NULL;
    size_t n = 0, total = 0;

    CHECK(store_list(s, pool, &q, &items, &langs, &n, &total) == NEPTUN_OK);
    CHECK(n == 1 && total == 1);
    if (n == 1) {
        CHECK_STR(items[0]->slug, "laczy-nas-gdansk");
        CHECK_STR(langs[0], "pl"); /* only the Polish text has "łączy" */
    }
    q.q = "GDANSK";
    CHECK(store_list(s, pool, &q, &items, &langs, &n, &total) == NEPTUN_OK);
    /* the campaign (both languages), the event (summary "w Gdańsku" by prefix) */
    CHECK(n == 2);
    if (n >= 1) {
        CHECK_STR(items[0]->slug, "laczy-nas-gdansk");
        CHECK_STR(langs[0], "en"); /* the reader's language when it matched */
    }
    q.q = "gdańsk";
    q.lang = "pl";
    CHECK(store_list(s, pool, &q, &items, &langs, &n, &total) == NEPTUN_OK && n == 2);
    if (n >= 1)
        CHECK_STR(langs[0], "pl");

    /* body text without markup, words of adjacent paragraphs kept apart */
    q.q = "pierwszy";
    CHECK(list_count(s, &q, &total) == 1);
    q.q = "pierwszydrugi";
    CHECK(list_count(s, &q, &total) == 0);
    q.q = "dzien";
    CHECK(list_count(s, &q, &total) == 1);
    /* the type's search text and tags */
    q.q = "solidarnosci";
    CHECK(list_count(s, &q, &total) == 1);
    q.q = "conference";
    CHECK(list_count(s, &q, &total) == 1);
    /* hidden items are never found */
    q.q = "szkic";
    CHECK(list_count(s, &q, &total) == 0);
    q.include_hidden = 1;
    CHECK(list_count(s, &q, &total) == 1);
    q.include_hidden = 0;
    /* the last word as a prefix, from three letters on ("pie" finds
     * "pierwszy"; "pi" is only the whole word "pi") */
    q.q = "pie";
    CHECK(list_count(s, &q, &total) == 1);
    q.q = "pi";
    CHECK(list_count(s, &q, &total) == 0);
    q.q = "dzień pie";
    CHECK(list_count(s, &q, &total) == 1);
    /* search within a type */
    q.q = "gdansk";
    q.type = "events";
    CHECK(list_count(s, &q, &total) == 1);
    q.type = NULL;

    static const char *hostile[] = {
        "\"", "\"\"\"", "*", "gdansk*", "AND", "OR NOT", "NEAR(gdansk laczy, 2)", "title:gdansk",
        "(", ")", "{title summary}: x", "^gdansk", "'; DROP TABLE items; --", "gdansk\"", "-",
        "+", "a OR", "\x01\x02", "", "   ", "ą\"ę", "\xff\xfe", "NOT gdansk",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        q.q = hostile[i];
        items = NULL;
        int rc = store_list(s, pool, &q, &items, &langs, &n, &total);
        CHECK(rc == NEPTUN_OK);
        if (rc != NEPTUN_OK)
            fprintf(stderr, "hostile query %zu failed\n", i);
    }
    char longq[5000];
    memset(longq, 'a', sizeof(longq) - 1);
    longq[sizeof(longq) - 1] = '\0';
    for (size_t i = 0; i < sizeof(longq) - 1; i += 7)
        longq[i] = ' ';
    q.q = longq;
    CHECK(store_list(s, pool, &q, &items, &langs, &n, &total) == NEPTUN_OK && n == 0);
    /* operators are plain words: "title:gdansk" is two words, both present */
    q.q = "title:gdansk";
    CHECK(list_count(s, &q, &total) == 0);
    q.q = "gdansk AND";
    CHECK(list_count(s, &q, &total) == 0);
    int64_t count = 0;
    CHECK(store_count(s, &count) == NEPTUN_OK && count == 7);
}

static void test_delete_walk(struct store *s)
{
    int seen = 0;
    CHECK(store_foreach(s, NULL, count_walk, &seen) == NEPTUN_OK && seen == 7);
    seen = 0;
    CHECK(store_foreach(s, "events", count_walk, &seen) == NEPTUN_OK && seen == 3);
    seen = 0;
    CHECK(store_foreach(s, NULL, stop_walk, &seen) == NEPTUN_DECLINED && seen == 1);

    CHECK(store_delete(s, "campaigns", "laczy-nas-gdansk") == NEPTUN_OK);
    CHECK(store_delete(s, "campaigns", "laczy-nas-gdansk") == NEPTUN_NOT_FOUND);
    CHECK(store_delete(s, "nope", "nope") == NEPTUN_NOT_FOUND);
    struct neptun_item *got = NULL;
    CHECK(store_get(s, pool, "campaigns", "laczy-nas-gdansk", 1, NOW, &got) == NEPTUN_NOT_FOUND);
    struct store_query q = {.q = "laczy", .now = NOW, .order = STORE_ORDER_RANK};
    size_t total = 0;
    CHECK(list_count(s, &q, &total) == 0 && total == 0);
    CHECK(store_check(s) == NEPTUN_OK);
}

static void test_all_or_nothing(struct store *s)
{
    struct neptun_item *good = make_item("forums", "forum-1", NEPTUN_STATUS_PUBLISHED, 0, NOW,
                                         "I Forum", NULL);
    struct neptun_item *bad = make_item("forums", "forum-2", NEPTUN_STATUS_PUBLISHED, 0, NOW,
                                        "II Forum", "II Forum");
    bad->texts[1].lang = "pl"; /* the same language twice */
    const struct neptun_item *batch[2] = {good, bad};
    int created[2] = {0, 0};
    int64_t before = 0, after = 0;
    CHECK(store_count(s, &before) == NEPTUN_OK);
    CHECK(store_put_many(s, batch, NULL, 2, created) != NEPTUN_OK);
    CHECK(store_count(s, &after) == NEPTUN_OK && after == before);
    bad->texts[1].lang = "en";
    CHECK(store_put_many(s, batch, NULL, 2, created) == NEPTUN_OK);
    CHECK(created[0] == 1 && created[1] == 1);
    CHECK(store_count(s, &after) == NEPTUN_OK && after == before + 2);
}

/* A page's texts, tags and links are read for all its items at once: each
 * item gets its own, in stored order (texts as written, not by language),
 * and an item without tags or links gets none of its neighbours'. */
static struct neptun_item *parts_item(const char *slug, int64_t updated, size_t ntexts)
{
    static const char *const langs[] = {"de", "pl", "en"};
    struct neptun_item *it = make_item("parts", slug, NEPTUN_STATUS_PUBLISHED, 0, updated, "x",
                                       NULL);
    it->texts = neptun_pool_calloc(pool, ntexts, sizeof(*it->texts));
    it->ntexts = ntexts;
    for (size_t i = 0; i < ntexts; i++) {
        it->texts[i].lang = langs[i];
        it->texts[i].title = neptun_pool_printf(pool, "kwiatuszek %s %s", slug, langs[i]);
        it->texts[i].body = i == 0 ? "<div xmlns=\"http://www.w3.org/1999/xhtml\"/>" : NULL;
    }
    return it;
}

static void check_parts_a(const struct neptun_item *it)
{
    CHECK_STR(it->slug, "parts-a");
    CHECK(it->ntexts == 3 && it->ntags == 0 && it->nlinks == 1);
    if (it->ntexts == 3) {
        CHECK_STR(it->texts[0].lang, "de");
        CHECK_STR(it->texts[1].lang, "pl");
        CHECK_STR(it->texts[2].lang, "en");
        CHECK_STR(it->texts[2].title, "kwiatuszek parts-a en");
        CHECK(it->texts[0].body != NULL && it->texts[1].body == NULL);
    }
    if (it->nlinks == 1)
        CHECK_STR(it->links[0].href, "http://a.example/");
}

static void check_parts_c(const struct neptun_item *it)
{
    CHECK_STR(it->slug, "parts-c");
    CHECK(it->ntexts == 2 && it->ntags == 3 && it->nlinks == 2);
    if (it->ntexts == 2)
        CHECK_STR(it->texts[1].title, "kwiatuszek parts-c pl");
    if (it->ntags == 3) {
        CHECK_STR(it->tags[0], "zeta");
        CHECK_STR(it->tags[1], "alpha");
        CHECK_STR(it->tags[2], "mid");
    }
    if (it->nlinks == 2) {
        CHECK_STR(it->links[0].rel, "social");
        CHECK_STR(it->links[1].rel, "programme");
        CHECK_STR(it->links[1].title, "Program");
    }
}

static void test_page_parts(struct store *s)
{
    static const char *tags_c[] = {"zeta", "alpha", "mid"};
    static struct neptun_link link_a[] = {{.rel = "related", .href = "http://a.example/"}};
    static struct neptun_link links_c[] = {
        {.rel = "social", .href = "http://c.example/s"},
        {.rel = "programme", .href = "http://c.example/p", .title = "Program"},
    };
    struct neptun_item *a = parts_item("parts-a", NOW - 10, 3);
    struct neptun_item *b = parts_item("parts-b", NOW - 20, 1);
    struct neptun_item *c = parts_item("parts-c", NOW - 30, 2);
    a->links = link_a;
    a->nlinks = 1;
    c->tags = tags_c;
    c->ntags = 3;
    c->links = links_c;
    c->nlinks = 2;
    CHECK(put(s, a, NULL) == 1 && put(s, b, NULL) == 1 && put(s, c, NULL) == 1);

    struct store_query q = {.type = "parts", .now = NOW};
    struct neptun_item **items = NULL;
    const char **langs = NULL;
    size_t n = 0, total = 0;
    CHECK(store_list(s, pool, &q, &items, NULL, &n, &total) == NEPTUN_OK && n == 3 && total == 3);
    if (n == 3) {
        check_parts_a(items[0]);
        CHECK_STR(items[1]->slug, "parts-b");
        CHECK(items[1]->ntexts == 1 && items[1]->ntags == 0 && items[1]->nlinks == 0);
        CHECK(items[1]->tags == NULL && items[1]->links == NULL);
        check_parts_c(items[2]);
    }
    /* one item of a page, and an empty page */
    q.offset = 2;
    q.limit = 1;
    CHECK(store_list(s, pool, &q, &items, NULL, &n, &total) == NEPTUN_OK && n == 1);
    if (n == 1)
        check_parts_c(items[0]);
    q.offset = 3;
    CHECK(store_list(s, pool, &q, &items, NULL, &n, &total) == NEPTUN_OK && n == 0);

    /* a ranked search loads its page the same way */
    struct store_query sq = {.q = "kwiatuszek", .lang = "pl", .now = NOW,
                             .order = STORE_ORDER_RANK};
    CHECK(store_list(s, pool, &sq, &items, &langs, &n, &total) == NEPTUN_OK && n == 3);
    for (size_t i = 0; i < n; i++) {
        /* the reader's language where the item has it */
        CHECK_STR(langs[i], items[i]->ntexts > 1 ? "pl" : "de");
        if (strcmp(items[i]->slug, "parts-a") == 0)
            check_parts_a(items[i]);
        else if (strcmp(items[i]->slug, "parts-c") == 0)
            check_parts_c(items[i]);
        else
            CHECK(items[i]->ntexts == 1 && items[i]->ntags == 0 && items[i]->nlinks == 0);
    }
    CHECK(store_delete(s, "parts", "parts-a") == NEPTUN_OK);
    CHECK(store_delete(s, "parts", "parts-b") == NEPTUN_OK);
    CHECK(store_delete(s, "parts", "parts-c") == NEPTUN_OK);
}

static const char *pl_title_on(struct store *reader, const char *slug)
{
    struct neptun_item *got = NULL;
    if (store_get(reader, pool, "forums", slug, 0, NOW, &got) != NEPTUN_OK || got->ntexts < 1)
        return "(none)";
    return got->texts[0].title;
}

/* A reader keeps the parts of items it read (store_parts.c): an edit, and a
 * delete whose row id the next insert reuses, must still read afresh. */
static void test_kept_parts(struct store *s, struct store *reader)
{
    int64_t later = NOW + 1000;
    CHECK(put(s, make_item("forums", "kept", NEPTUN_STATUS_PUBLISHED, 0, later, "Pierwszy", NULL),
              NULL) == 1);
    CHECK_STR(pl_title_on(reader, "kept"), "Pierwszy");
    CHECK_STR(pl_title_on(reader, "kept"), "Pierwszy"); /* from the kept copy */
    CHECK(put(s, make_item("forums", "kept", NEPTUN_STATUS_PUBLISHED, 0, later, "Drugi", NULL),
              NULL) == 0);
    CHECK_STR(pl_title_on(reader, "kept"), "Drugi"); /* a new revision */

    /* the same slug deleted and stored again: the same row id (the highest
     * is reused), revision 1, the same times - only the delete tells */
    CHECK(put(s, make_item("forums", "kept-again", NEPTUN_STATUS_PUBLISHED, 0, later, "Raz", NULL),
              NULL) == 1);
    struct neptun_item *first = NULL, *second = NULL;
    CHECK(store_get(reader, pool, "forums", "kept-again", 0, NOW, &first) == NEPTUN_OK);
    CHECK_STR(pl_title_on(reader, "kept-again"), "Raz");
    CHECK(store_delete(s, "forums", "kept-again") == NEPTUN_OK);
    CHECK(put(s, make_item("forums", "kept-again", NEPTUN_STATUS_PUBLISHED, 0, later, "Dwa", NULL),
              NULL) == 1);
    CHECK(store_get(reader, pool, "forums", "kept-again", 0, NOW, &second) == NEPTUN_OK);
    CHECK(first != NULL && second != NULL && first->id == second->id &&
          first->revision == second->revision);
    CHECK_STR(pl_title_on(reader, "kept-again"), "Dwa");

    /* a list reads its page's parts through the same copies */
    struct store_query q = {.type = "forums", .now = NOW, .order = STORE_ORDER_UPDATED, .limit = 2};
    struct neptun_item **items = NULL;
    size_t n = 0, total = 0;
    CHECK(store_list(reader, pool, &q, &items, NULL, &n, &total) == NEPTUN_OK && n == 2);
    CHECK(n == 2 && items[0]->ntexts == 1 && items[1]->ntexts == 1);
    CHECK(store_delete(s, "forums", "kept") == NEPTUN_OK);
    CHECK(store_delete(s, "forums", "kept-again") == NEPTUN_OK);
}

static const char *first_title(struct store *reader, int64_t now, size_t *total)
{
    struct store_query q = {.type = "forums", .now = now, .order = STORE_ORDER_UPDATED, .limit = 3};
    struct neptun_item **items = NULL;
    size_t n = 0;
    *total = 0;
    if (store_list(reader, pool, &q, &items, NULL, &n, total) != NEPTUN_OK || n == 0 ||
        items[0]->ntexts == 0)
        return "(none)";
    return items[0]->texts[0].title;
}

/* A reader keeps plain pages (store_pages.c) while the file is unchanged:
 * a commit by another connection, and a scheduled item coming due, must
 * still show. */
static void test_kept_pages(struct store *s, struct store *reader)
{
    int64_t later = NOW + 2000;
    size_t total = 0, total_again = 0, total_before = 0;
    CHECK(put(s, make_item("forums", "page-top", NEPTUN_STATUS_PUBLISHED, 0, later, "Góra", NULL),
              NULL) == 1);
    CHECK_STR(first_title(reader, NOW, &total), "Góra");
    CHECK_STR(first_title(reader, NOW, &total_again), "Góra"); /* the kept page */
    CHECK(total > 0 && total_again == total);
    CHECK(put(s, make_item("forums", "page-top", NEPTUN_STATUS_PUBLISHED, 0, later, "Szczyt", NULL),
              NULL) == 0);
    CHECK_STR(first_title(reader, NOW, &total_again), "Szczyt"); /* the file moved on */
    CHECK(total_again == total);

    /* scheduled for NOW + 60: absent now, at the top once it is due */
    struct neptun_item *soon = make_item("forums", "page-soon", NEPTUN_STATUS_PUBLISHED, NOW + 60,
                                         later + 1, "Wkrótce", NULL);
    CHECK(put(s, soon, NULL) == 1);
    CHECK_STR(first_title(reader, NOW, &total_before), "Szczyt");
    CHECK_STR(first_title(reader, NOW + 59, &total_again), "Szczyt"); /* kept, still valid */
    CHECK(total_before == total && total_again == total);
    CHECK_STR(first_title(reader, NOW + 60, &total_again), "Wkrótce");
    CHECK(total_again == total + 1);
    CHECK(store_delete(s, "forums", "page-soon") == NEPTUN_OK);
    CHECK_STR(first_title(reader, NOW + 60, &total_again), "Szczyt");
    CHECK(store_delete(s, "forums", "page-top") == NEPTUN_OK);
    CHECK(strcmp(first_title(reader, NOW, &total_again), "Szczyt") != 0);
    CHECK(total_again == total - 1);
}

/* A commit by another process (an import beside the server) does not move
 * this process's commit count: a kept page may be answered for up to
 * STORE_SEEN_MS without asking the file, then the commit shows. */
static void test_kept_pages_other_process(const char *path, struct store *s,
                                          struct store *reader)
{
    size_t total = 0;
    int64_t later = NOW + 3000;
    CHECK(strcmp(first_title(reader, NOW, &total), "Z innego procesu") != 0); /* kept */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        struct store *w = NULL;
        char *err = NULL;
        int ok = store_open(path, 0, &w, &err) == NEPTUN_OK &&
                 put(w, make_item("forums", "page-other", NEPTUN_STATUS_PUBLISHED, 0, later,
                                  "Z innego procesu", NULL), NULL) == 1;
        store_close(w);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    usleep((STORE_SEEN_MS + 100) * 1000);
    CHECK_STR(first_title(reader, NOW, &total), "Z innego procesu");
    CHECK(store_delete(s, "forums", "page-other") == NEPTUN_OK);
}

/* Files that go away or fill up under a running store, and the marker that
 * keeps a missing store from being replaced by an empty one in silence. */
static void test_file_faults(const char *dir)
{
    char path[300], moved[300], marker[320];
    struct store *s = NULL, *ro = NULL;
    char *err = NULL;
    struct stat st;

    snprintf(path, sizeof path, "%s/faults.db", dir);
    snprintf(moved, sizeof moved, "%s/faults-moved.db", dir);
    snprintf(marker, sizeof marker, "%s%s", path, STORE_MARKER_SUFFIX);

    /* a first start creates the store and its marker */
    CHECK(stat(marker, &st) != 0);
    CHECK(store_open(path, STORE_CREATE, &s, &err) == NEPTUN_OK && s != NULL);
    free(err);
    err = NULL;
    if (s == NULL)
        return;
    CHECK(stat(marker, &st) == 0 && st.st_size > 0);
    CHECK(put(s, make_item("forums", "f1", NEPTUN_STATUS_PUBLISHED, 0, NOW, "F1", NULL), NULL) == 1);

    /* other connections' commits show to store_poll_changes() within a
     * second of a read connection's opening it, once */
    CHECK(store_open(path, STORE_READONLY, &ro, &err) == NEPTUN_OK);
    free(err);
    err = NULL;
    CHECK(store_poll_changes() == 0); /* too soon */
    usleep((STORE_POLL_MS + 100) * 1000);
    CHECK(store_poll_changes() == 0); /* nothing written */
    CHECK(put(s, make_item("forums", "f2", NEPTUN_STATUS_PUBLISHED, 0, NOW, "F2", NULL), NULL) == 1);
    CHECK(store_poll_changes() == 0); /* looked less than a second ago */
    usleep((STORE_POLL_MS + 100) * 1000);
    CHECK(store_poll_changes() == 1);
    CHECK(store_poll_changes() == 0);
    store_close(ro);
    ro = NULL;

    /* renamed under the open store: writes are refused, nothing is
     * committed to the moved file */
    CHECK(rename(path, moved) == 0);
    CHECK(put(s, make_item("forums", "f3", NEPTUN_STATUS_PUBLISHED, 0, NOW, "F3", NULL), NULL) ==
          STORE_GONE);
    CHECK(store_delete(s, "forums", "f1") == STORE_GONE);
    CHECK(rename(moved, path) == 0);
    CHECK(put(s, make_item("forums", "f3", NEPTUN_STATUS_PUBLISHED, 0, NOW, "F3", NULL), NULL) == 1);
    /* replaced by another file of the same name */
    CHECK(rename(path, moved) == 0);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f != NULL)
        fclose(f);
    CHECK(put(s, make_item("forums", "f4", NEPTUN_STATUS_PUBLISHED, 0, NOW, "F4", NULL), NULL) ==
          STORE_GONE);
    CHECK(unlink(path) == 0 && rename(moved, path) == 0);

    /* out of space: the file may not grow (as on a full disk) */
    CHECK(sqlite3_exec(s->db, "PRAGMA max_page_count = 1", NULL, NULL, NULL) == SQLITE_OK);
    struct neptun_item *big = make_item("forums", "f5", NEPTUN_STATUS_PUBLISHED, 0, NOW, "F5", NULL);
    char *body = neptun_pool_alloc(pool, 200001);
    CHECK(body != NULL);
    if (body != NULL) {
        memset(body, 'x', 200000);
        body[200000] = '\0';
        big->texts[0].body = body;
        CHECK(put(s, big, NULL) == STORE_FULL);
    }
    store_close(s);
    s = NULL;

    /* deleted while the server was down: no empty store in its place */
    CHECK(rename(path, moved) == 0);
    CHECK(store_open(path, STORE_CREATE, &s, &err) == NEPTUN_ERROR && s == NULL);
    CHECK(err != NULL && strstr(err, "--init") != NULL && strstr(err, "moved or deleted") != NULL);
    CHECK(stat(path, &st) != 0);
    free(err);
    err = NULL;
    /* unless asked to */
    CHECK(store_open(path, STORE_CREATE | STORE_INIT, &s, &err) == NEPTUN_OK && s != NULL);
    int64_t count = -1;
    CHECK(s != NULL && store_count(s, &count) == NEPTUN_OK && count == 0);
    store_close(s);
    free(err);

    const char *files[] = {"faults.db", "faults.db-wal", "faults.db-shm", "faults.db.marker",
                           "faults-moved.db", "faults-moved.db-wal", "faults-moved.db-shm"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
}

/* Every write moves its type's change time forward, a delete too, two in
 * one second included; a refused write does not; a scheduled item counts
 * once due; a read connection sees the same time.  Leaves no item. */
static void test_type_changes(struct store *s, struct store *reader)
{
    int64_t now = (int64_t)time(NULL);
    int64_t forums = store_changed_at(s, "forums", now);
    CHECK(forums >= now - 60);
    CHECK(store_changed_at(s, "changes", now) == 0); /* never written */
    CHECK(put(s, make_item("changes", "a", NEPTUN_STATUS_PUBLISHED, 0, NOW, "A", NULL), NULL) == 1);
    int64_t c1 = store_changed_at(s, "changes", now);
    CHECK(c1 >= now); /* the write's time, not the item's (2017) */
    CHECK(put(s, make_item("changes", "b", NEPTUN_STATUS_PUBLISHED, 0, NOW, "B", NULL), NULL) == 1);
    int64_t c2 = store_changed_at(s, "changes", now);
    CHECK(c2 > c1); /* within the same second still later */
    CHECK(store_delete(s, "changes", "b") == NEPTUN_OK);
    int64_t c3 = store_changed_at(s, "changes", now);
    CHECK(c3 > c2);
    CHECK(put(s, make_item("changes", "a", NEPTUN_STATUS_DRAFT, 0, NOW, "A", NULL), NULL) == 0);
    int64_t c4 = store_changed_at(s, "changes", now);
    CHECK(c4 > c3); /* an unpublish */
    CHECK(store_changed_at(s, NULL, now) >= c4);
    /* refused writes leave it alone */
    CHECK(store_create(s, make_item("changes", "a", NEPTUN_STATUS_PUBLISHED, 0, NOW, "A", NULL),
                       NULL) == STORE_EXISTS);
    CHECK(store_delete(s, "changes", "missing") == NEPTUN_NOT_FOUND);
    CHECK(store_changed_at(s, "changes", now) == c4);
    /* a scheduled item counts at its publish_at once due, not before */
    int64_t due = now + 100000;
    CHECK(put(s, make_item("changes", "later", NEPTUN_STATUS_PUBLISHED, due, NOW, "L", NULL),
              NULL) == 1);
    int64_t c5 = store_changed_at(s, "changes", now);
    CHECK(c5 > c4 && c5 < due);
    CHECK(store_changed_at(s, "changes", due - 1) == c5);
    CHECK(store_changed_at(s, "changes", due) == due);
    CHECK(store_changed_at(s, "changes", due + 5) == due);
    CHECK(store_changed_at(s, NULL, due) == due);
    /* a draft never comes due */
    CHECK(put(s, make_item("changes", "later", NEPTUN_STATUS_DRAFT, due, NOW, "L", NULL), NULL) ==
          0);
    int64_t c6 = store_changed_at(s, "changes", due);
    CHECK(c6 > c5 && c6 < due);
    /* an item dated ahead of now moves the time to its date */
    CHECK(put(s, make_item("changes", "ahead", NEPTUN_STATUS_PUBLISHED, 0, now + 5000, "F", NULL),
              NULL) == 1);
    int64_t c7 = store_changed_at(s, "changes", now);
    CHECK(c7 >= now + 5000);
    if (reader != NULL)
        CHECK(store_changed_at(reader, "changes", now) == c7);
    CHECK(store_delete(s, "changes", "ahead") == NEPTUN_OK);
    CHECK(store_changed_at(s, "changes", now) > c7); /* never back */
    CHECK(store_delete(s, "changes", "a") == NEPTUN_OK);
    CHECK(store_delete(s, "changes", "later") == NEPTUN_OK);
    CHECK(store_changed_at(s, "forums", now) == forums); /* other types left alone */
}

/* The identity of the store's items: an authority and a date written once
 * into meta (a migration run again keeps them), and in force for the
 * renderers; no listen address in it. */
static void test_identity(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char authority[256] = "", created[32] = "";
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &st, NULL) == SQLITE_OK);
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (strcmp(k, "authority") == 0)
            snprintf(authority, sizeof authority, "%s", v);
        else if (strcmp(k, "created") == 0)
            snprintf(created, sizeof created, "%s", v);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    CHECK(strncmp(authority, "neptun-", 7) == 0 && strlen(authority) == 19);
    CHECK(strlen(created) == 10 && created[4] == '-' && created[7] == '-');
    CHECK(strcmp(conf_identity_authority(), authority) == 0);
    CHECK(strcmp(conf_identity_date(), created) == 0);
}

/* A store of schema version 3 (no change times): opening it for writing
 * migrates it; the times start at the upgrade, never before an item's. */
static void test_migrate_from_3(const char *path)
{
    struct store *s = NULL;
    char *err = NULL;
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "DROP TABLE type_changes; PRAGMA user_version = 3", NULL, NULL, NULL) ==
          SQLITE_OK);
    sqlite3_close(db);
    /* a read connection refuses the old schema, naming both versions */
    CHECK(store_open(path, STORE_READONLY, &s, &err) == NEPTUN_ERROR && s == NULL);
    CHECK(err != NULL && strstr(err, "schema version 3, this neptun needs 5") != NULL);
    free(err);
    err = NULL;
    int64_t before = (int64_t)time(NULL);
    CHECK(store_open(path, 0, &s, &err) == NEPTUN_OK);
    free(err);
    if (s == NULL)
        return;
    int version = 0;
    CHECK(store_schema_version(s, &version) == NEPTUN_OK && version == STORE_SCHEMA_VERSION);
    int64_t count = 0;
    CHECK(store_count(s, &count) == NEPTUN_OK && count == 8);
    int64_t forums = store_changed_at(s, "forums", before);
    CHECK(forums >= before && forums <= (int64_t)time(NULL));
    CHECK(store_changed_at(s, "changes", before) == 0); /* no item left: not known */
    CHECK(store_delete(s, "forums", "no-such-forum") == NEPTUN_NOT_FOUND);
    CHECK(put(s, make_item("forums", "after-upgrade", NEPTUN_STATUS_PUBLISHED, 0, NOW, "U", NULL),
              NULL) == 1);
    CHECK(store_changed_at(s, "forums", before) > forums);
    CHECK(store_delete(s, "forums", "after-upgrade") == NEPTUN_OK);
    store_close(s);
    test_identity(path);
}

int main(void)
{
    char dir[] = "/tmp/neptun-test-store-XXXXXX";
    char path[256], side[300];
    struct store *s = NULL, *ro = NULL;
    char *err = NULL;

    pool = neptun_pool_new(1 << 16);
    CHECK(pool != NULL && mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/neptun.db", dir);

    /* opening a missing file without STORE_CREATE fails with a message */
    CHECK(store_open(path, 0, &s, &err) == NEPTUN_ERROR && s == NULL && err != NULL);
    free(err);
    err = NULL;
    CHECK(store_open(path, STORE_CREATE, &s, &err) == NEPTUN_OK);
    if (s == NULL) {
        fprintf(stderr, "open: %s\n", err ? err : "?");
        free(err);
        CHECK_DONE();
    }
    test_put_get(s);
    test_visibility(s);
    test_lists(s);
    test_search(s);
    test_delete_walk(s);
    test_all_or_nothing(s);
    test_page_parts(s);

    /* a read connection sees committed writes and refuses to write */
    CHECK(store_open(path, STORE_READONLY, &ro, &err) == NEPTUN_OK);
    if (ro != NULL) {
        struct neptun_item *got = NULL;
        CHECK(store_get(ro, pool, "forums", "forum-2", 0, NOW, &got) == NEPTUN_OK);
        CHECK(put(ro, make_item("forums", "x", NEPTUN_STATUS_DRAFT, 0, NOW, "x", NULL), NULL) ==
              NEPTUN_ERROR);
        CHECK(store_delete(ro, "forums", "forum-2") == NEPTUN_ERROR);
        /* the page cache bound, in KiB (a negative cache_size); 0 keeps SQLite's */
        sqlite3_stmt *cs = NULL;
        CHECK(store_set_page_cache(ro, 16u << 20) == NEPTUN_OK);
        CHECK(store_set_page_cache(ro, 0) == NEPTUN_OK);
        CHECK(sqlite3_prepare_v2(ro->db, "PRAGMA cache_size", -1, &cs, NULL) == SQLITE_OK);
        CHECK(sqlite3_step(cs) == SQLITE_ROW && sqlite3_column_int64(cs, 0) == -16384);
        sqlite3_finalize(cs);
        CHECK(store_check(ro) == NEPTUN_OK);
        test_kept_parts(s, ro);
        test_kept_pages(s, ro);
        test_kept_pages_other_process(path, s, ro);
    }
    test_type_changes(s, ro);
    free(err);
    err = NULL;
    store_close(ro);
    store_close(s);
    s = NULL;

    /* reopening runs no migration twice and keeps everything */
    CHECK(store_open(path, 0, &s, &err) == NEPTUN_OK);
    int64_t count = 0;
    CHECK(s != NULL && store_count(s, &count) == NEPTUN_OK && count == 8);
    store_close(s);
    free(err);
    test_migrate_from_3(path);

    /* a file that is not a database is refused clearly */
    snprintf(side, sizeof(side), "%s/junk.db", dir);
    FILE *f = fopen(side, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs("this is not a database, just text that is long enough to have a header.....\n", f);
        fclose(f);
    }
    err = NULL;
    s = NULL;
    CHECK(store_open(side, 0, &s, &err) == NEPTUN_ERROR && s == NULL && err != NULL);
    free(err);

    test_file_faults(dir);

    const char *suffixes[] = {"neptun.db", "neptun.db-wal", "neptun.db-shm", "neptun.db.marker",
                              "junk.db", "junk.db-wal", "junk.db-shm"};
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(side, sizeof(side), "%s/%s", dir, suffixes[i]);
        unlink(side);
    }
    rmdir(dir);
    neptun_pool_free(pool);
    CHECK_DONE();
}
