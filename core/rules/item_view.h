/*
 * item_view.h - items (and the on_item ctx) as Lua values, for script_api.c
 * (neptun.items) and hooks.c (on_item).  Private to the rules.
 */
#ifndef NEPTUN_LUA_ITEM_H
#define NEPTUN_LUA_ITEM_H

#include <lua.h>
#include <neptun/item.h>
#include <neptun/pool.h>

struct neptun_req;

/* An item shown in lang as a plain table (neptun.items): its text in lang
 * or along lang's fallback chain.  [-0, +1] */
void rules_item_push_table(lua_State *L, struct neptun_pool *pool, const struct neptun_item *item,
                           const char *lang);
/* The same fields as a view for on_item, read from item when a script
 * asks; what scripts assign is kept in the view.  item must stay valid
 * until rules_item_close_view.  [-0, +1] */
void rules_item_push_view(lua_State *L, struct neptun_pool *pool, struct neptun_item *item,
                          const char *lang);
/* ctx for on_item (lang, partner, variant, path) as a view of req, which
 * may be NULL.  [-0, +1] */
void rules_item_push_ctx(lua_State *L, struct neptun_req *req, const char *lang);
/* Copy what scripts changed of title, summary, tags and links of the item
 * view at idx into its item (a pool copy), allocating from pool only what
 * differs.  Raises a Lua error on a malformed value.  [-0, +0] */
void rules_item_apply_view(lua_State *L, int idx, struct neptun_pool *pool);
/* End the view (item or ctx) at idx: its pointers are dropped and any
 * later use by a script that kept it raises an error.  [-0, +0] */
void rules_item_close_view(lua_State *L, int idx);

#endif
