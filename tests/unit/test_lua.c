/*
 * test_lua.c - the Lua rule sandbox and hooks, without a server.
 *
 * Hooks are called with hand-built requests and no store.  The hostile
 * scripts each must end with an error (never a crash) well within 2 s, and
 * the next call must work as if nothing happened.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "rules.h"
#include "render.h"
#include "http.h"

static char scripts_dir[] = "/tmp/neptun-test-lua-XXXXXX";

static void write_script(const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", scripts_dir, name);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
}

static void remove_script(const char *name)
{
    char path[512];

    snprintf(path, sizeof path, "%s/%s", scripts_dir, name);
    unlink(path);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void init_req(struct neptun_req *req, const char *path)
{
    memset(req, 0, sizeof *req);
    req->pool = neptun_pool_new(4096);
    req->method = REQ_GET;
    req->method_name = "GET";
    req->uri = path;
    req->path = path;
    req->lang = "pl";
    req->now = 1500000000;
}

/* One request through on_request; returns the hook's result. */
static int request(struct rules_worker *lw, const char *path, char *body, size_t size,
                   const char **variant)
{
    struct neptun_req req;
    struct neptun_reply reply;
    int rc;

    init_req(&req, path);
    memset(&reply, 0, sizeof reply);
    rc = rules_on_request(lw, &req, &reply);
    if (body != NULL) {
        body[0] = '\0';
        if (rc == NEPTUN_OK && reply.body != NULL)
            snprintf(body, size, "%.*s", (int)reply.len, reply.body);
    }
    if (variant != NULL)
        *variant = req.variant != NULL ? strdup(req.variant) : NULL;
    neptun_pool_free(req.pool);
    return rc;
}

