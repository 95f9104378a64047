/*
 * negotiate.c - Accept-Language, Accept-Encoding and If-None-Match.
 *
 * The Accept-* headers share one element grammar (RFC 9110 §12.4.2):
 *   element = token *( OWS ";" OWS param ) ; elements separated by ","
 * with the weight "q=" 0[.ddd] | 1[.000].  An element with a malformed
 * token or weight is skipped; other parameters are ignored.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <neptun/common.h>
#include "conf.h"
#include "http.h"

#define Q_ABSENT (-1) /* not named at all */

struct element {
    const char *token;
    size_t len;
    int q;       /* 0..1000 */
    bool valid;
};

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Weight "0", "0.5", "1.000" into 0..1000; -1 when malformed. */
static int parse_q(const char *s, size_t len)
{
    if (len == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    int whole = s[0] - '0', frac = 0, digits = 0;
    if (len > 1) {
        if (s[1] != '.' || len > 5)
            return -1;
        for (size_t i = 2; i < len; i++) {
            if (s[i] < '0' || s[i] > '9')
                return -1;
            frac = frac * 10 + (s[i] - '0');
            digits++;
        }
    }
    for (; digits < 3; digits++)
        frac *= 10;
    if (whole == 1 && frac != 0)
        return -1;
    return whole * 1000 + frac;
}

/* Parse the element in [s, end): token and weight. */
static void parse_element(const char *s, const char *end, struct element *el)
{
    el->valid = false;
    el->q = 1000;
    while (s < end && is_ows(*s))
        s++;
    if (s >= end)
        return;
    const char *semi = memchr(s, ';', (size_t)(end - s));
    const char *tend = semi != NULL ? semi : end;
    while (tend > s && is_ows(tend[-1]))
        tend--;
    el->token = s;
    el->len = (size_t)(tend - s);
    if (el->len == 0)
        return;
    while (semi != NULL) {
        const char *p = semi + 1;
        const char *next = p < end ? memchr(p, ';', (size_t)(end - p)) : NULL;
        const char *pend = next != NULL ? next : end;
        while (p < pend && is_ows(*p))
            p++;
        const char *vend = pend;
        while (vend > p && is_ows(vend[-1]))
            vend--;
        if (vend - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            el->q = parse_q(p + 2, (size_t)(vend - p - 2));
            if (el->q < 0)
                return;
        }
        semi = next;
    }
    el->valid = true;
}

/* Call fn on each element of header; false when the header is ignored. */
static bool for_each_element(const char *header, void (*fn)(void *ud, const struct element *el, size_t pos),
                             void *ud)
{
    size_t hlen = strnlen(header, NEGOTIATE_MAX_HEADER + 1);
    if (hlen > NEGOTIATE_MAX_HEADER)
        return false;
    size_t elements = 1;
    for (size_t i = 0; i < hlen; i++)
        elements += header[i] == ',';
    if (elements > NEGOTIATE_MAX_RANGES)
        return false;
    const char *p = header, *end = header + hlen;
    for (size_t pos = 0; p <= end; pos++) {
        const char *comma = p < end ? memchr(p, ',', (size_t)(end - p)) : NULL;
        const char *eend = comma != NULL ? comma : end;
        struct element el;
        parse_element(p, eend, &el);
        if (el.valid)
            fn(ud, &el, pos);
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return true;
}

/* ---- Accept-Language ----------------------------------------------------- */

/* language-range = 1*8ALPHA *("-" 1*8alphanum) / "*" */
static bool range_valid(const char *s, size_t len)
{
    if (len == 1 && s[0] == '*')
        return true;
    size_t sub = 0;
    bool first = true;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool digit = c >= '0' && c <= '9';
        if (c == '-') {
            if (sub == 0)
                return false;
            sub = 0;
            first = false;
        } else if (alpha || (digit && !first)) {
            if (++sub > 8)
                return false;
        } else {
            return false;
        }
    }
    return sub > 0;
}

/* 2: the range names lang exactly; 1: they share the primary subtag
 * ("de-AT" for "de"); 0: no match. */
static int range_match(const char *range, size_t len, const char *lang)
{
    size_t llen = strlen(lang);
    if (len == llen && strncasecmp(range, lang, len) == 0)
        return 2;
    size_t rp = 0, lp = 0;
    while (rp < len && range[rp] != '-')
        rp++;
    while (lp < llen && lang[lp] != '-')
        lp++;
    return rp == lp && strncasecmp(range, lang, rp) == 0 ? 1 : 0;
}

struct lang_choice {
    const char *const *langs;
    size_t n;
    int q[CONF_MAX_LANGS];
    int specificity[CONF_MAX_LANGS];
    size_t pos[CONF_MAX_LANGS];
    int star_q;
    size_t star_pos;
};

static void lang_element(void *ud, const struct element *el, size_t pos)
{
    struct lang_choice *c = ud;
    if (!range_valid(el->token, el->len))
        return;
    if (el->len == 1 && el->token[0] == '*') {
        if (c->star_q == Q_ABSENT) {
            c->star_q = el->q;
            c->star_pos = pos;
        }
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        int spec = range_match(el->token, el->len, c->langs[i]);
        if (spec == 0)
            continue;
        /* The most specific range decides; among equals the higher weight. */
        if (spec > c->specificity[i] || (spec == c->specificity[i] && el->q > c->q[i])) {
            c->specificity[i] = spec;
            c->q[i] = el->q;
            c->pos[i] = pos;
        }
    }
}

size_t negotiate_language_index(const char *accept_language, const char *const *langs, size_t n)
{
    struct lang_choice c;
    memset(&c, 0, sizeof(c));
    if (n > CONF_MAX_LANGS)
        n = CONF_MAX_LANGS;
    if (accept_language == NULL || n == 0)
        return 0;
    c.langs = langs;
    c.n = n;
    c.star_q = Q_ABSENT;
    for (size_t i = 0; i < n; i++)
        c.q[i] = Q_ABSENT;
    if (!for_each_element(accept_language, lang_element, &c))
        return 0;

    size_t best = 0;
    int best_q = 0;
    size_t best_pos = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        int q = c.q[i];
        size_t pos = c.pos[i];
        if (q == Q_ABSENT) {
            q = c.star_q;
            pos = c.star_pos;
        }
        if (q > best_q || (q == best_q && q > 0 && pos < best_pos)) {
            best = i;
            best_q = q;
            best_pos = pos;
        }
    }
    return best_q > 0 ? best : 0;
}

