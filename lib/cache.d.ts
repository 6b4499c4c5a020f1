/// <reference types="node" />

/**
 * Keys: strings, numbers, booleans, null, undefined and bigints, compared as a
 * Map does (`1`, `'1'`, `1n` and `true` are four keys). Objects and symbols
 * cannot be keys: keys are copied off-heap, so identity cannot be kept.
 */
export type CacheKey = string | number | boolean | bigint | null | undefined;

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

/** Why onEvict was called (memctl's own callback). */
export type EvictionReason = 'evict' | 'expire';
/** Eviction policy of an LRUCache (see LRUCacheOptions.policy). */
export type CachePolicy = 'lru' | 'fifo' | 'sieve';

/** A clock in ms, as lru-cache's `perf` option (performance.now() or a fake). */
export interface Perf {
  now(): number;
}

/**
 * lru-cache v11's namespace of types, with the same names and generics, so
 * code typed against lru-cache compiles with only the import changed.
 */
export declare namespace LRUCache {
  type Size = number;
  type Milliseconds = number;
  type Count = number;
  /** Why dispose/disposeAfter was called. */
  type DisposeReason = 'evict' | 'set' | 'delete' | 'expire' | 'fetch';
  type Disposer<K, V> = (value: V, key: K, reason: DisposeReason) => void;
  type InsertReason = 'add' | 'update' | 'replace';
  type Inserter<K, V> = (value: V, key: K, reason: InsertReason) => void;
  type SizeCalculator<K, V> = (value: V, key: K) => Size;

  interface FetcherOptions<K, V, FC = unknown> {
    signal: AbortSignal;
    options: FetcherFetchOptions<K, V, FC>;
    context: FC;
  }

  /** Filled in by get/set/has/peek/fetch/memo when passed as options.status. */
  interface Status<K, V, FC = unknown> {
    op?: 'get' | 'set' | 'memo' | 'fetch' | 'delete' | 'has' | 'peek';
    set?: 'add' | 'update' | 'replace' | 'miss' | 'deleted';
    delete?: DisposeReason;
    peek?: 'hit' | 'miss' | 'stale';
    memo?: 'hit' | 'miss';
    context?: unknown;
    ttl?: Milliseconds;
    start?: Milliseconds;
    now?: Milliseconds;
    remainingTTL?: Milliseconds;
    entrySize?: Size;
    totalCalculatedSize?: Size;
    maxEntrySizeExceeded?: true;
    key?: K;
    value?: V;
    oldValue?: V;
    has?: 'hit' | 'stale' | 'miss';
    fetch?: 'get' | 'inflight' | 'miss' | 'hit' | 'stale' | 'refresh';
    forceRefresh?: boolean;
    fetchDispatched?: true;
    fetchUpdated?: true;
    fetchError?: Error;
    fetchAborted?: true;
    fetchAbortIgnored?: true;
    fetchResolved?: true;
    fetchRejected?: true;
    get?: 'stale' | 'hit' | 'miss' | 'fetching' | 'stale-fetching';
    returnedStale?: true;
    trace?: boolean;
    cache?: LRUCache<any, any, any>;
  }

  type FetchPick = 'allowStale' | 'updateAgeOnGet' | 'noDeleteOnStaleGet' | 'sizeCalculation' | 'ttl'
    | 'noDisposeOnSet' | 'noUpdateTTL' | 'noDeleteOnFetchRejection' | 'allowStaleOnFetchRejection'
    | 'ignoreFetchAbort' | 'allowStaleOnFetchAbort';

