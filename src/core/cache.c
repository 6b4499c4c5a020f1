/* Off-heap cache core. See cache.h for the layout and its invariants. */
#include "core/cache.h"

#include <errno.h>
#include <stdatomic.h>
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
#define REF_MASK 0x7fffffffu    /* block refs are 31 bits */
#define VISITED 0x80000000u     /* SIEVE's bit, in a block's `newer` word */
#define ARENA_LIMIT ((uint64_t)REF_MASK * UNIT)
#define INDEX_MIN 16u
#define CAP_MAX 0x7fffffffu     /* region mode: most entries */
#define STAMP_MAX (((uint64_t)1 << 48) - 1)
#define LONG_KEY 64u            /* keys longer than this use the long-key hash */
/* The first block starts on a cache line (refs 1..7 are never used), so
 * blocks whose sizes are multiples of 64 never straddle an extra line. */
#define ARENA_START 64u
#define REGION_MAGIC 0x6d656d63746c4331ULL /* "memctlC1" */
#define ALIGN64(x) (((x) + 63) & ~(uint64_t)63)

/* A cache's state, pointer-free (it may live in a shared region). Ordered
 * by who touches it, in 64-byte lines (a region's state is 64-aligned): in
 * region mode other processes read lines 0-1 without the lock on every get,
 * so they hold only what changes rarely (top while the arena grows, n_exp
 * when an entry with an expiry comes or goes: written only on a change), and
 * every set writes lines 2-3 (its scalars and counts), so they hold those
 * together. A set by one process then moves few lines out of the others'
 * CPU caches. */
typedef struct {
  mc_cache_config cfg;          /* line 0: fixed at creation */
  uint64_t seed[2];             /* line 1: read by every get */
  uint64_t top;                 /* arena bytes handed out, from 0 */
  uint64_t n_exp;               /* live entries with an expiry */
  /* Region mode: the structural seqlock. Odd while a structural mutation
   * (one that frees, moves or reuses a block, or changes a slot) is under
   * way: begin_mut makes it odd before the first store, end_mut even after
   * the last. A lock-free reader trusts what it read only if it was even and
   * unchanged around the read. An in-place update of one entry's value
   * leaves it alone and bumps that entry's version word instead, so a set to
   * a hot key does not take this line from every process that reads the
   * shard. */
  _Atomic uint32_t seq;
  uint8_t pad_read[28];
  uint32_t head, tail, sweep, hand; /* lines 2-3: block refs; 0 = none */
  /* The next eviction victim's hash, computed ahead (see prepare_eviction);
   * valid while victim_ref is live. */
  uint32_t victim_ref, victim_h32;
  /* A block removed by pop or a stale get, freed at the next mutation so the
   * view returned stays readable. */
  uint32_t pending_ref, pending_units;
  uint32_t mutating;
  /* The block a set is writing (valid while mutating): a writer that dies
   * leaves it half written, so repair drops it. */
  uint32_t writing_ref;
  mc_cache_stats st;
  uint64_t free_bits[CLASS_WORDS]; /* then the free lists */
  uint32_t free_head[MAX_CLASS + 1];
  uint32_t large_free[LARGE_LISTS];
} state;

_Static_assert(offsetof(state, seq) < 128 && offsetof(state, seq) >= 64, "seq is on line 1");
_Static_assert(offsetof(state, head) == 128 && offsetof(state, free_bits) == 256,
               "lines 0-1 hold what a lock-free get reads, lines 2-3 what every set writes");

/* Region header: written once by region_init, immutable afterwards. */
typedef struct {
  uint64_t magic;
  uint32_t version, hdr_bytes;
  uint64_t size, nslots, entry_cap, arena_cap;
  uint64_t off_state, off_slots, off_arena;
  uint64_t check;               /* hash of the fields above */
} region_hdr;

struct mc_cache {
  state *s;
  uint64_t *slots;
  uint8_t *base;                /* arena */
  uint64_t mask;                /* nslots - 1 */
  unsigned shift;               /* 32 - log2(nslots) */
  uint32_t entry_cap;           /* region mode: most entries; 0 in heap mode */
  size_t arena_cap;             /* bytes mapped (heap) or reserved (region) */
  int region;
  size_t region_size;
  size_t hdr;                   /* bytes before a block's length varints */
  /* Region mode: in-place sets not yet added to st.sets (this process's;
   * added every MC_CACHE_SETS_FLUSH, at its next structural mutation and by
   * mc_cache_flush_counts), so that an in-place set writes no state line. */
  uint32_t pending_sets;
  /* eviction log (heap mode only; process-local) */
  int log_on;
  uint8_t *log;
  size_t log_len, log_cap, log_count;
  state own;                    /* the state, in heap mode */
};

typedef struct {
  size_t klen, vlen;
  unsigned tag;
  int has_exp, own_ttl;
  size_t key_off;               /* offset of the key in the block */
  size_t units;
} meta;

/* One set's arguments, computed once by mc_cache_set. */
typedef struct {
  const void *key, *val;
  size_t klen, vlen;
  unsigned tag;
  int has_exp, own;
  uint64_t exp, ttl, now;
  size_t units;
  uint32_t h32;
} put_op;

static void (*test_hook)(int);
void mc_cache_set_test_hook(void (*fn)(int point)) { test_hook = fn; }
#define HOOK(p) do { if (test_hook) test_hook(p); } while (0)

/* Seqlock writer side (region mode; see state.seq). Odd only while mutating
 * is set, so a holder that dies with it odd is always repaired (and the
 * repair makes it even again). */