static const char hostile_script[] =
    "-- every attack runs on its own path\n"
    "local attacks = {\n"
    "  ['/os-execute'] = function() os.execute('touch /tmp/neptun-pwned') end,\n"
    "  ['/os-exit'] = function() os.exit(1) end,\n"
    "  ['/os-getenv'] = function() return os.getenv('HOME') end,\n"
    "  ['/io-open'] = function() io.open('/etc/passwd') end,\n"
    "  ['/require'] = function() require('os') end,\n"
    "  ['/loadlib'] = function() package.loadlib('libc.so.6', 'system') end,\n"
    "  ['/dofile'] = function() dofile('/etc/passwd') end,\n"
    "  ['/loadfile'] = function() loadfile('/etc/passwd') end,\n"
    "  ['/dump'] = function() assert(load(string.dump(function() end))) end,\n"
    "  ['/binary'] = function() assert(load('\\27LuaT\\0\\25\\147\\r\\n\\26\\n', 'x', 'b')) end,\n"
    "  ['/debug'] = function() debug.sethook() end,\n"
    "  ['/gc'] = function() collectgarbage('stop') end,\n"
    "  ['/coroutine'] = function() coroutine.wrap(function() end)() end,\n"
    "  ['/strmeta'] = function() getmetatable('').__index = {} end,\n"
    "  ['/strmeta2'] = function() setmetatable('', {}) end,\n"
    "  ['/shared'] = function() string.upper = function() return 'pwned' end end,\n"
    "  ['/shared-rawset'] = function() rawset(string, 'upper', nil) end,\n"
    "  ['/shared-env'] = function() setmetatable(_ENV, nil) end,\n"
    "  ['/shared-neptun'] = function() neptun.log = nil end,\n"
    "  ['/shared-config'] = function() neptun.config.base_url = 'http://evil' end,\n"
    "  ['/shared-pairs'] = function() local _, t = pairs(string); t.upper = nil;\n"
    "                                  error('pairs handed out ' .. type(t)) end,\n"
    "  ['/gc-bomb'] = function() setmetatable({}, {__gc = function() while true do end end}) end,\n"
    "  ['/loop'] = function() while true do end end,\n"
    "  ['/loop-pcall'] = function() while true do pcall(function() while true do end end) end end,\n"
    "  ['/rep-bomb'] = function() local s = string.rep('x', 1 << 30) end,\n"
    "  ['/rep-method'] = function() local s = ('x'):rep(1 << 40) end,\n"
    "  ['/concat-bomb'] = function() local s = 'x'; while true do s = s .. s end end,\n"
    "  ['/table-bomb'] = function() local t = {}; local i = 0\n"
    "      while true do i = i + 1; t[i] = {i, i, i} end end,\n"
    "  ['/recursion'] = function() local function f(n) return f(n + 1) + 1 end; f(1) end,\n"
    "  ['/format'] = function() string.format('%099999999d', 1) end,\n"
    "  ['/format-big'] = function() local s = string.rep('x', 9000000)\n"
    "      string.format('%s%s', s, s) end,\n"
    "  ['/pattern'] = function() string.find(string.rep('a', 50000), '.-.-.-.-.-.-b') end,\n"
    "  ['/pattern-gsub'] = function() string.gsub(string.rep('a', 50000), '(.-)(.-)(.-)b', '') end,\n"
    "  ['/pattern-match'] = function() ('a'):rep(30000):match('a-a-a-a-a-a-b') end,\n"
    "  ['/sort'] = function() local t = {} for i = 1, 1000 do t[i] = i end\n"
    "      table.sort(t, function(a, b) while true do end end) end,\n"
    "  -- message handlers: a spent budget stays spent inside them too\n"
    "  ['/xpcall-loop'] = function() xpcall(function() while true do end end,\n"
    "      function() while true do end end) end,\n"
    "  ['/xpcall-error-loop'] = function() xpcall(error, function() while true do end end, 'x') end,\n"
    "  ['/xpcall-nest'] = function() local function h() return xpcall(h, h) end\n"
    "      while true do xpcall(h, h) end end,\n"
    "  ['/tostring-loop'] = function()\n"
    "      error(setmetatable({}, {__tostring = function() while true do end end})) end,\n"
    "  -- the memory cap holds while an error is reported\n"
    "  ['/close-bomb'] = function() local t = {}\n"
    "      local c <close> = setmetatable({}, {__close = function()\n"
    "        for i = 1, 16 do t[i] = string.rep('x', 64 << 20) end end})\n"
    "      error('boom') end,\n"
    "  ['/tostring-bomb'] = function() error(setmetatable({}, {__tostring = function()\n"
    "      local t = {} for i = 1, 16 do t[i] = string.rep('y', 64 << 20) end return 'x' end})) end,\n"
    "  -- host functions: their C memory counts and is freed when they return\n"
    "  ['/xml-bomb'] = function() for i = 1, 8 do\n"
    "      pcall(neptun.xml_rss, {title = string.rep('<', 10 << 20), link = 'x', description = 'd'}, {})\n"
    "      end error('done') end,\n"
    "  ['/xml-loop'] = function() while true do\n"
    "      pcall(neptun.xml_rss, {title = string.rep('<', 1 << 20), link = 'x', description = 'd'}, {})\n"
    "      end end,\n"
    "  ['/items-loop'] = function() for i = 1, 20000 do neptun.items{limit = 100} end end,\n"
    "}\n"
    "evil_global = 'from the hostile script'\n"
    "function on_request(req)\n"
    "  local attack = attacks[req.path]\n"
    "  if attack then attack() end\n"
    "end\n";

static const char good_script[] =
    "function on_request(req)\n"
    "  if req.path == '/ok' then\n"
    "    if evil_global ~= nil then return {status = 500, body = 'leaked global'} end\n"
    "    if ('abc'):upper() ~= 'ABC' or string.upper('x') ~= 'X' then\n"
    "      return {status = 500, body = 'string library changed'} end\n"
    "    if neptun.log == nil or neptun.config.base_url == 'http://evil' then\n"
    "      return {status = 500, body = 'neptun changed'} end\n"
    "    if string.find('hello world', 'o w') ~= 5 then return {status = 500, body = 'find'} end\n"
    "    local k, v = string.match('key = value', '^(%w+)%s*=%s*(.-)$')\n"
    "    if k ~= 'key' or v ~= 'value' then return {status = 500, body = 'match'} end\n"
    "    local s = string.gsub('a-b-c', '-', '+')\n"
    "    if s ~= 'a+b+c' then return {status = 500, body = 'gsub'} end\n"
    "    local n = 0 for w in string.gmatch('one two three', '%a+') do n = n + 1 end\n"
    "    if n ~= 3 then return {status = 500, body = 'gmatch'} end\n"
    "    if ('f(a(b)c)d'):match('%b()') ~= '(a(b)c)' then\n"
    "      return {status = 500, body = 'balance'} end\n"
    "    if ('THE (quick) fox'):find('%f[%a]%a+', 5) ~= 6 then return {status = 500, body = 'frontier'} end\n"
    "    if ('hello'):gsub('l+', function(m) return '<' .. m .. '>' end) ~= 'he<ll>o' then\n"
    "      return {status = 500, body = 'gsub fn'} end\n"
    "    if ('x=1, y=2'):gsub('(%w+)=(%w+)', '%2=%1') ~= '1=x, 2=y' then\n"
    "      return {status = 500, body = 'gsub repl'} end\n"
    "    local f = load('return 1 + 1'); if f() ~= 2 then return {status = 500, body = 'load'} end\n"
    "    return {status = 200, headers = {['Content-Type'] = 'text/plain'}, body = 'fine'}\n"
    "  end\n"
    "  if req.path == '/variant' then req.variant = 'sopot' end\n"
    "end\n";

