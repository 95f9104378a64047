/*
 * campaigns.h - the campaigns content type, shared between its source files.
 *
 * The plugin keeps no mutable state: init stores the host table in one
 * static struct campaigns_plugin handed to every callback as ud.
 *
 * Fields (see campaigns.rng): kind (campaign or policy), launch or adoption
 * date, owners, values, thematic groups, milestones (with their counts of
 * recommendations), contacts and references to related items.
 */
#ifndef CAMPAIGNS_H
#define CAMPAIGNS_H

#include <neptun/writer.h>

struct campaigns_plugin {
    const struct neptun_host *host;
};

/* campaigns_render.c */
int campaigns_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int campaigns_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);

#endif
