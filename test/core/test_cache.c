#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cache.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

#define TTL_DEF MC_CACHE_TTL_DEFAULT

static mc_cache *make(int policy, uint64_t max_entries, uint64_t max_bytes, uint64_t ttl) {
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.policy = policy;
  cfg.max_entries = max_entries;
  cfg.max_bytes = max_bytes;
  cfg.ttl_ms = ttl;
  mc_cache *c = NULL;
  assert_int_equal(mc_cache_create(&cfg, &c), MC_CACHE_OK);
  assert_non_null(c);
  return c;
}

static int set_s(mc_cache *c, const char *k, const char *v) {
  return mc_cache_set(c, k, strlen(k), v, strlen(v), 0, TTL_DEF, 0);
}

static int set_t(mc_cache *c, const char *k, const char *v, uint64_t ttl, uint64_t now) {
  return mc_cache_set(c, k, strlen(k), v, strlen(v), 0, ttl, now);
}

/* Returns the value as a static string ("" + NULL on miss). */
static const char *get_s(mc_cache *c, const char *k, uint64_t now, int flags) {
  static char buf[4096];
  mc_cache_view v;
  int r = mc_cache_get(c, k, strlen(k), now, flags, &v);
  if (r == MC_CACHE_MISS) return NULL;
  assert_true(v.vlen < sizeof buf);
  memcpy(buf, v.val, v.vlen);
  buf[v.vlen] = 0;
  return buf;
}

/* Keys in the given order joined by ',' */
static const char *order(mc_cache *c, int dir) {
  static char buf[4096];
  size_t n = 0;
  buf[0] = 0;
  for (uint32_t r = mc_cache_first(c, dir); r; r = mc_cache_next(c, r, dir)) {
    mc_cache_view v;
    mc_cache_view_of(c, r, &v);
    if (n) buf[n++] = ',';
    memcpy(buf + n, v.key, v.klen);
    n += v.klen;
    buf[n] = 0;
  }
  return buf;
}

static mc_cache_stats stats(mc_cache *c) {
  mc_cache_stats s;
  mc_cache_get_stats(c, &s);
  return s;
}

static void test_set_get_delete_and_counters(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 10, 0, 0);
  assert_null(get_s(c, "a", 0, 0));
  assert_int_equal(set_s(c, "a", "1"), MC_CACHE_OK);
  assert_int_equal(set_s(c, "b", "22"), MC_CACHE_OK);
  assert_string_equal(get_s(c, "a", 0, 0), "1");
  assert_string_equal(get_s(c, "b", 0, 0), "22");
  assert_int_equal(set_s(c, "a", "333"), MC_CACHE_OK);
  assert_string_equal(get_s(c, "a", 0, 0), "333");
  assert_int_equal(mc_cache_delete(c, "a", 1, 0), 1);
  assert_int_equal(mc_cache_delete(c, "a", 1, 0), 0);
  assert_null(get_s(c, "a", 0, 0));
  mc_cache_stats s = stats(c);
  assert_int_equal(s.hits, 3);
  assert_int_equal(s.misses, 2);
  assert_int_equal(s.sets, 3);
  assert_int_equal(s.deletes, 1);
  assert_int_equal(s.entries, 1);
  assert_int_equal(s.bytes, mc_cache_entry_charge(1, 2, 0, 0));
  mc_cache_destroy(c);
}

static void test_empty_keys_values_and_tags(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 10, 0, 0);
  assert_int_equal(mc_cache_set(c, "", 0, "", 0, 15, TTL_DEF, 0), MC_CACHE_OK);
  mc_cache_view v;
  assert_int_equal(mc_cache_get(c, "", 0, 0, 0, &v), MC_CACHE_HIT);
  assert_int_equal(v.klen, 0);
  assert_int_equal(v.vlen, 0);
  assert_int_equal(v.tag, 15);
  assert_int_equal(mc_cache_set(c, "x", 1, "", 0, 16, TTL_DEF, 0), MC_CACHE_EINVAL);
  /* keys with NUL bytes and shared prefixes are distinct */
  assert_int_equal(mc_cache_set(c, "a\0b", 3, "1", 1, 0, TTL_DEF, 0), MC_CACHE_OK);
  assert_int_equal(mc_cache_set(c, "a\0c", 3, "2", 1, 0, TTL_DEF, 0), MC_CACHE_OK);
  assert_int_equal(mc_cache_set(c, "a", 1, "3", 1, 0, TTL_DEF, 0), MC_CACHE_OK);
  assert_int_equal(mc_cache_get(c, "a\0b", 3, 0, 0, &v), MC_CACHE_HIT);
  assert_memory_equal(v.val, "1", 1);
  assert_int_equal(mc_cache_get(c, "a\0c", 3, 0, 0, &v), MC_CACHE_HIT);
  assert_memory_equal(v.val, "2", 1);
  mc_cache_destroy(c);
}

static void test_lru_order_and_count_eviction(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 3, 0, 0);
  set_s(c, "a", "1");
  set_s(c, "b", "2");
  set_s(c, "c", "3");
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "c,b,a");
  assert_string_equal(order(c, MC_CACHE_OLDEST_FIRST), "a,b,c");
  get_s(c, "a", 0, 0);
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "a,c,b");
  get_s(c, "b", 0, MC_CACHE_PEEK);  /* peek: no recency change */
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "a,c,b");
  set_s(c, "d", "4");               /* evicts b, the least recent */
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "d,a,c");
  set_s(c, "c", "33");              /* update refreshes under lru */
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "c,d,a");
  assert_int_equal(stats(c).evictions, 1);
  assert_int_equal(stats(c).entries, 3);
  mc_cache_destroy(c);
}

static void test_fifo_order_update_keeps_place(void **state) {
  mc_cache *c = make(MC_CACHE_FIFO, 3, 0, 0);
  set_s(c, "a", "1");
  set_s(c, "b", "2");
  set_s(c, "c", "3");
  get_s(c, "a", 0, 0);
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "c,b,a");
  set_s(c, "a", "a much longer value that needs another block");
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "c,b,a");
  assert_string_equal(get_s(c, "a", 0, 0), "a much longer value that needs another block");
  set_s(c, "d", "4");  /* drops a, the oldest inserted */
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "d,c,b");
  assert_null(get_s(c, "a", 0, 0));
  mc_cache_destroy(c);
}

static void test_byte_bound_is_exact(void **state) {
  size_t ch = mc_cache_entry_charge(2, 10, 0, 0);
  mc_cache *c = make(MC_CACHE_LRU, 0, ch * 5, 0);
  char k[16];
  for (int i = 0; i < 5; i++) {
    snprintf(k, sizeof k, "k%d", i);
    assert_int_equal(set_s(c, k, "0123456789"), MC_CACHE_OK);
  }
  assert_int_equal(stats(c).bytes, ch * 5);
  assert_int_equal(stats(c).evictions, 0);  /* exactly full is allowed */
  assert_int_equal(set_s(c, "k5", "0123456789"), MC_CACHE_OK);
  assert_int_equal(stats(c).evictions, 1);
  assert_int_equal(stats(c).bytes, ch * 5);
  assert_null(get_s(c, "k0", 0, 0));
  /* a bigger value evicts as many as needed, oldest first */
  char big[101];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  size_t bch = mc_cache_entry_charge(2, strlen(big), 0, 0);
  assert_int_equal(set_s(c, "k6", big), MC_CACHE_OK);
  assert_true(bch > 2 * ch && bch + ch <= ch * 5);
  assert_int_equal(stats(c).entries, 1 + (ch * 5 - bch) / ch);
  assert_int_equal(stats(c).bytes, bch + ch * (stats(c).entries - 1));
  assert_null(get_s(c, "k1", 0, 0));
  assert_string_equal(get_s(c, "k5", 0, 0), "0123456789");
  mc_cache_destroy(c);
}

static void test_too_large_changes_nothing(void **state) {
  size_t ch = mc_cache_entry_charge(1, 10, 0, 0);
  mc_cache *c = make(MC_CACHE_LRU, 0, ch * 3, 0);
  set_s(c, "a", "0123456789");
  set_s(c, "b", "0123456789");
  char big[400];
  memset(big, 'y', sizeof big - 1);
  big[sizeof big - 1] = 0;
  assert_int_equal(set_s(c, "c", big), MC_CACHE_ETOOLARGE);
  assert_int_equal(set_s(c, "a", big), MC_CACHE_ETOOLARGE);  /* update refused too */
  assert_int_equal(stats(c).entries, 2);
  assert_int_equal(stats(c).evictions, 0);
  assert_string_equal(get_s(c, "a", 0, 0), "0123456789");
  /* the largest entry that fits empties the rest and stays */
  size_t fit = ch * 3 - mc_cache_entry_charge(1, 0, 0, 0);
  char *v = malloc(fit + 1);
  size_t len = fit;
  while (mc_cache_entry_charge(1, len, 0, 0) > ch * 3) len--;
  memset(v, 'z', len);
  v[len] = 0;
  assert_int_equal(set_s(c, "d", v), MC_CACHE_OK);
  assert_int_equal(stats(c).entries, 1);
  assert_int_equal(stats(c).bytes, mc_cache_entry_charge(1, len, 0, 0));
  free(v);
  mc_cache_destroy(c);
}