static const char *const attacks[] = {
    "/os-execute", "/os-exit", "/os-getenv", "/io-open", "/require", "/loadlib", "/dofile",
    "/loadfile", "/dump", "/binary", "/debug", "/gc", "/coroutine", "/strmeta", "/strmeta2",
    "/shared", "/shared-rawset", "/shared-env", "/shared-neptun", "/shared-config",
    "/shared-pairs", "/gc-bomb", "/loop", "/loop-pcall", "/rep-bomb", "/rep-method",
    "/concat-bomb", "/table-bomb", "/recursion", "/format", "/format-big", "/pattern",
    "/pattern-gsub", "/pattern-match", "/sort", "/xpcall-loop", "/xpcall-error-loop",
    "/xpcall-nest", "/tostring-loop", "/close-bomb", "/tostring-bomb", "/xml-bomb", "/xml-loop",
    "/items-loop", NULL
};

/* Peak resident memory so far, in MB. */
static long peak_mb(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_maxrss / 1024;
}

/* SPEC §4: a loop or bomb ends within 2 s.  The normal build is held to
 * that; under AddressSanitizer every allocation and copy costs several
 * times more, so that build only checks that the call ends (the budget's
 * wall-time limit holds), not how fast the machine does the last step. */
#if defined(__SANITIZE_ADDRESS__)
#define ATTACK_SECONDS 6.0
#else
#define ATTACK_SECONDS 2.0
#endif

static void test_hostile(struct rules_worker *lw)
{
    char body[256];

    CHECK(request(lw, "/ok", body, sizeof body, NULL) == NEPTUN_OK);
    CHECK_STR(body, "fine");
    for (size_t i = 0; attacks[i] != NULL; i++) {
        long peak = peak_mb();
        double start = now_s();
        int rc = request(lw, attacks[i], NULL, 0, NULL);
        double took = now_s() - start;
        long grew = peak_mb() - peak;
        if (rc != NEPTUN_ERROR || took > 1.0 || grew > 64)
            fprintf(stderr, "attack %s: rc %d after %.3f s, peak +%ld MB\n", attacks[i], rc,
                    took, grew);
        CHECK(rc == NEPTUN_ERROR);
        CHECK(took < ATTACK_SECONDS);
        /* the 16 MB cap (and the reserve for the error message) holds at
         * every moment, also for what neptun.* functions keep in C */
        CHECK(grew < 200);
        rc = request(lw, "/ok", body, sizeof body, NULL);
        CHECK(rc == NEPTUN_OK);
        if (strcmp(body, "fine") != 0)
            fprintf(stderr, "after attack %s: %s\n", attacks[i], body);
        CHECK_STR(body, "fine");
    }
    CHECK(access("/tmp/neptun-pwned", F_OK) != 0);
}

static void test_variant(struct rules_worker *lw)
{
    const char *variant = NULL;

    CHECK(request(lw, "/variant", NULL, 0, &variant) == NEPTUN_DECLINED);
    CHECK_STR(variant, "sopot");
    free((void *)variant);
    CHECK(request(lw, "/nothing", NULL, 0, &variant) == NEPTUN_DECLINED);
    CHECK(variant == NULL);
}

