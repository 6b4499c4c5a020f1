#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/pool.h"

#define KiB 1024u
#define MiB (1024u * 1024u)

static uint64_t fake_now;
static uint64_t fake_clock(void *arg) { return fake_now; }

/* A pool on the fake clock (reset to 1) whose classes up to slice_max are
 * slab slots. */
static mc_pool *make_sliced_pool(size_t max_bytes, size_t slice_max) {
  mc_pool_config cfg = {0};
  cfg.max_bytes = max_bytes;
  cfg.decay_ms = 1000;
  cfg.use_mmap = 1;
  cfg.slice_max = slice_max;
  cfg.clock_ms = fake_clock;
  fake_now = 1;
  mc_pool *p = mc_pool_create(&cfg);
  assert_non_null(p);
  return p;
}

static mc_pool *make_pool(size_t max_bytes) {
  return make_sliced_pool(max_bytes, MC_POOL_SMALL_MAX);
}

static mc_pool_stats stats(mc_pool *p) {
  mc_pool_stats s;
  mc_pool_stats_get(p, &s);
  return s;
}

/* Small allocation the way the binding does it: the current slab, else the
 * next usable or a new one.  Returns the memory or NULL (status in *st). */
static unsigned char *small_alloc(mc_pool *p, size_t size, uint64_t *tag,
                                  int *st) {
  mc_pool_region *r = mc_pool_slab_current(p, size);
  if (!r) {
    int created;
    *st = mc_pool_slab_next(p, size, &r, &created);
    if (*st < 0) return NULL;
  }
  long off = mc_pool_slot_alloc(p, r, size, tag);
  if (off < 0) {
    *st = (int)off;
    return NULL;
  }
  *st = MC_POOL_OK;
  return mc_pool_region_base(r) + off;
}

static unsigned char *any_alloc(mc_pool *p, size_t size, uint64_t *tag,
                                int *st) {
  if (mc_pool_is_sliced(p, size)) return small_alloc(p, size, tag, st);
  mc_pool_region *r;
  *st = mc_pool_large_alloc(p, size, &r);
  if (*st < 0) return NULL;
  *tag = mc_pool_tag(mc_pool_region_id(r), 0, mc_pool_region_gen(r));
  return mc_pool_region_base(r);
}

/* ---- size classes ------------------------------------------------------------ */

static void test_classes_are_finer_than_powers_of_two(void **state) {
  size_t prev = 0, cs;
  int prev_cls = -1;
  for (size_t size = 1; size <= 64 * MiB; size += size < 8192 ? 1 : size / 7) {
    int c = mc_pool_class_of(size, &cs);
    assert_true(c >= 0 && c < MC_POOL_NCLASSES);
    assert_true(cs >= size);
    assert_true(c >= prev_cls);          /* monotonic */
    if (c == prev_cls) assert_int_equal(cs, prev);
    if (size > 128 && size <= MC_POOL_SMALL_MAX)
      assert_true(cs * 4 <= size * 5 + 16 * 4);   /* <= 25% rounding */
    if (size > 8 * 4096) assert_true(cs * 4 <= size * 5 + 4096 * 4);
    prev = cs;
    prev_cls = c;
  }
  /* A few fixed points: 16-byte steps, then four classes per doubling. */
  mc_pool_class_of(100, &cs);
  assert_int_equal(cs, 112);
  mc_pool_class_of(129, &cs);
  assert_int_equal(cs, 160);
  mc_pool_class_of(1025, &cs);
  assert_int_equal(cs, 1280);
  mc_pool_class_of(4096, &cs);
  assert_int_equal(cs, 4096);
  assert_int_equal(mc_pool_class_of(4096, &cs), MC_POOL_NSMALL - 1);
  mc_pool_class_of(4097, &cs);
  assert_int_equal(cs, 8192);
  mc_pool_class_of(MiB + 1, &cs);
  assert_int_equal(cs, MiB + MiB / 4);
  assert_int_equal(mc_pool_class_of(0, &cs), -1);
  assert_int_equal(mc_pool_class_of(MC_POOL_MAX_BYTES + 1, &cs), -1);
}

