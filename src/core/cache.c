/* Off-heap cache core. See cache.h for the layout and its invariants. */
#include "core/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#define UNIT 8u
#define MAX_CLASS 512u          /* exact free lists for 1..512 units (8..4096 B) */
#define CLASS_WORDS ((MAX_CLASS + 64) / 64)
#define SPLIT_MIN 4u            /* split a free block only if >= 32 B remain */
#define LARGE_LISTS (33 * 8)    /* large classes: 8 per power of two */
#define RELEASE_MIN ((size_t)256 << 10) /* free blocks this big give pages back */
#define ARENA_LIMIT ((uint64_t)UINT32_MAX * UNIT) /* refs are 32-bit units */
#define INDEX_MIN 16u
#define STAMP_MAX (((uint64_t)1 << 48) - 1)
/* The first block starts on a cache line (refs 1..7 are never used), so
 * blocks whose sizes are multiples of 64 never straddle an extra line. */
#define ARENA_START 64u

struct mc_cache {
  mc_cache_config cfg;
  uint64_t seed[2];
  /* arena: [base, base + top) handed out; ref 0 (the first unit) unused */
  uint8_t *base;
  size_t mapped;
  size_t top;
  uint32_t free_head[MAX_CLASS + 1];
  uint64_t free_bits[CLASS_WORDS];
  uint32_t large_free[LARGE_LISTS];
  /* index */
  uint64_t *slots;
  uint64_t mask;                /* nslots - 1 */
  unsigned shift;               /* 32 - log2(nslots) */
  /* recency list (refs); the sweep cursor walks from tail to head */
  uint32_t head, tail, sweep;
  uint64_t n_exp;               /* live entries with an expiry */
  /* The next eviction victim's hash, computed ahead (see prepare_eviction);
   * valid while victim_ref's block is not freed. */
  uint32_t victim_ref, victim_h32;
  mc_cache_stats st;
  /* eviction log */
  int log_on;
  uint8_t *log;
  size_t log_len, log_cap, log_count;
};

typedef struct {
  size_t klen, vlen;
  unsigned tag;
  int has_exp, own_ttl;
  size_t key_off;               /* offset of the key in the block */
  size_t units;
} meta;

/* ---- SipHash-1-3 ------------------------------------------------------- */

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

#define SIPROUND                                                   \
  do {                                                             \
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);      \
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                         \
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                         \
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);      \
  } while (0)

