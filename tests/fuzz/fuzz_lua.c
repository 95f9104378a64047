/*
 * fuzz_lua.c - libFuzzer harness for the Lua rule sandbox and its budgets.
 *
 * An input that starts with a printable byte is a rule script; any other
 * input is a list of fragments (one byte each) assembled into one: loops,
 * metamethods that make fresh strings, `<close>` handlers, xpcall nests
 * with looping handlers, big strings, string.rep and neptun.* calls, some
 * inside blocks that the bytes open (pcall, xpcall, a `<close>` variable,
 * a loop, function run()).  The script runs as a rule's main chunk, then
 * its run(), if it has one, as a hook would.
 *
 * Whatever the script does, each call must end within its budget: within
 * the time limit (plus slack for one C call and sanitizers), and with the
 * state never above its memory cap plus the error reserve.  A call past
 * either aborts.  Hangs past that and C memory outside the cap are caught
 * by libFuzzer's -timeout and -rss_limit_mb.
 *
 *   clang -fsanitize=fuzzer,address,undefined ... fuzz_lua.c <core> -o fuzz_lua
 *   ./fuzz_lua tests/fuzz/corpus/lua
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <libxml/parser.h>

#include "clock.h"
#include "log.h"
#include "script_api.h"
#include "sandbox.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MEMORY (8u << 20)
#define FUZZ_INSTRUCTIONS 200000L
#define SLACK_MS 2000.0       /* one unchecked C call, sanitizers, a loaded machine */
#define MAX_SCRIPT (64u << 10)
#define MAX_DEPTH 32

static const char *const leaves[] = {
    "local s = string.rep('x', 1 << 20)\n",
    "while true do end\n",
    "for i = 1, 1e5 do local t = {i} end\n",
    "error('e')\n",
    "error(setmetatable({}, {__tostring = function() while true do end end}))\n",
    "error(setmetatable({}, {__tostring = function() return string.rep('t', 1 << 23) end}))\n",
    "local c <close> = setmetatable({}, {__close = function() local t = {}\n"
    "  for i = 1, 64 do t[i] = string.rep('c', 1 << 20) end end})\n",
    "neptun.items{limit = 100}\n",
    "for i = 1, 20000 do neptun.items{limit = 100} end\n",
    "neptun.xml_rss({title = string.rep('<', 1 << 16), link = 'l', description = 'd'},\n"
    "  {{title = 't', categories = {'a', 'b'}}})\n",
    "for i = 1, 8 do pcall(neptun.xml_rss, {title = string.rep('<', 6 << 20), link = 'l',\n"
    "  description = 'd'}, {}) end\n",
    "neptun.log(string.rep('l', 10000))\n",
    "neptun.t('x', nil, 3)\n",
    "neptun.items(setmetatable({}, {__index = function(t, k)\n"
    "  local g = {} for i = 1, 64 do g[i] = string.rep('g', 4096) .. i end\n"
    "  if k == 'limit' or k == 'upcoming' then return nil end return k .. string.rep('-', 50) end}))\n",
    "neptun.xml_rss(setmetatable({}, {__index = function(t, k)\n"
    "  local g = {} for i = 1, 64 do g[i] = string.rep('g', 4096) .. i end\n"
    "  if k == 'lastBuildDate' then return nil end return k .. string.rep('-', 50) end}), {})\n",
    "xpcall(error, function() while true do end end)\n",
    "xpcall(function() while true do end end, function() while true do end end)\n",
    "local function h() return xpcall(h, h) end xpcall(h, h)\n",
    "string.find(string.rep('a', 3000), '.-.-.-b')\n",
    "local t = {} for i = 1, 1e6 do t[i] = i end\n",
    "load('return 1')()\n",
    "local s = 'x' for i = 1, 30 do s = s .. s end\n",
    "tostring(setmetatable({}, {__tostring = function() return string.rep('t', 1 << 22) end}))\n",
    "local function r() return r() + 1 end r()\n",
    "string.format('%s', string.rep('f', 1 << 21))\n",
    "table.concat({string.rep('a', 1 << 21), string.rep('b', 1 << 21)})\n",
    "local t = {} for i = 1, 3e4 do t[i] = -i end table.sort(t)\n",
    "string.gsub(string.rep('ab', 1e4), '(a)(b)', function(a, b) return b .. a end)\n",
    "setmetatable({}, {__index = function(t, k) return t[k] end}).x = nil\n",
    "local p = setmetatable({}, {__index = function(t, k) return t[k .. 'x'] end}) local _ = p.a\n",
};

