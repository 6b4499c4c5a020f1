/* Fuzz target for the cache core: the input is a stream of operations on a
 * small cache (tight bounds, a collision-heavy hash mask, ttl with a clock the
 * input advances). After every operation the structural invariants are
 * checked: counts, byte bound, both iteration directions, that every
 * listed entry is found by its key, and mc_cache_verify. Every policy (lru,
 * fifo, sieve), on the heap or in a region. Built as a libFuzzer target when clang
 * supports it, else driven by random inputs (see run-cache.sh). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cache.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void check(mc_cache *c, uint64_t now) {
  mc_cache_stats st;
  mc_cache_get_stats(c, &st);
  const mc_cache_config *cfg = mc_cache_config_of(c);
  if (cfg->max_bytes) CHECK(st.bytes <= cfg->max_bytes);
  if (cfg->max_entries) CHECK(st.entries <= cfg->max_entries);
  uint64_t n = 0, bytes = 0;
  for (uint32_t r = mc_cache_first(c, MC_CACHE_NEWEST_FIRST); r;
       r = mc_cache_next(c, r, MC_CACHE_NEWEST_FIRST)) {
    mc_cache_view v;
    mc_cache_view_of(c, r, &v);
    CHECK(mc_cache_find(c, v.key, v.klen) == r);
    bytes += mc_cache_charge(c, v.klen, v.vlen, v.expires_at != 0,
                                   v.expires_at != 0 && v.ttl != cfg->ttl_ms);
    CHECK(++n <= st.entries);
  }
  CHECK(n == st.entries);
  CHECK(bytes == st.bytes);
  uint64_t back = 0;
  for (uint32_t r = mc_cache_first(c, MC_CACHE_OLDEST_FIRST); r;
       r = mc_cache_next(c, r, MC_CACHE_OLDEST_FIRST))
    back++;
  CHECK(back == n);
  CHECK(mc_cache_verify(c) == 0);
  (void)now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.policy = (data[0] & 1) + ((data[0] >> 7) & 1); /* lru, fifo (2 ways), sieve */
  cfg.max_entries = (data[0] >> 1) & 1 ? 1 + data[1] % 32 : 0;
  cfg.max_bytes = (data[0] >> 2) & 1 ? 64 + (size_t)data[2] * 16 : 0;
  cfg.ttl_ms = (data[0] >> 3) & 1 ? data[3] % 50 : 0;
  cfg.update_age_on_get = (data[0] >> 4) & 1;
  cfg.hash_mask = (data[0] >> 5) & 1 ? 0xC0000000u : 0;
  cfg.seed[0] = 1;
  mc_cache *c;
  /* a region when the input asks for one and gives a byte bound */
  void *mem = NULL;
  if (cfg.max_bytes && (data[2] & 1)) {
    size_t rsize = mc_cache_region_size(&cfg);
    CHECK(rsize > 0);
    mem = aligned_alloc(64, (rsize + 63) & ~(size_t)63);
    CHECK(mem && mc_cache_region_init(mem, rsize, &cfg) == MC_CACHE_OK);
    CHECK(mc_cache_region_attach(mem, rsize, &c) == MC_CACHE_OK);
  } else {
    CHECK(mc_cache_create(&cfg, &c) == MC_CACHE_OK);
  }
  mc_cache_log_enable(c, (data[0] >> 6) & 1);
  uint64_t now = 1;
  size_t i = 4;
  static uint8_t val[5000];
  while (i + 3 <= size) {
    uint8_t op = data[i], k = data[i + 1], arg = data[i + 2];
    i += 3;
    uint8_t key[3] = {'k', (uint8_t)(k % 40), (uint8_t)(k & 0x80)};
    size_t kl = 1 + (k % 3);
    mc_cache_view v;
    switch (op % 9) {
      case 0: case 1: {
        size_t vl = op & 0x80 ? (size_t)arg * 19 : arg % 64;
        memset(val, arg, vl);
        uint64_t ttl = (op & 0x40) ? (uint64_t)(arg % 30) : MC_CACHE_TTL_DEFAULT;
        int r = mc_cache_set(c, key, kl, val, vl, arg & 15, ttl, now);
        CHECK(r == MC_CACHE_OK || r == MC_CACHE_ETOOLARGE);
        break;
      }
      case 2: case 3:
        if (mc_cache_get(c, key, kl, now, (op >> 4) & 15, &v) != MC_CACHE_MISS && v.vlen)
          CHECK(v.val[0] == v.val[v.vlen - 1]);
        break;
      case 4: mc_cache_delete(c, key, kl, now); break;
      case 5: mc_cache_pop(c, now, &v); break;
      case 6: now += arg % 20; break;
      case 7: mc_cache_purge_stale(c, now, arg % 4); break;
      default:
        if (arg == 0) mc_cache_clear(c);
        mc_cache_log_reset(c);
        if (arg == 1 || arg == 2) {
          /* repair of an intact cache keeps every entry */
          uint64_t before = mc_cache_size(c), dropped = 1;
          CHECK(mc_cache_repair(c, &dropped) == (long)before && dropped == 0);
        } else if (mem) {
          /* a lock-free read agrees with a peek */
          static uint8_t buf[5000];
          mc_cache_copy cp;
          int r = mc_cache_read_copy(c, key, kl, now, buf, sizeof buf, &cp);
          if (r != MC_CACHE_RETRY) {
            int p = mc_cache_get(c, key, kl, now, MC_CACHE_PEEK | MC_CACHE_NO_STATS | MC_CACHE_KEEP_STALE, &v);
            CHECK((r == MC_CACHE_HIT) == (p == MC_CACHE_HIT));
            if (r == MC_CACHE_HIT) CHECK(cp.vlen == v.vlen && cp.tag == v.tag && memcmp(buf, v.val, v.vlen) == 0);
          }
        }
        break;
    }
    check(c, now);
  }
  mc_cache_destroy(c);
  free(mem);
  return 0;
}

#ifdef MC_FUZZ_DRIVER
/* Without libFuzzer: run random inputs for the given number of seconds. */
#include <stdio.h>
#include <time.h>
int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 5;
  uint64_t x = (uint64_t)time(NULL) | 1;
  static uint8_t buf[4096];
  time_t end = time(NULL) + (time_t)secs;
  long runs = 0;
  while (time(NULL) < end) {
    size_t n = 4 + (size_t)(x % sizeof buf - 4);
    for (size_t i = 0; i < n; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      buf[i] = (uint8_t)x;
    }
    LLVMFuzzerTestOneInput(buf, n);
    runs++;
  }
  printf("fuzz_cache: %ld random inputs, no failure\n", runs);
  return 0;
}
#endif
