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

struct neptun_errors {
    struct neptun_pool *pool;          /* owns the entries */
    struct neptun_error_entry *v;
    size_t n, cap;
};

void errors_init(struct neptun_errors *errs, struct neptun_pool *pool);
void errors_add(struct neptun_errors *errs, const char *path, const char *fmt, ...) NEPTUN_PRINTF(3, 4);
void errors_vadd(struct neptun_errors *errs, const char *path, const char *fmt, va_list ap);

#endif
