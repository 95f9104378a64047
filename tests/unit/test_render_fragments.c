/*
 * test_render_fragments.c - the per-item piece store: a piece answers only
 * for the very content it was made from (an edit, a rule's reshaped copy
 * or a reused row id all miss), per language, never for unstored items;
 * a newer revision replaces a record, a reshaped copy does not; a missing
 * piece is made once by the caller's maker, a failed one is not kept, nor
 * a piece made on the way to a whole one; the store stays within its
 * budget and frees everything when closed.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "check.h"
#include "conf.h"
#include "content.h"
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

/* A moved copy stands on its own: the block it came from can be gone. */
static void test_copy_moved(const struct neptun_item *item)
{
    struct neptun_item kept, moved;
    size_t size = item_copy_size(item);
    char *from = malloc(size), *to = malloc(size);
    CHECK(from != NULL && to != NULL);
    item_copy(&kept, item, from);
    item_copy_moved(&moved, to, &kept, from, size);
    memset(from, 'x', size);
    free(from);
    CHECK(item_same(&moved, item));
    CHECK(moved.texts[1].summary == NULL && moved.texts[1].body == NULL);
    CHECK(moved.texts[0].body >= to && moved.texts[0].body < to + size);
    CHECK(moved.tags[0] >= to && moved.tags[0] < to + size);
    CHECK_STR(moved.links[0].href, "http://example.org/r");
    free(to);

    /* nothing but the item itself: no arrays, no strings */
    struct neptun_item bare = {.id = 3};
    char one[1];
    CHECK(item_copy_size(&bare) == 0);
    item_copy(&kept, &bare, one);
    item_copy_moved(&moved, one, &kept, one, 0);
    CHECK(item_same(&moved, &bare));
}

/* Makers as the formats pass them; made counts their calls. */
static int made;
static const struct neptun_item *made_for;

static const char *counted_maker(const struct render_item_job *job, size_t *len)
{
    made++;
    made_for = job->item;
    if (job->lang == NULL || strcmp(job->lang, "pl") != 0 || job->chain == NULL)
        return NULL;
    *len = 5;
    return neptun_pool_strdup(job->pool, "<x/>!");
}

static const char *failing_maker(const struct render_item_job *job, size_t *len)
{
    (void)job;
    (void)len;
    made++;
    return NULL;
}

/* A whole piece made of a shared one, as an <entry> holds the fields. */
static const char *whole_maker(const struct render_item_job *job, size_t *len)
{
    return render_piece(job->pool, job->item, job->lang, job->chain, RENDER_PIECE_FIELDS, len,
                        counted_maker);
}

static void test_makers(struct neptun_pool *pool, const struct neptun_item *item)
{
    static const char *const chain[] = { "pl", "en", NULL };
    size_t len = 0;

    render_fragments_init(1 << 20);
    made = 0;
    CHECK_STR(render_piece(pool, item, "pl", chain, RENDER_PIECE_HUMAN, &len, counted_maker),
              "<x/>!");
    CHECK(made == 1 && made_for == item && len == 5);
    len = 0;
    CHECK_STR(render_piece(pool, item, "pl", chain, RENDER_PIECE_HUMAN, &len, counted_maker),
              "<x/>!");
    CHECK(made == 1 && len == 5);   /* kept: not made again */

    CHECK(render_piece(pool, item, "pl", chain, RENDER_PIECE_BODY, &len, failing_maker) == NULL);
    CHECK(made == 2);
    CHECK_STR(got(pool, item, "pl", RENDER_PIECE_BODY), "(none)");

    CHECK_STR(render_piece(pool, item, "pl", chain, RENDER_PIECE_ATOM_ENTRY, &len, whole_maker),
              "<x/>!");
    CHECK(made == 3);
    CHECK_STR(got(pool, item, "pl", RENDER_PIECE_ATOM_ENTRY), "<x/>!");
    CHECK_STR(got(pool, item, "pl", RENDER_PIECE_FIELDS), "(none)");

    render_fragments_init(0);
}

int main(void)
{
    struct neptun_pool *pool = neptun_pool_new(4096);
    struct neptun_item item, copy, newer;
    CHECK(pool != NULL);
    setup_conf();
    make_item(&item, 7, 1);
    test_copy_moved(&item);
    test_makers(pool, &item);

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
    render_fragments_init(0);
    neptun_pool_free(pool);
    CHECK_DONE();
}
