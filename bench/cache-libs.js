'use strict';
// The libraries the cache benchmark compares, each behind the same tiny
// factory: create(max, mode) returns an object with get(key) and set(key,
// value) (and close() when the library owns native memory). The benchmark
// loops call those methods directly on the library's own object wherever the
// library has them, so no adapter layer is timed.
//
// mode is one of:
//   'evict'     bounded at max entries, evicting when full (set with eviction, Zipf mix)
//   'hold'      will hold exactly max entries (get on hits, memory, GC)
//   'unbounded' fill until failure (max entries); max is only a hint

const path = require('path');

const ROOT = path.join(__dirname, '..');

// Beyond V8's Map size cap (2^24 entries), for peers that must preallocate a
// capacity: their Map gives up first, as it would for a user.
const PREALLOC_UNBOUNDED = 17_000_000;

function missingPeer(pkg, err) {
  const e = new Error(`the benchmark peer "${pkg}" is not installed (${err.code || err.message}); ` +
    `it is a devDependency of memctl: run "npm install" in the memctl checkout, or "npm install -D ${pkg}"`);
  e.code = 'ERR_MEMCTL_BENCH_PEER_MISSING';
  return e;
}

function requirePeer(pkg) {
  try {
    return require(require.resolve(pkg, { paths: [ROOT] }));
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND') throw missingPeer(pkg, err);
    throw err;
  }
}

async function importPeer(pkg) {
  let file;
  try {
    file = require.resolve(pkg, { paths: [ROOT] });
  } catch (err) {
    throw missingPeer(pkg, err);
  }
  return import(require('url').pathToFileURL(file).href);
}

function requireMemctl(name) {
  const memctl = require(ROOT);
  if (typeof memctl[name] !== 'function') {
    const e = new Error(`memctl.${name} is not available in this build (lib/cache.js does not export it yet)`);
    e.code = 'ERR_MEMCTL_BENCH_PEER_MISSING';
    throw e;
  }
  return memctl[name];
}

// A plain Map has no eviction: where a row needs it, the oldest inserted key
// is deleted by hand (FIFO, the cheapest eviction a Map allows). The insertion
// order is kept in a ring of keys: deleting map.keys().next().value instead is
// quadratic in V8, whose iterator walks the deleted slots left at the front.
class FifoMap {
  constructor(max) {
    this.max = max;
    this.map = new Map();
    this.ring = new Array(max);
    this.head = 0;
  }

  get(key) {
    return this.map.get(key);
  }

  set(key, value) {
    const map = this.map;
    if (!map.has(key)) {
      if (map.size >= this.max) map.delete(this.ring[this.head]);
      this.ring[this.head] = key;
      this.head = this.head + 1 === this.max ? 0 : this.head + 1;
    }
    map.set(key, value);
    return this;
  }

  get size() {
    return this.map.size;
  }
}

// The bounded map of the classic advice on Node.js memory: an object for the
// entries plus an array of keys in insertion order, dropping the oldest with
// shift() when a new key arrives at the limit.
class ClassicLimitableMap {
  constructor(limit = 10) {
    this.limit = limit;
    this.map = Object.create(null);
    this.order = [];
  }

  set(key, value) {
    const map = this.map;
    if (!(key in map)) {
      if (this.order.length === this.limit) delete map[this.order.shift()];
      this.order.push(key);
    }
    map[key] = value;
  }

  get(key) {
    return this.map[key];
  }
}

const LIBS = {
  memctl: {
    label: 'memctl LRUCache',
    pkg: 'memctl',
    async load() {
      const LRUCache = requireMemctl('LRUCache');
      return (max) => new LRUCache({ max });
    },
  },
  // Not in CACHE_LIBS: run by name (bench/cache-worker.js memctl-sieve ...)
  // to compare the policies on one workload.
  'memctl-sieve': {
    label: 'memctl LRUCache (policy sieve)',
    pkg: 'memctl',
    async load() {
      const LRUCache = requireMemctl('LRUCache');
      return (max) => new LRUCache({ max, policy: 'sieve' });
    },
  },
  'lru-cache': {
    label: 'lru-cache',
    pkg: 'lru-cache',
    async load() {
      const { LRUCache } = requirePeer('lru-cache');
      return (max, mode) => (mode === 'unbounded'
        // max preallocates arrays of that length; a size bound counting one
        // per entry is lru-cache's way to grow without a preset capacity.
        ? new LRUCache({ maxSize: Number.MAX_SAFE_INTEGER, sizeCalculation: () => 1 })
        : new LRUCache({ max }));
    },
  },
  mnemonist: {
    label: 'mnemonist LRUMap',
    pkg: 'mnemonist',
    async load() {
      const LRUMap = requirePeer('mnemonist/lru-map');
      return (max, mode) => new LRUMap(mode === 'unbounded' ? PREALLOC_UNBOUNDED : max);
    },
  },
  'lru.min': {
    label: 'lru.min',
    pkg: 'lru.min',
    async load() {
      const { createLRU } = requirePeer('lru.min');
      return (max, mode) => createLRU({ max: mode === 'unbounded' ? PREALLOC_UNBOUNDED : max });
    },
  },
  'quick-lru': {
    label: 'quick-lru',
    pkg: 'quick-lru',
    async load() {
      const QuickLRU = (await importPeer('quick-lru')).default;
      return (max, mode) => new QuickLRU({ maxSize: mode === 'unbounded' ? Infinity : max });
    },
  },
  Map: {
    label: 'Map',
    pkg: null,
    async load() {
      return (max, mode) => (mode === 'evict' ? new FifoMap(max) : new Map());
    },
  },
  'memctl-limitable': {
    label: 'memctl LimitableMap',
    pkg: 'memctl',
    async load() {
      const LimitableMap = requireMemctl('LimitableMap');
      return (max) => new LimitableMap(max);
    },
  },
  'classic-limitable': {
    label: 'JS LimitableMap (object + keys.shift())',
    pkg: null,
    async load() {
      return (max, mode) => new ClassicLimitableMap(mode === 'unbounded' ? Infinity : max);
    },
  },
};

const CACHE_LIBS = ['memctl', 'lru-cache', 'mnemonist', 'lru.min', 'quick-lru', 'Map'];
const LIMITABLE_LIBS = ['memctl-limitable', 'classic-limitable'];

// Throws ERR_MEMCTL_BENCH_PEER_MISSING with an install hint when unavailable.
async function loadLib(name) {
  const lib = LIBS[name];
  if (!lib) throw new Error(`unknown benchmark library ${JSON.stringify(name)}`);
  return lib.load();
}

module.exports = {
  LIBS, CACHE_LIBS, LIMITABLE_LIBS, loadLib, requirePeer, FifoMap, ClassicLimitableMap, PREALLOC_UNBOUNDED,
};
