/*
 * init_fails.c - a plugin whose init registers a type, a route, a Lua
 * function and a catalog string, and then fails.  The host must undo all
 * four (the type "initfails" must not appear in the service document,
 * /initfails must be 404, host->t must not know "init_fails.word"), close
 * the library, log why, and go on.
 */
#include <neptun/plugin.h>

static const char init_fails_schema[] =
    "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\" ns=\"urn:neptun:1\">"
    "<define name=\"fields.initfails\"><element name=\"initfails\"><empty/></element></define>"
    "<define name=\"render.initfails\"><element name=\"initfails\"><empty/></element></define>"
    "</grammar>";

static int init_fails_route(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    (void)ud;
    (void)req;
    (void)reply;
    return NEPTUN_ERROR;
}

static int init_fails_lua(void *ud, struct neptun_pool *pool, int argc, const char *const *argv,
                          const char **result)
{
    (void)ud;
    (void)pool;
    (void)argc;
    (void)argv;
    *result = "should not be callable";
    return NEPTUN_OK;
}

static int init_fails_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *host, void **data)
{
    static const struct neptun_type type = {
        .struct_size = sizeof(struct neptun_type),
        .name = "initfails",
        .element = "initfails",
        .schema_rng = init_fails_schema,
    };
    (void)data;
    if (host->register_type(ctx, &type) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (host->register_route(ctx, "GET", "/{lang}/initfails/probe", init_fails_route, NULL) != NEPTUN_OK)
        return NEPTUN_ERROR;
    if (host->register_lua_function(ctx, "probe", init_fails_lua, NULL) != NEPTUN_OK)
        return NEPTUN_ERROR;
    static const char *const word[] = {"should not be in the catalog"};
    if (NEPTUN_HOST_HAS(host, register_messages) &&
        host->register_messages(ctx, "en", "init_fails.word", word, 1) != NEPTUN_OK)
        return NEPTUN_ERROR;
    host->log(ctx, NEPTUN_LOG_WARN, "failing on purpose after registering");
    return NEPTUN_ERROR;
}

NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
    NEPTUN_PLUGIN_HEADER,
    .name = "init_fails",
    .version = "0.0.1",
    .description = "Registers, then fails init; the host must undo the registrations",
    .init = init_fails_init,
};
