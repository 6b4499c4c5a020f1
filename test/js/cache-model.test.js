'use strict';
// Long random operation sequences against a reference model written in plain
// JavaScript: LRU, FIFO and SIEVE, count and byte bounds, mixed key and value types.
const test = require('node:test');
const assert = require('node:assert');
const v8 = require('node:v8');
const { LRUCache } = require('../..');
const { rng } = require('./helpers/rng');

// ---- the documented byte charge (docs/cache-core.md): block ([links][varints][key][value]) + 16 ----------
// (block: the 8 bytes of queue links, the two length varints, key, value,
// rounded up to 8 bytes; 16: the entry's 8-byte index slot at its mean load)
const varintLen = (v) => { let n = 1; while (v >= 0x80) { v = Math.floor(v / 128); n++; } return n; };
const isLatin1 = (s) => { for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 255) return false; return true; };
const strBytes = (s) => (isLatin1(s) ? s.length : 2 * s.length);
const keyBytes = (k) => (typeof k === 'number' ? 9 : 1 + strBytes(k));
function valueBytes(v) {
  if (typeof v === 'string') return strBytes(v);
  if (typeof v === 'number') return 8;
  if (typeof v === 'boolean' || v === null) return 0;
  if (Buffer.isBuffer(v)) return v.length;
  return v8.serialize(v).length;
}
function unitsOf(bytes) {
  const u = Math.ceil(bytes / 8);
  if (u <= 512) return u;
  const b = Math.floor(Math.log2(u));
  const step = 2 ** (b - 3);
  return Math.ceil(u / step) * step;
}
function charge(k, v) {
  const kl = keyBytes(k);
  const vl = valueBytes(v);
  const raw = 8 + varintLen(kl * 4 + 3) + varintLen(vl * 16 + 15) + kl + vl;
  return unitsOf(raw) * 8 + 16;
}

// ---- the model -------------------------------------------------------------
class Model {
  constructor({ max = 0, maxBytes = 0, policy }) {
    Object.assign(this, { max, maxBytes, policy });
    this.map = new Map(); // key -> { value, bytes, visited }, iteration order = oldest first
    this.bytes = 0;
    this.evicted = [];
    this.hand = undefined; // sieve: the key the hand is on; undefined = the oldest
  }
  // A hit: lru moves the entry to the newest end, sieve marks it visited.
  touch(k) {
    const e = this.map.get(k);
    if (this.policy === 'sieve') e.visited = true;
    if (this.policy !== 'lru') return;
    this.map.delete(k);
    this.map.set(k, e);
  }
  // The key the policy evicts next (other than skip), or undefined.
  victim(skip) {
    const keys = [...this.map.keys()];
    if (this.policy !== 'sieve') return keys.find((k) => !Object.is(k, skip));
    // SIEVE: from the hand toward the newest, wrapping; visited marks are
    // cleared on the way; the first unvisited entry is the victim.
    let i = this.hand === undefined ? 0 : keys.findIndex((k) => Object.is(k, this.hand));
    for (let steps = 0; keys.length && steps <= 2 * keys.length + 2; steps++) {
      const k = keys[i];
      const e = this.map.get(k);
      if (!Object.is(k, skip)) {
        if (!e.visited) {
          this.hand = k;
          return k;
        }
        e.visited = false;
      }
      this.hand = i + 1 < keys.length ? keys[i + 1] : undefined;
      i = i + 1 < keys.length ? i + 1 : 0;
    }
    return undefined;
  }
  // Removes k; a hand on it moves to the next newer entry (or the oldest).
  remove(k) {
    const e = this.map.get(k);
    if (this.hand !== undefined && Object.is(this.hand, k)) {
      const keys = [...this.map.keys()];
      const i = keys.findIndex((x) => Object.is(x, k));
      this.hand = i + 1 < keys.length ? keys[i + 1] : undefined;
    }
    this.map.delete(k);
    this.bytes -= e.bytes;
    return e;
  }
  evictOldest(skip) {
    const k = this.victim(skip);
    if (k === undefined) return false;
    const e = this.remove(k);
    this.evicted.push([k, e.value]);
    return true;
  }
  set(k, value) {
    const bytes = charge(k, value);
    if (this.maxBytes && bytes > this.maxBytes) return 'too-large';
    const old = this.map.get(k);
    if (old) {
      this.touch(k);
      while (this.maxBytes && this.bytes - old.bytes + bytes > this.maxBytes && this.evictOldest(k));
      this.bytes += bytes - old.bytes;
      old.value = value;
      old.bytes = bytes;
      return 'ok';
    }
    while (this.max && this.map.size >= this.max) this.evictOldest();
    while (this.maxBytes && this.bytes + bytes > this.maxBytes) this.evictOldest();
    this.map.set(k, { value, bytes, visited: false });
    this.bytes += bytes;
    return 'ok';
  }
  get(k) {
    const e = this.map.get(k);
    if (!e) return undefined;
    this.touch(k);
    return e.value;
  }
  peek(k) { return this.map.get(k)?.value; }
  delete(k) {
    if (!this.map.has(k)) return false;
    this.remove(k);
    return true;
  }
  // pop() removes what eviction would remove next.
  pop() {
    const k = this.victim();
    return k === undefined ? undefined : this.remove(k).value;
  }
  clear() { this.map.clear(); this.bytes = 0; this.hand = undefined; }
  keysNewestFirst() { return [...this.map.keys()].reverse(); }
}

