/*
 * plugin.c - loading plugins and the table of host functions they get.
 *
 * A plugin is dlopen()ed with RTLD_NOW | RTLD_LOCAL, its `neptun_plugin`
 * descriptor checked (ABI major, struct size, unique name), then its init
 * runs with the host table.  Types are registered at once (so init learns
 * of a clash); routes and Lua functions are collected in the plugin's
 * record and only published when init succeeds (routes to the router,
 * Lua functions to the rules with rules_lua_fn_add), so a failing init
 * leaves nothing behind: its types are withdrawn and the library closed.
 * Catalog strings (register_messages) are collected the same way and
 * added to the catalogs only then.  Loading runs on the main thread during
 * start-up only; the route-time members (req_*, reply_*, item_*) run on
 * worker threads and touch nothing shared but the read-only tables.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>
#include "conf.h"
#include "errors.h"
#include "content.h"
#include "locale.h"
#include "log.h"
#include "rules.h"
#include "plugin.h"
#include "render.h"
#include "http.h"
#include "store.h"
#include "xmlutil.h"

#define PLUGINS_MAX 32
#define PLUGIN_ROUTES_MAX 32

struct pending_route {
    char *method, *pattern;
    neptun_route_fn fn;
    void *ud;
};

/* One catalog string waiting for init to succeed. */
struct pending_message {
    char *lang, *key;
    char **forms;
    size_t nforms;
    struct pending_message *next;
};

/* One Lua function waiting for init to succeed. */
struct pending_lua_fn {
    char *name;
    neptun_lua_fn fn;
    void *ud;
};

struct plugin_rec {
    void *handle;
    const struct neptun_plugin *desc;
    char *path;
    void *data; /* what init handed back, for fini */
};

struct neptun_plugin_ctx {
    struct plugin_rec *rec;
    int in_init;
    struct pending_route routes[PLUGIN_ROUTES_MAX];
    size_t nroutes;
    struct pending_lua_fn fns[RULES_LUA_FNS_MAX];
    size_t nfns;
    struct pending_message *messages; /* newest first */
    int failed; /* a registration was refused */
};

static struct plugin_rec *plugins[PLUGINS_MAX];
static size_t nplugins;
static size_t nlua_fns; /* registered with the rules by the plugins loaded */

/* ---- the host table ----------------------------------------------------- */

static int host_register_type(struct neptun_plugin_ctx *ctx, const struct neptun_type *type)
{
    if (ctx == NULL || !ctx->in_init) {
        log_error("register_type called outside init");
        return NEPTUN_ERROR;
    }
    int rc = types_register(type, ctx->rec);
    if (rc != NEPTUN_OK)
        ctx->failed = 1;
    return rc;
}

static int host_register_route(struct neptun_plugin_ctx *ctx, const char *method, const char *pattern,
                               neptun_route_fn fn, void *ud)
{
    if (ctx == NULL || !ctx->in_init || method == NULL || pattern == NULL || pattern[0] != '/' || fn == NULL) {
        log_error("register_route: called outside init or with a bad method, pattern or function");
        return NEPTUN_INVALID;
    }
    if (ctx->nroutes == PLUGIN_ROUTES_MAX) {
        log_error("plugin %s: too many routes", ctx->rec->desc->name);
        return NEPTUN_INVALID;
    }
    struct pending_route *r = &ctx->routes[ctx->nroutes];
    r->method = strdup(method);
    r->pattern = strdup(pattern);
    if (r->method == NULL || r->pattern == NULL) {
        free(r->method);
        free(r->pattern);
        return NEPTUN_NOMEM;
    }
    r->fn = fn;
    r->ud = ud;
    ctx->nroutes++;
    return NEPTUN_OK;
}

static int host_register_lua_function(struct neptun_plugin_ctx *ctx, const char *name, neptun_lua_fn fn,
                                      void *ud)
{
    if (ctx == NULL || !ctx->in_init || name == NULL || fn == NULL || ctx->nfns == RULES_LUA_FNS_MAX) {
        log_error("register_lua_function: called outside init, with bad arguments, or too often");
        return NEPTUN_INVALID;
    }
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) {
            log_error("plugin %s: Lua function name \"%s\" must be [a-z0-9_]", ctx->rec->desc->name, name);
            return NEPTUN_INVALID;
        }
    struct pending_lua_fn *f = &ctx->fns[ctx->nfns];
    f->name = strdup(name);
    if (f->name == NULL)
        return NEPTUN_NOMEM;
    f->fn = fn;
    f->ud = ud;
    ctx->nfns++;
    return NEPTUN_OK;
}

