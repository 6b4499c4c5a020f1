/* Shared cache segment: one cache (src/core/cache.c in region mode) split into
 * N shards inside one shared memory mapping, usable by every process that
 * maps it, and safe against a process killed at any instant.
 *
 * Segment layout (all offsets, no pointers; 64-byte aligned blocks):
 *   [header][shard 0 control][shard 0 region]...[shard N-1 control][region]
 * - header: magic, layout version, ready state, creator pid, the options the
 *   segment was created with, the shard-hash seed, the table of attached pids.
 * - shard control: a robust process-shared mutex, a `held` flag for
 *   spinning lockers, lock statistics.
 * - shard region: a cache region formatted by mc_cache_region_init with
 *   max_bytes / shards bytes and max_entries / shards entries (rounded up).
 * A key goes to shard siphash13(seed, key) % shards.
 *
 * Creation: the creator opens with O_EXCL, sizes the file, reserves every
 * page (posix_fallocate: a full /dev/shm is ENOSPC now, never SIGBUS later),
 * formats, then publishes state READY. Openers wait for READY (bounded).
 *
 * Reads: with policies FIFO and SIEVE, a get first tries a lock-free read
 * (mc_shm_read: no shared write; guarded by the region's structural seqlock
 * and the entry's version word, see mc_cache_read_copy), waits a little
 * while a writer is inside, and takes the lock only when that read cannot
 * finish (a SIEVE bit to set, an expired entry, a writer that stays); LRU
 * gets always lock (a hit relinks). A set that rewrites a value in place
 * bumps only that entry's version, so readers of other keys in the shard
 * keep their cached copy of its seqlock.
 *
 * Crash safety: every change to a shard runs under its robust mutex. When
 * the holder died (EOWNERDEAD) the next locker checks whether it died inside
 * a change (the core's mutating flag, or a failed mc_cache_verify); if so it
 * rebuilds the shard with mc_cache_repair, which keeps every whole entry and
 * drops the one being written (an interrupted delete or eviction completes);
 * only if the rebuilt shard fails verify is it emptied. The mutex is then
 * made consistent and the recovery counted. So a crash loses at most the
 * entry it was writing, never leaves a shard locked, and never lets a reader
 * see a half-written entry. */
#ifndef MEMCTL_SHM_H
#define MEMCTL_SHM_H

#include <stddef.h>
#include <stdint.h>

#include "core/cache.h"

#define MC_SHM_MAGIC 0x4853544C434D454DULL /* "MEMCTLSH" little-endian */
#define MC_SHM_LAYOUT_VERSION 6u
#define MC_SHM_MAX_SHARDS 1024u
#define MC_SHM_MAX_PIDS 256u       /* attached-process table */
#define MC_SHM_NAME_MAX 200u       /* bytes of a segment name */
#define MC_SHM_OPEN_TIMEOUT_MS 2000u
/* Pauses (about 20 ns each on x86) a locker or a lock-free reader spins while
 * a shard's holder is inside, before it blocks or takes the lock. */
#define MC_SHM_SPINS 256

/* Results (negative = error). */
enum {
  MC_SHM_OK = 0,
  MC_SHM_EINVAL = -1,      /* bad name or options */
  MC_SHM_ENOSPC = -2,      /* not enough shared memory for the segment */
  MC_SHM_ESYS = -3,        /* a system call failed: see errno_out */
  MC_SHM_ETRUNCATED = -4,  /* the segment file is smaller than its layout */
  MC_SHM_ECORRUPT = -5,    /* not a memctl segment (garbage) or a bad shard */
  MC_SHM_EVERSION = -6,    /* formatted by another layout version */
  MC_SHM_ENOTREADY = -7,   /* still being formatted after the timeout */
  MC_SHM_ESTALE = -8,      /* its creator died while formatting it */
  MC_SHM_EOPTION = -9,     /* an option contradicts the existing segment */
  MC_SHM_ENOROBUST = -10,  /* no robust process-shared mutexes here */
  MC_SHM_ENOENT = -11,     /* no such segment (open without create) */
  MC_SHM_ELOCK = -12,      /* a shard lock is unrecoverable */
};

/* Options. In mc_shm_open, 0 (or -1 for policy) means "take the existing
 * segment's value" (and the default when creating). */
typedef struct mc_shm_options {
  uint64_t max_bytes;     /* bound on charged bytes (whole cache); required to create */
  uint64_t max_entries;   /* 0 = no count bound */
  uint64_t ttl_ms;        /* 0 = none */
  int ttl_set;            /* 1: ttl_ms was given (so 0 is checked too) */
  int policy;             /* MC_CACHE_*, or -1 = unspecified (create: LRU) */
  uint32_t shards;        /* 0 = unspecified (create: 16) */
  uint32_t open_timeout_ms; /* 0 = MC_SHM_OPEN_TIMEOUT_MS */
  int no_create;          /* 1: open only */
} mc_shm_options;

