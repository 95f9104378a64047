/*
 * events.c - the "events" content type: conferences, forums and workshops
 * with one or more sessions, each at its own venue.
 *
 * The plugin registers one dated type (lists take from/to/upcoming, and the
 * type has iCalendar answers) and one Lua function, neptun.events.date_range,
 * that formats a start/end pair the way the renderers do.
 *
 * Source files: events_fields.c (validate, index), events_render.c (API
 * XML), events_xhtml.c (feeds), events_ics.c (iCalendar); events.h what they share.
 */
#include <stddef.h>
#include "events.h"

extern const char events_schema_rng[]; /* generated from events.rng */

/* Written once by init, read-only while workers run. */
static struct events_plugin plugin_state;

/*
 * date_range(start, end, lang): "29–30 czerwca 2017".  start and end are
 * RFC 3339 date-times or ISO dates; end may be empty for a single day.
 */
static int lua_date_range(void *ud, struct neptun_pool *pool, int argc, const char *const *argv,
                          const char **result)
{
    const struct events_plugin *p = ud;
    int64_t start = 0, end = 0;
    if (argc != 3 || argv[0] == NULL || argv[2] == NULL)
        return NEPTUN_INVALID;
    if (p->host->parse_time(argv[0], &start) != NEPTUN_OK)
        return NEPTUN_INVALID;
    if (argv[1] != NULL && argv[1][0] != '\0' && p->host->parse_time(argv[1], &end) != NEPTUN_OK)
        return NEPTUN_INVALID;
    if (end != 0 && end < start)
        return NEPTUN_INVALID;
    *result = p->host->format_range(pool, argv[2], start, end, NEPTUN_FMT_DATE);
    return *result != NULL ? NEPTUN_OK : NEPTUN_INVALID;
}

static int events_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *host, void **data)
{
    const struct neptun_type type = {
        .struct_size = sizeof(struct neptun_type),
        .name = "events",
        .element = "event",
        .flags = NEPTUN_TYPE_DATED,
        .schema_rng = events_schema_rng,
        .validate = events_validate,
        .index = events_index,
        .render_xml = events_render_xml,
        .render_xhtml = events_render_xhtml,
        .render_ics = events_render_ics,
        .ud = &plugin_state,
        .ics_sessions = events_ics_sessions,
    };
    int rc;

    /* days_spanned is the newest member used (ABI 1.1). */
    if (host->abi_major != NEPTUN_ABI_MAJOR || !NEPTUN_HOST_HAS(host, days_spanned)) {
        host->log(ctx, NEPTUN_LOG_ERROR, "this host is too old: it lacks days_spanned (ABI 1.1)");
        return NEPTUN_ERROR;
    }
    plugin_state.host = host;
    *data = NULL;
    rc = host->register_type(ctx, &type);
    if (rc != NEPTUN_OK)
        return rc;
    return host->register_lua_function(ctx, "date_range", lua_date_range, &plugin_state);
}

static void events_fini(void *data)
{
    (void)data;
    plugin_state.host = NULL;
}

NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
    NEPTUN_PLUGIN_HEADER,
    .name = "events",
    .version = "1.0.0",
    .description = "Conferences, forums and workshops with sessions at one or more venues",
    .init = events_init,
    .fini = events_fini,
};
