/*
 * projects.c - the "projects" content type: city partnership projects such
 * as a Europe for Citizens network of towns.  An example of a neptun plugin
 * built outside the neptun tree against the installed SDK alone
 * (docs/plugins.md walks through it).
 *
 * init registers one dated type (the project period is its start and end,
 * so lists take from/to/upcoming and the type has iCalendar answers), its
 * own catalog strings, two routes, GET /{lang}/projects/strands.xml and
 * GET /{lang}/projects/{slug}/partners, and one Lua function,
 * neptun.projects.phase(start, end, at).
 *
 * Source files: projects_fields.c (validate, index), projects_render.c
 * (API XML), projects_human.c (feeds and iCalendar), projects_route.c,
 * projects_strands.c, projects_messages.c; projects.rng is compiled in by
 * the Makefile as projects_schema_rng.
 */
#include <stdlib.h>
#include <string.h>
#include "projects.h"

extern const char projects_schema_rng[]; /* generated from projects.rng */

/* Written once by init, read-only while workers run. */
static struct projects_plugin plugin_state;

/* A moment given to Lua: Unix seconds (what os.time() gives), an RFC 3339
 * date-time or a date. */
static int lua_moment(const struct projects_plugin *p, const char *text, int64_t *out)
{
    char *end = NULL;
    if (text == NULL || text[0] == '\0')
        return NEPTUN_INVALID;
    long long secs = strtoll(text, &end, 10);
    if (*end == '\0') {
        *out = (int64_t)secs;
        return NEPTUN_OK;
    }
    return p->host->parse_time(text, out);
}

/*
 * phase(start, end, at) -> "planned" | "running" | "finished": where the
 * moment at lies relative to the period [start, end].  Deterministic: the
 * caller passes the moment (os.time() for "now").
 */
static int lua_phase(void *ud, struct neptun_pool *pool, int argc, const char *const *argv,
                     const char **result)
{
    const struct projects_plugin *p = ud;
    int64_t start, end, at;
    (void)pool;
    if (argc != 3 || lua_moment(p, argv[0], &start) != NEPTUN_OK ||
        lua_moment(p, argv[1], &end) != NEPTUN_OK || lua_moment(p, argv[2], &at) != NEPTUN_OK ||
        end < start)
        return NEPTUN_INVALID;
    /* A plain date as end means the whole of that day, as in the fields. */
    if (strlen(argv[1]) == 10 && argv[1][4] == '-')
        end += 86399;
    *result = at < start ? "planned" : at <= end ? "running" : "finished";
    return NEPTUN_OK;
}

static int projects_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *host, void **data)
{
    const struct neptun_type type = {
        .struct_size = sizeof(struct neptun_type),
        .name = "projects",
        .element = "project",
        .flags = NEPTUN_TYPE_DATED,
        .schema_rng = projects_schema_rng,
        .validate = projects_validate,
        .index = projects_index,
        .render_xml = projects_render_xml,
        .render_xhtml = projects_render_xhtml,
        .render_ics = projects_render_ics,
        .ud = &plugin_state,
    };
    int rc;

    /* The host checked our abi_major; we check that it offers the last
     * member we call (register_messages, ABI 1.1: a 1.0 host would not). */
    if (!NEPTUN_HOST_HAS(host, register_messages)) {
        host->log(ctx, NEPTUN_LOG_ERROR, "this host is too old: it lacks register_messages (ABI 1.1)");
        return NEPTUN_ERROR;
    }
    plugin_state.host = host;
    *data = NULL;
    rc = host->register_type(ctx, &type);
    if (rc != NEPTUN_OK)
        return rc;
    rc = projects_register_messages(ctx, host);
    if (rc != NEPTUN_OK)
        return rc;
    rc = host->register_route(ctx, "GET", "/{lang}/projects/strands.xml", projects_route_strands,
                              &plugin_state);
    if (rc != NEPTUN_OK)
        return rc;
    rc = host->register_route(ctx, "GET", "/{lang}/projects/{slug}/partners", projects_route_partners,
                              &plugin_state);
    if (rc != NEPTUN_OK)
        return rc;
    return host->register_lua_function(ctx, "phase", lua_phase, &plugin_state);
}

static void projects_fini(void *data)
{
    (void)data;
    plugin_state.host = NULL;
}

NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
    NEPTUN_PLUGIN_HEADER,
    .name = "projects",
    .version = "1.1.0",
    .description = "City partnership projects: programme, coordinator, partners, study visits",
    .init = projects_init,
    .fini = projects_fini,
};
