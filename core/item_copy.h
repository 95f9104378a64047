/*
 * item_copy.h - an item's deep copy in one block of memory.
 */
#ifndef NEPTUN_ITEM_COPY_H
#define NEPTUN_ITEM_COPY_H

#include <stddef.h>
#include <neptun/item.h>

/* Bytes of the arrays and strings item points to (the block item_copy
 * fills; aligned for the arrays at its start). */
size_t item_copy_size(const struct neptun_item *it);
/* dst = a deep copy of src whose arrays and strings live in mem, a block
 * of item_copy_size(src) bytes aligned like malloc's. */
void item_copy(struct neptun_item *dst, const struct neptun_item *src, char *mem);
/* dst = a copy of src, an item item_copy() made in src_mem (a block of
 * size bytes), into mem (size bytes aligned like malloc's): the block is
 * copied whole and the pointers moved over, no string is walked - what
 * kept pages and parts hand each request. */
void item_copy_moved(struct neptun_item *dst, char *mem, const struct neptun_item *src,
                     const char *src_mem, size_t size);
/* Whether a and b are the same content, every field compared. */
int item_same(const struct neptun_item *a, const struct neptun_item *b);

#endif