static void host_log(struct neptun_plugin_ctx *ctx, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ctx != NULL && ctx->rec != NULL)
        log_msg(level, "plugin %s: %s", ctx->rec->desc->name, msg);
    else
        log_msg(level, "plugin: %s", msg);
}

static void *host_pool_alloc(struct neptun_pool *pool, size_t size)
{
    return neptun_pool_alloc(pool, size);
}

static char *host_pool_strdup(struct neptun_pool *pool, const char *s)
{
    return neptun_pool_strdup(pool, s);
}

static char *host_pool_printf(struct neptun_pool *pool, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = neptun_pool_vprintf(pool, fmt, ap);
    va_end(ap);
    return s;
}

static void host_error_add(struct neptun_errors *errs, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errors_vadd(errs, path, fmt, ap);
    va_end(ap);
}

static struct neptun_pool *host_req_pool(struct neptun_req *req)
{
    return req->pool;
}

static const char *host_req_method(struct neptun_req *req)
{
    return req->method_name;
}

static const char *host_req_path(struct neptun_req *req)
{
    return req->path;
}

static const char *host_req_lang(struct neptun_req *req)
{
    return req->lang;
}

/* ---- ABI 1.1 --------------------------------------------------------------- */

static int host_item_get(struct neptun_req *req, const char *type, const char *slug,
                         const struct neptun_item **out)
{
    struct neptun_item *item = NULL;
    int keep = 1;

    if (out == NULL)
        return NEPTUN_ERROR;
    *out = NULL;
    if (req == NULL || req->worker == NULL || req->worker->store == NULL)
        return NEPTUN_ERROR;
    if (type == NULL || types_find(type) == NULL || !content_slug_ok(slug))
        return NEPTUN_NOT_FOUND;
    int rc = store_get(req->worker->store, req->pool, type, slug, 0, req->now, &item);
    if (rc != NEPTUN_OK)
        return rc == NEPTUN_NOT_FOUND ? NEPTUN_NOT_FOUND : NEPTUN_ERROR;
    /* The rules see it as they would on /{lang}/{type}/{slug}: an item they
     * hide there is not found here either. */
    if (req->worker->rules != NULL && rules_on_item(req->worker->rules, req, item, req->lang, &keep) == NEPTUN_ERROR)
        return NEPTUN_ERROR;
    if (!keep)
        return NEPTUN_NOT_FOUND;
    *out = item;
    return NEPTUN_OK;
}

static const struct neptun_render_ctx *host_item_render_ctx(struct neptun_req *req,
                                                            const struct neptun_item *item)
{
    if (req == NULL || item == NULL)
        return NULL;
    const char *lang = req->lang;
    if (lang == NULL)
        lang = conf_default_lang();
    struct neptun_render_ctx *rc = neptun_pool_alloc(req->pool, sizeof(*rc));
    const char *const *chain = render_chain(req->pool, lang);
    if (rc == NULL || chain == NULL)
        return NULL;
    render_ctx_init(rc, req->pool, item, lang, chain);
    if (item->fields_xml != NULL && rc->fields == NULL)
        return NULL; /* stored fields always parse: only memory can fail */
    return rc;
}

static void pending_message_free(struct pending_message *m)
{
    for (size_t i = 0; m->forms != NULL && i < m->nforms; i++)
        free(m->forms[i]);
    free(m->forms);
    free(m->lang);
    free(m->key);
    free(m);
}

