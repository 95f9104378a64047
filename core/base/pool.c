/*
 * pool.c - per-request memory pools: a chain of blocks handed out by bump
 * allocation, plus cleanup callbacks run (last first) when the pool is freed.
 * Large allocations get a block of their own so the bump blocks stay small.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <stdalign.h>
#include <stddef.h>
#include <neptun/pool.h>

#define POOL_ALIGN alignof(max_align_t)
#define POOL_MIN_BLOCK 4096
/* A reset pool keeps one block sized for what the last use took, up to
 * this: a reused request pool then serves a feed's miss from one block
 * instead of a dozen mallocs (larger uses go back to the small block). */
#define POOL_KEEP_MAX (256 * 1024)

struct pool_block {
    struct pool_block *next;
    size_t size, used;
    alignas(max_align_t) unsigned char data[];
};

struct pool_cleanup {
    struct pool_cleanup *next;
    neptun_cleanup_fn fn;
    void *data;
};

struct neptun_pool {
    struct pool_block *head;    /* current bump block */
    struct pool_block *large;   /* one-off large blocks */
    struct pool_cleanup *cleanups;
    size_t block_size;
    size_t used;
};

static struct pool_block *block_new(size_t size)
{
    struct pool_block *b = malloc(sizeof(*b) + size);
    if (b == NULL)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

static void run_cleanups(struct neptun_pool *p)
{
    /* Cleanups may still read pool memory, and may add cleanups of their
     * own: take the list first. */
    while (p->cleanups != NULL) {
        struct pool_cleanup *c = p->cleanups;
        p->cleanups = NULL;
        for (; c != NULL; c = c->next)
            c->fn(c->data);
    }
}

struct neptun_pool *neptun_pool_new(size_t hint)
{
    struct neptun_pool *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->block_size = hint < POOL_MIN_BLOCK ? POOL_MIN_BLOCK : hint;
    p->head = block_new(p->block_size);
    if (p->head == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

void neptun_pool_free(struct neptun_pool *p)
{
    if (p == NULL)
        return;
    run_cleanups(p);
    struct pool_block *b, *next;
    for (b = p->head; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    for (b = p->large; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    free(p);
}

void neptun_pool_reset(struct neptun_pool *p)
{
    run_cleanups(p);
    struct pool_block *b, *next;
    for (b = p->large; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    p->large = NULL;
    /* The oldest block is at the end of the chain: keep that one. */
    while (p->head->next != NULL) {
        b = p->head;
        p->head = b->next;
        free(b);
    }
    size_t want = p->used + p->used / 4;
    if (p->used > p->head->size && want <= POOL_KEEP_MAX && (b = block_new(want)) != NULL) {
        free(p->head);
        p->head = b;
        p->block_size = want;
    }
    p->head->used = 0;
    p->used = 0;
}

void *neptun_pool_alloc(struct neptun_pool *p, size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX - POOL_ALIGN)
        return NULL;
    size_t need = (size + POOL_ALIGN - 1) & ~(POOL_ALIGN - 1);
    p->used += need;
    if (need > p->block_size / 4) {
        struct pool_block *b = block_new(need);
        if (b == NULL)
            return NULL;
        b->next = p->large;
        p->large = b;
        return b->data;
    }
    if (p->head->size - p->head->used < need) {
        struct pool_block *b = block_new(p->block_size);
        if (b == NULL)
            return NULL;
        b->next = p->head;
        p->head = b;
    }
    void *ptr = p->head->data + p->head->used;
    p->head->used += need;
    return ptr;
}

void *neptun_pool_calloc(struct neptun_pool *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *ptr = neptun_pool_alloc(p, n * size);
    if (ptr != NULL)
        memset(ptr, 0, n * size);
    return ptr;
}

char *neptun_pool_strndup(struct neptun_pool *p, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char *d = neptun_pool_alloc(p, n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *neptun_pool_strdup(struct neptun_pool *p, const char *s)
{
    return s == NULL ? NULL : neptun_pool_strndup(p, s, strlen(s));
}

char *neptun_pool_vprintf(struct neptun_pool *p, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *d = neptun_pool_alloc(p, (size_t)n + 1);
    if (d == NULL)
        return NULL;
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    return d;
}

char *neptun_pool_printf(struct neptun_pool *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *d = neptun_pool_vprintf(p, fmt, ap);
    va_end(ap);
    return d;
}

int neptun_pool_cleanup_add(struct neptun_pool *p, neptun_cleanup_fn fn, void *data)
{
    struct pool_cleanup *c = neptun_pool_alloc(p, sizeof(*c));
    if (c == NULL)
        return NEPTUN_NOMEM;
    c->fn = fn;
    c->data = data;
    c->next = p->cleanups;
    p->cleanups = c;
    return NEPTUN_OK;
}

size_t neptun_pool_used(const struct neptun_pool *p)
{
    return p->used;
}
