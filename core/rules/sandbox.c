/*
 * sandbox.c - the sandboxed Lua state that runs admin rules.
 *
 * How the pieces fit:
 *  - memory: every state has its own capped lua_Alloc; a refused
 *    allocation becomes an ordinary "not enough memory" error.  What the
 *    neptun.* functions hold in C for a script (libxml2 buffers, store
 *    results) is counted against the same cap while they run
 *    (sandbox_hold).  The cap holds at every moment: only the traceback
 *    handler, which runs no script code, may use a small fixed reserve
 *    (SANDBOX_ERROR_RESERVE) to write the message;
 *  - time: a count hook charges executed VM instructions (and the pattern
 *    matcher and the neptun.* functions charge their work, sandbox_charge)
 *    to a budget that each call starts afresh, and the same checks end a
 *    call that ran longer than SANDBOX_TIME_LIMIT_MS of wall time; a spent
 *    budget raises an error at every instruction from then on, so a script
 *    cannot swallow it with pcall and go on;
 *  - message handlers: an error raised by the count hook reaches its
 *    message handler with hooks off (Lua runs handlers where the error was
 *    raised), so no script function may ever be one: xpcall calls its
 *    handler after the protected call has unwound, under the budget, and
 *    the top-level traceback handler is C that calls no metamethod;
 *  - reach: only base, string, table, math and utf8 are opened, plus an
 *    os table with time, date and clock; no finalizers.  The shared
 *    globals, the libraries and `neptun` (pushed by the installer the
 *    caller of sandbox_new gives) are read-only proxies; each script gets
 *    a fresh _ENV whose reads fall through to them; the string metatable
 *    is protected; the pattern matcher (strmatch.c) is given
 *    sandbox_charge as its meter;
 *  - errors: every call into Lua goes through lua_pcall with a traceback
 *    handler, and the host never allocates Lua objects outside a protected
 *    call, so running out of memory can never reach the panic handler.
 */
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "strmatch.h"

#define HOOK_STEP 1000              /* instructions between count hooks */
#define ERROR_MESSAGE_MAX 2048      /* bytes of an error message kept in the traceback */
#define GC_CHARGE 20000             /* steps charged for a full collection by sandbox_hold */
#define SHARED_KEY "neptun.shared"   /* registry: read-only globals proxy */
#define ENVS_KEY "neptun.envs"       /* registry: array of script _ENVs */
#define PROXIES_KEY "neptun.proxies" /* registry: table -> its proxy (weak) */
#define READONLY_KEY "neptun.readonly" /* registry: proxy -> true (weak) */

struct sandbox {
    lua_State *L;
    size_t used, limit;
    size_t held;              /* bytes neptun.* functions hold in C (sandbox_hold) */
    size_t peak;              /* the most used + held ever reached */
    int reporting;            /* the traceback handler runs: SANDBOX_ERROR_RESERVE usable */
    long budget, spent;
    int exhausted;            /* budget spent: error at every instruction */
    int out_of_time;          /* it was the wall-time limit */
    double deadline;          /* monotonic ms; 0: set at the first check */
    int tainted;
    char **names;             /* script file names, in load order */
    size_t nscripts;
    char oom_where[160];      /* where the first refused allocation happened */
    struct sandbox_call_ctx ctx;
    void (*install)(lua_State *L); /* pushes `neptun`, while the state is set up */
};

/* ---- memory ----------------------------------------------------------- */

static void note_oom_where(struct sandbox *sb)
{
    lua_Debug ar;

    if (sb->oom_where[0] != '\0' || sb->L == NULL)
        return;
    /* Reading the call stack allocates nothing. */
    for (int level = 0; lua_getstack(sb->L, level, &ar); level++) {
        if (lua_getinfo(sb->L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(sb->oom_where, sizeof sb->oom_where, "%s:%d:", ar.short_src,
                     ar.currentline);
            return;
        }
    }
}

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct sandbox *sb = ud;
    size_t old = ptr != NULL ? osize : 0;
    size_t cap = sb->limit + (sb->reporting ? SANDBOX_ERROR_RESERVE : 0);
    void *p;

    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (nsize > old && sb->used + sb->held - old + nsize > cap) {
        note_oom_where(sb);
        return NULL;
    }
    p = realloc(ptr, nsize);
    if (p == NULL)
        return NULL;
    sb->used = sb->used - old + nsize;
    if (sb->used + sb->held > sb->peak)
        sb->peak = sb->used + sb->held;
    return p;
}

