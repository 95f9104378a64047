/*
 * events.h - the events content type, shared between its source files.
 *
 * The plugin keeps no mutable state: init stores the host table in one
 * static struct events_plugin that every callback receives as its ud, and
 * after init nothing writes to it, so worker threads may read it freely.
 *
 * Fields (see events.rng): one or more <session start end> each with its
 * <venue> (an event may move between days), then organisers, partners,
 * speakers, price, registration, participants and contacts.
 */
#ifndef EVENTS_H
#define EVENTS_H

#include <neptun/plugin.h>

struct events_plugin {
    const struct neptun_host *host;
};

/* events_fields.c: checking and indexing the fields. */
int events_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs);
int events_index(void *ud, struct neptun_pool *pool, const xmlNode *fields,
                 struct neptun_index *out);

/* events_render.c: the render.events element of an API entry. */
int events_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);

/* events_xhtml.c: what a reader sees in feeds; events_ics.c: VEVENT lines. */
int events_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int events_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics);

/* ---- helpers (events_util.c) ------------------------------------------ */

/* Text of the child name of parent in rc's language or its fallback;
 * *got_lang receives the language found (may be NULL).  Pool-owned, NULL
 * when there is none. */
const char *events_local_text(const struct events_plugin *p, const struct neptun_render_ctx *rc,
                              const xmlNode *parent, const char *name, const char **got_lang);
/* The start and end of a session as Unix seconds.  NEPTUN_OK or
 * NEPTUN_INVALID when either is missing or malformed. */
int events_session_times(const struct events_plugin *p, struct neptun_pool *pool,
                         const xmlNode *session, int64_t *start, int64_t *end);
/* "street, postcode city" of an <address>, pool-owned; NULL when absent. */
const char *events_address_line(const struct events_plugin *p, struct neptun_pool *pool,
                                const xmlNode *address);
/* Calendar days from the local date of first_start to that of last_end,
 * both RFC 3339 texts (their own offset decides the day); 0 when either is
 * malformed. */
long events_day_span(const char *first_start, const char *last_end);

/* Writer helpers: NEPTUN_OK or NEPTUN_ERROR.  events_w_attr and
 * events_w_element write nothing when value is NULL. */
int events_w_start(xmlTextWriterPtr w, const char *name);
int events_w_start_ns(xmlTextWriterPtr w, const char *name, const char *ns);
int events_w_end(xmlTextWriterPtr w);
int events_w_attr(xmlTextWriterPtr w, const char *name, const char *value);
int events_w_text(xmlTextWriterPtr w, const char *text);
int events_w_element(xmlTextWriterPtr w, const char *name, const char *text);
/* XHTML element name holding text, with xml:lang when got_lang is a
 * fallback language (differs from rc->lang). */
int events_w_xhtml_text(const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                        const char *name, const char *cls, const char *text,
                        const char *got_lang);

#endif