  interface FetcherFetchOptions<K, V, FC = unknown> extends Pick<OptionsBase<K, V, FC>, FetchPick> {
    status?: Status<K, V, FC>;
    size?: Size;
  }
  interface FetchOptions<K, V, FC> extends FetcherFetchOptions<K, V, FC> {
    forceRefresh?: boolean;
    context?: FC;
    signal?: AbortSignal;
    status?: Status<K, V, FC>;
  }
  interface FetchOptionsWithContext<K, V, FC> extends FetchOptions<K, V, FC> {
    context: FC;
  }
  interface FetchOptionsNoContext<K, V, FC extends undefined | void = undefined> extends FetchOptions<K, V, FC> {
    context?: FC;
  }
  interface MemoOptions<K, V, FC = unknown> extends Pick<OptionsBase<K, V, FC>, FetchPick> {
    forceRefresh?: boolean;
    context?: FC;
    status?: Status<K, V, FC>;
  }
  interface MemoOptionsWithContext<K, V, FC> extends MemoOptions<K, V, FC> {
    context: FC;
  }
  interface MemoOptionsNoContext<K, V, FC extends undefined | void = undefined> extends MemoOptions<K, V, FC> {
    context?: FC;
  }
  interface MemoizerOptions<K, V, FC = unknown> {
    options: MemoizerMemoOptions<K, V, FC>;
    context: FC;
  }
  interface MemoizerMemoOptions<K, V, FC = unknown> extends Pick<OptionsBase<K, V, FC>,
    'allowStale' | 'updateAgeOnGet' | 'noDeleteOnStaleGet' | 'sizeCalculation' | 'ttl' | 'noDisposeOnSet' | 'noUpdateTTL'> {
    status?: Status<K, V, FC>;
    size?: Size;
    start?: Milliseconds;
  }
  interface HasOptions<K, V, FC> extends Pick<OptionsBase<K, V, FC>, 'updateAgeOnHas'> {
    status?: Status<K, V, FC>;
  }
  interface GetOptions<K, V, FC> extends Pick<OptionsBase<K, V, FC>, 'allowStale' | 'updateAgeOnGet' | 'noDeleteOnStaleGet'> {
    status?: Status<K, V, FC>;
  }
  interface PeekOptions<K, V, FC> extends Pick<OptionsBase<K, V, FC>, 'allowStale'> {
    status?: Status<K, V, FC>;
  }
  interface SetOptions<K, V, FC> extends Pick<OptionsBase<K, V, FC>, 'sizeCalculation' | 'ttl' | 'noDisposeOnSet' | 'noUpdateTTL'> {
    /** This entry's size (with maxSize/maxEntrySize), instead of sizeCalculation. */
    size?: Size;
    /** When the ttl started, on the perf clock. */
    start?: Milliseconds;
    status?: Status<K, V, FC>;
  }
  type Fetcher<K, V, FC = unknown> = (key: K, staleValue: V | undefined, options: FetcherOptions<K, V, FC>)
    => Promise<V | undefined | void> | V | undefined | void;
  type Memoizer<K, V, FC = unknown> = (key: K, staleValue: V | undefined, options: MemoizerOptions<K, V, FC>) => V;

  /**
   * Every lru-cache v11 option plus memctl's maxBytes, onEvict and policy.
   * Any other name throws ERR_MEMCTL_UNKNOWN_OPTION.
   */
  interface OptionsBase<K, V, FC> {
    /** Maximum number of entries (0 or absent: no count bound). */
    max?: Count;
    /** Default time-to-live in ms (0 or absent: entries do not expire). */
    ttl?: Milliseconds;
    /** Accepted for lru-cache compatibility; no effect (memctl reads its clock on every check). */
    ttlResolution?: Milliseconds;
    /** Removes expired entries with one unref'd timer per cache. */
    ttlAutopurge?: boolean;
    /** A get() hit restarts the entry's ttl. */
    updateAgeOnGet?: boolean;
    /** A has() hit restarts the entry's ttl. */
    updateAgeOnHas?: boolean;
    /** get() and peek() return an expired entry (get() then removes it). */
    allowStale?: boolean;
    /** Called for every value leaving the cache, with the reason. */
    dispose?: Disposer<K, V>;
    /** Called after a value is stored ('add', 'update' or 'replace'). */
    onInsert?: Inserter<K, V>;
    /** As dispose, called once the operation has finished. */
    disposeAfter?: Disposer<K, V>;
    /** Overwriting with set() does not call dispose/disposeAfter. */
    noDisposeOnSet?: boolean;
    /** set() of a present key keeps its ttl. */
    noUpdateTTL?: boolean;
    /** Bound on the sum of the entries' sizes (from size or sizeCalculation). */
    maxSize?: Size;
    /** Accepted for lru-cache compatibility (in-flight fetches are not entries here); reserved at fetch start. */
    backgroundFetchSize?: number;
    /** Largest size of one entry (default maxSize); larger ones are not stored. */
    maxEntrySize?: Size;
    sizeCalculation?: SizeCalculator<K, V>;
    fetchMethod?: Fetcher<K, V, FC>;
    memoMethod?: Memoizer<K, V, FC>;
    noDeleteOnFetchRejection?: boolean;
    /** get() of an expired entry leaves it in the cache. */
    noDeleteOnStaleGet?: boolean;
    allowStaleOnFetchRejection?: boolean;
    allowStaleOnFetchAbort?: boolean;
    ignoreFetchAbort?: boolean;
    /** The clock for ttl (default: memctl's monotonic ms clock). */
    perf?: Perf;
    /** memctl: maximum bytes of native memory the entries use (key + value + per-entry overhead). */
    maxBytes?: number;
    /** memctl: called after the operation that evicted or expired an entry (key first). */
    onEvict?: (key: K, value: V, reason: EvictionReason) => void;
    /**
     * memctl: which entry a full cache drops: 'lru' (default; the least
     * recently used), 'fifo' (the oldest inserted; updates keep their place)
     * or 'sieve' (SIEVE: a hit only marks the entry visited; eviction drops
     * the oldest unvisited entry, clearing marks on the way). Iteration
     * order: recency for 'lru', insertion for 'fifo' and 'sieve'.
     */
    policy?: CachePolicy;
  }
  interface OptionsMaxLimit<K, V, FC> extends OptionsBase<K, V, FC> {
    max: Count;
  }
  interface OptionsTTLLimit<K, V, FC> extends OptionsBase<K, V, FC> {
    ttl: Milliseconds;
    ttlAutopurge: boolean;
  }
  interface OptionsSizeLimit<K, V, FC> extends OptionsBase<K, V, FC> {
    maxSize: Size;
  }
  /** memctl: a bound in bytes of native memory alone is enough. */
  interface OptionsBytesLimit<K, V, FC> extends OptionsBase<K, V, FC> {
    maxBytes: number;
  }
  type Options<K, V, FC> = OptionsMaxLimit<K, V, FC> | OptionsSizeLimit<K, V, FC> | OptionsTTLLimit<K, V, FC>
    | OptionsBytesLimit<K, V, FC>;