function randomKey(r) {
  const n = Math.floor(r() * 60);
  switch (Math.floor(r() * 4)) {
    case 0: return n;                    // numbers
    case 1: return String(n);            // '1' differs from 1
    case 2: return `k\u00e9${n}`;        // Latin-1
    default: return `\u{1F600}${n}\ud800`; // astral + lone surrogate
  }
}

function randomValue(r) {
  switch (Math.floor(r() * 7)) {
    case 0: return 'v'.repeat(Math.floor(r() * 300));
    case 1: return `\u4e16${'x'.repeat(Math.floor(r() * 50))}`;
    case 2: return r() * 1e6;
    case 3: return r() < 0.5;
    case 4: return null;
    case 5: return Buffer.alloc(Math.floor(r() * (r() < 0.1 ? 9000 : 200)), Math.floor(r() * 256));
    default: return { n: Math.floor(r() * 100), list: [1, 'two', { three: 3 }] };
  }
}

function run({ policy, max, maxBytes, seed, ops }) {
  const r = rng(seed).next;
  const evicted = [];
  const cache = new LRUCache({ policy, max, maxBytes, onEvict: (k, v, reason) => evicted.push([k, v, reason]) });
  const model = new Model({ policy, max, maxBytes });
  for (let i = 0; i < ops; i++) {
    const k = randomKey(r);
    const p = r();
    if (p < 0.45) {
      const v = randomValue(r);
      const want = model.set(k, v);
      if (want === 'too-large') {
        assert.throws(() => cache.set(k, v), { name: 'RangeError', code: 'ERR_MEMCTL_TOO_LARGE' });
      } else {
        assert.strictEqual(cache.set(k, v), cache);
      }
    } else if (p < 0.7) {
      assert.deepStrictEqual(cache.get(k), model.get(k));
    } else if (p < 0.75) {
      assert.deepStrictEqual(cache.peek(k), model.peek(k));
    } else if (p < 0.8) {
      assert.strictEqual(cache.has(k), model.map.has(k));
    } else if (p < 0.9) {
      assert.strictEqual(cache.delete(k), model.delete(k));
    } else if (p < 0.96) {
      assert.deepStrictEqual(cache.pop(), model.pop());
    } else if (p < 0.965) {
      cache.clear();
      model.clear();
    } else {
      assert.deepStrictEqual([...cache.keys()], model.keysNewestFirst());
    }
    assert.strictEqual(cache.size, model.map.size);
    const st = cache.stats();
    assert.strictEqual(st.bytes, model.bytes);
    if (maxBytes) assert.ok(st.bytes <= maxBytes);
    if (max) assert.ok(st.entries <= max);
  }
  assert.deepStrictEqual([...cache.keys()], model.keysNewestFirst());
  assert.deepStrictEqual([...cache.rkeys()], [...model.map.keys()]);
  assert.deepStrictEqual([...cache.values()], model.keysNewestFirst().map((k) => model.map.get(k).value));
  assert.deepStrictEqual(evicted.map(([k, v]) => [k, v]), model.evicted);
  assert.ok(evicted.every(([, , reason]) => reason === 'evict'));
  cache.close();
}

for (const policy of ['lru', 'fifo', 'sieve']) {
  test(`${policy}: random operations match the model (count bound)`, () => {
    run({ policy, max: 40, seed: 11, ops: 8000 });
  });
  test(`${policy}: random operations match the model (byte bound)`, () => {
    run({ policy, maxBytes: 12000, seed: 12, ops: 8000 });
  });
  test(`${policy}: random operations match the model (both bounds)`, () => {
    run({ policy, max: 30, maxBytes: 6000, seed: 13, ops: 8000 });
  });
}
