/*
 * forums.h - the forums content type, shared between its source files.
 *
 * Like the events plugin it keeps no mutable state: init stores the host
 * table in one static struct forums_plugin handed to every callback as ud.
 *
 * Fields (see forums.rng): the edition number, one <when start end>, the
 * venue, topics, programme points, audience, price, organisers and
 * references to related items (the campaign a forum presents).
 */
#ifndef FORUMS_H
#define FORUMS_H

#include <neptun/plugin.h>

struct forums_plugin {
    const struct neptun_host *host;
};

/* Roman numeral of n (1..3999) into buf; NEPTUN_INVALID out of range. */
int forums_roman(unsigned long n, char *buf, size_t size);

/* forums_render.c */
int forums_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int forums_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int forums_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics);

/* ---- helpers (forums_util.c) ------------------------------------------ */

/* Text of the child name of parent in rc's language or its fallback;
 * *got_lang receives the language found (may be NULL).  Pool-owned, NULL
 * when there is none. */
const char *forums_local_text(const struct forums_plugin *p, const struct neptun_render_ctx *rc,
                              const xmlNode *parent, const char *name, const char **got_lang);
/* start and end attributes of <when> as Unix seconds.  NEPTUN_OK or
 * NEPTUN_INVALID when either is missing or malformed. */
int forums_when_times(const struct forums_plugin *p, struct neptun_pool *pool,
                      const xmlNode *when, int64_t *start, int64_t *end);
/* "street, postcode city" of an <address>, pool-owned; NULL when absent. */
const char *forums_address_line(const struct forums_plugin *p, struct neptun_pool *pool,
                                const xmlNode *address);

/* Writer helpers: NEPTUN_OK or NEPTUN_ERROR.  forums_w_attr and
 * forums_w_element write nothing when value is NULL. */
int forums_w_start(xmlTextWriterPtr w, const char *name);
int forums_w_start_ns(xmlTextWriterPtr w, const char *name, const char *ns);
int forums_w_end(xmlTextWriterPtr w);
int forums_w_attr(xmlTextWriterPtr w, const char *name, const char *value);
int forums_w_text(xmlTextWriterPtr w, const char *text);
int forums_w_element(xmlTextWriterPtr w, const char *name, const char *text);
/* XHTML element name holding text, with xml:lang when got_lang is a
 * fallback language (differs from rc->lang). */
int forums_w_xhtml_text(const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                        const char *name, const char *cls, const char *text,
                        const char *got_lang);

#endif