static int host_register_messages(struct neptun_plugin_ctx *ctx, const char *lang, const char *key,
                                  const char *const *forms, size_t nforms)
{
    struct pending_message *m = NULL;
    int rc = NEPTUN_INVALID;

    if (ctx == NULL || !ctx->in_init || lang == NULL || key == NULL || forms == NULL || nforms == 0) {
        log_error("register_messages: called outside init or without a language, key or forms");
        return NEPTUN_INVALID;
    }
    const char *name = ctx->rec->desc->name;
    size_t prefix = strlen(name);
    /* "type.<name>": the name of a type this plugin registered, which
     * titles its feeds; everything else under the plugin's own prefix. */
    int own_type = strncmp(key, "type.", 5) == 0 && types_owner(key + 5) == ctx->rec;
    if (!own_type && (strncmp(key, name, prefix) != 0 || key[prefix] != '.' || key[prefix + 1] == '\0')) {
        log_error("plugin %s: message key \"%s\" must begin with \"%s.\" or name one of its types "
                  "(\"type.NAME\")", name, key, name);
        return NEPTUN_INVALID;
    }
    size_t needed = locale_plural_forms(lang);
    if (needed == 0)
        return NEPTUN_OK; /* a language this server does not serve */
    if (nforms != 1 && nforms != needed) {
        log_error("plugin %s: message \"%s\" has %zu forms; language %s needs 1, or %zu for a count",
                  name, key, nforms, lang, needed);
        return NEPTUN_INVALID;
    }
    for (size_t i = 0; i < nforms; i++)
        if (forms[i] == NULL || forms[i][0] == '\0') {
            log_error("plugin %s: message \"%s\" (%s) has an empty form", name, key, lang);
            return NEPTUN_INVALID;
        }
    for (const struct pending_message *o = ctx->messages; o != NULL; o = o->next)
        if (strcmp(o->lang, lang) == 0 && strcmp(o->key, key) == 0) {
            log_error("plugin %s: message \"%s\" (%s) is given twice", name, key, lang);
            return NEPTUN_INVALID;
        }
    if (locale_has_key(key)) {
        log_error("plugin %s: message \"%s\" is already in the catalogs", name, key);
        return NEPTUN_INVALID;
    }
    rc = NEPTUN_NOMEM;
    m = calloc(1, sizeof(*m));
    if (m == NULL || (m->lang = strdup(lang)) == NULL || (m->key = strdup(key)) == NULL ||
        (m->forms = calloc(nforms, sizeof(*m->forms))) == NULL)
        goto out;
    for (m->nforms = 0; m->nforms < nforms; m->nforms++)
        if ((m->forms[m->nforms] = strdup(forms[m->nforms])) == NULL)
            goto out;
    m->next = ctx->messages;
    ctx->messages = m;
    m = NULL;
    rc = NEPTUN_OK;
out:
    if (m != NULL)
        pending_message_free(m);
    return rc;
}

static int host_reply_send(struct neptun_reply *reply, int status, const char *content_type, const void *body,
                           size_t len);

static struct neptun_pool *host_errors_pool(struct neptun_errors *errs)
{
    return errs != NULL ? errs->pool : NULL;
}

static const struct neptun_host host_table = {
    .abi_major = NEPTUN_ABI_MAJOR,
    .abi_minor = NEPTUN_ABI_MINOR,
    .struct_size = sizeof(struct neptun_host),
    .register_type = host_register_type,
    .register_route = host_register_route,
    .register_lua_function = host_register_lua_function,
    .log = host_log,
    .pool_alloc = host_pool_alloc,
    .pool_strdup = host_pool_strdup,
    .pool_printf = host_pool_printf,
    .error_add = host_error_add,
    .parse_time = locale_parse_time,
    .t = locale_translate,
    .format_range = locale_format_range,
    .xml_child = xmlutil_child,
    .xml_next = xmlutil_next,
    .xml_text = xmlutil_text,
    .xml_attr = xmlutil_attr,
    .xml_child_lang = xmlutil_child_lang,
    .xml_write_text = xmlutil_write_text,
    .ics_add = render_ics_add,
    .req_pool = host_req_pool,
    .req_method = host_req_method,
    .req_path = host_req_path,
    .req_lang = host_req_lang,
    .req_query = req_query,
    .req_param = req_param,
    .req_header = req_header,
    .reply_header = reply_header,
    .reply_send = host_reply_send,
    .days_spanned = locale_days_spanned,
    .item_get = host_item_get,
    .item_render_ctx = host_item_render_ctx,
    .register_messages = host_register_messages,
    .errors_pool = host_errors_pool,
};

/* Route handlers get the reply only; its request is remembered by the
 * dispatcher for the duration of the call. */
static _Thread_local struct neptun_req *current_route_req;

static int host_reply_send(struct neptun_reply *reply, int status, const char *content_type, const void *body,
                           size_t len)
{
    if (current_route_req == NULL)
        return NEPTUN_ERROR;
    return reply_set(current_route_req, reply, status, content_type, body, len);
}

