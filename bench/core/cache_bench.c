/* Microbenchmark of the cache core alone (no Node): random gets on hits over
 * n entries, and sets that evict. For A/B runs of src/core/cache.c, and for
 * callgrind (instruction and simulated cache-miss counts, which a busy
 * machine does not change). Figures from a loaded machine are not results.
 *
 *   cc -O2 -D_GNU_SOURCE -Isrc bench/core/cache_bench.c src/core/cache.c -o cache_bench
 *   ./cache_bench [n=100000] [ops=2000000] [klen=16] [vlen=100] [policy=lru|fifo|sieve] [get|set]
 *   valgrind --tool=callgrind --cache-sim=yes ./cache_bench 100000 200000
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cache.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static void make_key(uint8_t *k, size_t klen, uint64_t i) {
  /* printable, distinct in the first 16 bytes, padded for long keys */
  char head[32];
  int n = snprintf(head, sizeof head, "key:%011llu", (unsigned long long)i);
  for (size_t j = 0; j < klen; j++) k[j] = j < (size_t)n ? (uint8_t)head[j] : (uint8_t)('a' + j % 26);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
  size_t ops = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;
  size_t klen = argc > 3 ? strtoull(argv[3], NULL, 10) : 16;
  size_t vlen = argc > 4 ? strtoull(argv[4], NULL, 10) : 100;
  const char *pol = argc > 5 ? argv[5] : "lru";
  const char *mode = argc > 6 ? argv[6] : "get";
  if (klen < 16) klen = 16;
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.policy = strcmp(pol, "fifo") == 0 ? 1 : strcmp(pol, "sieve") == 0 ? 2 : 0;
  cfg.max_entries = n;
  mc_cache *c;
  if (mc_cache_create(&cfg, &c) != 0) {
    fprintf(stderr, "create failed (policy %s)\n", pol);
    return 1;
  }
  uint8_t *keys = malloc(n * klen), *val = malloc(vlen);
  memset(val, 'v', vlen);
  for (size_t i = 0; i < n; i++) {
    make_key(keys + i * klen, klen, i);
    mc_cache_set(c, keys + i * klen, klen, val, vlen, 0, MC_CACHE_TTL_DEFAULT, 0);
  }
  uint32_t *order = malloc(ops * sizeof *order);
  for (size_t i = 0; i < ops; i++) order[i] = (uint32_t)(next() % n);
  size_t hits = 0, sum = 0;
  double t0 = now_s();
  if (strcmp(mode, "set") == 0) {
    /* every set is a new key and evicts one */
    uint8_t *k = malloc(klen);
    for (size_t i = 0; i < ops; i++) {
      make_key(k, klen, n + i);
      hits += mc_cache_set(c, k, klen, val, vlen, 0, MC_CACHE_TTL_DEFAULT, 0) == 0;
    }
    free(k);
  } else {
    for (size_t i = 0; i < ops; i++) {
      mc_cache_view v;
      if (mc_cache_get(c, keys + (size_t)order[i] * klen, klen, 0, 0, &v) == MC_CACHE_HIT) {
        hits++;
        sum += v.val[v.vlen - 1];
      }
    }
  }
  double dt = now_s() - t0;
  mc_cache_stats st;
  mc_cache_get_stats(c, &st);
  printf("%s %s n=%zu klen=%zu vlen=%zu ops=%zu: %.1f ns/op, ok=%zu (sum %zu), "
         "total_bytes %.1f MB (%.1f B/entry beyond key+value)\n",
         mode, pol, n, klen, vlen, ops, dt * 1e9 / (double)ops, hits, sum,
         (double)st.total_bytes / 1e6,
         ((double)st.total_bytes - (double)st.entries * (double)(klen + vlen)) / (double)st.entries);
  mc_cache_destroy(c);
  free(keys);
  free(val);
  free(order);
  return 0;
}