typedef struct mc_shm mc_shm;

/* Per-shard lock statistics. */
typedef struct mc_shm_lock_stats {
  uint64_t acquisitions;  /* lock acquisitions */
  uint64_t contended;     /* of which the first trylock failed */
  uint64_t wait_ns;       /* time spent waiting on contended acquisitions */
  uint64_t recoveries;    /* holder died: recovered (EOWNERDEAD) */
  uint64_t repairs;       /* of which the holder died inside a change: rebuilt */
  uint64_t resets;        /* of which the rebuild failed and the shard was emptied */
  uint64_t lost;          /* entries dropped by repairs and resets */
  uint64_t read_hits;     /* lock-free reads (mc_shm_read) that hit */
  uint64_t read_misses;   /* lock-free reads that found no entry */
} mc_shm_lock_stats;

/* Opens (creating if absent, unless no_create) the segment. `name` is a
 * shm name ("sessions" -> /dev/shm/memctl-sessions) unless is_path, then a
 * file path. On error returns a code; *errno_out gets errno for ESYS/ENOSPC,
 * *bad_option the option name for EOPTION (both may be NULL). */
int mc_shm_open(const char *name, int is_path, const mc_shm_options *opt,
                mc_shm **out, int *errno_out, const char **bad_option);

/* Unmaps and frees the handle; the segment stays. */
void mc_shm_close(mc_shm *s);

/* Removes the name (open mappings keep working). ENOENT if absent. */
int mc_shm_unlink(const char *name, int is_path, int *errno_out);

/* The options the segment was created with, and 1 if this handle created it. */
void mc_shm_options_of(const mc_shm *s, mc_shm_options *out);
int mc_shm_created(const mc_shm *s);
uint32_t mc_shm_shard_count(const mc_shm *s);
size_t mc_shm_segment_size(const mc_shm *s);

/* Every shard's cache has the segment's seed, so a key is hashed once
 * (mc_shm_hash: mc_cache_hash under that seed) for both its shard (the low
 * bits, mc_shm_shard_of_hash) and its slot in that shard's index (the high
 * bits): pass the hash on to mc_shm_read and the mc_cache_*_hashed calls.
 * Keys are in the cache's byte form. */
uint64_t mc_shm_hash(const mc_shm *s, const void *key, size_t klen);
uint32_t mc_shm_shard_of_hash(const mc_shm *s, uint64_t hash);
uint32_t mc_shm_shard_of(const mc_shm *s, const void *key, size_t klen);

/* Locks shard i (recovering it if its holder died) and returns its cache
 * handle, or NULL with *err set (MC_SHM_ELOCK). Pair with mc_shm_unlock. */
mc_cache *mc_shm_lock(mc_shm *s, uint32_t i, int *err);
void mc_shm_unlock(mc_shm *s, uint32_t i);

/* Lock-free read of key in shard i (mc_cache_read_copy; while it answers
 * MC_CACHE_BUSY, a writer is inside: read again, up to MC_SHM_SPINS pauses).
 * Returns MC_CACHE_HIT (value copied into buf, *out set), MC_CACHE_MISS, or
 * MC_CACHE_RETRY: the caller then takes the lock and uses mc_cache_get. Hits and misses are
 * counted per process and added to the shard's shared counters every
 * MC_SHM_READ_FLUSH reads (and by mc_shm_lock_stats_of and mc_shm_close), so
 * no read writes a shared line. */
#define MC_SHM_READ_FLUSH 256u
int mc_shm_read(mc_shm *s, uint32_t i, const void *key, size_t klen, uint64_t hash, uint64_t now,
                void *buf, size_t cap, mc_cache_copy *out);
/* Shard i's cache handle without its lock: only for reads that tolerate a
 * concurrent writer (mc_cache_uses_ttl to choose a clock). */
const mc_cache *mc_shm_cache(const mc_shm *s, uint32_t i);

void mc_shm_lock_stats_of(mc_shm *s, uint32_t i, mc_shm_lock_stats *out);

/* Live processes in the attached table (each pid counted once; pids that no
 * longer exist are dropped). A pid reused by an unrelated process after the
 * attached one died without closing would be counted until that one exits. */
uint32_t mc_shm_attached(mc_shm *s);

/* Verifies every shard under its lock: 0 or MC_SHM_ECORRUPT. */
int mc_shm_verify(mc_shm *s);

/* A human-readable message for a code. */
const char *mc_shm_strerror(int code);

/* Test-only: if the environment variable MEMCTL_TEST_STOP_AT is "N" (N >= 1),
 * installs the cache core's test hook so that the N-th mutation point reached
 * by this process raises SIGSTOP (the test then SIGKILLs it). Returns 1 if
 * installed. */
int mc_shm_install_test_hook_from_env(void);

#endif
