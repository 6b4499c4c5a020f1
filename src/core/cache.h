/* Off-heap cache core: one open-addressing hash index and an entry arena.
 *
 * Layout and invariants
 * - All cache state lives in a pointer-free `state` struct plus two arrays
 *   (index slots, arena) addressed by integer offsets. A process-local handle
 *   (mc_cache) holds their base addresses. In heap mode the handle owns them
 *   and they grow; in region mode (below) they sit in one caller-provided
 *   fixed-size memory region, which several processes may map at different
 *   addresses.
 * - An entry is its arena block, named by its ref (offset / 8; 31 bits; 0 =
 *   none). Refs are what iteration cursors and view.ref hold; a set that
 *   changes an entry's size may move it to another ref.
 * - The index is a power-of-two array of 64-bit slots: (hash32 << 32) | ref,
 *   0 = empty. A slot's home is the top bits of hash32; linear probing with
 *   backward-shift deletion, so there are no tombstones. The fragment in the
 *   slot is compared before the entry is touched; growing the index never
 *   touches entries. A hit is slot -> block: the block holds the key, the
 *   value and the entry's queue links, so an LRU relink adds only the two
 *   neighbours' first lines and a SIEVE hit adds nothing.
 * - Entry block: [newer u32 | visited << 31][older u32]
 *   [varint klen<<2|own_ttl<<1|has_exp][varint vlen<<4|tag]
 *   [key][value][expires_at 48-bit if has_exp][ttl 48-bit if own_ttl],
 *   rounded up to 8 bytes (at least 16). newer/older are the refs of the
 *   neighbours on the recency queue (head = newest).
 * - Policies: LRU moves an entry to the head on get/set; FIFO only links new
 *   entries; SIEVE links new entries at the head, a hit sets the visited bit,
 *   and eviction moves a hand from the oldest toward the newest, clearing
 *   visited bits and evicting the first unvisited entry (the hand wraps to the
 *   oldest). Iteration order: recency (LRU) or insertion (FIFO, SIEVE).
 * - Charged bytes of an entry (mc_cache_entry_charge) = block size +
 *   MC_CACHE_INDEX_CHARGE (its share of the index).
 *   stats.bytes is the sum over live entries; max_bytes bounds it exactly.
 * - Hashing is keyed with 128 random bits per cache (SipHash-1-3 for keys up
 *   to 64 bytes; longer keys: a keyed 4-lane multiply-mix over 32-byte
 *   stripes finished by SipHash of the lanes).
 * - Views returned by get/pop/iteration point into the arena and stay valid
 *   until the next call that modifies the cache.
 *
 * Time is always passed in by the caller (now_ms), so behaviour is
 * deterministic under test. Not thread-safe: one caller at a time (in region
 * mode the caller holds a lock shared by every process). */
#ifndef MEMCTL_CACHE_H
#define MEMCTL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define MC_CACHE_INDEX_CHARGE 16u     /* the 8-byte index slot at its mean load (1/2) */
#define MC_CACHE_MAX_ENTRY (1u << 30) /* largest block: key + value + header */
#define MC_CACHE_TTL_MAX ((uint64_t)1 << 46) /* ms; about 2,200 years */

enum { MC_CACHE_LRU = 0, MC_CACHE_FIFO = 1, MC_CACHE_SIEVE = 2 };