static inline void seq_begin(mc_cache *c) {
  if (!c->region) return;
  _Atomic uint32_t *q = &c->s->seq;
  atomic_store_explicit(q, atomic_load_explicit(q, memory_order_relaxed) | 1u, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
}
static inline void seq_end(mc_cache *c) {
  if (!c->region) return;
  _Atomic uint32_t *q = &c->s->seq;
  atomic_store_explicit(q, (atomic_load_explicit(q, memory_order_relaxed) | 1u) + 1u,
                        memory_order_release);
}

static inline void flush_sets(mc_cache *c) {
  c->s->st.sets += c->pending_sets;
  c->pending_sets = 0;
}

/* A structural mutation: everything but set's in-place update. The mutating
 * flag must be in memory before the first store of a mutation and cleared
 * only after the last (a SIGKILL may land between any two). */
static inline void begin_mut(mc_cache *c) {
  c->s->writing_ref = 0;
  atomic_signal_fence(memory_order_seq_cst);
  c->s->mutating = 1;
  atomic_signal_fence(memory_order_seq_cst);
  seq_begin(c);
  if (c->pending_sets) flush_sets(c);
}
static inline void end_mut(mc_cache *c) {
  seq_end(c);
  atomic_signal_fence(memory_order_seq_cst);
  c->s->mutating = 0;
}

/* ---- hashing ------------------------------------------------------------- */

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

static inline uint64_t mum(uint64_t a, uint64_t b) {
  __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Keys longer than LONG_KEY: two independent keyed multiply-mix lanes over
 * 32-byte stripes (about 8 bytes per cycle against SipHash's 0.7), whose
 * state and the unaligned tail are then hashed by SipHash with the same key.
 * The lanes start from and mix in the secret seed, so an attacker who does
 * not know it cannot aim keys at one index slot. */
static uint64_t long_hash(const uint64_t k[2], const uint8_t *p, size_t len) {
  uint64_t a = k[0] ^ 0xa0761d6478bd642fULL, b = k[1] ^ 0xe7037ed1a0b428dbULL;
  const uint8_t *end = p + (len & ~(size_t)31);
  for (; p != end; p += 32) {
    a = mum(load64(p) ^ a, load64(p + 8) ^ k[1] ^ 0x8ebc6af09c88c6e3ULL);
    b = mum(load64(p + 16) ^ b, load64(p + 24) ^ k[0] ^ 0x589965cc75374cc3ULL);
  }
  uint8_t buf[56];
  size_t rest = len & 31;
  uint64_t l = len;
  memcpy(buf, &a, 8);
  memcpy(buf + 8, &b, 8);
  memcpy(buf + 16, &l, 8);
  memcpy(buf + 24, p, rest);
  return mc_cache_siphash13(k, buf, 24 + rest);
}

/* The plain and the _hashed forms of an operation share one body, inlined
 * into both (a call more per get costs LRUCache about 5%). */
#define HOT static inline __attribute__((always_inline))

HOT uint64_t key_hash(const mc_cache *c, const void *key, size_t klen) {
  const state *s = c->s;
  return klen <= LONG_KEY ? mc_cache_siphash13(s->seed, key, klen)
                          : long_hash(s->seed, (const uint8_t *)key, klen);
}

uint64_t mc_cache_hash(const mc_cache *c, const void *key, size_t klen) {
  return key_hash(c, key, klen);
}

/* The index's 32 bits of a key's hash: its high half (mc_shm routes by the
 * low bits, so a shard's keys still spread over its whole index). */
static inline uint32_t h32_of(const mc_cache *c, uint64_t h) {
  uint32_t h32 = (uint32_t)(h >> 32);
  return c->s->cfg.hash_mask ? h32 & c->s->cfg.hash_mask : h32;
}

static inline uint32_t hash32(const mc_cache *c, const void *key, size_t klen) {
  return h32_of(c, key_hash(c, key, klen));
}

/* ---- entry encoding ------------------------------------------------------ */

static inline uint8_t *at(const mc_cache *c, uint32_t ref) {
  return c->base + (size_t)ref * UNIT;
}
/* Every live block starts with its queue links, [newer u32][older u32]: block
 * refs of the neighbours toward the newest and the oldest entry (0 = none);
 * bit 31 of `newer` is SIEVE's visited bit. A hit reads the block anyway (key
 * and value), so the links and the bit are in a line it already has; an LRU
 * relink then touches only the two neighbours' first lines. */
#define LINK_BYTES 8u
/* Region mode: then a version word, [version u32], odd while a set rewrites
 * the entry's value in place (see update_in_place); a lock-free reader takes
 * a copy only if it was even and unchanged around the copy. Heap mode has no
 * lock-free reader and no version word. */
#define VERSION_BYTES 4u
static inline _Atomic uint32_t *version_of(uint8_t *e) {
  return (_Atomic uint32_t *)(void *)(e + LINK_BYTES);
}
/* A block that gets a slot of its own (insert, move) starts at version 0:
 * the arena may hold anything there. */
static inline void version_reset(const mc_cache *c, uint8_t *e) {
  if (c->region) atomic_store_explicit(version_of(e), 0, memory_order_relaxed);
}
static inline uint32_t version_load(const uint8_t *e, memory_order mo) {
  return atomic_load_explicit((_Atomic uint32_t *)(void *)(uintptr_t)(e + LINK_BYTES), mo);
}
static inline uint32_t word_at(const uint8_t *e, size_t i) {
  uint32_t w;
  memcpy(&w, e + 4 * i, 4);
  return w;
}
static inline void set_word(uint8_t *e, size_t i, uint32_t w) { memcpy(e + 4 * i, &w, 4); }
static inline uint32_t newer_of(const mc_cache *c, uint32_t ref) {
  return word_at(at(c, ref), 0) & REF_MASK;
}
static inline uint32_t older_of(const mc_cache *c, uint32_t ref) { return word_at(at(c, ref), 1); }
static inline void set_newer(mc_cache *c, uint32_t ref, uint32_t n) {
  uint8_t *e = at(c, ref);
  set_word(e, 0, (word_at(e, 0) & VISITED) | n);
}
static inline void set_older(mc_cache *c, uint32_t ref, uint32_t o) { set_word(at(c, ref), 1, o); }
static inline int visited(const mc_cache *c, uint32_t ref) {
  return (word_at(at(c, ref), 0) & VISITED) != 0;
}
static inline void set_visited(mc_cache *c, uint32_t ref, int on) {
  uint8_t *e = at(c, ref);
  uint32_t w = word_at(e, 0);
  uint32_t want = on ? (w | VISITED) : (w & ~VISITED);
  if (want != w) set_word(e, 0, want); /* a hit on a visited entry writes nothing */
}

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
static inline size_t raw_size(size_t hdr, size_t klen, size_t vlen, int has_exp, int own) {
  return hdr + varint_len(((uint64_t)klen << 2) | 3) + varint_len(((uint64_t)vlen << 4) | 15) +
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

/* The one definition of what an entry costs against max_bytes. */
static inline size_t charge_of(size_t units) { return units * UNIT + MC_CACHE_INDEX_CHARGE; }

size_t mc_cache_entry_charge(size_t klen, size_t vlen, int has_exp, int own_ttl) {
  return charge_of(units_of(raw_size(LINK_BYTES, klen, vlen, has_exp, own_ttl)));
}

size_t mc_cache_charge(const mc_cache *c, size_t klen, size_t vlen, int has_exp, int own_ttl) {
  return charge_of(units_of(raw_size(c->hdr, klen, vlen, has_exp, own_ttl)));
}

/* *m from a block's two length words and the offset of its key. */
static inline void meta_of(uint64_t k, uint64_t v, size_t off, meta *m) {
  m->klen = (size_t)(k >> 2);
  m->own_ttl = (int)((k >> 1) & 1);
  m->has_exp = (int)(k & 1);
  m->vlen = (size_t)(v >> 4);
  m->tag = (unsigned)(v & 15);
  m->key_off = off;
  m->units = units_of(off + m->klen + m->vlen + (m->has_exp ? 6 : 0) + (m->own_ttl ? 6 : 0));
}

static inline void decode(const mc_cache *c, const uint8_t *e, meta *m) {
  uint64_t k, v;
  size_t off = c->hdr + get_varint(e + c->hdr, &k);
  off += get_varint(e + off, &v);
  meta_of(k, v, off, m);
}

static inline uint64_t expiry_of(const uint8_t *e, const meta *m) {
  return m->has_exp ? get48(e + m->key_off + m->klen + m->vlen) : 0;
}

static inline void set_expiry(uint8_t *e, const meta *m, uint64_t exp) {
  put48(e + m->key_off + m->klen + m->vlen, exp);
}

static inline uint64_t ttl_of(const mc_cache *c, const uint8_t *e, const meta *m) {
  if (!m->has_exp) return 0;
  return m->own_ttl ? get48(e + m->key_off + m->klen + m->vlen + 6) : c->s->cfg.ttl_ms;
}

static inline uint64_t expiry_at(uint64_t now, uint64_t ttl) {
  uint64_t e = now + ttl;
  return (e < now || e > STAMP_MAX) ? STAMP_MAX : e;
}

/* Writes everything after the links (which the caller sets). */
static void write_entry(const mc_cache *c, uint8_t *e, const put_op *op) {
  uint8_t *p = e + c->hdr;
  p += put_varint(p, ((uint64_t)op->klen << 2) | ((uint64_t)op->own << 1) | (uint64_t)op->has_exp);
  p += put_varint(p, ((uint64_t)op->vlen << 4) | op->tag);
  if (op->klen) memmove(p, op->key, op->klen);
  p += op->klen;
  HOOK(MC_CACHE_HOOK_SET_VALUE);
  if (op->vlen) memmove(p, op->val, op->vlen);
  p += op->vlen;
  if (op->has_exp) { put48(p, op->exp); p += 6; }
  if (op->own) put48(p, op->ttl);
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

/* Makes [0, need) of the arena usable: heap mode grows the mapping, region
 * mode has what it has. */
static int arena_ensure(mc_cache *c, size_t need) {
  if (need <= c->arena_cap) return 0;
  if (c->region || need > ARENA_LIMIT) return -1;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t size = c->arena_cap ? c->arena_cap * 2 : 16 * 1024;
  if (size < need) size = need;
  size = (size + page - 1) / page * page;
  if (size > ARENA_LIMIT + page) size = (ARENA_LIMIT + page - 1) / page * page;
  void *p;
  if (!c->base) {
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  } else {
#if defined(__linux__)
    /* Moving the mapping is fine: nothing in the arena is an address. */
    p = mremap(c->base, c->arena_cap, size, MREMAP_MAYMOVE);
#else
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      memcpy(p, c->base, c->s->top);
      munmap(c->base, c->arena_cap);
    }
#endif
  }
  if (p == MAP_FAILED) return -1;
  c->base = (uint8_t *)p;
  c->arena_cap = size;
  advise_huge(p, size);
  return 0;
}

/* Forgets every block (the arena is empty afterwards). */
static void arena_forget(mc_cache *c) {
  state *s = c->s;
  s->top = ARENA_START;
  s->victim_ref = 0;
  s->pending_ref = s->pending_units = 0;
  memset(s->free_head, 0, sizeof s->free_head);
  memset(s->free_bits, 0, sizeof s->free_bits);
  memset(s->large_free, 0, sizeof s->large_free);
}

static void arena_release(mc_cache *c) {
  if (!c->region && c->base) {
    munmap(c->base, c->arena_cap);
    c->base = NULL;
    c->arena_cap = 0;
  }
  arena_forget(c);
}

/* Gives the whole pages inside a big free block back to the system; the
 * range stays mapped and reads as zeros when reused. Heap mode only (a
 * shared mapping keeps its pages in the shared object anyway). */
static void release_pages(mc_cache *c, uint32_t ref, size_t units) {
#if defined(MADV_DONTNEED)
  if (c->region) return;
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
  state *s = c->s;
  uint32_t *b = (uint32_t *)(void *)at(c, ref);
  b[1] = (uint32_t)units;
  if (units <= MAX_CLASS) {
    b[0] = s->free_head[units];
    s->free_head[units] = ref;
    s->free_bits[units >> 6] |= (uint64_t)1 << (units & 63);
  } else {
    size_t l = large_list(units);
    b[0] = s->large_free[l];
    s->large_free[l] = ref;
    if (units * UNIT >= RELEASE_MIN) release_pages(c, ref, units);
  }
}

/* Frees the block deferred by pop or a stale get (its view is now dead). */
static void flush_pending(mc_cache *c) {
  state *s = c->s;
  if (!s->pending_ref) return;
  uint32_t ref = s->pending_ref;
  s->pending_ref = 0;
  push_free(c, ref, s->pending_units);
  s->pending_units = 0;
}

static uint32_t pop_class(mc_cache *c, size_t k) {
  state *s = c->s;
  uint32_t ref = s->free_head[k];
  s->free_head[k] = ((uint32_t *)(void *)at(c, ref))[0];
  if (!s->free_head[k]) s->free_bits[k >> 6] &= ~((uint64_t)1 << (k & 63));
  return ref;
}

/* Smallest non-empty class >= k, or 0. */
static size_t next_class(const mc_cache *c, size_t k) {
  if (k > MAX_CLASS) return 0;
  size_t w = k >> 6;
  uint64_t bits = c->s->free_bits[w] & (~(uint64_t)0 << (k & 63));
  for (;;) {
    if (bits) return w * 64 + (size_t)__builtin_ctzll(bits);
    if (++w >= CLASS_WORDS) return 0;
    bits = c->s->free_bits[w];
  }
}

static uint32_t take_split(mc_cache *c, uint32_t ref, size_t have, size_t units) {
  if (have > units) push_free(c, ref + (uint32_t)units, have - units);
  return ref;
}

static uint32_t alloc_large(mc_cache *c, size_t units) {
  size_t l = large_list(units);
  uint32_t ref = c->s->large_free[l];
  if (ref) c->s->large_free[l] = ((uint32_t *)(void *)at(c, ref))[0];
  return ref;
}

/* Returns a block of `units` units (a value of units_of), or 0 when memory
 * runs out. Prefers reuse (exact class, then splitting a bigger small block)
 * over growing the arena, so freed memory is recycled before new memory is
 * touched. */
static uint32_t alloc_block(mc_cache *c, size_t units) {
  state *s = c->s;
  uint32_t ref;
  if (units <= MAX_CLASS) {
    if (s->free_head[units]) return pop_class(c, units);
    size_t k = next_class(c, units + SPLIT_MIN);
    if (k) return take_split(c, pop_class(c, k), k, units);
  } else if ((ref = alloc_large(c, units)) != 0) {
    return ref;
  }
  size_t bytes = units * UNIT;
  if (s->top + bytes > ARENA_LIMIT || arena_ensure(c, s->top + bytes) != 0) return 0;
  ref = (uint32_t)(s->top / UNIT);
  s->top += bytes;
  return ref;
}

/* ---- index --------------------------------------------------------------- */

static inline uint64_t home(const mc_cache *c, uint32_t h32) { return h32 >> c->shift; }

static inline int key_matches(const mc_cache *c, const uint8_t *e, const void *key, size_t klen) {
  uint64_t k, v;
  size_t off = c->hdr + get_varint(e + c->hdr, &k);
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
      const uint8_t *e = at(c, (uint32_t)s);
      __builtin_prefetch(e + 64);
      if (key_matches(c, e, key, klen)) {
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

static void set_index_size(mc_cache *c, uint64_t nslots) {
  c->mask = nslots - 1;
  c->shift = 32 - (unsigned)__builtin_ctzll(nslots);
}

static int index_alloc(mc_cache *c, uint64_t nslots) {
  uint64_t *s = table_alloc(nslots);
  if (!s) return -1;
  c->slots = s;
  set_index_size(c, nslots);
  return 0;
}

/* Doubles the index (heap mode). Slots carry their hash, so entries are not
 * touched. */
static int index_grow(mc_cache *c) {
  uint64_t n = c->mask + 1;
  if (c->region || n >= ((uint64_t)1 << 32)) return -1;
  uint64_t *old = c->slots;
  if (index_alloc(c, n * 2) != 0) {
    c->slots = old;
    set_index_size(c, n);
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

/* ---- recency / insertion queue (links in the blocks) --------------------- */

static void list_unlink(mc_cache *c, uint32_t ref) {
  state *s = c->s;
  uint32_t n = newer_of(c, ref), o = older_of(c, ref);
  if (n) set_older(c, n, o); else s->head = o;
  if (o) set_newer(c, o, n); else s->tail = n;
  if (s->sweep == ref) s->sweep = n;
  if (s->hand == ref) s->hand = n;
}

static void list_push_head(mc_cache *c, uint32_t ref) {
  state *s = c->s;
  set_newer(c, ref, 0);
  set_older(c, ref, s->head);
  if (s->head) set_newer(c, s->head, ref); else s->tail = ref;
  s->head = ref;
}

/* The entry's block moved from ref to to (same links, same bit): point its
 * neighbours and the state's cursors at the new place. */
static void list_moved(mc_cache *c, uint32_t ref, uint32_t to) {
  state *s = c->s;
  memcpy(at(c, to), at(c, ref), LINK_BYTES);
  uint32_t n = newer_of(c, to), o = older_of(c, to);
  if (n) set_older(c, n, to); else s->head = to;
  if (o) set_newer(c, o, to); else s->tail = to;
  if (s->sweep == ref) s->sweep = to;
  if (s->hand == ref) s->hand = to;
  if (s->victim_ref == ref) s->victim_ref = to;
}

/* A hit under the cache's policy: LRU relinks at the head, SIEVE sets the
 * visited bit (written only when not yet set), FIFO does nothing. */
static inline void touch(mc_cache *c, uint32_t ref) {
  int policy = c->s->cfg.policy;
  if (policy == MC_CACHE_LRU) {
    if (c->s->head != ref) {
      list_unlink(c, ref);
      list_push_head(c, ref);
    }
  } else if (policy == MC_CACHE_SIEVE) {
    set_visited(c, ref, 1);
  }
}

/* ---- eviction log (heap mode) -------------------------------------------- */

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

void mc_cache_log_enable(mc_cache *c, int on) { c->log_on = on && !c->region; }
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

/* Removes the entry at slot pos. reason: 0 (delete/pop), EVICT or EXPIRE.
 * keep_view: the block is freed only at the next mutation (flush_pending),
 * so a view of it stays readable until then. */
static void remove_at(mc_cache *c, uint64_t pos, int reason, int keep_view) {
  state *s = c->s;
  uint32_t ref = (uint32_t)c->slots[pos];
  uint8_t *e = at(c, ref);
  meta m;
  decode(c, e, &m);
  if (reason && c->log_on) log_entry(c, reason, e, &m);
  remove_slot(c, pos);
  HOOK(reason == MC_CACHE_EVICT ? MC_CACHE_HOOK_EVICT : MC_CACHE_HOOK_DELETE);
  list_unlink(c, ref);
  if (s->victim_ref == ref) s->victim_ref = 0;
  if (reason == MC_CACHE_EVICT) s->st.evictions++;
  if (reason == MC_CACHE_EXPIRE) s->st.expirations++;
  s->st.entries--;
  s->st.bytes -= charge_of(m.units);
  if (m.has_exp) s->n_exp--;
  if (keep_view) {
    flush_pending(c);
    s->pending_ref = ref;
    s->pending_units = (uint32_t)m.units;
  } else {
    push_free(c, ref, m.units);
  }
}

static uint32_t hash_of_ref(const mc_cache *c, uint32_t ref) {
  if (ref == c->s->victim_ref) return c->s->victim_h32;
  const uint8_t *e = at(c, ref);
  meta m;
  decode(c, e, &m);
  return hash32(c, e + m.key_off, m.klen);
}

static void remove_ref(mc_cache *c, uint32_t ref, int reason, int keep_view) {
  remove_at(c, slot_of_ref(c, hash_of_ref(c, ref), ref), reason, keep_view);
}

/* SIEVE: from the hand (0 = the oldest) toward the newest, wrapping, clear
 * visited bits and return the first unvisited entry other than keep, with
 * the hand left on it (its removal moves the hand to the next newer one).
 * Two passes at most: the first clears every bit it passes. */
static uint32_t sieve_victim(mc_cache *c, uint32_t keep) {
  state *s = c->s;
  uint32_t h = s->hand ? s->hand : s->tail;
  for (uint64_t steps = 0; h && steps <= 2 * s->st.entries + 2; steps++) {
    if (h != keep) {
      if (!visited(c, h)) {
        s->hand = h;
        return h;
      }
      set_visited(c, h, 0);
    }
    uint32_t n = newer_of(c, h);
    s->hand = n;
    h = n ? n : s->tail;
  }
  return 0;
}

/* The entry the policy evicts next, other than keep; 0 if none. */
static uint32_t next_victim(mc_cache *c, uint32_t keep) {
  if (c->s->cfg.policy == MC_CACHE_SIEVE) return sieve_victim(c, keep);
  uint32_t v = c->s->tail;
  if (v && v == keep) v = newer_of(c, v);
  return v;
}

/* A write into a full cache evicts the oldest entry (LRU, FIFO): hash it and
 * start loading its index slot now, so those loads overlap the lookup of the
 * new key, and start loading the entry after it (the next write's victim). */
static void prepare_eviction(mc_cache *c) {
  state *s = c->s;
  uint32_t t = s->tail;
  if (!t || s->cfg.policy == MC_CACHE_SIEVE) return;
  if (t != s->victim_ref) {
    s->victim_h32 = hash_of_ref(c, t);
    s->victim_ref = t;
  }
  __builtin_prefetch(&c->slots[home(c, s->victim_h32)]);
  uint32_t n = newer_of(c, t);
  if (n) __builtin_prefetch(at(c, n));
}

/* Evicts the policy's victim other than keep. Returns 0 if there was none. */
static int evict_one(mc_cache *c, uint32_t keep, uint64_t now) {
  uint32_t v = next_victim(c, keep);
  if (!v) return 0;
  const uint8_t *e = at(c, v);
  meta m;
  decode(c, e, &m);
  remove_ref(c, v, expired(e, &m, now) ? MC_CACHE_EXPIRE : MC_CACHE_EVICT, 0);
  return 1;
}

/* Removes the expired entries among up to `budget` entries from ref toward
 * the newest; adds their number to *removed and returns where it stopped
 * (0: past the newest). */
static uint32_t expire_walk(mc_cache *c, uint32_t ref, uint64_t now, size_t budget,
                            size_t *removed) {
  while (ref && budget--) {
    uint32_t next = newer_of(c, ref);
    const uint8_t *e = at(c, ref);
    meta m;
    decode(c, e, &m);
    if (expired(e, &m, now)) {
      remove_ref(c, ref, MC_CACHE_EXPIRE, 0);
      (*removed)++;
    }
    ref = next;
  }
  return ref;
}

/* Bounded incremental expiry: examines up to `budget` entries from the sweep
 * cursor toward the newest; the cursor restarts at the oldest when it ends. */
static size_t sweep(mc_cache *c, uint64_t now, size_t budget) {
  size_t removed = 0;
  state *s = c->s;
  s->sweep = expire_walk(c, s->sweep ? s->sweep : s->tail, now, budget, &removed);
  return removed;
}

size_t mc_cache_purge_stale(mc_cache *c, uint64_t now, size_t budget) {
  if (!c->s->n_exp) return 0;
  begin_mut(c);
  flush_pending(c);
  size_t removed = 0;
  if (budget) removed = sweep(c, now, budget);
  else expire_walk(c, c->s->tail, now, SIZE_MAX, &removed);
  end_mut(c);
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

static int config_ok(const mc_cache_config *cfg) {
  return cfg && cfg->policy >= MC_CACHE_LRU && cfg->policy <= MC_CACHE_SIEVE &&
         cfg->ttl_ms <= MC_CACHE_TTL_MAX && cfg->sweep_per_write >= 0;
}

/* An empty state for cfg (seed chosen here unless cfg gives one). */
static void state_init(state *s, const mc_cache_config *cfg) {
  memset(s, 0, sizeof *s);
  s->cfg = *cfg;
  if (!s->cfg.sweep_per_write) s->cfg.sweep_per_write = 4;
  if (cfg->seed[0] || cfg->seed[1]) {
    s->seed[0] = cfg->seed[0];
    s->seed[1] = cfg->seed[1];
  } else {
    random_seed(s->seed);
  }
  s->top = ARENA_START;
}

int mc_cache_create(const mc_cache_config *cfg, mc_cache **out) {
  *out = NULL;
  if (!config_ok(cfg)) return MC_CACHE_EINVAL;
  mc_cache *c = (mc_cache *)calloc(1, sizeof *c);
  if (!c) return MC_CACHE_ENOMEM;
  c->s = &c->own;
  c->hdr = LINK_BYTES;
  state_init(c->s, cfg);
  if (index_alloc(c, INDEX_MIN) != 0) {
    free(c);
    return MC_CACHE_ENOMEM;
  }
  *out = c;
  return MC_CACHE_OK;
}

void mc_cache_destroy(mc_cache *c) {
  if (!c) return;
  if (c->region) {
    mc_cache_region_detach(c);
    return;
  }
  arena_release(c);
  table_free(c->slots, c->mask + 1);
  free(c->log);
  free(c);
}

HOT int get_h32(mc_cache *c, const void *key, size_t klen, uint32_t h32, uint64_t now, int flags,
                mc_cache_view *out) {
  state *s = c->s;
  uint64_t pos;
  if (!find_slot(c, key, klen, h32, &pos)) {
    if (!(flags & MC_CACHE_NO_STATS)) s->st.misses++;
    return MC_CACHE_MISS;
  }
  uint32_t ref = (uint32_t)c->slots[pos];
  uint8_t *e = at(c, ref);
  meta m;
  decode(c, e, &m);
  if (m.has_exp && now > expiry_of(e, &m)) {
    fill_view(c, ref, e, &m, out);
    if (!(flags & MC_CACHE_KEEP_STALE)) {
      begin_mut(c);
      remove_at(c, pos, MC_CACHE_EXPIRE, 1);
      end_mut(c);
    }
    if (!(flags & MC_CACHE_NO_STATS)) s->st.misses++;
    return (flags & MC_CACHE_ALLOW_STALE) ? MC_CACHE_STALE : MC_CACHE_MISS;
  }
  if (!(flags & MC_CACHE_PEEK)) {
    if (s->cfg.policy == MC_CACHE_LRU && s->head != ref) {
      begin_mut(c);
      list_unlink(c, ref);
      list_push_head(c, ref);
      end_mut(c);
    } else if (s->cfg.policy == MC_CACHE_SIEVE) {
      set_visited(c, ref, 1);
    }
    if (s->cfg.update_age_on_get && m.has_exp)
      set_expiry(e, &m, expiry_at(now, ttl_of(c, e, &m)));
  }
  if (!(flags & MC_CACHE_NO_STATS)) s->st.hits++;
  fill_view(c, ref, e, &m, out);
  return MC_CACHE_HIT;
}

int mc_cache_get(mc_cache *c, const void *key, size_t klen, uint64_t now, int flags,
                 mc_cache_view *out) {
  return get_h32(c, key, klen, hash32(c, key, klen), now, flags, out);
}

int mc_cache_get_hashed(mc_cache *c, const void *key, size_t klen, uint64_t hash, uint64_t now,
                        int flags, mc_cache_view *out) {
  return get_h32(c, key, klen, h32_of(c, hash), now, flags, out);
}

/* The most entries the cache may hold (0 = no bound). */
static inline uint64_t entry_limit(const mc_cache *c) {
  uint64_t lim = c->s->cfg.max_entries;
  if (c->region && (!lim || lim > c->entry_cap)) lim = c->entry_cap;
  return lim;
}

/* alloc_block; in region mode a full or fragmented arena evicts entries
 * other than keep until the block fits, and an empty cache starts its arena
 * afresh (free lists of unsplittable sizes may hold it all). */
static uint32_t alloc_evicting(mc_cache *c, size_t units, uint32_t keep, uint64_t now) {
  uint32_t ref;
  while (!(ref = alloc_block(c, units)) && c->region) {
    if (evict_one(c, keep, now)) continue;
    if (c->s->st.entries || c->s->top == ARENA_START) break;
    arena_forget(c);
  }
  return ref;
}

static int insert_new(mc_cache *c, const put_op *op) {
  state *s = c->s;
  size_t charge = charge_of(op->units);
  uint64_t limit = entry_limit(c);
  while (limit && s->st.entries >= limit && evict_one(c, 0, op->now)) {
  }
  while (s->cfg.max_bytes && s->st.bytes + charge > s->cfg.max_bytes && evict_one(c, 0, op->now)) {
  }
  if (!c->region && index_full(c, s->st.entries + 1) && index_grow(c) != 0) return MC_CACHE_ENOMEM;
  uint32_t ref = alloc_evicting(c, op->units, 0, op->now);
  if (!ref) return MC_CACHE_ENOMEM;
  s->writing_ref = ref;
  version_reset(c, at(c, ref));
  write_entry(c, at(c, ref), op);
  set_word(at(c, ref), 0, 0); /* not visited; list_push_head sets the links */
  list_push_head(c, ref);
  HOOK(MC_CACHE_HOOK_SET_LINKED);
  c->slots[empty_slot(c, op->h32)] = ((uint64_t)op->h32 << 32) | ref;
  HOOK(MC_CACHE_HOOK_SET_WRITTEN);
  s->st.entries++;
  s->st.bytes += charge;
  s->st.sets++;
  if (op->has_exp) s->n_exp++;
  return MC_CACHE_OK;
}

/* Replaces the value of the entry at pos (same key). */
static int update_at(mc_cache *c, uint64_t pos, const put_op *op) {
  state *s = c->s;
  uint32_t ref = (uint32_t)c->slots[pos];
  meta m;
  decode(c, at(c, ref), &m);
  size_t old_charge = charge_of(m.units), charge = charge_of(op->units);
  touch(c, ref);
  while (s->cfg.max_bytes && s->st.bytes - old_charge + charge > s->cfg.max_bytes &&
         evict_one(c, ref, op->now)) {
  }
  uint32_t target = ref;
  if (op->units != m.units) {
    target = alloc_evicting(c, op->units, ref, op->now);
    if (!target) {
      if (!c->region) return MC_CACHE_ENOMEM;
      /* Region too fragmented even with only this entry left: drop it and
       * insert afresh (from an empty arena). */
      remove_ref(c, ref, 0, 0);
      return insert_new(c, op);
    }
    /* Evictions above may have shifted slots: find this entry's again. */
    s->writing_ref = target;
    c->slots[slot_of_ref(c, op->h32, ref)] = ((uint64_t)op->h32 << 32) | target;
    list_moved(c, ref, target);
    version_reset(c, at(c, target));
    push_free(c, ref, m.units);
  }
  s->writing_ref = target;
  write_entry(c, at(c, target), op);
  HOOK(MC_CACHE_HOOK_SET_WRITTEN);
  if (op->has_exp != m.has_exp) s->n_exp += (uint64_t)op->has_exp - (uint64_t)m.has_exp;
  /* unchanged counters are not written: a store moves the line here from
   * every other process that reads it (region mode) */
  if (charge != old_charge) s->st.bytes = s->st.bytes - old_charge + charge;
  s->st.sets++;
  return MC_CACHE_OK;
}

/* What sweep would do next, without doing it: 1 if an entry it would
 * examine has expired, else 0 with *end = where it would stop. */
static int sweep_due(const mc_cache *c, uint64_t now, uint32_t *end) {
  const state *s = c->s;
  uint32_t ref = s->sweep ? s->sweep : s->tail;
  for (size_t budget = (size_t)s->cfg.sweep_per_write; ref && budget--; ref = newer_of(c, ref)) {
    const uint8_t *e = at(c, ref);
    meta m;
    decode(c, e, &m);
    if (expired(e, &m, now)) return 1;
  }
  *end = ref;
  return 0;
}

/* Region mode: a set to a key already present, whose block keeps its size
 * and expiry kind, while nothing else is due (no pending free, no expired
 * entry where the sweep would look, no eviction), rewrites the value where it
 * is. It changes no slot, link or free list, so it leaves the structural
 * seqlock alone and guards the rewrite with the entry's version word: lock-
 * free readers of other keys keep their copy of the seq line, and only
 * readers of this entry (who must fetch its new value anyway) retry. It
 * writes no state line either (the set is counted in pending_sets), so the
 * only shared lines it takes are the lock's and the entry's. A holder that
 * dies inside leaves the version odd: verify fails on it, and repair drops
 * that entry (LRU's relink, the one other change made here, happens while
 * the version is odd). pos: the key's slot. Returns 0 when the set must
 * take the structural path. */
static int update_in_place(mc_cache *c, uint64_t pos, const put_op *op) {
  state *s = c->s;
  if (s->pending_ref || (s->cfg.max_bytes && s->st.bytes > s->cfg.max_bytes)) return 0;
  uint32_t ref = (uint32_t)c->slots[pos];
  uint8_t *e = at(c, ref);
  meta m;
  decode(c, e, &m);
  uint32_t cursor = 0;
  if (m.units != op->units || m.has_exp != op->has_exp) return 0;
  if (s->n_exp && sweep_due(c, op->now, &cursor)) return 0;
  _Atomic uint32_t *ver = version_of(e);
  uint32_t v = atomic_load_explicit(ver, memory_order_relaxed) | 1u;
  atomic_store_explicit(ver, v, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  if (s->n_exp) s->sweep = cursor;
  touch(c, ref);
  write_entry(c, e, op);
  HOOK(MC_CACHE_HOOK_SET_WRITTEN);
  atomic_store_explicit(ver, v + 1u, memory_order_release);
  if (++c->pending_sets >= MC_CACHE_SETS_FLUSH) flush_sets(c);
  return 1;
}

HOT int set_h32(mc_cache *c, const void *key, size_t klen, uint32_t h32, const void *val,
                size_t vlen, unsigned tag, uint64_t ttl, uint64_t now) {
  state *s = c->s;
  if (tag > 15) return MC_CACHE_EINVAL;
  if (ttl == MC_CACHE_TTL_DEFAULT) ttl = s->cfg.ttl_ms;
  if (ttl > MC_CACHE_TTL_MAX) ttl = MC_CACHE_TTL_MAX;
  put_op op = {.key = key, .val = val, .klen = klen, .vlen = vlen, .tag = tag, .ttl = ttl,
               .now = now};
  op.has_exp = ttl > 0;
  op.own = op.has_exp && ttl != s->cfg.ttl_ms;
  if (klen > MC_CACHE_MAX_ENTRY || vlen > MC_CACHE_MAX_ENTRY) return MC_CACHE_ETOOLARGE;
  size_t raw = raw_size(c->hdr, klen, vlen, op.has_exp, op.own);
  if (raw > MC_CACHE_MAX_ENTRY) return MC_CACHE_ETOOLARGE;
  op.units = units_of(raw);
  size_t charge = charge_of(op.units);
  if (s->cfg.max_bytes && charge > s->cfg.max_bytes) return MC_CACHE_ETOOLARGE;
  if (c->region && op.units * UNIT > c->arena_cap - ARENA_START) return MC_CACHE_ETOOLARGE;
  op.exp = op.has_exp ? expiry_at(now, ttl) : 0;
  op.h32 = h32;
  uint64_t pos;
  int found = -1; /* not looked up yet */
  if (c->region) {
    found = find_slot(c, key, klen, h32, &pos);
    if (found && update_in_place(c, pos, &op)) return MC_CACHE_OK;
  }
  begin_mut(c);
  flush_pending(c); /* frees a block already out of the index: no slot moves */
  if (s->n_exp && sweep(c, now, (size_t)s->cfg.sweep_per_write)) found = -1; /* slots moved */
  uint64_t limit = entry_limit(c);
  if ((limit && s->st.entries >= limit) ||
      (s->cfg.max_bytes && s->st.bytes + charge > s->cfg.max_bytes))
    prepare_eviction(c);
  if (found < 0) found = find_slot(c, key, klen, h32, &pos);
  int r = found ? update_at(c, pos, &op) : insert_new(c, &op);
  end_mut(c);
  return r;
}

int mc_cache_set(mc_cache *c, const void *key, size_t klen, const void *val, size_t vlen,
                 unsigned tag, uint64_t ttl, uint64_t now) {
  return set_h32(c, key, klen, hash32(c, key, klen), val, vlen, tag, ttl, now);
}

int mc_cache_set_hashed(mc_cache *c, const void *key, size_t klen, uint64_t hash, const void *val,
                        size_t vlen, unsigned tag, uint64_t ttl, uint64_t now) {
  return set_h32(c, key, klen, h32_of(c, hash), val, vlen, tag, ttl, now);
}

int mc_cache_delete(mc_cache *c, const void *key, size_t klen, uint64_t now) {
  return mc_cache_delete_hashed(c, key, klen, key_hash(c, key, klen), now);
}

int mc_cache_delete_hashed(mc_cache *c, const void *key, size_t klen, uint64_t hash,
                           uint64_t now) {
  uint64_t pos;
  if (!find_slot(c, key, klen, h32_of(c, hash), &pos)) return 0;
  begin_mut(c);
  flush_pending(c);
  const uint8_t *e = at(c, (uint32_t)c->slots[pos]);
  meta m;
  decode(c, e, &m);
  int was = !expired(e, &m, now);
  remove_at(c, pos, was ? 0 : MC_CACHE_EXPIRE, 0);
  if (was) c->s->st.deletes++;
  end_mut(c);
  return was;
}

int mc_cache_pop(mc_cache *c, uint64_t now, mc_cache_view *out) {
  begin_mut(c);
  flush_pending(c);
  uint32_t ref;
  int found = 0;
  while (!found && (ref = next_victim(c, 0)) != 0) {
    const uint8_t *e = at(c, ref);
    meta m;
    decode(c, e, &m);
    if (expired(e, &m, now)) {
      remove_ref(c, ref, MC_CACHE_EXPIRE, 0);
      continue;
    }
    fill_view(c, ref, e, &m, out);
    remove_ref(c, ref, 0, 1);
    c->s->st.deletes++;
    found = 1;
  }
  end_mut(c);
  return found;
}

/* Heap mode gives memory back; region mode zeroes its index. */
static void empty_all(mc_cache *c) {
  state *s = c->s;
  arena_release(c);
  if (c->region) {
    memset(c->slots, 0, (size_t)(c->mask + 1) * sizeof(uint64_t));
  } else {
    uint64_t *old = c->slots;
    uint64_t old_n = c->mask + 1;
    if (index_alloc(c, INDEX_MIN) == 0) {
      table_free(old, old_n);
    } else {
      c->slots = old; /* keep the big table, emptied */
      set_index_size(c, old_n);
      memset(old, 0, old_n * sizeof *old);
    }
  }
  s->head = s->tail = s->sweep = s->hand = 0;
  s->n_exp = 0;
  s->st.entries = 0;
  s->st.bytes = 0;
}

void mc_cache_clear(mc_cache *c) {
  begin_mut(c);
  empty_all(c);
  end_mut(c);
}

uint32_t mc_cache_first(const mc_cache *c, int dir) {
  return dir == MC_CACHE_OLDEST_FIRST ? c->s->tail : c->s->head;
}

uint32_t mc_cache_next(const mc_cache *c, uint32_t ref, int dir) {
  return dir == MC_CACHE_OLDEST_FIRST ? newer_of(c, ref) : older_of(c, ref);
}

void mc_cache_view_of(const mc_cache *c, uint32_t ref, mc_cache_view *out) {
  const uint8_t *e = at(c, ref);
  meta m;
  decode(c, e, &m);
  fill_view(c, ref, e, &m, out);
}

uint32_t mc_cache_find(const mc_cache *c, const void *key, size_t klen) {
  uint64_t pos;
  if (!find_slot(c, key, klen, hash32(c, key, klen), &pos)) return 0;
  return (uint32_t)c->slots[pos];
}

void mc_cache_flush_counts(mc_cache *c) {
  if (c->pending_sets) flush_sets(c);
}
uint32_t mc_cache_pending_counts(const mc_cache *c) { return c->pending_sets; }

void mc_cache_get_stats(const mc_cache *c, mc_cache_stats *out) {
  *out = c->s->st;
  out->sets += c->pending_sets;
  out->arena_bytes = c->s->top - ARENA_START;
  out->index_bytes = (c->mask + 1) * sizeof(uint64_t);
  out->total_bytes = c->region ? c->region_size
                               : sizeof *c + c->s->top + out->index_bytes + c->log_cap;
}

uint64_t mc_cache_size(const mc_cache *c) { return c->s->st.entries; }

int mc_cache_uses_ttl(const mc_cache *c) { return c->s->cfg.ttl_ms != 0 || c->s->n_exp != 0; }

const mc_cache_config *mc_cache_config_of(const mc_cache *c) { return &c->s->cfg; }

/* ---- region mode --------------------------------------------------------- */

/* Region: [region_hdr + cfg/seed copy][state][slots][arena], each
 * part 64-byte aligned; every position is an offset from the region start. */
typedef struct {
  region_hdr h;
  mc_cache_config cfg;          /* as formatted (reset restores it) */
  uint64_t seed[2];
} region_head;

static uint64_t head_check(const region_head *rh) {
  static const uint64_t k[2] = {0x6d656d63746c2052ULL, 0x6567696f6e204831ULL};
  region_head t = *rh;
  t.h.check = 0;
  return mc_cache_siphash13(k, &t, sizeof t);
}

/* Fills the layout fields of h for cfg; 0 or EINVAL. */
static int region_layout(const mc_cache_config *cfg, region_hdr *h) {
  if (!config_ok(cfg) || !cfg->max_bytes || cfg->max_bytes > ARENA_LIMIT - ARENA_START)
    return MC_CACHE_EINVAL;
  uint64_t cap = cfg->max_bytes / MC_CACHE_MIN_CHARGE;
  if (cfg->max_entries && cfg->max_entries < cap) cap = cfg->max_entries;
  if (cap < 1) cap = 1;
  if (cap > CAP_MAX) return MC_CACHE_EINVAL;
  uint64_t nslots = INDEX_MIN;
  while (nslots * 3 < cap * 4 + 4) nslots *= 2; /* load stays under 3/4 */
  memset(h, 0, sizeof *h);
  h->magic = REGION_MAGIC;
  h->version = MC_CACHE_REGION_VERSION;
  h->hdr_bytes = (uint32_t)sizeof(region_head);
  h->nslots = nslots;
  h->entry_cap = cap;
  /* max_bytes plus 1/8 slack against fragmentation (freed blocks are not
   * merged), so a full region rarely evicts beyond its byte bound. */
  uint64_t arena = cfg->max_bytes + cfg->max_bytes / 8;
  if (arena > ARENA_LIMIT - ARENA_START) arena = ARENA_LIMIT - ARENA_START;
  h->arena_cap = ARENA_START + ((arena + UNIT - 1) & ~(uint64_t)(UNIT - 1));
  h->off_state = ALIGN64(sizeof(region_head));
  h->off_slots = h->off_state + ALIGN64(sizeof(state));
  h->off_arena = ALIGN64(h->off_slots + nslots * sizeof(uint64_t));
  h->size = ALIGN64(h->off_arena + h->arena_cap);
  return 0;
}

size_t mc_cache_region_size(const mc_cache_config *cfg) {
  region_hdr h;
  if (region_layout(cfg, &h) != 0) return 0;
  return (size_t)h.size;
}

static void handle_bind(mc_cache *c, uint8_t *mem, const region_hdr *h) {
  c->s = (state *)(void *)(mem + h->off_state);
  c->slots = (uint64_t *)(void *)(mem + h->off_slots);
  c->base = mem + h->off_arena;
  set_index_size(c, h->nslots);
  c->entry_cap = (uint32_t)h->entry_cap;
  c->arena_cap = (size_t)h->arena_cap;
  c->region = 1;
  c->region_size = (size_t)h->size;
  c->hdr = LINK_BYTES + VERSION_BYTES;
}

int mc_cache_region_init(void *mem, size_t size, const mc_cache_config *cfg) {
  region_head rh;
  if (!mem || ((uintptr_t)mem & 63) || region_layout(cfg, &rh.h) != 0) return MC_CACHE_EINVAL;
  if (size < rh.h.size) return MC_CACHE_EREGION;
  uint8_t *m = (uint8_t *)mem;
  mc_cache c;
  memset(&c, 0, sizeof c);
  handle_bind(&c, m, &rh.h);
  memset(m, 0, sizeof(region_head)); /* an interrupted init is not a region */
  state_init(c.s, cfg);
  memset(c.slots, 0, (size_t)rh.h.nslots * sizeof(uint64_t));
  memset(&rh.cfg, 0, sizeof rh.cfg);
  rh.cfg = c.s->cfg;
  rh.seed[0] = c.s->seed[0];
  rh.seed[1] = c.s->seed[1];
  rh.h.check = head_check(&rh);
  memcpy(m + sizeof(uint64_t), (uint8_t *)&rh + sizeof(uint64_t), sizeof rh - sizeof(uint64_t));
  atomic_thread_fence(memory_order_release);
  memcpy(m, &rh, sizeof(uint64_t)); /* the magic last */
  return MC_CACHE_OK;
}

int mc_cache_region_attach(void *mem, size_t size, mc_cache **out) {
  *out = NULL;
  if (!mem || ((uintptr_t)mem & 63) || size < sizeof(region_head)) return MC_CACHE_EREGION;
  region_head rh;
  memcpy(&rh, mem, sizeof rh);
  if (rh.h.magic != REGION_MAGIC) return MC_CACHE_EREGION;
  if (rh.h.version != MC_CACHE_REGION_VERSION) return MC_CACHE_EVERSION;
  if (rh.h.hdr_bytes != sizeof(region_head) || rh.h.check != head_check(&rh))
    return MC_CACHE_EREGION;
  region_hdr want;
  if (region_layout(&rh.cfg, &want) != 0) return MC_CACHE_EREGION;
  want.check = rh.h.check;
  if (memcmp(&want, &rh.h, sizeof want) != 0 || rh.h.size > size) return MC_CACHE_EREGION;
  mc_cache *c = (mc_cache *)calloc(1, sizeof *c);
  if (!c) return MC_CACHE_ENOMEM;
  handle_bind(c, (uint8_t *)mem, &rh.h);
  *out = c;
  return MC_CACHE_OK;
}

void mc_cache_region_detach(mc_cache *c) {
  if (!c) return;
  free(c->log);
  free(c);
}

/* ---- lock-free reads ------------------------------------------------------ */

/* A varint at e[*off], every byte inside [0, avail). */
static int varint_in(const uint8_t *e, size_t avail, size_t *off, uint64_t *out) {
  uint64_t r = 0;
  for (int sh = 0; sh < 63; sh += 7) {
    if (*off >= avail) return -1;
    uint8_t b = e[(*off)++];
    r |= (uint64_t)(b & 0x7f) << sh;
    if (!(b & 0x80)) {
      *out = r;
      return 0;
    }
  }
  return -1;
}

/* Whether a block at byte offset at_b can start inside the arena's first
 * `bound` bytes (its links, version and length words fit). */
static inline int racy_block_ok(size_t at_b, size_t bound) {
  return at_b >= ARENA_START && at_b + 16 <= bound;
}

/* The entry at ref (racy_block_ok) if it holds key, checked against the
 * arena's bounds: 1 = it does (*m filled), 0 = another key, -1 = not a sane
 * block. */
static int racy_match(const mc_cache *c, uint32_t ref, size_t bound, const void *key,
                      size_t klen, meta *m) {
  size_t at_b = (size_t)ref * UNIT;
  const uint8_t *e = at(c, ref);
  size_t avail = bound - at_b, off = c->hdr;
  uint64_t k, v;
  if (varint_in(e, avail, &off, &k) || varint_in(e, avail, &off, &v)) return -1;
  meta_of(k, v, off, m); /* unsigned arithmetic: garbage lengths are caught below */
  if (m->klen > avail || m->vlen > avail ||
      off + m->klen + m->vlen + (m->has_exp ? 6 : 0) + (m->own_ttl ? 6 : 0) > avail)
    return -1;
  return m->klen == klen && memcmp(e + off, key, klen) == 0;
}

int mc_cache_read_copy(const mc_cache *c, const void *key, size_t klen, uint64_t now,
                       void *buf, size_t cap, mc_cache_copy *out) {
  return mc_cache_read_copy_hashed(c, key, klen, key_hash(c, key, klen), now, buf, cap, out);
}

/* Seqlock reader side: the structural sequence as of now (acquire), and
 * whether it moved since q0 (after the reads it guards). */
static inline uint32_t seq_read(const state *s) {
  return atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)&s->seq, memory_order_acquire);
}
static inline int seq_moved(const state *s, uint32_t q0) {
  atomic_thread_fence(memory_order_acquire);
  return atomic_load_explicit((_Atomic uint32_t *)(uintptr_t)&s->seq, memory_order_relaxed) != q0;
}

int mc_cache_read_copy_hashed(const mc_cache *c, const void *key, size_t klen, uint64_t hash,
                              uint64_t now, void *buf, size_t cap, mc_cache_copy *out) {
  const state *s = c->s;
  if (!c->region || s->cfg.policy == MC_CACHE_LRU) return MC_CACHE_RETRY;
  uint32_t q0 = seq_read(s);
  if (q0 & 1u) return MC_CACHE_BUSY;
  uint64_t top = __atomic_load_n(&s->top, __ATOMIC_RELAXED);
  size_t bound = top < c->arena_cap ? (size_t)top : c->arena_cap;
  uint32_t h32 = h32_of(c, hash);
  uint64_t i = home(c, h32);
  for (uint64_t probes = 0; probes <= c->mask; probes++, i = (i + 1) & c->mask) {
    uint64_t sl = __atomic_load_n(&c->slots[i], __ATOMIC_RELAXED);
    if (!sl) return seq_moved(s, q0) ? MC_CACHE_BUSY : MC_CACHE_MISS;
    if ((uint32_t)(sl >> 32) != h32) continue;
    meta m;
    uint32_t ref = (uint32_t)sl;
    if (!racy_block_ok((size_t)ref * UNIT, bound)) return seq_moved(s, q0) ? MC_CACHE_BUSY : MC_CACHE_RETRY;
    const uint8_t *e = at(c, ref);
    uint32_t v0 = version_load(e, memory_order_acquire);
    if (v0 & 1u) return MC_CACHE_BUSY;
    int r = racy_match(c, ref, bound, key, klen, &m);
    if (r < 0) return seq_moved(s, q0) ? MC_CACHE_BUSY : MC_CACHE_RETRY;
    if (!r) continue;
    if (s->cfg.policy == MC_CACHE_SIEVE && !(word_at(e, 0) & VISITED)) return MC_CACHE_RETRY;
    if (m.has_exp && (now > expiry_of(e, &m) || s->cfg.update_age_on_get)) return MC_CACHE_RETRY;
    if (m.vlen > cap) return MC_CACHE_RETRY;
    memcpy(buf, e + m.key_off + m.klen, m.vlen);
    atomic_thread_fence(memory_order_acquire);
    if (version_load(e, memory_order_relaxed) != v0 || seq_moved(s, q0)) return MC_CACHE_BUSY;
    out->vlen = m.vlen;
    out->tag = m.tag;
    return MC_CACHE_HIT;
  }
  return MC_CACHE_RETRY;
}

int mc_cache_is_region(const mc_cache *c) { return c->region; }
int mc_cache_mutating(const mc_cache *c) { return c->s->mutating != 0; }

/* Region mode: the config and seed again from the immutable head (a damaged
 * state may hold garbage there). */
static void restore_config(mc_cache *c) {
  state *s = c->s;
  if (!c->region) return;
  const region_head *rh =
      (const region_head *)(const void *)((const uint8_t *)s - ALIGN64(sizeof(region_head)));
  s->cfg = rh->cfg;
  s->seed[0] = rh->seed[0];
  s->seed[1] = rh->seed[1];
}

void mc_cache_reset(mc_cache *c) {
  state *s = c->s;
  if (c->region) {
    /* The state may be garbage: only the counters are kept. */
    mc_cache_stats st = s->st;
    uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);
    memset(s, 0, sizeof *s);
    restore_config(c);
    s->st = st;
    atomic_store_explicit(&s->seq, q, memory_order_relaxed); /* readers compare it */
  }
  s->mutating = 1;
  empty_all(c);
  s->mutating = 0;
}

/* ---- verify -------------------------------------------------------------- */

typedef struct {
  const mc_cache *c;
  uint8_t *mark;                /* one bit per arena unit: used */
  uint8_t *start;               /* one bit per arena unit: an entry starts here */
  uint64_t top_units, marked;
} vctx;

/* Marks [ref, ref + units) as used; -1 if out of range or already marked. */
static int mark_units(vctx *v, uint64_t ref, uint64_t units) {
  if (ref * UNIT < ARENA_START || units == 0 || ref + units > v->top_units) return -1;
  for (uint64_t u = ref; u < ref + units; u++) {
    if (v->mark[u >> 3] & (1u << (u & 7))) return -1;
    v->mark[u >> 3] |= (uint8_t)(1u << (u & 7));
  }
  v->marked += units;
  return 0;
}

/* decode() with every read bounds-checked against the arena's top. */
static int decode_checked(const vctx *v, uint32_t ref, meta *m) {
  if ((uint64_t)ref * UNIT < ARENA_START || ref >= v->top_units) return -1;
  const uint8_t *e = at(v->c, ref);
  size_t avail = (size_t)(v->top_units - ref) * UNIT, off = v->c->hdr;
  uint64_t k, l;
  if (varint_in(e, avail, &off, &k) || varint_in(e, avail, &off, &l)) return -1;
  if ((k >> 2) > MC_CACHE_MAX_ENTRY || (l >> 4) > MC_CACHE_MAX_ENTRY) return -1;
  decode(v->c, e, m);
  if (m->key_off != off || ref + m->units > v->top_units) return -1;
  return 0;
}

static inline int bit(const uint8_t *map, uint64_t u) { return (map[u >> 3] >> (u & 7)) & 1; }

/* Queue: from head to tail, newer/older links agree; every block on it
 * decodes inside the arena, overlaps no other, and is marked as an entry
 * start; counts, bytes and expiring entries match the state; visited bits
 * only under SIEVE; the cursors point at entries; in a region, version words
 * are even (no rewrite under way) unless a mutation is. */
static int verify_queue(vctx *v) {
  const mc_cache *c = v->c;
  const state *s = c->s;
  uint64_t n = 0, bytes = 0, n_exp = 0;
  uint32_t prev = 0, ref = s->head;
  while (ref) {
    meta m;
    if (++n > s->st.entries || decode_checked(v, ref, &m) || mark_units(v, ref, m.units)) return -1;
    uint32_t w0 = word_at(at(c, ref), 0);
    if ((w0 & REF_MASK) != prev) return -1;
    if ((w0 & VISITED) && s->cfg.policy != MC_CACHE_SIEVE) return -1;
    if (c->region && !s->mutating && (version_load(at(c, ref), memory_order_relaxed) & 1u)) return -1;
    v->start[ref >> 3] |= (uint8_t)(1u << (ref & 7));
    bytes += charge_of(m.units);
    n_exp += (uint64_t)m.has_exp;
    prev = ref;
    ref = older_of(c, ref);
  }
  if (prev != s->tail || n != s->st.entries || bytes != s->st.bytes || n_exp != s->n_exp)
    return -1;
  if (s->cfg.max_bytes && bytes > s->cfg.max_bytes) return -1;
  uint32_t cur[3] = {s->sweep, s->hand, s->victim_ref};
  for (int i = 0; i < 3; i++)
    if (cur[i] && (cur[i] >= v->top_units || !bit(v->start, cur[i]))) return -1;
  if (s->victim_ref) {
    const uint8_t *e = at(c, s->victim_ref);
    meta m;
    decode(c, e, &m);
    if (hash32(c, e + m.key_off, m.klen) != s->victim_h32) return -1;
  }
  return 0;
}

/* Index: exactly one slot per entry on the queue, each reachable from its
 * home, holding its key's hash, and the first slot of its key. */
static int verify_index(vctx *v) {
  const mc_cache *c = v->c;
  uint64_t nslots = c->mask + 1, used = 0;
  for (uint64_t i = 0; i < nslots; i++) {
    uint64_t sl = c->slots[i];
    if (!sl) continue;
    uint32_t ref = (uint32_t)sl;
    if (ref >= v->top_units || !bit(v->start, ref)) return -1; /* not an entry, or twice */
    v->start[ref >> 3] &= (uint8_t)~(1u << (ref & 7));
    used++;
  }
  if (used != c->s->st.entries || used >= nslots) return -1;
  for (uint64_t i = 0; i < nslots; i++) {
    uint64_t sl = c->slots[i];
    if (!sl) continue;
    uint32_t h32 = (uint32_t)(sl >> 32);
    const uint8_t *e = at(c, (uint32_t)sl);
    meta m;
    decode(c, e, &m);
    if (hash32(c, e + m.key_off, m.klen) != h32) return -1;
    for (uint64_t j = home(c, h32); j != i; j = (j + 1) & c->mask)
      if (!c->slots[j]) return -1;
    uint64_t pos;
    if (!find_slot(c, e + m.key_off, m.klen, h32, &pos) || pos != i) return -1;
  }
  return 0;
}

/* Arena: free lists well-formed, and live + free + pending blocks tile
 * [ARENA_START, top) exactly. */
static int verify_arena(vctx *v) {
  const mc_cache *c = v->c;
  const state *s = c->s;
  uint64_t bound = v->top_units;
  for (size_t k = 1; k <= MAX_CLASS; k++) {
    int bit = (s->free_bits[k >> 6] >> (k & 63)) & 1;
    if (bit != (s->free_head[k] != 0)) return -1;
    uint64_t steps = 0;
    for (uint32_t r = s->free_head[k]; r; r = ((const uint32_t *)(const void *)at(c, r))[0]) {
      if (++steps > bound || (uint64_t)r * UNIT < ARENA_START || r >= v->top_units) return -1;
      if (((const uint32_t *)(const void *)at(c, r))[1] != k || mark_units(v, r, k)) return -1;
    }
  }
  if (s->free_bits[0] & 1) return -1;
  for (size_t l = 0; l < LARGE_LISTS; l++) {
    uint64_t steps = 0;
    for (uint32_t r = s->large_free[l]; r; r = ((const uint32_t *)(const void *)at(c, r))[0]) {
      if (++steps > bound || (uint64_t)r * UNIT < ARENA_START || r >= v->top_units) return -1;
      uint32_t u = ((const uint32_t *)(const void *)at(c, r))[1];
      if (u <= MAX_CLASS || units_of((size_t)u * UNIT) != u || large_list(u) != l ||
          mark_units(v, r, u))
        return -1;
    }
  }
  if (s->pending_ref && mark_units(v, s->pending_ref, s->pending_units)) return -1;
  if (!s->pending_ref && s->pending_units) return -1;
  if (v->marked != v->top_units - ARENA_START / UNIT) return -1;
  return 0;
}

int mc_cache_verify(const mc_cache *c) {
  const state *s = c->s;
  if (!config_ok(&s->cfg) || !s->cfg.sweep_per_write) return MC_CACHE_ECORRUPT;
  if (s->top < ARENA_START || (s->top > ARENA_START && s->top > c->arena_cap) || s->top % UNIT)
    return MC_CACHE_ECORRUPT;
  if (s->st.entries > c->mask || (c->region && s->st.entries > c->entry_cap))
    return MC_CACHE_ECORRUPT;
  if (s->cfg.max_entries && s->st.entries > s->cfg.max_entries) return MC_CACHE_ECORRUPT;
  if (s->pending_ref > REF_MASK) return MC_CACHE_ECORRUPT;
  vctx v = {c, NULL, NULL, s->top / UNIT, 0};
  size_t map_bytes = (size_t)(v.top_units + 7) / 8 + 1;
  v.mark = (uint8_t *)calloc(map_bytes, 1);
  v.start = (uint8_t *)calloc(map_bytes, 1);
  if (!v.mark || !v.start) {
    free(v.mark);
    free(v.start);
    return MC_CACHE_ENOMEM;
  }
  /* the queue first: it marks the entries the index is checked against */
  int r = verify_queue(&v) || verify_index(&v) || verify_arena(&v);
  free(v.mark);
  free(v.start);
  return r ? MC_CACHE_ECORRUPT : 0;
}

/* ---- repair -------------------------------------------------------------- */

typedef struct {
  uint32_t ref, h32;
} survivor;

static int units_unmarked(const vctx *v, uint64_t ref, uint64_t units) {
  for (uint64_t u = ref; u < ref + units; u++)
    if (v->mark[u >> 3] & (1u << (u & 7))) return 0;
  return 1;
}

/* The entries the index names that are whole: their block decodes inside
 * the arena, its key hashes to the slot's hash, it overlaps no block kept
 * before, and it is not the block an interrupted set was writing. Marks
 * their units and their start bits. Returns how many were put in out. */
static size_t collect_survivors(vctx *v, survivor *out) {
  const mc_cache *c = v->c;
  const state *s = c->s;
  size_t n = 0;
  for (uint64_t i = 0; i <= c->mask; i++) {
    uint64_t sl = c->slots[i];
    if (!sl) continue;
    uint32_t ref = (uint32_t)sl, h32 = (uint32_t)(sl >> 32);
    meta m;
    if (s->mutating && ref == s->writing_ref) continue;
    if (decode_checked(v, ref, &m) || !units_unmarked(v, ref, m.units)) continue;
    /* a rewrite in place was under way (its writer died): drop it */
    if (c->region && (version_load(at(c, ref), memory_order_relaxed) & 1u)) continue;
    const uint8_t *e = at(c, ref);
    if (hash32(c, e + m.key_off, m.klen) != h32) continue;
    mark_units(v, ref, m.units);
    v->start[ref >> 3] |= (uint8_t)(1u << (ref & 7));
    out[n].ref = ref;
    out[n].h32 = h32;
    n++;
  }
  return n;
}

/* Orders the survivors newest first: those the old queue still reaches from
 * its head keep their order; the rest (their links were being changed) go
 * before them. The walk follows links that may be garbage, so it only picks
 * refs whose start bit is set (and clears it), and is bounded. */
static void order_survivors(vctx *v, const survivor *all, size_t n, survivor *out) {
  const mc_cache *c = v->c;
  size_t walked = 0;
  uint32_t ref = c->s->head;
  for (uint64_t steps = 0; ref && ref < v->top_units && steps < v->top_units; steps++) {
    if (v->start[ref >> 3] & (1u << (ref & 7))) {
      v->start[ref >> 3] &= (uint8_t)~(1u << (ref & 7));
      out[n - 1 - walked++].ref = ref; /* placed from the back, fixed below */
    }
    if ((uint64_t)ref * UNIT + LINK_BYTES > (uint64_t)v->top_units * UNIT) break;
    ref = older_of(c, ref);
  }
  /* out[n - walked .. n) holds the walk reversed: turn it newest first */
  for (size_t a = n - walked, b = n - 1; walked > 1 && a < b; a++, b--) {
    survivor t = out[a];
    out[a] = out[b];
    out[b] = t;
  }
  size_t front = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t r = all[i].ref;
    if (v->start[r >> 3] & (1u << (r & 7))) out[front++] = all[i];
  }
  /* the walked ones need their hashes back */
  for (size_t i = front; i < n; i++) {
    const uint8_t *e = at(c, out[i].ref);
    meta m;
    decode(c, e, &m);
    out[i].h32 = hash32(c, e + m.key_off, m.klen);
  }
}

/* Frees every unit of [ARENA_START, top) that no survivor holds, in pieces
 * whose sizes are block classes. */
static void free_gaps(mc_cache *c, const vctx *v) {
  uint64_t u = ARENA_START / UNIT;
  while (u < v->top_units) {
    if (v->mark[u >> 3] & (1u << (u & 7))) {
      u++;
      continue;
    }
    uint64_t end = u;
    while (end < v->top_units && !(v->mark[end >> 3] & (1u << (end & 7)))) end++;
    while (u < end) {
      uint64_t g = end - u, piece = g;
      if (g > MAX_CLASS) {
        unsigned b = 63 - (unsigned)__builtin_clzll((unsigned long long)g);
        piece = g & ~(((uint64_t)1 << (b - 3)) - 1); /* a multiple of its class step */
      }
      push_free(c, (uint32_t)u, (size_t)piece);
      u += piece;
    }
  }
}

/* Links the survivors newest first and indexes them; a second entry for a
 * key already indexed (only damage makes one) is left out. Returns how many
 * were kept; their units stay marked, dropped ones are unmarked. */
static size_t relink_survivors(mc_cache *c, vctx *v, const survivor *order, size_t n) {
  state *s = c->s;
  uint32_t prev = 0;
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t ref = order[i].ref;
    uint8_t *e = at(c, ref);
    meta m;
    decode(c, e, &m);
    uint64_t pos;
    if (find_slot(c, e + m.key_off, m.klen, order[i].h32, &pos)) {
      for (uint64_t u = ref; u < ref + m.units; u++) v->mark[u >> 3] &= (uint8_t)~(1u << (u & 7));
      continue;
    }
    c->slots[pos] = ((uint64_t)order[i].h32 << 32) | ref;
    set_word(e, 0, prev); /* SIEVE bits cleared */
    set_word(e, 1, 0);
    version_reset(c, e); /* no rewrite is under way any more */
    if (prev) set_older(c, prev, ref); else s->head = ref;
    prev = ref;
    s->st.entries++;
    s->st.bytes += charge_of(m.units);
    s->n_exp += (uint64_t)m.has_exp;
    kept++;
  }
  s->tail = prev;
  return kept;
}

static long repair(mc_cache *c, uint64_t *dropped);

/* The rebuild is one structural mutation for lock-free readers. */
long mc_cache_repair(mc_cache *c, uint64_t *dropped) {
  seq_begin(c);
  long r = repair(c, dropped);
  seq_end(c);
  return r;
}

static long repair(mc_cache *c, uint64_t *dropped) {
  state *s = c->s;
  uint64_t had = s->st.entries;
  if (dropped) *dropped = 0;
  restore_config(c);
  if (s->top < ARENA_START || (s->top > ARENA_START && s->top > c->arena_cap) || s->top % UNIT) {
    mc_cache_reset(c);
    if (dropped) *dropped = had;
    return -1;
  }
  vctx v = {c, NULL, NULL, s->top / UNIT, 0};
  size_t map_bytes = (size_t)(v.top_units + 7) / 8 + 1;
  size_t cap = (size_t)(c->mask + 1 < v.top_units ? c->mask + 1 : v.top_units);
  v.mark = (uint8_t *)calloc(map_bytes, 1);
  v.start = (uint8_t *)calloc(map_bytes, 1);
  survivor *all = (survivor *)malloc((cap + 1) * sizeof *all);
  survivor *order = (survivor *)malloc((cap + 1) * sizeof *order);
  long kept = -1;
  if (v.mark && v.start && all && order) {
    size_t n = collect_survivors(&v, all);
    order_survivors(&v, all, n, order);
    s->mutating = 1;
    memset(c->slots, 0, (size_t)(c->mask + 1) * sizeof(uint64_t));
    s->head = s->tail = s->sweep = s->hand = s->victim_ref = 0;
    s->pending_ref = s->pending_units = 0;
    s->writing_ref = 0;
    s->n_exp = s->st.entries = s->st.bytes = 0;
    memset(s->free_head, 0, sizeof s->free_head);
    memset(s->free_bits, 0, sizeof s->free_bits);
    memset(s->large_free, 0, sizeof s->large_free);
    kept = (long)relink_survivors(c, &v, order, n);
    free_gaps(c, &v);
    s->mutating = 0;
  }
  free(v.mark);
  free(v.start);
  free(all);
  free(order);
  if (kept < 0 || mc_cache_verify(c) != 0) {
    mc_cache_reset(c);
    if (dropped) *dropped = had;
    return -1;
  }
  if (dropped) *dropped = had > (uint64_t)kept ? had - (uint64_t)kept : 0;
  return kept;
}
