'use strict';
// TieredCache: an off-heap LRUCache (L1, per process) in front of Redis or
// Redis Cluster (L2, shared), kept coherent by Redis invalidation messages.
//
// Invariants:
// - Every L1 fill comes from a reply read on the tracking connection (or from
//   this instance's own write on it), so Redis will tell us when that key
//   changes: in RESP3 CLIENT TRACKING default mode the server remembers the
//   keys each connection read and pushes `invalidate` on that same
//   connection, after the read's reply if the write came later.
// - A read fills L1 only if neither its key's generation nor the global epoch
//   moved while it was in flight: an invalidation processed before the read's
//   continuation runs (same socket chunk) would otherwise be overwritten by
//   the old value.
// - Tracking state dies with the connection, so every (re)connection handshake
//   clears L1 before any new read is sent on it. While Redis is unreachable
//   L1 keeps serving what it has (nothing can invalidate it, nothing new is
//   tracked); that is the documented outage trade-off.
// - `redis` (node-redis) is a peer dependency, loaded on first use only.
const { EventEmitter } = require('node:events');
const v8 = require('node:v8');
const crypto = require('node:crypto');
const { LRUCache } = require('./cache');
const {
  typeError, rangeError, error, invalidThis, checkInteger, checkOptions, checkBoolean, checkFunction,
  checkString, checkOneOf, describe,
} = require('./errors');

// Value encoding in Redis. Strings are stored as their UTF-8 bytes, untagged,
// so other clients read them as plain strings. Everything else starts with
// 0xFF, a byte that never occurs in UTF-8, followed by a tag byte.
const TAG = 0xff;
const TAG_BUFFER = 0x62; // 'b': raw bytes follow
const TAG_V8 = 0x76; // 'v': v8.serialize() output follows
const HDR_BUFFER = Buffer.from([TAG, TAG_BUFFER]);
const HDR_V8 = Buffer.from([TAG, TAG_V8]);
const TTL_MAX = 2 ** 46;
const LOCK_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

function encodeValue(value) {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return Buffer.concat([HDR_BUFFER, value]);
  let body;
  try {
    body = v8.serialize(value);
  } catch (err) {
    const e = typeError('ERR_MEMCTL_INVALID_VALUE', `cannot store ${describe(value)} in a TieredCache: ${err.message}`);
    e.cause = err;
    throw e;
  }
  return Buffer.concat([HDR_V8, body]);
}

// Bytes written by another client that start with 0xFF but carry no known
// tag come back as a Buffer (they are not UTF-8 text either).
function decodeValue(buf) {
  if (buf.length >= 2 && buf[0] === TAG) {
    if (buf[1] === TAG_BUFFER) return Buffer.from(buf.subarray(2));
    if (buf[1] === TAG_V8) {
      try { return v8.deserialize(buf.subarray(2)); } catch { return buf; }
    }
    return buf;
  }
  return buf.toString('utf8');
}

let redisModule;
function loadRedis() {
  if (redisModule === undefined) {
    try {
      redisModule = require('redis');
    } catch (err) {
      const e = error('ERR_MEMCTL_MISSING_PEER', 'TieredCache needs the "redis" package (node-redis): npm install redis');
      e.cause = err;
      throw e;
    }
  }
  return redisModule;
}

const isCluster = (client) => Array.isArray(client.masters) && typeof client.getSlotMaster === 'function'
  || (client.constructor && client.constructor.name === 'RedisCluster');

function checkTtlOption(name, v, def) {
  return v === undefined ? def : checkInteger(name, v, 0, TTL_MAX);
}