/* ---- slabs and free lists ------------------------------------------------------ */

static void test_slots_come_from_one_slab_and_are_reused_lifo(void **state) {
  mc_pool *p = make_pool(4 * MiB);
  uint64_t t1, t2, t3;
  int st;
  unsigned char *a = small_alloc(p, 100, &t1, &st);
  unsigned char *b = small_alloc(p, 100, &t2, &st);
  assert_non_null(a);
  assert_ptr_equal(b, a + 112);  /* same slab, next slot of class 112 */
  assert_int_equal(stats(p).slabs, 1);
  assert_int_equal(mc_pool_free_tag(p, t1, NULL), MC_POOL_OK);
  unsigned char *c = small_alloc(p, 97, &t3, &st);  /* same class */
  assert_ptr_equal(c, a);        /* the slot freed last is reused first */
  assert_true(t3 != t1);         /* new generation: the old tag is stale */
  assert_int_equal(mc_pool_free_tag(p, t1, NULL), MC_POOL_FREED);
  assert_int_equal(mc_pool_free_tag(p, t2, NULL), MC_POOL_OK);
  assert_int_equal(mc_pool_free_tag(p, t2, NULL), MC_POOL_FREED);
  assert_int_equal(mc_pool_free_tag(p, t3, NULL), MC_POOL_OK);
  assert_int_equal(stats(p).in_use, 0);
  mc_pool_destroy(p);
}

static void test_full_slab_moves_to_a_new_one(void **state) {
  mc_pool *p = make_pool(4 * MiB);
  uint64_t tags[MC_POOL_SLAB_SIZE / 4096 + 1];
  int st;
  size_t n = MC_POOL_SLAB_SIZE / 4096;
  for (size_t i = 0; i <= n; i++) assert_non_null(small_alloc(p, 4096, &tags[i], &st));
  assert_int_equal(stats(p).slabs, 2);
  assert_int_equal(stats(p).reserved, 2 * MC_POOL_SLAB_SIZE);
  /* Freeing in the full slab makes it usable again: no third slab. */
  assert_int_equal(mc_pool_free_tag(p, tags[0], NULL), MC_POOL_OK);
  for (size_t i = 0; i < n; i++) assert_non_null(small_alloc(p, 4096, &tags[0], &st));
  assert_int_equal(stats(p).slabs, 2);
  mc_pool_destroy(p);
}

static void test_foreign_tags_are_refused(void **state) {
  mc_pool *p = make_pool(4 * MiB);
  uint64_t t;
  int st;
  assert_non_null(small_alloc(p, 64, &t, &st));
  assert_int_equal(mc_pool_free_tag(p, mc_pool_tag(999, 0, 0), NULL), MC_POOL_FOREIGN);
  assert_int_equal(mc_pool_free_tag(p, t + 4095, NULL), MC_POOL_FOREIGN);  /* slot past the slab */
  assert_int_equal(mc_pool_free_tag(p, (uint64_t)1 << 60, NULL), MC_POOL_FOREIGN);
  assert_int_equal(mc_pool_free_tag(p, t, NULL), MC_POOL_OK);
  mc_pool_destroy(p);
}