struct sandbox *sandbox_of(lua_State *L)
{
    void *ud = NULL;

    lua_getallocf(L, &ud);
    return ud;
}

/* ---- instruction budget ----------------------------------------------- */

static void count_hook(lua_State *L, lua_Debug *ar);

/* Raise "FILE:LINE: instruction budget of N exceeded" (or "time limit")
 * at the innermost Lua function, and from now on at every instruction. */
static void budget_error(lua_State *L, struct sandbox *sb)
{
    if (!sb->exhausted) {
        sb->exhausted = 1;
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    }
    for (int level = 0; level < 4; level++) {
        luaL_where(L, level);
        if (lua_rawlen(L, -1) > 0)
            break;
        lua_pop(L, 1);
        if (level == 3)
            lua_pushliteral(L, "");
    }
    if (sb->out_of_time)
        lua_pushfstring(L, "time limit of %d ms exceeded", SANDBOX_TIME_LIMIT_MS);
    else
        lua_pushfstring(L, "instruction budget of %d exceeded", (int)sb->budget);
    lua_concat(L, 2);
    lua_error(L);
}

/* Has the call run past its wall-time limit?  The clock is read here only
 * (every HOOK_STEP instructions and at each charge), so a cheap call never
 * reads it; its first check starts the limit. */
static int out_of_time(struct sandbox *sb)
{
    double now = clock_monotonic_ms();

    if (sb->deadline == 0) {
        sb->deadline = now + SANDBOX_TIME_LIMIT_MS;
        return 0;
    }
    if (now <= sb->deadline)
        return 0;
    sb->out_of_time = 1;
    return 1;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    struct sandbox *sb = sandbox_of(L);

    (void)ar;
    sb->spent += sb->exhausted ? 1 : HOOK_STEP;
    if (sb->exhausted || sb->spent >= sb->budget || out_of_time(sb))
        budget_error(L, sb);
}

void sandbox_charge(lua_State *L, long steps)
{
    struct sandbox *sb = sandbox_of(L);

    sb->spent += steps > 0 ? steps : 0;
    if (sb->exhausted || sb->spent >= sb->budget || out_of_time(sb))
        budget_error(L, sb);
}

void sandbox_hold(lua_State *L, size_t bytes)
{
    struct sandbox *sb = sandbox_of(L);

    if (sb->used + sb->held + bytes <= sb->limit && bytes <= sb->limit)
        goto ok;
    /* garbage may stand in the way: collect it once, and pay for that */
    sandbox_charge(L, GC_CHARGE);
    lua_gc(L, LUA_GCCOLLECT, 0);
    if (sb->used + sb->held + bytes > sb->limit || bytes > sb->limit) {
        note_oom_where(sb);
        luaL_error(L, "not enough memory (limit %d bytes)", (int)sb->limit);
    }
ok:
    sb->held += bytes;
    if (sb->used + sb->held > sb->peak)
        sb->peak = sb->used + sb->held;
}

void sandbox_release(lua_State *L, size_t bytes)
{
    struct sandbox *sb = sandbox_of(L);

    sb->held -= bytes <= sb->held ? bytes : sb->held;
}

static void budget_reset(struct sandbox *sb)
{
    sb->spent = 0;
    sb->exhausted = 0;
    sb->out_of_time = 0;
    sb->deadline = 0;
    lua_sethook(sb->L, count_hook, LUA_MASKCOUNT,
                sb->budget < HOOK_STEP ? (int)(sb->budget > 0 ? sb->budget : 1) : HOOK_STEP);
}

/* ---- read-only proxies ------------------------------------------------ */

static int readonly_newindex(lua_State *L)
{
    return luaL_error(L, "attempt to change a read-only table (field '%s')",
                      lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
}

/* [-0, +1] upvalue 1: the view */
static int readonly_len(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
    return 1;
}

static int readonly_next(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1)))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* __pairs: iterate the view without handing it out. */
static int readonly_pairs(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, readonly_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int is_readonly(lua_State *L, int idx)
{
    int yes;

    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, READONLY_KEY);
    lua_pushvalue(L, idx);
    yes = lua_rawget(L, -2) == LUA_TBOOLEAN;
    lua_pop(L, 2);
    return yes;
}

