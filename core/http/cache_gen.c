/*
 * cache_gen.c - the answer cache's generations: when a kept answer stops
 * being valid.
 *
 * One atomic counter per dependency (each type, "all types", "none"); an
 * entry remembers the counter's value when it was rendered (cache_entry.c)
 * and a lookup (cache.c) drops it once the counter has moved on.  Writes by
 * the server bump the counters of what they touch (cache_bump); a rules
 * reload, and writes by other processes noticed by the dispatcher
 * (store_poll_changes(), within a second), bump them all (cache_bump_all),
 * which also empties the fragment memo.  Nothing is walked or freed here:
 * stale entries go when a lookup meets them or the LRU reaches them.
 */
#include <stdatomic.h>
#include <stdint.h>

#include "cache_internal.h"
#include "render.h"

_Atomic uint64_t cache_generations[GEN_SLOTS];

uint64_t cache_generation(int dep)
{
    return cache_gen_current(dep);
}

void cache_bump(int type_index)
{
    int slot = cache_gen_slot(type_index);
    if (slot >= 2)
        atomic_fetch_add_explicit(&cache_generations[slot], 1, memory_order_acq_rel);
    atomic_fetch_add_explicit(&cache_generations[1], 1, memory_order_acq_rel);
}

void cache_bump_all(void)
{
    render_fragments_clear(); /* a reload: whatever they drew on may have changed too */
    for (int i = 0; i < GEN_SLOTS; i++)
        atomic_fetch_add_explicit(&cache_generations[i], 1, memory_order_acq_rel);
}