static void test_slice_max_is_a_class_size_and_medium_slabs_work(void **state) {
  mc_pool_config cfg = {0};
  cfg.max_bytes = 64 * MiB;
  cfg.use_mmap = 1;
  cfg.slice_max = 5000;  /* rounded down to the class 4096 */
  mc_pool *p = mc_pool_create(&cfg);
  assert_int_equal(mc_pool_slice_max(p), 4096);
  assert_true(mc_pool_is_sliced(p, 4096));
  assert_false(mc_pool_is_sliced(p, 4097));
  mc_pool_destroy(p);
  cfg.slice_max = 1 << 30;  /* capped */
  p = mc_pool_create(&cfg);
  assert_int_equal(mc_pool_slice_max(p), MC_POOL_SLICE_LIMIT);
  /* 64 KiB slots come 16 to a 1 MiB slab. */
  uint64_t tags[17];
  int st;
  unsigned char *first = small_alloc(p, 64 * KiB, &tags[0], &st);
  assert_non_null(first);
  for (int i = 1; i < 16; i++) {
    unsigned char *m = small_alloc(p, 60000, &tags[i], &st);
    assert_ptr_equal(m, first + (size_t)i * 64 * KiB);
  }
  assert_int_equal(stats(p).reserved, MiB);
  assert_non_null(small_alloc(p, 64 * KiB, &tags[16], &st));
  assert_int_equal(stats(p).slabs, 2);
  assert_int_equal(mc_pool_slab_size(p, 5 * 4096), 16 * 5 * 4096);
  assert_int_equal(mc_pool_slab_size(p, 112), MC_POOL_SLAB_SIZE);
  for (int i = 0; i < 17; i++) assert_int_equal(mc_pool_free_tag(p, tags[i], NULL), MC_POOL_OK);
  mc_pool_trim(p);
  assert_int_equal(stats(p).reserved, 0);
  mc_pool_destroy(p);
}

static void test_slabs_shrink_to_fit_a_small_budget(void **state) {
  mc_pool_config cfg = {0};
  cfg.max_bytes = 64 * KiB;
  cfg.use_mmap = 1;
  cfg.slice_max = MC_POOL_SLICE_LIMIT;
  mc_pool *p = mc_pool_create(&cfg);
  assert_int_equal(mc_pool_slab_size(p, 64 * KiB), 64 * KiB);  /* one slot */
  assert_int_equal(mc_pool_slab_size(p, 112), 16 * KiB / 112 * 112);
  uint64_t t;
  int st;
  assert_non_null(small_alloc(p, 64 * KiB, &t, &st));  /* the whole budget */
  assert_null(small_alloc(p, 1, &t, &st));
  assert_int_equal(st, MC_POOL_EXHAUSTED);
  assert_true(stats(p).reserved <= 64 * KiB);
  mc_pool_destroy(p);
}

/* ---- large regions ----------------------------------------------------------------- */

static void test_large_regions_are_reused(void **state) {
  mc_pool *p = make_pool(64 * MiB);
  mc_pool_region *r1, *r2, *r3;
  assert_int_equal(mc_pool_large_alloc(p, MiB, &r1), MC_POOL_OK);
  unsigned char *base = mc_pool_region_base(r1);
  uint32_t gen1 = mc_pool_region_gen(r1);
  memset(base, 7, MiB);
  assert_int_equal(stats(p).reserved, MiB);
  mc_pool_large_free(p, r1);
  assert_int_equal(stats(p).reserved, MiB);  /* cached, still reserved */
  assert_int_equal(mc_pool_large_alloc(p, MiB - 100, &r2), MC_POOL_OK);
  assert_ptr_equal(mc_pool_region_base(r2), base);            /* same pages */
  assert_true(mc_pool_region_gen(r2) != gen1);
  assert_int_equal(stats(p).regions, 1);
  /* A different class gets its own region. */
  assert_int_equal(mc_pool_large_alloc(p, 3 * MiB, &r3), MC_POOL_OK);
  assert_true(mc_pool_region_base(r3) != base);
  assert_int_equal(stats(p).in_use, MiB - 100 + 3 * MiB);
  assert_int_equal(stats(p).in_use_class, 4 * MiB);
  mc_pool_destroy(p);
}