static void test_update_under_byte_bound_keeps_entry(void **state) {
  size_t ch = mc_cache_entry_charge(1, 8, 0, 0);
  for (int policy = 0; policy < 2; policy++) {
    mc_cache *c = make(policy, 0, ch * 4, 0);
    set_s(c, "a", "aaaaaaaa");
    set_s(c, "b", "bbbbbbbb");
    set_s(c, "c", "cccccccc");
    set_s(c, "d", "dddddddd");
    /* grow the oldest entry (a) past what is free: others go, a stays */
    char v[40];
    memset(v, 'A', 39);
    v[39] = 0;
    assert_int_equal(set_s(c, "a", v), MC_CACHE_OK);
    assert_string_equal(get_s(c, "a", 0, MC_CACHE_PEEK), v);
    assert_true(stats(c).bytes <= ch * 4);
    assert_true(stats(c).evictions >= 1);
    mc_cache_destroy(c);
  }
}

static void test_ttl_default_and_per_entry(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 100, 0, 100);
  assert_true(mc_cache_uses_ttl(c));
  set_t(c, "a", "1", TTL_DEF, 1000);  /* expires after 1100 */
  set_t(c, "b", "2", 500, 1000);      /* own ttl */
  set_t(c, "c", "3", 0, 1000);        /* never */
  assert_string_equal(get_s(c, "a", 1100, 0), "1");
  assert_null(get_s(c, "a", 1101, 0));
  assert_int_equal(stats(c).expirations, 1);
  assert_string_equal(get_s(c, "b", 1500, 0), "2");
  assert_null(get_s(c, "b", 1501, 0));
  assert_string_equal(get_s(c, "c", 999999999, 0), "3");
  mc_cache_view v;
  assert_int_equal(mc_cache_get(c, "c", 1, 5000, MC_CACHE_PEEK, &v), MC_CACHE_HIT);
  assert_int_equal(v.expires_at, 0);
  assert_int_equal(v.ttl, 0);
  set_t(c, "d", "4", 250, 2000);
  assert_int_equal(mc_cache_get(c, "d", 1, 2000, MC_CACHE_PEEK, &v), MC_CACHE_HIT);
  assert_int_equal(v.ttl, 250);
  assert_int_equal(v.expires_at, 2250);
  mc_cache_destroy(c);
}

static void test_ttl_without_default(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 100, 0, 0);
  assert_false(mc_cache_uses_ttl(c));
  set_t(c, "a", "1", 10, 50);
  assert_true(mc_cache_uses_ttl(c));
  assert_string_equal(get_s(c, "a", 60, 0), "1");
  assert_null(get_s(c, "a", 61, 0));
  assert_false(mc_cache_uses_ttl(c));
  mc_cache_destroy(c);
}

static void test_update_age_on_get(void **state) {
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.max_entries = 10;
  cfg.ttl_ms = 100;
  cfg.update_age_on_get = 1;
  mc_cache *c;
  assert_int_equal(mc_cache_create(&cfg, &c), MC_CACHE_OK);
  set_t(c, "a", "1", TTL_DEF, 0);
  assert_string_equal(get_s(c, "a", 90, 0), "1");   /* now expires at 190 */
  assert_string_equal(get_s(c, "a", 180, 0), "1");  /* 280 */
  assert_string_equal(get_s(c, "a", 270, MC_CACHE_PEEK), "1");  /* peek: no update */
  assert_null(get_s(c, "a", 281, 0));
  mc_cache_destroy(c);
}

static void test_stale_reads(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 10, 0, 10);
  set_t(c, "a", "1", TTL_DEF, 0);
  mc_cache_view v;
  /* KEEP_STALE: reported absent, entry kept */
  assert_int_equal(mc_cache_get(c, "a", 1, 20, MC_CACHE_PEEK | MC_CACHE_KEEP_STALE, &v), MC_CACHE_MISS);
  assert_int_equal(stats(c).entries, 1);
  /* ALLOW_STALE: returned once, then gone */
  assert_int_equal(mc_cache_get(c, "a", 1, 20, MC_CACHE_ALLOW_STALE, &v), MC_CACHE_STALE);
  assert_int_equal(v.vlen, 1);
  assert_memory_equal(v.val, "1", 1);
  assert_int_equal(stats(c).entries, 0);
  assert_int_equal(mc_cache_get(c, "a", 1, 20, MC_CACHE_ALLOW_STALE, &v), MC_CACHE_MISS);
  /* delete of an expired entry reports absent and counts an expiration */
  set_t(c, "b", "2", TTL_DEF, 0);
  assert_int_equal(mc_cache_delete(c, "b", 1, 100), 0);
  assert_int_equal(stats(c).expirations, 2);
  mc_cache_destroy(c);
}

static void test_sweep_is_bounded_and_complete(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 0, 0, 10);
  char k[16];
  for (int i = 0; i < 100; i++) {
    snprintf(k, sizeof k, "k%d", i);
    set_t(c, k, "v", TTL_DEF, 0);
  }
  /* one write after expiry examines only a few entries */
  set_t(c, "x", "v", 0, 100);
  uint64_t after_one = stats(c).expirations;
  assert_true(after_one >= 1 && after_one <= 4);
  /* enough writes remove all of them without any reads */
  for (int i = 0; i < 40; i++) set_t(c, "x", "v", 0, 100);
  assert_int_equal(stats(c).expirations, 100);
  assert_int_equal(stats(c).entries, 1);
  /* purge_stale removes everything expired at once */
  for (int i = 0; i < 10; i++) {
    snprintf(k, sizeof k, "p%d", i);
    set_t(c, k, "v", 5, 200);
  }
  assert_int_equal(mc_cache_purge_stale(c, 300, 0), 10);
  assert_int_equal(stats(c).entries, 1);
  mc_cache_destroy(c);
}

static void test_expired_entry_is_evicted_as_expiration(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 2, 0, 0);
  mc_cache_log_enable(c, 1);
  set_t(c, "a", "1", 5, 0);
  set_t(c, "b", "2", 0, 0);
  set_t(c, "c", "3", 0, 100);  /* a is the oldest, already expired */
  size_t pos = 0;
  int reason = 0;
  mc_cache_view v;
  int found_a = 0;
  while (mc_cache_log_read(c, &pos, &reason, &v))
    if (v.klen == 1 && v.key[0] == 'a') found_a = reason;
  assert_int_equal(found_a, MC_CACHE_EXPIRE);
  assert_int_equal(stats(c).evictions, 0);
  assert_int_equal(stats(c).expirations, 1);
  mc_cache_destroy(c);
}

static void test_eviction_log(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 2, 0, 0);
  mc_cache_log_enable(c, 1);
  set_s(c, "a", "1");
  set_s(c, "b", "22");
  assert_int_equal(mc_cache_log_count(c), 0);
  mc_cache_set(c, "c", 1, "333", 3, 7, TTL_DEF, 0);
  mc_cache_set(c, "d", 1, "4444", 4, 7, TTL_DEF, 0);
  assert_int_equal(mc_cache_log_count(c), 2);
  size_t pos = 0;
  int reason;
  mc_cache_view v;
  assert_true(mc_cache_log_read(c, &pos, &reason, &v));
  assert_int_equal(reason, MC_CACHE_EVICT);
  assert_memory_equal(v.key, "a", 1);
  assert_int_equal(v.vlen, 1);
  assert_memory_equal(v.val, "1", 1);
  assert_true(mc_cache_log_read(c, &pos, &reason, &v));
  assert_memory_equal(v.key, "b", 1);
  assert_memory_equal(v.val, "22", 2);
  assert_false(mc_cache_log_read(c, &pos, &reason, &v));
  mc_cache_log_reset(c);
  assert_int_equal(mc_cache_log_count(c), 0);
  /* explicit deletes are not logged */
  mc_cache_delete(c, "c", 1, 0);
  assert_int_equal(mc_cache_log_count(c), 0);
  mc_cache_destroy(c);
}

static void test_pop_clear_find(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 10, 0, 0);
  set_s(c, "a", "1");
  set_s(c, "b", "2");
  set_s(c, "c", "3");
  get_s(c, "a", 0, 0);
  mc_cache_view v;
  assert_int_equal(mc_cache_pop(c, 0, &v), 1);
  assert_memory_equal(v.key, "b", 1);
  assert_memory_equal(v.val, "2", 1);
  assert_int_equal(stats(c).entries, 2);
  assert_int_not_equal(mc_cache_find(c, "a", 1), 0);
  assert_int_equal(mc_cache_find(c, "b", 1), 0);
  mc_cache_clear(c);
  assert_int_equal(stats(c).entries, 0);
  assert_int_equal(stats(c).bytes, 0);
  assert_int_equal(mc_cache_pop(c, 0, &v), 0);
  assert_int_equal(mc_cache_first(c, 0), 0);
  set_s(c, "z", "26");
  assert_string_equal(get_s(c, "z", 0, 0), "26");
  mc_cache_destroy(c);
}

static void test_large_values_and_reuse(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 8, 0, 0);
  size_t sizes[] = {5000, 12000, 4097, 70000, 9000};
  char *buf = malloc(70000);
  char k[16];
  for (int round = 0; round < 200; round++) {
    size_t n = sizes[round % 5];
    memset(buf, 'a' + round % 26, n);
    snprintf(k, sizeof k, "k%d", round);
    assert_int_equal(mc_cache_set(c, k, strlen(k), buf, n, 0, TTL_DEF, 0), MC_CACHE_OK);
    mc_cache_view v;
    assert_int_equal(mc_cache_get(c, k, strlen(k), 0, 0, &v), MC_CACHE_HIT);
    assert_int_equal(v.vlen, n);
    assert_true(v.val[0] == 'a' + round % 26 && v.val[n - 1] == 'a' + round % 26);
  }
  /* steady state: freed blocks are reused, the arena stays near live size */
  mc_cache_stats s = stats(c);
  assert_true(s.arena_bytes < 3 * s.bytes);
  free(buf);
  mc_cache_destroy(c);
}

