/*
 * host.c - rule sets, reloads, per-worker states and hook calls.
 *
 * A rule set holds the sources of the scripts folder (every *.lua, in
 * name order).  A reload compiles and runs every script in a throw-away
 * sandbox first; only when
 * all succeed does the set replace the one in force (under a mutex; sets
 * are immutable and reference-counted) and the atomic generation move on.
 * Each worker compares that generation before a hook call and builds a
 * fresh sandbox from the current set when it changed; a request already
 * in progress keeps the state it started with (pinned until its pool is
 * freed).  A failed hook call leaves its sandbox tainted: the next call
 * builds a fresh one, so one bad request never affects the next.
 *
 * Every touch of the Lua state happens inside one protected call (the
 * run_* functions below), so even running out of memory is an ordinary,
 * logged error.
 */
#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "script_api.h"
#include "item_view.h"
#include "sandbox.h"
#include "metrics.h"
#include "http.h"

#define MAX_SCRIPT_BYTES (1u << 20)
#define MAX_SCRIPTS 256

enum {
    HOOK_ON_REQUEST = 1u << 0,
    HOOK_ON_ITEM = 1u << 1,
    HOOK_ON_FEED = 1u << 2,
    HOOK_ROUTES = 1u << 3
};

static const struct {
    const char *name;
    unsigned bit;
} hook_names[] = {
    { "on_request", HOOK_ON_REQUEST },
    { "on_item", HOOK_ON_ITEM },
    { "on_feed", HOOK_ON_FEED },
    { "routes", HOOK_ROUTES },
};

struct rule_script {
    char *name;      /* file name, e.g. "10-partner-sopot.lua" */
    char *source;
    size_t len;
};

struct rule_set {
    _Atomic int refs;
    struct rule_script *scripts;
    size_t n;
    unsigned hooks;  /* HOOK_* defined by any script */
};

struct rules_worker {
    struct store *store;
    int index;
    struct sandbox *sb;
    struct rule_set *set;        /* the set sb was built from */
    uint64_t generation;         /* of that set */
    struct neptun_req *pinned;   /* request that keeps sb until it ends */
};

static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rule_set *rules_current;  /* guarded by rules_lock */
static _Atomic uint64_t rules_gen;

/* ---- rule sets -------------------------------------------------------- */

static void set_unref(struct rule_set *set)
{
    if (set == NULL || atomic_fetch_sub(&set->refs, 1) != 1)
        return;
    for (size_t i = 0; i < set->n; i++) {
        free(set->scripts[i].name);
        free(set->scripts[i].source);
    }
    free(set->scripts);
    free(set);
}

/* The set in force with a new reference, and its generation. */
static struct rule_set *set_acquire(uint64_t *generation)
{
    struct rule_set *set;

    pthread_mutex_lock(&rules_lock);
    set = rules_current;
    if (set != NULL)
        atomic_fetch_add(&set->refs, 1);
    *generation = atomic_load(&rules_gen);
    pthread_mutex_unlock(&rules_lock);
    return set;
}

static int is_script_name(const char *name)
{
    size_t n = strlen(name);

    return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".lua") == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_file(const char *dir, const char *name, struct rule_script *out)
{
    char path[4096];
    FILE *f = NULL;
    long size;
    int rc = -1;

    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        log_error("script %s/%s: path too long", dir, name);
        return -1;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        log_error("script %s: %s", path, strerror(errno));
        goto out;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        log_error("script %s: cannot read", path);
        goto out;
    }
    if ((size_t)size > MAX_SCRIPT_BYTES) {
        log_error("script %s: larger than %u bytes", path, MAX_SCRIPT_BYTES);
        goto out;
    }
    out->name = strdup(name);
    out->source = malloc((size_t)size + 1);
    if (out->name == NULL || out->source == NULL) {
        log_error("script %s: out of memory", path);
        goto out;
    }
    out->len = fread(out->source, 1, (size_t)size, f);
    if (out->len != (size_t)size || ferror(f)) {
        log_error("script %s: cannot read", path);
        goto out;
    }
    out->source[out->len] = '\0';
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    return rc;
}

/* Read every *.lua of dir in name order into a new set (hooks not yet
 * known).  NULL after logging why. */
static struct rule_set *read_dir(const char *dir)
{
    struct rule_set *set = NULL;
    char **names = NULL;
    size_t n = 0;
    DIR *d = NULL;
    struct dirent *de;
    int ok = 0;

