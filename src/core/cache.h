/* Off-heap cache core: one open-addressing hash index plus an entry arena.
 *
 * Layout and invariants
 * - Every entry is one block in an arena the cache owns. Blocks are addressed
 *   by 32-bit refs (offset / 8 inside the arena; ref 0 is never a block), never
 *   by pointers stored in cache memory, so the arena may move (it grows with
 *   mremap) and could later live in shared memory.
 * - The index is a power-of-two array of 64-bit slots: (hash32 << 32) | ref,
 *   0 = empty. A slot's home is the top bits of hash32; linear probing with
 *   backward-shift deletion, so there are no tombstones. The fragment in the
 *   slot is compared before the entry is touched, and growing the index never
 *   touches entries (the slot holds everything needed to place it).
 * - All entries are on one doubly-linked recency list of refs (head = newest).
 *   LRU moves an entry to the head on get/set; FIFO only links new entries.
 * - Entry block: [newer u32][older u32][varint klen<<2|own_ttl<<1|has_exp]
 *   [varint vlen<<4|tag][key][value][expires_at 48-bit if has_exp]
 *   [ttl 48-bit if own_ttl], rounded up to 8 bytes.
 * - Charged bytes of an entry = block size + MC_CACHE_INDEX_CHARGE (its share
 *   of the index). stats.bytes is the sum over live entries; max_bytes bounds
 *   it exactly.
 * - Hashing is SipHash-1-3 keyed with 128 random bits per cache.
 * - Views returned by get/pop/iteration point into the arena and stay valid
 *   until the next call that modifies the cache.
 *
 * Time is always passed in by the caller (now_ms), so behaviour is
 * deterministic under test. Not thread-safe: one caller at a time. */
#ifndef MEMCTL_CACHE_H
#define MEMCTL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define MC_CACHE_INDEX_CHARGE 12u     /* 8-byte slot at mean load 2/3 */
#define MC_CACHE_MAX_ENTRY (1u << 30) /* largest block: key + value + header */
#define MC_CACHE_TTL_MAX ((uint64_t)1 << 46) /* ms; about 2,200 years */

enum { MC_CACHE_LRU = 0, MC_CACHE_FIFO = 1 };

/* Results. Negative values are errors. */
enum {
  MC_CACHE_OK = 0,
  MC_CACHE_ENOMEM = -1,
  MC_CACHE_ETOOLARGE = -2, /* entry larger than max_bytes or MC_CACHE_MAX_ENTRY */
  MC_CACHE_EINVAL = -3,
};

/* get() results */
enum { MC_CACHE_MISS = 0, MC_CACHE_HIT = 1, MC_CACHE_STALE = 2 };

/* get() flags */
enum {
  MC_CACHE_PEEK = 1,        /* no recency change, no age update */
  MC_CACHE_NO_STATS = 2,    /* do not count a hit or miss */
  MC_CACHE_ALLOW_STALE = 4, /* return an expired entry once (then it is removed) */
  MC_CACHE_KEEP_STALE = 8,  /* do not remove an expired entry that is found */
};

/* Eviction-log reasons */
enum { MC_CACHE_EVICT = 1, MC_CACHE_EXPIRE = 2 };

/* Iteration directions */
enum { MC_CACHE_NEWEST_FIRST = 0, MC_CACHE_OLDEST_FIRST = 1 };

#define MC_CACHE_TTL_DEFAULT UINT64_MAX /* set(): use the cache's ttl */

typedef struct mc_cache mc_cache;

typedef struct mc_cache_config {
  int policy;              /* MC_CACHE_LRU or MC_CACHE_FIFO */
  uint64_t max_entries;    /* 0 = no count bound */
  uint64_t max_bytes;      /* 0 = no byte bound */
  uint64_t ttl_ms;         /* default ttl; 0 = entries do not expire */
  int update_age_on_get;   /* a get hit restarts the entry's ttl */
  int sweep_per_write;     /* entries examined per write for expiry; 0 = 4 */
  uint64_t seed[2];        /* hash key; both 0 = random (getrandom) */
  uint32_t hash_mask;      /* tests only: hash32 &= mask (0 = keep all bits) */
} mc_cache_config;