/* Results. Negative values are errors. */
enum {
  MC_CACHE_OK = 0,
  MC_CACHE_ENOMEM = -1,
  MC_CACHE_ETOOLARGE = -2, /* entry larger than max_bytes or MC_CACHE_MAX_ENTRY */
  MC_CACHE_EINVAL = -3,
  MC_CACHE_EREGION = -4,   /* region: bad magic, garbage or truncated */
  MC_CACHE_EVERSION = -5,  /* region: formatted by another layout version */
  MC_CACHE_ECORRUPT = -6,  /* mc_cache_verify: a structural check failed */
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
  int policy;              /* MC_CACHE_LRU, MC_CACHE_FIFO or MC_CACHE_SIEVE */
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

/* A key's hash under c's seed: the first thing every keyed operation
 * computes. Caches created with the same cfg.seed agree on it, so a caller
 * that routes keys among such caches (mc_shm's shards) hashes a key once and
 * hands the hash to the _hashed forms of get, set, delete and read_copy,
 * which are those operations minus the hashing. hash must be
 * mc_cache_hash(c, key, klen) for that key. */
uint64_t mc_cache_hash(const mc_cache *c, const void *key, size_t klen);
int mc_cache_get_hashed(mc_cache *c, const void *key, size_t klen, uint64_t hash,
                        uint64_t now, int flags, mc_cache_view *out);
int mc_cache_set_hashed(mc_cache *c, const void *key, size_t klen, uint64_t hash,
                        const void *val, size_t vlen, unsigned tag, uint64_t ttl, uint64_t now);
int mc_cache_delete_hashed(mc_cache *c, const void *key, size_t klen, uint64_t hash,
                           uint64_t now);

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

/* Stats; `sets` includes this handle's in-place sets not yet added to the
 * region (see mc_cache_flush_counts). */
void mc_cache_get_stats(const mc_cache *c, mc_cache_stats *out);
/* Region mode: a set that rewrites a value in place counts itself in the
 * handle, and the handle adds its count to the region's stats every
 * MC_CACHE_SETS_FLUSH such sets and at its next other mutation; other
 * handles see it then. mc_cache_flush_counts adds it now (hold the lock);
 * mc_cache_pending_counts says whether there is any. */
#define MC_CACHE_SETS_FLUSH 64u
void mc_cache_flush_counts(mc_cache *c);
uint32_t mc_cache_pending_counts(const mc_cache *c);
uint64_t mc_cache_size(const mc_cache *c);
/* Charged bytes of an entry with these lengths (what max_bytes counts) in a
 * heap cache; mc_cache_charge: in cache c (a region's blocks carry a 4-byte
 * version word more, see mc_cache_read_copy: up to one 8-byte unit more). */
size_t mc_cache_entry_charge(size_t klen, size_t vlen, int has_exp, int own_ttl);
size_t mc_cache_charge(const mc_cache *c, size_t klen, size_t vlen, int has_exp, int own_ttl);
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

/* ---- region mode ---------------------------------------------------------
 * The whole cache in one caller-provided memory region of fixed size (e.g. a
 * MAP_SHARED mapping), holding no pointers, so processes that map it at
 * different addresses can each attach a handle. Sized once at init:
 * - max_bytes is required (> 0); the arena gets max_bytes + 1/8 bytes (live
 *   blocks never exceed their charges, whose sum max_bytes bounds; the 1/8
 *   absorbs fragmentation: freed blocks are reused by size, never merged);
 * - the entry capacity is max_entries, or max_bytes / MC_CACHE_MIN_CHARGE
 *   when max_entries is 0 (set max_entries to shrink the region); the index
 *   has a power of two >= 4/3 of it slots. A set that would exceed the
 *   capacity evicts, as a count bound does; when the arena is too
 *   fragmented for a block, older entries are evicted until it fits.
 * - Operations never call malloc; the eviction log is unavailable
 *   (mc_cache_log_enable is ignored on a region handle).
 * - The hash seed is stored in the region (every process hashes alike).
 * Every operation of this header works on a region handle as on a heap
 * cache. Locking between processes is the caller's job. */

#define MC_CACHE_REGION_VERSION 5u
#define MC_CACHE_MIN_CHARGE (16u + MC_CACHE_INDEX_CHARGE) /* smallest entry */

/* Bytes a region for cfg needs, or 0 if cfg is invalid for region mode. */
size_t mc_cache_region_size(const mc_cache_config *cfg);

/* Formats mem (size bytes, 64-byte aligned, writable) as an empty cache for
 * cfg. EINVAL: bad cfg or misaligned mem; EREGION: size too small. */
int mc_cache_region_init(void *mem, size_t size, const mc_cache_config *cfg);

/* Attaches a process-local handle to a region formatted by
 * mc_cache_region_init (in this or another process, at any address).
 * Validates magic, layout version, the recorded size against `size` and the
 * header's internal consistency: EREGION (garbage, truncated, not a region),
 * EVERSION (another layout version), ENOMEM (the handle). Does not walk the
 * entries: call mc_cache_verify for that. */
int mc_cache_region_attach(void *mem, size_t size, mc_cache **out);

/* Frees the handle only; the region is left as it is. */
void mc_cache_region_detach(mc_cache *c);

/* ---- lock-free reads (region mode) ---------------------------------------
 * For a reader that does not hold the region's lock while a writer in another
 * process may be changing it. Two seqlocks guard it, both kept by the
 * writers in this file: the region's structural sequence (odd while a
 * mutation frees, moves or reuses a block or changes a slot) and the found
 * entry's version word (odd while a set rewrites its value in place); a
 * result counts only if both were even and unchanged around the read. Never
 * writes; bounded; never reads outside the region whatever its content, so
 * a torn state costs a retry, never a fault or a loop. Copies the value into
 * buf (cap bytes). Returns MC_CACHE_HIT (*out set) or MC_CACHE_MISS;
 * MC_CACHE_BUSY when a writer was inside (the caller may wait and read
 * again); MC_CACHE_RETRY when the read needs a write or the lock: policy LRU
 * (a hit relinks), SIEVE on an entry not yet marked visited, an expired
 * entry, update_age_on_get, a value longer than cap, or something
 * inconsistent met while no writer was inside. Counts nothing in the stats. */
#define MC_CACHE_RETRY 3
#define MC_CACHE_BUSY 4
typedef struct mc_cache_copy {
  size_t vlen;
  unsigned tag;
} mc_cache_copy;
int mc_cache_read_copy(const mc_cache *c, const void *key, size_t klen, uint64_t now,
                       void *buf, size_t cap, mc_cache_copy *out);
int mc_cache_read_copy_hashed(const mc_cache *c, const void *key, size_t klen, uint64_t hash,
                              uint64_t now, void *buf, size_t cap, mc_cache_copy *out);

/* 1 if c is a region handle. */
int mc_cache_is_region(const mc_cache *c);

/* 1 while a mutation is in progress (or was, in a process that died inside
 * it): set on entry to set/delete/pop/clear/purge/stale removal, cleared when
 * it returns. The state may then be inconsistent: verify, then reset. */
int mc_cache_mutating(const mc_cache *c);

/* Full structural check, bounded and safe on any content of the state:
 * recency queue <-> blocks <-> index <-> counts and bytes <-> free lists
 * tiling the arena; SIEVE's hand and the sweep cursor point at live entries. Returns
 * 0 or MC_CACHE_ECORRUPT. Never crashes, never loops forever. */
int mc_cache_verify(const mc_cache *c);

/* Empties the cache in place (entries, index, arena, free lists; stats
 * counters kept; config and seed kept). Safe on a corrupt state. */
void mc_cache_reset(mc_cache *c);

/* Rebuilds the cache from what survived a writer that died inside a
 * mutation (or any damage): the entries are those the index names whose
 * blocks decode inside the arena, hash to their slot, overlap no other and
 * are not the block a set was writing; they keep their queue order where
 * the queue can still be walked (others go to the newest end). Index, queue,
 * free lists, counts and bytes are rebuilt, SIEVE bits cleared, the
 * mutating flag cleared. So an interrupted set loses that entry, an
 * interrupted delete or eviction completes, and nothing else is lost.
 * Returns the number of entries kept, or -1 if it had to empty the cache
 * instead (no memory for its work arrays, or the rebuilt state failed
 * mc_cache_verify). Safe on any content of the state. */
long mc_cache_repair(mc_cache *c, uint64_t *dropped);

/* Test-only: fn(point) is called at these points inside mutations, so a test
 * can stop or kill the process there deterministically. NULL disables it.
 * Process-wide. */
enum {
  MC_CACHE_HOOK_SET_LINKED = 1,   /* set: new entry linked on the queue, not yet in the index */
  MC_CACHE_HOOK_SET_WRITTEN = 2,  /* set: entry written, counters not yet updated */
  MC_CACHE_HOOK_EVICT = 3,        /* eviction: slot removed, entry not yet unlinked */
  MC_CACHE_HOOK_DELETE = 4,       /* delete/pop: slot removed, entry not yet unlinked */
  MC_CACHE_HOOK_SET_VALUE = 5,    /* set: header and key written, value not yet */
};
void mc_cache_set_test_hook(void (*fn)(int point));

/* 64-bit SipHash-1-3 (exposed for tests). */
uint64_t mc_cache_siphash13(const uint64_t key[2], const void *data, size_t len);

#endif