    d = opendir(dir);
    if (d == NULL) {
        log_error("scripts %s: %s", dir, strerror(errno));
        goto out;
    }
    names = calloc(MAX_SCRIPTS, sizeof *names);
    set = calloc(1, sizeof *set);
    if (names == NULL || set == NULL) {
        log_error("scripts %s: out of memory", dir);
        goto out;
    }
    atomic_init(&set->refs, 1);
    while ((de = readdir(d)) != NULL) {
        if (!is_script_name(de->d_name))
            continue;
        if (n == MAX_SCRIPTS) {
            log_error("scripts %s: more than %d scripts", dir, MAX_SCRIPTS);
            goto out;
        }
        names[n] = strdup(de->d_name);
        if (names[n++] == NULL) {
            log_error("scripts %s: out of memory", dir);
            goto out;
        }
    }
    qsort(names, n, sizeof *names, compare_names);
    set->scripts = calloc(n ? n : 1, sizeof *set->scripts);
    if (set->scripts == NULL) {
        log_error("scripts %s: out of memory", dir);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        set->n = i + 1;
        if (read_file(dir, names[i], &set->scripts[i]) != 0)
            goto out;
    }
    set->n = n;
    ok = 1;
out:
    if (d != NULL)
        closedir(d);
    for (size_t i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
    if (!ok) {
        set_unref(set);
        set = NULL;
    }
    return set;
}

/* A sandbox running every script of set; NULL after logging the error. */
static struct sandbox *build_sandbox(const struct rule_set *set, const char **failed)
{
    char *err = NULL;
    struct sandbox *sb = sandbox_new(0, 0, rules_api_push, &err);