static const char item_script[] =
    "function on_item(item, ctx)\n"
    "  if item.status == 'draft' then return false end\n"
    "  if ctx.partner == 'sopot' then\n"
    "    item.title = '[Sopot] ' .. item.title\n"
    "    table.insert(item.tags, 'sopot')\n"
    "    item.links[#item.links + 1] = {rel = 'related', href = 'https://sopot.pl/'}\n"
    "  end\n"
    "end\n"
    "function on_feed(feed, ctx)\n"
    "  feed.title = feed.title .. ' (' .. ctx.lang .. ')'\n"
    "  feed.ttl = 60\n"
    "end\n"
    "neptun.route('GET', '/{lang}/hello/{name}.txt', function(req, params)\n"
    "  return {status = 200, headers = {['Content-Type'] = 'text/plain; charset=utf-8'},\n"
    "          body = params.lang .. ':' .. params.name .. ':' .. #neptun.items{type = 'events'}}\n"
    "end)\n"
    "neptun.route('GET', '/{lang}/rss', function(req, params)\n"
    "  return neptun.xml_rss({title = 'T & <co>', link = 'http://x/', description = 'd',\n"
    "                         language = params.lang, self = 'http://x/rss'},\n"
    "                        {{title = 'a \"quoted\" <item>', link = 'http://x/a',\n"
    "                          categories = {'x'}}})\n"
    "end)\n";

static void test_item_feed_route(struct rules_worker *lw)
{
    struct neptun_req req;
    struct neptun_reply reply;
    struct neptun_text texts[1] = { { "pl", "Forum", "Streszczenie", NULL } };
    const char *tags[1] = { "forum" };
    struct neptun_item item;
    struct render_feed feed;
    int keep = -1;

    init_req(&req, "/pl/events");
    req.partner = "sopot";
    memset(&item, 0, sizeof item);
    item.type = "events";
    item.slug = "forum";
    item.status = NEPTUN_STATUS_PUBLISHED;
    item.texts = texts;
    item.ntexts = 1;
    item.tags = tags;
    item.ntags = 1;
    CHECK(rules_on_item(lw, &req, &item, "pl", &keep) == NEPTUN_OK);
    CHECK(keep == 1);
    CHECK_STR(item.texts[0].title, "[Sopot] Forum");
    CHECK_STR(texts[0].title, "Forum"); /* the original array is untouched */
    CHECK(item.ntags == 2 && strcmp(item.tags[1], "sopot") == 0);
    CHECK(item.nlinks == 1 && strcmp(item.links[0].href, "https://sopot.pl/") == 0);

    item.status = NEPTUN_STATUS_DRAFT;
    CHECK(rules_on_item(lw, &req, &item, "pl", &keep) == NEPTUN_OK);
    CHECK(keep == 0);

    memset(&feed, 0, sizeof feed);
    feed.pool = req.pool;
    feed.lang = "pl";
    feed.title = "Wydarzenia";
    feed.description = "opis";
    CHECK(rules_on_feed(lw, &req, &feed) == NEPTUN_OK);
    CHECK_STR(feed.title, "Wydarzenia (pl)");
    CHECK(feed.ttl == 60);
    neptun_pool_free(req.pool);

    init_req(&req, "/en/hello/world.txt");
    req.lang = NULL;
    memset(&reply, 0, sizeof reply);
    CHECK(rules_route(lw, &req, &reply) == NEPTUN_OK);
    CHECK(reply.status == 200);
    CHECK_STR(reply.content_type, "text/plain; charset=utf-8");
    CHECK_STR(reply.body, "en:world:0");
    CHECK_STR(req.lang, "en");
    neptun_pool_free(req.pool);

    init_req(&req, "/en/rss");
    memset(&reply, 0, sizeof reply);
    CHECK(rules_route(lw, &req, &reply) == NEPTUN_OK);
    CHECK(reply.body != NULL && strstr(reply.body, "<title>T &amp; &lt;co&gt;</title>") != NULL);
    CHECK(reply.body != NULL && strstr(reply.body, "<rss version=\"2.0\"") != NULL);
    CHECK(reply.body != NULL && strstr(reply.body, "<category>x</category>") != NULL);
    CHECK_STR(reply.content_type, "application/xml; charset=utf-8");
    neptun_pool_free(req.pool);

    init_req(&req, "/en/nothing.txt");
    memset(&reply, 0, sizeof reply);
    CHECK(rules_route(lw, &req, &reply) == NEPTUN_DECLINED);
    neptun_pool_free(req.pool);
}

