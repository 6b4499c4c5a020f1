/// <reference types="node" />
import type { CacheCounters, CacheKey } from './cache';

export interface SharedCacheOptions {
  /** Shared memory name: /dev/shm/memctl-<name>. Exactly one of name or path. */
  name?: string;
  /** A file on a real filesystem to map instead of /dev/shm. */
  path?: string;
  /** Bound on the cache's charged bytes (as LRUCache's); required to create; fixed. */
  maxBytes?: number;
  /** Bound on the number of entries (split evenly across shards). */
  max?: number;
  /** Default time to live in ms (0 = none). */
  ttl?: number;
  /** Eviction policy (default 'sieve': a hit only sets a bit, so gets read without the lock). */
  policy?: 'lru' | 'fifo' | 'sieve';
  /** Independent locks/partitions (default 16, at most 1024). */
  shards?: number;
}

/** Lock and crash-recovery figures, per shard and summed over shards. */
export interface SharedCacheLockStats {
  lockAcquisitions: number;
  lockContended: number;
  lockWaitMs: number;
  /** Gets answered without the lock (hits and misses; other processes' in batches of 256 per shard). */
  lockFreeReads: number;
  /** Times a process found a shard lock whose holder had died, and recovered it. */
  recoveries: number;
  /** Of those, the times the holder had died inside a change and the shard was rebuilt. */
  repairs: number;
  /** Of the repairs, the times the rebuilt shard failed verification and was emptied. */
  resets: number;
  /** Entries dropped by repairs (the one being written) and resets. */
  lostEntries: number;
}

export interface SharedCacheShardStats extends SharedCacheLockStats {
  entries: number;
}

/**
 * `hits`, `misses` and `lockFreeReads` include other processes' lock-free gets
 * in batches of 256 per shard, and `sets` their sets that rewrote a value in
 * place in batches of 64 (and at their next other change of that shard and at
 * their `close()`); this process's own are always counted.
 */
export interface SharedCacheStats extends CacheCounters, SharedCacheLockStats {
  segmentBytes: number;
  attachedProcesses: number;
  shards: SharedCacheShardStats[];
}

export class SharedCache {
  constructor(options: SharedCacheOptions);
  readonly name: string | undefined;
  readonly path: string | undefined;
  readonly maxBytes: number;
  readonly max: number;
  readonly ttl: number;
  readonly policy: 'lru' | 'fifo' | 'sieve';
  readonly shards: number;
  readonly created: boolean;
  readonly size: number;
  readonly [Symbol.toStringTag]: 'SharedCache';
  get(key: CacheKey): any;
  set(key: CacheKey, value: any, options?: { ttl?: number }): this;
  has(key: CacheKey): boolean;
  delete(key: CacheKey): boolean;
  clear(): void;
  stats(): SharedCacheStats;
  verify(): boolean;
  close(): void;
  static unlink(nameOrOptions: string | { name?: string; path?: string }): boolean;
}