const char *negotiate_language(const char *accept_language)
{
    const char *codes[CONF_MAX_LANGS];
    const struct conf *conf = neptun_conf;
    if (conf == NULL || conf->nlangs == 0)
        return NULL;
    size_t n = conf->nlangs < CONF_MAX_LANGS ? conf->nlangs : CONF_MAX_LANGS;
    for (size_t i = 0; i < n; i++)
        codes[i] = conf->langs[i].code;
    return codes[negotiate_language_index(accept_language, codes, n)];
}

/* ---- Accept-Encoding ----------------------------------------------------- */

struct gzip_choice {
    int gzip_q, star_q;
};

static void encoding_element(void *ud, const struct element *el, size_t pos)
{
    struct gzip_choice *c = ud;
    if ((el->len == 4 && strncasecmp(el->token, "gzip", 4) == 0) ||
        (el->len == 6 && strncasecmp(el->token, "x-gzip", 6) == 0)) {
        if (c->gzip_q == Q_ABSENT || el->q < c->gzip_q)
            c->gzip_q = el->q; /* a refusal anywhere wins */
    } else if (el->len == 1 && el->token[0] == '*') {
        c->star_q = el->q;
    }
}

int negotiate_gzip(const char *accept_encoding)
{
    struct gzip_choice c = { Q_ABSENT, Q_ABSENT };
    if (accept_encoding == NULL || !for_each_element(accept_encoding, encoding_element, &c))
        return 0;
    int q = c.gzip_q != Q_ABSENT ? c.gzip_q : c.star_q;
    return q > 0;
}

/* ---- If-None-Match --------------------------------------------------------- */

int negotiate_etag_match(const char *if_none_match, const char *etag)
{
    if (if_none_match == NULL || etag == NULL)
        return 0;
    size_t hlen = strnlen(if_none_match, NEGOTIATE_MAX_HEADER + 1);
    if (hlen > NEGOTIATE_MAX_HEADER)
        return 0;
    size_t elen = strlen(etag);
    const char *p = if_none_match, *end = if_none_match + hlen;
    for (;;) {
        while (p < end && (is_ows(*p) || *p == ','))
            p++;
        if (p == end)
            return 0;
        if (*p == '*')
            return 1;
        if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
            p += 2; /* weak comparison: the W/ prefix does not matter */
        if (p == end || *p != '"')
            return 0;
        const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
        if (close == NULL)
            return 0;
        size_t tlen = (size_t)(close + 1 - p);
        if (tlen == elen && memcmp(p, etag, elen) == 0)
            return 1;
        p = close + 1;
    }
}

/* ---- redirects --------------------------------------------------------------- */

const char *negotiate_redirect_location(struct neptun_pool *pool, const char *base_url,
                                        const char *lang, const char *uri)
{
    if (uri == NULL || uri[0] != '/')
        uri = "/";
    return neptun_pool_printf(pool, "%s/%s%s", base_url != NULL ? base_url : "", lang, uri);
}
