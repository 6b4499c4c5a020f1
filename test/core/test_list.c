#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/list.h"

typedef struct item {
  int value;
  mc_list link;
} item;

static void test_push_and_walk_in_order(void **state) {
  mc_list head;
  item items[4];
  mc_list_init(&head);
  assert_true(mc_list_empty(&head));
  for (int i = 0; i < 4; i++) {
    items[i].value = i;
    mc_list_push_back(&head, &items[i].link);
  }
  int expect = 0;
  for (mc_list *n = head.next; n != &head; n = n->next)
    assert_int_equal(MC_LIST_ENTRY(n, item, link)->value, expect++);
  assert_int_equal(expect, 4);
}

static void test_remove_keeps_links_consistent(void **state) {
  mc_list head;
  item items[3];
  mc_list_init(&head);
  for (int i = 0; i < 3; i++) mc_list_push_back(&head, &items[i].link);
  mc_list_remove(&items[1].link);
  mc_list_remove(&items[1].link); /* a second remove is harmless */
  assert_ptr_equal(head.next, &items[0].link);
  assert_ptr_equal(items[0].link.next, &items[2].link);
  assert_ptr_equal(items[2].link.prev, &items[0].link);
  mc_list_remove(&items[0].link);
  mc_list_remove(&items[2].link);
  assert_true(mc_list_empty(&head));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_push_and_walk_in_order),
    cmocka_unit_test(test_remove_keeps_links_consistent),
  };
  return cmocka_run_group_tests_name("list", tests, NULL, NULL);
}
