/*
 * neptun/check.h - checks a plugin's validate callback shares with the
 * others: an e-mail address, an absolute http(s) URL, an RFC 3339 time
 * with its offset, and the e-mail addresses of <contact> elements.  Part
 * of the public plugin SDK.
 *
 * Everything here is `static inline` and calls only the C library and the
 * host table, so there is nothing to link: include <neptun/check.h> (it
 * includes <neptun/plugin.h>).  The predicates return 1 (acceptable) or 0;
 * they judge the form only and reach no network.
 */
#ifndef NEPTUN_CHECK_H
#define NEPTUN_CHECK_H

#include <stdio.h>
#include <string.h>
#include <neptun/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether s holds a blank or a control character (no address may). */
static inline int neptun_check_has_blank(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return 1;
    return 0;
}

/* local@domain.tld: one '@' after something, a dot inside the domain with
 * something after it, nothing blank. */
static inline int neptun_check_email(const char *s)
{
    const char *at = s != NULL ? strchr(s, '@') : NULL;
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || neptun_check_has_blank(s))
        return 0;
    const char *dot = strrchr(at + 1, '.');
    return dot != NULL && dot > at + 1 && dot[1] != '\0';
}

/* An absolute http:// or https:// URL naming a host, nothing blank. */
static inline int neptun_check_http_url(const char *s)
{
    const char *rest = NULL;
    if (s == NULL)
        return 0;
    if (strncmp(s, "http://", 7) == 0)
        rest = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        rest = s + 8;
    if (rest == NULL || *rest == '\0' || *rest == '/' || *rest == '.')
        return 0;
    return !neptun_check_has_blank(s);
}

/* The shape of an RFC 3339 date-time with its offset, which RFC 3339
 * insists on: "2017-06-29T13:30:00+02:00" or "...Z".  Parse the value with
 * host->parse_time as well: this looks at the form only. */
static inline int neptun_check_has_offset(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 20 || strchr(s, 'T') == NULL)
        return 0;
    if (s[n - 1] == 'Z')
        return 1;
    return (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':';
}

/* Every <email> of every <contact> child of fields must be an e-mail
 * address; each one that is not is reported at
 * root_path/contact[i]/email[j].  NEPTUN_OK or NEPTUN_INVALID. */
static inline int neptun_check_contact_emails(const struct neptun_host *h, const xmlNode *fields,
                                              const char *root_path, struct neptun_errors *errs)
{
    int status = NEPTUN_OK;
    size_t i = 0;
    for (const xmlNode *c = h->xml_child(fields, "contact"); c; c = h->xml_next(c, "contact")) {
        size_t j = 0;
        i++;
        for (const xmlNode *e = h->xml_child(c, "email"); e; e = h->xml_next(e, "email")) {
            char *email = (char *)xmlNodeGetContent(e);
            j++;
            if (!neptun_check_email(email)) {
                char path[160];
                snprintf(path, sizeof(path), "%s/contact[%zu]/email[%zu]", root_path, i, j);
                h->error_add(errs, path, "\"%s\" is not an e-mail address",
                             email != NULL ? email : "");
                status = NEPTUN_INVALID;
            }
            xmlFree(email);
        }
    }
    return status;
}

#ifdef __cplusplus
}
#endif

#endif