typedef struct mc_cache_view {
  const uint8_t *key;
  size_t klen;
  const uint8_t *val;
  size_t vlen;
  unsigned tag;            /* the caller's 4-bit value tag */
  uint64_t expires_at;     /* 0 = never */
  uint64_t ttl;            /* the entry's ttl (own or the cache's); 0 = none */
  uint32_t ref;            /* cursor for iteration */
} mc_cache_view;

typedef struct mc_cache_stats {
  uint64_t hits, misses, sets, deletes, evictions, expirations;
  uint64_t entries, bytes;
  uint64_t arena_bytes;    /* arena bytes handed out (live + free blocks) */
  uint64_t index_bytes;    /* index table */
  uint64_t total_bytes;    /* every byte of memory this cache owns */
} mc_cache_stats;

int mc_cache_create(const mc_cache_config *cfg, mc_cache **out);
void mc_cache_destroy(mc_cache *c);

/* Looks key up. HIT: *out describes the entry. STALE (only with
 * MC_CACHE_ALLOW_STALE): the entry had expired; it was removed (unless
 * MC_CACHE_KEEP_STALE) and *out stays valid until the next modification. */
int mc_cache_get(mc_cache *c, const void *key, size_t klen, uint64_t now,
                 int flags, mc_cache_view *out);

/* Inserts or replaces. ttl: ms, 0 = never expires, MC_CACHE_TTL_DEFAULT = the
 * cache's ttl. Evicts as needed; refuses (ETOOLARGE) without changing anything
 * when the entry alone exceeds max_bytes. */
int mc_cache_set(mc_cache *c, const void *key, size_t klen, const void *val,
                 size_t vlen, unsigned tag, uint64_t ttl, uint64_t now);

/* Returns 1 if key was present (and is now removed), else 0. An expired entry
 * is removed as an expiration and reported as absent. */
int mc_cache_delete(mc_cache *c, const void *key, size_t klen, uint64_t now);

/* Removes the oldest (least recently used) live entry. Returns 1 with *out
 * valid until the next modification, 0 when empty. Expired entries met on
 * the way are removed as expirations. */
int mc_cache_pop(mc_cache *c, uint64_t now, mc_cache_view *out);

void mc_cache_clear(mc_cache *c);

/* Iteration by entry ref: first(dir) then next(ref, dir); 0 ends. */
uint32_t mc_cache_first(const mc_cache *c, int dir);
uint32_t mc_cache_next(const mc_cache *c, uint32_t ref, int dir);
void mc_cache_view_of(const mc_cache *c, uint32_t ref, mc_cache_view *out);
/* The ref of key's entry (expired or not), without touching it; 0 if absent. */
uint32_t mc_cache_find(const mc_cache *c, const void *key, size_t klen);

/* Removes expired entries, at most `budget` examined (0 = all). Returns the
 * number removed. */
size_t mc_cache_purge_stale(mc_cache *c, uint64_t now, size_t budget);

void mc_cache_get_stats(const mc_cache *c, mc_cache_stats *out);
uint64_t mc_cache_size(const mc_cache *c);
/* Charged bytes of an entry with these lengths (what max_bytes counts). */
size_t mc_cache_entry_charge(size_t klen, size_t vlen, int has_exp, int own_ttl);
/* True if entries can expire (a default ttl, or some entry has its own). */
int mc_cache_uses_ttl(const mc_cache *c);
const mc_cache_config *mc_cache_config_of(const mc_cache *c);

/* Eviction log: when enabled, every entry removed by eviction or expiry is
 * appended as a record so the caller can report it after the operation. */
void mc_cache_log_enable(mc_cache *c, int on);
size_t mc_cache_log_count(const mc_cache *c);
/* Reads record i-th in order via an opaque cursor: *pos starts at 0. Returns 1
 * and fills reason and view, or 0 at the end. */
int mc_cache_log_read(const mc_cache *c, size_t *pos, int *reason,
                      mc_cache_view *out);
void mc_cache_log_reset(mc_cache *c);

/* 64-bit SipHash-1-3 (exposed for tests). */
uint64_t mc_cache_siphash13(const uint64_t key[2], const void *data, size_t len);

#endif
