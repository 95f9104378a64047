/*
 * item_view.c - items (and the on_item ctx) as Lua values.
 *
 * neptun.items hands out plain tables: scripts may keep and change them.
 *
 * on_item gets a view instead, because it runs for every item of every
 * uncached answer: a userdata whose fields are read from the C item only
 * when a script asks, so a rule that looks at item.status costs one lookup
 * instead of a table of every field with its tags and links.  Behind the
 * view, a user value table (under the state's memory cap) holds what
 * scripts assigned, and tags/links once read: they become real tables the
 * first time (a script may change them in place).  A bit per field says
 * that its value lives there.  After the hooks only those fields are
 * copied back, and only what differs is copied into the pool.
 *
 * A view is valid during its call only.  Closing it drops the pointers and
 * the user value table, and any later use raises an error, so an item a
 * script kept in a global can never reach freed memory.  The metatable is
 * hidden (__metatable), so no script reaches the metamethods or the C
 * struct behind them.
 */
#include <lauxlib.h>
#include <stdarg.h>
#include <string.h>

#include "conf.h"
#include "item_view.h"
#include "sandbox.h"
#include "render.h"
#include "http.h"

#define MAX_TAGS 1000
#define MAX_LINKS 1000

enum view_kind { VIEW_ITEM, VIEW_CTX };

/* Fields of an item view; FIELD_OTHER: any other key (only what scripts
 * stored).  The ctx view uses the CTX_* numbers the same way. */
enum item_field {
    F_TYPE, F_SLUG, F_STATUS, F_LANG, F_TITLE, F_SUMMARY, F_TAGS, F_LINKS, F_URL,
    F_UPDATED, F_PUBLISH_AT, F_STARTS_AT, F_ENDS_AT, FIELD_OTHER
};
enum ctx_field { CTX_LANG, CTX_PARTNER, CTX_VARIANT, CTX_PATH };

#define BIT(f) (1u << (f))
#define COPIED_BACK (BIT(F_TITLE) | BIT(F_SUMMARY) | BIT(F_TAGS) | BIT(F_LINKS))

struct field_name {
    const char *name;
    size_t len;
};
#define FIELD(s) { s, sizeof s - 1 }

static const struct field_name item_fields[] = {
    [F_TYPE] = FIELD("type"), [F_SLUG] = FIELD("slug"), [F_STATUS] = FIELD("status"),
    [F_LANG] = FIELD("lang"), [F_TITLE] = FIELD("title"), [F_SUMMARY] = FIELD("summary"),
    [F_TAGS] = FIELD("tags"), [F_LINKS] = FIELD("links"), [F_URL] = FIELD("url"),
    [F_UPDATED] = FIELD("updated"), [F_PUBLISH_AT] = FIELD("publish_at"),
    [F_STARTS_AT] = FIELD("starts_at"), [F_ENDS_AT] = FIELD("ends_at"),
};
static const struct field_name ctx_fields[] = {
    [CTX_LANG] = FIELD("lang"), [CTX_PARTNER] = FIELD("partner"),
    [CTX_VARIANT] = FIELD("variant"), [CTX_PATH] = FIELD("path"),
};
#define NFIELDS(a) ((int)(sizeof a / sizeof a[0]))

struct view {
    enum view_kind kind;
    int live;                        /* 0 once its call returned */
    unsigned stored;                 /* BIT(field): its value is in the user value */
    struct neptun_item *item;        /* VIEW_ITEM */
    const struct neptun_text *text;  /* the text shown, or NULL */
    const char *lang;                /* language of the answer */
    const char *url;                 /* made on first read */
    const char *shaped_by;           /* script that last took tags/links/texts */
    struct neptun_pool *pool;
    struct neptun_req *req;          /* VIEW_CTX; may be NULL */
};

static char view_meta_key;  /* registry: the views' metatable, by address */

/* ---- the item's text and plain values ---------------------------------- */

/* The text of item shown in lang (fallback chain, then the first), or NULL
 * when it has none. */