/* on_item sees a view: fields read on demand, only changes copied back,
 * and an item kept past its call harmless.  Gated on ctx.path "/view/…" so
 * the other tests' items pass through unchanged. */
static const char view_script[] =
    "kept_item, kept_ctx = nil, nil\n"
    "function on_item(item, ctx)\n"
    "  local mode = ctx.path and ctx.path:match('^/view/(.*)$')\n"
    "  if mode == 'read' then\n"
    "    assert(item.type == 'events' and item.slug == 'forum' and item.status == 'published')\n"
    "    assert(item.lang == 'pl' and item.title == 'Forum' and item.summary == 'Streszczenie')\n"
    "    assert(#item.tags == 1 and item.tags[1] == 'forum' and item.tags == item.tags)\n"
    "    assert(#item.links == 1 and item.links[1].href == 'https://example.org/')\n"
    "    assert(item.links[1].rel == 'related' and item.links[1].lang == nil)\n"
    "    assert(item.url:match('/pl/events/forum$'), item.url)\n"
    "    assert(item.updated == 1500000000 and item.publish_at == 0)\n"
    "    assert(item.starts_at == 1500003600 and item.ends_at == 1500007200)\n"
    "    assert(item.nothing == nil and item[1] == nil)\n"
    "    local seen = {}\n"
    "    for k in pairs(item) do seen[k] = true end\n"
    "    assert(seen.title and seen.tags and seen.url and seen.ends_at and seen.summary)\n"
    "    assert(getmetatable(item) == false and getmetatable(ctx) == false)\n"
    "    assert(ctx.lang == 'pl' and ctx.partner == nil and ctx.path == '/view/read')\n"
    "    assert(not pcall(rawset, item, 'title', 'x') and not pcall(rawget, item, 'title'))\n"
    "    item.note = 'from 40'\n"
    "    ctx.seen = true\n"
    "  elseif mode == 'change' then\n"
    "    item.summary = nil\n"
    "    item.tags[1] = 'changed'\n"
    "    item.links[1].title = 'Link'\n"
    "    item.status = 'archived'  -- no effect on the answer\n"
    "  elseif mode == 'keep' then\n"
    "    kept_item, kept_ctx = item, ctx\n"
    "  elseif mode == 'bad-title' then item.title = 42\n"
    "  elseif mode == 'bad-tags' then item.tags = {1, 2}\n"
    "  elseif mode == 'loop' then while true do end\n"
    "  end\n"
    "end\n"
    "function on_request(req)\n"
    "  if req.path == '/view/stale' then\n"
    "    local ok1, err = pcall(function() return kept_item.title end)\n"
    "    local ok2 = pcall(function() kept_item.title = 'x' end)\n"
    "    local ok3 = pcall(function() return kept_ctx.lang end)\n"
    "    local ok4 = pcall(pairs, kept_item)\n"
    "    return {body = tostring(ok1 or ok2 or ok3 or ok4) .. ' ' .. tostring(kept_item) .. ' ' .. err}\n"
    "  end\n"
    "  if req.path == '/view/stale-direct' then return {body = kept_item.slug} end\n"
    "end\n";

/* The next script sees what the one before assigned. */
static const char view_after_script[] =
    "function on_item(item, ctx)\n"
    "  if ctx.path == '/view/read' then\n"
    "    assert(item.note == 'from 40' and ctx.seen == true, 'changes of 40-view seen')\n"
    "  end\n"
    "end\n";

struct view_item {
    struct neptun_text texts[1];
    const char *tags[1];
    struct neptun_link links[1];
    struct neptun_item item;
};

static void init_view_item(struct view_item *v)
{
    memset(v, 0, sizeof *v);
    v->texts[0] = (struct neptun_text){ "pl", "Forum", "Streszczenie", NULL };
    v->tags[0] = "forum";
    v->links[0] = (struct neptun_link){ "related", "https://example.org/", NULL, NULL, NULL };
    v->item.type = "events";
    v->item.slug = "forum";
    v->item.status = NEPTUN_STATUS_PUBLISHED;
    v->item.updated = 1500000000;
    v->item.starts_at = 1500003600;
    v->item.ends_at = 1500007200;
    v->item.texts = v->texts;
    v->item.ntexts = 1;
    v->item.tags = v->tags;
    v->item.ntags = 1;
    v->item.links = v->links;
    v->item.nlinks = 1;
}

