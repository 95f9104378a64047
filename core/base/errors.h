/*
 * errors.h - a list of validation problems, each with the element path it
 * concerns ("/item/text[2]/title").  Plugins see it opaque and add to it
 * through neptun_host.error_add.
 */
#ifndef NEPTUN_ERRORS_H
#define NEPTUN_ERRORS_H

#include <stdarg.h>
#include <neptun/pool.h>

struct neptun_error_entry {
    const char *path;
    const char *message;
};

/* A list keeps this many problems; later ones are dropped (a hostile
 * document cannot grow it without bound). */
#define ERRORS_MAX 1000

struct neptun_errors {
    struct neptun_pool *pool;          /* owns the entries */
    struct neptun_error_entry *v;
    size_t n, cap;
};

void errors_init(struct neptun_errors *errs, struct neptun_pool *pool);
void errors_add(struct neptun_errors *errs, const char *path, const char *fmt, ...) NEPTUN_PRINTF(3, 4);
/* Whether errs keeps no more problems: a reader checks it before it
 * builds a problem's path or message, so reading stays linear once the
 * list is full.  A NULL list counts as full. */
int errors_full(const struct neptun_errors *errs);
void errors_vadd(struct neptun_errors *errs, const char *path, const char *fmt, va_list ap);

#endif
