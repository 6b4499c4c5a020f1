'use strict';
// LRUCache and LimitableMap: caches whose keys and values live in C memory
// (src/core/cache.c). The V8 heap holds only the small JS object and a handle.
const v8 = require('node:v8');
const native = require('./native');
const {
  typeError, error, checkInteger, checkNumber, checkBoolean, checkFunction, checkOptions, checkOneOf,
  describe, invalidThis,
} = require('./errors');
const { parseOptions, checkCallOptions, checkTtl, TTL_MAX, CALL } = require('./cache-options');
const { track } = require('./offheap');

// Byte-valued entries come back through a per-environment scratch Buffer: the
// native get copies them there and returns SENTINEL, and takeBytes() copies
// them into a fresh Buffer (much cheaper than creating the Buffer natively).
const SENTINEL = Object.freeze({ memctl: 'scratch' });
const SCRATCH = Buffer.allocUnsafeSlow(64 * 1024);
const META = new Uint32Array(3); // [length, tag, overflow]
native.cacheInit(SENTINEL, SCRATCH, META);

// Value tags, set results (undefined = stored, nothing to report), get flags,
// iteration directions: defined once in C
// (src/core/cache.h, src/binding/cache.cc).
const {
  VAL_SERIAL, SET_NEEDS_SERIAL, SET_LOGGED, NEWEST_FIRST, OLDEST_FIRST, GET_ALLOW_STALE, GET_KEEP_STALE,
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
    // Values are copies off-heap: what has identity only (a Promise, a
    // function, a handle) cannot be stored, unlike in lru-cache.
    const hint = value instanceof Promise
      ? ' (values are copied off-heap, so a Promise cannot be cached: use fetch() with fetchMethod, which keeps the in-flight Promise in JS and stores the resolved value)'
      : ' (values are copied off-heap: object identity, functions and symbols cannot be kept)';
    const e = typeError('ERR_MEMCTL_INVALID_VALUE', `cannot copy ${describe(value)} into the cache: ${err.message}${hint}`);
    e.cause = err;
    throw e;
  }
}

// Native clock (ms) shared by the core and tracked caches: the one
// native.cacheFakeClock() moves in tests.
function nativePerf(h) {
  return Object.freeze({ now: () => native.cacheNow(h) });
}

const isPosInt = (n) => Number.isInteger(n) && n > 0;
const AUTOPURGE_GAP_MS = 10;

function unsupported(name, why) {
  return typeError('ERR_MEMCTL_UNSUPPORTED_OPTION', `options.${name}: ${why}`);
}

const needsTracking = (name) => unsupported(name,
  `per call this needs a tracked cache: pass ${name} (or another lru-cache tracking option such as perf, dispose or maxSize) to the constructor`);

class LRUCache {
  #h;
  #s;           // settings from parseOptions (read-only after construction)
  #log;
  #perf;
  // tracked mode only (see lib/cache-options.js TRACKED): per-key records
  #meta;        // Map key -> { size, ttl, start }, or undefined on the fast path
  #calculatedSize = 0;
  #inflight;    // Map key -> background fetch record (fetchMethod caches)
  #events;      // [fn, a, b, c] callbacks of the current operation, run at its end
  #disposed;    // disposeAfter tasks, flushed as lru-cache does
  #timer;       // ttlAutopurge: one unref'd timer per cache
  #timerAt = Infinity;

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

