'use strict';
// SharedCache: one cache in shared memory for every process and worker on a
// machine (src/core/shm.c over the cache core in region mode). Keys and values
// follow LRUCache's rules: copies; objects go through v8.serialize.
const v8 = require('node:v8');
const native = require('./native');
const {
  typeError, rangeError, checkInteger, checkOptions, checkOneOf, checkString, describe, invalidThis,
} = require('./errors');

const { SET_NEEDS_SERIAL, TTL_MAX, POLICIES } = native.CACHE;
const { MAX_SHARDS, NAME_MAX } = native.SHARED;

const { sharedGet, sharedSet, sharedHas, sharedDelete } = native;

function serialize(value) {
  try {
    return v8.serialize(value);
  } catch (err) {
    const e = typeError('ERR_MEMCTL_INVALID_VALUE', `cannot copy ${describe(value)} into the cache: ${err.message}`);
    e.cause = err;
    throw e;
  }
}

function checkName(name) {
  checkString('options.name', name);
  if (name.length === 0 || /[/\0]/.test(name) || Buffer.byteLength(name) > NAME_MAX) {
    throw rangeError('ERR_MEMCTL_INVALID_ARG_VALUE',
      `options.name must be 1 to ${NAME_MAX} bytes without '/' or NUL, got ${describe(name)}`);
  }
  return name;
}

function checkPath(path) {
  checkString('options.path', path);
  if (path.length === 0 || path.includes('\0')) {
    throw rangeError('ERR_MEMCTL_INVALID_ARG_VALUE', `options.path must be a file path, got ${describe(path)}`);
  }
  return path;
}

// Validated options in the form native.sharedOpen takes (undefined = take
// the existing segment's value).
function parseOptions(options) {
  const o = checkOptions('options', options);
  if ((o.name === undefined) === (o.path === undefined)) {
    throw typeError('ERR_MEMCTL_MISSING_OPTION', 'SharedCache needs exactly one of options.name or options.path');
  }
  const r = {};
  if (o.name !== undefined) r.name = checkName(o.name);
  else r.path = checkPath(o.path);
  if (o.maxBytes !== undefined) r.maxBytes = checkInteger('options.maxBytes', o.maxBytes, 1);
  if (o.max !== undefined) r.max = checkInteger('options.max', o.max, 1);
  if (o.ttl !== undefined) r.ttl = checkInteger('options.ttl', o.ttl, 0, TTL_MAX);
  if (o.policy !== undefined) r.policy = checkOneOf('options.policy', o.policy, POLICIES);
  if (o.shards !== undefined) r.shards = checkInteger('options.shards', o.shards, 1, MAX_SHARDS);
  if (r.maxBytes !== undefined && r.maxBytes < (r.shards ?? 1)) {
    throw rangeError('ERR_MEMCTL_OUT_OF_RANGE', 'options.maxBytes must be at least options.shards');
  }
  return r;
}

function open(opts) {
  if (opts.maxBytes !== undefined) return native.sharedOpen(opts);
  // Without maxBytes the cache can only be opened, not created.
  try {
    return native.sharedOpen({ ...opts, create: false });
  } catch (err) {
    if (err.code !== 'ERR_MEMCTL_SHM_NOT_FOUND') throw err;
    throw typeError('ERR_MEMCTL_MISSING_OPTION',
      `shared cache ${JSON.stringify(opts.name ?? opts.path)} does not exist; creating it needs options.maxBytes`);
  }
}

class SharedCache {
  #h;
  #info;
  #where;

  static #handle(o) {
    try {
      return o.#h;
    } catch {
      throw invalidThis('SharedCache', o);
    }
  }

  static #check(o) {
    if (typeof o !== 'object' || o === null || !(#h in o)) throw invalidThis('SharedCache', o);
  }

  /**
   * @param {{ name?: string, path?: string, maxBytes?: number, max?: number, ttl?: number,
   *   policy?: 'lru'|'fifo'|'sieve', shards?: number }} options
   */
  constructor(options) {
    const opts = parseOptions(options);
    this.#h = open(opts);
    this.#info = native.sharedInfo(this.#h);
    this.#where = opts.name !== undefined ? { name: opts.name } : { path: opts.path };
  }

  get name() { SharedCache.#check(this); return this.#where.name; }
  get path() { SharedCache.#check(this); return this.#where.path; }
  get maxBytes() { SharedCache.#check(this); return this.#info.maxBytes; }
  get max() { SharedCache.#check(this); return this.#info.max; }
  get ttl() { SharedCache.#check(this); return this.#info.ttl; }
  get policy() { SharedCache.#check(this); return this.#info.policy; }
  get shards() { SharedCache.#check(this); return this.#info.shards; }
  /** True if this handle created the segment (false: it opened an existing one). */
  get created() { SharedCache.#check(this); return this.#info.created; }
  get size() { SharedCache.#check(this); return native.sharedSize(this.#h); }
  get [Symbol.toStringTag]() { return 'SharedCache'; }

  get(key) {
    const v = sharedGet(SharedCache.#handle(this), key);
    return Array.isArray(v) ? v8.deserialize(v[0]) : v;
  }

  set(key, value, options) {
    const h = SharedCache.#handle(this);
    let ttl;
    if (options !== undefined) {
      const o = checkOptions('options', options);
      if (o.ttl !== undefined) ttl = checkInteger('options.ttl', o.ttl, 0, TTL_MAX);
    }
    if (sharedSet(h, key, value, false, ttl) === SET_NEEDS_SERIAL) sharedSet(h, key, serialize(value), true, ttl);
    return this;
  }

  has(key) { return sharedHas(SharedCache.#handle(this), key); }
  delete(key) { return sharedDelete(SharedCache.#handle(this), key); }
  clear() { native.sharedClear(SharedCache.#handle(this)); }

  /** Counters summed over shards, lock statistics, recoveries, attached processes. */
  stats() { return native.sharedStats(SharedCache.#handle(this)); }

  /** Runs the cache core's full structural check on every shard (each under its lock). */
  verify() { return native.sharedVerify(SharedCache.#handle(this)); }

  /** Unmaps this handle (idempotent); the segment stays for other processes. */
  close() {
    SharedCache.#check(this);
    native.sharedClose(this.#h);
  }

  /** Removes the segment's name: true if it existed. Open handles keep working. */
  static unlink(nameOrOptions) {
    if (typeof nameOrOptions === 'string') return native.sharedUnlink(checkName(nameOrOptions), false);
    const o = checkOptions('options', nameOrOptions);
    if ((o.name === undefined) === (o.path === undefined)) {
      throw typeError('ERR_MEMCTL_MISSING_OPTION', 'SharedCache.unlink needs a name or { path }');
    }
    return o.path !== undefined ? native.sharedUnlink(checkPath(o.path), true)
      : native.sharedUnlink(checkName(o.name), false);
  }
}

module.exports = { SharedCache };