  /** One entry of dump() and the result of info(). */
  interface Entry<V> {
    value: V;
    /** dump(): the full ttl; info(): the remaining ttl (negative once expired). */
    ttl?: Milliseconds;
    size?: Size;
    /** Date.now()-based time the ttl started. */
    start?: Milliseconds;
  }
}

/** memctl's earlier names for the options types (kept). */
export type LRUCacheOptions<K extends CacheKey = CacheKey, V = CacheValue, FC = unknown> = LRUCache.Options<K, V, FC>;
export type LRUCacheSetOptions<K extends CacheKey = CacheKey, V = CacheValue, FC = unknown> = LRUCache.SetOptions<K, V, FC>;
export type LRUCacheGetOptions<K extends CacheKey = CacheKey, V = CacheValue, FC = unknown> = LRUCache.GetOptions<K, V, FC>;
/** One element of dump(): lru-cache's format. */
export type LRUCacheEntry<V = CacheValue> = LRUCache.Entry<V>;
export type LRUCacheInfo<V = CacheValue> = LRUCache.Entry<V>;

/** The operation counters every memctl cache reports (SharedCache: summed over shards). */
export interface CacheCounters {
  hits: number;
  misses: number;
  sets: number;
  deletes: number;
  evictions: number;
  expirations: number;
  entries: number;
  /** Charged bytes of the live entries (what maxBytes bounds). */
  bytes: number;
}

export interface CacheStats extends CacheCounters {
  /** Arena bytes handed out (live and free blocks). */
  arenaBytes: number;
  /** Bytes of the hash index. */
  indexBytes: number;
  /** Every byte of native memory the cache owns. */
  totalBytes: number;
}

type FetchOpts<K, V, FC> = unknown extends FC ? LRUCache.FetchOptions<K, V, FC>
  : FC extends undefined | void ? LRUCache.FetchOptionsNoContext<K, V, FC> : LRUCache.FetchOptionsWithContext<K, V, FC>;
type FetchOptsNoCtx<K, V, FC> = unknown extends FC ? LRUCache.FetchOptions<K, V, FC>
  : FC extends undefined | void ? LRUCache.FetchOptionsNoContext<K, V, FC> : never;
type FetchKey<K, FC> = unknown extends FC ? K : FC extends undefined | void ? K : never;
type MemoOpts<K, V, FC> = unknown extends FC ? LRUCache.MemoOptions<K, V, FC>
  : FC extends undefined | void ? LRUCache.MemoOptionsNoContext<K, V, FC> : LRUCache.MemoOptionsWithContext<K, V, FC>;
type MemoOptsNoCtx<K, V, FC> = unknown extends FC ? LRUCache.MemoOptions<K, V, FC>
  : FC extends undefined | void ? LRUCache.MemoOptionsNoContext<K, V, FC> : never;

/**
 * lru-cache v11's LRUCache with keys and values stored off-heap (copies).
 * Options are fixed at construction (read-only properties).
 */