static int view_call(struct rules_worker *lw, const char *path, struct view_item *v, int *keep)
{
    struct neptun_req req;
    int rc;

    init_req(&req, path);
    init_view_item(v);
    rc = rules_on_item(lw, &req, &v->item, "pl", keep);
    neptun_pool_free(req.pool); /* nothing below reads pool strings */
    return rc;
}

static void test_item_view(struct rules_worker *lw)
{
    struct neptun_req req;
    struct view_item v, w;
    char body[256];
    int keep;

    /* every field readable; nothing changed: nothing copied back */
    CHECK(view_call(lw, "/view/read", &v, &keep) == NEPTUN_OK);
    CHECK(keep == 1);
    CHECK(v.item.texts == v.texts && v.item.tags == v.tags && v.item.links == v.links);
    CHECK(v.item.ntags == 1 && v.item.nlinks == 1 && v.item.status == NEPTUN_STATUS_PUBLISHED);

    /* changed fields copied back into fresh arrays, the rest shared */
    init_req(&req, "/view/change");
    init_view_item(&v);
    CHECK(rules_on_item(lw, &req, &v.item, "pl", &keep) == NEPTUN_OK);
    CHECK(v.item.texts != v.texts && v.item.texts[0].summary == NULL);
    CHECK(v.item.texts[0].title == v.texts[0].title);
    CHECK_STR(v.texts[0].summary, "Streszczenie");
    CHECK(v.item.tags != v.tags && v.item.ntags == 1);
    CHECK_STR(v.item.tags[0], "changed");
    CHECK_STR(v.tags[0], "forum");
    CHECK(v.item.links != v.links && v.item.nlinks == 1);
    CHECK_STR(v.item.links[0].title, "Link");
    CHECK(v.links[0].title == NULL);
    CHECK(v.item.links[0].href == v.links[0].href);
    CHECK(v.item.status == NEPTUN_STATUS_PUBLISHED);
    neptun_pool_free(req.pool);

    /* an item kept in a global: an error afterwards, in this request and
     * in later ones, never a read of freed memory */
    init_req(&req, "/view/keep");
    init_view_item(&v);
    init_view_item(&w);
    CHECK(rules_on_item(lw, &req, &v.item, "pl", &keep) == NEPTUN_OK);
    CHECK(rules_on_item(lw, &req, &w.item, "pl", &keep) == NEPTUN_OK);
    neptun_pool_free(req.pool);
    memset(&v, 0xa5, sizeof v);
    memset(&w, 0xa5, sizeof w);
    CHECK(request(lw, "/view/stale", body, sizeof body, NULL) == NEPTUN_OK);
    CHECK(strncmp(body, "false item ", 11) == 0);
    CHECK(strstr(body, "item used after its on_item call returned") != NULL);
    CHECK(request(lw, "/view/stale-direct", NULL, 0, NULL) == NEPTUN_ERROR);
    CHECK(request(lw, "/ok", body, sizeof body, NULL) == NEPTUN_OK);
    CHECK_STR(body, "fine");

    /* bad values, loops: that answer fails, the next works */
    CHECK(view_call(lw, "/view/bad-title", &v, &keep) == NEPTUN_ERROR);
    CHECK(view_call(lw, "/view/bad-tags", &v, &keep) == NEPTUN_ERROR);
    CHECK(view_call(lw, "/view/loop", &v, &keep) == NEPTUN_ERROR);
    CHECK(view_call(lw, "/view/read", &v, &keep) == NEPTUN_OK);
    CHECK(v.item.texts == v.texts && v.item.tags == v.tags && v.item.links == v.links);
}

