/*
 * rule_set.c - rule sets: reading the scripts folder, checking, publishing,
 * reloading, and the offline check (check-scripts).
 *
 * A rule set holds the sources of the scripts folder (every *.lua, in
 * name order).  A reload compiles and runs every script in a throw-away
 * sandbox first and probes which hooks they define; only when all
 * succeed does the set replace the one in force (under rules_lock) and
 * rule_set_gen move on.  Sets are immutable once published and
 * reference-counted: the set in force holds one reference, and each
 * worker's state (hooks.c) holds one on the set it was built from, so a
 * reload never frees a set a worker still runs.
 *
 * How the pieces fit: this file knows sets and sandboxes, not workers or
 * requests.  hooks.c asks it for the set in force (rule_set_acquire) and
 * for a sandbox built from a set (rule_set_sandbox_new) when its worker's
 * generation falls behind; nothing here calls back into hooks.c.
 * rules_check builds one sandbox per script and runs its test_* functions,
 * without touching the set in force.
 */
#include "rules.h"
#include "rule_set.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sandbox.h"
#include "script_api.h"

#define MAX_SCRIPT_BYTES (1u << 20)
#define MAX_SCRIPTS 256

static const struct {
    const char *name;
    unsigned bit;
} hook_names[] = {
    { "on_request", HOOK_ON_REQUEST },
    { "on_item", HOOK_ON_ITEM },
    { "on_feed", HOOK_ON_FEED },
    { "routes", HOOK_ROUTES },
};

static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rule_set *rules_current;  /* guarded by rules_lock */
_Atomic uint64_t rule_set_gen;

/* ---- rule sets -------------------------------------------------------- */

void rule_set_unref(struct rule_set *set)
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

struct rule_set *rule_set_acquire(uint64_t *generation)
{
    struct rule_set *set;

    pthread_mutex_lock(&rules_lock);
    set = rules_current;
    if (set != NULL)
        atomic_fetch_add(&set->refs, 1);
    *generation = atomic_load(&rule_set_gen);
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
        rule_set_unref(set);
        set = NULL;
    }
    return set;
}

struct sandbox *rule_set_sandbox_new(const struct rule_set *set, const char **failed)
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
    sb = rule_set_sandbox_new(set, &failed);
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
    gen = atomic_fetch_add(&rule_set_gen, 1) + 1;
    pthread_mutex_unlock(&rules_lock);
    set = NULL; /* not ours any more: see above */
    rule_set_unref(old);
    log_info("Lua rules: %zu script%s from %s in force (generation %llu)", n,
             n == 1 ? "" : "s", dir, (unsigned long long)gen);
    rc = NEPTUN_OK;
out:
    if (rc != NEPTUN_OK)
        log_error("Lua rules in %s not loaded%s; the rules in force stay", dir,
                  failed ? " (a script failed)" : "");
    free(err);
    sandbox_free(sb);
    rule_set_unref(set);
    return rc;
}

uint64_t rules_generation(void)
{
    return atomic_load(&rule_set_gen);
}

void rules_cleanup(void)
{
    struct rule_set *old;

    pthread_mutex_lock(&rules_lock);
    old = rules_current;
    rules_current = NULL;
    pthread_mutex_unlock(&rules_lock);
    rule_set_unref(old);
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
    rule_set_unref(set);
    return failures;
}
