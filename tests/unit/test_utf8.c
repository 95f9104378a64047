/*
 * test_utf8.c - the core's one UTF-8 check (utf8.c): shortest form only, no
 * surrogates, nothing above U+10FFFF, truncated sequences refused; every
 * sequence of up to three bytes compared with a reference decoder, and the
 * named cases with ICU (the message catalogs' check before utf8.c).
 */
#include <stdint.h>
#include <string.h>
#include <unicode/ustring.h>
#include "utf8.h"
#include "check.h"

/* The reference: decode the bytes loosely (any lead byte, continuations of
 * the form 10xxxxxx), then keep what Unicode calls well-formed.  Returns
 * the sequence's length or 0. */
static size_t reference(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n;
    uint32_t cp;

    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    size_t shortest = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (shortest != n || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 0;
    return n;
}

/* What ICU's converter (the catalogs' former check) says of s. */
static int icu_valid(const char *s, size_t len)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = 0;
    u_strFromUTF8(NULL, 0, &n, s, (int32_t)len, &err);
    return err == U_BUFFER_OVERFLOW_ERROR || U_SUCCESS(err);
}

static void test_named_cases(void)
{
    static const struct {
        const char *bytes;
        size_t len;
        int valid;
    } cases[] = {
        { "", 0, 1 },
        { "plain ASCII", 11, 1 },
        { "Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87", 10, 1 },   /* Zażółć */
        { "\xe2\x82\xac", 3, 1 },                           /* U+20AC */
        { "\xf0\x9f\x98\x80", 4, 1 },                       /* U+1F600 */
        { "\x7f", 1, 1 },
        { "\xc2\x80", 2, 1 },                               /* U+0080, shortest 2 */
        { "\xdf\xbf", 2, 1 },                               /* U+07FF */
        { "\xe0\xa0\x80", 3, 1 },                           /* U+0800 */
        { "\xed\x9f\xbf", 3, 1 },                           /* U+D7FF */
        { "\xee\x80\x80", 3, 1 },                           /* U+E000 */
        { "\xef\xbf\xbf", 3, 1 },                           /* U+FFFF */
        { "\xf0\x90\x80\x80", 4, 1 },                       /* U+10000 */
        { "\xf4\x8f\xbf\xbf", 4, 1 },                       /* U+10FFFF */
        /* overlong forms */
        { "\xc0\xaf", 2, 0 },                               /* "/" in two bytes */
        { "\xc1\xbf", 2, 0 },
        { "\xe0\x80\xaf", 3, 0 },
        { "\xe0\x9f\xbf", 3, 0 },                           /* U+07FF in three */
        { "\xf0\x80\x80\xaf", 4, 0 },
        { "\xf0\x8f\xbf\xbf", 4, 0 },                       /* U+FFFF in four */
        /* surrogates, alone and as a CESU-8 pair */
        { "\xed\xa0\x80", 3, 0 },                           /* U+D800 */
        { "\xed\xbf\xbf", 3, 0 },                           /* U+DFFF */
        { "\xed\xa0\xbd\xed\xb8\x80", 6, 0 },
        /* above U+10FFFF, and lead bytes that never start a sequence */
        { "\xf4\x90\x80\x80", 4, 0 },                       /* U+110000 */
        { "\xf5\x80\x80\x80", 4, 0 },
        { "\xf8\x88\x80\x80\x80", 5, 0 },
        { "\xfe", 1, 0 },
        { "\xff", 1, 0 },
        /* lone continuations and truncated sequences */
        { "\x80", 1, 0 },
        { "a\xbf", 2, 0 },
        { "\xc5", 1, 0 },
        { "\xe2\x82", 2, 0 },
        { "\xf0\x9f\x98", 3, 0 },
        { "\xe2\x82" "a", 3, 0 },
        { "ok\xc5\xbc\xc5", 5, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = utf8_valid(cases[i].bytes, cases[i].len);
        if (got != cases[i].valid)
            fprintf(stderr, "case %zu: utf8_valid %d, want %d\n", i, got, cases[i].valid);
        CHECK(got == cases[i].valid);
        CHECK(icu_valid(cases[i].bytes, cases[i].len) == cases[i].valid);
    }
    /* a NUL byte is text like any other */
    CHECK(utf8_valid("a\0b", 3) == 1);
    /* the length stops the check: bytes after len are not read */
    CHECK(utf8_valid("\xc5\xbc\xff", 2) == 1);
    CHECK(utf8_sequence((const unsigned char *)"\xc5\xbc", 1) == 0);
    CHECK(utf8_sequence((const unsigned char *)"\xf0\x9f\x98\x80", 4) == 4);
}

/* Every sequence of one, two and three bytes, and every four-byte one whose
 * lead byte could start one, against the reference. */
static void test_exhaustive(void)
{
    unsigned char b[4];
    long wrong = 0, valid = 0;

    for (unsigned x = 0; x < 0x100; x++) {
        b[0] = (unsigned char)x;
        wrong += utf8_sequence(b, 1) != reference(b, 1);
        for (unsigned y = 0; y < 0x100; y++) {
            b[1] = (unsigned char)y;
            wrong += utf8_sequence(b, 2) != reference(b, 2);
            /* two bytes are text as one sequence or as two ASCII bytes */
            wrong += utf8_valid((const char *)b, 2) != (reference(b, 2) == 2 || (x < 0x80 && y < 0x80));
            if (x < 0xe0 || x > 0xef)
                continue;
            for (unsigned z = 0; z < 0x100; z++) {
                b[2] = (unsigned char)z;
                size_t n = utf8_sequence(b, 3);
                wrong += n != reference(b, 3);
                valid += n == 3;
            }
        }
    }
    for (unsigned x = 0xf0; x < 0x100; x++)
        for (unsigned y = 0x80; y < 0xc0; y++)
            for (unsigned z = 0x80; z < 0xc0; z++)
                for (unsigned w = 0x70; w < 0xd0; w++) {
                    b[0] = (unsigned char)x;
                    b[1] = (unsigned char)y;
                    b[2] = (unsigned char)z;
                    b[3] = (unsigned char)w;
                    size_t n = utf8_sequence(b, 4);
                    wrong += n != reference(b, 4);
                    valid += n == 4;
                }
    CHECK(wrong == 0);
    /* U+0800..U+FFFF less the 2,048 surrogates; U+10000..U+10FFFF */
    CHECK(valid == (0x10000 - 0x800 - 0x800) + 0x100000);
}

int main(void)
{
    test_named_cases();
    test_exhaustive();
    CHECK_DONE();
}