static void test_reload(struct rules_worker *lw)
{
    struct neptun_req pinned;
    struct neptun_reply reply;
    char body[64];
    uint64_t gen;

    write_script("50-version.lua",
                 "function on_request(req) if req.path == '/version' then\n"
                 "  return {body = 'one'} end end\n");
    CHECK(rules_reload(scripts_dir) == NEPTUN_OK);
    CHECK(request(lw, "/version", body, sizeof body, NULL) == NEPTUN_OK);
    CHECK_STR(body, "one");

    /* a broken script keeps the old set */
    gen = rules_generation();
    write_script("60-broken.lua", "function on_request(req)\n  return {\nend\n");
    CHECK(rules_reload(scripts_dir) == NEPTUN_ERROR);
    CHECK(rules_generation() == gen);
    CHECK(rules_check(scripts_dir) > 0);
    remove_script("60-broken.lua");
    write_script("60-broken.lua", "while true do end\n");
    CHECK(rules_reload(scripts_dir) == NEPTUN_ERROR);
    remove_script("60-broken.lua");
    CHECK(request(lw, "/version", body, sizeof body, NULL) == NEPTUN_OK);
    CHECK_STR(body, "one");

    /* a request in progress keeps its rules; the next one sees the new */
    init_req(&pinned, "/version");
    memset(&reply, 0, sizeof reply);
    CHECK(rules_on_request(lw, &pinned, &reply) == NEPTUN_OK);
    write_script("50-version.lua",
                 "function on_request(req) if req.path == '/version' then\n"
                 "  return {body = 'two'} end end\n");
    CHECK(rules_reload(scripts_dir) == NEPTUN_OK);
    CHECK(rules_generation() == gen + 1);
    memset(&reply, 0, sizeof reply);
    CHECK(rules_on_request(lw, &pinned, &reply) == NEPTUN_OK);
    CHECK(reply.body != NULL && strcmp(reply.body, "one") == 0);
    neptun_pool_free(pinned.pool);
    CHECK(request(lw, "/version", body, sizeof body, NULL) == NEPTUN_OK);
    CHECK_STR(body, "two");
    CHECK(rules_has("on_request"));
    CHECK(rules_has("on_item"));
    remove_script("50-version.lua");
}

/* Tables whose fields come from __index as fresh strings, with garbage
 * made between two reads: the C side must never keep a string it popped. */
static const char fresh_script[] =
    "local function churn() for i = 1, 4 do local _ = string.rep('g', 1 << 17) .. i end end\n"
    "local none = {lastBuildDate = true, pubDate = true, categories = true}\n"
    "local function fresh(prefix)\n"
    "  return setmetatable({}, {__index = function(t, k)\n"
    "    churn()\n"
    "    if none[k] then return nil end\n"
    "    return prefix .. k .. string.rep('-', 60)\n"
    "  end})\n"
    "end\n"
    "function on_request(req)\n"
    "  if req.path == '/fresh/reply' then\n"
    "    return setmetatable({}, {__index = function(t, k)\n"
    "      churn()\n"
    "      if k == 'status' then return 201 end\n"
    "      if k == 'body' then return 'body' .. string.rep('b', 60) end\n"
    "      if k == 'headers' then return {['X-Fresh'] = 'v' .. string.rep('v', 60)} end\n"
    "    end})\n"
    "  elseif req.path == '/fresh/rss' then\n"
    "    return {body = neptun.xml_rss(fresh('c-'), {fresh('i-')})}\n"
    "  elseif req.path == '/fresh/items' then\n"
    "    local q = fresh('q-')\n"
    "    return {body = 'items ' .. #neptun.items(setmetatable({}, {__index = function(t, k)\n"
    "      churn() if k == 'limit' or k == 'upcoming' then return nil end\n"
    "      if k == 'lang' then return 'p' .. string.lower('L') end return q[k] end}))}\n"
    "  end\n"
    "end\n"
    "function on_item(item, ctx)\n"
    "  if ctx.path == '/fresh/links' then item.links = {fresh('l-')} end\n"
    "end\n";