/* 400k entries: the index grows many times and moves from malloc to its own
 * mapping (>= 4 MiB); clear gives it back. */
static void test_many_entries_grow_index(void **state) {
  mc_cache *c = make(MC_CACHE_LRU, 0, 0, 0);
  char k[16];
  const int n = 400000;
  for (int i = 0; i < n; i++) {
    snprintf(k, sizeof k, "%d", i);
    assert_int_equal(mc_cache_set(c, k, strlen(k), &i, sizeof i, 0, TTL_DEF, 0), MC_CACHE_OK);
  }
  for (int i = 0; i < n; i += 7) {
    snprintf(k, sizeof k, "%d", i);
    mc_cache_view v;
    assert_int_equal(mc_cache_get(c, k, strlen(k), 0, i % 2 ? MC_CACHE_PEEK : 0, &v), MC_CACHE_HIT);
    int got;
    memcpy(&got, v.val, sizeof got);
    assert_int_equal(got, i);
  }
  mc_cache_stats s = stats(c);
  assert_int_equal(s.entries, n);
  /* index slots: 8 B each, load <= 3/4 */
  assert_true(s.index_bytes >= (uint64_t)n * 4 / 3 * 8);
  assert_int_equal(mc_cache_verify(c), 0);
  mc_cache_clear(c);
  assert_true(stats(c).total_bytes < 64 * 1024);
  assert_int_equal(mc_cache_verify(c), 0);
  for (int i = 0; i < 1000; i++) {
    snprintf(k, sizeof k, "%d", i);
    assert_int_equal(mc_cache_set(c, k, strlen(k), &i, sizeof i, 0, TTL_DEF, 0), MC_CACHE_OK);
  }
  assert_int_equal(mc_cache_verify(c), 0);
  mc_cache_destroy(c);
}

static void test_hash_is_seeded(void **state) {
  uint64_t k1[2] = {1, 2}, k2[2] = {1, 3};
  uint64_t a = mc_cache_siphash13(k1, "hello", 5);
  assert_int_equal(a, mc_cache_siphash13(k1, "hello", 5));
  assert_int_not_equal(a, mc_cache_siphash13(k2, "hello", 5));
  assert_int_not_equal(a, mc_cache_siphash13(k1, "hellp", 5));
  /* every length through two blocks hashes differently from its prefix */
  uint8_t buf[20] = {0};
  for (size_t n = 1; n < sizeof buf; n++)
    assert_int_not_equal(mc_cache_siphash13(k1, buf, n), mc_cache_siphash13(k1, buf, n - 1));
}

static void test_bad_config(void **state) {
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.policy = 7;
  mc_cache *c = (mc_cache *)1;
  assert_int_equal(mc_cache_create(&cfg, &c), MC_CACHE_EINVAL);
  assert_null(c);
  cfg.policy = MC_CACHE_LRU;
  cfg.ttl_ms = MC_CACHE_TTL_MAX + 1;
  assert_int_equal(mc_cache_create(&cfg, &c), MC_CACHE_EINVAL);
  assert_int_equal(mc_cache_create(NULL, &c), MC_CACHE_EINVAL);
}

/* ---- random operations against a reference model ------------------------ */

typedef struct {
  int live;
  char key[24];
  size_t klen;
  uint8_t *val;
  size_t vlen;
  unsigned tag;
  uint64_t stamp;   /* recency (lru) or insertion (fifo, sieve) order */
  int visited;      /* sieve */
} m_entry;

typedef struct {
  int policy;
  uint64_t max_entries, max_bytes, bytes, clock;
  size_t n, cap;
  m_entry *e;
  uint64_t evictions;
  uint64_t hand;    /* sieve: the hand is the first live entry with stamp >= hand; 0 = the oldest */
  const mc_cache *c; /* what an entry is charged depends on its mode (mc_cache_charge) */
} model;

static m_entry *m_find(model *m, const char *k, size_t kl) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->e[i].live && m->e[i].klen == kl && memcmp(m->e[i].key, k, kl) == 0) return &m->e[i];
  return NULL;
}

static m_entry *m_oldest(model *m, const m_entry *skip) {
  m_entry *best = NULL;
  for (size_t i = 0; i < m->cap; i++)
    if (m->e[i].live && &m->e[i] != skip && (!best || m->e[i].stamp < best->stamp)) best = &m->e[i];
  return best;
}

/* The live entry inserted (or, under lru, used) right after x, or NULL. */
static m_entry *m_newer(model *m, const m_entry *x) {
  m_entry *best = NULL;
  for (size_t i = 0; i < m->cap; i++)
    if (m->e[i].live && m->e[i].stamp > x->stamp && (!best || m->e[i].stamp < best->stamp))
      best = &m->e[i];
  return best;
}

static m_entry *m_hand(model *m) {
  if (!m->hand) return m_oldest(m, NULL);
  m_entry *best = NULL;
  for (size_t i = 0; i < m->cap; i++)
    if (m->e[i].live && m->e[i].stamp >= m->hand && (!best || m->e[i].stamp < best->stamp))
      best = &m->e[i];
  return best ? best : m_oldest(m, NULL);
}

/* SIEVE as the paper states it, over the model's insertion order. */
static m_entry *m_sieve_victim(model *m, const m_entry *skip) {
  m_entry *h = m_hand(m);
  for (uint64_t steps = 0; h && steps <= 2 * (uint64_t)m->n + 2; steps++) {
    if (h != skip) {
      if (!h->visited) {
        m->hand = h->stamp;
        return h;
      }
      h->visited = 0;
    }
    m_entry *n = m_newer(m, h);
    m->hand = n ? n->stamp : 0;
    h = n ? n : m_oldest(m, NULL);
  }
  return NULL;
}

static m_entry *m_victim(model *m, const m_entry *skip) {
  return m->policy == MC_CACHE_SIEVE ? m_sieve_victim(m, skip) : m_oldest(m, skip);
}

static void m_touch(model *m, m_entry *x) {
  if (m->policy == MC_CACHE_LRU) x->stamp = ++m->clock;
  if (m->policy == MC_CACHE_SIEVE) x->visited = 1;
}

static size_t m_charge(const model *m, const m_entry *x) {
  return mc_cache_charge(m->c, x->klen, x->vlen, 0, 0);
}

static void m_remove(model *m, m_entry *x) {
  if (m->policy == MC_CACHE_SIEVE && m->hand && x == m_hand(m)) {
    m_entry *n = m_newer(m, x);
    m->hand = n ? n->stamp : 0;
  }
  m->bytes -= m_charge(m, x);
  free(x->val);
  x->val = NULL;
  x->live = 0;
  m->n--;
}

static int m_set(model *m, const char *k, size_t kl, const uint8_t *v, size_t vl, unsigned tag) {
  size_t charge = mc_cache_charge(m->c, kl, vl, 0, 0);
  if (m->max_bytes && charge > m->max_bytes) return MC_CACHE_ETOOLARGE;
  m_entry *x = m_find(m, k, kl);
  if (x) {
    m_touch(m, x);
    size_t old = m_charge(m, x);
    while (m->max_bytes && m->bytes - old + charge > m->max_bytes) {
      m_entry *o = m_victim(m, x);
      if (!o) break;
      m_remove(m, o);
      m->evictions++;
    }
    free(x->val);
    x->val = malloc(vl ? vl : 1);
    memcpy(x->val, v, vl);
    x->vlen = vl;
    x->tag = tag;
    m->bytes = m->bytes - old + charge;
    return MC_CACHE_OK;
  }
  while (m->max_entries && m->n >= m->max_entries) {
    m_remove(m, m_victim(m, NULL));
    m->evictions++;
  }
  while (m->max_bytes && m->bytes + charge > m->max_bytes) {
    m_remove(m, m_victim(m, NULL));
    m->evictions++;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (m->e[i].live) continue;
    x = &m->e[i];
    x->live = 1;
    memcpy(x->key, k, kl);
    x->klen = kl;
    x->val = malloc(vl ? vl : 1);
    memcpy(x->val, v, vl);
    x->vlen = vl;
    x->tag = tag;
    x->stamp = ++m->clock;
    x->visited = 0;
    m->n++;
    m->bytes += charge;
    return MC_CACHE_OK;
  }
  fail_msg("model full");
  return -1;
}

static void check_order(mc_cache *c, model *m) {
  /* newest first in the cache == descending stamps in the model */
  uint64_t last = UINT64_MAX;
  size_t count = 0;
  for (uint32_t r = mc_cache_first(c, MC_CACHE_NEWEST_FIRST); r;
       r = mc_cache_next(c, r, MC_CACHE_NEWEST_FIRST)) {
    mc_cache_view v;
    mc_cache_view_of(c, r, &v);
    m_entry *x = m_find(m, (const char *)v.key, v.klen);
    assert_non_null(x);
    assert_true(x->stamp < last);
    last = x->stamp;
    assert_int_equal(v.vlen, x->vlen);
    assert_memory_equal(v.val, x->val, x->vlen);
    assert_int_equal(v.tag, x->tag);
    count++;
  }
  assert_int_equal(count, m->n);
  /* and the other direction visits the same entries */
  size_t back = 0;
  for (uint32_t r = mc_cache_first(c, MC_CACHE_OLDEST_FIRST); r;
       r = mc_cache_next(c, r, MC_CACHE_OLDEST_FIRST))
    back++;
  assert_int_equal(back, m->n);
}

