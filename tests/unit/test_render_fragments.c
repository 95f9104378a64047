/*
 * test_render_fragments.c - the per-item piece store: a piece answers only
 * for the very content it was made from (an edit, a rule's reshaped copy
 * or a reused row id all miss), per language, never for unstored items;
 * a newer revision replaces a record, a reshaped copy does not; the store
 * stays within its budget and frees everything when closed.  Each thread
 * keeps its own pieces; a clear by one reaches the others at their next
 * look, and the counts of every thread (also ended ones) add up.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "conf.h"
#include "render.h"
#include "render_internal.h"

static struct conf test_conf;

static void setup_conf(void)
{
    static char pl[] = "pl", en[] = "en";
    test_conf.nlangs = 2;
    test_conf.langs[0].code = pl;
    test_conf.langs[0].chain[0] = "pl";
    test_conf.langs[0].chain[1] = "en";
    test_conf.langs[1].code = en;
    test_conf.langs[1].chain[0] = "en";
    test_conf.langs[1].chain[1] = "pl";
    neptun_conf = &test_conf;
}

static struct neptun_text texts[2] = {
    { "pl", "Tytuł", "Streszczenie", "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Treść</p></div>" },
    { "en", "Title", NULL, NULL },
};
static const char *tags[] = { "conference" };
static struct neptun_link links[] = { { "registration", "http://example.org/r", "pl", NULL, NULL } };

static void make_item(struct neptun_item *it, int64_t id, int64_t revision)
{
    memset(it, 0, sizeof *it);
    it->id = id;
    it->revision = revision;
    it->type = "events";
    it->slug = "forum";
    it->status = NEPTUN_STATUS_PUBLISHED;
    it->updated = 1498723200;
    it->texts = texts;
    it->ntexts = 2;
    it->tags = tags;
    it->ntags = 1;
    it->links = links;
    it->nlinks = 1;
    it->fields_xml = "<event xmlns=\"urn:neptun:1\"><session/></event>";
}

/* The kept piece as a string, or "(none)". */
static const char *got(struct neptun_pool *pool, const struct neptun_item *it, const char *lang,
                       enum render_piece piece)
{
    const char *s = NULL;
    size_t len = 0;
    if (!render_fragment_get(pool, it, lang, piece, &s, &len))
        return "(none)";
    return strlen(s) == len ? s : "(length mismatch)";
}

/* What another thread sees and does: its own pieces. */
struct other {
    struct neptun_item item;
    struct neptun_pool *pool;
    const char *before, *after; /* before and after its own put */
};

static void *other_thread(void *arg)
{
    struct other *o = arg;
    o->before = got(o->pool, &o->item, "pl", RENDER_PIECE_HUMAN);
    render_fragment_put(&o->item, "pl", RENDER_PIECE_HUMAN, "<div>other</div>", 16);
    o->after = got(o->pool, &o->item, "pl", RENDER_PIECE_HUMAN);
    return NULL;
}

/* A thread that keeps a piece and then waits until told to look again. */
struct waiter {
    struct neptun_item item;
    struct neptun_pool *pool;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stage; /* 1: kept (thread), 2: look again (main), 3: looked (thread) */
    const char *kept, *after_clear;
};