static const struct neptun_text *item_text(const struct neptun_item *item, const char *lang)
{
    const struct conf_lang *cl = conf_lang(neptun_conf, lang);

    for (size_t i = 0; i < item->ntexts; i++)
        if (strcmp(item->texts[i].lang, lang) == 0)
            return &item->texts[i];
    for (size_t c = 0; cl != NULL && cl->chain[c] != NULL; c++)
        for (size_t i = 0; i < item->ntexts; i++)
            if (strcmp(item->texts[i].lang, cl->chain[c]) == 0)
                return &item->texts[i];
    return item->ntexts > 0 ? &item->texts[0] : NULL;
}

static const char *status_name(enum neptun_status s)
{
    switch (s) {
    case NEPTUN_STATUS_DRAFT: return "draft";
    case NEPTUN_STATUS_PUBLISHED: return "published";
    case NEPTUN_STATUS_ARCHIVED: return "archived";
    }
    return "draft";
}

/* [-0, +1] a string, or nil for NULL */
static void push_opt_string(lua_State *L, const char *s)
{
    if (s != NULL)
        lua_pushstring(L, s);
    else
        lua_pushnil(L);
}

static void set_string(lua_State *L, const char *key, const char *value)
{
    if (value == NULL)
        return;
    lua_pushstring(L, value);
    lua_setfield(L, -2, key);
}

