/*
 * wrong_abi.c - a plugin built for the next ABI major.  The server must
 * refuse it with one clear log line naming the plugin and both ABI
 * versions, never call its init, and go on serving.
 */
#include <neptun/plugin.h>

static int wrong_abi_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *host, void **data)
{
    /* Must never run: a host that calls it would register a type the
     * tests can see. */
    static const struct neptun_type type = {
        .struct_size = sizeof(struct neptun_type),
        .name = "wrongabi",
        .element = "wrongabi",
    };
    (void)data;
    return host->register_type(ctx, &type);
}

NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
    .abi_major = NEPTUN_ABI_MAJOR + 1,
    .abi_minor = 0,
    .struct_size = sizeof(struct neptun_plugin),
    .name = "wrong_abi",
    .version = "0.0.1",
    .description = "Built for another ABI major; the host must refuse it",
    .init = wrong_abi_init,
};