static uint64_t rng_state;
static uint32_t rnd(void) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(rng_state >> 33);
}

/* region: run on a region handle (max_bytes is then required and sizes it). */
static void run_model_in(int region, int policy, uint64_t max_entries, uint64_t max_bytes,
                         uint32_t hash_mask, int keyspace, int ops, uint64_t seed) {
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.policy = policy;
  cfg.max_entries = max_entries;
  cfg.max_bytes = max_bytes;
  cfg.hash_mask = hash_mask;
  mc_cache *c;
  void *mem = NULL;
  if (region) {
    size_t size = mc_cache_region_size(&cfg);
    assert_true(size > 0);
    mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
    assert_non_null(mem);
    assert_int_equal(mc_cache_region_init(mem, size, &cfg), MC_CACHE_OK);
    assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
  } else {
    assert_int_equal(mc_cache_create(&cfg, &c), MC_CACHE_OK);
  }
  model m = {0};
  m.c = c;
  m.policy = policy;
  m.max_entries = max_entries;
  m.max_bytes = max_bytes;
  m.cap = (size_t)keyspace + 1;
  m.e = calloc(m.cap, sizeof *m.e);
  rng_state = seed;
  uint8_t val[6000];
  for (int op = 0; op < ops; op++) {
    char k[24];
    size_t kl = (size_t)snprintf(k, sizeof k, "key-%u", rnd() % (uint32_t)keyspace);
    uint32_t what = rnd() % 100;
    if (what < 45) {
      size_t vl = rnd() % 8 == 0 ? rnd() % 6000 : rnd() % 200;
      for (size_t i = 0; i < vl; i++) val[i] = (uint8_t)rnd();
      unsigned tag = rnd() % 16;
      int want = m_set(&m, k, kl, val, vl, tag);
      assert_int_equal(mc_cache_set(c, k, kl, val, vl, tag, TTL_DEF, 0), want);
    } else if (what < 75) {
      int peek = what >= 70;
      mc_cache_view v;
      int r = mc_cache_get(c, k, kl, 0, peek ? MC_CACHE_PEEK : 0, &v);
      m_entry *x = m_find(&m, k, kl);
      assert_int_equal(r, x ? MC_CACHE_HIT : MC_CACHE_MISS);
      if (x) {
        assert_int_equal(v.vlen, x->vlen);
        assert_memory_equal(v.val, x->val, x->vlen);
        if (!peek) m_touch(&m, x);
      }
    } else if (what < 90) {
      m_entry *x = m_find(&m, k, kl);
      assert_int_equal(mc_cache_delete(c, k, kl, 0), x ? 1 : 0);
      if (x) m_remove(&m, x);
    } else if (what < 97) {
      mc_cache_view v;
      m_entry *x = m_victim(&m, NULL);
      assert_int_equal(mc_cache_pop(c, 0, &v), x ? 1 : 0);
      if (x) {
        assert_int_equal(v.klen, x->klen);
        assert_memory_equal(v.key, x->key, x->klen);
        m_remove(&m, x);
      }
    } else if (what < 98) {
      mc_cache_clear(c);
      for (size_t i = 0; i < m.cap; i++)
        if (m.e[i].live) m_remove(&m, &m.e[i]);
      m.hand = 0;
    } else {
      check_order(c, &m);
    }
    mc_cache_stats s = stats(c);
    assert_int_equal(s.entries, m.n);
    assert_int_equal(s.bytes, m.bytes);
    assert_int_equal(s.evictions, m.evictions);
    if (max_bytes) assert_true(s.bytes <= max_bytes);
    if (max_entries) assert_true(s.entries <= max_entries);
    if (op % 7 == 0) assert_int_equal(mc_cache_verify(c), 0);
  }
  check_order(c, &m);
  assert_int_equal(mc_cache_verify(c), 0);
  for (size_t i = 0; i < m.cap; i++) free(m.e[i].val);
  free(m.e);
  mc_cache_destroy(c);
  free(mem);
}

static void run_model(int policy, uint64_t max_entries, uint64_t max_bytes, uint32_t hash_mask,
                      int keyspace, int ops, uint64_t seed) {
  run_model_in(0, policy, max_entries, max_bytes, hash_mask, keyspace, ops, seed);
}

static void test_model_lru_count(void **state) { run_model(MC_CACHE_LRU, 50, 0, 0, 120, 30000, 1); }
static void test_model_fifo_count(void **state) { run_model(MC_CACHE_FIFO, 50, 0, 0, 120, 30000, 2); }
static void test_model_lru_bytes(void **state) { run_model(MC_CACHE_LRU, 0, 20000, 0, 200, 30000, 3); }
static void test_model_fifo_bytes(void **state) { run_model(MC_CACHE_FIFO, 0, 20000, 0, 200, 30000, 4); }
static void test_model_both_bounds(void **state) { run_model(MC_CACHE_LRU, 40, 15000, 0, 150, 30000, 5); }
static void test_model_sieve(void **state) {
  run_model(MC_CACHE_SIEVE, 50, 0, 0, 120, 30000, 11);
  run_model(MC_CACHE_SIEVE, 0, 20000, 0, 200, 30000, 12);
  run_model(MC_CACHE_SIEVE, 40, 15000, 0, 150, 30000, 13);
  run_model(MC_CACHE_SIEVE, 0, 30000, 0x00000001u, 100, 20000, 14);
}
/* Long sequences, every policy, both bounds. */
static void test_model_long_every_policy(void **state) {
  for (int p = MC_CACHE_LRU; p <= MC_CACHE_SIEVE; p++) {
    run_model(p, 300, 0, 0, 700, 120000, 20 + (uint64_t)p);
    run_model(p, 0, 60000, 0, 500, 120000, 30 + (uint64_t)p);
  }
}
/* The same model on a region handle (count bound; the region's byte bound is
 * set high enough that it never evicts, so the model stays exact). */
static void test_model_region_every_policy(void **state) {
  for (int p = MC_CACHE_LRU; p <= MC_CACHE_SIEVE; p++) {
    run_model_in(1, p, 50, 4u << 20, 0, 120, 30000, 40 + (uint64_t)p);
    run_model_in(1, p, 60, 4u << 20, 0xE0000000u, 150, 20000, 50 + (uint64_t)p);
  }
}
/* Collision-heavy: only 2 (then 8) distinct hash values, so every probe
 * sequence is long and backward-shift deletion is exercised constantly. */
static void test_model_collisions(void **state) {
  run_model(MC_CACHE_LRU, 0, 0, 0x80000000u, 100, 20000, 6);
  run_model(MC_CACHE_FIFO, 60, 0, 0xE0000000u, 150, 20000, 7);
  run_model(MC_CACHE_LRU, 0, 30000, 0x00000001u, 100, 20000, 8);
}

/* ---- SIEVE behaviour ----------------------------------------------------- */

static void test_sieve_visited_hand_wrap(void **state) {
  mc_cache *c = make(MC_CACHE_SIEVE, 3, 0, 0);
  set_s(c, "a", "1");
  set_s(c, "b", "2");
  set_s(c, "c", "3");
  get_s(c, "a", 0, 0);                 /* a visited */
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "c,b,a"); /* hits do not move */
  set_s(c, "d", "4");                  /* hand: a visited -> cleared, b evicted */
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "d,c,a");
  set_s(c, "e", "5");                  /* hand was after b: c unvisited -> evicted */
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "e,d,a");
  get_s(c, "d", 0, 0);
  get_s(c, "b", 0, MC_CACHE_PEEK);     /* a miss; peeks never set the bit anyway */
  set_s(c, "f", "6");                  /* hand at d: visited -> cleared; e evicted */
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "f,d,a");
  assert_int_equal(stats(c).evictions, 3);
  mc_cache_destroy(c);

  /* wrap: every entry visited; the hand clears them all, passes the newest,
   * wraps to the oldest and evicts it */
  c = make(MC_CACHE_SIEVE, 2, 0, 0);
  set_s(c, "a", "1");
  set_s(c, "b", "2");
  get_s(c, "a", 0, 0);
  get_s(c, "b", 0, 0);
  set_s(c, "c", "3");
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "c,b");
  /* b's bit was cleared on the way: it goes next, not c */
  set_s(c, "d", "4");
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "d,c");
  /* an update counts as a visit and keeps the insertion place */
  set_s(c, "c", "33");
  set_s(c, "e", "5");
  assert_string_equal(order(c, MC_CACHE_NEWEST_FIRST), "e,c");
  /* pop removes what eviction would */
  mc_cache_view v;
  get_s(c, "e", 0, 0);
  assert_int_equal(mc_cache_pop(c, 0, &v), 1);
  assert_memory_equal(v.key, "c", 1);
  assert_int_equal(mc_cache_verify(c), 0);
  mc_cache_destroy(c);
}

/* Scan resistance, the reason to pick SIEVE: a hot set read between scans of
 * one-time keys (each scan shorter than the cache) mostly survives under
 * SIEVE, while LRU lets every scan push part of it out. */