/* [-0, +1] item->tags as a new array */
static void push_tags(lua_State *L, const struct neptun_item *item)
{
    lua_createtable(L, (int)item->ntags, 0);
    for (size_t i = 0; i < item->ntags; i++) {
        lua_pushstring(L, item->tags[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* [-0, +1] item->links as a new array of {rel=, href=, lang=, title=, type=} */
static void push_links(lua_State *L, const struct neptun_item *item)
{
    lua_createtable(L, (int)item->nlinks, 0);
    for (size_t i = 0; i < item->nlinks; i++) {
        const struct neptun_link *l = &item->links[i];
        lua_createtable(L, 0, 5);
        set_string(L, "rel", l->rel);
        set_string(L, "href", l->href);
        set_string(L, "lang", l->lang);
        set_string(L, "title", l->title);
        set_string(L, "type", l->mime);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* [-0, +1] one field's value from the C item (tags and links: new tables) */
static void push_item_field(lua_State *L, struct view *v, int f)
{
    const struct neptun_item *item = v->item;

    switch (f) {
    case F_TYPE: push_opt_string(L, item->type); break;
    case F_SLUG: push_opt_string(L, item->slug); break;
    case F_STATUS: lua_pushstring(L, status_name(item->status)); break;
    case F_LANG: push_opt_string(L, v->text != NULL ? v->text->lang : v->lang); break;
    case F_TITLE: push_opt_string(L, v->text != NULL ? v->text->title : ""); break;
    case F_SUMMARY: push_opt_string(L, v->text != NULL ? v->text->summary : NULL); break;
    case F_TAGS: push_tags(L, item); break;
    case F_LINKS: push_links(L, item); break;
    case F_URL:
        if (v->url == NULL)
            v->url = render_item_url(v->pool, v->lang, item);
        push_opt_string(L, v->url);
        break;
    case F_UPDATED: lua_pushinteger(L, (lua_Integer)item->updated); break;
    case F_PUBLISH_AT: lua_pushinteger(L, (lua_Integer)item->publish_at); break;
    case F_STARTS_AT: lua_pushinteger(L, (lua_Integer)item->starts_at); break;
    case F_ENDS_AT: lua_pushinteger(L, (lua_Integer)item->ends_at); break;
    default: lua_pushnil(L); break;
    }
}

/* [-0, +1] one field's value from the request */
static void push_ctx_field(lua_State *L, const struct view *v, int f)
{
    const struct neptun_req *req = v->req;

    switch (f) {
    case CTX_LANG: push_opt_string(L, v->lang); break;
    case CTX_PARTNER: push_opt_string(L, req != NULL ? req->partner : NULL); break;
    case CTX_VARIANT: push_opt_string(L, req != NULL ? req->variant : NULL); break;
    case CTX_PATH: push_opt_string(L, req != NULL ? req->path : NULL); break;
    default: lua_pushnil(L); break;
    }
}

void rules_item_push_table(lua_State *L, struct neptun_pool *pool, const struct neptun_item *item,
                         const char *lang)
{
    struct view v = { .kind = VIEW_ITEM, .live = 1, .item = (struct neptun_item *)item,
                      .text = item_text(item, lang), .lang = lang, .pool = pool };

    lua_createtable(L, 0, 16);
    for (int f = 0; f < NFIELDS(item_fields); f++) {
        push_item_field(L, &v, f);
        lua_setfield(L, -2, item_fields[f].name);
    }
}

/* ---- views ------------------------------------------------------------- */

/* The view at index 1 of a metamethod; raises an error once it is closed.
 * upvalue 1: the views' metatable (the view is checked against it). */
static struct view *check_view(lua_State *L)
{
    struct view *v = lua_touserdata(L, 1);
    int ours = v != NULL && lua_getmetatable(L, 1) && lua_rawequal(L, -1, lua_upvalueindex(1));

    if (!ours)
        luaL_error(L, "not an item view");
    lua_pop(L, 1);
    if (!v->live)
        luaL_error(L, "%s used after its on_item call returned (keep its values, not the %s)",
                   v->kind == VIEW_ITEM ? "item" : "ctx", v->kind == VIEW_ITEM ? "item" : "ctx");
    return v;
}

/* The field the key at idx names, FIELD_OTHER for any other key. */
static int field_of(lua_State *L, const struct view *v, int idx)
{
    const struct field_name *names = v->kind == VIEW_ITEM ? item_fields : ctx_fields;
    int n = v->kind == VIEW_ITEM ? NFIELDS(item_fields) : NFIELDS(ctx_fields);
    size_t len;
    const char *key;

    if (lua_type(L, idx) != LUA_TSTRING)
        return FIELD_OTHER;
    key = lua_tolstring(L, idx, &len);
    for (int f = 0; f < n; f++)
        if (names[f].len == len && memcmp(names[f].name, key, len) == 0)
            return f;
    return FIELD_OTHER;
}

/* [-0, +1] the view's store (the user value table), made on first use */
static void push_store(lua_State *L, int view)
{
    if (lua_getiuservalue(L, view, 1) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, view, 1);
}

/* [-0, +1] what the store holds for the key at idx (nil without a store) */
static void push_stored(lua_State *L, int view, int key)
{
    if (lua_getiuservalue(L, view, 1) != LUA_TTABLE)
        return; /* the nil it pushed */
    lua_pushvalue(L, key);
    lua_rawget(L, -2);
    lua_remove(L, -2);
}

/* [-0, +1] the value of the field f (key at idx) of the view at index 1 */
static void push_value(lua_State *L, struct view *v, int f, int key)
{
    if (v->kind == VIEW_ITEM && (f == F_TAGS || f == F_LINKS)) /* may change in place */
        v->shaped_by = sandbox_ctx(sandbox_of(L))->script;
    if (f == FIELD_OTHER || (v->stored & BIT(f)) != 0) {
        push_stored(L, 1, key);
    } else if (v->kind == VIEW_CTX) {
        push_ctx_field(L, v, f);
    } else {
        push_item_field(L, v, f);
        if (f == F_TAGS || f == F_LINKS) {
            /* the same table from now on: changes made in place count */
            push_store(L, 1);
            lua_pushvalue(L, key);
            lua_pushvalue(L, -3);
            lua_rawset(L, -3);
            lua_pop(L, 1);
            v->stored |= BIT(f);
        }
    }
}

static int view_index(lua_State *L)
{
    struct view *v = check_view(L);

    push_value(L, v, field_of(L, v, 2), 2);
    return 1;
}

/* Wrong types for the fields that shape the answer fail where assigned. */
static void check_assignment(lua_State *L, int f, int value)
{
    int t = lua_type(L, value);

    if (f == F_TITLE && t != LUA_TSTRING)
        luaL_error(L, "item.title must be a string");
    if (f == F_SUMMARY && t != LUA_TSTRING && t != LUA_TNIL)
        luaL_error(L, "item.summary must be a string or nil");
    if (f == F_TAGS && t != LUA_TTABLE)
        luaL_error(L, "item.tags must be a table of strings");
    if (f == F_LINKS && t != LUA_TTABLE)
        luaL_error(L, "item.links must be a table of links");
}

static int view_newindex(lua_State *L)
{
    struct view *v = check_view(L);
    int f = field_of(L, v, 2);

    lua_settop(L, 3);
    if (v->kind == VIEW_ITEM)
        check_assignment(L, f, 3);
    push_store(L, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    lua_rawset(L, -3);
    if (f != FIELD_OTHER)
        v->stored |= BIT(f);
    if (v->kind == VIEW_ITEM && f != FIELD_OTHER && (BIT(f) & COPIED_BACK) != 0)
        v->shaped_by = sandbox_ctx(sandbox_of(L))->script;
    return 0;
}

static int snapshot_next(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* pairs(view): a snapshot table of every field and stored key. */
static int view_pairs(lua_State *L)
{
    struct view *v = check_view(L);
    const struct field_name *names = v->kind == VIEW_ITEM ? item_fields : ctx_fields;
    int n = v->kind == VIEW_ITEM ? NFIELDS(item_fields) : NFIELDS(ctx_fields);
    int snapshot;

    lua_settop(L, 1);
    lua_newtable(L);
    snapshot = lua_gettop(L);
    for (int f = 0; f < n; f++) {
        lua_pushlstring(L, names[f].name, names[f].len);
        push_value(L, v, f, snapshot + 1);
        lua_rawset(L, snapshot);
    }
    if (lua_getiuservalue(L, 1, 1) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, snapshot);
        }
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, snapshot_next);
    lua_insert(L, snapshot);
    lua_pushnil(L);
    return 3;
}

/* tostring() works on a closed view too: it reads nothing behind it. */
static int view_tostring(lua_State *L)
{
    const struct view *v = lua_touserdata(L, 1);

    lua_pushstring(L, v != NULL && v->kind == VIEW_CTX ? "ctx" : "item");
    return 1;
}

/* [-0, +1] the views' metatable, made once per state */
static void push_view_meta(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "__index", view_index },
        { "__newindex", view_newindex },
        { "__pairs", view_pairs },
        { "__tostring", view_tostring },
        { NULL, NULL }
    };

    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &view_meta_key) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 5);
    for (size_t i = 0; methods[i].name != NULL; i++) {
        lua_pushvalue(L, -1);
        lua_pushcclosure(L, methods[i].func, 1);
        lua_setfield(L, -2, methods[i].name);
    }
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &view_meta_key);
}

static struct view *new_view(lua_State *L, enum view_kind kind)
{
    struct view *v = lua_newuserdatauv(L, sizeof *v, 1);

    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->live = 1;
    push_view_meta(L);
    lua_setmetatable(L, -2);
    return v;
}

void rules_item_push_view(lua_State *L, struct neptun_pool *pool, struct neptun_item *item,
                        const char *lang)
{
    struct view *v = new_view(L, VIEW_ITEM);

    v->item = item;
    v->text = item_text(item, lang);
    v->lang = lang;
    v->pool = pool;
}

void rules_item_push_ctx(lua_State *L, struct neptun_req *req, const char *lang)
{
    struct view *v = new_view(L, VIEW_CTX);

    v->req = req;
    v->lang = lang;
}

void rules_item_close_view(lua_State *L, int idx)
{
    struct view *v = lua_touserdata(L, idx);

    enum view_kind kind;

    if (v == NULL)
        return;
    kind = v->kind;
    lua_pushnil(L); /* let go of what scripts stored */
    lua_setiuservalue(L, idx, 1);
    memset(v, 0, sizeof *v); /* live = 0: every later use is an error */
    v->kind = kind;
}

/* ---- copying changes back ---------------------------------------------- */

/* An error found after the hooks ran, named after the script that last
 * took the field (the log and /metrics count it for that script). */
static int copy_back_error(lua_State *L, const char *fmt, ...)
{
    const char *script = sandbox_ctx(sandbox_of(L))->script;
    va_list ap;

    lua_pushfstring(L, "%s: ", script != NULL ? script : "on_item");
    va_start(ap, fmt);
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 2);
    return lua_error(L);
}