static void test_zero_fill_clears_reused_memory(void **state) {
  mc_pool_config cfg = {0};
  cfg.max_bytes = 8 * MiB;
  cfg.zero_fill = 1;
  cfg.use_mmap = 1;
  cfg.slice_max = MC_POOL_SMALL_MAX;
  mc_pool *p = mc_pool_create(&cfg);
  mc_pool_region *r;
  assert_int_equal(mc_pool_large_alloc(p, 100000, &r), MC_POOL_OK);
  memset(mc_pool_region_base(r), 0xAB, 100000);
  mc_pool_large_free(p, r);
  assert_int_equal(mc_pool_large_alloc(p, 100000, &r), MC_POOL_OK);
  for (size_t i = 0; i < 100000; i++) assert_int_equal(mc_pool_region_base(r)[i], 0);
  uint64_t t;
  int st;
  unsigned char *m = small_alloc(p, 50, &t, &st);
  memset(m, 0xCD, 50);
  mc_pool_free_tag(p, t, NULL);
  m = small_alloc(p, 50, &t, &st);
  for (size_t i = 0; i < 50; i++) assert_int_equal(m[i], 0);
  mc_pool_destroy(p);
}

/* ---- budget ------------------------------------------------------------------------- */

static void test_budget_is_never_exceeded(void **state) {
  mc_pool *p = make_pool(MiB);
  mc_pool_region *r, *r2;
  assert_int_equal(mc_pool_large_alloc(p, MiB, &r), MC_POOL_OK);
  assert_int_equal(stats(p).reserved, MiB);
  assert_int_equal(mc_pool_large_alloc(p, 4097, &r2), MC_POOL_EXHAUSTED);
  uint64_t t;
  int st;
  assert_null(small_alloc(p, 10, &t, &st));
  assert_int_equal(st, MC_POOL_EXHAUSTED);
  assert_int_equal(stats(p).failed, 2);
  assert_int_equal(mc_pool_large_alloc(p, MiB + 1, &r2), MC_POOL_EXHAUSTED);
  /* A cached region of another class is evicted to make room. */
  mc_pool_large_free(p, r);
  assert_int_equal(mc_pool_large_alloc(p, 512 * KiB, &r), MC_POOL_OK);
  assert_int_equal(stats(p).regions, 1);
  assert_true(stats(p).reserved <= MiB);
  assert_int_equal(stats(p).peak_reserved, MiB);
  mc_pool_destroy(p);
}

static void test_empty_slabs_are_purged_for_room(void **state) {
  const size_t max = 4 * MC_POOL_SLAB_SIZE;
  mc_pool *p = make_pool(max);
  uint64_t t1, t2;
  int st;
  assert_non_null(small_alloc(p, 16, &t1, &st));
  assert_non_null(small_alloc(p, 2000, &t2, &st));
  assert_int_equal(stats(p).reserved, 2 * MC_POOL_SLAB_SIZE);
  mc_pool_region *r;
  assert_int_equal(mc_pool_large_alloc(p, 160 * KiB, &r), MC_POOL_EXHAUSTED);
  mc_pool_free_tag(p, t1, NULL);  /* slab of class 16 is now empty */
  assert_int_equal(mc_pool_large_alloc(p, 160 * KiB, &r), MC_POOL_OK);
  assert_int_equal(stats(p).reserved, MC_POOL_SLAB_SIZE + 160 * KiB);
  assert_int_equal(stats(p).mapped, 2 * MC_POOL_SLAB_SIZE + 160 * KiB);
  /* The purged slab must be re-reserved before use: no room now. */
  assert_null(small_alloc(p, 16, &t1, &st));
  assert_int_equal(st, MC_POOL_EXHAUSTED);
  mc_pool_large_free(p, r);
  assert_non_null(small_alloc(p, 16, &t1, &st));
  assert_true(stats(p).reserved <= max);
  mc_pool_destroy(p);
}

/* ---- returning memory ------------------------------------------------------------------ */

static void test_trim_releases_idle_memory(void **state) {
  mc_pool *p = make_pool(64 * MiB);
  mc_pool_region *r;
  uint64_t t;
  int st;
  assert_int_equal(mc_pool_large_alloc(p, 5 * MiB, &r), MC_POOL_OK);
  mc_pool_large_free(p, r);
  assert_non_null(small_alloc(p, 300, &t, &st));
  mc_pool_free_tag(p, t, NULL);
  assert_true(stats(p).reserved > 0);
  mc_pool_trim(p);
  assert_int_equal(stats(p).reserved, 0);
  assert_int_equal(stats(p).regions, 1);  /* the slab stays mapped (views) */
  assert_int_equal(stats(p).trims, 1);
  /* The purged slab works again. */
  unsigned char *m = small_alloc(p, 300, &t, &st);
  assert_non_null(m);
  memset(m, 1, 300);
  assert_int_equal(stats(p).reserved, MC_POOL_SLAB_SIZE);
  mc_pool_destroy(p);
}