/* Blocks the bytes may open, and how each is closed. */
static const struct {
    const char *open, *close;
} blocks[] = {
    { "pcall(function()\n", "end)\n" },
    { "xpcall(function()\n", "end, function(e) while true do end end)\n" },
    { "xpcall(function()\n", "end, function(e) return string.rep('h', 1 << 22) end)\n" },
    { "do local c <close> = setmetatable({}, {__close = function() while true do end end})\n",
      "end\n" },
    { "do local c <close> = setmetatable({}, {__close = function() error('closing') end})\n",
      "end\n" },
    { "for i = 1, 3 do\n", "end\n" },
    { "function run()\n", "end\n" },
};

#define NLEAVES (sizeof leaves / sizeof leaves[0])
#define NBLOCKS (sizeof blocks / sizeof blocks[0])

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    log_set_level(NEPTUN_LOG_ERROR); /* print and neptun.log write at info */
    return 0;
}

static int append(char *buf, size_t *len, const char *s)
{
    size_t n = strlen(s);

    if (*len + n + 1 > MAX_SCRIPT)
        return -1;
    memcpy(buf + *len, s, n + 1);
    *len += n;
    return 0;
}

/* The script the fragment bytes name (malloc'd). */
static char *assemble(const uint8_t *data, size_t size, size_t *len)
{
    char *buf = malloc(MAX_SCRIPT);
    size_t open[MAX_DEPTH];
    size_t depth = 0;

    if (buf == NULL)
        abort();
    *len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < size; i++) {
        uint8_t b = data[i];
        int rc;
        if (b == 0xff && depth > 0)
            rc = append(buf, len, blocks[open[--depth]].close);
        else if ((b & 0x80) != 0 && depth < MAX_DEPTH) {
            open[depth] = (b & 0x7f) % NBLOCKS;
            rc = append(buf, len, blocks[open[depth++]].open);
        } else
            rc = append(buf, len, leaves[b % NLEAVES]);
        if (rc != 0)
            break;
    }
    while (depth > 0)
        if (append(buf, len, blocks[open[--depth]].close) != 0)
            break;
    return buf;
}

/* Runs protected: call the script's run(), if it has one. */
static int call_run(lua_State *L)
{
    struct sandbox *sb = lua_touserdata(L, 1);

    sandbox_push_env(sb, 0);
    if (lua_getfield(L, -1, "run") == LUA_TFUNCTION)
        lua_call(L, 0, 0);
    return 0;
}

/* Abort when a call went past its time or memory budget. */
static void check_budgets(struct sandbox *sb, double start, const char *what)
{
    double took = clock_monotonic_ms() - start;
    size_t peak = sandbox_memory_peak(sb);

    if (took > SANDBOX_TIME_LIMIT_MS + SLACK_MS) {
        fprintf(stderr, "fuzz_lua: %s took %.0f ms (limit %d ms)\n", what, took,
                SANDBOX_TIME_LIMIT_MS);
        abort();
    }
    if (peak > FUZZ_MEMORY + SANDBOX_ERROR_RESERVE) {
        fprintf(stderr, "fuzz_lua: %s used %zu bytes (cap %u)\n", what, peak, FUZZ_MEMORY);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sandbox *sb;
    char *script, *err = NULL;
    size_t len;
    double start;

    if (size == 0)
        return 0;
    if (data[0] >= 0x20 && data[0] < 0x7f) {
        len = size < MAX_SCRIPT ? size : MAX_SCRIPT;
        script = malloc(len + 1);
        if (script == NULL)
            abort();
        memcpy(script, data, len);
        script[len] = '\0';
    } else {
        script = assemble(data + 1, size - 1, &len);
    }
    sb = sandbox_new(FUZZ_MEMORY, FUZZ_INSTRUCTIONS, rules_api_push, &err);
    if (sb == NULL) {
        fprintf(stderr, "fuzz_lua: %s\n", err ? err : "no sandbox");
        abort();
    }
    start = clock_monotonic_ms();
    if (sandbox_add_script(sb, "fuzz.lua", script, len, &err) == 0) {
        check_budgets(sb, start, "the main chunk");
        lua_pushcfunction(sandbox_lua(sb), call_run);
        lua_pushlightuserdata(sandbox_lua(sb), sb);
        start = clock_monotonic_ms();
        if (sandbox_call(sb, 1, 0, &err, NULL) != 0 && err == NULL)
            abort(); /* a failed call always says why */
        check_budgets(sb, start, "run()");
    } else {
        if (err == NULL)
            abort();
        check_budgets(sb, start, "the main chunk");
    }
    if (lua_gettop(sandbox_lua(sb)) != 0) {
        fprintf(stderr, "fuzz_lua: %d values left on the stack\n", lua_gettop(sandbox_lua(sb)));
        abort();
    }
    free(err);
    sandbox_free(sb);
    free(script);
    return 0;
}
