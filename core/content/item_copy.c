/*
 * item_copy.c - deep copies of items into one block of memory, and their
 * comparison: how caches that outlive a request (render_fragments.c,
 * store_parts.c) keep an item of their own.
 */
#include <stdalign.h>
#include <string.h>
#include "content.h"

static size_t str_size(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

static size_t align_up(size_t n)
{
    return (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
}

size_t item_copy_size(const struct neptun_item *it)
{
    size_t n = align_up(it->ntexts * sizeof *it->texts) + align_up(it->nlinks * sizeof *it->links) +
               align_up(it->ntags * sizeof *it->tags);
    n += str_size(it->type) + str_size(it->slug) + str_size(it->fields_xml);
    for (size_t i = 0; i < it->ntexts; i++)
        n += str_size(it->texts[i].lang) + str_size(it->texts[i].title) +
             str_size(it->texts[i].summary) + str_size(it->texts[i].body);
    for (size_t i = 0; i < it->nlinks; i++)
        n += str_size(it->links[i].rel) + str_size(it->links[i].href) +
             str_size(it->links[i].lang) + str_size(it->links[i].title) +
             str_size(it->links[i].mime);
    for (size_t i = 0; i < it->ntags; i++)
        n += str_size(it->tags[i]);
    return n;
}

static const char *put_str(char **at, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*at, s, n);
    *at += n;
    return d;
}

void item_copy(struct neptun_item *dst, const struct neptun_item *src, char *mem)
{
    char *at = mem;
    *dst = *src;
    dst->texts = (struct neptun_text *)(void *)at;
    at += align_up(src->ntexts * sizeof *src->texts);
    dst->links = (struct neptun_link *)(void *)at;
    at += align_up(src->nlinks * sizeof *src->links);
    dst->tags = (const char **)(void *)at;
    at += align_up(src->ntags * sizeof *src->tags);
    dst->type = put_str(&at, src->type);
    dst->slug = put_str(&at, src->slug);
    dst->fields_xml = put_str(&at, src->fields_xml);
    for (size_t i = 0; i < src->ntexts; i++) {
        dst->texts[i].lang = put_str(&at, src->texts[i].lang);
        dst->texts[i].title = put_str(&at, src->texts[i].title);
        dst->texts[i].summary = put_str(&at, src->texts[i].summary);
        dst->texts[i].body = put_str(&at, src->texts[i].body);
    }
    for (size_t i = 0; i < src->nlinks; i++) {
        dst->links[i].rel = put_str(&at, src->links[i].rel);
        dst->links[i].href = put_str(&at, src->links[i].href);
        dst->links[i].lang = put_str(&at, src->links[i].lang);
        dst->links[i].title = put_str(&at, src->links[i].title);
        dst->links[i].mime = put_str(&at, src->links[i].mime);
    }
    for (size_t i = 0; i < src->ntags; i++)
        dst->tags[i] = put_str(&at, src->tags[i]);
}

/* p, a pointer into the block from, to the same place in the block to. */
static const char *moved(const char *p, const char *from, char *to)
{
    return p != NULL ? to + (p - from) : NULL;
}

void item_copy_moved(struct neptun_item *dst, char *mem, const struct neptun_item *src,
                     const char *src_mem, size_t size)
{
    if (size > 0)
        memcpy(mem, src_mem, size);
    *dst = *src;
    dst->texts = (struct neptun_text *)(void *)(mem + ((const char *)src->texts - src_mem));
    dst->links = (struct neptun_link *)(void *)(mem + ((const char *)src->links - src_mem));
    dst->tags = (const char **)(void *)(mem + ((const char *)src->tags - src_mem));
    dst->type = moved(src->type, src_mem, mem);
    dst->slug = moved(src->slug, src_mem, mem);
    dst->fields_xml = moved(src->fields_xml, src_mem, mem);
    /* The arrays came over with the block: their pointers still name it. */
    for (size_t i = 0; i < dst->ntexts; i++) {
        struct neptun_text *t = &dst->texts[i];
        t->lang = moved(t->lang, src_mem, mem);
        t->title = moved(t->title, src_mem, mem);
        t->summary = moved(t->summary, src_mem, mem);
        t->body = moved(t->body, src_mem, mem);
    }
    for (size_t i = 0; i < dst->nlinks; i++) {
        struct neptun_link *l = &dst->links[i];
        l->rel = moved(l->rel, src_mem, mem);
        l->href = moved(l->href, src_mem, mem);
        l->lang = moved(l->lang, src_mem, mem);
        l->title = moved(l->title, src_mem, mem);
        l->mime = moved(l->mime, src_mem, mem);
    }
    for (size_t i = 0; i < dst->ntags; i++)
        dst->tags[i] = moved(dst->tags[i], src_mem, mem);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int item_same(const struct neptun_item *a, const struct neptun_item *b)
{
    if (a->id != b->id || a->revision != b->revision || a->status != b->status ||
        a->publish_at != b->publish_at || a->created != b->created || a->updated != b->updated ||
        a->starts_at != b->starts_at || a->ends_at != b->ends_at || a->ntexts != b->ntexts ||
        a->nlinks != b->nlinks || a->ntags != b->ntags || !same_str(a->type, b->type) ||
        !same_str(a->slug, b->slug) || !same_str(a->fields_xml, b->fields_xml))
        return 0;
    for (size_t i = 0; i < a->ntexts; i++) {
        const struct neptun_text *x = &a->texts[i], *y = &b->texts[i];
        if (!same_str(x->lang, y->lang) || !same_str(x->title, y->title) ||
            !same_str(x->summary, y->summary) || !same_str(x->body, y->body))
            return 0;
    }
    for (size_t i = 0; i < a->nlinks; i++) {
        const struct neptun_link *x = &a->links[i], *y = &b->links[i];
        if (!same_str(x->rel, y->rel) || !same_str(x->href, y->href) ||
            !same_str(x->lang, y->lang) || !same_str(x->title, y->title) ||
            !same_str(x->mime, y->mime))
            return 0;
    }
    for (size_t i = 0; i < a->ntags; i++)
        if (!same_str(a->tags[i], b->tags[i]))
            return 0;
    return 1;
}
