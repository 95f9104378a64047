/*
 * utf8.h - the one UTF-8 check of the core: well-formed as Unicode defines
 * it (shortest form only, no surrogates U+D800..U+DFFF, nothing above
 * U+10FFFF).  Item documents, message catalogs and request paths all use
 * it, so they agree on what counts as text.
 */
#ifndef NEPTUN_UTF8_H
#define NEPTUN_UTF8_H

#include <stddef.h>

/* Length (1..4) of the well-formed sequence at p, which has left bytes
 * (left >= 1), or 0 when none starts there. */
size_t utf8_sequence(const unsigned char *p, size_t left);

/* 1 when s[0..len) is well-formed UTF-8 (NUL bytes count as text), else 0. */
int utf8_valid(const char *s, size_t len);

#endif
