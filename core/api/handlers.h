/*
 * handlers.h - registration of the core's built-in routes.
 */
#ifndef NEPTUN_HANDLERS_H
#define NEPTUN_HANDLERS_H

/* "/", "/{lang}/{type}", feeds, search, iCalendar, OPML (handlers_read.c) */
void handlers_read_init(void);
/* "/healthz", "/metrics", "/schema/neptun.rng", language-less redirects
 * (handlers_system.c) */
void handlers_system_init(void);
/* "/admin/..." (admin.c); the admin API, authenticated. */
void admin_init(void);

#endif