static void test_decay_releases_only_old_idle_memory(void **state) {
  mc_pool *p = make_pool(64 * MiB);
  mc_pool_region *a, *b;
  mc_pool_large_alloc(p, MiB, &a);
  mc_pool_large_alloc(p, 2 * MiB, &b);
  fake_now = 100;
  mc_pool_large_free(p, a);
  fake_now = 900;
  mc_pool_large_free(p, b);
  fake_now = 1099;
  assert_int_equal(mc_pool_decay(p), 0);
  fake_now = 1100;
  assert_int_equal(mc_pool_decay(p), MiB);
  assert_int_equal(stats(p).reserved, 2 * MiB);
  fake_now = 1900;
  assert_int_equal(mc_pool_decay(p), 2 * MiB);
  assert_int_equal(stats(p).reserved, 0);
  assert_int_equal(stats(p).decayed, 3 * MiB);
  mc_pool_destroy(p);
}

static void count_leak(void *arg, size_t size, uint64_t tag) {
  size_t *total = arg;
  *total += size;
}

static void test_collected_regions_report_leaks(void **state) {
  mc_pool *p = make_pool(64 * MiB);
  uint64_t t1, t2, t3;
  int st;
  small_alloc(p, 10, &t1, &st);  /* one class (16 B): one slab */
  small_alloc(p, 12, &t2, &st);
  small_alloc(p, 14, &t3, &st);
  mc_pool_free_tag(p, t2, NULL);
  mc_pool_region *slab, *big;
  assert_int_equal(mc_pool_lookup(p, t1, &slab, NULL), MC_POOL_OK);
  size_t leaked = 0;
  mc_pool_slab_dying(p, slab);
  assert_int_equal(mc_pool_region_collected(p, mc_pool_region_id(slab), mc_pool_region_gen(slab), 1, count_leak, &leaked), 2);
  assert_int_equal(leaked, 24);
  assert_int_equal(stats(p).leaks, 2);
  assert_int_equal(stats(p).frees, 1);  /* reclaimed leaks are not frees */
  assert_int_equal(stats(p).live, 0);
  assert_int_equal(stats(p).slabs, 0);
  assert_int_equal(stats(p).in_use, 0);
  /* A large region: a stale generation is ignored, the right one leaks. */
  mc_pool_large_alloc(p, MiB, &big);
  uint32_t id = mc_pool_region_id(big), gen = mc_pool_region_gen(big);
  assert_int_equal(mc_pool_region_collected(p, id, gen + 1, 1, count_leak, &leaked), 0);
  assert_int_equal(mc_pool_region_collected(p, id, gen, 1, count_leak, &leaked), 1);
  assert_int_equal(leaked, 24 + MiB);
  assert_int_equal(mc_pool_region_collected(p, id, gen, 1, count_leak, &leaked), 0);
  assert_int_equal(stats(p).leaked_bytes, 24 + MiB);
  mc_pool_destroy(p);
}

/* ---- lifetime and tickets ------------------------------------------------------ */

static int handed_over;
static void count_handed_over(void *arg, mc_pool_ticket *t) {
  assert_true(mc_pool_ticket_is_dead(t));
  assert_ptr_equal(mc_pool_ticket_pool(t), arg);
  handed_over++;
}

