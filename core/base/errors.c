/*
 * errors.c - validation problem lists (see errors.h).
 */
#include <stdlib.h>
#include <string.h>
#include "errors.h"

void errors_init(struct neptun_errors *errs, struct neptun_pool *pool)
{
    memset(errs, 0, sizeof(*errs));
    errs->pool = pool;
}

int errors_full(const struct neptun_errors *errs)
{
    return errs == NULL || errs->n >= ERRORS_MAX;
}

void errors_vadd(struct neptun_errors *errs, const char *path, const char *fmt, va_list ap)
{
    if (errors_full(errs))
        return;
    if (errs->n == errs->cap) {
        size_t cap = errs->cap ? errs->cap * 2 : 8;
        struct neptun_error_entry *v = neptun_pool_alloc(errs->pool, cap * sizeof(*v));
        if (v == NULL)
            return;
        if (errs->n)
            memcpy(v, errs->v, errs->n * sizeof(*v));
        errs->v = v;
        errs->cap = cap;
    }
    char *msg = neptun_pool_vprintf(errs->pool, fmt, ap);
    if (msg == NULL)
        return;
    errs->v[errs->n].path = neptun_pool_strdup(errs->pool, path ? path : "/");
    errs->v[errs->n].message = msg;
    errs->n++;
}

void errors_add(struct neptun_errors *errs, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errors_vadd(errs, path, fmt, ap);
    va_end(ap);
}