static void test_sieve_keeps_hot_set_through_scans(void **state) {
  int hits[3] = {0, 0, 0};
  for (int p = MC_CACHE_LRU; p <= MC_CACHE_SIEVE; p++) {
    mc_cache *c = make(p, 100, 0, 0);
    char k[32];
    for (int i = 0; i < 50; i++) {
      snprintf(k, sizeof k, "hot%d", i);
      set_s(c, k, "h");
      get_s(c, k, 0, 0);
    }
    for (int round = 0; round < 40; round++) {
      for (int i = 0; i < 60; i++) {
        snprintf(k, sizeof k, "scan%d-%d", round, i);
        set_s(c, k, "s");
      }
      for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof k, "hot%d", i);
        if (get_s(c, k, 0, 0)) hits[p]++;
        else set_s(c, k, "h");
      }
    }
    assert_int_equal(mc_cache_verify(c), 0);
    mc_cache_destroy(c);
  }
  print_message("hot-set hits over 40 rounds of 50: lru %d, fifo %d, sieve %d\n", hits[0], hits[1],
                hits[2]);
  assert_true(hits[MC_CACHE_SIEVE] > hits[MC_CACHE_LRU]);
  assert_true(hits[MC_CACHE_SIEVE] >= 40 * 50 * 9 / 10);
}

/* ---- region mode --------------------------------------------------------- */

static mc_cache_config region_cfg(int policy, uint64_t max_entries, uint64_t max_bytes) {
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.policy = policy;
  cfg.max_entries = max_entries;
  cfg.max_bytes = max_bytes;
  return cfg;
}

static void *region_new(const mc_cache_config *cfg, size_t *size) {
  *size = mc_cache_region_size(cfg);
  assert_true(*size > 0);
  void *mem = aligned_alloc(64, *size);
  assert_non_null(mem);
  memset(mem, 0xA5, *size); /* init must not rely on zeroed memory */
  assert_int_equal(mc_cache_region_init(mem, *size, cfg), MC_CACHE_OK);
  return mem;
}

/* mc_cache_read_copy: what a lock-free read may answer, and when it must
 * defer to the locked path. */
static void test_region_read_copy_rules(void **state) {
  (void)state;
  for (int policy = MC_CACHE_LRU; policy <= MC_CACHE_SIEVE; policy++) {
    mc_cache_config cfg = region_cfg(policy, 0, 64 * 1024);
    size_t size;
    void *mem = region_new(&cfg, &size);
    mc_cache *c;
    assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
    char buf[64];
    mc_cache_copy cp;
    assert_int_equal(mc_cache_set(c, "k", 1, "value", 5, 3, MC_CACHE_TTL_DEFAULT, 1), 0);
    assert_int_equal(mc_cache_set(c, "short", 5, "0123456789", 10, 0, 50, 1), 0);
    int r = mc_cache_read_copy(c, "k", 1, 1, buf, sizeof buf, &cp);
    if (policy == MC_CACHE_LRU) {
      assert_int_equal(r, MC_CACHE_RETRY); /* a hit relinks: never lock-free */
    } else {
      if (policy == MC_CACHE_SIEVE) {
        assert_int_equal(r, MC_CACHE_RETRY); /* the visited bit must be set first */
        mc_cache_view v;
        assert_int_equal(mc_cache_get(c, "k", 1, 1, 0, &v), MC_CACHE_HIT);
        r = mc_cache_read_copy(c, "k", 1, 1, buf, sizeof buf, &cp);
      }
      assert_int_equal(r, MC_CACHE_HIT);
      assert_int_equal(cp.vlen, 5);
      assert_int_equal(cp.tag, 3);
      assert_memory_equal(buf, "value", 5);
      assert_int_equal(mc_cache_read_copy(c, "nope", 4, 1, buf, sizeof buf, &cp), MC_CACHE_MISS);
      assert_int_equal(mc_cache_read_copy(c, "k", 1, 1, buf, 4, &cp), MC_CACHE_RETRY); /* too long */
      mc_cache_view v;
      assert_int_equal(mc_cache_get(c, "short", 5, 2, 0, &v), MC_CACHE_HIT);
      assert_int_equal(mc_cache_read_copy(c, "short", 5, 2, buf, sizeof buf, &cp), MC_CACHE_HIT);
      /* expired: the locked path removes it */
      assert_int_equal(mc_cache_read_copy(c, "short", 5, 100, buf, sizeof buf, &cp), MC_CACHE_RETRY);
    }
    mc_cache_stats st;
    mc_cache_get_stats(c, &st);
    assert_int_equal(mc_cache_verify(c), 0);
    mc_cache_region_detach(c);
    free(mem);
  }
  /* a heap cache has no lock-free reads */
  mc_cache *h = make(MC_CACHE_FIFO, 0, 0, 0);
  char buf[8];
  mc_cache_copy cp;
  assert_int_equal(mc_cache_read_copy(h, "k", 1, 1, buf, sizeof buf, &cp), MC_CACHE_RETRY);
  mc_cache_destroy(h);
}

/* A reader that runs while a set is half done (from the set's SET_VALUE hook,
 * as another process would): the entry being rewritten reads BUSY, never a
 * torn value. An in-place rewrite (same key, same block size) leaves the
 * region's structural seqlock alone, so other keys stay readable lock-free;
 * a set that inserts is structural, so every read waits. */
static struct {
  const mc_cache *c;
  int calls;
  int self, other; /* what the hooked reads answered */
  char other_val[16];
} midset;

static void read_during_set(int point) {
  if (point != MC_CACHE_HOOK_SET_VALUE) return;
  char buf[64];
  mc_cache_copy cp;
  midset.calls++;
  midset.self = mc_cache_read_copy(midset.c, "hot", 3, 1, buf, sizeof buf, &cp);
  midset.other = mc_cache_read_copy(midset.c, "cold", 4, 1, buf, sizeof buf, &cp);
  if (midset.other == MC_CACHE_HIT) memcpy(midset.other_val, buf, cp.vlen < 16 ? cp.vlen : 15);
}

static void test_region_read_during_set(void **state) {
  (void)state;
  mc_cache_config cfg = region_cfg(MC_CACHE_FIFO, 0, 64 * 1024);
  size_t size;
  void *mem = region_new(&cfg, &size);
  mc_cache *c;
  assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
  assert_int_equal(mc_cache_set(c, "hot", 3, "aaaaaaaa", 8, 0, MC_CACHE_TTL_DEFAULT, 1), 0);
  assert_int_equal(mc_cache_set(c, "cold", 4, "cold-val", 8, 0, MC_CACHE_TTL_DEFAULT, 1), 0);
  memset(&midset, 0, sizeof midset);
  midset.c = c;
  mc_cache_set_test_hook(read_during_set);
  /* in place: same key, same size */
  assert_int_equal(mc_cache_set(c, "hot", 3, "bbbbbbbb", 8, 0, MC_CACHE_TTL_DEFAULT, 1), 0);
  assert_int_equal(midset.calls, 1);
  assert_int_equal(midset.self, MC_CACHE_BUSY);
  assert_int_equal(midset.other, MC_CACHE_HIT);
  assert_memory_equal(midset.other_val, "cold-val", 8);
  /* a new block (the value grew by a unit): structural */
  assert_int_equal(mc_cache_set(c, "hot", 3, "cccccccccccccccc", 16, 0, MC_CACHE_TTL_DEFAULT, 1), 0);
  assert_int_equal(midset.calls, 2);
  assert_int_equal(midset.self, MC_CACHE_BUSY);
  assert_int_equal(midset.other, MC_CACHE_BUSY);
  /* an insert: structural */
  assert_int_equal(mc_cache_set(c, "new", 3, "x", 1, 0, MC_CACHE_TTL_DEFAULT, 1), 0);
  assert_int_equal(midset.calls, 3);
  assert_int_equal(midset.other, MC_CACHE_BUSY);
  mc_cache_set_test_hook(NULL);
  /* afterwards both seqlocks are even again: every value reads whole */
  char buf[64];
  mc_cache_copy cp;
  assert_int_equal(mc_cache_read_copy(c, "hot", 3, 1, buf, sizeof buf, &cp), MC_CACHE_HIT);
  assert_int_equal(cp.vlen, 16);
  assert_memory_equal(buf, "cccccccccccccccc", 16);
  assert_int_equal(mc_cache_read_copy(c, "cold", 4, 1, buf, sizeof buf, &cp), MC_CACHE_HIT);
  assert_int_equal(mc_cache_verify(c), 0);
  mc_cache_region_detach(c);
  free(mem);
}

static int kill_at_point, kill_after; /* defined with kill_hook, below */
static void kill_hook(int point);

/* A writer killed in the middle of an in-place rewrite leaves no flag, only
 * the entry's odd version: verify fails on it, repair drops that entry and
 * keeps the others. */