static void test_tickets_keep_the_pool_alive_after_close(void **state) {
  mc_pool *p = make_pool(64 * MiB);
  mc_pool_region *big, *slab;
  uint64_t tag;
  int st;
  assert_int_equal(mc_pool_large_alloc(p, MiB, &big), MC_POOL_OK);
  small_alloc(p, 10, &tag, &st);
  assert_int_equal(mc_pool_lookup(p, tag, &slab, NULL), MC_POOL_OK);
  mc_pool_ticket *tb = mc_pool_ticket_new(p, big);
  mc_pool_ticket *ts = mc_pool_ticket_new(p, slab);
  assert_ptr_equal(mc_pool_region_ticket(big), tb);
  assert_ptr_equal(mc_pool_region_ticket(slab), ts);
  mc_pool_retain(p);  /* like the binding's thread-safe function */
  handed_over = 0;
  mc_pool_close(p, count_handed_over, p);
  assert_int_equal(handed_over, 2);
  assert_true(mc_pool_is_closed(p));
  assert_int_equal(stats(p).mapped, 0);
  assert_int_equal(stats(p).reserved, 0);
  /* Closed: tickets finalize without touching memory, nothing leaks. */
  assert_int_equal(mc_pool_ticket_collected(ts, 1, count_leak, NULL), 0);
  assert_int_equal(stats(p).leaks, 0);
  assert_int_equal(mc_pool_handle_gone(p), 0);
  assert_int_equal(mc_pool_ticket_free(ts), 0);
  assert_int_equal(mc_pool_release(p), 0);
  assert_int_equal(mc_pool_ticket_free(tb), 1);  /* the last reference */
}

static void test_collected_ticket_reports_its_region_leaks(void **state) {
  mc_pool *p = make_pool(64 * MiB);
  mc_pool_region *big;
  assert_int_equal(mc_pool_large_alloc(p, MiB, &big), MC_POOL_OK);
  mc_pool_ticket *t = mc_pool_ticket_new(p, big);
  mc_pool_ticket_set_ref(t, &t);
  mc_pool_ticket_set_bytes(t, 7);
  assert_ptr_equal(mc_pool_ticket_ref(t), &t);
  assert_int_equal(mc_pool_ticket_bytes(t), 7);
  size_t leaked = 0;
  assert_int_equal(mc_pool_ticket_collected(t, 1, count_leak, &leaked), 1);
  assert_int_equal(leaked, MiB);
  assert_null(mc_pool_region_ticket(big));
  assert_true(mc_pool_ticket_is_dead(t));
  /* A second finalization of the same ticket is a no-op. */
  assert_int_equal(mc_pool_ticket_collected(t, 1, count_leak, &leaked), 0);
  assert_int_equal(stats(p).leaks, 1);
  assert_int_equal(stats(p).live, 0);
  assert_int_equal(mc_pool_ticket_free(t), 0);
  assert_int_equal(mc_pool_handle_gone(p), 1);
}

static void test_disowned_ticket_leaves_the_next_incarnation_alone(void **state) {
  mc_pool *p = make_pool(64 * MiB);
  mc_pool_region *r, *again;
  assert_int_equal(mc_pool_large_alloc(p, MiB, &r), MC_POOL_OK);
  uint64_t tag = mc_pool_tag(mc_pool_region_id(r), 0, mc_pool_region_gen(r));
  mc_pool_ticket *old = mc_pool_ticket_new(p, r);
  /* free(): the ticket is detached and dead, the region cached for reuse. */
  assert_ptr_equal(mc_pool_region_disown(r), old);
  assert_null(mc_pool_region_disown(r));
  assert_int_equal(mc_pool_free_tag(p, tag, NULL), MC_POOL_OK);
  assert_int_equal(mc_pool_large_alloc(p, MiB, &again), MC_POOL_OK);
  assert_ptr_equal(again, r);  /* the same region, a new incarnation */
  mc_pool_ticket *cur = mc_pool_ticket_new(p, again);
  /* The old ArrayBuffer's finalizer runs late: nothing happens to the new one. */
  size_t leaked = 0;
  assert_int_equal(mc_pool_ticket_collected(old, 1, count_leak, &leaked), 0);
  assert_int_equal(mc_pool_ticket_free(old), 0);
  assert_ptr_equal(mc_pool_region_ticket(again), cur);
  assert_int_equal(stats(p).live, 1);
  assert_int_equal(mc_pool_ticket_collected(cur, 1, count_leak, &leaked), 1);
  assert_int_equal(mc_pool_ticket_free(cur), 0);
  mc_pool_destroy(p);
}