/* Push a read-only view of the table at idx: reads, pairs, ipairs and #
 * reach the table; writes (also rawset) and metatable changes raise an
 * error.  Nested tables are wrapped too.  [-0, +1] */
static void push_readonly(lua_State *L, int idx)
{
    int real, view, proxy;

    real = lua_absindex(L, idx);
    if (is_readonly(L, real)) {
        lua_pushvalue(L, real);
        return;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, PROXIES_KEY);
    lua_pushvalue(L, real);
    if (lua_rawget(L, -2) == LUA_TTABLE) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);

    lua_newtable(L);
    proxy = lua_gettop(L);
    /* remember it first, so cycles end */
    lua_pushvalue(L, real);
    lua_pushvalue(L, proxy);
    lua_rawset(L, -4);
    lua_getfield(L, LUA_REGISTRYINDEX, READONLY_KEY);
    lua_pushvalue(L, proxy);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);

    /* the view: a snapshot of the table with nested tables wrapped */
    lua_newtable(L);
    view = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, real)) {
        lua_pushvalue(L, -2);
        if (lua_type(L, -2) == LUA_TTABLE)
            push_readonly(L, -2);
        else
            lua_pushvalue(L, -2);
        lua_rawset(L, view);
        lua_pop(L, 1);
    }

    lua_createtable(L, 0, 5);
    lua_pushvalue(L, view);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, view);
    lua_pushcclosure(L, readonly_len, 1);
    lua_setfield(L, -2, "__len");
    lua_pushvalue(L, view);
    lua_pushcclosure(L, readonly_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, proxy);
    lua_pop(L, 1); /* view */
    lua_remove(L, -2); /* proxies table */
}

/* ---- replaced base functions ------------------------------------------ */