    *failed = NULL;
    if (sb == NULL) {
        log_error("%s", err ? err : "cannot set up the Lua sandbox");
        free(err);
        return NULL;
    }
    for (size_t i = 0; i < set->n; i++) {
        if (sandbox_add_script(sb, set->scripts[i].name, set->scripts[i].source,
                               set->scripts[i].len, &err) != 0) {
            log_error("script %s", err ? err : set->scripts[i].name);
            *failed = set->scripts[i].name;
            free(err);
            sandbox_free(sb);
            return NULL;
        }
    }
    return sb;
}

struct probe {
    struct sandbox *sb;
    unsigned hooks;
};

/* Runs protected: which hooks do the scripts define? */
static int run_probe(lua_State *L)
{
    struct probe *p = lua_touserdata(L, 1);

    for (size_t i = 0; i < sandbox_script_count(p->sb); i++) {
        sandbox_push_env(p->sb, i);
        for (size_t h = 0; h < sizeof hook_names / sizeof hook_names[0]; h++) {
            if (lua_getfield(L, -1, hook_names[h].name) == LUA_TFUNCTION)
                p->hooks |= hook_names[h].bit;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_ROUTES_KEY);
    if (lua_rawlen(L, -1) > 0)
        p->hooks |= HOOK_ROUTES;
    return 0;
}

int rules_reload(const char *dir)
{
    struct rule_set *set = NULL, *old;
    struct sandbox *sb = NULL;
    struct probe probe = { NULL, 0 };
    const char *failed = NULL;
    char *err = NULL;
    uint64_t gen;
    size_t n;
    int rc = NEPTUN_ERROR;

    set = read_dir(dir);
    if (set == NULL)
        goto out;
    sb = build_sandbox(set, &failed);
    if (sb == NULL)
        goto out;
    probe.sb = sb;
    lua_pushcfunction(sandbox_lua(sb), run_probe);
    lua_pushlightuserdata(sandbox_lua(sb), &probe);
    if (sandbox_call(sb, 1, 0, &err, NULL) != 0) {
        log_error("scripts %s: %s", dir, err ? err : "cannot be checked");
        goto out;
    }
    set->hooks = probe.hooks;
    /* Once published, the set belongs to rules_current: a reload running
     * at the same time (SIGHUP, POST /admin/reload, the file watcher) may
     * replace and free it as soon as the lock is released. */
    n = set->n;

    pthread_mutex_lock(&rules_lock);
    old = rules_current;
    rules_current = set;
    gen = atomic_fetch_add(&rules_gen, 1) + 1;
    pthread_mutex_unlock(&rules_lock);
    set = NULL; /* not ours any more: see above */
    set_unref(old);
    log_info("Lua rules: %zu script%s from %s in force (generation %llu)", n,
             n == 1 ? "" : "s", dir, (unsigned long long)gen);
    rc = NEPTUN_OK;
out:
    if (rc != NEPTUN_OK)
        log_error("Lua rules in %s not loaded%s; the rules in force stay", dir,
                  failed ? " (a script failed)" : "");
    free(err);
    sandbox_free(sb);
    set_unref(set);
    return rc;
}

uint64_t rules_generation(void)
{
    return atomic_load(&rules_gen);
}

void rules_cleanup(void)
{
    struct rule_set *old;

    pthread_mutex_lock(&rules_lock);
    old = rules_current;
    rules_current = NULL;
    pthread_mutex_unlock(&rules_lock);
    set_unref(old);
}

int rules_has(const char *hook)
{
    unsigned bits = 0;
    int has = 0;

    pthread_mutex_lock(&rules_lock);
    if (rules_current != NULL)
        bits = rules_current->hooks;
    pthread_mutex_unlock(&rules_lock);
    for (size_t h = 0; h < sizeof hook_names / sizeof hook_names[0]; h++)
        if (strcmp(hook_names[h].name, hook) == 0)
            has = (bits & hook_names[h].bit) != 0;
    return has;
}

/* ---- workers ---------------------------------------------------------- */

struct rules_worker *rules_worker_new(struct store *store, int worker_index)
{
    struct rules_worker *lw = calloc(1, sizeof *lw);

    if (lw == NULL)
        return NULL;
    lw->store = store;
    lw->index = worker_index;
    return lw;
}

void rules_worker_free(struct rules_worker *lw)
{
    if (lw == NULL)
        return;
    sandbox_free(lw->sb);
    set_unref(lw->set);
    free(lw);
}

static void unpin(void *data)
{
    struct rules_worker *lw = data;

    lw->pinned = NULL;
}

/* Make lw->sb current for req.  NEPTUN_DECLINED when no rule defines the
 * hook bit, NEPTUN_ERROR when the state cannot be built. */
static int prepare(struct rules_worker *lw, struct neptun_req *req, unsigned hook)
{
    int pinned = req != NULL && lw->pinned == req;
    struct rule_set *set;
    struct sandbox *sb;
    const char *failed;
    uint64_t gen;

    if (lw->sb != NULL && !sandbox_tainted(lw->sb) &&
        (pinned || lw->generation == atomic_load(&rules_gen)))
        goto ready;
    if (pinned && lw->set != NULL && lw->sb != NULL) {
        /* a failed call: rebuild from the same set for this request */
        set = lw->set;
        atomic_fetch_add(&set->refs, 1);
        gen = lw->generation;
    } else {
        set = set_acquire(&gen);
    }
    if (set == NULL) {
        sandbox_free(lw->sb);
        lw->sb = NULL;
        set_unref(lw->set);
        lw->set = NULL;
        lw->generation = gen;
        return NEPTUN_DECLINED;
    }
    if ((set->hooks & hook) == 0 && !pinned) {
        /* nothing to run: keep the set, build the state when a hook needs it */
        if (lw->set != set || lw->sb == NULL || sandbox_tainted(lw->sb)) {
            sandbox_free(lw->sb);
            lw->sb = NULL;
        }
        set_unref(lw->set);
        lw->set = set;
        lw->generation = gen;
        return NEPTUN_DECLINED;
    }
    sb = build_sandbox(set, &failed);
    if (sb == NULL) {
        if (failed != NULL)
            metrics_lua_error(failed);
        set_unref(set);
        return NEPTUN_ERROR;
    }
    sandbox_free(lw->sb);
    set_unref(lw->set);
    lw->sb = sb;
    lw->set = set;
    lw->generation = gen;
ready:
    if ((lw->set->hooks & hook) == 0)
        return NEPTUN_DECLINED;
    if (req != NULL && lw->pinned != req &&
        neptun_pool_cleanup_add(req->pool, unpin, lw) == NEPTUN_OK)
        lw->pinned = req;
    return NEPTUN_OK;
}

/* ---- calling hooks ---------------------------------------------------- */

/* Set up the call context, run fn protected, log and count what failed
 * or was slow. */
static int call_protected(struct rules_worker *lw, struct neptun_req *req, lua_CFunction fn,
                          void *args, const char *what)
{
    struct sandbox_call_ctx *ctx = sandbox_ctx(lw->sb);
    lua_State *L = sandbox_lua(lw->sb);
    char *err = NULL;
    int rc;

    ctx->store = lw->store;
    ctx->req = req;
    ctx->pool = req != NULL ? req->pool : NULL;
    ctx->script = NULL;
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, args);
    rc = sandbox_call(lw->sb, 1, 0, &err, NULL);
    if (rc != 0) {
        const char *msg = err != NULL ? err : "?";
        int first_line = (int)strcspn(msg, "\n");
        log_error("script %.*s (in %s%s%s)%s", first_line, msg, what, req ? " for " : "",
                  req && req->uri ? req->uri : "", msg + first_line);
        metrics_lua_error(ctx->script);
    }
    free(err);
    ctx->req = NULL;
    ctx->pool = NULL;
    ctx->script = NULL;
    return rc == 0 ? NEPTUN_OK : NEPTUN_ERROR;
}

/* Call every script's function `hook` in name order with the nargs values
 * on top of the stack.  each(L, ud) is called after every call with the one
 * result on top (and pops it); it returns nonzero to stop.  [-nargs, +0] */
static void call_each_timed(lua_State *L, struct sandbox *sb, const char *hook, int nargs,
                            int (*each)(lua_State *L, void *ud), void *ud, double *mark)
{
    struct sandbox_call_ctx *ctx = sandbox_ctx(sb);
    int first = lua_gettop(L) - nargs + 1;
    int slow_ms = neptun_conf->lua_slow_ms;

    for (size_t i = 0; i < sandbox_script_count(sb); i++) {
        double start, took;

        sandbox_push_env(sb, i);
        if (lua_getfield(L, -1, hook) != LUA_TFUNCTION) {
            lua_pop(L, 2);
            continue;
        }
        lua_remove(L, -2);
        for (int a = 0; a < nargs; a++)
            lua_pushvalue(L, first + a);
        ctx->script = sandbox_script_name(sb, i);
        sandbox_budget_reset(sb);
        /* one clock read per call: a call starts where the one before
         * ended (what lies between is a few microseconds of C) */
        start = *mark > 0 ? *mark : clock_monotonic_ms();
        lua_call(L, nargs, 1);
        *mark = clock_monotonic_ms();
        took = *mark - start;
        if (slow_ms > 0 && took > slow_ms) {
            log_warn("script %s: %s took %.1f ms (lua_slow_ms %d)", ctx->script, hook, took,
                     slow_ms);
            metrics_lua_slow(ctx->script);
        }
        if (each(L, ud))
            break;
    }
    ctx->script = NULL;
    lua_settop(L, first - 1);
}

/* call_each_timed, timing from now. */
static void call_each(lua_State *L, struct sandbox *sb, const char *hook, int nargs,
                      int (*each)(lua_State *L, void *ud), void *ud)
{
    double mark = 0;
    call_each_timed(L, sb, hook, nargs, each, ud, &mark);
}

static void set_str(lua_State *L, const char *key, const char *value)
{
    if (value == NULL)
        return;
    lua_pushstring(L, value);
    lua_setfield(L, -2, key);
}

/* Header names scripts never see: credentials. */
static int is_secret_header(const char *name)
{
    return strcasecmp(name, "authorization") == 0 || strcasecmp(name, "x-partner-key") == 0;
}

/* One request header into the table on top of the stack, its name in
 * lower case; the first of a name wins.  [-0, +0] */
static void add_header(const char *name, const char *value, void *arg)
{
    lua_State *L = arg;
    luaL_Buffer b;

    if (is_secret_header(name))
        return;
    luaL_buffinit(L, &b);
    for (const char *c = name; *c != '\0'; c++)
        luaL_addchar(&b, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
    luaL_pushresult(&b);
    lua_pushvalue(L, -1);
    if (lua_rawget(L, -3) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushstring(L, value);
        lua_rawset(L, -3);
    } else {
        lua_pop(L, 2);
    }
}

/* [-0, +1] req as a table. */
static void push_request(lua_State *L, struct neptun_req *req)
{
    lua_createtable(L, 0, 10);
    set_str(L, "method", req->method_name);
    set_str(L, "path", req->path);
    set_str(L, "uri", req->uri);
    if (req->lang != NULL) {
        set_str(L, "lang", req->lang);
    } else if (req->path != NULL && req->path[0] == '/') {
        /* before routing: the language the path names, if any */
        size_t len = strcspn(req->path + 1, "/");
        if (len > 0 && conf_has_lang(req->path + 1, len)) {
            lua_pushlstring(L, req->path + 1, len);
            lua_setfield(L, -2, "lang");
        }
    }
    set_str(L, "partner", req->partner);
    set_str(L, "variant", req->variant);
    lua_pushinteger(L, (lua_Integer)req->now);
    lua_setfield(L, -2, "now");

    lua_createtable(L, 0, (int)req->nquery);
    for (size_t i = req->nquery; i-- > 0;) { /* the first value of a name wins */
        if (req->query[i].name == NULL)
            continue;
        lua_pushstring(L, req->query[i].value ? req->query[i].value : "");
        lua_setfield(L, -2, req->query[i].name);
    }
    lua_setfield(L, -2, "query");

    lua_newtable(L);
    req_header_each(req, add_header, L);
    lua_setfield(L, -2, "headers");
}

/* [-0, +1] ctx = {lang=, partner=, variant=, path=} */
static void push_ctx(lua_State *L, struct neptun_req *req, const char *lang)
{
    lua_createtable(L, 0, 4);
    set_str(L, "lang", lang);
    if (req != NULL) {
        set_str(L, "partner", req->partner);
        set_str(L, "variant", req->variant);
        set_str(L, "path", req->path);
    }
}

static int header_name_ok(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s) != NULL))
            return 0;
    return 1;
}