static void test_region_killed_mid_rewrite(void **state) {
  (void)state;
  mc_cache_config cfg = region_cfg(MC_CACHE_SIEVE, 0, 16 * 1024);
  size_t size = mc_cache_region_size(&cfg);
  uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  assert_true(mem != MAP_FAILED);
  for (int point = MC_CACHE_HOOK_SET_WRITTEN; point <= MC_CACHE_HOOK_SET_VALUE; point += 3) {
    assert_int_equal(mc_cache_region_init(mem, size, &cfg), MC_CACHE_OK);
    mc_cache *c;
    assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
    set_s(c, "cold", "whole");
    set_s(c, "hot", "v0000");
    mc_cache_region_detach(c);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      if (mc_cache_region_attach(mem, size, &c) != MC_CACHE_OK) _exit(2);
      kill_at_point = point;
      kill_after = 50;
      mc_cache_set_test_hook(kill_hook);
      char v[8];
      for (int i = 0; i < 1000; i++) {
        snprintf(v, sizeof v, "v%04d", i % 10000);
        mc_cache_set(c, "hot", 3, v, 5, 0, TTL_DEF, 0); /* same size: in place */
      }
      _exit(3);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
    assert_false(mc_cache_mutating(c));
    assert_int_not_equal(mc_cache_verify(c), 0);
    char buf[16];
    mc_cache_copy cp;
    assert_int_equal(mc_cache_read_copy(c, "hot", 3, 0, buf, sizeof buf, &cp), MC_CACHE_BUSY);
    uint64_t dropped = 0;
    assert_int_equal(mc_cache_repair(c, &dropped), 1);
    assert_int_equal(dropped, 1);
    assert_int_equal(mc_cache_verify(c), 0);
    assert_null(get_s(c, "hot", 0, 0));
    assert_string_equal(get_s(c, "cold", 0, 0), "whole");
    mc_cache_region_detach(c);
  }
  munmap(mem, size);
}

/* In-place sets are counted in the handle until MC_CACHE_SETS_FLUSH of them,
 * its next structural change, or mc_cache_flush_counts: its own stats count
 * them at once, another handle's when they are added. */
static void test_region_in_place_set_counts(void **state) {
  (void)state;
  mc_cache_config cfg = region_cfg(MC_CACHE_FIFO, 0, 64 * 1024);
  size_t size;
  void *mem = region_new(&cfg, &size);
  mc_cache *a, *b;
  assert_int_equal(mc_cache_region_attach(mem, size, &a), MC_CACHE_OK);
  assert_int_equal(mc_cache_region_attach(mem, size, &b), MC_CACHE_OK);
  set_s(a, "k", "v0");
  for (int i = 0; i < 10; i++) set_s(a, "k", "v1"); /* in place */
  assert_int_equal(stats(a).sets, 11);
  assert_int_equal(stats(b).sets, 1);
  assert_int_equal(mc_cache_pending_counts(a), 10);
  set_s(a, "other", "x"); /* structural: adds the pending ones */
  assert_int_equal(stats(b).sets, 12);
  for (unsigned i = 0; i < MC_CACHE_SETS_FLUSH; i++) set_s(a, "k", "v2");
  assert_int_equal(stats(b).sets, 12 + MC_CACHE_SETS_FLUSH);
  set_s(a, "k", "v3");
  assert_int_equal(mc_cache_pending_counts(a), 1);
  mc_cache_flush_counts(a);
  assert_int_equal(stats(b).sets, 13 + MC_CACHE_SETS_FLUSH);
  assert_int_equal(stats(a).sets, stats(b).sets);
  mc_cache_region_detach(a);
  mc_cache_region_detach(b);
  free(mem);
}

/* A lock-free read meets whatever a writer in another process left half
 * done: over random garbage in the state, the index and the arena it must
 * stay inside the region (ASan) and return. */
static void test_region_read_copy_on_garbage(void **state) {
  (void)state;
  mc_cache_config cfg = region_cfg(MC_CACHE_SIEVE, 0, 32 * 1024);
  size_t size;
  void *mem = region_new(&cfg, &size);
  mc_cache *c;
  assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
  char k[16], buf[256];
  for (int i = 0; i < 200; i++) {
    snprintf(k, sizeof k, "k%d", i);
    mc_cache_set(c, k, strlen(k), buf, (size_t)(i % 50), 0, MC_CACHE_TTL_DEFAULT, 1);
    mc_cache_view v;
    mc_cache_get(c, k, strlen(k), 1, 0, &v);
  }
  uint64_t x = 0x2545F4914F6CDD1DULL;
  size_t head = 512; /* keep the immutable head: attach checked it */
  for (int round = 0; round < 2000; round++) {
    for (int j = 0; j < 64; j++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t off = head + (size_t)(x % (size - head));
      ((uint8_t *)mem)[off] = (uint8_t)(x >> 40);
    }
    for (int i = 0; i < 20; i++) {
      snprintf(k, sizeof k, "k%d", (int)((x >> 8) % 250) + i);
      mc_cache_copy cp;
      int r = mc_cache_read_copy(c, k, strlen(k), 1, buf, sizeof buf, &cp);
      assert_true(r == MC_CACHE_HIT || r == MC_CACHE_MISS || r == MC_CACHE_RETRY || r == MC_CACHE_BUSY);
      if (r == MC_CACHE_HIT) assert_true(cp.vlen <= sizeof buf);
    }
  }
  mc_cache_region_detach(c);
  free(mem);
}

static void test_region_basic_operations(void **state) {
  mc_cache_config cfg = region_cfg(MC_CACHE_LRU, 0, 64 * 1024);
  cfg.ttl_ms = 100;
  size_t size;
  void *mem = region_new(&cfg, &size);
  mc_cache *c;
  assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
  assert_true(mc_cache_is_region(c));
  assert_false(mc_cache_mutating(c));
  assert_int_equal(mc_cache_verify(c), 0);
  mc_cache_log_enable(c, 1); /* no log in region mode: ignored */
  char k[16], val[200];
  memset(val, 'v', sizeof val);
  for (int i = 0; i < 2000; i++) {
    snprintf(k, sizeof k, "k%d", i);
    assert_int_equal(mc_cache_set(c, k, strlen(k), val, (size_t)i % 200, 0, TTL_DEF, 1), MC_CACHE_OK);
  }
  assert_int_equal(mc_cache_log_count(c), 0);
  mc_cache_stats st = stats(c);
  assert_true(st.evictions > 0);
  assert_true(st.bytes <= cfg.max_bytes);
  assert_int_equal(st.total_bytes, size);
  assert_int_equal(mc_cache_verify(c), 0);
  assert_int_equal(strlen(get_s(c, "k1999", 1, 0)), 1999 % 200);
  mc_cache_view v;
  assert_int_equal(mc_cache_get(c, "k1998", 5, 1, 0, &v), MC_CACHE_HIT);
  assert_int_equal(v.vlen, 1998 % 200);
  assert_int_equal(v.expires_at, 101);
  assert_int_equal(mc_cache_delete(c, "k1998", 5, 1), 1);
  assert_int_equal(mc_cache_pop(c, 1, &v), 1);
  assert_int_equal(order(c, MC_CACHE_NEWEST_FIRST)[0], 'k');
  assert_true(mc_cache_purge_stale(c, 1000, 0) > 0); /* every entry expired */
  assert_int_equal(mc_cache_size(c), 0);
  assert_int_equal(mc_cache_verify(c), 0);
  set_s(c, "x", "1");
  mc_cache_clear(c);
  assert_int_equal(mc_cache_size(c), 0);
  assert_int_equal(mc_cache_verify(c), 0);
  /* the largest entry a region takes is bounded by max_bytes */
  char *big = calloc(1, 70 * 1024);
  assert_int_equal(mc_cache_set(c, "big", 3, big, 70 * 1024, 0, TTL_DEF, 1), MC_CACHE_ETOOLARGE);
  assert_int_equal(mc_cache_set(c, "big", 3, big, 50 * 1024, 0, TTL_DEF, 1), MC_CACHE_OK);
  /* fragmentation: many small, then large values in a full region */
  for (int i = 0; i < 3000; i++) {
    snprintf(k, sizeof k, "f%d", i);
    size_t vl = i % 3 ? 8 : 5000 + (size_t)(i % 7) * 1000;
    assert_int_equal(mc_cache_set(c, k, strlen(k), big, vl, 0, TTL_DEF, 1), MC_CACHE_OK);
    assert_true(stats(c).bytes <= cfg.max_bytes);
  }
  assert_int_equal(mc_cache_verify(c), 0);
  free(big);
  mc_cache_region_detach(c);
  free(mem);
}

static void test_region_config_and_sizes(void **state) {
  mc_cache_config cfg = region_cfg(MC_CACHE_FIFO, 0, 0);
  assert_int_equal(mc_cache_region_size(&cfg), 0); /* max_bytes is required */
  char buf[128] __attribute__((aligned(64)));
  assert_int_equal(mc_cache_region_init(buf, sizeof buf, &cfg), MC_CACHE_EINVAL);
  cfg.max_bytes = 1 << 20;
  size_t whole = mc_cache_region_size(&cfg);
  cfg.max_entries = 1000;
  size_t bounded = mc_cache_region_size(&cfg);
  assert_true(bounded < whole); /* max_entries shrinks the index and nodes */
  assert_true(bounded > cfg.max_bytes);
  assert_int_equal(mc_cache_region_init(buf, sizeof buf, &cfg), MC_CACHE_EREGION); /* too small */
  cfg.policy = 9;
  assert_int_equal(mc_cache_region_size(&cfg), 0);
  void *mem = aligned_alloc(64, bounded + 64);
  cfg.policy = MC_CACHE_SIEVE;
  assert_int_equal(mc_cache_region_init((char *)mem + 8, bounded, &cfg), MC_CACHE_EINVAL);
  /* max_entries is a count bound in a region as on the heap */
  assert_int_equal(mc_cache_region_init(mem, bounded, &cfg), MC_CACHE_OK);
  mc_cache *c;
  assert_int_equal(mc_cache_region_attach(mem, bounded, &c), MC_CACHE_OK);
  char k[16];
  for (int i = 0; i < 3000; i++) {
    snprintf(k, sizeof k, "%d", i);
    set_s(c, k, "v");
  }
  assert_int_equal(mc_cache_size(c), 1000);
  assert_int_equal(mc_cache_verify(c), 0);
  mc_cache_region_detach(c);
  free(mem);
}

