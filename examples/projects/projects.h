/*
 * projects.h - the "projects" content type (city partnership projects),
 * shared between its source files.
 *
 * Built outside the neptun tree against the installed SDK only:
 *   cc -shared -fPIC $(pkg-config --cflags neptun-plugin) *.c -o projects.so
 *
 * The plugin keeps no mutable state: init stores the host table in one
 * static struct projects_plugin that every callback gets as its ud; after
 * init nothing writes to it, so worker threads read it without a lock.
 *
 * Fields (see projects.rng): the project period (start, end), the
 * programme, themes, the coordinator with its address, contact and tasks,
 * the partners and their tasks, the study visits, publications and
 * objectives.  Every human text is a localised leaf (<name>, <text>) that
 * may repeat once per xml:lang.
 *
 * Writer calls and localised-text lookups come from <neptun/writer.h>
 * (static inline, nothing to link).
 */
#ifndef PROJECTS_H
#define PROJECTS_H

#include <neptun/writer.h>

struct projects_plugin {
    const struct neptun_host *host;
};

/* A programme strand the type knows (projects_strands.c).  Names are the
 * programme's own published names in each language. */
struct projects_strand {
    const char *code; /* "efc-2-network-of-towns" */
    const char *name_pl;
    const char *name_en;
    const char *name_de;
};

/* The known strands, terminated by an entry whose code is NULL. */
extern const struct projects_strand projects_strands[];
/* The strand with this code, or NULL. */
const struct projects_strand *projects_strand_find(const char *code);
/* Its name in the first language of chain that has one (never NULL);
 * *got_lang receives that language. */
const char *projects_strand_name(const struct projects_strand *s, const char *const *chain,
                                 const char **got_lang);

/* projects_fields.c: checking and indexing the fields. */
int projects_validate(void *ud, const xmlNode *fields, struct neptun_errors *errs);
int projects_index(void *ud, struct neptun_pool *pool, const xmlNode *fields,
                   struct neptun_index *out);
/* The project period as Unix seconds.  A plain date as end means the end
 * of that day.  NEPTUN_OK or NEPTUN_INVALID. */
int projects_period(const struct projects_plugin *p, struct neptun_pool *pool,
                    const xmlNode *node, int64_t *start, int64_t *end);

/* projects_render.c: the render.projects element of an API entry. */
int projects_render_xml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);

/* projects_human.c: what a reader sees in feeds, and VEVENT properties. */
int projects_render_xhtml(void *ud, const struct neptun_render_ctx *rc, xmlTextWriterPtr w);
int projects_render_ics(void *ud, const struct neptun_render_ctx *rc, struct neptun_ics *ics);

/* projects_route.c: GET /{lang}/projects/strands.xml and
 * GET /{lang}/projects/{slug}/partners. */
int projects_route_strands(void *ud, struct neptun_req *req, struct neptun_reply *reply);
int projects_route_partners(void *ud, struct neptun_req *req, struct neptun_reply *reply);

/* projects_messages.c: add the plugin's own catalog strings (labels, the
 * plural "{n} study visits") with host->register_messages.  Inside init. */
int projects_register_messages(struct neptun_plugin_ctx *ctx, const struct neptun_host *host);

#endif