  /** @param {import('./cache').LRUCache.Options<any, any, any>} options */
  constructor(options) {
    // new LRUCache(other): a cache with the same options (as lru-cache).
    if (options instanceof LRUCache) options = options.#s.source;
    const s = parseOptions(options);
    this.#s = s;
    const tracked = s.tracked;
    this.#log = tracked || s.onEvict !== undefined || s.dispose !== undefined;
    // A tracked cache keeps ttl in JS (exact lru-cache semantics) and leaves
    // the core only its bounds; the core's count bound evicts in lru-cache's
    // order, its log reports those evictions.
    this.#h = native.cacheCreate({
      policy: s.policy,
      max: s.max,
      maxBytes: s.maxBytes,
      ttl: tracked ? 0 : s.ttl,
      updateAgeOnGet: tracked ? false : s.updateAgeOnGet,
      allowStale: tracked ? false : s.allowStale,
      log: this.#log,
    });
    this.#perf = s.perf ?? nativePerf(this.#h);
    if (tracked) {
      this.#meta = new Map();
      this.#events = [];
      if (s.fetchMethod) this.#inflight = new Map();
      if (s.disposeAfter) this.#disposed = [];
    }
    track('caches', this);
  }

  get max() { LRUCache.#check(this); return this.#s.max; }
  get maxBytes() { LRUCache.#check(this); return this.#s.maxBytes; }
  get maxSize() { LRUCache.#check(this); return this.#s.maxSize; }
  get maxEntrySize() { LRUCache.#check(this); return this.#s.maxEntrySize; }
  get sizeCalculation() { LRUCache.#check(this); return this.#s.sizeCalculation; }
  /** Sum of the entries' sizes (0 without maxSize/maxEntrySize). */
  get calculatedSize() { LRUCache.#check(this); return this.#calculatedSize; }
  get ttl() { LRUCache.#check(this); return this.#s.ttl; }
  get ttlResolution() { LRUCache.#check(this); return this.#s.ttlResolution; }
  get ttlAutopurge() { LRUCache.#check(this); return this.#s.ttlAutopurge; }
  get allowStale() { LRUCache.#check(this); return this.#s.allowStale; }
  get updateAgeOnGet() { LRUCache.#check(this); return this.#s.updateAgeOnGet; }
  get updateAgeOnHas() { LRUCache.#check(this); return this.#s.updateAgeOnHas; }
  get noDisposeOnSet() { LRUCache.#check(this); return this.#s.noDisposeOnSet; }
  get noUpdateTTL() { LRUCache.#check(this); return this.#s.noUpdateTTL; }
  get noDeleteOnStaleGet() { LRUCache.#check(this); return this.#s.noDeleteOnStaleGet; }
  get noDeleteOnFetchRejection() { LRUCache.#check(this); return this.#s.noDeleteOnFetchRejection; }
  get allowStaleOnFetchRejection() { LRUCache.#check(this); return this.#s.allowStaleOnFetchRejection; }
  get allowStaleOnFetchAbort() { LRUCache.#check(this); return this.#s.allowStaleOnFetchAbort; }
  get ignoreFetchAbort() { LRUCache.#check(this); return this.#s.ignoreFetchAbort; }
  get backgroundFetchSize() { LRUCache.#check(this); return this.#s.backgroundFetchSize; }
  get fetchMethod() { LRUCache.#check(this); return this.#s.fetchMethod; }
  get memoMethod() { LRUCache.#check(this); return this.#s.memoMethod; }
  get dispose() { LRUCache.#check(this); return this.#s.dispose; }
  get disposeAfter() { LRUCache.#check(this); return this.#s.disposeAfter; }
  get onInsert() { LRUCache.#check(this); return this.#s.onInsert; }
  get perf() { LRUCache.#check(this); return this.#perf; }
  get policy() { LRUCache.#check(this); return this.#s.policy; }
  get size() { LRUCache.#check(this); return cacheSize(this.#h); }
  get [Symbol.toStringTag]() { return 'LRUCache'; }

  // ---- get / has / peek ------------------------------------------------------

  get(key, options) {
    const h = LRUCache.#handle(this);
    if (options === undefined && this.#meta === undefined) {
      const v = cacheGet(h, key);
      if (this.#log) this.#drain();
      return v === SENTINEL ? takeBytes() : v;
    }
    const o = checkCallOptions('get', options);
    const s = this.#s;
    const allowStale = o.allowStale === undefined ? s.allowStale : checkBoolean('options.allowStale', o.allowStale);
    const updateAge = o.updateAgeOnGet === undefined ? s.updateAgeOnGet : checkBoolean('options.updateAgeOnGet', o.updateAgeOnGet);
    const noDelete = o.noDeleteOnStaleGet === undefined ? s.noDeleteOnStaleGet
      : checkBoolean('options.noDeleteOnStaleGet', o.noDeleteOnStaleGet);
    const status = o.status;
    if (status !== undefined) startStatus(status, 'get', key, this);
    const v = this.#meta === undefined
      ? this.#getFast(h, key, allowStale, updateAge, noDelete, status)
      : this.#runOp(() => this.#getTracked(key, allowStale, updateAge, noDelete, status));
    if (status !== undefined && v !== undefined) status.value = v;
    return v;
  }

  #getFast(h, key, allowStale, updateAge, noDelete, status) {
    if (updateAge !== this.#s.updateAgeOnGet) throw needsTracking('updateAgeOnGet');
    if (status !== undefined) {
      const i = this.#infoRaw(key);
      status.get = i === undefined ? 'miss' : i.stale ? 'stale' : 'hit';
      if (i !== undefined) fastStatusTTL(status, i);
      if (i?.stale && allowStale) status.returnedStale = true;
    }
    const flags = (allowStale ? GET_ALLOW_STALE : 0) | (noDelete ? GET_KEEP_STALE : 0);
    const v = cacheGetEx(h, key, flags);
    if (this.#log) this.#drain();
    return fromNative(v);
  }

  has(key, options) {
    const h = LRUCache.#handle(this);
    if (options === undefined && this.#meta === undefined) return cacheHas(h, key);
    const o = checkCallOptions('has', options);
    const updateAge = o.updateAgeOnHas === undefined ? this.#s.updateAgeOnHas
      : checkBoolean('options.updateAgeOnHas', o.updateAgeOnHas);
    const status = o.status;
    if (status !== undefined) startStatus(status, 'has', key, this);
    if (this.#meta === undefined) {
      if (updateAge) throw needsTracking('updateAgeOnHas');
      if (status !== undefined) {
        const i = this.#infoRaw(key);
        status.has = i === undefined ? 'miss' : i.stale ? 'stale' : 'hit';
        if (i !== undefined) fastStatusTTL(status, i);
      }
      return cacheHas(h, key);
    }
    const m = this.#meta.get(key);
    if (m === undefined) {
      if (status !== undefined) status.has = 'miss';
      return cacheHas(h, key); // false; validates the key (objects throw)
    }
    if (!this.#isStale(m)) {
      if (updateAge) this.#updateAge(m);
      if (status !== undefined) {
        status.has = 'hit';
        this.#statusTTL(status, m);
      }
      return true;
    }
    if (status !== undefined) {
      status.has = 'stale';
      this.#statusTTL(status, m);
    }
    return false;
  }

  peek(key, options) {
    const h = LRUCache.#handle(this);
    if (options === undefined && this.#meta === undefined) return fromNative(cachePeek(h, key));
    const o = checkCallOptions('peek', options);
    const allowStale = o.allowStale === undefined ? this.#s.allowStale : checkBoolean('options.allowStale', o.allowStale);
    const status = o.status;
    if (status !== undefined) startStatus(status, 'peek', key, this);
    let stale;
    let present;
    if (this.#meta === undefined) {
      const i = this.#infoRaw(key);
      present = i !== undefined;
      stale = present && i.stale;
    } else {
      const m = this.#meta.get(key);
      present = m !== undefined || cacheHas(h, key); // the native call validates the key
      stale = m !== undefined && this.#isStale(m);
    }
    if (!present || (stale && !allowStale)) {
      if (status !== undefined) status.peek = present ? 'stale' : 'miss';
      return undefined;
    }
    const v = fromNative(cachePeek(h, key));
    if (status !== undefined) {
      status.peek = 'hit';
      status.value = v;
    }
    return v;
  }

  // ---- set -------------------------------------------------------------------

  set(key, value, options) {
    const h = LRUCache.#handle(this);
    if (options === undefined && this.#meta === undefined) {
      let r = cacheSet(h, key, value);
      if (r === SET_NEEDS_SERIAL) r = cacheSetEx(h, key, serialize(value), -1, true);
      if (r === SET_LOGGED) this.#drain();
      return this;
    }
    const o = checkCallOptions('set', options);
    if (o.status !== undefined) {
      startStatus(o.status, 'set', key, this);
      if (value !== undefined) o.status.value = value;
    }
    if (this.#meta === undefined) this.#setFast(h, key, value, o);
    else this.#runOp(() => this.#setTracked(key, value, o));
    return this;
  }

  #setFast(h, key, value, o) {
    if (o.size || o.sizeCalculation) {
      throw typeError('ERR_MEMCTL_MISSING_OPTION', 'cannot set a size without options.maxSize or options.maxEntrySize on the cache');
    }
    if (o.noUpdateTTL) throw needsTracking('noUpdateTTL');
    if (o.noDisposeOnSet !== undefined) checkBoolean('options.noDisposeOnSet', o.noDisposeOnSet);
    let ttl = o.ttl === undefined ? -1 : checkTtl('options.ttl', o.ttl);
    if (o.start !== undefined) {
      // lru-cache's start is on perf.now()'s clock: keep what is left of the ttl.
      const full = ttl < 0 ? this.#s.ttl : ttl;
      if (full) ttl = Math.max(0, full - (this.#perf.now() - checkNumber('options.start', o.start, -Number.MAX_VALUE)));
      if (full && ttl === 0) {
        this.delete(key); // already expired: lru-cache would hold it stale
        return;
      }
    }
    const status = o.status;
    let old;
    if (status !== undefined) {
      const i = value === undefined ? undefined : this.#infoRaw(key);
      old = i?.value;
      status.set = value === undefined ? 'deleted' : i === undefined ? 'add' : sameValue(value, old) ? 'update' : 'replace';
      if (i !== undefined) status.oldValue = old;
    }
    let r = cacheSetEx(h, key, value, ttl, false);
    if (r === SET_NEEDS_SERIAL) r = cacheSetEx(h, key, serialize(value), ttl, true);
    if (r === SET_LOGGED) this.#drain();
    if (status !== undefined && value !== undefined) {
      const i = this.#infoRaw(key);
      if (i !== undefined) fastStatusTTL(status, i);
    }
  }

  // lru-cache's #set over the core: the core stores and orders; JS keeps
  // sizes and ttl and reports every removed value with its reason, in
  // lru-cache's order ('set' dispose, count evictions, size evictions, onInsert).
  #setTracked(key, value, o, fromFetch) {
    const s = this.#s;
    const status = o.status;
    if (value === undefined) {
      if (status !== undefined) status.set = 'deleted';
      this.#deleteTracked(key, 'delete');
      return;
    }
    if (status !== undefined) status.value = value;
    const noDisposeOnSet = o.noDisposeOnSet === undefined ? s.noDisposeOnSet : checkBoolean('options.noDisposeOnSet', o.noDisposeOnSet);
    const ttl = o.ttl === undefined ? s.ttl : checkTtl('options.ttl', o.ttl);
    let noUpdateTTL = o.noUpdateTTL === undefined ? s.noUpdateTTL : checkBoolean('options.noUpdateTTL', o.noUpdateTTL);
    const start = o.start === undefined ? undefined : checkNumber('options.start', o.start, -Number.MAX_VALUE);
    const size = this.#requireSize(key, value, o.size, o.sizeCalculation === undefined ? s.sizeCalculation
      : checkFunction('options.sizeCalculation', o.sizeCalculation));
    if (s.maxEntrySize && size > s.maxEntrySize) {
      this.#deleteTracked(key, 'set');
      if (status !== undefined) {
        status.set = 'miss';
        status.maxEntrySizeExceeded = true;
      }
      return;
    }
    let m = this.#meta.get(key);
    const bf = this.#inflight?.get(key);
    const disposing = s.dispose !== undefined || s.disposeAfter !== undefined;
    const old = m !== undefined && (disposing || s.onInsert || status !== undefined)
      ? fromNative(cachePeek(this.#h, key)) : undefined;
    const h = this.#h;
    let r = cacheSetEx(h, key, value, -1, false);
    if (r === SET_NEEDS_SERIAL) r = cacheSetEx(h, key, serialize(value), -1, true);
    // Stored: from here on nothing throws before the bookkeeping is done.
    let setType;
    if (bf !== undefined && bf !== fromFetch) {
      this.#inflight.delete(key);
      if (!noDisposeOnSet) bf.ac.abort(new Error('replaced'));
    } else if (bf !== undefined) {
      this.#inflight.delete(key);
    }
    if (m === undefined) {
      m = { size, ttl: 0, start: 0 };
      this.#meta.set(key, m);
      this.#calculatedSize += size;
      setType = 'add';
      noUpdateTTL = false;
    } else if (sameValue(value, old)) {
      setType = 'update'; // as lru-cache: the same value keeps its recorded size
    } else {
      setType = 'replace';
      if (!noDisposeOnSet) this.#disposeLater(old, key, 'set');
      if (status !== undefined) status.oldValue = old;
      this.#calculatedSize += size - m.size;
      m.size = size;
    }
    if (r === SET_LOGGED) this.#drainTracked();
    this.#evictToMaxSize();
    if (status !== undefined) {
      status.set = setType;
      if (s.maxEntrySize && setType !== 'update') {
        status.entrySize = size;
        status.totalCalculatedSize = this.#calculatedSize;
      }
    }
    if (s.onInsert) this.#events.push([s.onInsert, value, key, setType]);
    if (!noUpdateTTL) this.#setItemTTL(m, ttl, start);
    if (status !== undefined) this.#statusTTL(status, m);
    if (!noDisposeOnSet) this.#flushDisposed = true;
  }

  // disposeAfter tasks run where lru-cache runs them: after a set (unless
  // noDisposeOnSet), a delete (any reason), pop() and clear(); until then
  // they wait, as in lru-cache.
  #flushDisposed = false;

  #requireSize(key, value, size, sizeCalculation) {
    if (!this.#s.maxEntrySize) {
      if (size || sizeCalculation) {
        throw typeError('ERR_MEMCTL_MISSING_OPTION', 'cannot set a size without options.maxSize or options.maxEntrySize on the cache');
      }
      return 0;
    }
    if (isPosInt(size)) return size;
    if (!sizeCalculation) {
      throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE',
        'invalid size (must be a positive integer): with maxSize or maxEntrySize, pass options.size or a sizeCalculation');
    }
    const n = sizeCalculation(value, key);
    if (!isPosInt(n)) {
      throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE', `sizeCalculation must return a positive integer, got ${describe(n)}`);
    }
    return n;
  }

  // Evicts the least recently used entries while the sizes exceed maxSize
  // (the entry just set is the most recent, so it goes last).
  #evictToMaxSize() {
    const max = this.#s.maxSize;
    while (max && this.#calculatedSize > max && this.#evictOldest() !== undefined);
  }

  // Evicts the least recently used entry; returns [key, value] or undefined.
  #evictOldest() {
    const r = native.cachePop(this.#h);
    if (r === undefined) return undefined;
    const value = fromList(r[1], r[2]);
    this.#forget(r[0], value, 'evict');
    return [r[0], value];
  }

  // Drops the records of a key the core has removed and reports its value.
  #forget(key, value, reason) {
    const m = this.#meta.get(key);
    if (m !== undefined) {
      this.#calculatedSize -= m.size;
      this.#meta.delete(key);
    }
    const bf = this.#inflight?.get(key);
    if (bf !== undefined) {
      this.#inflight.delete(key);
      bf.ac.abort(new Error(reason === 'evict' ? 'evicted' : 'deleted'));
      if (reason !== 'evict') return; // lru-cache: a deleted fetch disposes nothing
    }
    this.#disposeLater(value, key, reason);
  }

  #disposeLater(value, key, reason) {
    const s = this.#s;
    if (s.onEvict !== undefined && (reason === 'evict' || reason === 'expire')) this.#events.push([s.onEvict, key, value, reason]);
    if (s.dispose !== undefined) this.#events.push([s.dispose, value, key, reason]);
    if (s.disposeAfter !== undefined) this.#disposed.push([value, key, reason]);
  }

  // Runs op, then the callbacks it queued (dispose, onInsert, onEvict), then
  // the disposeAfter tasks; a callback that throws does not stop the others,
  // the first error is rethrown once all ran. Callbacks may re-enter the cache.
  #runOp(op) {
    this.#depth++;
    let result;
    try {
      result = op();
    } finally {
      if (--this.#depth === 0 && (this.#events.length !== 0 || this.#flushDisposed)) {
        const failure = this.#flushEvents();
        if (failure !== undefined) throw failure.err;
      }
    }
    return result;
  }

  #depth = 0;

  #flushEvents() {
    const events = this.#events;
    this.#events = [];
    let failure;
    for (let i = 0; i < events.length; i++) {
      const [fn, a, b, c] = events[i];
      try {
        fn(a, b, c);
      } catch (err) {
        failure ??= { err };
      }
    }
    const flush = this.#flushDisposed;
    this.#flushDisposed = false;
    const dt = this.#disposed;
    if (dt !== undefined && flush) {
      let task;
      while ((task = dt.shift()) !== undefined) {
        try {
          this.#s.disposeAfter(...task);
        } catch (err) {
          failure ??= { err };
        }
      }
    }
    return failure;
  }

  // ---- ttl (tracked mode) ------------------------------------------------------

  #now() { return this.#perf.now(); }

  #isStale(m) {
    return m.ttl !== 0 && this.#now() - m.start > m.ttl;
  }

  #setItemTTL(m, ttl, start) {
    m.ttl = ttl;
    m.start = ttl !== 0 ? (start ?? this.#now()) : 0;
    if (ttl !== 0 && this.#s.ttlAutopurge) this.#schedulePurge(m.start + ttl);
  }

  #updateAge(m) {
    if (m.ttl === 0) return;
    m.start = this.#now();
    if (this.#s.ttlAutopurge) this.#schedulePurge(m.start + m.ttl);
  }

  #statusTTL(status, m) {
    if (!m.ttl) return;
    status.ttl = m.ttl;
    status.start = m.start;
    status.now = this.#now();
    status.remainingTTL = m.ttl - (status.now - m.start);
  }

  // One timer per cache, due at the earliest expiry it knows of; it holds
  // the cache weakly and never keeps the process alive.
  #schedulePurge(expiresAt) {
    if (expiresAt >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = expiresAt;
    const ref = new WeakRef(this);
    const delay = Math.max(0, Math.min(expiresAt - this.#now(), 2 ** 31 - 2)) + 1;
    this.#timer = setTimeout(() => ref.deref()?.#autopurge(), delay);
    this.#timer.unref?.();
  }

  #cancelPurge() {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #autopurge() {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    try {
      this.purgeStale();
    } finally {
      let next = Infinity;
      for (const m of this.#meta.values()) if (m.ttl !== 0 && m.start + m.ttl < next) next = m.start + m.ttl;
      // Each run scans every record for the next expiry, so runs are at
      // least AUTOPURGE_GAP_MS apart: entries expiring close together are
      // purged in one run (a few ms late) instead of one scan each.
      if (next !== Infinity) this.#schedulePurge(Math.max(next, this.#now() + AUTOPURGE_GAP_MS));
    }
  }

  #getTracked(key, allowStale, updateAge, noDelete, status) {
    const m = this.#meta.get(key);
    if (m === undefined) {
      if (status !== undefined) status.get = this.#inflight?.has(key) ? 'fetching' : 'miss';
      cacheGetEx(this.#h, key, 0); // counts the miss in stats() (and validates the key)
      return undefined;
    }
    if (status !== undefined) this.#statusTTL(status, m);
    const bf = this.#inflight?.get(key);
    if (this.#isStale(m)) {
      if (bf === undefined) {
        const disposing = this.#s.dispose !== undefined || this.#s.disposeAfter !== undefined || this.#s.onEvict !== undefined;
        const value = allowStale || (!noDelete && disposing) ? fromNative(cachePeek(this.#h, key)) : undefined;
        if (!noDelete) this.#removeTracked(key, value, 'expire');
        if (status !== undefined) status.get = 'stale';
        if (!allowStale) return undefined;
        if (status !== undefined) status.returnedStale = true;
        return value;
      }
      if (status !== undefined) status.get = 'stale-fetching';
      if (allowStale && bf.stale !== undefined) {
        if (status !== undefined) status.returnedStale = true;
        return bf.stale;
      }
      return undefined;
    }
    if (status !== undefined) status.get = bf !== undefined ? 'fetching' : 'hit';
    const v = fromNative(cacheGetEx(this.#h, key, 0));
    if (updateAge) this.#updateAge(m);
    return v;
  }

  // ---- delete / clear / pop ----------------------------------------------------

  delete(key) {
    const h = LRUCache.#handle(this);
    if (this.#meta !== undefined) return this.#runOp(() => this.#deleteTracked(key, 'delete'));
    const r = cacheDelete(h, key);
    if (this.#log) this.#drain();
    return r;
  }

  #deleteTracked(key, reason) {
    this.#flushDisposed = true; // lru-cache's #delete flushes even on a miss
    const m = this.#meta.get(key);
    if (m === undefined) {
      cacheHas(this.#h, key); // validates the key (objects throw)
      const bf = this.#inflight?.get(key);
      if (bf === undefined) return false;
      this.#inflight.delete(key); // a fetch of a new key: lru-cache holds it as an entry
      bf.ac.abort(new Error('deleted'));
      this.#flushDisposed = true;
      return true;
    }
    const s = this.#s;
    const disposing = s.dispose !== undefined || s.disposeAfter !== undefined
      || (s.onEvict !== undefined && reason === 'expire');
    const value = disposing ? fromNative(cachePeek(this.#h, key)) : undefined;
    this.#removeTracked(key, value, reason);
    return true;
  }

  #removeTracked(key, value, reason) {
    cacheDelete(this.#h, key);
    this.#forget(key, value, reason);
    this.#flushDisposed = true;
  }

  clear() {
    LRUCache.#check(this);
    if (this.#meta === undefined) {
      native.cacheClear(this.#h);
      return;
    }
    this.#runOp(() => {
      const s = this.#s;
      if (s.dispose !== undefined || s.disposeAfter !== undefined || this.#inflight?.size) {
        for (const [key, value] of this.#walk(OLDEST_FIRST, 3, true)) this.#forget(key, value, 'delete');
      }
      for (const [key, bf] of this.#inflight ?? []) {
        this.#inflight.delete(key);
        bf.ac.abort(new Error('deleted'));
      }
      native.cacheClear(this.#h);
      this.#meta.clear();
      this.#calculatedSize = 0;
      this.#cancelPurge();
      this.#flushDisposed = true;
    });
  }

  /** Removes and returns the value eviction would drop next (undefined if empty): the least recently used under lru. */
  pop() {
    LRUCache.#check(this);
    if (this.#meta !== undefined) {
      return this.#runOp(() => {
        this.#flushDisposed = true;
        return this.#evictOldest();
      })?.[1];
    }
    const r = native.cachePop(this.#h);
    if (this.#log) this.#drain();
    return r === undefined ? undefined : fromList(r[1], r[2]);
  }

  /** Removes every expired entry; true if any was removed. */
  purgeStale() {
    LRUCache.#check(this);
    if (this.#meta === undefined) {
      const n = native.cachePurgeStale(this.#h);
      if (this.#log) this.#drain();
      return n > 0;
    }
    const stale = [];
    for (const key of this.#walk(OLDEST_FIRST, 1, true)) {
      const m = this.#meta.get(key);
      if (m !== undefined && this.#isStale(m)) stale.push(key);
    }
    // One operation per entry, as lru-cache (disposeAfter runs after each).
    for (const key of stale) this.#runOp(() => this.#deleteTracked(key, 'expire'));
    return stale.length > 0;
  }

  // ---- ttl and entry info --------------------------------------------------------

  /**
   * Remaining ttl in ms: Infinity without a ttl, 0 if absent, negative once
   * expired (as lru-cache).
   */
  getRemainingTTL(key) {
    LRUCache.#check(this);
    if (this.#meta !== undefined) {
      const m = this.#meta.get(key);
      if (m === undefined) {
        cacheHas(this.#h, key); // validates the key (objects throw)
        return 0;
      }
      return m.ttl === 0 ? Infinity : m.ttl - (this.#now() - m.start);
    }
    const info = this.#infoRaw(key);
    if (info === undefined) return 0;
    if (!info.ttl) return Infinity;
    return info.expiresAt - info.now;
  }

  #infoRaw(key) {
    const r = native.cacheInfo(this.#h, key);
    if (r === undefined) return undefined;
    const [value, serial, ttl, expiresAt, now] = r;
    return { value: fromList(value, serial), ttl, expiresAt, now, stale: expiresAt !== 0 && now > expiresAt };
  }

  /** { value, ttl?, start?, size? } as lru-cache's info(): ttl is the remaining ms (negative once stale). */
  info(key) {
    LRUCache.#check(this);
    const i = this.#infoRaw(key);
    if (i === undefined) return undefined;
    const entry = { value: i.value };
    if (this.#meta !== undefined) {
      const m = this.#meta.get(key);
      if (m === undefined) return undefined;
      if (m.ttl !== 0) {
        entry.ttl = m.ttl - (this.#now() - m.start);
        entry.start = Date.now();
      }
      if (this.#s.maxEntrySize) entry.size = m.size;
    } else if (i.ttl) {
      entry.ttl = i.expiresAt - i.now;
      entry.start = Date.now();
    }
    return entry;
  }

  // ---- iteration -------------------------------------------------------------------

  // Batches of BATCH entries; each batch resumes after the last key returned
  // (or at the next one if that was deleted meanwhile). Entries deleted after
  // their batch was read may still be yielded. A tracked cache filters stale
  // entries here (the core holds no ttl for it).
  * #walk(dir, mode, includeStale = this.#s.allowStale) {
    const h = this.#h;
    const meta = this.#meta;
    const stride = mode === 1 ? 1 : 3;
    let after;
    let next;
    for (;;) {
      const arr = native.cacheList(h, dir, mode, after, next, BATCH, includeStale);
      const end = arr.length - 1;
      for (let i = 0; i < end; i += stride) {
        if (meta !== undefined && !includeStale) {
          const m = meta.get(arr[i]);
          if (m !== undefined && this.#isStale(m)) continue;
        }
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

  forEach(fn, thisArg = this) {
    LRUCache.#check(this);
    checkFunction('fn', fn);
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  rforEach(fn, thisArg = this) {
    LRUCache.#check(this);
    checkFunction('fn', fn);
    for (const [k, v] of this.rentries()) fn.call(thisArg, v, k, this);
  }

  /** The first value (most recent first) for which fn(value, key, cache) is truthy, read with get(key, options). */
  find(fn, options) {
    LRUCache.#check(this);
    this.#open();
    checkFunction('fn', fn);
    if (options !== undefined) checkCallOptions('get', options);
    for (const [k, v] of this.entries()) {
      if (fn(v, k, this)) return this.get(k, options);
    }
    return undefined;
  }

  /** lru-cache's dump format: [key, { value, ttl?, start?, size? }][], oldest first. */
  dump() {
    LRUCache.#check(this);
    const out = [];
    const h = this.#h;
    const meta = this.#meta;
    const clock = meta === undefined ? native.cacheNow(h) : this.#now();
    const wall = Date.now();
    let after;
    let next;
    for (;;) {
      const arr = native.cacheList(h, OLDEST_FIRST, 7, after, next, BATCH, true);
      const end = arr.length - 1;
      for (let i = 0; i < end; i += 5) {
        const entry = { value: fromList(arr[i + 1], arr[i + 2]) };
        if (meta !== undefined) {
          const m = meta.get(arr[i]);
          if (m.ttl !== 0) {
            entry.ttl = m.ttl;
            entry.start = Math.floor(wall - (clock - m.start));
          }
          if (this.#s.maxEntrySize) entry.size = m.size;
        } else {
          const ttl = arr[i + 3];
          if (ttl) {
            entry.ttl = ttl;
            entry.start = Math.floor(wall - (clock - (arr[i + 4] - ttl)));
          }
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
    for (const item of entries) {
      if (!Array.isArray(item) || item.length < 2 || item[1] === null || typeof item[1] !== 'object') {
        throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', 'each dump entry must be [key, { value, ttl?, start?, size? }]');
      }
    }
    this.clear();
    const wall = Date.now();
    for (const [key, entry] of entries) {
      const opts = {};
      if (entry.size !== undefined && this.#s.maxEntrySize) opts.size = entry.size;
      if (typeof entry.ttl === 'number' && entry.ttl > 0) {
        const start = typeof entry.start === 'number' ? entry.start : wall;
        if (this.#meta !== undefined) {
          opts.ttl = Math.min(entry.ttl, TTL_MAX);
          opts.start = this.#now() - (wall - start);
        } else {
          const remain = Math.ceil(entry.ttl - (wall - start));
          if (remain <= 0) continue;
          opts.ttl = Math.min(remain, TTL_MAX);
        }
      }
      this.set(key, entry.value, opts);
    }
  }

  // ---- fetch and memo ----------------------------------------------------------------

  /**
   * lru-cache's fetch(): the cached value, or fetchMethod's, with one call in
   * flight per key (kept in JS; only resolved values are stored, as copies).
   */
  fetch(key, options) {
    LRUCache.#check(this);
    this.#open();
    const o = checkCallOptions('fetch', options);
    const status = o.status;
    if (status !== undefined) {
      startStatus(status, 'fetch', key, this);
      if (o.context !== undefined) status.context = o.context;
    }
    // Bad arguments and a closed cache throw here, as in every method.
    return Promise.resolve(this.#fetch(key, o));
  }

  // Throws ERR_MEMCTL_CLOSED once closed (for methods that reach the core late).
  #open() {
    cacheSize(this.#h);
  }

  /** fetch() that rejects instead of resolving undefined. */
  forceFetch(key, options) {
    LRUCache.#check(this);
    this.#open();
    return this.fetch(key, options).then((v) => {
      if (v === undefined) throw error('ERR_MEMCTL_FETCH_UNDEFINED', 'fetch() returned undefined');
      return v;
    });
  }

  #fetch(key, o) {
    const s = this.#s;
    const pick = (name) => (o[name] === undefined ? s[name] : checkBoolean(`options.${name}`, o[name]));
    const allowStale = pick('allowStale');
    const updateAgeOnGet = pick('updateAgeOnGet');
    const noDeleteOnStaleGet = pick('noDeleteOnStaleGet');
    const forceRefresh = o.forceRefresh === undefined ? false : checkBoolean('options.forceRefresh', o.forceRefresh);
    const status = o.status;
    if (status !== undefined && forceRefresh) status.forceRefresh = true;
    if (!s.fetchMethod) {
      if (status !== undefined) status.fetch = 'get';
      return this.get(key, { allowStale, updateAgeOnGet, noDeleteOnStaleGet, status });
    }
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
      throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `options.signal must be an AbortSignal, got ${describe(o.signal)}`);
    }
    const options = {
      allowStale, updateAgeOnGet, noDeleteOnStaleGet,
      ttl: o.ttl === undefined ? s.ttl : checkTtl('options.ttl', o.ttl),
      noDisposeOnSet: pick('noDisposeOnSet'),
      size: o.size ?? 0,
      sizeCalculation: o.sizeCalculation ?? s.sizeCalculation,
      noUpdateTTL: pick('noUpdateTTL'),
      noDeleteOnFetchRejection: pick('noDeleteOnFetchRejection'),
      allowStaleOnFetchRejection: pick('allowStaleOnFetchRejection'),
      allowStaleOnFetchAbort: pick('allowStaleOnFetchAbort'),
      ignoreFetchAbort: pick('ignoreFetchAbort'),
      status,
      signal: o.signal,
    };
    const inflight = this.#inflight.get(key);
    if (inflight !== undefined) {
      const stale = allowStale && inflight.stale !== undefined;
      if (status !== undefined) {
        status.fetch = 'inflight';
        if (stale) status.returnedStale = true;
      }
      if (stale) return inflight.stale;
      inflight.returned = true;
      return inflight.promise;
    }
    const m = this.#meta.get(key);
    if (m === undefined) {
      cacheHas(this.#h, key); // validates the key before any fetchMethod call
      if (status !== undefined) status.fetch = 'miss';
      this.#runOp(() => this.#reserveForFetch(options.noDisposeOnSet));
      const bf = this.#backgroundFetch(key, undefined, options, o.context);
      bf.returned = true;
      return bf.promise;
    }
    const isStale = this.#isStale(m);
    if (!forceRefresh && !isStale) {
      if (status !== undefined) {
        status.fetch = 'hit';
        this.#statusTTL(status, m);
      }
      const v = fromNative(cacheGetEx(this.#h, key, 0));
      if (updateAgeOnGet) this.#updateAge(m);
      return v;
    }
    const stale = fromNative(cachePeek(this.#h, key));
    const bf = this.#backgroundFetch(key, stale, options, o.context);
    const staleVal = stale !== undefined && allowStale;
    if (status !== undefined) {
      status.fetch = isStale ? 'stale' : 'refresh';
      if (staleVal && isStale) status.returnedStale = true;
    }
    if (staleVal) return stale;
    bf.returned = true;
    return bf.promise;
  }

  // lru-cache stores a fetch of a new key as an entry at once (a slot, and
  // backgroundFetchSize of maxSize), evicting for it then; memctl stores only
  // the result but evicts at the same moment, so callbacks come in the same
  // order.
  #reserveForFetch(noDisposeOnSet) {
    const { max, maxSize, backgroundFetchSize } = this.#s;
    if (!noDisposeOnSet) this.#flushDisposed = true; // lru-cache's set of the in-flight entry
    let pending = 0;
    for (const key of this.#inflight.keys()) if (!this.#meta.has(key)) pending++;
    while (max && this.#meta.size + pending >= max && this.#evictOldest() !== undefined);
    const reserve = (pending + 1) * backgroundFetchSize;
    while (maxSize && this.#calculatedSize + reserve > maxSize && this.#evictOldest() !== undefined);
  }

  // lru-cache's #backgroundFetch, with the in-flight record in #inflight
  // instead of in the cache: the stale value stays stored meanwhile.
  #backgroundFetch(key, stale, options, context) {
    const ac = new AbortController();
    const { signal } = options;
    signal?.addEventListener('abort', () => ac.abort(signal.reason), { signal: ac.signal });
    const fetchOpts = { signal: ac.signal, options, context };
    const bf = { promise: undefined, ac, stale, returned: false };
    const current = () => this.#inflight?.get(key) === bf;
    const fetchFail = (er, proceed) => {
      const { aborted } = ac.signal;
      const allowStaleAborted = aborted && options.allowStaleOnFetchAbort;
      const allowStale = allowStaleAborted || options.allowStaleOnFetchRejection;
      const noDelete = allowStale || options.noDeleteOnFetchRejection;
      if (current()) {
        if (!noDelete || (!proceed && bf.stale === undefined)) {
          this.#inflight.delete(key);
          if (this.#meta.has(key)) this.#runOp(() => this.#deleteTracked(key, 'fetch'));
        } else if (!allowStaleAborted) {
          this.#inflight.delete(key);
        }
      }
      if (allowStale) {
        if (options.status !== undefined && bf.stale !== undefined) options.status.returnedStale = true;
        return bf.stale;
      }
      if (bf.returned) throw er;
      return undefined;
    };
    const cb = (v, updateCache = false) => {
      const { aborted } = ac.signal;
      const ignoreAbort = options.ignoreFetchAbort && v !== undefined;
      const proceed = options.ignoreFetchAbort || !!(options.allowStaleOnFetchAbort && v !== undefined);
      if (options.status !== undefined) {
        if (aborted && !updateCache) {
          options.status.fetchAborted = true;
          options.status.fetchError = ac.signal.reason;
          if (ignoreAbort) options.status.fetchAbortIgnored = true;
        } else {
          options.status.fetchResolved = true;
        }
      }
      if (aborted && !ignoreAbort && !updateCache) return fetchFail(ac.signal.reason, proceed);
      const gone = !this.#inflight?.has(key) && !this.#meta.has(key);
      if (current() || (gone && ignoreAbort && updateCache)) {
        if (v === undefined) {
          this.#inflight.delete(key); // the stale value, if any, stays
        } else {
          if (options.status !== undefined) options.status.fetchUpdated = true;
          this.#runOp(() => this.#setTracked(key, v, options, bf));
        }
      }
      return v;
    };
    const eb = (er) => {
      if (options.status !== undefined) {
        options.status.fetchRejected = true;
        options.status.fetchError = er;
      }
      return fetchFail(er, false);
    };
    const pcall = (res, rej) => {
      const fmp = this.#s.fetchMethod(key, stale, fetchOpts);
      ac.signal.addEventListener('abort', () => {
        if (!options.ignoreFetchAbort || options.allowStaleOnFetchAbort) {
          res(undefined);
          if (options.allowStaleOnFetchAbort) res = (v) => cb(v, true);
        }
      });
      if (fmp && fmp instanceof Promise) fmp.then((v) => res(v), rej);
      else if (fmp !== undefined) res(fmp);
    };
    if (options.status !== undefined) options.status.fetchDispatched = true;
    bf.promise = new Promise(pcall).then(cb, eb);
    this.#inflight.set(key, bf);
    return bf;
  }

  /** lru-cache's memo(): the cached value, or memoMethod's (stored) result. */
  memo(key, options) {
    LRUCache.#check(this);
    this.#open();
    const memoMethod = this.#s.memoMethod;
    if (!memoMethod) throw error('ERR_MEMCTL_MISSING_OPTION', 'memo() needs options.memoMethod in the constructor');
    const { context, status, forceRefresh, ...rest } = checkCallOptions('memo', options);
    if (status !== undefined) {
      startStatus(status, 'memo', key, this);
      if (context !== undefined) status.context = context;
      if (forceRefresh) status.forceRefresh = true;
    }
    const getOpts = {};
    const setOpts = {};
    for (const name in rest) (CALL.get.has(name) ? getOpts : setOpts)[name] = rest[name];
    const v = this.get(key, getOpts);
    const refresh = forceRefresh || v === undefined;
    if (status !== undefined) {
      status.memo = refresh ? 'miss' : 'hit';
      if (!refresh) status.value = v;
    }
    if (!refresh) return v;
    const vv = memoMethod(key, v, { options: rest, context });
    if (status !== undefined) status.value = vv;
    this.set(key, vv, setOpts);
    return vv;
  }

  // ---- memctl's own ------------------------------------------------------------------

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
    this.#cancelPurge();
    for (const bf of this.#inflight?.values() ?? []) bf.ac.abort(new Error('closed'));
    this.#inflight?.clear();
    this.#meta?.clear();
    this.#calculatedSize = 0;
    native.cacheClose(this.#h);
  }

  // Reports what the core evicted or expired during the last call.
  #drain() {
    if (this.#meta !== undefined) {
      this.#runOp(() => this.#drainTracked());
      return;
    }
    const arr = native.cacheDrain(this.#h);
    if (arr === undefined) return;
    let failure;
    const { onEvict, dispose } = this.#s;
    for (let i = 0; i < arr.length; i += 4) {
      const reason = arr[i];
      const key = arr[i + 1];
      const value = fromList(arr[i + 2], arr[i + 3]);
      try {
        if (onEvict) onEvict(key, value, reason);
        if (dispose) dispose(value, key, reason);
      } catch (err) {
        if (failure === undefined) failure = err;
      }
    }
    if (failure !== undefined) throw failure;
  }

  #drainTracked() {
    const arr = native.cacheDrain(this.#h);
    if (arr === undefined) return;
    for (let i = 0; i < arr.length; i += 4) this.#forget(arr[i + 1], fromList(arr[i + 2], arr[i + 3]), arr[i]);
  }
}

// The status object fields lru-cache sets for every operation.
function startStatus(status, op, key, cache) {
  if (status === null || typeof status !== 'object') {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `options.status must be an object, got ${describe(status)}`);
  }
  status.op = op;
  status.key = key;
  status.cache = cache;
}

function fastStatusTTL(status, i) {
  if (!i.ttl) return;
  status.ttl = i.ttl;
  status.now = i.now;
  status.start = i.expiresAt - i.ttl;
  status.remainingTTL = i.expiresAt - i.now;
}

// lru-cache compares the old and new value with ===; values here are copies,
// so only primitives can be the same.
const sameValue = (a, b) => a === b && (a === null || typeof a !== 'object');

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
    for (const name of Object.keys(o)) {
      if (name !== 'policy') throw typeError('ERR_MEMCTL_UNKNOWN_OPTION', `LimitableMap has no option ${JSON.stringify(name)} (it takes only policy)`);
    }
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
