/*
 * types.h - the registry of content types.  Filled by plugins during
 * start-up (single-threaded), read-only once the workers run.
 */
#ifndef NEPTUN_TYPES_H
#define NEPTUN_TYPES_H

#include <neptun/plugin.h>

#define TYPES_MAX 64

struct plugin_rec; /* plugin_host.c */

/* Copy def (up to its struct_size) into the registry.  NEPTUN_INVALID if
 * the name is taken or malformed. */
int types_register(const struct neptun_type *def, struct plugin_rec *owner);
/* Remove every type owned by owner (a plugin whose init failed). */
void types_unregister_owner(struct plugin_rec *owner);
const struct neptun_type *types_find(const char *name);
/* The plugin that registered the type name; NULL when none did. */
struct plugin_rec *types_owner(const char *name);
/* Index of a type in registration order, -1 when unknown. */
int types_index(const char *name);
size_t types_count(void);
const struct neptun_type *types_at(size_t i);

#endif
