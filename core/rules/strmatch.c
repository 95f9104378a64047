/*
 * strmatch.c - Lua pattern matching that counts its work.
 *
 * The standard string.find/match/gmatch/gsub run their backtracking
 * matcher in C, where the instruction hook never fires, so a pattern like
 * ".-.-.-.-b" over a long subject could hold a worker for hours.  These
 * replacements implement the same pattern language (Lua 5.4 manual §6.4.1)
 * and charge every matcher step to a meter given at install (the sandbox
 * passes sandbox_charge, which raises when the call's budget is spent), so
 * such a call ends with an ordinary error.  The meter is upvalue 1 of the
 * four functions: this file knows nothing of the sandbox.
 */
#include <ctype.h>
#include <lauxlib.h>
#include <string.h>

#include "strmatch.h"

#define MAX_CAPTURES 32
#define MAX_DEPTH 200          /* nested matcher calls */
#define STEPS_PER_CHARGE 1024  /* matcher steps between budget checks */
#define STEPS_PER_INSTRUCTION 16

#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

/* upvalue 1 of find, match, gmatch and gsub */
struct meter {
    rules_strmatch_charge_fn charge;
};

struct mstate {
    lua_State *L;
    rules_strmatch_charge_fn charge;
    const char *src, *src_end;
    const char *pat_end;
    int depth;
    int level;
    unsigned steps;
    struct {
        const char *init;
        ptrdiff_t len;
    } cap[MAX_CAPTURES];
};

static void step(struct mstate *ms)
{
    if (++ms->steps >= STEPS_PER_CHARGE) {
        ms->steps = 0;
        ms->charge(ms->L, STEPS_PER_CHARGE / STEPS_PER_INSTRUCTION);
    }
}

static const char *class_end(struct mstate *ms, const char *p)
{
    char c = *p++;

    if (c == ESC) {
        if (p >= ms->pat_end)
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (p < ms->pat_end && *p == '^')
            p++;
        do { /* the first ']' may be a member */
            if (p >= ms->pat_end)
                luaL_error(ms->L, "malformed pattern (missing ']')");
            c = *p++;
            if (c == ESC && p < ms->pat_end)
                p++;
        } while (*p != ']');
        return p + 1;
    }
    return p;
}

static int class_matches(int c, int cl)
{
    int res;

    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    default: return cl == c;
    }
    if (isupper(cl))
        res = !res;
    return res != 0;
}

/* p points at '[', ec at the closing ']'. */
static int set_matches(int c, const char *p, const char *ec)
{
    int negate = 0;

    if (*(p + 1) == '^') {
        negate = 1;
        p++;
    }
    while (++p < ec) {
        if (*p == ESC) {
            p++;
            if (class_matches(c, (unsigned char)*p))
                return !negate;
        } else if (*(p + 1) == '-' && p + 2 < ec) {
            if ((unsigned char)*p <= c && c <= (unsigned char)*(p + 2))
                return !negate;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return !negate;
        }
    }
    return negate;
}

static int single_matches(struct mstate *ms, const char *s, const char *p, const char *ep)
{
    int c;

    if (s >= ms->src_end)
        return 0;
    c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case ESC: return class_matches(c, (unsigned char)*(p + 1));
    case '[': return set_matches(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *do_match(struct mstate *ms, const char *s, const char *p);

static const char *match_balance(struct mstate *ms, const char *s, const char *p)
{
    int open, close, depth = 1;

    if (p + 1 >= ms->pat_end)
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p)
        return NULL;
    open = *p;
    close = *(p + 1);
    while (++s < ms->src_end) {
        step(ms);
        if (*s == close) {
            if (--depth == 0)
                return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

static const char *max_expand(struct mstate *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;

    while (single_matches(ms, s + i, p, ep)) {
        step(ms);
        i++;
    }
    for (; i >= 0; i--) {
        const char *res = do_match(ms, s + i, ep + 1);
        if (res != NULL)
            return res;
    }
    return NULL;
}

static const char *min_expand(struct mstate *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *res = do_match(ms, s, ep + 1);
        if (res != NULL)
            return res;
        if (!single_matches(ms, s, p, ep))
            return NULL;
        s++;
    }
}

static const char *start_capture(struct mstate *ms, const char *s, const char *p, ptrdiff_t what)
{
    const char *res;

    if (ms->level >= MAX_CAPTURES)
        luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    res = do_match(ms, s, p);
    if (res == NULL)
        ms->level--;
    return res;
}

static const char *end_capture(struct mstate *ms, const char *s, const char *p)
{
    int l = -1;
    const char *res;

    for (int i = ms->level - 1; i >= 0; i--) {
        if (ms->cap[i].len == CAP_UNFINISHED) {
            l = i;
            break;
        }
    }
    if (l < 0)
        luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].init;
    res = do_match(ms, s, p);
    if (res == NULL)
        ms->cap[l].len = CAP_UNFINISHED;
    return res;
}

static const char *match_backref(struct mstate *ms, const char *s, int l)
{
    size_t len;

    l -= '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_UNFINISHED)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    len = (size_t)ms->cap[l].len;
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->cap[l].init, s, len) == 0)
        return s + len;
    return NULL;
}