static int header_value_ok(const char *s, size_t len)
{
    return strlen(s) == len && strpbrk(s, "\r\n") == NULL;
}

static const char *pool_copy(lua_State *L, struct neptun_pool *pool, const char *s, size_t len)
{
    char *c = neptun_pool_strndup(pool, s, len);

    if (c == NULL)
        luaL_error(L, "out of memory");
    return c;
}

/* The answer {status=, headers=, body=} (or a string body) at the top of
 * the stack into reply.  Raises an error naming what is wrong.  The table
 * may have an __index that makes each value afresh (and runs the
 * collector), so every string read stays on the stack until it is copied
 * into the pool.  [-0, +0] */
static void read_reply(lua_State *L, struct neptun_req *req, struct neptun_reply *reply,
                       const char *default_type)
{
    int t = lua_gettop(L);
    const char *body = "";
    size_t len = 0;
    lua_Integer status = 200;

    reply->nheaders = 0;
    reply->content_type = default_type;
    if (lua_type(L, t) == LUA_TSTRING) {
        body = lua_tolstring(L, t, &len);
        goto done;
    }
    if (lua_getfield(L, t, "status") != LUA_TNIL) {
        int isnum;
        status = lua_tointegerx(L, -1, &isnum);
        if (!isnum || status < 100 || status > 599)
            luaL_error(L, "answer.status must be an HTTP status (100-599)");
    }
    lua_pop(L, 1);
    switch (lua_getfield(L, t, "body")) { /* stays at t + 1 */
    case LUA_TNIL: break;
    case LUA_TSTRING: body = lua_tolstring(L, -1, &len); break;
    default: luaL_error(L, "answer.body must be a string");
    }
    if (lua_getfield(L, t, "headers") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            size_t vlen;
            const char *name, *value;
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "answer.headers must map names to strings");
            name = lua_tostring(L, -2);
            value = lua_tolstring(L, -1, &vlen);
            if (!header_name_ok(name) || !header_value_ok(value, vlen))
                luaL_error(L, "answer.headers: bad header '%s'", name);
            if (strcasecmp(name, "content-type") == 0) {
                reply->content_type = pool_copy(L, req->pool, value, vlen);
            } else {
                if (reply->nheaders == REPLY_MAX_HEADERS)
                    luaL_error(L, "answer.headers: more than %d headers", REPLY_MAX_HEADERS);
                reply->headers[reply->nheaders].name = pool_copy(L, req->pool, name, strlen(name));
                reply->headers[reply->nheaders].value = pool_copy(L, req->pool, value, vlen);
                reply->nheaders++;
            }
            lua_pop(L, 1);
        }
    } else if (lua_type(L, -1) != LUA_TNIL) {
        luaL_error(L, "answer.headers must be a table");
    }
