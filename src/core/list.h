/* Intrusive circular doubly-linked list.
 *
 * A list head is a node that links to itself when empty.  An element embeds a
 * `mc_list` and is recovered from it with MC_LIST_ENTRY.  Invariant: for every
 * node n in a list, n->next->prev == n and n->prev->next == n.  No allocation
 * happens here; the owner of the element owns its memory. */
#ifndef MEMCTL_LIST_H
#define MEMCTL_LIST_H

#include <stddef.h>

typedef struct mc_list {
  struct mc_list *next;
  struct mc_list *prev;
} mc_list;

#define MC_LIST_ENTRY(ptr, type, field) \
  ((type *)((char *)(ptr) - offsetof(type, field)))

static inline void mc_list_init(mc_list *head) {
  head->next = head;
  head->prev = head;
}

static inline int mc_list_empty(const mc_list *head) {
  return head->next == head;
}

/* Inserts `node` right after `at` (at the front when `at` is the head). */
static inline void mc_list_insert_after(mc_list *at, mc_list *node) {
  node->next = at->next;
  node->prev = at;
  at->next->prev = node;
  at->next = node;
}

static inline void mc_list_push_back(mc_list *head, mc_list *node) {
  mc_list_insert_after(head->prev, node);
}

/* Unlinks `node` and leaves it self-linked, so a second remove is harmless. */
static inline void mc_list_remove(mc_list *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  node->next = node;
  node->prev = node;
}

#endif