static void test_fresh_strings(struct rules_worker *lw)
{
    struct neptun_req req;
    struct neptun_reply reply;
    struct view_item v;
    char body[4096];
    int keep = -1;

    init_req(&req, "/fresh/reply");
    memset(&reply, 0, sizeof reply);
    CHECK(rules_on_request(lw, &req, &reply) == NEPTUN_OK);
    CHECK(reply.status == 201);
    CHECK(reply.len == 64 && reply.body != NULL && strncmp(reply.body, "bodybbb", 7) == 0);
    CHECK(reply.nheaders == 1);
    if (reply.nheaders == 1) {
        CHECK_STR(reply.headers[0].name, "X-Fresh");
        CHECK(strlen(reply.headers[0].value) == 61);
    }
    neptun_pool_free(req.pool);

    CHECK(request(lw, "/fresh/rss", body, sizeof body, NULL) == NEPTUN_OK);
    CHECK(strstr(body, "<title>c-title---") != NULL);
    CHECK(strstr(body, "<link>i-link---") != NULL);
    CHECK(strstr(body, "<guid isPermaLink=\"false\">i-guid---") != NULL);
    CHECK(strstr(body, "href=\"c-self---") != NULL);

    CHECK(request(lw, "/fresh/items", body, sizeof body, NULL) == NEPTUN_OK);
    CHECK_STR(body, "items 0");

    CHECK(view_call(lw, "/fresh/links", &v, &keep) == NEPTUN_OK);
    CHECK(keep == 1 && v.item.nlinks == 1);
    /* view_call freed the pool: compare what stayed in the item's own links */
    CHECK(v.item.links != v.links);
    init_req(&req, "/fresh/links");
    init_view_item(&v);
    CHECK(rules_on_item(lw, &req, &v.item, "pl", &keep) == NEPTUN_OK);
    CHECK(v.item.nlinks == 1);
    if (v.item.nlinks == 1) {
        CHECK(strncmp(v.item.links[0].rel, "l-rel---", 8) == 0);
        CHECK(strncmp(v.item.links[0].href, "l-href---", 9) == 0);
        CHECK(strncmp(v.item.links[0].mime, "l-type---", 9) == 0);
    }
    neptun_pool_free(req.pool);
}

/* Reloads from several threads at once (SIGHUP, POST /admin/reload and the
 * file watcher do this): each must read only the set it still holds.  The
 * folder is empty, so that a reload is short and they overlap often. */
static char reload_dir[] = "/tmp/neptun-test-lua-reload-XXXXXX";

static void *reload_loop(void *arg)
{
    int *failures = arg;

    for (int i = 0; i < 1500; i++)
        if (rules_reload(reload_dir) != NEPTUN_OK)
            (*failures)++;
    return NULL;
}

static void test_concurrent_reload(void)
{
    pthread_t threads[4];
    int failures[4] = { 0 };

    CHECK(mkdtemp(reload_dir) != NULL);
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&threads[i], NULL, reload_loop, &failures[i]) == 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        CHECK(failures[i] == 0);
    }
    rmdir(reload_dir);
    CHECK(rules_reload(scripts_dir) == NEPTUN_OK);
}

static void test_check_scripts(void)
{
    const char *src = getenv("NEPTUN_SOURCE_DIR");
    char shipped[1024];

    snprintf(shipped, sizeof shipped, "%s/scripts", src != NULL ? src : ".");
    CHECK(rules_check(shipped) == 0);
    write_script("70-test.lua", "function test_good() assert(1 + 1 == 2) end\n"
                                "function test_bad() assert(false, 'expected') end\n"
                                "function test_loop() while true do end end\n");
    CHECK(rules_check(scripts_dir) == 2);
    remove_script("70-test.lua");
    CHECK(rules_check("/nonexistent/neptun") == -1);
}

int main(void)
{
    struct rules_worker *lw;

    if (mkdtemp(scripts_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    write_script("10-hostile.lua", hostile_script);
    write_script("20-good.lua", good_script);
    write_script("30-items.lua", item_script);
    write_script("40-view.lua", view_script);
    write_script("41-view.lua", view_after_script);
    write_script("45-fresh.lua", fresh_script);
    CHECK(rules_reload(scripts_dir) == NEPTUN_OK);
    lw = rules_worker_new(NULL, 0);
    CHECK(lw != NULL);
    if (lw != NULL) {
        test_hostile(lw);
        test_variant(lw);
        test_item_feed_route(lw);
        test_item_view(lw);
        test_reload(lw);
        test_fresh_strings(lw);
    }
    test_concurrent_reload();
    test_check_scripts();
    rules_worker_free(lw);
    rules_cleanup();
    remove_script("10-hostile.lua");
    remove_script("20-good.lua");
    remove_script("30-items.lua");
    remove_script("40-view.lua");
    remove_script("41-view.lua");
    remove_script("45-fresh.lua");
    rmdir(scripts_dir);
    CHECK_DONE();
}