function isL1Instance(v) {
  return v !== null && typeof v === 'object' && typeof v.get === 'function' && typeof v.set === 'function'
    && typeof v.delete === 'function' && typeof v.clear === 'function';
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The cache provider node-redis calls on the tracking connection: it sends our
// CLIENT TRACKING command in every (re)connection handshake and hands us the
// invalidation pushes. It caches nothing itself (handleCache passes through).
function makeProvider(redis, hooks) {
  const Base = redis.BasicPooledClientSideCache; // a ClientSideCacheProvider usable by clients and clusters
  class MemctlTrackingProvider extends Base {
    handleCache(client, parser, fn) { return fn(); }
    trackingOn() { hooks.handshake(); return ['CLIENT', 'TRACKING', 'ON', 'NOLOOP']; }
    invalidate(key) { hooks.invalidate(key); }
    clear() { hooks.flush(); }
    onError() { hooks.lost(); }
    onClose() { hooks.lost(); }
    onPoolClose() { hooks.lost(); }
    size() { return 0; }
  }
  return new MemctlTrackingProvider();
}

class TieredCache extends EventEmitter {
  #base; // the client the caller gave us; we only duplicate it
  #conn; // our connection: reads that fill L1, writes, locks (tracking on in RESP3 mode)
  // Command options of an L2 read's GET and PTTL: bulk strings as Buffers
  // (slices of the socket chunk), and no command timeout. node-redis arms one
  // per command (AbortSignal.timeout, commandOptions.timeout, 5 s by default)
  // that bounds only the wait to be written to the socket, never the wait for
  // the reply, and arming it costs about a quarter of a loopback GET. On our
  // connection that wait cannot outlive the connection: it is duplicated with
  // disableOfflineQueue, so a command sent while it is not ready is rejected
  // at once, and a socket error rejects every queued and written command.
  #readOpts;
  #sub; // pub/sub fallback subscriber
  #cluster;
  #l1;
  #ownL1;
  #ttl;
  #prefix;
  #mode; // 'tracking' | 'pubsub' once connected
  #want; // 'auto' | 'tracking' | 'pubsub'
  #channel;
  #lockOpt;
  #epoch = 0;
  #inflight = new Map(); // key -> { readers, gen }
  #loading = new Map(); // key -> Promise of a load in this process
  #connected = false;
  #connecting;
  #closed = false;
  #s = { l1Hits: 0, l2Hits: 0, misses: 0, loads: 0, invalidations: 0, flushes: 0, errors: 0, staleServed: 0, lockWaits: 0 };

  /**
   * @param {{ redis: object, l1?: object, ttl?: number, prefix?: string,
   *   invalidation?: 'auto'|'tracking'|'pubsub', lock?: boolean|{ ttl?: number, wait?: number, poll?: number } }} options
   */
  constructor(options) {
    super();
    const o = checkOptions('options', options);
    if (o.redis === undefined || o.redis === null || typeof o.redis !== 'object' || typeof o.redis.duplicate !== 'function') {
      throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `options.redis must be a node-redis client or cluster (createClient()/createCluster()), got ${describe(o.redis)}`);
    }
    const known = new Set(['redis', 'l1', 'ttl', 'prefix', 'invalidation', 'lock']);
    for (const k of Object.keys(o)) {
      if (!known.has(k)) throw typeError('ERR_MEMCTL_UNKNOWN_OPTION', `unknown TieredCache option ${JSON.stringify(k)}`);
    }
    this.#base = o.redis;
    this.#cluster = isCluster(o.redis);
    this.#ttl = checkTtlOption('options.ttl', o.ttl, 0);
    this.#prefix = o.prefix === undefined ? '' : checkString('options.prefix', o.prefix);
    this.#want = o.invalidation === undefined ? 'auto' : checkOneOf('options.invalidation', o.invalidation, ['auto', 'tracking', 'pubsub']);
    this.#lockOpt = TieredCache.#lockOptions('options.lock', o.lock, { enabled: false, ttl: 10_000, wait: 5_000, poll: 25 });
    this.#channel = `${this.#prefix}__memctl:invalidate`;
    if (isL1Instance(o.l1)) {
      this.#l1 = o.l1;
      this.#ownL1 = false;
    } else {
      const l1 = checkOptions('options.l1', o.l1);
      this.#l1 = new LRUCache({ max: 10_000, ...l1 });
      this.#ownL1 = true;
    }
  }

  static #self(o) {
    if (o === null || typeof o !== 'object' || !(#l1 in o)) throw invalidThis('TieredCache', o);
    return o;
  }

  static #lockOptions(name, v, def) {
    if (v === undefined) return def;
    if (typeof v === 'boolean') return { ...def, enabled: v };
    const o = checkOptions(name, v);
    return {
      enabled: true,
      ttl: o.ttl === undefined ? def.ttl : checkInteger(`${name}.ttl`, o.ttl, 1, TTL_MAX),
      wait: o.wait === undefined ? def.wait : checkInteger(`${name}.wait`, o.wait, 0, TTL_MAX),
      poll: o.poll === undefined ? def.poll : checkInteger(`${name}.poll`, o.poll, 1, 60_000),
    };
  }

  get l1() { return TieredCache.#self(this).#l1; }
  get prefix() { return TieredCache.#self(this).#prefix; }
  get ttl() { return TieredCache.#self(this).#ttl; }
  /** 'tracking' or 'pubsub' once connected, undefined before. */
  get invalidation() { return TieredCache.#self(this).#mode; }

  /** Opens the tracking (or pub/sub) connection(s). Concurrent calls share one attempt. */
  connect() {
    TieredCache.#self(this);
    if (this.#closed) throw error('ERR_MEMCTL_CLOSED', 'this TieredCache is closed');
    if (this.#connecting === undefined) {
      this.#connecting = this.#connectOnce().catch((err) => { this.#connecting = undefined; throw err; });
    }
    return this.#connecting;
  }

  async #connectOnce() {
    const redis = loadRedis();
    if (this.#want !== 'pubsub') {
      try {
        await this.#open({ RESP: 3, clientSideCache: makeProvider(redis, this.#hooks()) });
        this.#mode = 'tracking';
      } catch (err) {
        await this.#close(this.#conn);
        this.#conn = undefined;
        if (this.#want === 'tracking' || !TieredCache.#noResp3(err)) throw err;
      }
    }
    if (this.#mode === undefined) {
      const resp2 = { RESP: 2, maintNotifications: 'disabled' };
      try {
        await this.#open(resp2);
        this.#sub = this.#duplicate(resp2);
        this.#watch(this.#sub);
        await this.#sub.connect();
        await this.#sub.subscribe(this.#channel, (msg) => this.#onMessage(msg));
      } catch (err) {
        await this.#close(this.#sub);
        await this.#close(this.#conn);
        this.#sub = this.#conn = undefined;
        throw err;
      }
      this.#mode = 'pubsub';
      this.#flushL1Now();
    }
    this.#connected = true;
    return this;
  }

  // A server or proxy that cannot speak RESP3 rejects HELLO 3.
  static #noResp3(err) {
    const m = String(err && err.message);
    return /HELLO|NOPROTO|unknown command|RESP3/i.test(m);
  }

  #duplicate(extra) {
    // Fail fast while disconnected instead of queueing: a read must fall back
    // to the loader (or stale data) rather than hang.
    if (this.#cluster) {
      const defaults = { ...(this.#base.options?.defaults ?? this.#base._options?.defaults), disableOfflineQueue: true };
      return this.#base.duplicate({ ...extra, defaults });
    }
    return this.#base.duplicate({ ...extra, disableOfflineQueue: true });
  }

  async #open(extra) {
    const redis = loadRedis();
    this.#conn = this.#duplicate(extra);
    this.#watch(this.#conn);
    this.#readOpts = { typeMapping: { [redis.RESP_TYPES.BLOB_STRING]: Buffer }, timeout: undefined };
    // node-redis retries a failed handshake forever; a server that refuses
    // RESP3 must end connect() so that 'auto' can fall back to pub/sub.
    let onError;
    const refused = new Promise((resolve, reject) => {
      onError = (err) => { if (extra.RESP === 3 && TieredCache.#noResp3(err)) reject(err); };
    });
    this.#conn.on('error', onError);
    try {
      await Promise.race([this.#conn.connect(), refused]);
    } finally {
      this.#conn.off('error', onError);
    }
  }

  #watch(client) {
    client.on('error', (err) => { this.#onConnectionError(); this.#report(err); });
    if (this.#cluster) client.on('node-error', (err) => { this.#onConnectionError(); this.#report(err); });
    // Pub/sub mode has no handshake hook: a reconnect flushes here.
    const reconnected = () => { if (this.#mode === 'pubsub') this.#flushL1Now(); };
    client.on('ready', reconnected);
    if (this.#cluster) client.on('node-ready', reconnected);
  }

  async #close(client) {
    if (!client) return;
    if (!client.isReady) {
      try { client.destroy(); } catch { /* already gone */ }
      return;
    }
    try {
      if (typeof client.close === 'function') await client.close();
      else await client.quit();
    } catch {
      try { client.destroy?.(); } catch { /* already gone */ }
    }
  }

  #report(err) {
    this.#s.errors++;
    // 'error' without a listener would throw; background failures must never crash.
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  #onConnectionError() { this.#epoch++; }

  // What the tracking provider calls.
  #hooks() {
    return {
      // Tracking is (re)enabled by this handshake: whatever L1 holds was
      // tracked by a connection that no longer exists.
      handshake: () => this.#flushL1Now(),
      invalidate: (key) => {
        if (key === null || key === undefined) { this.#flushL1Now(); return; }
        const rk = typeof key === 'string' ? key : key.toString('utf8');
        if (rk.startsWith(this.#prefix)) this.#invalidateLocal(rk.slice(this.#prefix.length));
      },
      flush: () => this.#flushL1Now(),
      lost: () => { this.#epoch++; },
    };
  }

  #onMessage(msg) {
    if (msg === '') this.#flushL1Now();
    else this.#invalidateLocal(msg);
  }

  #invalidateLocal(key) {
    this.#s.invalidations++;
    const f = this.#inflight.get(key);
    if (f !== undefined) f.gen++;
    if (!this.#closed) this.#l1.delete(key);
  }

  #flushL1Now() {
    this.#epoch++;
    this.#s.flushes++;
    if (!this.#closed) this.#l1.clear();
  }

  // ---- read generation: fill L1 only if nothing invalidated the key meanwhile ----
  #begin(key) {
    let f = this.#inflight.get(key);
    if (f === undefined) { f = { readers: 0, gen: 0 }; this.#inflight.set(key, f); }
    f.readers++;
    return { f, gen: f.gen, epoch: this.#epoch };
  }

  #end(key, t) {
    if (--t.f.readers === 0) this.#inflight.delete(key);
    return t.f.gen === t.gen && t.epoch === this.#epoch;
  }

  #fillL1(key, value, ttl) {
    if (this.#closed) return;
    if (ttl === 0) this.#l1.set(key, value, { ttl: 0 });
    else this.#l1.set(key, value, { ttl: Math.max(1, Math.floor(ttl)) });
  }

  #check() {
    TieredCache.#self(this);
    if (this.#closed) throw error('ERR_MEMCTL_CLOSED', 'this TieredCache is closed');
    if (!this.#connected) throw error('ERR_MEMCTL_NOT_CONNECTED', 'call await cache.connect() first');
  }

  static #key(key) {
    if (typeof key !== 'string' || key.length === 0) {
      throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `key must be a non-empty string, got ${describe(key)}`);
    }
    return key;
  }

  // One L2 read on the tracking connection: [raw value (a Buffer) or null,
  // PTTL], GET and PTTL pipelined (one round trip, one socket write). Raw
  // sendCommand: no command parser, no client-side-cache eligibility lookup,
  // the reply untransformed; bulk strings come as Buffers sliced from the
  // socket chunk (no copy; decodeValue makes the one copy or string needed).
  #sendRead(rk) {
    if (this.#cluster) {
      return Promise.all([
        this.#conn.sendCommand(rk, false, ['GET', rk], this.#readOpts),
        this.#conn.sendCommand(rk, false, ['PTTL', rk], this.#readOpts),
      ]);
    }
    return Promise.all([this.#conn.sendCommand(['GET', rk], this.#readOpts), this.#conn.sendCommand(['PTTL', rk], this.#readOpts)]);
  }

  // L2 then L1 for one key, with the generation check: { value, ttl (ms; 0 =
  // no expiry) }, or undefined on a miss; for get() (forGet) the value itself,
  // counted (one async frame between get() and the reply). Throws on a Redis failure.
  async #fetch(key, forGet) {
    const t = this.#begin(key);
    let reply;
    try {
      reply = await this.#sendRead(this.#prefix + key);
    } finally {
      this.#end(key, t);
    }
    const raw = reply[0];
    const pttl = reply[1];
    if (raw === null || raw === undefined || pttl === -2) {
      if (forGet) this.#s.misses++;
      return undefined;
    }
    const value = decodeValue(raw);
    const ttl = pttl === -1 ? 0 : pttl;
    if (t.f.gen === t.gen && t.epoch === this.#epoch) this.#fillL1(key, value, ttl);
    if (forGet) { this.#s.l2Hits++; return value; }
    return { value, ttl };
  }

  /** The value, or undefined on a miss. A Redis failure rejects. */
  get(key) {
    TieredCache.#self(this);
    TieredCache.#key(key);
    this.#check();
    return this.#get(key);
  }

  #get(key) {
    let v;
    try {
      v = this.#l1.get(key); // an L1 instance the caller closed throws: a rejection, as before
    } catch (err) {
      return Promise.reject(err);
    }
    if (v !== undefined) { this.#s.l1Hits++; return Promise.resolve(v); }
    return this.#fetch(key, true);
  }

  #ttlOf(name, options) {
    const o = checkOptions(name, options);
    for (const k of Object.keys(o)) {
      if (!['ttl', 'staleWhileRevalidate', 'grace', 'lock'].includes(k)) {
        throw typeError('ERR_MEMCTL_UNKNOWN_OPTION', `unknown option ${JSON.stringify(k)} in ${name}`);
      }
    }
    const ttl = checkTtlOption(`${name}.ttl`, o.ttl, this.#ttl);
    const swr = checkTtlOption(`${name}.staleWhileRevalidate`, o.staleWhileRevalidate, 0);
    const grace = checkTtlOption(`${name}.grace`, o.grace, 0);
    if ((swr || grace) && !ttl) {
      throw rangeError('ERR_MEMCTL_OUT_OF_RANGE', `${name}.staleWhileRevalidate and .grace need a ttl > 0`);
    }
    const lock = o.lock === undefined ? this.#lockOpt.enabled : checkBoolean(`${name}.lock`, o.lock);
    return { ttl, swr, grace, lock };
  }

  // Stored in both tiers for ttl + staleWhileRevalidate + grace; freshness is
  // read back from the remaining ttl, so the value itself carries no metadata.
  async #write(key, value, o, encoded) {
    const enc = encoded ?? encodeValue(value);
    const rk = this.#prefix + key;
    const life = o.ttl ? o.ttl + o.swr + o.grace : 0;
    const f = this.#inflight.get(key);
    if (f !== undefined) f.gen++; // reads of the old value in flight must not fill L1
    this.#l1.delete(key);
    const t = this.#begin(key);
    let ok = false;
    try {
      const m = this.#conn.multi();
      if (life) m.set(rk, enc, { PX: life }); else m.set(rk, enc);
      // A read in the same transaction makes the tracking connection track the
      // key it now caches (NOLOOP: our own SET does not invalidate us).
      if (this.#mode === 'tracking') m.pTTL(rk);
      await m.exec();
      if (this.#mode === 'pubsub') await this.#conn.publish(this.#channel, key);
      ok = true;
    } finally {
      if (this.#end(key, t) && ok) this.#fillL1(key, value, life);
    }
  }

  /** Stores in Redis, then in L1; other instances drop their L1 copy. */
  set(key, value, options) {
    TieredCache.#self(this);
    TieredCache.#key(key);
    if (value === undefined) throw typeError('ERR_MEMCTL_INVALID_VALUE', 'a TieredCache value cannot be undefined (undefined means a miss)');
    const o = this.#ttlOf('options', options);
    this.#check();
    const enc = encodeValue(value);
    return this.#write(key, value, o, enc);
  }

  /** Deletes in Redis and in L1; true if Redis had the key. */
  delete(key) {
    TieredCache.#self(this);
    TieredCache.#key(key);
    this.#check();
    return this.#delete(key);
  }

  async #delete(key) {
    const f = this.#inflight.get(key);
    if (f !== undefined) f.gen++;
    this.#l1.delete(key);
    const n = await this.#conn.del(this.#prefix + key);
    if (this.#mode === 'pubsub') await this.#conn.publish(this.#channel, key);
    return n > 0;
  }

  // Where an entry stands: 'fresh', 'stale' (serve, refresh in background),
  // 'grace' (refresh now, serve only if that fails), by its remaining life.
  static #phase(remaining, o) {
    if (remaining === 0 || remaining === Infinity) return 'fresh'; // no expiry
    if (remaining > o.swr + o.grace) return 'fresh';
    if (remaining > o.grace) return 'stale';
    return 'grace';
  }

  /**
   * The cached value, or the loader's (stored in both tiers). Concurrent misses
   * in this process share one loader call; with `lock`, one process loads.
   */
  getOrSet(key, loader, options) {
    TieredCache.#self(this);
    TieredCache.#key(key);
    checkFunction('loader', loader);
    const o = this.#ttlOf('options', options);
    this.#check();
    return this.#getOrSet(key, loader, o);
  }

  async #getOrSet(key, loader, o) {
    const timed = o.swr > 0 || o.grace > 0;
    let cur; // { value, remaining }
    const v = this.#l1.get(key);
    if (v !== undefined) {
      const remaining = timed && typeof this.#l1.getRemainingTTL === 'function' ? this.#l1.getRemainingTTL(key) : 0;
      cur = { value: v, remaining, tier: 1 };
    } else {
      try {
        const hit = await this.#fetch(key);
        if (hit !== undefined) cur = { value: hit.value, remaining: hit.ttl, tier: 2 };
      } catch (err) {
        this.#report(err); // Redis down: fall through to the loader
      }
    }
    if (cur !== undefined) {
      const phase = timed ? TieredCache.#phase(cur.remaining, o) : 'fresh';
      if (phase === 'fresh') {
        if (cur.tier === 1) this.#s.l1Hits++; else this.#s.l2Hits++;
        return cur.value;
      }
      if (phase === 'stale') {
        this.#s.staleServed++;
        this.#load(key, loader, o).catch((err) => this.#report(err));
        return cur.value;
      }
      try {
        return await this.#load(key, loader, o);
      } catch (err) {
        this.#report(err);
        this.#s.staleServed++;
        return cur.value;
      }
    }
    this.#s.misses++;
    return this.#load(key, loader, o);
  }

  // A value another process stored counts as loaded only if it is fresh (a
  // refresh must not settle for the stale value it is replacing).
  static #isFresh(hit, o) {
    return hit !== undefined && (!(o.swr || o.grace) || TieredCache.#phase(hit.ttl, o) === 'fresh');
  }

  // One load per key per process at a time.
  #load(key, loader, o) {
    let p = this.#loading.get(key);
    if (p === undefined) {
      p = this.#loadOnce(key, loader, o).finally(() => this.#loading.delete(key));
      this.#loading.set(key, p);
    }
    return p;
  }

  async #loadOnce(key, loader, o) {
    if (o.lock) {
      const got = await this.#lockedLoad(key, loader, o);
      if (got.done) return got.value;
    }
    return this.#callLoaderAndStore(key, loader, o);
  }

  async #callLoaderAndStore(key, loader, o) {
    this.#s.loads++;
    const value = await loader(key);
    if (value === undefined) return undefined;
    try {
      await this.#write(key, value, o);
    } catch (err) {
      // Redis unreachable: keep the value locally (flushed on reconnect).
      this.#report(err);
      this.#fillL1(key, value, o.ttl ? o.ttl + o.swr + o.grace : 0);
    }
    return value;
  }

  // Cross-process lock: SET NX PX. The holder loads and stores; the others
  // poll L2 until the value appears or `wait` ms pass, then load themselves
  // (a lost or expired lock costs one extra loader call, never a deadlock).
  async #lockedLoad(key, loader, o) {
    const lk = `${this.#prefix}__memctl:lock:${key}`;
    const token = crypto.randomBytes(12).toString('hex');
    let acquired;
    try {
      acquired = (await this.#conn.set(lk, token, { NX: true, PX: this.#lockOpt.ttl })) === 'OK';
    } catch (err) {
      this.#report(err);
      return { done: false };
    }
    if (acquired) {
      try {
        // The previous holder may have stored the value just before we won.
        const hit = await this.#fetch(key).catch(() => undefined);
        if (TieredCache.#isFresh(hit, o)) { this.#s.l2Hits++; return { done: true, value: hit.value }; }
        return { done: true, value: await this.#callLoaderAndStore(key, loader, o) };
      } finally {
        this.#conn.eval(LOCK_RELEASE, { keys: [lk], arguments: [token] }).catch((err) => this.#report(err));
      }
    }
    this.#s.lockWaits++;
    const deadline = Date.now() + this.#lockOpt.wait;
    while (Date.now() < deadline && !this.#closed) {
      await sleep(this.#lockOpt.poll);
      let hit;
      try {
        hit = await this.#fetch(key);
      } catch (err) {
        this.#report(err);
        return { done: false };
      }
      if (TieredCache.#isFresh(hit, o)) { this.#s.l2Hits++; return { done: true, value: hit.value }; }
    }
    return { done: false };
  }

  /** Counters since construction, plus the L1 entry count. */
  stats() {
    TieredCache.#self(this);
    if (this.#closed) throw error('ERR_MEMCTL_CLOSED', 'this TieredCache is closed');
    return { ...this.#s, l1Size: this.#l1.size, mode: this.#mode };
  }

  /** Closes our connections (not the client passed in) and an L1 we created. */
  close() {
    TieredCache.#self(this);
    if (this.#closed) return Promise.resolve();
    return this.#closeAll();
  }

  async #closeAll() {
    this.#closed = true;
    this.#connected = false;
    await this.#close(this.#sub);
    await this.#close(this.#conn);
    if (this.#ownL1) this.#l1.close();
  }
}

module.exports = { TieredCache, encodeValue, decodeValue };
