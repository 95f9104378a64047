/*
 * test_negotiate.c - Accept-Language, Accept-Encoding, If-None-Match and
 * the language-less redirect target.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http.h"

static const char *const langs[] = { "pl", "en", "de" };

static const char *pick(const char *header)
{
    return langs[negotiate_language_index(header, langs, 3)];
}

static void test_language(void)
{
    CHECK_STR(pick(NULL), "pl");
    CHECK_STR(pick(""), "pl");
    CHECK_STR(pick("de;q=0.9, en;q=0.8"), "de");
    CHECK_STR(pick("en;q=0.8, de;q=0.9"), "de");
    CHECK_STR(pick("fr"), "pl");                      /* unknown: the default */
    CHECK_STR(pick("fr, en;q=0.1"), "en");            /* unknown skipped */
    CHECK_STR(pick("en;q=0, de"), "de");
    CHECK_STR(pick("en;q=0"), "pl");                  /* refused: default last */
    CHECK_STR(pick("de-AT"), "de");                   /* region counts for its language */
    CHECK_STR(pick("DE-at;q=0.5, en-GB;q=0.4"), "de");
    CHECK_STR(pick("en, de"), "en");                  /* equal weight: header order */
    CHECK_STR(pick("de , en"), "de");
    CHECK_STR(pick("*"), "pl");                       /* anything: config order */
    CHECK_STR(pick("pl;q=0, *"), "en");
    CHECK_STR(pick("de;q=0.2, *;q=0.5"), "pl");       /* '*' covers the unnamed */
    CHECK_STR(pick("de;q=1.0, en;q=1"), "de");
    CHECK_STR(pick("de-AT;q=0, de;q=0.7, en;q=0.6"), "de"); /* exact range wins */
    CHECK_STR(pick("en;q=0.5;level=1, de;q=0.4"), "en");  /* other params ignored */
    CHECK_STR(pick("  en  ;  q=0.5  "), "en");

    /* malformed elements are skipped, never a crash */
    CHECK_STR(pick("de;q=2, en"), "en");
    CHECK_STR(pick("de;q=0.5555, en;q=0.1"), "en");
    CHECK_STR(pick("de;q=, en;q=0.1"), "en");
    CHECK_STR(pick("de;q=abc"), "pl");
    CHECK_STR(pick("1de, en;q=0.2"), "en");
    CHECK_STR(pick("de-, en;q=0.2"), "en");
    CHECK_STR(pick("verylongtag, en;q=0.2"), "en");
    CHECK_STR(pick(",,,;;;==="), "pl");
    CHECK_STR(pick(";q=1"), "pl");
    CHECK_STR(pick("\xc5\x81\xc3\xb3" "d\xc5\xba, de"), "de");

    /* bounded: too many ranges or a 10 KB header is ignored as a whole */
    char many[40 * 4 + 8] = "";
    for (int i = 0; i < 40; i++)
        strcat(many, "fr, ");
    strcat(many, "de");
    CHECK_STR(pick(many), "pl");
    size_t big = 10 * 1024;
    char *huge = malloc(big + 1);
    if (huge != NULL) {
        memset(huge, 'a', big);
        memcpy(huge, "de, ", 4);
        huge[big] = '\0';
        CHECK_STR(pick(huge), "pl");
        for (size_t i = 0; i < big; i++)
            huge[i] = (i % 3 == 2) ? ',' : ';';
        CHECK_STR(pick(huge), "pl");
        free(huge);
    }
}

static void test_gzip(void)
{
    CHECK(negotiate_gzip("gzip") == 1);
    CHECK(negotiate_gzip("gzip, deflate, br") == 1);
    CHECK(negotiate_gzip("deflate, GZIP;q=0.5") == 1);
    CHECK(negotiate_gzip("x-gzip") == 1);
    CHECK(negotiate_gzip("*") == 1);
    CHECK(negotiate_gzip(NULL) == 0);
    CHECK(negotiate_gzip("") == 0);
    CHECK(negotiate_gzip("identity") == 0);
    CHECK(negotiate_gzip("gzip;q=0") == 0);
    CHECK(negotiate_gzip("gzip;q=0.000") == 0);
    CHECK(negotiate_gzip("gzip;q=0, *") == 0);
    CHECK(negotiate_gzip("*;q=0") == 0);
    CHECK(negotiate_gzip("*, gzip;q=0") == 0);
    CHECK(negotiate_gzip("gzipx") == 0);
    CHECK(negotiate_gzip("gzip;q=bad") == 0);
}

static void test_etag(void)
{
    const char *tag = "\"abc123\"";
    CHECK(negotiate_etag_match("\"abc123\"", tag) == 1);
    CHECK(negotiate_etag_match("W/\"abc123\"", tag) == 1); /* weak comparison */
    CHECK(negotiate_etag_match("\"x\", \"abc123\"", tag) == 1);
    CHECK(negotiate_etag_match("\"x\",W/\"abc123\" ", tag) == 1);
    CHECK(negotiate_etag_match("*", tag) == 1);
    CHECK(negotiate_etag_match("\"abc12\"", tag) == 0);
    CHECK(negotiate_etag_match("\"abc1234\"", tag) == 0);
    CHECK(negotiate_etag_match("abc123", tag) == 0);
    CHECK(negotiate_etag_match("\"abc123", tag) == 0);
    CHECK(negotiate_etag_match("", tag) == 0);
    CHECK(negotiate_etag_match(NULL, tag) == 0);
}

static void test_redirect(void)
{
    struct neptun_pool *pool = neptun_pool_new(0);
    CHECK_STR(negotiate_redirect_location(pool, "http://127.0.0.1:8080", "de", "/events.rss?tag=a%20b"),
              "http://127.0.0.1:8080/de/events.rss?tag=a%20b");
    CHECK_STR(negotiate_redirect_location(pool, "", "pl", "/search?q=x"), "/pl/search?q=x");
    neptun_pool_free(pool);
}

int main(void)
{
    test_language();
    test_gzip();
    test_etag();
    test_redirect();
    CHECK_DONE();
}