static int same(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* old when it equals s, else a pool copy of s */
static const char *keep_or_copy(lua_State *L, struct neptun_pool *pool, const char *old,
                                const char *s)
{
    char *c;

    if (s == NULL || same(old, s))
        return s == NULL ? NULL : old;
    c = neptun_pool_strdup(pool, s);
    if (c == NULL)
        luaL_error(L, "out of memory");
    return c;
}

static void *pool_array(lua_State *L, struct neptun_pool *pool, size_t n, size_t size)
{
    void *p = neptun_pool_calloc(pool, n ? n : 1, size);

    if (p == NULL)
        luaL_error(L, "out of memory");
    return p;
}

/* The string (or nil) stored under key in the store at idx, left on the
 * stack: the caller drops it once it is copied.  [-0, +1] */
static const char *stored_string(lua_State *L, int store, const char *key, int required)
{
    int t = lua_getfield(L, store, key); /* the store has no metatable */

    if (t != LUA_TSTRING && (required || t != LUA_TNIL))
        copy_back_error(L, "item.%s must be a string", key);
    return t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
}

static void apply_text(lua_State *L, int store, const struct view *v, struct neptun_pool *pool)
{
    const struct neptun_text *text = v->text;
    struct neptun_item *item = v->item;
    const char *title = text->title, *summary = text->summary;
    struct neptun_text *texts;
    int top = lua_gettop(L);

    if (v->stored & BIT(F_TITLE))
        title = stored_string(L, store, "title", 1);
    if (v->stored & BIT(F_SUMMARY))
        summary = stored_string(L, store, "summary", 0);
    if (same(title, text->title) && same(summary, text->summary)) {
        lua_settop(L, top);
        return;
    }
    /* a fresh texts array, so no other holder of the item sees it */
    texts = pool_array(L, pool, item->ntexts, sizeof *texts);
    memcpy(texts, item->texts, item->ntexts * sizeof *texts);
    texts[text - item->texts].title = keep_or_copy(L, pool, text->title, title);
    texts[text - item->texts].summary = keep_or_copy(L, pool, text->summary, summary);
    item->texts = texts;
    lua_settop(L, top);
}

/* item.tags back into item: the old array while nothing differs (or a
 * prefix of it), else a new one that reuses equal strings.  [-0, +0] */
static void apply_tags(lua_State *L, int store, struct neptun_item *item,
                       struct neptun_pool *pool)
{
    const char **tags = NULL;
    size_t n;

    if (lua_getfield(L, store, "tags") != LUA_TTABLE)
        copy_back_error(L, "item.tags must be a table of strings");
    n = (size_t)luaL_len(L, -1);
    if (n > MAX_TAGS)
        copy_back_error(L, "item.tags: too many tags");
    for (size_t i = 0; i < n; i++) {
        const char *s, *old = i < item->ntags ? item->tags[i] : NULL;
        if (lua_geti(L, -1, (lua_Integer)i + 1) != LUA_TSTRING)
            copy_back_error(L, "item.tags[%d] must be a string", (int)i + 1);
        s = lua_tostring(L, -1);
        if (tags == NULL && !same(old, s)) {
            tags = pool_array(L, pool, n, sizeof *tags);
            if (i > 0) /* item->tags may be NULL */
                memcpy(tags, item->tags, i * sizeof *tags);
        }
        if (tags != NULL)
            tags[i] = keep_or_copy(L, pool, old, s);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (tags != NULL)
        item->tags = tags;
    item->ntags = n;
}

/* link.key, left on the stack: a link table may have an __index that makes
 * each value afresh, and the next read may run the collector, so the
 * caller keeps the five values there until they are copied.  [-0, +1] */
static const char *link_field(lua_State *L, int link, const char *key, int required)
{
    int t = lua_getfield(L, link, key);

    if (t != LUA_TSTRING && (required || t != LUA_TNIL))
        copy_back_error(L, "link.%s must be a string", key);
    return t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
}

static int same_link(const struct neptun_link *a, const struct neptun_link *b)
{
    return same(a->rel, b->rel) && same(a->href, b->href) && same(a->lang, b->lang) &&
           same(a->title, b->title) && same(a->mime, b->mime);
}

/* item.links back into item, like apply_tags.  [-0, +0] */
static void apply_links(lua_State *L, int store, struct neptun_item *item,
                        struct neptun_pool *pool)
{
    static const struct neptun_link none;
    struct neptun_link *links = NULL;
    size_t n;

    if (lua_getfield(L, store, "links") != LUA_TTABLE)
        copy_back_error(L, "item.links must be a table of links");
    n = (size_t)luaL_len(L, -1);
    if (n > MAX_LINKS)
        copy_back_error(L, "item.links: too many links");
    for (size_t i = 0; i < n; i++) {
        const struct neptun_link *old = i < item->nlinks ? &item->links[i] : &none;
        struct neptun_link got;
        int link;
        if (lua_geti(L, -1, (lua_Integer)i + 1) != LUA_TTABLE)
            copy_back_error(L, "item.links[%d] must be a table {rel=, href=}", (int)i + 1);
        link = lua_gettop(L);
        got.rel = link_field(L, link, "rel", 1);
        got.href = link_field(L, link, "href", 1);
        got.lang = link_field(L, link, "lang", 0);
        got.title = link_field(L, link, "title", 0);
        got.mime = link_field(L, link, "type", 0);
        if (links == NULL && !same_link(old, &got)) {
            links = pool_array(L, pool, n, sizeof *links);
            if (i > 0) /* item->links may be NULL */
                memcpy(links, item->links, i * sizeof *links);
        }
        if (links != NULL) {
            links[i].rel = keep_or_copy(L, pool, old->rel, got.rel);
            links[i].href = keep_or_copy(L, pool, old->href, got.href);
            links[i].lang = keep_or_copy(L, pool, old->lang, got.lang);
            links[i].title = keep_or_copy(L, pool, old->title, got.title);
            links[i].mime = keep_or_copy(L, pool, old->mime, got.mime);
        }
        lua_settop(L, link - 1); /* the link and its five values */
    }
    lua_pop(L, 1);
    if (links != NULL)
        item->links = links;
    item->nlinks = n;
}

void rules_item_apply_view(lua_State *L, int idx, struct neptun_pool *pool)
{
    struct view *v = lua_touserdata(L, idx);
    int store;

    if (v == NULL || v->kind != VIEW_ITEM || !v->live || (v->stored & COPIED_BACK) == 0)
        return;
    idx = lua_absindex(L, idx);
    sandbox_ctx(sandbox_of(L))->script = v->shaped_by; /* reset by the caller */
    push_store(L, idx);
    store = lua_gettop(L);
    if (v->text != NULL && (v->stored & (BIT(F_TITLE) | BIT(F_SUMMARY))) != 0)
        apply_text(L, store, v, pool);
    if (v->stored & BIT(F_TAGS))
        apply_tags(L, store, v->item, pool);
    if (v->stored & BIT(F_LINKS))
        apply_links(L, store, v->item, pool);
    lua_pop(L, 1);
}
