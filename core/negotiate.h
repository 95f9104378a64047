/*
 * negotiate.h - content negotiation and conditional-request headers
 * (RFC 9110): Accept-Language, Accept-Encoding, If-None-Match.
 *
 * Parsers are strict and bounded: a header longer than NEGOTIATE_MAX_HEADER
 * bytes or with more than NEGOTIATE_MAX_RANGES elements is ignored as a
 * whole; malformed elements are skipped.  Nothing here allocates except the
 * redirect helper (pool).
 */
#ifndef NEPTUN_NEGOTIATE_H
#define NEPTUN_NEGOTIATE_H

#include <stddef.h>
#include <neptun/pool.h>

#define NEGOTIATE_MAX_HEADER 4096
#define NEGOTIATE_MAX_RANGES 32

/* Index into langs[0..n) of the language to answer in for an
 * Accept-Language header (NULL: absent).  Highest q wins, then the earlier
 * range; "de-AT" counts for "de"; "*" for every language not named; q=0
 * excludes.  0 (the default, langs[0]) when nothing acceptable is offered. */
size_t negotiate_language_index(const char *accept_language, const char *const *langs, size_t n);
/* The same over the configured languages: the code to use (borrowed from
 * the configuration). */
const char *negotiate_language(const char *accept_language);

/* Does Accept-Encoding accept gzip (gzip, x-gzip or "*" with q > 0, and
 * gzip not refused with q=0)? */
int negotiate_gzip(const char *accept_encoding);

/* Does an If-None-Match header match etag (weak comparison, "*" matches
 * anything)?  etag is a quoted strong tag such as "\"abc\"". */
int negotiate_etag_match(const char *if_none_match, const char *etag);

/* Location for a language-less path: base_url "/" lang uri, where uri is
 * the request's "path?query" as received.  Pool-owned; NULL when out of
 * memory. */
const char *negotiate_redirect_location(struct neptun_pool *pool, const char *base_url,
                                        const char *lang, const char *uri);

#endif