static const char *do_match_at(struct mstate *ms, const char *s, const char *p)
{
    while (p < ms->pat_end) {
        const char *ep;

        step(ms);
        switch (*p) {
        case '(':
            if (p + 1 < ms->pat_end && *(p + 1) == ')')
                return start_capture(ms, s, p + 2, CAP_POSITION);
            return start_capture(ms, s, p + 1, CAP_UNFINISHED);
        case ')':
            return end_capture(ms, s, p + 1);
        case '$':
            if (p + 1 == ms->pat_end)
                return s == ms->src_end ? s : NULL;
            break;
        case ESC:
            if (p + 1 >= ms->pat_end)
                break;
            if (*(p + 1) == 'b') {
                s = match_balance(ms, s, p + 2);
                if (s == NULL)
                    return NULL;
                p += 4;
                continue;
            }
            if (*(p + 1) == 'f') {
                char prev, cur;
                p += 2;
                if (p >= ms->pat_end || *p != '[')
                    luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                ep = class_end(ms, p);
                prev = s == ms->src ? '\0' : *(s - 1);
                cur = s < ms->src_end ? *s : '\0';
                if (!set_matches((unsigned char)prev, p, ep - 1) &&
                    set_matches((unsigned char)cur, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                return NULL;
            }
            if (isdigit((unsigned char)*(p + 1))) {
                s = match_backref(ms, s, (unsigned char)*(p + 1));
                if (s == NULL)
                    return NULL;
                p += 2;
                continue;
            }
            break;
        default:
            break;
        }
        /* a single character class, maybe with a quantifier */
        ep = class_end(ms, p);
        if (!single_matches(ms, s, p, ep)) {
            if (ep < ms->pat_end && (*ep == '*' || *ep == '?' || *ep == '-')) {
                p = ep + 1;
                continue;
            }
            return NULL;
        }
        if (ep < ms->pat_end) {
            switch (*ep) {
            case '?': {
                const char *res = do_match(ms, s + 1, ep + 1);
                if (res != NULL)
                    return res;
                p = ep + 1;
                continue;
            }
            case '+': return max_expand(ms, s + 1, p, ep);
            case '*': return max_expand(ms, s, p, ep);
            case '-': return min_expand(ms, s, p, ep);
            default: break;
            }
        }
        s++;
        p = ep;
    }
    return s;
}

static const char *do_match(struct mstate *ms, const char *s, const char *p)
{
    const char *res;

    if (++ms->depth > MAX_DEPTH)
        luaL_error(ms->L, "pattern too complex");
    res = do_match_at(ms, s, p);
    ms->depth--;
    return res;
}

/* ---- captures --------------------------------------------------------- */

/* [-0, +1] Capture i (or the whole match when there are none). */
static void push_capture(struct mstate *ms, int i, const char *s, const char *e)
{
    if (i >= ms->level) {
        if (i != 0)
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(ms->L, s, (size_t)(e - s));
        return;
    }
    if (ms->cap[i].len == CAP_UNFINISHED)
        luaL_error(ms->L, "unfinished capture");
    if (ms->cap[i].len == CAP_POSITION)
        lua_pushinteger(ms->L, (ms->cap[i].init - ms->src) + 1);
    else
        lua_pushlstring(ms->L, ms->cap[i].init, (size_t)ms->cap[i].len);
}

static int push_captures(struct mstate *ms, const char *s, const char *e)
{
    int n = (ms->level == 0 && s != NULL) ? 1 : ms->level;

    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        push_capture(ms, i, s, e);
    return n;
}

static void prepare(struct mstate *ms, lua_State *L, rules_strmatch_charge_fn charge,
                    const char *s, size_t ls, const char *p, size_t lp)
{
    ms->L = L;
    ms->charge = charge;
    ms->src = s;
    ms->src_end = s + ls;
    ms->pat_end = p + lp;
    ms->level = 0;
    ms->depth = 0;
    ms->steps = 0;
}

/* The meter of a function installed by rules_strmatch_install. */
static rules_strmatch_charge_fn meter_of(lua_State *L)
{
    const struct meter *m = lua_touserdata(L, lua_upvalueindex(1));

    return m->charge;
}

static size_t start_index(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    if (pos == 0)
        return 1;
    if (pos < -(lua_Integer)len)
        return 1;
    return len + (size_t)pos + 1;
}

static int find_aux(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls);
    struct mstate ms;
    const char *s1;
    int anchor;

    if (init > ls + 1) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || strpbrk(p, SPECIALS) == NULL)) {
        const char *hit = lp == 0 ? s + init - 1 : memmem(s + init - 1, ls - init + 1, p, lp);
        if (hit != NULL) {
            lua_pushinteger(L, (hit - s) + 1);
            lua_pushinteger(L, (lua_Integer)((hit - s) + lp));
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    anchor = lp > 0 && *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    prepare(&ms, L, meter_of(L), s, ls, p, lp);
    s1 = s + init - 1;
    do {
        const char *e;

        ms.level = 0;
        ms.depth = 0;
        e = do_match(&ms, s1, p);
        if (e != NULL) {
            if (find) {
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return push_captures(&ms, NULL, NULL) + 2;
            }
            return push_captures(&ms, s1, e);
        }
    } while (s1++ < ms.src_end && !anchor);
    luaL_pushfail(L);
    return 1;
}

static int safe_find(lua_State *L)
{
    return find_aux(L, 1);
}

static int safe_match(lua_State *L)
{
    return find_aux(L, 0);
}

/* ---- gmatch ----------------------------------------------------------- */

struct gmatch_state {
    size_t pos;        /* where the next search starts (0-based) */
    ptrdiff_t last;    /* end of the last match, -1 when none */
    rules_strmatch_charge_fn charge; /* gmatch's meter */
};

/* upvalues: subject, pattern, state */
static int gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    struct gmatch_state *gm = lua_touserdata(L, lua_upvalueindex(3));
    struct mstate ms;

    prepare(&ms, L, gm->charge, s, ls, p, lp);
    for (const char *src = s + gm->pos; src <= ms.src_end; src++) {
        const char *e;

        ms.level = 0;
        ms.depth = 0;
        e = do_match(&ms, src, p);
        if (e != NULL && (gm->last < 0 || e != s + gm->last)) {
            gm->pos = (size_t)(e - s);
            gm->last = e - s;
            return push_captures(&ms, src, e);
        }
    }
    gm->pos = ls + 1;
    return 0;
}