done:
    reply->status = (int)status;
    reply->body = pool_copy(L, req->pool, body, len);
    reply->len = len;
    reply->entry = NULL;
    lua_settop(L, t);
}

/* ---- on_request ------------------------------------------------------- */

struct request_call {
    struct neptun_req *req;
    struct neptun_reply *reply;
    int answered;
};

static int each_request(lua_State *L, void *ud)
{
    struct request_call *c = ud;

    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "on_request must return nothing or {status=, headers=, body=}");
    read_reply(L, c->req, c->reply, "text/plain; charset=utf-8");
    lua_pop(L, 1);
    c->answered = 1;
    return 1;
}

static int run_on_request(lua_State *L)
{
    struct request_call *c = lua_touserdata(L, 1);
    struct sandbox *sb = sandbox_of(L);
    int r;

    push_request(L, c->req);
    r = lua_gettop(L);
    lua_pushvalue(L, r);
    call_each(L, sb, "on_request", 1, each_request, c);
    switch (lua_getfield(L, r, "variant")) {
    case LUA_TSTRING: {
        size_t len;
        const char *v = lua_tolstring(L, -1, &len);
        if (len == 0 || len > 64 || strlen(v) != len)
            luaL_error(L, "req.variant must be a short name");
        c->req->variant = pool_copy(L, c->req->pool, v, len);
        break;
    }
    case LUA_TNIL: c->req->variant = NULL; break;
    default: luaL_error(L, "req.variant must be a string");
    }
    return 0;
}

int rules_on_request(struct rules_worker *lw, struct neptun_req *req, struct neptun_reply *reply)
{
    struct request_call c = { req, reply, 0 };
    int rc;

    if (lw == NULL)
        return NEPTUN_DECLINED;
    rc = prepare(lw, req, HOOK_ON_REQUEST);
    if (rc != NEPTUN_OK)
        return rc;
    if (call_protected(lw, req, run_on_request, &c, "on_request") != NEPTUN_OK)
        return NEPTUN_ERROR;
    return c.answered ? NEPTUN_OK : NEPTUN_DECLINED;
}

/* ---- on_item ---------------------------------------------------------- */

struct item_call {
    struct neptun_req *req;
    struct neptun_item *item;
    const char *lang;
    int keep;
};

