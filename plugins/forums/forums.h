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

#include <neptun/writer.h>

struct forums_plugin {
    const struct neptun_host *host;
};

/* Roman numeral of n (1..3999) into buf; NEPTUN_INVALID out of range. */
int forums_roman(unsigned long n, char *buf, size_t size);

/* forums_render.c */
int forums_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int forums_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int forums_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics);

#endif
