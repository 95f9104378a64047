/*
 * rule_set.h - rule sets as the rest of the rules module sees them: the
 * set in force, its generation, and a sandbox built from a set.
 *
 * Private to the rules: hooks.c takes the set in force from here when its
 * worker's state falls behind the generation.  A set is immutable once
 * published and reference-counted; rule_set.c owns the one in force.
 */
#ifndef NEPTUN_RULES_RULE_SET_H
#define NEPTUN_RULES_RULE_SET_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct sandbox;

/* The hooks a set defines (struct rule_set.hooks). */
enum {
    HOOK_ON_REQUEST = 1u << 0,
    HOOK_ON_ITEM = 1u << 1,
    HOOK_ON_FEED = 1u << 2,
    HOOK_ROUTES = 1u << 3
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

/* The generation of the set in force, moved on by each successful reload
 * (after the set is published).  Read on every hook call: a plain atomic
 * rather than a function, so the check stays one load. */
extern _Atomic uint64_t rule_set_gen;

/* A new reference to set, which the caller holds already. */
static inline void rule_set_ref(struct rule_set *set)
{
    atomic_fetch_add(&set->refs, 1);
}

/* Drop a reference (set may be NULL); the last one frees the set. */
void rule_set_unref(struct rule_set *set);
/* The set in force with a new reference (NULL: none), and its generation
 * in *generation. */
struct rule_set *rule_set_acquire(uint64_t *generation);
/* A sandbox that has run every script of set; NULL after logging the
 * error, with *failed the script that failed (borrowed from set) or NULL
 * when the sandbox itself could not be made. */
struct sandbox *rule_set_sandbox_new(const struct rule_set *set, const char **failed);

#endif