static int each_item(lua_State *L, void *ud)
{
    struct item_call *c = ud;
    int dropped = lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1);

    lua_pop(L, 1);
    if (dropped)
        c->keep = 0;
    return dropped;
}

/* One item through every script's on_item, with the ctx view at stack
 * index ctx; leaves the stack as it was. */
static void item_through_rules(lua_State *L, struct sandbox *sb, struct item_call *c, int ctx,
                               double *mark)
{
    int top = lua_gettop(L), item;

    /* views, not tables: fields are read when asked for, and only what
     * the rules changed is copied back (item_view.c) */
    rules_item_push_view(L, c->req->pool, c->item, c->lang);
    item = lua_gettop(L);
    lua_pushvalue(L, item);
    lua_pushvalue(L, ctx);
    call_each_timed(L, sb, "on_item", 2, each_item, c, mark);
    if (c->keep)
        rules_item_apply_view(L, item, c->req->pool);
    rules_item_close_view(L, item);
    lua_settop(L, top);
}

static int run_on_item(lua_State *L)
{
    struct item_call *c = lua_touserdata(L, 1);

    rules_item_push_ctx(L, c->req, c->lang);
    int ctx = lua_gettop(L);
    double mark = 0;
    item_through_rules(L, sandbox_of(L), c, ctx, &mark);
    rules_item_close_view(L, ctx);
    return 0;
}

int rules_on_item(struct rules_worker *lw, struct neptun_req *req, struct neptun_item *item,
                const char *lang, int *keep)
{
    struct item_call c = { req, item, lang, 1 };
    int rc;

    *keep = 1;
    if (lw == NULL)
        return NEPTUN_DECLINED;
    rc = prepare(lw, req, HOOK_ON_ITEM);
    if (rc != NEPTUN_OK)
        return rc;
    if (lang == NULL)
        lang = req->lang;
    c.lang = lang != NULL ? lang : conf_default_lang();
    if (call_protected(lw, req, run_on_item, &c, "on_item") != NEPTUN_OK)
        return NEPTUN_ERROR;
    *keep = c.keep;
    return NEPTUN_OK;
}

struct list_call {
    struct neptun_req *req;
    struct neptun_item **items;
    size_t n;
    const char *lang;
    unsigned char *keep;
};

static int run_on_items(lua_State *L)
{
    struct list_call *lc = lua_touserdata(L, 1);
    struct sandbox *sb = sandbox_of(L);

    /* One ctx for the whole answer: it is the same for every item, and a
     * view per item was a third of the rule's cost.  What a rule stores in
     * it is seen by the calls for the later items of this answer only. */
    rules_item_push_ctx(L, lc->req, lc->lang);
    int ctx = lua_gettop(L);
    double mark = 0;
    for (size_t i = 0; i < lc->n; i++) {
        struct item_call c = { lc->req, lc->items[i], lc->lang, 1 };
        item_through_rules(L, sb, &c, ctx, &mark);
        lc->keep[i] = (unsigned char)c.keep;
    }
    rules_item_close_view(L, ctx);
    return 0;
}

int rules_on_items(struct rules_worker *lw, struct neptun_req *req, struct neptun_item **items,
                 size_t n, const char *lang, unsigned char *keep)
{
    struct list_call lc = { req, items, n, lang, keep };
    int rc;

    memset(keep, 1, n);
    if (lw == NULL)
        return NEPTUN_DECLINED;
    if (n == 0)
        return NEPTUN_OK;
    rc = prepare(lw, req, HOOK_ON_ITEM);
    if (rc != NEPTUN_OK)
        return rc;
    if (lang == NULL)
        lang = req->lang;
    lc.lang = lang != NULL ? lang : conf_default_lang();
    return call_protected(lw, req, run_on_items, &lc, "on_item");
}

/* ---- on_feed ---------------------------------------------------------- */

struct feed_call {
    struct neptun_req *req;
    struct render_feed *feed;
};

static int each_feed(lua_State *L, void *ud)
{
    (void)ud;
    lua_pop(L, 1);
    return 0;
}

static const char *feed_string(lua_State *L, int t, const char *key, struct neptun_pool *pool,
                               const char *old, int required)
{
    size_t len;
    const char *s;

    switch (lua_getfield(L, t, key)) {
    case LUA_TNIL:
        if (required)
            luaL_error(L, "feed.%s must be a string", key);
        lua_pop(L, 1);
        return NULL;
    case LUA_TSTRING:
        s = lua_tolstring(L, -1, &len);
        if (old == NULL || strcmp(old, s) != 0)
            old = pool_copy(L, pool, s, len);
        lua_pop(L, 1);
        return old;
    default:
        return luaL_error(L, "feed.%s must be a string", key), NULL;
    }
}