struct route_thunk {
    neptun_route_fn fn;
    void *ud;
    struct route_thunk *next; /* all thunks, freed by plugins_unload */
};

static struct route_thunk *thunks;

static int plugin_route(void *ud, struct neptun_req *req, struct neptun_reply *reply)
{
    struct route_thunk *t = ud;
    struct neptun_req *saved = current_route_req;
    current_route_req = req;
    int rc = t->fn(t->ud, req, reply);
    current_route_req = saved;
    return rc;
}

/* ---- loading ------------------------------------------------------------ */

static char *plugin_path(const char *name, const char *dir)
{
    char buf[PATH_MAX];
    if (strchr(name, '/') != NULL)
        return strdup(name);
    if (dir != NULL) {
        snprintf(buf, sizeof(buf), "%s/%s.so", dir, name);
        return strdup(buf);
    }
    /* Beside the binary (a build tree), then the installed plugin folder. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        snprintf(buf, sizeof(buf), "%s/plugins/%s.so", dirname(exe), name);
        if (access(buf, R_OK) == 0)
            return strdup(buf);
    }
    char *installed = conf_install_path(NEPTUN_BIN_TO_PLUGINS, NEPTUN_PLUGIN_INSTALL_DIR);
    if (installed == NULL)
        return NULL;
    snprintf(buf, sizeof(buf), "%s/%s.so", installed, name);
    free(installed);
    return strdup(buf);
}

static void ctx_release(struct neptun_plugin_ctx *ctx)
{
    for (size_t i = 0; i < ctx->nroutes; i++) {
        free(ctx->routes[i].method);
        free(ctx->routes[i].pattern);
    }
    for (size_t i = 0; i < ctx->nfns; i++)
        free(ctx->fns[i].name);
    ctx->nroutes = ctx->nfns = 0;
    while (ctx->messages != NULL) {
        struct pending_message *m = ctx->messages;
        ctx->messages = m->next;
        pending_message_free(m);
    }
}

static int publish(struct neptun_plugin_ctx *ctx)
{
    if (nlua_fns + ctx->nfns > RULES_LUA_FNS_MAX) {
        log_error("plugin %s: too many Lua functions in all", ctx->rec->desc->name);
        return NEPTUN_ERROR;
    }
    for (size_t i = 0; i < ctx->nroutes; i++) {
        struct route_thunk *t = malloc(sizeof(*t));
        if (t == NULL)
            return NEPTUN_NOMEM;
        t->fn = ctx->routes[i].fn;
        t->ud = ctx->routes[i].ud;
        t->next = thunks;
        thunks = t;
        /* The router keeps the thunk until router_cleanup(); it is freed by
         * plugins_unload(), which runs after that. */
        if (router_add(ctx->routes[i].method, ctx->routes[i].pattern, plugin_route, t,
                       ctx->rec->desc->name) != NEPTUN_OK) {
            thunks = t->next;
            free(t);
            log_error("plugin %s: route %s %s refused", ctx->rec->desc->name, ctx->routes[i].method,
                      ctx->routes[i].pattern);
            return NEPTUN_ERROR;
        }
    }
    for (const struct pending_message *m = ctx->messages; m != NULL; m = m->next) {
        int rc = locale_add_message(m->lang, m->key, (const char *const *)m->forms, m->nforms);
        if (rc != NEPTUN_OK) {
            log_error("plugin %s: message \"%s\" (%s) could not be added to the catalog", ctx->rec->desc->name,
                      m->key, m->lang);
            return rc;
        }
    }
    for (size_t i = 0; i < ctx->nfns; i++) {
        int rc = rules_lua_fn_add(ctx->rec->desc->name, ctx->fns[i].name, ctx->fns[i].fn,
                                  ctx->fns[i].ud);
        if (rc != NEPTUN_OK) {
            log_error("plugin %s: Lua function %s could not be registered", ctx->rec->desc->name,
                      ctx->fns[i].name);
            return rc;
        }
        nlua_fns++;
    }
    return NEPTUN_OK;
}

