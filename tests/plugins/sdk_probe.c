/*
 * sdk_probe.c - a plugin that exercises the host members of ABI 1.1 for
 * tests/integration/test_sdk.py.
 *
 * init checks register_messages (its refusals and a plural entry) and
 * days_spanned, logging "sdk_probe check NAME: ok" or "...: FAILED" per
 * check, and fails when any check fails.  Two routes show the rest:
 *
 *   GET /{lang}/sdk-probe/t/{key}?n=N   text/plain: host->t(key, lang, N)
 *   GET /{lang}/sdk-probe/item/{type}/{slug}
 *       text/plain "slug|days|root element of the fields|rc->lang" from
 *       item_get and item_render_ctx; 404 when item_get finds nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <neptun/writer.h>

static const struct neptun_host *probe_host;

static int check(struct neptun_plugin_ctx *ctx, const char *name, int ok)
{
    probe_host->log(ctx, ok ? NEPTUN_LOG_INFO : NEPTUN_LOG_ERROR, "sdk_probe check %s: %s", name,
                    ok ? "ok" : "FAILED");
    return ok;
}

static int64_t at(const char *rfc3339)
{
    int64_t t = 0;
    return probe_host->parse_time(rfc3339, &t) == NEPTUN_OK ? t : -1;
}

static int send_text(struct neptun_reply *reply, const char *text)
{
    if (text == NULL)
        return NEPTUN_ERROR;
    return probe_host->reply_send(reply, 200, "text/plain", text, strlen(text));
}

static int route_t(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const struct neptun_host *h = probe_host;
    const char *n = h->req_query(req, "n");
    (void)ud;
    return send_text(reply, h->t(h->req_pool(req), h->req_param(req, "key"), h->req_lang(req),
                                 n != NULL ? strtol(n, NULL, 10) : -1));
}

static int route_item(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    const struct neptun_host *h = probe_host;
    const struct neptun_item *item = NULL;
    (void)ud;
    int rc = h->item_get(req, h->req_param(req, "type"), h->req_param(req, "slug"), &item);
    if (rc != NEPTUN_OK)
        return rc;
    const struct neptun_render_ctx *rc_item = h->item_render_ctx(req, item);
    if (rc_item == NULL)
        return NEPTUN_ERROR;
    long days = item->starts_at != 0 ? h->days_spanned(item->starts_at, item->ends_at) : 0;
    return send_text(reply, h->pool_printf(h->req_pool(req), "%s|%ld|%s|%s", item->slug, days,
                                           rc_item->fields != NULL ? (const char *)rc_item->fields->name : "",
                                           rc_item->lang));
}

static int probe_init(struct neptun_plugin_ctx *ctx, const struct neptun_host *host, void **data)
{
    static const char *const one[] = {"Sonde"};
    static const char *const pl_plural[] = {"{n} próba", "{n} próby", "{n} prób"};
    static const char *const en_plural[] = {"{n} probe", "{n} probes"};
    int ok = 1;
    (void)data;

    if (!NEPTUN_HOST_HAS(host, register_messages))
        return NEPTUN_ERROR;
    probe_host = host;
    ok &= check(ctx, "key without the plugin's prefix is refused",
                host->register_messages(ctx, "en", "label.venue", one, 1) == NEPTUN_INVALID);
    ok &= check(ctx, "wrong number of plural forms is refused",
                host->register_messages(ctx, "pl", "sdk_probe.count", en_plural, 2) == NEPTUN_INVALID);
    ok &= check(ctx, "a language the server lacks is accepted",
                host->register_messages(ctx, "xx", "sdk_probe.word", one, 1) == NEPTUN_OK);
    ok &= check(ctx, "messages are registered",
                host->register_messages(ctx, "de", "sdk_probe.word", one, 1) == NEPTUN_OK &&
                    host->register_messages(ctx, "pl", "sdk_probe.count", pl_plural, 3) == NEPTUN_OK &&
                    host->register_messages(ctx, "en", "sdk_probe.count", en_plural, 2) == NEPTUN_OK);
    ok &= check(ctx, "the same message twice is refused",
                host->register_messages(ctx, "de", "sdk_probe.word", one, 1) == NEPTUN_INVALID);
    ok &= check(ctx, "days_spanned counts local days",
                host->days_spanned(at("2017-06-29T13:30:00+02:00"), at("2017-06-30T16:00:00+02:00")) == 2 &&
                    host->days_spanned(at("2017-06-29T09:00:00+02:00"), at("2017-06-29T17:00:00+02:00")) == 1 &&
                    /* the same UTC day, two days in Gdańsk */
                    host->days_spanned(at("2017-06-29T23:30:00+02:00"), at("2017-06-30T00:30:00+02:00")) == 2 &&
                    host->days_spanned(at("2017-06-30T00:00:00+02:00"), at("2017-06-29T00:00:00+02:00")) == 0);
    if (!ok)
        return NEPTUN_ERROR;
    if (host->register_route(ctx, "GET", "/{lang}/sdk-probe/t/{key}", route_t, NULL) != NEPTUN_OK ||
        host->register_route(ctx, "GET", "/{lang}/sdk-probe/item/{type}/{slug}", route_item, NULL) != NEPTUN_OK)
        return NEPTUN_ERROR;
    return NEPTUN_OK;
}

NEPTUN_PLUGIN_EXPORT const struct neptun_plugin neptun_plugin = {
    NEPTUN_PLUGIN_HEADER,
    .name = "sdk_probe",
    .version = "0.0.1",
    .description = "Checks the host members of ABI 1.1 for the SDK test",
    .init = probe_init,
};
