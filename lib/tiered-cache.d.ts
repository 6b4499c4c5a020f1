/// <reference types="node" />
import { EventEmitter } from 'node:events';
import { LRUCache, LRUCacheOptions, CacheValue } from './cache';

/**
 * A node-redis client or cluster (`createClient()` / `createCluster()` from the
 * `redis` package, v5 or later). TieredCache duplicates it for its own
 * connections and never uses or closes the one passed in. Typed structurally
 * so memctl's types do not require the optional `redis` peer.
 */
export interface TieredRedisClient {
  duplicate(overrides?: object): unknown;
}

/** Any L1 with this shape: an LRUCache, a SharedCache, ... */
export interface TieredL1 {
  get(key: string): unknown;
  set(key: string, value: unknown, options?: { ttl?: number }): unknown;
  delete(key: string): unknown;
  clear(): void;
  has?(key: string): boolean;
  getRemainingTTL?(key: string): number;
  readonly size?: number;
}

export interface TieredLockOptions {
  /** Lock expiry in ms (SET NX PX); default 10000. */
  ttl?: number;
  /** How long a waiter polls L2 for the holder's value before loading itself, in ms; default 5000. */
  wait?: number;
  /** Poll interval in ms; default 25. */
  poll?: number;
}

export interface TieredCacheOptions {
  redis: TieredRedisClient;
  /** LRUCache options for the L1 this cache creates (default { max: 10000 }), or an L1 instance. */
  l1?: LRUCacheOptions<string> | TieredL1 | LRUCache<string>;
  /** Default ttl in ms for both tiers; 0 (default) = no expiry. */
  ttl?: number;
  /** Prepended to every key in Redis (not in L1). */
  prefix?: string;
  /**
   * 'auto' (default): RESP3 CLIENT TRACKING, falling back to pub/sub when the
   * server or proxy refuses RESP3. 'tracking' or 'pubsub' force one.
   */
  invalidation?: 'auto' | 'tracking' | 'pubsub';
  /** The cross-process load lock for getOrSet: false (default), true, or its settings. */
  lock?: boolean | TieredLockOptions;
}

export interface TieredSetOptions {
  /** ttl in ms in both tiers; default: the cache's ttl. */
  ttl?: number;
}

export interface TieredGetOrSetOptions extends TieredSetOptions {
  /** After ttl, serve the stale value for this many ms while one refresh runs in the background. */
  staleWhileRevalidate?: number;
  /** After that, serve the stale value for this many ms more if the refresh (loader or Redis) fails. */
  grace?: number;
  /** Use the cross-process lock for this call (default: the cache's lock option). */
  lock?: boolean;
}

export interface TieredCacheStats {
  l1Hits: number;
  l2Hits: number;
  misses: number;
  loads: number;
  invalidations: number;
  flushes: number;
  errors: number;
  staleServed: number;
  lockWaits: number;
  l1Size: number;
  mode: 'tracking' | 'pubsub' | undefined;
}

export declare class TieredCache<V = CacheValue> extends EventEmitter {
  constructor(options: TieredCacheOptions);
  readonly l1: TieredL1;
  readonly prefix: string;
  readonly ttl: number;
  /** 'tracking' or 'pubsub' once connected. */
  readonly invalidation: 'tracking' | 'pubsub' | undefined;
  connect(): Promise<this>;
  /** The value, or undefined on a miss. */
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, options?: TieredSetOptions): Promise<void>;
  getOrSet(key: string, loader: (key: string) => V | undefined | Promise<V | undefined>, options?: TieredGetOrSetOptions): Promise<V | undefined>;
  /** True if Redis had the key. */
  delete(key: string): Promise<boolean>;
  stats(): TieredCacheStats;
  close(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}