static void test_orphaned_pool_counts_leaks_without_reporting(void **state) {
  mc_pool *p = make_pool(64 * MiB);
  mc_pool_region *big, *idle;
  assert_int_equal(mc_pool_large_alloc(p, MiB, &big), MC_POOL_OK);
  assert_int_equal(mc_pool_large_alloc(p, 2 * MiB, &idle), MC_POOL_OK);
  mc_pool_large_free(p, idle);  /* cached: idle memory */
  assert_int_equal(stats(p).reserved, 3 * MiB);
  mc_pool_ticket *t = mc_pool_ticket_new(p, big);
  assert_int_equal(mc_pool_handle_gone(p), 0);  /* the ticket keeps it */
  assert_false(mc_pool_is_closed(p));
  assert_int_equal(stats(p).reserved, MiB);  /* idle memory trimmed */
  size_t leaked = 0;
  assert_int_equal(mc_pool_ticket_collected(t, 1, count_leak, &leaked), 1);
  assert_int_equal(leaked, 0);  /* counted, not reported */
  assert_int_equal(stats(p).leaks, 1);
  assert_int_equal(mc_pool_ticket_free(t), 1);
}

/* ---- random sequences against a model ----------------------------------------------------- */

typedef struct live_alloc {
  uint64_t tag;
  unsigned char *mem;
  size_t size;
  unsigned char fill;
} live_alloc;

static size_t random_size(void) {
  switch (rand() % 4) {
    case 0: return 1 + (size_t)(rand() % 128);
    case 1: return 1 + (size_t)(rand() % MC_POOL_SMALL_MAX);
    case 2: return MC_POOL_SMALL_MAX + 1 + (size_t)(rand() % (64 * KiB));
    default: return 1 + (size_t)(rand() % (3 * MiB));
  }
}

static void check_intact(const live_alloc *a) {
  /* First, last and a middle byte: overlapping allocations would clash. */
  assert_int_equal(a->mem[0], a->fill);
  assert_int_equal(a->mem[a->size - 1], a->fill);
  assert_int_equal(a->mem[a->size / 2], a->fill);
}

static void random_sequence(size_t slice_max) {
  const size_t max = 24 * MiB;
  mc_pool *p = make_sliced_pool(max, slice_max);
  enum { CAP = 4096 };
  live_alloc *live = calloc(CAP, sizeof *live);
  uint64_t *stale = calloc(CAP, sizeof *stale);
  size_t nlive = 0, nstale = 0, in_use = 0, allocs = 0, frees = 0, failed = 0;
  srand(12345);
  for (int step = 0; step < 60000; step++) {
    int op = rand() % 10;
    if (op < 5 && nlive < CAP) {
      live_alloc a;
      int st;
      a.size = random_size();
      a.mem = any_alloc(p, a.size, &a.tag, &st);
      if (!a.mem) {
        assert_int_equal(st, MC_POOL_EXHAUSTED);
        size_t cs;
        mc_pool_class_of(a.size, &cs);
        /* Refused only when the memory that cannot be evicted (live regions,
         * non-empty slabs) leaves no room for the region it needs. */
        size_t need = mc_pool_is_sliced(p, a.size) ? mc_pool_slab_size(p, cs) : cs;
        assert_true(cs > max || stats(p).reserved + need > max);
        failed++;
      } else {
        a.fill = (unsigned char)(rand() | 1);
        memset(a.mem, a.fill, a.size);
        live[nlive++] = a;
        in_use += a.size;
        allocs++;
      }
    } else if (op < 9 && nlive > 0) {
      size_t i = (size_t)rand() % nlive;
      check_intact(&live[i]);
      size_t size = 0;
      assert_int_equal(mc_pool_free_tag(p, live[i].tag, &size), MC_POOL_OK);
      assert_int_equal(size, live[i].size);
      in_use -= live[i].size;
      frees++;
      if (nstale < CAP) stale[nstale++] = live[i].tag;
      live[i] = live[--nlive];
    } else if (nstale > 0) {
      /* A stale tag never frees anything, even after its memory was reused. */
      uint64_t t = stale[(size_t)rand() % nstale];
      int st = mc_pool_free_tag(p, t, NULL);
      assert_true(st == MC_POOL_FREED || st == MC_POOL_FOREIGN);
    } else if (rand() % 50 == 0) {
      mc_pool_trim(p);
    }
    mc_pool_stats s = stats(p);
    assert_true(s.reserved <= max);
    assert_int_equal(s.in_use, in_use);
    assert_int_equal(s.live, nlive);
    assert_int_equal(s.allocs, allocs);
    assert_int_equal(s.frees, frees);
    assert_int_equal(s.failed, failed);
  }
  for (size_t i = 0; i < nlive; i++) {
    check_intact(&live[i]);
    assert_int_equal(mc_pool_free_tag(p, live[i].tag, NULL), MC_POOL_OK);
  }
  mc_pool_trim(p);
  assert_int_equal(stats(p).in_use, 0);
  assert_int_equal(stats(p).reserved, 0);
  free(live);
  free(stale);
  mc_pool_destroy(p);
}