static void test_region_bad_regions_are_errors(void **state) {
  mc_cache_config cfg = region_cfg(MC_CACHE_LRU, 100, 32 * 1024);
  size_t size;
  uint8_t *mem = region_new(&cfg, &size);
  mc_cache *c = (mc_cache *)1;
  /* truncated */
  assert_int_equal(mc_cache_region_attach(mem, size - 64, &c), MC_CACHE_EREGION);
  assert_null(c);
  assert_int_equal(mc_cache_region_attach(mem, 16, &c), MC_CACHE_EREGION);
  /* misaligned */
  assert_int_equal(mc_cache_region_attach(mem + 8, size - 8, &c), MC_CACHE_EREGION);
  /* another layout version (the version field follows the 8-byte magic) */
  uint32_t ver;
  memcpy(&ver, mem + 8, 4);
  assert_int_equal(ver, MC_CACHE_REGION_VERSION);
  uint32_t old = ver - 1;
  memcpy(mem + 8, &old, 4);
  assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_EVERSION);
  memcpy(mem + 8, &ver, 4);
  assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
  mc_cache_region_detach(c);
  /* any header byte changed: not a region */
  for (size_t i = 0; i < 128; i++) {
    if (i >= 8 && i < 12) continue;
    mem[i] ^= 0x40;
    assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_EREGION);
    mem[i] ^= 0x40;
  }
  /* garbage everywhere */
  uint8_t *junk = aligned_alloc(64, size);
  uint64_t x = 88172645463325252ULL;
  for (size_t i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    junk[i] = (uint8_t)x;
  }
  assert_int_equal(mc_cache_region_attach(junk, size, &c), MC_CACHE_EREGION);
  memset(junk, 0, size);
  assert_int_equal(mc_cache_region_attach(junk, size, &c), MC_CACHE_EREGION);
  free(junk);
  free(mem);
}

/* A garbage state behind a valid header: verify reports it without crashing,
 * reset makes the region usable again. */
static void test_region_verify_and_reset_on_garbage(void **state) {
  mc_cache_config cfg = region_cfg(MC_CACHE_SIEVE, 0, 16 * 1024);
  size_t size;
  uint8_t *mem = region_new(&cfg, &size);
  mc_cache *c;
  assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
  char k[16];
  for (int i = 0; i < 200; i++) {
    snprintf(k, sizeof k, "k%d", i);
    set_s(c, k, "value");
    get_s(c, "k3", 0, 0);
  }
  assert_int_equal(mc_cache_verify(c), 0);
  size_t hdr = 256; /* past the head: state, index, nodes, arena */
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int trial = 0; trial < 300; trial++) {
    /* a few flipped bytes (subtle) or a smashed range (gross) */
    int gross = trial % 3 == 0;
    size_t n = gross ? 1 + trial * 7 % 4000 : 1 + trial % 4;
    for (size_t j = 0; j < n; j++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      size_t at = hdr + (gross ? (trial * 131u + j) % (size - hdr) : x % (size - hdr));
      mem[at] ^= (uint8_t)(x >> 32) | 1;
    }
    int r = mc_cache_verify(c);
    assert_true(r == 0 || r == MC_CACHE_ECORRUPT);
    if (r != 0) {
      mc_cache_reset(c);
      assert_int_equal(mc_cache_verify(c), 0);
    } else {
      /* the flip hit dead bytes (free space, slack): still usable */
      mc_cache_reset(c);
    }
    for (int i = 0; i < 50; i++) {
      snprintf(k, sizeof k, "r%d", i);
      assert_int_equal(set_s(c, k, "again"), MC_CACHE_OK);
    }
    assert_string_equal(get_s(c, "r49", 0, 0), "again");
    assert_int_equal(mc_cache_verify(c), 0);
  }
  /* targeted corruptions are each caught */
  mc_cache_stats before = stats(c);
  assert_true(before.entries > 0);
  mc_cache_reset(c);
  assert_int_equal(stats(c).sets, before.sets); /* counters survive a reset */
  mc_cache_region_detach(c);
  free(mem);
}

/* Two handles on one region mapped at two addresses (a memfd mapped twice),
 * then a child process attaching at its own address. */

static void test_region_two_mappings_and_fork(void **state) {
  mc_cache_config cfg = region_cfg(MC_CACHE_LRU, 0, 256 * 1024);
  size_t size = mc_cache_region_size(&cfg);
  int fd = memfd_create("memctl-test-region", 0);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)size), 0);
  uint8_t *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  uint8_t *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  assert_true(a != MAP_FAILED && b != MAP_FAILED && a != b);
  assert_int_equal(mc_cache_region_init(a, size, &cfg), MC_CACHE_OK);
  mc_cache *ca, *cb;
  assert_int_equal(mc_cache_region_attach(a, size, &ca), MC_CACHE_OK);
  assert_int_equal(mc_cache_region_attach(b, size, &cb), MC_CACHE_OK);
  set_s(ca, "shared", "yes");
  assert_string_equal(get_s(cb, "shared", 0, 0), "yes");
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* the child maps the region again, at yet another address */
    uint8_t *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    mc_cache *cc;
    if (m == MAP_FAILED || mc_cache_region_attach(m, size, &cc) != MC_CACHE_OK) _exit(2);
    char k[16], v[32];
    for (int i = 0; i < 1000; i++) {
      snprintf(k, sizeof k, "c%d", i);
      snprintf(v, sizeof v, "child-%d", i);
      if (mc_cache_set(cc, k, strlen(k), v, strlen(v), 1, TTL_DEF, 0) != MC_CACHE_OK) _exit(3);
    }
    mc_cache_view vw;
    if (mc_cache_get(cc, "shared", 6, 0, 0, &vw) != MC_CACHE_HIT) _exit(4);
    _exit(mc_cache_verify(cc) == 0 ? 0 : 5);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  char k[16], v[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(k, sizeof k, "c%d", i);
    snprintf(v, sizeof v, "child-%d", i);
    assert_string_equal(get_s(cb, k, 0, 0), v);
  }
  assert_int_equal(mc_cache_size(ca), 1001);
  assert_int_equal(mc_cache_verify(ca), 0);
  mc_cache_region_detach(ca);
  mc_cache_region_detach(cb);
  munmap(a, size);
  munmap(b, size);
  close(fd);
}

/* The test hook: a child is SIGKILLed at each hook point, inside a mutation;
 * the parent finds the mutating flag set, and verify + reset recover. */
static int kill_at_point, kill_after;
static void kill_hook(int point) {
  if (point == kill_at_point && --kill_after <= 0) raise(9);
}

/* A value whose every byte says its length: a half-written one (a new
 * length over old bytes, or the reverse) does not pass value_says_len. */
static size_t len_value(char *out, int i) {
  size_t n = 3 + (size_t)(i % 7);
  memset(out, 'a' + (int)n, n);
  return n;
}
static int value_says_len(const mc_cache_view *v) {
  for (size_t j = 0; j < v->vlen; j++)
    if (v->val[j] != 'a' + (int)v->vlen) return 0;
  return v->vlen >= 3 && v->vlen <= 9;
}

/* A writer killed at each mutation point, many times: repair keeps every
 * whole entry and drops at most the one being written; no value is torn. */
static void test_region_killed_mid_mutation(void **state) {
  (void)state;
  for (int policy = MC_CACHE_LRU; policy <= MC_CACHE_SIEVE; policy++) {
    mc_cache_config cfg = region_cfg(policy, 64, 16 * 1024);
    size_t size = mc_cache_region_size(&cfg);
    uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    for (int point = MC_CACHE_HOOK_SET_LINKED; point <= MC_CACHE_HOOK_SET_VALUE; point++) {
      for (int after = 30; after < 300; after += 67) {
        assert_int_equal(mc_cache_region_init(mem, size, &cfg), MC_CACHE_OK);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
          mc_cache *c;
          if (mc_cache_region_attach(mem, size, &c) != MC_CACHE_OK) _exit(2);
          kill_at_point = point;
          kill_after = after;
          mc_cache_set_test_hook(kill_hook);
          char k[16], v[16];
          for (int i = 0;; i++) {
            /* 40 hot keys (updated in place or moved) and a stream of new
             * keys (evictions) */
            if (i % 5 == 4) snprintf(k, sizeof k, "u%d", i);
            else snprintf(k, sizeof k, "k%d", i % 40);
            mc_cache_set(c, k, strlen(k), v, len_value(v, i), 0, TTL_DEF, 0);
            mc_cache_view view;
            mc_cache_get(c, k, strlen(k), 0, 0, &view);
            if (i % 3 == 0) mc_cache_delete(c, k, strlen(k), 0);
            if (i > 100000) _exit(3);
          }
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), 9);
        mc_cache *c;
        assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
        /* killed inside a change: the flag says so, or (a rewrite in place)
         * the entry's odd version fails verify */
        assert_true(mc_cache_mutating(c) || mc_cache_verify(c) != 0);
        uint64_t had = stats(c).entries, dropped = 99;
        long kept = mc_cache_repair(c, &dropped);
        assert_true(kept >= 0);
        assert_true(dropped <= 1);
        assert_true((uint64_t)kept + 1 >= had);
        assert_false(mc_cache_mutating(c));
        assert_int_equal(mc_cache_verify(c), 0);
        uint64_t seen = 0;
        for (uint32_t r = mc_cache_first(c, MC_CACHE_NEWEST_FIRST); r;
             r = mc_cache_next(c, r, MC_CACHE_NEWEST_FIRST)) {
          mc_cache_view v;
          mc_cache_view_of(c, r, &v);
          assert_true(value_says_len(&v));
          seen++;
        }
        assert_int_equal(seen, (uint64_t)kept);
        set_s(c, "after", "ok");
        assert_string_equal(get_s(c, "after", 0, 0), "ok");
        assert_int_equal(mc_cache_verify(c), 0);
        mc_cache_region_detach(c);
      }
    }
    munmap(mem, size);
  }
}

