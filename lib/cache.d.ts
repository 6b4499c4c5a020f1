/// <reference types="node" />

/** Keys: strings and numbers (`1` and `'1'` are different keys, as in a Map). */
export type CacheKey = string | number;

/**
 * Values are copied out of the V8 heap. Strings, numbers, booleans, null and
 * bigints come back as they went in; Buffers, typed arrays, DataViews and
 * ArrayBuffers come back as Buffers; plain objects, arrays, Maps, Sets, Dates
 * (anything `v8.serialize` accepts) come back as equal copies.
 */
export type CacheValue =
  | string | number | boolean | null | bigint
  | Buffer | NodeJS.TypedArray | DataView | ArrayBuffer
  | object;

export type EvictionReason = 'evict' | 'expire';
/** Eviction policy of an LRUCache (see LRUCacheOptions.policy). */
export type CachePolicy = 'lru' | 'fifo' | 'sieve';

export interface LRUCacheOptions<K extends CacheKey = CacheKey, V = CacheValue> {
  /** Maximum number of entries (a positive integer). */
  max?: number;
  /** Maximum bytes of native memory the entries use (key + value + per-entry overhead). */
  maxBytes?: number;
  /** Default time-to-live in ms (0 or absent: entries do not expire). */
  ttl?: number;
  /** A get() hit restarts the entry's ttl. */
  updateAgeOnGet?: boolean;
  /** get() and peek() return an expired entry once (get() then removes it). */
  allowStale?: boolean;
  /** Called after the operation that evicted or expired an entry. */
  onEvict?: (key: K, value: V, reason: EvictionReason) => void;
  /** lru-cache-compatible form of onEvict: (value, key, reason). */
  dispose?: (value: V, key: K, reason: EvictionReason) => void;
  /**
   * Which entry a full cache drops: 'lru' (default; the least recently used;
   * a hit moves the entry to the front), 'fifo' (the oldest inserted; updates
   * keep their place) or 'sieve' (SIEVE: a hit only marks the entry visited;
   * eviction drops the oldest unvisited entry, clearing marks on the way).
   * Iteration order: recency for 'lru', insertion for 'fifo' and 'sieve'.
   */
  policy?: CachePolicy;
}

export interface LRUCacheSetOptions {
  /** ttl in ms for this entry; 0 = never expires. */
  ttl?: number;
}

export interface LRUCacheGetOptions {
  allowStale?: boolean;
}

/** One element of dump(): lru-cache's format. */
export interface LRUCacheEntry<V = CacheValue> {
  value: V;
  /** Full ttl in ms, when the entry has one. */
  ttl?: number;
  /** Date.now()-based time the ttl started. */
  start?: number;
}

export interface LRUCacheInfo<V = CacheValue> {
  value: V;
  /** Remaining ttl in ms. */
  ttl?: number;
  start?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  evictions: number;
  expirations: number;
  entries: number;
  /** Charged bytes of the live entries (what maxBytes bounds). */
  bytes: number;
  /** Arena bytes handed out (live and free blocks). */
  arenaBytes: number;
  /** Bytes of the hash index. */
  indexBytes: number;
  /** Every byte of native memory the cache owns. */
  totalBytes: number;
}

export declare class LRUCache<K extends CacheKey = CacheKey, V = any> implements Iterable<[K, V]> {
  constructor(options: LRUCacheOptions<K, V>);
  readonly max: number;
  readonly maxBytes: number;
  readonly ttl: number;
  readonly allowStale: boolean;
  readonly updateAgeOnGet: boolean;
  readonly policy: CachePolicy;
  /** Number of entries (expired ones not yet removed included). */
  readonly size: number;

  get(key: K, options?: LRUCacheGetOptions): V | undefined;
  /** Stores a copy of value; `undefined` deletes the key. Returns this. */
  set(key: K, value: V | undefined, options?: LRUCacheSetOptions): this;
  has(key: K): boolean;
  /** Like get() without changing recency or counters. */
  peek(key: K, options?: LRUCacheGetOptions): V | undefined;
  delete(key: K): boolean;
  clear(): void;
  /** Removes and returns the value eviction would drop next (lru: the least recently used; fifo: the oldest inserted; sieve: the entry the hand stops at). */
  pop(): V | undefined;
  /** Removes every expired entry; true if any was removed. */
  purgeStale(): boolean;
  /** Remaining ttl in ms; Infinity without a ttl; 0 when absent or expired. */
  getRemainingTTL(key: K): number;
  info(key: K): LRUCacheInfo<V> | undefined;

  /** Most recently used first (as lru-cache). */
  keys(): Generator<K, void, void>;
  values(): Generator<V, void, void>;
  entries(): Generator<[K, V], void, void>;
  /** Least recently used first. */
  rkeys(): Generator<K, void, void>;
  rvalues(): Generator<V, void, void>;
  rentries(): Generator<[K, V], void, void>;
  [Symbol.iterator](): Generator<[K, V], void, void>;
  forEach(fn: (value: V, key: K, cache: this) => void, thisArg?: unknown): void;
  rforEach(fn: (value: V, key: K, cache: this) => void, thisArg?: unknown): void;

  /** [key, entry] pairs, least recently used first (lru-cache's format). */
  dump(): Array<[K, LRUCacheEntry<V>]>;
  /** Clears the cache and sets the dumped entries in order. */
  load(entries: ReadonlyArray<readonly [K, LRUCacheEntry<V>]>): void;

  stats(): CacheStats;
  /** Bytes of native memory held (0 once closed). */
  offHeapBytes(): number;
  /** Frees the native memory now; any later use throws ERR_MEMCTL_CLOSED. */
  close(): void;
  readonly [Symbol.toStringTag]: 'LRUCache';
}

/**
 * A Map with a size limit: when a new key arrives at the limit, the oldest
 * inserted key is dropped; updating a key keeps its place. Keys and values
 * follow LRUCache's rules (values are copies).
 */
export declare class LimitableMap<K extends CacheKey = CacheKey, V = any> implements Iterable<[K, V]> {
  /** options.policy: 'fifo' (default) or 'sieve'; iteration stays in insertion order. */
  constructor(limit?: number, options?: { policy?: 'fifo' | 'sieve' });
  readonly limit: number;
  readonly policy: 'fifo' | 'sieve';
  readonly size: number;
  set(key: K, value: V | undefined): this;
  get(key: K): V | undefined;
  has(key: K): boolean;
  delete(key: K): boolean;
  clear(): void;
  /** Insertion order, oldest first (as a Map). */
  keys(): Generator<K, void, void>;
  values(): Generator<V, void, void>;
  entries(): Generator<[K, V], void, void>;
  [Symbol.iterator](): Generator<[K, V], void, void>;
  forEach(fn: (value: V, key: K, map: this) => void, thisArg?: unknown): void;
  stats(): CacheStats;
  offHeapBytes(): number;
  close(): void;
  readonly [Symbol.toStringTag]: 'LimitableMap';
}