static int sandboxed_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (is_readonly(L, 1))
        return luaL_error(L, "attempt to change a read-only table");
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* setmetatable without finalizers: a __gc would run during some later
 * call (even another script's) and spend its budget.  A __gc added to the
 * metatable afterwards is never honoured by Lua.  upvalue 1: the real one. */
static int sandboxed_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "finalizers (__gc) are not allowed in rules");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* [-0, +1] a fresh _ENV whose reads fall through to the shared globals. */
static void push_new_env(lua_State *L)
{
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    lua_createtable(L, 0, 2);
    lua_getfield(L, LUA_REGISTRYINDEX, SHARED_KEY);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* [-0, +1] The _ENV of the Lua function at level, or a fresh one. */
static void push_caller_env(lua_State *L, int level)
{
    lua_Debug ar;

    if (lua_getstack(L, level, &ar) && lua_getinfo(L, "f", &ar)) {
        for (int n = 1;; n++) {
            const char *name = lua_getupvalue(L, -1, n);
            if (name == NULL)
                break;
            if (strcmp(name, "_ENV") == 0 && lua_type(L, -1) == LUA_TTABLE) {
                lua_remove(L, -2);
                return;
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    push_new_env(L);
}

/* load(chunk [, chunkname [, mode [, env]]]): text chunks only, and the
 * caller's environment unless one is given.  upvalue 1: the real load. */
static int sandboxed_load(lua_State *L)
{
    int has_env = !lua_isnoneornil(L, 4);

    lua_settop(L, 4);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    if (lua_isnoneornil(L, 2))
        lua_pushliteral(L, "=(load)");
    else
        lua_pushvalue(L, 2);
    lua_pushliteral(L, "t");
    if (has_env)
        lua_pushvalue(L, 4);
    else
        push_caller_env(L, 1);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L) - 4;
}

/* xpcall(f, msgh, ...): f runs protected; when it fails, msgh is called
 * with the error after the protected call has unwound, as an ordinary
 * call under the budget (a handler Lua runs at the error point would run
 * with hooks off after a budget error, and nothing could stop it).  An
 * error in msgh becomes the error value.  Scripts cannot get a traceback
 * (no debug library), so a handler sees nothing else differently. */
static int sandboxed_xpcall(lua_State *L)
{
    int n = lua_gettop(L);

    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_remove(L, 2);
    lua_insert(L, 1); /* msgh, f, args... */
    if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_replace(L, 1);
        return lua_gettop(L);
    }
    lua_pushvalue(L, 1);
    lua_insert(L, -2); /* msgh, msgh, err */
    (void)lua_pcall(L, 1, 1, 0); /* its result or its error: either is the value */
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/* print(...) writes to the error log at level info. */
static int sandboxed_print(lua_State *L)
{
    struct sandbox *sb = sandbox_of(L);
    luaL_Buffer b;
    int n = lua_gettop(L);

    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    log_info("script %s: %s", sb->ctx.script ? sb->ctx.script : "?", lua_tostring(L, -1));
    return 0;
}

/* ---- building the state ----------------------------------------------- */

static const char *const base_kept[] = {
    "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget",
    "rawlen", "select", "getmetatable", "tonumber", "tostring",
    "type", "_VERSION", NULL
};

static void weak_registry_table(lua_State *L, const char *key)
{
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
}

/* Runs protected: fills the registry with the shared, read-only globals. */
static int setup_state(lua_State *L)
{
    int shared, globals;

    weak_registry_table(L, PROXIES_KEY);
    weak_registry_table(L, READONLY_KEY);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, ENVS_KEY);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SANDBOX_ROUTES_KEY);

    lua_newtable(L);
    shared = lua_gettop(L);

    luaL_requiref(L, "_G", luaopen_base, 0);
    globals = lua_gettop(L);
    for (size_t i = 0; base_kept[i] != NULL; i++) {
        lua_getfield(L, globals, base_kept[i]);
        lua_setfield(L, shared, base_kept[i]);
    }
    lua_pushcfunction(L, sandboxed_rawset);
    lua_setfield(L, shared, "rawset");
    lua_getfield(L, globals, "load");
    lua_pushcclosure(L, sandboxed_load, 1);
    lua_setfield(L, shared, "load");
    lua_getfield(L, globals, "setmetatable");
    lua_pushcclosure(L, sandboxed_setmetatable, 1);
    lua_setfield(L, shared, "setmetatable");
    lua_pushcfunction(L, sandboxed_print);
    lua_setfield(L, shared, "print");
    lua_pushcfunction(L, sandboxed_xpcall);
    lua_setfield(L, shared, "xpcall");
    lua_pop(L, 1);

    luaL_requiref(L, "string", luaopen_string, 0);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    rules_strmatch_install(L, -1, sandbox_charge);
    /* string methods reach the real table; nobody reaches the metatable */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushvalue(L, -3);
        lua_setfield(L, -2, "__index");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_setfield(L, shared, "string");

    luaL_requiref(L, "table", luaopen_table, 0);
    lua_setfield(L, shared, "table");
    luaL_requiref(L, "math", luaopen_math, 0);
    lua_setfield(L, shared, "math");
    luaL_requiref(L, "utf8", luaopen_utf8, 0);
    lua_setfield(L, shared, "utf8");

    luaL_requiref(L, "os", luaopen_os, 0);
    lua_createtable(L, 0, 3);
    lua_getfield(L, -2, "time");
    lua_setfield(L, -2, "time");
    lua_getfield(L, -2, "date");
    lua_setfield(L, -2, "date");
    lua_getfield(L, -2, "clock");
    lua_setfield(L, -2, "clock");
    lua_setfield(L, shared, "os");
    lua_pop(L, 1);
    /* forget the full os library */
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushnil(L);
    lua_setfield(L, -2, "os");
    lua_pop(L, 1);

    if (sandbox_of(L)->install != NULL) {
        sandbox_of(L)->install(L);
        lua_setfield(L, shared, "neptun");
    }

    push_readonly(L, shared);
    lua_setfield(L, LUA_REGISTRYINDEX, SHARED_KEY);
    return 0;
}

static char *dup_message(const char *prefix, const char *msg)
{
    size_t a = strlen(prefix), b = strlen(msg);
    char *s = malloc(a + b + 1);

    if (s == NULL)
        return NULL;
    memcpy(s, prefix, a);
    memcpy(s + a, msg, b + 1);
    return s;
}

struct sandbox *sandbox_new(size_t memory, long instructions, void (*install)(lua_State *L),
                            char **err)
{
    struct sandbox *sb = NULL;
    const char *msg;

    *err = NULL;
    sb = calloc(1, sizeof *sb);
    if (sb == NULL)
        goto nomem;
    sb->limit = memory ? memory
                       : (neptun_conf && neptun_conf->lua_memory ? neptun_conf->lua_memory
                                                                 : SANDBOX_DEFAULT_MEMORY);
    sb->budget = instructions > 0 ? instructions
                 : (neptun_conf && neptun_conf->lua_instructions > 0
                        ? neptun_conf->lua_instructions
                        : SANDBOX_DEFAULT_INSTRUCTIONS);
    sb->L = lua_newstate(capped_alloc, sb);
    if (sb->L == NULL)
        goto nomem;
    /* Rules make short-lived garbage (a view per item of every answer):
     * the generational collector frees the young without walking the
     * scripts' long-lived tables each cycle. */
    lua_gc(sb->L, LUA_GCGEN, 0, 0);
    budget_reset(sb);
    sb->install = install;
    lua_pushcfunction(sb->L, setup_state);
    if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK) {
        msg = lua_tostring(sb->L, -1);
        *err = dup_message("cannot set up the Lua sandbox: ", msg ? msg : "?");
        sandbox_free(sb);
        return NULL;
    }
    return sb;
nomem:
    *err = dup_message("cannot set up the Lua sandbox: ", "out of memory");
    sandbox_free(sb);
    return NULL;
}

