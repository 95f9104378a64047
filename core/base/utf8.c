/*
 * utf8.c - the UTF-8 check (see utf8.h).  Table 3-7 of the Unicode
 * standard ("well-formed UTF-8 byte sequences") is the rule: a lead byte
 * C0, C1 or F5..FF never starts a sequence, and the decoded value must need
 * as many bytes as it took (no overlong forms), must not be a surrogate and
 * must not pass U+10FFFF.
 */
#include "utf8.h"

size_t utf8_sequence(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    unsigned cp;
    size_t n;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
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
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        if (p[i] < 0x80) { /* most text: no call per byte */
            i++;
            continue;
        }
        size_t n = utf8_sequence(p + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}