static int safe_gmatch(lua_State *L)
{
    size_t ls;
    struct gmatch_state *gm;

    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    lua_settop(L, 3);
    gm = lua_newuserdatauv(L, sizeof *gm, 0);
    gm->pos = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (gm->pos > ls)
        gm->pos = ls + 1;
    gm->last = -1;
    gm->charge = meter_of(L);
    lua_remove(L, 3);
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* ---- gsub ------------------------------------------------------------- */

static void add_replacement_string(struct mstate *ms, luaL_Buffer *b, const char *s,
                                   const char *e)
{
    size_t l;
    const char *news = lua_tolstring(ms->L, 3, &l);
    const char *end = news + l;

    for (const char *p = news; p < end; p++) {
        if (*p != ESC) {
            luaL_addchar(b, *p);
            continue;
        }
        p++;
        if (p >= end)
            luaL_error(ms->L, "invalid use of '%c' in replacement string", ESC);
        if (*p == ESC) {
            luaL_addchar(b, *p);
        } else if (isdigit((unsigned char)*p)) {
            if (*p == '0')
                lua_pushlstring(ms->L, s, (size_t)(e - s));
            else
                push_capture(ms, *p - '1', s, e);
            luaL_tolstring(ms->L, -1, NULL);
            lua_remove(ms->L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(ms->L, "invalid use of '%c' in replacement string", ESC);
        }
    }
}

static void add_replacement(struct mstate *ms, luaL_Buffer *b, const char *s, const char *e,
                            int tr)
{
    lua_State *L = ms->L;

    if (tr == LUA_TFUNCTION) {
        int n;
        lua_pushvalue(L, 3);
        n = push_captures(ms, s, e);
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_replacement_string(ms, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    } else {
        luaL_addvalue(b);
    }
}

static int safe_gsub(lua_State *L)
{
    size_t srcl, lp;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *lastmatch = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
    int anchor = lp > 0 && *p == '^';
    lua_Integer n = 0;
    struct mstate ms;
    luaL_Buffer b;

    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
                     tr == LUA_TTABLE, 3, "string/function/table");
    if (anchor) {
        p++;
        lp--;
    }
    luaL_buffinit(L, &b);
    prepare(&ms, L, meter_of(L), src, srcl, p, lp);
    while (n < max_s) {
        const char *e;

        ms.level = 0;
        ms.depth = 0;
        e = do_match(&ms, src, p);
        if (e != NULL && e != lastmatch) {
            n++;
            add_replacement(&ms, &b, src, e, tr);
            src = lastmatch = e;
        } else if (src < ms.src_end) {
            step(&ms);
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

void rules_strmatch_install(lua_State *L, int idx, rules_strmatch_charge_fn charge)
{
    static const luaL_Reg functions[] = {
        { "find", safe_find },
        { "match", safe_match },
        { "gmatch", safe_gmatch },
        { "gsub", safe_gsub },
        { NULL, NULL }
    };
    struct meter *m;

    idx = lua_absindex(L, idx);
    m = lua_newuserdatauv(L, sizeof *m, 0);
    m->charge = charge;
    for (const luaL_Reg *f = functions; f->name != NULL; f++) {
        lua_pushvalue(L, -1);
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, idx, f->name);
    }
    lua_pop(L, 1);
}