static int load_one(const char *name, const char *dir)
{
    struct plugin_rec *rec = NULL;
    struct neptun_plugin_ctx ctx;
    int rc = NEPTUN_ERROR;
    char *path = plugin_path(name, dir);
    void *handle = NULL;

    memset(&ctx, 0, sizeof(ctx));
    if (path == NULL)
        goto out;
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        log_error("plugin %s refused: cannot load %s: %s", name, path, dlerror());
        goto out;
    }
    const struct neptun_plugin *desc = dlsym(handle, NEPTUN_PLUGIN_SYMBOL);
    if (desc == NULL) {
        log_error("plugin %s refused: %s exports no \"%s\" descriptor (use NEPTUN_PLUGIN_HEADER)", name, path,
                  NEPTUN_PLUGIN_SYMBOL);
        goto out;
    }
    if (desc->abi_major != NEPTUN_ABI_MAJOR) {
        log_error("plugin %s refused: %s was built for plugin ABI %u.%u, this host provides ABI %d.%d", name,
                  path, desc->abi_major, desc->abi_minor, NEPTUN_ABI_MAJOR, NEPTUN_ABI_MINOR);
        goto out;
    }
    if (desc->struct_size < offsetof(struct neptun_plugin, fini) + sizeof(desc->fini) || desc->name == NULL ||
        desc->init == NULL) {
        log_error("plugin %s refused: %s has a malformed descriptor (size %zu, name or init missing)", name,
                  path, desc->struct_size);
        goto out;
    }
    if (desc->abi_minor > NEPTUN_ABI_MINOR)
        log_warn("plugin %s was built for ABI %u.%u, newer than this host's %d.%d: it must test for newer "
                 "host functions with NEPTUN_HOST_HAS", desc->name, desc->abi_major, desc->abi_minor,
                 NEPTUN_ABI_MAJOR, NEPTUN_ABI_MINOR);
    for (size_t i = 0; i < nplugins; i++)
        if (strcmp(plugins[i]->desc->name, desc->name) == 0 || plugins[i]->handle == handle) {
            log_error("plugin %s refused: a plugin named \"%s\" is already loaded (from %s)", name, desc->name,
                      plugins[i]->path);
            goto out;
        }
    if (nplugins == PLUGINS_MAX) {
        log_error("plugin %s refused: at most %d plugins", name, PLUGINS_MAX);
        goto out;
    }
    rec = calloc(1, sizeof(*rec));
    if (rec == NULL)
        goto out;
    rec->handle = handle;
    rec->desc = desc;
    rec->path = path;
    ctx.rec = rec;
    ctx.in_init = 1;
    int irc = desc->init(&ctx, &host_table, &rec->data);
    ctx.in_init = 0;
    if (irc != NEPTUN_OK || ctx.failed) {
        log_error("plugin %s refused: its init failed (%d)%s; its registrations were undone", desc->name, irc,
                  ctx.failed ? " after a refused registration" : "");
        types_unregister_owner(rec);
        if (irc == NEPTUN_OK && desc->fini != NULL)
            desc->fini(rec->data);
        goto out;
    }
    if (publish(&ctx) != NEPTUN_OK) {
        types_unregister_owner(rec);
        if (desc->fini != NULL)
            desc->fini(rec->data);
        goto out;
    }
    plugins[nplugins++] = rec;
    log_info("plugin %s %s loaded from %s (ABI %u.%u)", desc->name, desc->version ? desc->version : "?", path,
             desc->abi_major, desc->abi_minor);
    rec = NULL;
    handle = NULL;
    path = NULL;
    rc = NEPTUN_OK;
out:
    ctx_release(&ctx);
    free(rec);
    if (handle != NULL)
        dlclose(handle);
    free(path);
    return rc;
}

int plugins_load(char *const *names, size_t n, const char *dir)
{
    int loaded = 0;
    for (size_t i = 0; i < n; i++)
        if (load_one(names[i], dir) == NEPTUN_OK)
            loaded++;
    return loaded;
}

void plugins_unload(void)
{
    while (nplugins > 0) {
        struct plugin_rec *rec = plugins[--nplugins];
        if (rec->desc->fini != NULL)
            rec->desc->fini(rec->data);
        /* The library stays mapped: types, routes and Lua functions still
         * point into it until the process exits. */
        free(rec->path);
        free(rec);
    }
    while (thunks != NULL) {
        struct route_thunk *t = thunks;
        thunks = t->next;
        free(t);
    }
    rules_lua_fn_clear();
    nlua_fns = 0;
}
