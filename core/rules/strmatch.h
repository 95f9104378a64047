/*
 * strmatch.h - string.find/match/gmatch/gsub that count their work.
 *
 * Private to the rules (sandbox.c installs them); knows no sandbox:
 * the meter it charges is given at install.
 */
#ifndef NEPTUN_LUA_STRMATCH_H
#define NEPTUN_LUA_STRMATCH_H

#include <lua.h>

/* Charge steps of matcher work to the call in progress; raises a Lua
 * error when its budget is spent (sandbox_charge). */
typedef void (*rules_strmatch_charge_fn)(lua_State *L, long steps);

/* Replace find, match, gmatch and gsub in the string library table at idx
 * by versions that charge their work to charge, so that backtracking
 * blow-ups end.  [-0, +0] */
void rules_strmatch_install(lua_State *L, int idx, rules_strmatch_charge_fn charge);

#endif