void sandbox_free(struct sandbox *sb)
{
    if (sb == NULL)
        return;
    if (sb->L != NULL) {
        /* finalizers left by scripts run now; give them nothing to spend */
        sb->exhausted = 1;
        sb->spent = sb->budget;
        lua_sethook(sb->L, count_hook, LUA_MASKCOUNT, 1);
        lua_close(sb->L);
    }
    for (size_t i = 0; i < sb->nscripts; i++)
        free(sb->names[i]);
    free(sb->names);
    free(sb);
}

lua_State *sandbox_lua(struct sandbox *sb)
{
    return sb->L;
}

struct sandbox_call_ctx *sandbox_ctx(struct sandbox *sb)
{
    return &sb->ctx;
}

size_t sandbox_memory_peak(const struct sandbox *sb)
{
    return sb->peak;
}

int sandbox_tainted(const struct sandbox *sb)
{
    return sb->tainted;
}

/* ---- calls ------------------------------------------------------------ */

/* Runs protected inside traceback_handler (so level 2 is where the error
 * was raised): the message with the script line and a traceback.  Calls
 * no metamethod, so no script code runs here: an error object that is not
 * a string is named by its type only.  [-0, +1] */
static int traceback_build(lua_State *L)
{
    size_t len = 0;
    const char *msg = lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER
                          ? lua_tolstring(L, 1, &len) : NULL;
    lua_Debug ar;

    if (msg == NULL)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    else if (len > ERROR_MESSAGE_MAX) /* the traceback copies it: keep it short */
        msg = lua_pushlstring(L, msg, ERROR_MESSAGE_MAX);
    /* errors raised by C functions carry no place: name the script line */
    for (int level = 2; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            if (strncmp(msg, ar.short_src, strlen(ar.short_src)) != 0)
                msg = lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
            break;
        }
    }
    luaL_traceback(L, L, msg, 2);
    return 1;
}

/* The message handler of every sandbox_call.  It may run with hooks off
 * (after a budget error), so it runs nothing a script controls, and it may
 * use SANDBOX_ERROR_RESERVE past the cap only while it runs: the `<close>`
 * handlers that run after it are back under the cap. */
static int traceback_handler(lua_State *L)
{
    struct sandbox *sb = sandbox_of(L);
    int rc;

    lua_settop(L, 1);
    sb->reporting = 1;
    lua_pushcfunction(L, traceback_build);
    lua_pushvalue(L, 1);
    rc = lua_pcall(L, 1, 1, 0);
    sb->reporting = 0;
    if (rc != LUA_OK && lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 1);
        lua_pushvalue(L, 1); /* the error as it came */
    }
    return 1;
}