static void *waiting_thread(void *arg)
{
    struct waiter *w = arg;
    render_fragment_put(&w->item, "en", RENDER_PIECE_HUMAN, "<div>w</div>", 12);
    pthread_mutex_lock(&w->lock);
    w->kept = got(w->pool, &w->item, "en", RENDER_PIECE_HUMAN);
    w->stage = 1;
    pthread_cond_broadcast(&w->cond);
    while (w->stage != 2)
        pthread_cond_wait(&w->cond, &w->lock);
    w->after_clear = got(w->pool, &w->item, "en", RENDER_PIECE_HUMAN);
    w->stage = 3;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void test_threads(void)
{
    struct neptun_pool *pool_a = neptun_pool_new(4096), *pool_b = neptun_pool_new(4096);
    pthread_t t;
    uint64_t hits_before = 0, misses_before = 0, hits = 0, misses = 0;
    CHECK(pool_a != NULL && pool_b != NULL);
    render_fragments_init(1 << 20);
    struct other o = { .pool = pool_a };
    make_item(&o.item, 31, 1);
    render_fragment_put(&o.item, "pl", RENDER_PIECE_HUMAN, "<div>main</div>", 15);
    render_fragments_stats(&hits_before, &misses_before, NULL);
    CHECK(pthread_create(&t, NULL, other_thread, &o) == 0 && pthread_join(t, NULL) == 0);
    CHECK_STR(o.before, "(none)");            /* the main thread's piece is its own */
    CHECK_STR(o.after, "<div>other</div>");
    CHECK_STR(got(pool_a, &o.item, "pl", RENDER_PIECE_HUMAN), "<div>main</div>");
    render_fragments_stats(&hits, &misses, NULL); /* the ended thread's counts stay */
    CHECK(hits == hits_before + 2 && misses == misses_before + 1);

    struct waiter w = { .pool = pool_b, .stage = 0 };
    make_item(&w.item, 32, 1);
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    CHECK(pthread_create(&t, NULL, waiting_thread, &w) == 0);
    pthread_mutex_lock(&w.lock);
    while (w.stage != 1)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    size_t bytes = 0;
    render_fragments_stats(NULL, NULL, &bytes);
    CHECK(bytes > 0);
    render_fragments_clear(); /* from this thread, while the other keeps a piece */
    pthread_mutex_lock(&w.lock);
    w.stage = 2;
    pthread_cond_broadcast(&w.cond);
    while (w.stage != 3)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_STR(w.kept, "<div>w</div>");
    CHECK_STR(w.after_clear, "(none)");
    CHECK_STR(got(pool_a, &o.item, "pl", RENDER_PIECE_HUMAN), "(none)");
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
    neptun_pool_free(pool_a);
    neptun_pool_free(pool_b);
}

int main(void)
{
    struct neptun_pool *pool = neptun_pool_new(4096);
    struct neptun_item item, copy, newer;
    CHECK(pool != NULL);
    setup_conf();
    make_item(&item, 7, 1);

    /* Nothing is kept before the store has a budget. */
    render_fragment_put(&item, "pl", RENDER_PIECE_HUMAN, "<div/>", 6);
    CHECK_STR(got(pool, &item, "pl", RENDER_PIECE_HUMAN), "(none)");

    render_fragments_init(1 << 20);
    render_fragment_put(&item, "pl", RENDER_PIECE_HUMAN, "<div>pl</div>", 13);
    CHECK_STR(got(pool, &item, "pl", RENDER_PIECE_HUMAN), "<div>pl</div>");
    /* per language and per kind */
    CHECK_STR(got(pool, &item, "en", RENDER_PIECE_HUMAN), "(none)");
    CHECK_STR(got(pool, &item, "pl", RENDER_PIECE_FIELDS), "(none)");
    render_fragment_put(&item, "en", RENDER_PIECE_HUMAN, "<div>en</div>", 13);
    CHECK_STR(got(pool, &item, "en", RENDER_PIECE_HUMAN), "<div>en</div>");
    CHECK_STR(got(pool, &item, "pl", RENDER_PIECE_HUMAN), "<div>pl</div>");
    /* an empty piece is a piece */
    render_fragment_put(&item, "pl", RENDER_PIECE_BODY, "", 0);
    CHECK_STR(got(pool, &item, "pl", RENDER_PIECE_BODY), "");

    /* An equal copy (other pointers, same content) is answered. */
    struct neptun_text texts_copy[2];
    memcpy(texts_copy, texts, sizeof texts);
    char title[] = "Tytuł";
    texts_copy[0].title = title;
    make_item(&copy, 7, 1);
    copy.texts = texts_copy;
    CHECK_STR(got(pool, &copy, "pl", RENDER_PIECE_HUMAN), "<div>pl</div>");

    /* A rule reshaped the copy (same id and revision): no answer, and its
     * pieces do not replace the stored form's. */
    texts_copy[0].title = "Inny tytuł";
    CHECK_STR(got(pool, &copy, "pl", RENDER_PIECE_HUMAN), "(none)");
    render_fragment_put(&copy, "pl", RENDER_PIECE_HUMAN, "<div>reshaped</div>", 19);
    CHECK_STR(got(pool, &item, "pl", RENDER_PIECE_HUMAN), "<div>pl</div>");
    CHECK_STR(got(pool, &copy, "pl", RENDER_PIECE_HUMAN), "(none)");
    /* links and tags count as content too */
    struct neptun_link other_links[] = { { "registration", "http://example.org/other", "pl", NULL, NULL } };
    make_item(&copy, 7, 1);
    copy.links = other_links;
    CHECK_STR(got(pool, &copy, "pl", RENDER_PIECE_HUMAN), "(none)");
    make_item(&copy, 7, 1);
    copy.ntags = 0;
    CHECK_STR(got(pool, &copy, "pl", RENDER_PIECE_HUMAN), "(none)");
    /* a reused row id with other fields */
    make_item(&copy, 7, 1);
    copy.fields_xml = "<event xmlns=\"urn:neptun:1\"/>";
    CHECK_STR(got(pool, &copy, "pl", RENDER_PIECE_HUMAN), "(none)");

    /* A newer revision replaces the record: the old one's pieces go. */
    make_item(&newer, 7, 2);
    CHECK_STR(got(pool, &newer, "pl", RENDER_PIECE_HUMAN), "(none)");
    render_fragment_put(&newer, "pl", RENDER_PIECE_HUMAN, "<div>v2</div>", 13);
    CHECK_STR(got(pool, &newer, "pl", RENDER_PIECE_HUMAN), "<div>v2</div>");
    CHECK_STR(got(pool, &item, "pl", RENDER_PIECE_HUMAN), "(none)");
    CHECK_STR(got(pool, &newer, "en", RENDER_PIECE_HUMAN), "(none)");

    /* Unstored items and unknown languages are never kept. */
    struct neptun_item unstored;
    make_item(&unstored, 0, 1);
    render_fragment_put(&unstored, "pl", RENDER_PIECE_HUMAN, "<div/>", 6);
    CHECK_STR(got(pool, &unstored, "pl", RENDER_PIECE_HUMAN), "(none)");
    render_fragment_put(&newer, "xx", RENDER_PIECE_HUMAN, "<div/>", 6);
    CHECK_STR(got(pool, &newer, "xx", RENDER_PIECE_HUMAN), "(none)");

    /* The budget holds: many items into a small store. */
    render_fragments_init(64 * 1024);
    static char big[2048];
    memset(big, 'x', sizeof big - 1);
    for (int64_t id = 1; id <= 500; id++) {
        struct neptun_item it;
        make_item(&it, id, 1);
        render_fragment_put(&it, "pl", RENDER_PIECE_RSS_ITEM, big, sizeof big - 1);
    }
    size_t bytes = 0;
    uint64_t hits = 0, misses = 0;
    render_fragments_stats(&hits, &misses, &bytes);
    CHECK(bytes > 0 && bytes <= 64 * 1024);
    CHECK(hits > 0 && misses > 0);
    struct neptun_item last;
    make_item(&last, 500, 1);
    CHECK(strlen(got(pool, &last, "pl", RENDER_PIECE_RSS_ITEM)) == sizeof big - 1);

    /* Cleared: nothing answers; closed (budget 0): everything freed. */
    render_fragments_clear();
    CHECK_STR(got(pool, &last, "pl", RENDER_PIECE_RSS_ITEM), "(none)");
    render_fragments_stats(NULL, NULL, &bytes);
    CHECK(bytes == 0);
    test_threads();
    render_fragments_init(0);
    neptun_pool_free(pool);
    CHECK_DONE();
}