static int run_on_feed(lua_State *L)
{
    struct feed_call *c = lua_touserdata(L, 1);
    struct render_feed *f = c->feed;
    struct neptun_pool *pool = f->pool != NULL ? f->pool : c->req->pool;
    int t, isnum;
    lua_Integer ttl;

    lua_createtable(L, 0, 6);
    set_str(L, "title", f->title);
    set_str(L, "description", f->description);
    set_str(L, "image", f->image_url);
    set_str(L, "lang", f->lang);
    set_str(L, "type", f->type);
    lua_pushinteger(L, f->ttl);
    lua_setfield(L, -2, "ttl");
    t = lua_gettop(L);
    lua_pushvalue(L, t);
    push_ctx(L, c->req, f->lang);
    call_each(L, sandbox_of(L), "on_feed", 2, each_feed, c);

    f->title = feed_string(L, t, "title", pool, f->title, 1);
    f->description = feed_string(L, t, "description", pool, f->description, 1);
    f->image_url = feed_string(L, t, "image", pool, f->image_url, 0);
    lua_getfield(L, t, "ttl");
    ttl = lua_tointegerx(L, -1, &isnum);
    if (!lua_isnil(L, -1) && (!isnum || ttl < 0 || ttl > 525600))
        luaL_error(L, "feed.ttl must be minutes (0-525600)");
    f->ttl = lua_isnil(L, -1) ? 0 : (int)ttl;
    lua_pop(L, 1);
    return 0;
}

int rules_on_feed(struct rules_worker *lw, struct neptun_req *req, struct render_feed *feed)
{
    struct feed_call c = { req, feed };
    int rc;

    if (lw == NULL)
        return NEPTUN_DECLINED;
    rc = prepare(lw, req, HOOK_ON_FEED);
    if (rc != NEPTUN_OK)
        return rc;
    return call_protected(lw, req, run_on_feed, &c, "on_feed");
}

/* ---- Lua routes ------------------------------------------------------- */

static int method_ok(const char *want, const char *got)
{
    if (strcmp(want, "*") == 0 || strcmp(want, got) == 0)
        return 1;
    return strcmp(want, "GET") == 0 && strcmp(got, "HEAD") == 0;
}

struct route_call {
    struct neptun_req *req;
    struct neptun_reply *reply;
    int found;
};

static int run_route(lua_State *L)
{
    struct route_call *c = lua_touserdata(L, 1);
    struct sandbox *sb = sandbox_of(L);
    struct sandbox_call_ctx *ctx = sandbox_ctx(sb);
    const char *method = c->req->method_name ? c->req->method_name : "GET";
    lua_Integer n;
    int routes, rc;

    lua_getfield(L, LUA_REGISTRYINDEX, SANDBOX_ROUTES_KEY);
    routes = lua_gettop(L);
    n = (lua_Integer)lua_rawlen(L, routes);
    for (lua_Integer i = 1; i <= n && !c->found; i++) {
        lua_rawgeti(L, routes, i);
        int r = lua_gettop(L);
        struct req_kv kv[REQ_MAX_PARAMS];
        size_t nkv;
        lua_rawgeti(L, r, 1);
        lua_rawgeti(L, r, 2);
        const struct rules_route_pattern *rp = lua_touserdata(L, -1);
        if (!method_ok(lua_tostring(L, -2), method))
            rc = NEPTUN_DECLINED;
        else
            rc = router_pattern_match(rp->pattern, c->req->path, c->req->pool, kv, &nkv);
        if (rc == NEPTUN_NOMEM)
            luaL_error(L, "out of memory");
        if (rc == NEPTUN_OK) {
            const char *lang = NULL;
            lua_createtable(L, 0, (int)nkv);
            for (size_t k = 0; k < nkv; k++) {
                lua_pushstring(L, kv[k].value);
                lua_setfield(L, -2, kv[k].name);
                if (strcmp(kv[k].name, "lang") == 0)
                    lang = kv[k].value; /* pool-owned */
            }
            int params = lua_gettop(L);
            if (c->req->lang == NULL && lang != NULL)
                c->req->lang = lang;
            lua_rawgeti(L, r, 4);
            ctx->script = lua_tostring(L, -1);
            lua_rawgeti(L, r, 3);
            push_request(L, c->req);
            lua_pushvalue(L, params);
            sandbox_budget_reset(sb);
            lua_call(L, 2, 1);
            if (!lua_istable(L, -1) && lua_type(L, -1) != LUA_TSTRING)
                luaL_error(L, "a route must return a body string or {status=, headers=, body=}");
            read_reply(L, c->req, c->reply, "application/xml; charset=utf-8");
            c->found = 1;
        }
        lua_settop(L, routes);
    }
    return 0;
}