uint64_t mc_cache_siphash13(const uint64_t key[2], const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL;
  uint64_t v1 = key[1] ^ 0x646f72616e646f6dULL;
  uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL;
  uint64_t v3 = key[1] ^ 0x7465646279746573ULL;
  const uint8_t *end = p + (len & ~(size_t)7);
  for (; p != end; p += 8) {
    uint64_t m = load64(p);
    v3 ^= m;
    SIPROUND;
    v0 ^= m;
  }
  uint64_t b = (uint64_t)len << 56;
  switch (len & 7) {
    case 7: b |= (uint64_t)p[6] << 48; /* fall through */
    case 6: b |= (uint64_t)p[5] << 40; /* fall through */
    case 5: b |= (uint64_t)p[4] << 32; /* fall through */
    case 4: b |= (uint64_t)p[3] << 24; /* fall through */
    case 3: b |= (uint64_t)p[2] << 16; /* fall through */
    case 2: b |= (uint64_t)p[1] << 8;  /* fall through */
    case 1: b |= (uint64_t)p[0]; break;
    default: break;
  }
  v3 ^= b;
  SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUND;
  SIPROUND;
  SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

static inline uint32_t hash32(const mc_cache *c, const void *key, size_t klen) {
  uint32_t h = (uint32_t)(mc_cache_siphash13(c->seed, key, klen) >> 32);
  return c->cfg.hash_mask ? h & c->cfg.hash_mask : h;
}

/* ---- entry encoding ------------------------------------------------------ */

static inline uint8_t *at(const mc_cache *c, uint32_t ref) {
  return c->base + (size_t)ref * UNIT;
}
#define NEWER(e) (((uint32_t *)(void *)(e))[0])
#define OLDER(e) (((uint32_t *)(void *)(e))[1])

static inline size_t varint_len(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

static inline size_t put_varint(uint8_t *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) { p[n++] = (uint8_t)(v | 0x80); v >>= 7; }
  p[n++] = (uint8_t)v;
  return n;
}

static inline size_t get_varint(const uint8_t *p, uint64_t *v) {
  if (p[0] < 0x80) { *v = p[0]; return 1; }
  uint64_t r = 0;
  size_t n = 0;
  int s = 0;
  do { r |= (uint64_t)(p[n] & 0x7f) << s; s += 7; } while (p[n++] & 0x80);
  *v = r;
  return n;
}

static inline void put48(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 6; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t get48(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 6; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* Size of a block before rounding; independent of the tag (tag < 16 never
 * changes a varint's length because the low bits are OR-ed with 15 here). */
static inline size_t raw_size(size_t klen, size_t vlen, int has_exp, int own) {
  return 8 + varint_len(((uint64_t)klen << 2) | 3) + varint_len(((uint64_t)vlen << 4) | 15) +
         klen + vlen + (has_exp ? 6 : 0) + (own ? 6 : 0);
}

/* Block size in units for `bytes`: exact 8-byte steps up to 4 KiB; above
 * that, 8 classes per power of two (at most 12.5% rounding). Large blocks are
 * never split, so a freed one is reused whole by a later entry of its class;
 * this keeps the arena bounded under any steady mix of sizes. */
static inline size_t units_of(size_t bytes) {
  size_t u = (bytes + UNIT - 1) / UNIT;
  if (u <= MAX_CLASS) return u;
  unsigned b = 63 - (unsigned)__builtin_clzll((unsigned long long)u);
  size_t step = (size_t)1 << (b - 3);
  return (u + step - 1) & ~(step - 1);
}

static inline size_t large_list(size_t units) {
  unsigned b = 63 - (unsigned)__builtin_clzll((unsigned long long)units);
  return (size_t)b * 8 + ((units >> (b - 3)) & 7);
}

size_t mc_cache_entry_charge(size_t klen, size_t vlen, int has_exp, int own_ttl) {
  return units_of(raw_size(klen, vlen, has_exp, own_ttl)) * UNIT + MC_CACHE_INDEX_CHARGE;
}

static inline void decode(const uint8_t *e, meta *m) {
  uint64_t k, v;
  size_t off = 8;
  off += get_varint(e + off, &k);
  off += get_varint(e + off, &v);
  m->klen = (size_t)(k >> 2);
  m->own_ttl = (int)((k >> 1) & 1);
  m->has_exp = (int)(k & 1);
  m->vlen = (size_t)(v >> 4);
  m->tag = (unsigned)(v & 15);
  m->key_off = off;
  m->units = units_of(off + m->klen + m->vlen + (m->has_exp ? 6 : 0) + (m->own_ttl ? 6 : 0));
}

static inline uint64_t expiry_of(const uint8_t *e, const meta *m) {
  return m->has_exp ? get48(e + m->key_off + m->klen + m->vlen) : 0;
}

static inline void set_expiry(uint8_t *e, const meta *m, uint64_t exp) {
  put48(e + m->key_off + m->klen + m->vlen, exp);
}

static inline uint64_t ttl_of(const mc_cache *c, const uint8_t *e, const meta *m) {
  if (!m->has_exp) return 0;
  return m->own_ttl ? get48(e + m->key_off + m->klen + m->vlen + 6) : c->cfg.ttl_ms;
}

static inline uint64_t expiry_at(uint64_t now, uint64_t ttl) {
  uint64_t e = now + ttl;
  return (e < now || e > STAMP_MAX) ? STAMP_MAX : e;
}

static void write_entry(uint8_t *e, const void *key, size_t klen, const void *val,
                        size_t vlen, unsigned tag, int has_exp, int own,
                        uint64_t exp, uint64_t ttl) {
  uint8_t *p = e + 8;
  p += put_varint(p, ((uint64_t)klen << 2) | ((uint64_t)own << 1) | (uint64_t)has_exp);
  p += put_varint(p, ((uint64_t)vlen << 4) | tag);
  if (klen) memmove(p, key, klen);
  p += klen;
  if (vlen) memmove(p, val, vlen);
  p += vlen;
  if (has_exp) { put48(p, exp); p += 6; }
  if (own) put48(p, ttl);
}

static void fill_view(const mc_cache *c, uint32_t ref, const uint8_t *e, const meta *m,
                      mc_cache_view *out) {
  out->key = e + m->key_off;
  out->klen = m->klen;
  out->val = e + m->key_off + m->klen;
  out->vlen = m->vlen;
  out->tag = m->tag;
  out->expires_at = expiry_of(e, m);
  out->ttl = ttl_of(c, e, m);
  out->ref = ref;
}

static inline int expired(const uint8_t *e, const meta *m, uint64_t now) {
  return m->has_exp && now > expiry_of(e, m);
}

/* ---- arena --------------------------------------------------------------- */

/* Random access over hundreds of MiB is dominated by TLB misses (doubly so
 * under virtualisation); 2 MiB pages cut them sharply. Small mappings keep 4K
 * pages so tiny caches stay tiny. */
#define HUGE_MIN ((size_t)4 << 20)
static void advise_huge(void *p, size_t size) {
#if defined(MADV_HUGEPAGE)
  if (size >= HUGE_MIN) madvise(p, size, MADV_HUGEPAGE);
#else
  (void)p;
  (void)size;
#endif
}

static int arena_ensure(mc_cache *c, size_t need) {
  if (need <= c->mapped) return 0;
  if (need > ARENA_LIMIT) return -1;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t size = c->mapped ? c->mapped * 2 : 16 * 1024;
  if (size < need) size = need;
  size = (size + page - 1) / page * page;
  if (size > ARENA_LIMIT + page) size = (ARENA_LIMIT + page - 1) / page * page;
  void *p;
  if (!c->base) {
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  } else {
#if defined(__linux__)
    /* Moving the mapping is fine: nothing in the arena is an address. */
    p = mremap(c->base, c->mapped, size, MREMAP_MAYMOVE);
#else
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      memcpy(p, c->base, c->top);
      munmap(c->base, c->mapped);
    }
#endif
  }
  if (p == MAP_FAILED) return -1;
  c->base = (uint8_t *)p;
  c->mapped = size;
  advise_huge(p, size);
  return 0;
}

static void arena_release(mc_cache *c) {
  if (c->base) munmap(c->base, c->mapped);
  c->base = NULL;
  c->mapped = 0;
  c->top = ARENA_START;
  c->victim_ref = 0;
  memset(c->free_head, 0, sizeof c->free_head);
  memset(c->free_bits, 0, sizeof c->free_bits);
  memset(c->large_free, 0, sizeof c->large_free);
}

/* Gives the whole pages inside a big free block back to the system; the
 * range stays mapped and reads as zeros when reused. */
static void release_pages(mc_cache *c, uint32_t ref, size_t units) {
#if defined(MADV_DONTNEED)
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  uintptr_t lo = (uintptr_t)at(c, ref) + 8, hi = (uintptr_t)at(c, ref) + units * UNIT;
  lo = (lo + page - 1) & ~(uintptr_t)(page - 1);
  hi &= ~(uintptr_t)(page - 1);
  if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
#else
  (void)c;
  (void)ref;
  (void)units;
#endif
}

/* Free block: [next ref u32][units u32]. */
static void push_free(mc_cache *c, uint32_t ref, size_t units) {
  uint32_t *b = (uint32_t *)(void *)at(c, ref);
  if (ref == c->victim_ref) c->victim_ref = 0;
  b[1] = (uint32_t)units;
  if (units <= MAX_CLASS) {
    b[0] = c->free_head[units];
    c->free_head[units] = ref;
    c->free_bits[units >> 6] |= (uint64_t)1 << (units & 63);
  } else {
    size_t l = large_list(units);
    b[0] = c->large_free[l];
    c->large_free[l] = ref;
    if (units * UNIT >= RELEASE_MIN) release_pages(c, ref, units);
  }
}

static uint32_t pop_class(mc_cache *c, size_t k) {
  uint32_t ref = c->free_head[k];
  c->free_head[k] = ((uint32_t *)(void *)at(c, ref))[0];
  if (!c->free_head[k]) c->free_bits[k >> 6] &= ~((uint64_t)1 << (k & 63));
  return ref;
}

/* Smallest non-empty class >= k, or 0. */
static size_t next_class(const mc_cache *c, size_t k) {
  if (k > MAX_CLASS) return 0;
  size_t w = k >> 6;
  uint64_t bits = c->free_bits[w] & (~(uint64_t)0 << (k & 63));
  for (;;) {
    if (bits) return w * 64 + (size_t)__builtin_ctzll(bits);
    if (++w >= CLASS_WORDS) return 0;
    bits = c->free_bits[w];
  }
}

static uint32_t take_split(mc_cache *c, uint32_t ref, size_t have, size_t units) {
  if (have > units) push_free(c, ref + (uint32_t)units, have - units);
  return ref;
}

static uint32_t alloc_large(mc_cache *c, size_t units) {
  size_t l = large_list(units);
  uint32_t ref = c->large_free[l];
  if (ref) c->large_free[l] = ((uint32_t *)(void *)at(c, ref))[0];
  return ref;
}

/* Returns a block of `units` units (a value of units_of), or 0 when memory
 * runs out. Prefers reuse (exact class, then splitting a bigger small block)
 * over growing the arena, so freed memory is recycled before new memory is
 * touched. */
static uint32_t alloc_block(mc_cache *c, size_t units) {
  uint32_t ref;
  if (units <= MAX_CLASS) {
    if (c->free_head[units]) return pop_class(c, units);
    size_t k = next_class(c, units + SPLIT_MIN);
    if (k) return take_split(c, pop_class(c, k), k, units);
  } else if ((ref = alloc_large(c, units)) != 0) {
    return ref;
  }
  size_t bytes = units * UNIT;
  if (c->top + bytes > ARENA_LIMIT || arena_ensure(c, c->top + bytes) != 0) return 0;
  ref = (uint32_t)(c->top / UNIT);
  c->top += bytes;
  return ref;
}

/* ---- index --------------------------------------------------------------- */

static inline uint64_t home(const mc_cache *c, uint32_t h32) { return h32 >> c->shift; }

static inline int key_matches(const mc_cache *c, uint32_t ref, const void *key, size_t klen) {
  const uint8_t *e = at(c, ref);
  uint64_t k, v;
  size_t off = 8 + get_varint(e + 8, &k);
  off += get_varint(e + off, &v);
  return (k >> 2) == klen && memcmp(e + off, key, klen) == 0;
}

/* 1 and *pos = slot of key, or 0 and *pos = the empty slot that ends its run. */
static int find_slot(const mc_cache *c, const void *key, size_t klen, uint32_t h32,
                     uint64_t *pos) {
  uint64_t i = home(c, h32);
  for (;;) {
    uint64_t s = c->slots[i];
    if (!s) { *pos = i; return 0; }
    if ((uint32_t)(s >> 32) == h32) {
      /* The value usually spills into the next line: start fetching it
       * together with the first, which the key comparison waits for. */
      __builtin_prefetch(at(c, (uint32_t)s) + 64);
      if (key_matches(c, (uint32_t)s, key, klen)) {
        *pos = i;
        return 1;
      }
    }
    i = (i + 1) & c->mask;
  }
}

static uint64_t slot_of_ref(const mc_cache *c, uint32_t h32, uint32_t ref) {
  uint64_t i = home(c, h32);
  while ((uint32_t)c->slots[i] != ref) i = (i + 1) & c->mask;
  return i;
}

static uint64_t empty_slot(const mc_cache *c, uint32_t h32) {
  uint64_t i = home(c, h32);
  while (c->slots[i]) i = (i + 1) & c->mask;
  return i;
}

/* Backward-shift deletion: keeps every slot reachable from its home without
 * tombstones. A later slot moves into the hole unless its home lies in
 * (hole, slot]. */
static void remove_slot(mc_cache *c, uint64_t i) {
  uint64_t j = i;
  for (;;) {
    j = (j + 1) & c->mask;
    uint64_t s = c->slots[j];
    if (!s) break;
    uint64_t h = home(c, (uint32_t)(s >> 32));
    if (((j - h) & c->mask) >= ((j - i) & c->mask)) {
      c->slots[i] = s;
      i = j;
    }
  }
  c->slots[i] = 0;
}

/* Small tables come from calloc; big ones are their own mapping so they can
 * use huge pages and return to the system at once when freed. */
static uint64_t *table_alloc(uint64_t nslots) {
  size_t bytes = (size_t)nslots * sizeof(uint64_t);
  if (bytes < HUGE_MIN) return (uint64_t *)calloc(nslots, sizeof(uint64_t));
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return NULL;
  advise_huge(p, bytes);
  return (uint64_t *)p;
}

static void table_free(uint64_t *t, uint64_t nslots) {
  size_t bytes = (size_t)nslots * sizeof(uint64_t);
  if (bytes < HUGE_MIN) free(t);
  else if (t) munmap(t, bytes);
}

static int index_alloc(mc_cache *c, uint64_t nslots) {
  uint64_t *s = table_alloc(nslots);
  if (!s) return -1;
  c->slots = s;
  c->mask = nslots - 1;
  c->shift = 32 - (unsigned)__builtin_ctzll(nslots);
  return 0;
}

/* Doubles the index. Slots carry their hash, so entries are not touched. */
static int index_grow(mc_cache *c) {
  uint64_t n = c->mask + 1;
  if (n >= ((uint64_t)1 << 32)) return -1;
  uint64_t *old = c->slots;
  if (index_alloc(c, n * 2) != 0) {
    c->slots = old;
    return -1;
  }
  for (uint64_t i = 0; i < n; i++)
    if (old[i]) c->slots[empty_slot(c, (uint32_t)(old[i] >> 32))] = old[i];
  table_free(old, n);
  return 0;
}

static inline int index_full(const mc_cache *c, uint64_t entries) {
  return entries * 4 > (c->mask + 1) * 3;
}

/* ---- recency list -------------------------------------------------------- */

static void list_unlink(mc_cache *c, uint32_t ref) {
  uint8_t *e = at(c, ref);
  uint32_t n = NEWER(e), o = OLDER(e);
  if (n) OLDER(at(c, n)) = o; else c->head = o;
  if (o) NEWER(at(c, o)) = n; else c->tail = n;
  if (c->sweep == ref) c->sweep = n;
}

static void list_push_head(mc_cache *c, uint32_t ref) {
  uint8_t *e = at(c, ref);
  NEWER(e) = 0;
  OLDER(e) = c->head;
  if (c->head) NEWER(at(c, c->head)) = ref; else c->tail = ref;
  c->head = ref;
}

/* nref takes ref's place in the list (its links are copied). */
static void list_replace(mc_cache *c, uint32_t ref, uint32_t nref) {
  uint8_t *e = at(c, ref), *ne = at(c, nref);
  uint32_t n = NEWER(e), o = OLDER(e);
  NEWER(ne) = n;
  OLDER(ne) = o;
  if (n) OLDER(at(c, n)) = nref; else c->head = nref;
  if (o) NEWER(at(c, o)) = nref; else c->tail = nref;
  if (c->sweep == ref) c->sweep = nref;
}

/* ---- eviction log -------------------------------------------------------- */

#define LOG_HDR 12 /* reason u8, tag u8, pad u16, klen u32, vlen u32 */

static void log_entry(mc_cache *c, int reason, const uint8_t *e, const meta *m) {
  size_t need = c->log_len + LOG_HDR + m->klen + m->vlen;
  if (need > c->log_cap) {
    size_t cap = c->log_cap ? c->log_cap * 2 : 4096;
    while (cap < need) cap *= 2;
    uint8_t *p = (uint8_t *)realloc(c->log, cap);
    if (!p) return; /* reporting is best effort; the cache stays consistent */
    c->log = p;
    c->log_cap = cap;
  }
  uint8_t *p = c->log + c->log_len;
  uint32_t kl = (uint32_t)m->klen, vl = (uint32_t)m->vlen;
  p[0] = (uint8_t)reason;
  p[1] = (uint8_t)m->tag;
  p[2] = p[3] = 0;
  memcpy(p + 4, &kl, 4);
  memcpy(p + 8, &vl, 4);
  memcpy(p + LOG_HDR, e + m->key_off, m->klen + m->vlen);
  c->log_len = need;
  c->log_count++;
}

void mc_cache_log_enable(mc_cache *c, int on) { c->log_on = on; }
size_t mc_cache_log_count(const mc_cache *c) { return c->log_count; }

int mc_cache_log_read(const mc_cache *c, size_t *pos, int *reason, mc_cache_view *out) {
  if (*pos >= c->log_len) return 0;
  const uint8_t *p = c->log + *pos;
  uint32_t kl, vl;
  memcpy(&kl, p + 4, 4);
  memcpy(&vl, p + 8, 4);
  *reason = p[0];
  memset(out, 0, sizeof *out);
  out->tag = p[1];
  out->key = p + LOG_HDR;
  out->klen = kl;
  out->val = p + LOG_HDR + kl;
  out->vlen = vl;
  *pos += LOG_HDR + kl + vl;
  return 1;
}

void mc_cache_log_reset(mc_cache *c) {
  c->log_len = 0;
  c->log_count = 0;
  if (c->log_cap > (1u << 20)) { /* do not keep a burst's buffer forever */
    free(c->log);
    c->log = NULL;
    c->log_cap = 0;
  }
}

/* ---- removal ------------------------------------------------------------- */

/* Removes the entry at slot pos. reason: 0 (delete/pop), EVICT or EXPIRE. The
 * block goes to a free list; only its first 8 bytes (the links) change, so a
 * view of it stays readable until the next allocation. */
static void remove_at(mc_cache *c, uint64_t pos, int reason) {
  uint32_t ref = (uint32_t)c->slots[pos];
  uint8_t *e = at(c, ref);
  meta m;
  decode(e, &m);
  if (reason && c->log_on) log_entry(c, reason, e, &m);
  if (reason == MC_CACHE_EVICT) c->st.evictions++;
  if (reason == MC_CACHE_EXPIRE) c->st.expirations++;
  remove_slot(c, pos);
  list_unlink(c, ref);
  c->st.entries--;
  c->st.bytes -= m.units * UNIT + MC_CACHE_INDEX_CHARGE;
  if (m.has_exp) c->n_exp--;
  push_free(c, ref, m.units);
}

static void remove_ref(mc_cache *c, uint32_t ref, int reason) {
  const uint8_t *e = at(c, ref);
  uint32_t h32;
  if (ref == c->victim_ref) {
    h32 = c->victim_h32;
  } else {
    meta m;
    decode(e, &m);
    h32 = hash32(c, e + m.key_off, m.klen);
  }
  remove_at(c, slot_of_ref(c, h32, ref), reason);
}

/* A write into a full cache evicts the oldest entry: hash it and start
 * loading its index slot now, so those loads overlap the lookup of the new
 * key, and start loading the entry after it (the next write's victim). */
static void prepare_eviction(mc_cache *c) {
  uint32_t t = c->tail;
  if (!t) return;
  const uint8_t *e = at(c, t);
  if (t != c->victim_ref) {
    meta m;
    decode(e, &m);
    c->victim_h32 = hash32(c, e + m.key_off, m.klen);
    c->victim_ref = t;
  }
  __builtin_prefetch(&c->slots[home(c, c->victim_h32)]);
  uint32_t n = NEWER(e);
  if (n) __builtin_prefetch(at(c, n));
}

/* Evicts the oldest entry other than keep. Returns 0 if there was none. */
static int evict_oldest(mc_cache *c, uint32_t keep, uint64_t now) {
  uint32_t v = c->tail;
  if (v && v == keep) v = NEWER(at(c, v));
  if (!v) return 0;
  meta m;
  decode(at(c, v), &m);
  remove_ref(c, v, expired(at(c, v), &m, now) ? MC_CACHE_EXPIRE : MC_CACHE_EVICT);
  return 1;
}

/* Bounded incremental expiry: examines up to `budget` entries from the sweep
 * cursor toward the newest; the cursor restarts at the oldest when it ends. */
static size_t sweep(mc_cache *c, uint64_t now, size_t budget) {
  size_t removed = 0;
  uint32_t r = c->sweep ? c->sweep : c->tail;
  while (r && budget--) {
    uint8_t *e = at(c, r);
    uint32_t next = NEWER(e);
    meta m;
    decode(e, &m);
    if (expired(e, &m, now)) {
      remove_ref(c, r, MC_CACHE_EXPIRE);
      removed++;
    }
    r = next;
  }
  c->sweep = r;
  return removed;
}

size_t mc_cache_purge_stale(mc_cache *c, uint64_t now, size_t budget) {
  if (!c->n_exp) return 0;
  if (budget) return sweep(c, now, budget);
  size_t removed = 0;
  for (uint32_t r = c->tail; r;) {
    uint8_t *e = at(c, r);
    uint32_t next = NEWER(e);
    meta m;
    decode(e, &m);
    if (expired(e, &m, now)) {
      remove_ref(c, r, MC_CACHE_EXPIRE);
      removed++;
    }
    r = next;
  }
  return removed;
}

/* ---- public operations --------------------------------------------------- */

static void random_seed(uint64_t seed[2]) {
#if defined(__linux__)
  if (getrandom(seed, 16, 0) == 16) return;
#endif
  /* Fallback only when getrandom is unavailable: clock and address entropy. */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)(uintptr_t)seed;
  uint64_t k[2] = {x, ~x};
  seed[0] = mc_cache_siphash13(k, &ts, sizeof ts);
  seed[1] = mc_cache_siphash13(k, seed, 8);
}

int mc_cache_create(const mc_cache_config *cfg, mc_cache **out) {
  *out = NULL;
  if (!cfg || (cfg->policy != MC_CACHE_LRU && cfg->policy != MC_CACHE_FIFO) ||
      cfg->ttl_ms > MC_CACHE_TTL_MAX)
    return MC_CACHE_EINVAL;
  mc_cache *c = (mc_cache *)calloc(1, sizeof *c);
  if (!c) return MC_CACHE_ENOMEM;
  c->cfg = *cfg;
  if (!c->cfg.sweep_per_write) c->cfg.sweep_per_write = 4;
  if (cfg->seed[0] || cfg->seed[1]) {
    c->seed[0] = cfg->seed[0];
    c->seed[1] = cfg->seed[1];
  } else {
    random_seed(c->seed);
  }
  c->top = ARENA_START;
  if (index_alloc(c, INDEX_MIN) != 0) {
    free(c);
    return MC_CACHE_ENOMEM;
  }
  *out = c;
  return MC_CACHE_OK;
}

void mc_cache_destroy(mc_cache *c) {
  if (!c) return;
  arena_release(c);
  table_free(c->slots, c->mask + 1);
  free(c->log);
  free(c);
}

int mc_cache_get(mc_cache *c, const void *key, size_t klen, uint64_t now, int flags,
                 mc_cache_view *out) {
  uint64_t pos;
  uint32_t h32 = hash32(c, key, klen);
  if (!find_slot(c, key, klen, h32, &pos)) {
    if (!(flags & MC_CACHE_NO_STATS)) c->st.misses++;
    return MC_CACHE_MISS;
  }
  uint32_t ref = (uint32_t)c->slots[pos];
  uint8_t *e = at(c, ref);
  meta m;
  decode(e, &m);
  if (m.has_exp && now > expiry_of(e, &m)) {
    fill_view(c, ref, e, &m, out);
    if (!(flags & MC_CACHE_KEEP_STALE)) remove_at(c, pos, MC_CACHE_EXPIRE);
    if (!(flags & MC_CACHE_NO_STATS)) c->st.misses++;
    return (flags & MC_CACHE_ALLOW_STALE) ? MC_CACHE_STALE : MC_CACHE_MISS;
  }
  if (!(flags & MC_CACHE_PEEK)) {
    if (c->cfg.policy == MC_CACHE_LRU && c->head != ref) {
      list_unlink(c, ref);
      list_push_head(c, ref);
    }
    if (c->cfg.update_age_on_get && m.has_exp)
      set_expiry(e, &m, expiry_at(now, ttl_of(c, e, &m)));
  }
  if (!(flags & MC_CACHE_NO_STATS)) c->st.hits++;
  fill_view(c, ref, e, &m, out);
  return MC_CACHE_HIT;
}

/* Replaces the entry at pos (same key) with a new value. */
static int update_at(mc_cache *c, uint64_t pos, uint32_t h32, const void *key, size_t klen,
                     const void *val, size_t vlen, unsigned tag, int has_exp, int own,
                     uint64_t exp, uint64_t ttl, size_t units, uint64_t now) {
  uint32_t ref = (uint32_t)c->slots[pos];
  meta m;
  decode(at(c, ref), &m);
  size_t old_charge = m.units * UNIT + MC_CACHE_INDEX_CHARGE;
  size_t charge = units * UNIT + MC_CACHE_INDEX_CHARGE;
  if (c->cfg.policy == MC_CACHE_LRU && c->head != ref) {
    list_unlink(c, ref);
    list_push_head(c, ref);
  }
  while (c->cfg.max_bytes && c->st.bytes - old_charge + charge > c->cfg.max_bytes &&
         evict_oldest(c, ref, now)) {
  }
  uint32_t target = ref;
  if (units != m.units) {
    target = alloc_block(c, units);
    if (!target) return MC_CACHE_ENOMEM;
    list_replace(c, ref, target);
    c->slots[slot_of_ref(c, h32, ref)] = ((uint64_t)h32 << 32) | target;
    push_free(c, ref, m.units);
  }
  write_entry(at(c, target), key, klen, val, vlen, tag, has_exp, own, exp, ttl);
  c->n_exp += (uint64_t)has_exp - (uint64_t)m.has_exp;
  c->st.bytes = c->st.bytes - old_charge + charge;
  c->st.sets++;
  return MC_CACHE_OK;
}

static int insert_new(mc_cache *c, uint32_t h32, const void *key, size_t klen,
                      const void *val, size_t vlen, unsigned tag, int has_exp, int own,
                      uint64_t exp, uint64_t ttl, size_t units, uint64_t now) {
  size_t charge = units * UNIT + MC_CACHE_INDEX_CHARGE;
  while (c->cfg.max_entries && c->st.entries >= c->cfg.max_entries && evict_oldest(c, 0, now)) {
  }
  while (c->cfg.max_bytes && c->st.bytes + charge > c->cfg.max_bytes && evict_oldest(c, 0, now)) {
  }
  if (index_full(c, c->st.entries + 1) && index_grow(c) != 0) return MC_CACHE_ENOMEM;
  uint32_t ref = alloc_block(c, units);
  if (!ref) return MC_CACHE_ENOMEM;
  write_entry(at(c, ref), key, klen, val, vlen, tag, has_exp, own, exp, ttl);
  list_push_head(c, ref);
  c->slots[empty_slot(c, h32)] = ((uint64_t)h32 << 32) | ref;
  c->st.entries++;
  c->st.bytes += charge;
  c->st.sets++;
  c->n_exp += (uint64_t)has_exp;
  return MC_CACHE_OK;
}

int mc_cache_set(mc_cache *c, const void *key, size_t klen, const void *val, size_t vlen,
                 unsigned tag, uint64_t ttl, uint64_t now) {
  if (tag > 15) return MC_CACHE_EINVAL;
  if (ttl == MC_CACHE_TTL_DEFAULT) ttl = c->cfg.ttl_ms;
  if (ttl > MC_CACHE_TTL_MAX) ttl = MC_CACHE_TTL_MAX;
  int has_exp = ttl > 0;
  int own = has_exp && ttl != c->cfg.ttl_ms;
  if (klen > MC_CACHE_MAX_ENTRY || vlen > MC_CACHE_MAX_ENTRY) return MC_CACHE_ETOOLARGE;
  size_t raw = raw_size(klen, vlen, has_exp, own);
  if (raw > MC_CACHE_MAX_ENTRY) return MC_CACHE_ETOOLARGE;
  size_t units = units_of(raw);
  if (c->cfg.max_bytes && units * UNIT + MC_CACHE_INDEX_CHARGE > c->cfg.max_bytes)
    return MC_CACHE_ETOOLARGE;
  if (c->n_exp) sweep(c, now, (size_t)c->cfg.sweep_per_write);
  uint64_t exp = has_exp ? expiry_at(now, ttl) : 0;
  if ((c->cfg.max_entries && c->st.entries >= c->cfg.max_entries) ||
      (c->cfg.max_bytes && c->st.bytes + units * UNIT + MC_CACHE_INDEX_CHARGE > c->cfg.max_bytes))
    prepare_eviction(c);
  uint64_t pos;
  uint32_t h32 = hash32(c, key, klen);
  if (find_slot(c, key, klen, h32, &pos))
    return update_at(c, pos, h32, key, klen, val, vlen, tag, has_exp, own, exp, ttl, units, now);
  return insert_new(c, h32, key, klen, val, vlen, tag, has_exp, own, exp, ttl, units, now);
}

int mc_cache_delete(mc_cache *c, const void *key, size_t klen, uint64_t now) {
  uint64_t pos;
  if (!find_slot(c, key, klen, hash32(c, key, klen), &pos)) return 0;
  const uint8_t *e = at(c, (uint32_t)c->slots[pos]);
  meta m;
  decode(e, &m);
  if (expired(e, &m, now)) {
    remove_at(c, pos, MC_CACHE_EXPIRE);
    return 0;
  }
  remove_at(c, pos, 0);
  c->st.deletes++;
  return 1;
}

int mc_cache_pop(mc_cache *c, uint64_t now, mc_cache_view *out) {
  while (c->tail) {
    uint32_t ref = c->tail;
    uint8_t *e = at(c, ref);
    meta m;
    decode(e, &m);
    if (expired(e, &m, now)) {
      remove_ref(c, ref, MC_CACHE_EXPIRE);
      continue;
    }
    fill_view(c, ref, e, &m, out);
    remove_ref(c, ref, 0);
    c->st.deletes++;
    return 1;
  }
  return 0;
}

void mc_cache_clear(mc_cache *c) {
  arena_release(c);
  uint64_t *old = c->slots;
  uint64_t old_n = c->mask + 1;
  if (index_alloc(c, INDEX_MIN) == 0) {
    table_free(old, old_n);
  } else {
    c->slots = old; /* keep the big table, emptied */
    memset(old, 0, (c->mask + 1) * sizeof *old);
  }
  c->head = c->tail = c->sweep = 0;
  c->n_exp = 0;
  c->st.entries = 0;
  c->st.bytes = 0;
}

uint32_t mc_cache_first(const mc_cache *c, int dir) {
  return dir == MC_CACHE_OLDEST_FIRST ? c->tail : c->head;
}

uint32_t mc_cache_next(const mc_cache *c, uint32_t ref, int dir) {
  const uint8_t *e = at(c, ref);
  return dir == MC_CACHE_OLDEST_FIRST ? NEWER(e) : OLDER(e);
}

void mc_cache_view_of(const mc_cache *c, uint32_t ref, mc_cache_view *out) {
  const uint8_t *e = at(c, ref);
  meta m;
  decode(e, &m);
  fill_view(c, ref, e, &m, out);
}

uint32_t mc_cache_find(const mc_cache *c, const void *key, size_t klen) {
  uint64_t pos;
  if (!find_slot(c, key, klen, hash32(c, key, klen), &pos)) return 0;
  return (uint32_t)c->slots[pos];
}

void mc_cache_get_stats(const mc_cache *c, mc_cache_stats *out) {
  *out = c->st;
  out->arena_bytes = c->top - ARENA_START;
  out->index_bytes = (c->mask + 1) * sizeof(uint64_t);
  out->total_bytes = sizeof *c + c->top + out->index_bytes + c->log_cap;
}

uint64_t mc_cache_size(const mc_cache *c) { return c->st.entries; }

int mc_cache_uses_ttl(const mc_cache *c) { return c->cfg.ttl_ms != 0 || c->n_exp != 0; }

const mc_cache_config *mc_cache_config_of(const mc_cache *c) { return &c->cfg; }
