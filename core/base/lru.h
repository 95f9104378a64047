/*
 * lru.h - an intrusive doubly linked list kept in least-recently-used
 * order: the caches (answers, render fragments, kept item parts) embed a
 * node in their records and move it to the front on each use.
 */
#ifndef NEPTUN_LRU_H
#define NEPTUN_LRU_H

#include <stddef.h>

struct lru_node {
    struct lru_node *prev, *next;
};

struct lru_list {
    struct lru_node *head, *tail; /* head: most recently used */
};

/* The record holding node (NULL for NULL). */
#define LRU_RECORD(node, type, member) \
    ((node) != NULL ? (type *)(void *)((char *)(node) - offsetof(type, member)) : NULL)

static inline void lru_unlink(struct lru_list *l, struct lru_node *n)
{
    if (n->prev != NULL)
        n->prev->next = n->next;
    else
        l->head = n->next;
    if (n->next != NULL)
        n->next->prev = n->prev;
    else
        l->tail = n->prev;
    n->prev = n->next = NULL;
}

static inline void lru_push_front(struct lru_list *l, struct lru_node *n)
{
    n->prev = NULL;
    n->next = l->head;
    if (l->head != NULL)
        l->head->prev = n;
    l->head = n;
    if (l->tail == NULL)
        l->tail = n;
}

#endif
