'use strict';
// LRUCache and LimitableMap: caches whose keys and values live in C memory
// (src/core/cache.c). The V8 heap holds only the small JS object and a handle.
const v8 = require('node:v8');
const native = require('./native');
const {
  typeError, rangeError, checkInteger, checkOptions, checkBoolean, checkFunction,
  checkOneOf, describe, invalidThis,
} = require('./errors');
const { track } = require('./offheap');

// Byte-valued entries come back through a per-environment scratch Buffer: the
// native get copies them there and returns SENTINEL, and takeBytes() copies
// them into a fresh Buffer (much cheaper than creating the Buffer natively).
const SENTINEL = Object.freeze({ memctl: 'scratch' });
const SCRATCH = Buffer.allocUnsafeSlow(64 * 1024);
const META = new Uint32Array(3); // [length, tag, overflow]
native.cacheInit(SENTINEL, SCRATCH, META);

// Value tags, set results (undefined = stored, nothing to report), get flags,
// iteration directions, the ttl bound and the policy names: defined once in C
// (src/core/cache.h, src/binding/cache.cc).
const {
  VAL_SERIAL, SET_NEEDS_SERIAL, SET_LOGGED, NEWEST_FIRST, OLDEST_FIRST, GET_ALLOW_STALE, TTL_MAX,
  POLICIES,
} = native.CACHE;
const BATCH = 512;

const { cacheGet, cacheSet, cacheSetEx, cacheHas, cacheDelete, cachePeek, cacheGetEx, cacheSize } = native;

// Views of SCRATCH by length, made on first use: TypedArray#set from a ready
// view is the cheapest copy into a fresh Buffer (Buffer#copy builds a view
// per call).
const VIEWS = [];
const VIEW_CACHE_MAX = 4096;
function scratchView(len) {
  if (len > VIEW_CACHE_MAX) return SCRATCH.subarray(0, len);
  return VIEWS[len] ?? (VIEWS[len] = SCRATCH.subarray(0, len));
}

function takeBytes() {
  const len = META[0];
  if (META[2] !== 0) {
    const big = native.cacheTakeOverflow();
    return META[1] === VAL_SERIAL ? v8.deserialize(big) : big;
  }
  const view = scratchView(len);
  if (META[1] === VAL_SERIAL) return v8.deserialize(view);
  const out = Buffer.allocUnsafe(len);
  out.set(view);
  return out;
}

const fromNative = (v) => (v === SENTINEL ? takeBytes() : v);
const fromList = (v, serial) => (serial ? v8.deserialize(v) : v);

function serialize(value) {
  try {
    return v8.serialize(value);
  } catch (err) {
    const e = typeError('ERR_MEMCTL_INVALID_VALUE', `cannot copy ${describe(value)} into the cache: ${err.message}`);
    e.cause = err;
    throw e;
  }
}

function checkTtl(name, ttl) {
  return checkInteger(name, ttl, 0, TTL_MAX);
}

class LRUCache {
  #h;
  #max;
  #maxBytes;
  #ttl;
  #allowStale;
  #updateAgeOnGet;
  #onEvict;
  #dispose;
  #log;
  #policy;

  // Every public method and getter starts with this brand check: a wrong
  // receiver gets a coded TypeError instead of V8's private-field one.
  static #check(o) {
    if (typeof o !== 'object' || o === null || !(#h in o)) throw invalidThis('LRUCache', o);
  }

  // The same for the hot paths at no cost: the field load is the brand check,
  // and a try block costs nothing until it throws.
  static #handle(o) {
    try {
      return o.#h;
    } catch {
      throw invalidThis('LRUCache', o);
    }
  }