static char *describe_error(struct sandbox *sb, int rc)
{
    lua_State *L = sb->L;
    char buf[256];
    const char *msg;

    if (rc == LUA_ERRMEM) {
        snprintf(buf, sizeof buf, "%s not enough memory (limit %zu bytes)",
                 sb->oom_where[0] ? sb->oom_where : (sb->ctx.script ? sb->ctx.script : "?:"),
                 sb->limit);
        return dup_message("", buf);
    }
    msg = lua_tostring(L, -1);
    if (rc == LUA_ERRERR || msg == NULL)
        msg = "error while handling an error";
    return dup_message("", msg);
}

int sandbox_call(struct sandbox *sb, int nargs, int nresults, char **err, double *elapsed_ms)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs;
    double start;
    int rc;

    *err = NULL;
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);
    budget_reset(sb);
    sb->oom_where[0] = '\0';
    start = elapsed_ms != NULL ? clock_monotonic_ms() : 0; /* a clock read per item adds up */
    rc = lua_pcall(L, nargs, nresults, base);
    if (elapsed_ms != NULL)
        *elapsed_ms = clock_monotonic_ms() - start;
    sb->reporting = 0;
    sb->held = 0; /* every holder released its bytes; never let a slip add up */
    if (rc != LUA_OK) {
        *err = describe_error(sb, rc);
        lua_pop(L, 1);
        lua_remove(L, base);
        sb->tainted = 1;
        return -1;
    }
    lua_remove(L, base);
    return 0;
}

void sandbox_budget_reset(struct sandbox *sb)
{
    budget_reset(sb);
}

/* ---- scripts ---------------------------------------------------------- */

struct load_args {
    struct sandbox *sb;
    const char *name;
    const char *source;
    size_t len;
};

/* Runs protected.  Returns nil, or the compile error message. */
static int load_script(lua_State *L)
{
    struct load_args *a = lua_touserdata(L, 1);
    struct sandbox *sb = a->sb;

    lua_pushfstring(L, "@%s", a->name);
    if (luaL_loadbufferx(L, a->source, a->len, lua_tostring(L, -1), "t") != LUA_OK)
        return 1;
    push_new_env(L);
    lua_pushvalue(L, -1);
    if (lua_setupvalue(L, -3, 1) == NULL)
        lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, ENVS_KEY);
    lua_insert(L, -2);
    lua_rawseti(L, -2, (lua_Integer)sb->nscripts + 1);
    lua_pop(L, 1);
    sb->ctx.loading = 1;
    lua_call(L, 0, 0);
    sb->ctx.loading = 0;
    lua_pushnil(L);
    return 1;
}

int sandbox_add_script(struct sandbox *sb, const char *name, const char *source,
                       size_t len, char **err)
{
    lua_State *L = sb->L;
    struct load_args args = { sb, name, source, len };
    char **names = NULL;
    char *copy = NULL;

    *err = NULL;
    names = realloc(sb->names, (sb->nscripts + 1) * sizeof *names);
    copy = strdup(name);
    if (names != NULL)
        sb->names = names;
    if (names == NULL || copy == NULL) {
        free(copy);
        *err = dup_message(name, ": out of memory");
        return -1;
    }
    sb->ctx.script = copy;
    lua_pushcfunction(L, load_script);
    lua_pushlightuserdata(L, &args);
    if (sandbox_call(sb, 1, 1, err, NULL) != 0) {
        sb->ctx.loading = 0;
        sb->ctx.script = NULL;
        free(copy);
        return -1;
    }
    sb->ctx.script = NULL;
    if (lua_type(L, -1) == LUA_TSTRING) {
        *err = dup_message("", lua_tostring(L, -1));
        lua_pop(L, 1);
        free(copy);
        sb->tainted = 1;
        return -1;
    }
    lua_pop(L, 1);
    sb->names[sb->nscripts++] = copy;
    return 0;
}

size_t sandbox_script_count(const struct sandbox *sb)
{
    return sb->nscripts;
}

const char *sandbox_script_name(const struct sandbox *sb, size_t i)
{
    return i < sb->nscripts ? sb->names[i] : NULL;
}

void sandbox_push_env(struct sandbox *sb, size_t i)
{
    lua_State *L = sb->L;

    lua_getfield(L, LUA_REGISTRYINDEX, ENVS_KEY);
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    lua_remove(L, -2);
}
