/*
 * events.h - the events content type, shared between its source files.
 * Writer calls and localised-text lookups come from <neptun/writer.h>.
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

#include <neptun/writer.h>

struct events_plugin {
    const struct neptun_host *host;
};

/* events_fields.c: checking and indexing the fields. */
int events_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs);
int events_index(void *ud, struct neptun_pool *pool, const xmlNode *fields,
                 struct neptun_index *out);

/* events_render.c: the render.events element of an API entry. */
int events_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
/* Calendar days (in the configured zone) from the first session's start
 * to the last session's end, both counted; 0 when there is none. */
long events_days(const struct events_plugin *p, const struct neptun_render_ctx *rc);

/* events_xhtml.c: what a reader sees in feeds; events_ics.c: VEVENT lines. */
int events_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int events_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics);
/* The sessions' times for one VEVENT each (neptun_type.ics_sessions). */
int events_ics_sessions(void *ud, const struct neptun_render_ctx *rc, struct neptun_span *out,
                        size_t max);

#endif