  /**
   * @param {{ max?: number, maxBytes?: number, ttl?: number, updateAgeOnGet?: boolean,
   *   allowStale?: boolean, onEvict?: Function, dispose?: Function,
   *   policy?: 'lru'|'fifo'|'sieve' }} options
   */
  constructor(options) {
    const o = checkOptions('options', options);
    // 0 means "no bound of this kind" (as lru-cache's max: 0); one must be set.
    const max = o.max === undefined ? 0 : checkInteger('options.max', o.max, 0);
    const maxBytes = o.maxBytes === undefined ? 0 : checkInteger('options.maxBytes', o.maxBytes, 0);
    if (!max && !maxBytes) {
      throw typeError('ERR_MEMCTL_MISSING_OPTION',
        'LRUCache needs a positive options.max or options.maxBytes (or both); for no practical bound use max: Number.MAX_SAFE_INTEGER');
    }
    const ttl = o.ttl === undefined ? 0 : checkTtl('options.ttl', o.ttl);
    const allowStale = o.allowStale === undefined ? false : checkBoolean('options.allowStale', o.allowStale);
    const updateAgeOnGet = o.updateAgeOnGet === undefined ? false
      : checkBoolean('options.updateAgeOnGet', o.updateAgeOnGet);
    const onEvict = o.onEvict === undefined ? undefined : checkFunction('options.onEvict', o.onEvict);
    const dispose = o.dispose === undefined ? undefined : checkFunction('options.dispose', o.dispose);
    const policy = o.policy === undefined ? 'lru' : checkOneOf('options.policy', o.policy, POLICIES);
    this.#max = max;
    this.#maxBytes = maxBytes;
    this.#ttl = ttl;
    this.#allowStale = allowStale;
    this.#updateAgeOnGet = updateAgeOnGet;
    this.#onEvict = onEvict;
    this.#dispose = dispose;
    this.#log = onEvict !== undefined || dispose !== undefined;
    this.#policy = policy;
    this.#h = native.cacheCreate({
      policy, max, maxBytes, ttl, updateAgeOnGet, allowStale, log: this.#log,
    });
    track('caches', this);
  }

  get max() { LRUCache.#check(this); return this.#max; }
  get maxBytes() { LRUCache.#check(this); return this.#maxBytes; }
  get ttl() { LRUCache.#check(this); return this.#ttl; }
  get allowStale() { LRUCache.#check(this); return this.#allowStale; }
  get updateAgeOnGet() { LRUCache.#check(this); return this.#updateAgeOnGet; }
  get policy() { LRUCache.#check(this); return this.#policy; }
  get size() { LRUCache.#check(this); return cacheSize(this.#h); }
  get [Symbol.toStringTag]() { return 'LRUCache'; }

  get(key, options) {
    const h = LRUCache.#handle(this);
    if (options === undefined) {
      const v = cacheGet(h, key);
      if (this.#log) this.#drain();
      return v === SENTINEL ? takeBytes() : v;
    }
    const o = checkOptions('options', options);
    const allow = o.allowStale === undefined ? this.#allowStale : checkBoolean('options.allowStale', o.allowStale);
    const v = cacheGetEx(h, key, allow ? GET_ALLOW_STALE : 0);
    if (this.#log) this.#drain();
    return fromNative(v);
  }

  set(key, value, options) {
    const h = LRUCache.#handle(this);
    let r;
    if (options === undefined) {
      r = cacheSet(h, key, value);
      if (r === SET_NEEDS_SERIAL) r = cacheSetEx(h, key, serialize(value), -1, true);
    } else {
      const o = checkOptions('options', options);
      const ttl = o.ttl === undefined ? -1 : checkTtl('options.ttl', o.ttl);
      r = cacheSetEx(h, key, value, ttl, false);
      if (r === SET_NEEDS_SERIAL) r = cacheSetEx(h, key, serialize(value), ttl, true);
    }
    if (r === SET_LOGGED) this.#drain();
    return this;
  }

  has(key) {
    const h = LRUCache.#handle(this);
    return cacheHas(h, key);
  }

  peek(key, options) {
    const h = LRUCache.#handle(this);
    if (options !== undefined) {
      const o = checkOptions('options', options);
      if (o.allowStale !== undefined && checkBoolean('options.allowStale', o.allowStale) !== this.#allowStale) {
        const info = this.#infoRaw(key);
        if (info === undefined || (!o.allowStale && info.stale)) return undefined;
        return info.value;
      }
    }
    return fromNative(cachePeek(h, key));
  }

  delete(key) {
    const h = LRUCache.#handle(this);
    const r = cacheDelete(h, key);
    if (this.#log) this.#drain();
    return r;
  }

  clear() {
    LRUCache.#check(this);
    native.cacheClear(this.#h);
  }

  /** Removes and returns the value eviction would drop next (undefined if empty): the least recently used under lru. */
  pop() {
    LRUCache.#check(this);
    const r = native.cachePop(this.#h);
    if (this.#log) this.#drain();
    return r === undefined ? undefined : fromList(r[1], r[2]);
  }

  /** Removes every expired entry; true if any was removed. */
  purgeStale() {
    LRUCache.#check(this);
    const n = native.cachePurgeStale(this.#h);
    if (this.#log) this.#drain();
    return n > 0;
  }

  /** Remaining ttl in ms: Infinity without a ttl, 0 if absent or expired. */
  getRemainingTTL(key) {
    LRUCache.#check(this);
    const info = this.#infoRaw(key);
    if (info === undefined) return 0;
    if (!info.ttl) return Infinity;
    return Math.max(0, info.expiresAt - info.now);
  }

  #infoRaw(key) {
    const r = native.cacheInfo(this.#h, key);
    if (r === undefined) return undefined;
    const [value, serial, ttl, expiresAt, now] = r;
    return { value: fromList(value, serial), ttl, expiresAt, now, stale: expiresAt !== 0 && now > expiresAt };
  }

  /** { value, ttl?, start? } as lru-cache's info(): ttl is the remaining ms. */
  info(key) {
    LRUCache.#check(this);
    const i = this.#infoRaw(key);
    if (i === undefined || (i.stale && !this.#allowStale)) return undefined;
    const entry = { value: i.value };
    if (i.ttl) {
      entry.ttl = i.expiresAt - i.now;
      entry.start = Date.now();
    }
    return entry;
  }

  // Batches of BATCH entries; each batch resumes after the last key returned
  // (or at the next one if that was deleted meanwhile). Entries deleted after
  // their batch was read may still be yielded.
  * #walk(dir, mode) {
    const h = this.#h;
    const stride = mode === 1 ? 1 : 3;
    let after;
    let next;
    for (;;) {
      const arr = native.cacheList(h, dir, mode, after, next, BATCH, this.#allowStale);
      const end = arr.length - 1;
      for (let i = 0; i < end; i += stride) {
        if (mode === 1) yield arr[i];
        else if (mode === 2) yield fromList(arr[i + 1], arr[i + 2]);
        else yield [arr[i], fromList(arr[i + 1], arr[i + 2])];
      }
      next = arr[end];
      if (next === undefined || end === 0) return;
      after = arr[end - stride];
    }
  }

  /** Keys, most recently used first (as lru-cache). */
  keys() { LRUCache.#check(this); return this.#walk(NEWEST_FIRST, 1); }
  values() { LRUCache.#check(this); return this.#walk(NEWEST_FIRST, 2); }
  entries() { LRUCache.#check(this); return this.#walk(NEWEST_FIRST, 3); }
  /** Least recently used first. */
  rkeys() { LRUCache.#check(this); return this.#walk(OLDEST_FIRST, 1); }
  rvalues() { LRUCache.#check(this); return this.#walk(OLDEST_FIRST, 2); }
  rentries() { LRUCache.#check(this); return this.#walk(OLDEST_FIRST, 3); }
  [Symbol.iterator]() { return this.entries(); }

  forEach(fn, thisArg) {
    LRUCache.#check(this);
    checkFunction('fn', fn);
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  rforEach(fn, thisArg) {
    LRUCache.#check(this);
    checkFunction('fn', fn);
    for (const [k, v] of this.rentries()) fn.call(thisArg, v, k, this);
  }

  /** lru-cache's dump format: [key, { value, ttl?, start? }][], oldest first. */
  dump() {
    LRUCache.#check(this);
    const out = [];
    const h = this.#h;
    const clock = native.cacheNow(h);
    const wall = Date.now();
    let after;
    let next;
    for (;;) {
      const arr = native.cacheList(h, OLDEST_FIRST, 7, after, next, BATCH, true);
      const end = arr.length - 1;
      for (let i = 0; i < end; i += 5) {
        const entry = { value: fromList(arr[i + 1], arr[i + 2]) };
        const ttl = arr[i + 3];
        if (ttl) {
          entry.ttl = ttl;
          entry.start = Math.floor(wall - (clock - (arr[i + 4] - ttl)));
        }
        out.push([arr[i], entry]);
      }
      next = arr[end];
      if (next === undefined || end === 0) return out;
      after = arr[end - 5];
    }
  }

  /** Clears the cache, then sets the entries of dump() in order. */
  load(entries) {
    LRUCache.#check(this);
    if (!Array.isArray(entries)) {
      throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `entries must be an array, got ${describe(entries)}`);
    }
    this.clear();
    const wall = Date.now();
    for (const item of entries) {
      if (!Array.isArray(item) || item.length < 2 || item[1] === null || typeof item[1] !== 'object') {
        throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', 'each dump entry must be [key, { value, ttl?, start? }]');
      }
      const [key, entry] = item;
      if (typeof entry.ttl === 'number' && entry.ttl > 0) {
        const start = typeof entry.start === 'number' ? entry.start : wall;
        const remain = Math.ceil(entry.ttl - (wall - start));
        if (remain <= 0) continue;
        this.set(key, entry.value, { ttl: Math.min(remain, TTL_MAX) });
      } else {
        this.set(key, entry.value);
      }
    }
  }

  /** Counters: hits, misses, sets, deletes, evictions, expirations, entries, bytes, ... */
  stats() {
    LRUCache.#check(this);
    return native.cacheStats(this.#h);
  }

  /** Bytes of native memory this cache holds (0 once closed). */
  offHeapBytes() {
    LRUCache.#check(this);
    return native.cacheMemory(this.#h);
  }

  /** Frees the native memory now. Later calls throw ERR_MEMCTL_CLOSED. */
  close() {
    LRUCache.#check(this);
    native.cacheClose(this.#h);
  }

  #drain() {
    const arr = native.cacheDrain(this.#h);
    if (arr === undefined) return;
    let failure;
    for (let i = 0; i < arr.length; i += 4) {
      const reason = arr[i];
      const key = arr[i + 1];
      const value = fromList(arr[i + 2], arr[i + 3]);
      try {
        if (this.#onEvict) this.#onEvict(key, value, reason);
        if (this.#dispose) this.#dispose(value, key, reason);
      } catch (err) {
        if (failure === undefined) failure = err;
      }
    }
    if (failure !== undefined) throw failure;
  }
}

/**
 * A Map with a size limit: when a new key arrives at the limit, the oldest
 * inserted key is dropped (policy 'fifo', the default) or the oldest not read
 * since the SIEVE hand last passed it (policy 'sieve'); updating a key keeps
 * its place, and iteration is in insertion order with either policy. Runs on
 * the same core as LRUCache.
 */
class LimitableMap {
  #c;
  #limit;

  // Every public method and getter starts with this brand check: a wrong
  // receiver gets a coded TypeError instead of V8's private-field one.
  static #check(o) {
    if (typeof o !== 'object' || o === null || !(#c in o)) throw invalidThis('LimitableMap', o);
  }

  /** @param {number} [limit] @param {{ policy?: 'fifo'|'sieve' }} [options] */
  constructor(limit = 10, options = undefined) {
    this.#limit = checkInteger('limit', limit, 1);
    const o = options === undefined ? {} : checkOptions('options', options);
    const policy = o.policy === undefined ? 'fifo' : checkOneOf('options.policy', o.policy, ['fifo', 'sieve']);
    this.#c = new LRUCache({ max: limit, policy });
  }

  get policy() { LimitableMap.#check(this); return this.#c.policy; }

  get limit() { LimitableMap.#check(this); return this.#limit; }
  get size() { LimitableMap.#check(this); return this.#c.size; }
  get [Symbol.toStringTag]() { return 'LimitableMap'; }

  set(key, value) {
    LimitableMap.#check(this);
    this.#c.set(key, value);
    return this;
  }

  get(key) { LimitableMap.#check(this); return this.#c.get(key); }
  has(key) { LimitableMap.#check(this); return this.#c.has(key); }
  delete(key) { LimitableMap.#check(this); return this.#c.delete(key); }
  clear() { LimitableMap.#check(this); this.#c.clear(); }
  /** Keys in insertion order (oldest first), as a Map. */
  keys() { LimitableMap.#check(this); return this.#c.rkeys(); }
  values() { LimitableMap.#check(this); return this.#c.rvalues(); }
  entries() { LimitableMap.#check(this); return this.#c.rentries(); }
  [Symbol.iterator]() { return this.#c.rentries(); }
  forEach(fn, thisArg) {
    LimitableMap.#check(this);
    checkFunction('fn', fn);
    for (const [k, v] of this.#c.rentries()) fn.call(thisArg, v, k, this);
  }

  stats() { LimitableMap.#check(this); return this.#c.stats(); }
  offHeapBytes() { LimitableMap.#check(this); return this.#c.offHeapBytes(); }
  close() { LimitableMap.#check(this); this.#c.close(); }
}

module.exports = { LRUCache, LimitableMap };