/* Repair over damage a dead writer never makes (random bytes in the state,
 * index and arena): it must not crash, and leaves a cache that verifies. */
static void test_repair_on_garbage(void **state) {
  (void)state;
  mc_cache_config cfg = region_cfg(MC_CACHE_LRU, 0, 32 * 1024);
  size_t size;
  void *mem = region_new(&cfg, &size);
  uint64_t x = 0x853c49e6748fea9bULL;
  for (int round = 0; round < 300; round++) {
    assert_int_equal(mc_cache_region_init(mem, size, &cfg), MC_CACHE_OK);
    mc_cache *c;
    assert_int_equal(mc_cache_region_attach(mem, size, &c), MC_CACHE_OK);
    char k[16], v[16];
    for (int i = 0; i < 150; i++) {
      snprintf(k, sizeof k, "k%d", i);
      mc_cache_set(c, k, strlen(k), v, len_value(v, i), 0, TTL_DEF, 0);
    }
    int hits = 1 + round % 40;
    for (int j = 0; j < hits; j++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t off = 512 + (size_t)(x % (size - 512));
      ((uint8_t *)mem)[off] = (uint8_t)(x >> 40);
    }
    uint64_t dropped;
    mc_cache_repair(c, &dropped);
    assert_int_equal(mc_cache_verify(c), 0);
    for (uint32_t r = mc_cache_first(c, MC_CACHE_OLDEST_FIRST); r;
         r = mc_cache_next(c, r, MC_CACHE_OLDEST_FIRST)) {
      mc_cache_view view;
      mc_cache_view_of(c, r, &view);
      assert_true(view.vlen <= MC_CACHE_MAX_ENTRY);
    }
    set_s(c, "after", "ok");
    assert_string_equal(get_s(c, "after", 0, 0), "ok");
    mc_cache_region_detach(c);
  }
  free(mem);
}

static void test_long_keys_hash(void **state) {
  /* keys on both sides of the long-key threshold, differing in one byte */
  mc_cache *c = make(MC_CACHE_LRU, 0, 0, 0);
  char key[5000];
  memset(key, 'q', sizeof key);
  for (size_t len = 60; len < 5000; len += 37) {
    for (size_t i = 0; i < len; i += len / 3 + 1) {
      key[i] = 'x';
      assert_int_equal(mc_cache_set(c, key, len, &i, sizeof i, 0, TTL_DEF, 0), MC_CACHE_OK);
      key[i] = 'q';
    }
  }
  for (size_t len = 60; len < 5000; len += 37) {
    for (size_t i = 0; i < len; i += len / 3 + 1) {
      key[i] = 'x';
      mc_cache_view v;
      assert_int_equal(mc_cache_get(c, key, len, 0, 0, &v), MC_CACHE_HIT);
      assert_memory_equal(v.val, &i, sizeof i);
      key[i] = 'q';
    }
    assert_int_equal(mc_cache_get(c, key, len, 0, 0, &(mc_cache_view){0}), MC_CACHE_MISS);
  }
  assert_int_equal(mc_cache_verify(c), 0);
  mc_cache_destroy(c);
}

/* Caches given one seed hash alike, and the _hashed forms are the plain
 * operations: a key set through one form is found, replaced and deleted
 * through the other, short and long keys alike, and verify agrees that every
 * entry sits where its hash says. */
static void test_hashed_forms_share_one_hash(void **state) {
  (void)state;
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.policy = MC_CACHE_SIEVE;
  cfg.seed[0] = 0x1234;
  cfg.seed[1] = 0x5678;
  mc_cache *a = NULL, *b = NULL, *other = NULL;
  assert_int_equal(mc_cache_create(&cfg, &a), MC_CACHE_OK);
  assert_int_equal(mc_cache_create(&cfg, &b), MC_CACHE_OK);
  cfg.seed[1] = 0x5679;
  assert_int_equal(mc_cache_create(&cfg, &other), MC_CACHE_OK);
  char key[300];
  memset(key, 'k', sizeof key);
  for (size_t len = 1; len <= sizeof key; len += 13) {
    uint64_t h = mc_cache_hash(a, key, len);
    assert_true(h == mc_cache_hash(b, key, len));
    assert_true(h != mc_cache_hash(other, key, len));
    assert_int_equal(mc_cache_set_hashed(a, key, len, h, &len, sizeof len, 0, TTL_DEF, 0), MC_CACHE_OK);
    mc_cache_view v;
    assert_int_equal(mc_cache_get(a, key, len, 0, 0, &v), MC_CACHE_HIT);
    assert_memory_equal(v.val, &len, sizeof len);
    size_t twice = 2 * len;
    assert_int_equal(mc_cache_set(a, key, len, &twice, sizeof twice, 0, TTL_DEF, 0), MC_CACHE_OK);
    assert_int_equal(mc_cache_get_hashed(a, key, len, h, 0, 0, &v), MC_CACHE_HIT);
    assert_memory_equal(v.val, &twice, sizeof twice);
    if (len % 2) assert_int_equal(mc_cache_delete_hashed(a, key, len, h, 0), 1);
    key[len - 1] = 'j'; /* the next key differs from this one in a byte too */
  }
  assert_int_equal(mc_cache_verify(a), 0);
  memset(key, 'k', sizeof key);
  for (size_t len = 1; len <= sizeof key; len += 13) {
    int want = len % 2 ? MC_CACHE_MISS : MC_CACHE_HIT;
    assert_int_equal(mc_cache_get(a, key, len, 0, 0, &(mc_cache_view){0}), want);
    key[len - 1] = 'j';
  }
  mc_cache_destroy(a);
  mc_cache_destroy(b);
  mc_cache_destroy(other);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_set_get_delete_and_counters),
      cmocka_unit_test(test_empty_keys_values_and_tags),
      cmocka_unit_test(test_lru_order_and_count_eviction),
      cmocka_unit_test(test_fifo_order_update_keeps_place),
      cmocka_unit_test(test_byte_bound_is_exact),
      cmocka_unit_test(test_too_large_changes_nothing),
      cmocka_unit_test(test_update_under_byte_bound_keeps_entry),
      cmocka_unit_test(test_ttl_default_and_per_entry),
      cmocka_unit_test(test_ttl_without_default),
      cmocka_unit_test(test_update_age_on_get),
      cmocka_unit_test(test_stale_reads),
      cmocka_unit_test(test_sweep_is_bounded_and_complete),
      cmocka_unit_test(test_expired_entry_is_evicted_as_expiration),
      cmocka_unit_test(test_eviction_log),
      cmocka_unit_test(test_pop_clear_find),
      cmocka_unit_test(test_large_values_and_reuse),
      cmocka_unit_test(test_many_entries_grow_index),
      cmocka_unit_test(test_hash_is_seeded),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_model_lru_count),
      cmocka_unit_test(test_model_fifo_count),
      cmocka_unit_test(test_model_lru_bytes),
      cmocka_unit_test(test_model_fifo_bytes),
      cmocka_unit_test(test_model_both_bounds),
      cmocka_unit_test(test_model_collisions),
      cmocka_unit_test(test_model_sieve),
      cmocka_unit_test(test_model_long_every_policy),
      cmocka_unit_test(test_model_region_every_policy),
      cmocka_unit_test(test_sieve_visited_hand_wrap),
      cmocka_unit_test(test_sieve_keeps_hot_set_through_scans),
      cmocka_unit_test(test_region_basic_operations),
      cmocka_unit_test(test_region_read_copy_rules),
      cmocka_unit_test(test_region_read_copy_on_garbage),
      cmocka_unit_test(test_region_read_during_set),
      cmocka_unit_test(test_region_killed_mid_rewrite),
      cmocka_unit_test(test_region_in_place_set_counts),
      cmocka_unit_test(test_region_config_and_sizes),
      cmocka_unit_test(test_region_bad_regions_are_errors),
      cmocka_unit_test(test_region_verify_and_reset_on_garbage),
      cmocka_unit_test(test_region_two_mappings_and_fork),
      cmocka_unit_test(test_region_killed_mid_mutation),
      cmocka_unit_test(test_repair_on_garbage),
      cmocka_unit_test(test_long_keys_hash),
      cmocka_unit_test(test_hashed_forms_share_one_hash),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
