/*
 * framing.c - the request as evhttp parsed it, checked against the shapes a
 * proxy in front could read differently (request smuggling).
 *
 * evhttp takes the first of two Content-Lengths and ignores a
 * "Transfer-Encoding " with a space before the colon, so the rest of the
 * body would be read as a request of its own.  neptun parses nothing
 * itself; it refuses what evhttp let by: another HTTP version than 1.0 and
 * 1.1 (505), a header name that is no token, a folded or controlled value,
 * a second Host, Content-Length or Transfer-Encoding, both of the last two,
 * a malformed length, a coding other than chunked (400), and too many or
 * too large header fields (431).  request.c calls http_check_framing()
 * while it builds the request, and closes the connection after a refusal.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include "request_internal.h"

/* RFC 9110 tchar. */
static bool is_token(const char *s)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && (c == '\0' || strchr(extra, c) == NULL))
            return false;
    }
    return true;
}

static bool all_digits(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 18 && s[n] == '\0';
}

/* The request as evhttp parsed it, checked against the shapes a proxy in
 * front could read differently (request smuggling): evhttp takes the first
 * of two Content-Lengths and ignores a "Transfer-Encoding " with a space
 * before the colon, so the rest of the body would be read as a request of
 * its own.  neptun parses nothing itself; it refuses what evhttp let by.
 * evhttp joins an obs-fold continuation line onto the previous value with
 * one space; a value evhttp trimmed yet begins or ends in blanks can only
 * come from such a join, which is what is refused here.
 * 0, or the status to answer with (message set); the caller closes the
 * connection after it. */
int http_check_framing(struct evhttp_request *ev, const char **message)
{
    const struct evkeyvalq *headers = evhttp_request_get_input_headers(ev);
    const struct evkeyval *h;
    const char *length = NULL, *coding = NULL;
    size_t count = 0, bytes = 0;
    int hosts = 0, lengths = 0, codings = 0;

    if (ev->major != 1 || ev->minor > 1) {
        /* evhttp would echo the version in the status line. */
        ev->major = 1;
        ev->minor = 1;
        *message = "HTTP version not supported (HTTP/1.0 and HTTP/1.1 only)";
        return 505;
    }
    for (h = headers->tqh_first; h != NULL; h = h->next.tqe_next) {
        count++;
        bytes += strlen(h->key) + strlen(h->value) + 4; /* ": " and CRLF */
        if (!is_token(h->key)) {
            *message = "malformed header name";
            return 400;
        }
        size_t vlen = strlen(h->value);
        if (vlen > 0 && (strchr(" \t", h->value[0]) != NULL ||
                         strchr(" \t", h->value[vlen - 1]) != NULL)) {
            *message = "folded header line (obs-fold)";
            return 400;
        }
        if (http_has_control(h->value, true)) {
            *message = "control character in a header value";
            return 400;
        }
        if (strcasecmp(h->key, "Host") == 0)
            hosts++;
        else if (strcasecmp(h->key, "Content-Length") == 0)
            lengths++, length = h->value;
        else if (strcasecmp(h->key, "Transfer-Encoding") == 0)
            codings++, coding = h->value;
    }
    if (count > REQ_HEADERS_MAX || bytes > REQ_HEADER_BYTES_MAX) {
        *message = "request header fields too large";
        return 431;
    }
    if (hosts > 1 || lengths > 1 || codings > 1) {
        *message = hosts > 1 ? "more than one Host header" : "conflicting message framing headers";
        return 400;
    }
    if (length != NULL && coding != NULL) {
        *message = "both Content-Length and Transfer-Encoding";
        return 400;
    }
    if (length != NULL && !all_digits(length)) {
        *message = "malformed Content-Length";
        return 400;
    }
    if (coding != NULL && strcasecmp(coding, "chunked") != 0) {
        *message = "unsupported Transfer-Encoding (only chunked)";
        return 400;
    }
    return 0;
}
