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

#include <neptun/plugin.h>

struct campaigns_plugin {
    const struct neptun_host *host;
};

/* campaigns_render.c */
int campaigns_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int campaigns_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
/* Absolute URL of the item a <related type slug> names, in rc's language. */
const char *campaigns_related_url(const struct campaigns_plugin *p,
                                  const struct neptun_render_ctx *rc, const xmlNode *ref);

/* ---- helpers (campaigns_util.c) ------------------------------------------ */

/* Text of the child name of parent in rc's language or its fallback;
 * *got_lang receives the language found (may be NULL).  Pool-owned, NULL
 * when there is none. */
const char *campaigns_local_text(const struct campaigns_plugin *p, const struct neptun_render_ctx *rc,
                              const xmlNode *parent, const char *name, const char **got_lang);
/* "street, postcode city" of an <address>, pool-owned; NULL when absent. */
const char *campaigns_address_line(const struct campaigns_plugin *p, struct neptun_pool *pool,
                                const xmlNode *address);

/* Writer helpers: NEPTUN_OK or NEPTUN_ERROR.  campaigns_w_attr and
 * campaigns_w_element write nothing when value is NULL. */
int campaigns_w_start(xmlTextWriterPtr w, const char *name);
int campaigns_w_start_ns(xmlTextWriterPtr w, const char *name, const char *ns);
int campaigns_w_end(xmlTextWriterPtr w);
int campaigns_w_attr(xmlTextWriterPtr w, const char *name, const char *value);
int campaigns_w_text(xmlTextWriterPtr w, const char *text);
int campaigns_w_element(xmlTextWriterPtr w, const char *name, const char *text);
/* XHTML element name holding text, with xml:lang when got_lang is a
 * fallback language (differs from rc->lang). */
int campaigns_w_xhtml_text(const struct neptun_render_ctx *rc, xmlTextWriterPtr w,
                        const char *name, const char *cls, const char *text,
                        const char *got_lang);

#endif