export declare class LRUCache<K extends CacheKey = CacheKey, V = any, FC = unknown> implements Iterable<[K, V]> {
  /** From options, or from another cache: the same options (not its entries). */
  constructor(options: LRUCache.Options<K, V, FC> | LRUCache<K, V, FC>);
  readonly max: number;
  readonly maxBytes: number;
  readonly maxSize: number;
  readonly maxEntrySize: number;
  readonly sizeCalculation: LRUCache.SizeCalculator<K, V> | undefined;
  /** Sum of the entries' sizes (0 without maxSize/maxEntrySize). */
  readonly calculatedSize: number;
  readonly ttl: number;
  readonly ttlResolution: number;
  readonly ttlAutopurge: boolean;
  readonly allowStale: boolean;
  readonly updateAgeOnGet: boolean;
  readonly updateAgeOnHas: boolean;
  readonly noDisposeOnSet: boolean;
  readonly noUpdateTTL: boolean;
  readonly noDeleteOnStaleGet: boolean;
  readonly noDeleteOnFetchRejection: boolean;
  readonly allowStaleOnFetchRejection: boolean;
  readonly allowStaleOnFetchAbort: boolean;
  readonly ignoreFetchAbort: boolean;
  readonly backgroundFetchSize: number;
  readonly fetchMethod: LRUCache.Fetcher<K, V, FC> | undefined;
  readonly memoMethod: LRUCache.Memoizer<K, V, FC> | undefined;
  readonly dispose: LRUCache.Disposer<K, V> | undefined;
  readonly disposeAfter: LRUCache.Disposer<K, V> | undefined;
  readonly onInsert: LRUCache.Inserter<K, V> | undefined;
  readonly perf: Perf;
  readonly policy: CachePolicy;
  /** Number of entries (expired ones not yet removed included). */
  readonly size: number;

  get(key: K, options?: LRUCache.GetOptions<K, V, FC>): V | undefined;
  /** Stores a copy of value; `undefined` deletes the key. Returns this. */
  set(key: K, value: V | undefined, options?: LRUCache.SetOptions<K, V, FC>): this;
  has(key: K, options?: LRUCache.HasOptions<K, V, FC>): boolean;
  /** Like get() without changing recency or counters. */
  peek(key: K, options?: LRUCache.PeekOptions<K, V, FC>): V | undefined;
  delete(key: K): boolean;
  clear(): void;
  /** Removes and returns the value eviction would drop next (lru: the least recently used; fifo: the oldest inserted; sieve: the entry the hand stops at). */
  pop(): V | undefined;
  /** Removes every expired entry; true if any was removed. */
  purgeStale(): boolean;
  /** Remaining ttl in ms; Infinity without a ttl; 0 when absent; negative once expired. */
  getRemainingTTL(key: K): number;
  /** The entry, stale ones included: ttl is the remaining ms. */
  info(key: K): LRUCache.Entry<V> | undefined;

  fetch(key: K, options: FetchOpts<K, V, FC>): Promise<V | undefined>;
  fetch(key: FetchKey<K, FC>, options?: FetchOptsNoCtx<K, V, FC>): Promise<V | undefined>;
  forceFetch(key: K, options: FetchOpts<K, V, FC>): Promise<V>;
  forceFetch(key: FetchKey<K, FC>, options?: FetchOptsNoCtx<K, V, FC>): Promise<V>;
  memo(key: K, options: MemoOpts<K, V, FC>): V;
  memo(key: FetchKey<K, FC>, options?: MemoOptsNoCtx<K, V, FC>): V;
  find(fn: (value: V, key: K, cache: this) => boolean | unknown, options?: LRUCache.GetOptions<K, V, FC>): V | undefined;

  /** Most recently used first (as lru-cache). */
  keys(): Generator<K, void, void>;
  values(): Generator<V, void, void>;
  entries(): Generator<[K, V], void, void>;
  /** Least recently used first. */
  rkeys(): Generator<K, void, void>;
  rvalues(): Generator<V, void, void>;
  rentries(): Generator<[K, V], void, void>;
  [Symbol.iterator](): Generator<[K, V], void, void>;
  forEach(fn: (value: V, key: K, cache: this) => unknown, thisArg?: unknown): void;
  rforEach(fn: (value: V, key: K, cache: this) => unknown, thisArg?: unknown): void;

  /** [key, entry] pairs, least recently used first (lru-cache's format). */
  dump(): Array<[K, LRUCache.Entry<V>]>;
  /** Clears the cache and sets the dumped entries in order. */
  load(entries: ReadonlyArray<readonly [K, LRUCache.Entry<V>]>): void;

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
