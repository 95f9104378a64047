/*
 * types.c - the content type registry.  Types exist only because plugins
 * register them; the core knows none by name.  Written during start-up on
 * the main thread, read-only once workers run, so it needs no lock.
 */
#include <string.h>
#include "log.h"
#include "content.h"

struct type_slot {
    struct neptun_type def;
    struct plugin_rec *owner;
};

static struct type_slot registry[TYPES_MAX];
static size_t nregistry;

/* Names that are URL segments of the core itself. */
static const char *const reserved[] = {"admin", "schema", "feed", "feeds", "search",
                                       "healthz", "metrics", NULL};

static int valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 32 || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return 0;
    for (size_t i = 0; reserved[i]; i++)
        if (strcmp(s, reserved[i]) == 0)
            return 0;
    return 1;
}

int types_register(const struct neptun_type *def, struct plugin_rec *owner)
{
    if (def == NULL || def->struct_size == 0 ||
        def->struct_size < offsetof(struct neptun_type, flags) + sizeof(def->flags)) {
        log_error("type registration with a malformed struct neptun_type");
        return NEPTUN_INVALID;
    }
    if (!valid_name(def->name)) {
        log_error("type name \"%s\" is not allowed ([a-z][a-z0-9_-]*, not a core path)",
                  def->name ? def->name : "(null)");
        return NEPTUN_INVALID;
    }
    if (types_find(def->name) != NULL) {
        log_error("type \"%s\" is already registered", def->name);
        return NEPTUN_INVALID;
    }
    if (def->element == NULL || def->element[0] == '\0') {
        log_error("type \"%s\" names no fields element", def->name);
        return NEPTUN_INVALID;
    }
    if (nregistry == TYPES_MAX) {
        log_error("too many content types (at most %d)", TYPES_MAX);
        return NEPTUN_INVALID;
    }
    struct type_slot *slot = &registry[nregistry];
    memset(slot, 0, sizeof(*slot));
    /* A plugin built against an older, smaller struct gets zeros for the
     * members it does not know. */
    size_t n = def->struct_size < sizeof(slot->def) ? def->struct_size : sizeof(slot->def);
    memcpy(&slot->def, def, n);
    slot->def.struct_size = sizeof(slot->def);
    slot->owner = owner;
    nregistry++;
    return NEPTUN_OK;
}

void types_unregister_owner(struct plugin_rec *owner)
{
    size_t j = 0;
    for (size_t i = 0; i < nregistry; i++)
        if (registry[i].owner != owner)
            registry[j++] = registry[i];
    nregistry = j;
}

const struct neptun_type *types_find(const char *name)
{
    int i = types_index(name);
    return i < 0 ? NULL : &registry[i].def;
}

struct plugin_rec *types_owner(const char *name)
{
    int i = types_index(name);
    return i < 0 ? NULL : registry[i].owner;
}

int types_index(const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < nregistry; i++)
        if (strcmp(registry[i].def.name, name) == 0)
            return (int)i;
    return -1;
}

size_t types_count(void)
{
    return nregistry;
}

const struct neptun_type *types_at(size_t i)
{
    return i < nregistry ? &registry[i].def : NULL;
}