static void test_random_sequence_matches_model(void **state) {
  random_sequence(MC_POOL_SMALL_MAX);
}

static void test_random_sequence_with_medium_slabs(void **state) {
  random_sequence(MC_POOL_SLICE_LIMIT);
}

static void test_random_sequence_without_slabs(void **state) {
  random_sequence(0);
}

static void test_unmapped_mode_releases_regions_on_free(void **state) {
  mc_pool_config cfg = {0};
  cfg.max_bytes = 4 * MiB;
  cfg.use_mmap = 0;  /* the owner supplies memory (V8's, in the fallback) */
  mc_pool *p = mc_pool_create(&cfg);
  mc_pool_region *r;
  assert_int_equal(mc_pool_large_alloc(p, MiB, &r), MC_POOL_OK);
  assert_null(mc_pool_region_base(r));
  assert_int_equal(stats(p).reserved, MiB);
  mc_pool_large_free(p, r);
  assert_int_equal(stats(p).reserved, 0);
  assert_int_equal(stats(p).regions, 0);
  mc_pool_destroy(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_classes_are_finer_than_powers_of_two),
      cmocka_unit_test(test_slots_come_from_one_slab_and_are_reused_lifo),
      cmocka_unit_test(test_full_slab_moves_to_a_new_one),
      cmocka_unit_test(test_foreign_tags_are_refused),
      cmocka_unit_test(test_slice_max_is_a_class_size_and_medium_slabs_work),
      cmocka_unit_test(test_slabs_shrink_to_fit_a_small_budget),
      cmocka_unit_test(test_large_regions_are_reused),
      cmocka_unit_test(test_zero_fill_clears_reused_memory),
      cmocka_unit_test(test_budget_is_never_exceeded),
      cmocka_unit_test(test_empty_slabs_are_purged_for_room),
      cmocka_unit_test(test_trim_releases_idle_memory),
      cmocka_unit_test(test_decay_releases_only_old_idle_memory),
      cmocka_unit_test(test_collected_regions_report_leaks),
      cmocka_unit_test(test_tickets_keep_the_pool_alive_after_close),
      cmocka_unit_test(test_collected_ticket_reports_its_region_leaks),
      cmocka_unit_test(test_disowned_ticket_leaves_the_next_incarnation_alone),
      cmocka_unit_test(test_orphaned_pool_counts_leaks_without_reporting),
      cmocka_unit_test(test_random_sequence_matches_model),
      cmocka_unit_test(test_random_sequence_with_medium_slabs),
      cmocka_unit_test(test_random_sequence_without_slabs),
      cmocka_unit_test(test_unmapped_mode_releases_regions_on_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
