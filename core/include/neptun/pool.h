/*
 * neptun/pool.h - per-request memory pools.
 *
 * A pool is created when a request arrives and freed when its reply has been
 * sent.  Everything allocated from it (strings, libxml2 documents registered
 * with a cleanup, Lua references) lives until then.  Nothing allocated from a
 * pool is freed individually.
 *
 * The core calls these functions directly.  Plugins do not link against the
 * host: they reach the same functions through the table passed to their init
 * (neptun_host.pool_alloc and friends, see plugin.h).
 */
#ifndef NEPTUN_POOL_H
#define NEPTUN_POOL_H

#include <stdarg.h>
#include <neptun/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct neptun_pool;

typedef void (*neptun_cleanup_fn)(void *data);

#ifdef NEPTUN_HOST_BUILD
/* Create a pool whose first block holds about hint bytes.  Caller frees
 * with neptun_pool_free().  NULL when out of memory. */
struct neptun_pool *neptun_pool_new(size_t hint);
/* Run the cleanups (last registered first), then release every block. */
void neptun_pool_free(struct neptun_pool *pool);
/* Aligned (max_align_t) memory owned by the pool; NULL when out of memory. */
void *neptun_pool_alloc(struct neptun_pool *pool, size_t size);
/* Like neptun_pool_alloc, zero-filled. */
void *neptun_pool_calloc(struct neptun_pool *pool, size_t n, size_t size);
/* Copy of s (NULL gives NULL) owned by the pool. */
char *neptun_pool_strdup(struct neptun_pool *pool, const char *s);
/* Copy of the first n bytes of s, NUL-terminated, owned by the pool. */
char *neptun_pool_strndup(struct neptun_pool *pool, const char *s, size_t n);
/* Formatted string owned by the pool. */
char *neptun_pool_printf(struct neptun_pool *pool, const char *fmt, ...) NEPTUN_PRINTF(2, 3);
char *neptun_pool_vprintf(struct neptun_pool *pool, const char *fmt, va_list ap);
/* Call fn(data) when the pool is freed.  NEPTUN_OK or NEPTUN_NOMEM (in which
 * case fn is NOT called later: the caller still owns data). */
int neptun_pool_cleanup_add(struct neptun_pool *pool, neptun_cleanup_fn fn, void *data);
/* Run the cleanups and give back every block but the first, so the pool
 * can serve another request without a trip to malloc. */
void neptun_pool_reset(struct neptun_pool *pool);
/* Bytes handed out so far (for limits and metrics). */
size_t neptun_pool_used(const struct neptun_pool *pool);
#endif

#ifdef __cplusplus
}
#endif

#endif /* NEPTUN_POOL_H */