int rules_route(struct rules_worker *lw, struct neptun_req *req, struct neptun_reply *reply)
{
    struct route_call c = { req, reply, 0 };
    int rc;

    if (lw == NULL || req->path == NULL)
        return NEPTUN_DECLINED;
    rc = prepare(lw, req, HOOK_ROUTES);
    if (rc != NEPTUN_OK)
        return rc;
    if (call_protected(lw, req, run_route, &c, "a Lua route") != NEPTUN_OK)
        return NEPTUN_ERROR;
    return c.found ? NEPTUN_OK : NEPTUN_DECLINED;
}

/* ---- check-scripts ---------------------------------------------------- */

/* Runs protected: push a sorted array of the script's test_* names. */
static int run_list_tests(lua_State *L)
{
    struct sandbox *sb = lua_touserdata(L, 1);
    lua_Integer n = 0;

    lua_newtable(L);
    sandbox_push_env(sb, 0);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION &&
            strncmp(lua_tostring(L, -2), "test_", 5) == 0) {
            lua_pushvalue(L, -2);
            lua_rawseti(L, -5, ++n);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 1;
}

/* The names of the test_* functions of the only script in sb (malloc'd
 * array of malloc'd strings). */
static char **list_tests(struct sandbox *sb, size_t *n)
{
    lua_State *L = sandbox_lua(sb);
    char *err = NULL;
    char **names = NULL;

    *n = 0;
    lua_pushcfunction(L, run_list_tests);
    lua_pushlightuserdata(L, sb);
    if (sandbox_call(sb, 1, 1, &err, NULL) != 0) {
        free(err);
        return NULL;
    }
    size_t count = lua_rawlen(L, -1);
    names = calloc(count ? count : 1, sizeof *names);
    for (size_t i = 0; names != NULL && i < count; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i + 1); /* a string already in the table */
        names[i] = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (names[i] != NULL)
            (*n)++;
    }
    lua_pop(L, 1);
    if (names != NULL)
        qsort(names, *n, sizeof *names, compare_names);
    return names;
}

struct test_call {
    struct sandbox *sb;
    const char *name;
};

static int run_test(lua_State *L)
{
    struct test_call *t = lua_touserdata(L, 1);

    sandbox_push_env(t->sb, 0);
    lua_getfield(L, -1, t->name);
    sandbox_ctx(t->sb)->script = sandbox_script_name(t->sb, 0);
    lua_call(L, 0, 0);
    return 0;
}

static struct sandbox *check_sandbox(const struct rule_script *s, char **err)
{
    struct sandbox *sb = sandbox_new(0, 0, rules_api_push, err);

    if (sb == NULL)
        return NULL;
    if (sandbox_add_script(sb, s->name, s->source, s->len, err) != 0) {
        sandbox_free(sb);
        return NULL;
    }
    return sb;
}

static int check_script(const struct rule_script *s)
{
    struct sandbox *sb;
    char **tests = NULL;
    size_t ntests = 0;
    char *err = NULL;
    int failures = 0;

    sb = check_sandbox(s, &err);
    if (sb == NULL) {
        printf("FAIL %s: %s\n", s->name, err ? err : "cannot be loaded");
        free(err);
        return 1;
    }
    tests = list_tests(sb, &ntests);
    if (tests == NULL) {
        printf("FAIL %s: its tests cannot be listed\n", s->name);
        failures++;
    }
    if (tests != NULL && ntests == 0)
        printf("ok  %s (no tests)\n", s->name);
    for (size_t i = 0; i < ntests; i++) {
        struct test_call t = { sb, tests[i] };
        lua_pushcfunction(sandbox_lua(sb), run_test);
        lua_pushlightuserdata(sandbox_lua(sb), &t);
        if (sandbox_call(sb, 1, 0, &err, NULL) == 0) {
            printf("ok  %s %s\n", s->name, tests[i]);
        } else {
            printf("FAIL %s %s: %s\n", s->name, tests[i], err ? err : "?");
            failures++;
            free(err);
            err = NULL;
            /* later tests start from a clean state */
            sandbox_free(sb);
            sb = check_sandbox(s, &err);
            if (sb == NULL) {
                free(err);
                failures += (int)(ntests - i - 1);
                break;
            }
        }
    }
    for (size_t i = 0; i < ntests; i++)
        free(tests[i]);
    free(tests);
    sandbox_free(sb);
    return failures;
}

int rules_check(const char *dir)
{
    struct rule_set *set = read_dir(dir);
    int failures = 0;

    if (set == NULL)
        return -1;
    for (size_t i = 0; i < set->n; i++)
        failures += check_script(&set->scripts[i]);
    printf("%zu script%s checked, %d failure%s\n", set->n, set->n == 1 ? "" : "s", failures,
           failures == 1 ? "" : "s");
    fflush(stdout);
    set_unref(set);
    return failures;
}
