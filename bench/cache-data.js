'use strict';
// Deterministic workload data for the cache benchmark: keys of several shapes
// (16-byte strings, the headline; integers, numeric strings, floats, 256-byte
// URL-like strings and 4 KB strings, as in lru-cache's own benchmark),
// 100-byte string values and Zipf-distributed key streams, all derived from a
// seed so every library and every round sees exactly the same data.
//
// Every string made here is flat (a sequential one-byte string), never a
// ConsString of smaller pieces: a cons would make JS caches look cheaper than
// they are for real data (shared pieces) and would be flattened on first use.

const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 'latin1');
const KEY_BYTES = 16;
const VALUE_BYTES = 100;

// murmur3's 32-bit finalizer: a bijection on uint32.
function fmix32(h) {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Key i of a seeded key space: 16 base64url characters. The first six encode
// a = fmix32(i ^ seed), a bijection of i, so keys of distinct i < 2^32 are
// distinct; the other ten are further mixing for realistic spread.
function keyAt(seed, i) {
  const A = ALPHABET;
  const a = fmix32((i ^ seed) >>> 0);
  const b = fmix32((a + 0x9e3779b9) | 0);
  const c = fmix32(b ^ 0x7f4a7c15);
  return String.fromCharCode(
    A[a & 63], A[(a >>> 6) & 63], A[(a >>> 12) & 63], A[(a >>> 18) & 63], A[(a >>> 24) & 63], A[a >>> 30],
    A[b & 63], A[(b >>> 6) & 63], A[(b >>> 12) & 63], A[(b >>> 18) & 63], A[(b >>> 24) & 63],
    A[c & 63], A[(c >>> 6) & 63], A[(c >>> 12) & 63], A[(c >>> 18) & 63], A[(c >>> 24) & 63],
  );
}

// A 100-byte value whose first 16 bytes are the key (so values are distinct
// strings) followed by a fixed pseudo-random filler.
const valueBuf = Buffer.alloc(VALUE_BYTES);
for (let j = 0, h = 0x1234567; j < VALUE_BYTES; j++) {
  h = fmix32(h + j);
  valueBuf[j] = ALPHABET[h & 63];
}
function valueFor(key) {
  valueBuf.latin1Write(key, 0, KEY_BYTES);
  return valueBuf.latin1Slice(0, VALUE_BYTES);
}

function makeKeys(seed, n) {
  const keys = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = keyAt(seed, i);
  return keys;
}

// A small pool of distinct values for the speed workloads: JS caches store a
// reference and memctl copies the bytes, so what matters is the size (100 B),
// not that every entry owns a distinct string.
function makeValuePool(seed, n = 1024) {
  const pool = new Array(n);
  for (let i = 0; i < n; i++) pool[i] = valueFor(keyAt(seed ^ 0x55555555, i));
  return pool;
}

// ---- key shapes
// Integer key i: a bijection of i onto [0, 2^30) (multiplication by an odd
// constant mod 2^30), so keys are distinct small integers (V8 Smis) in a
// scattered order, never sequential.
function intAt(seed, i) {
  return (Math.imul((i ^ seed) >>> 0, 0x9e3779b1) + seed) & 0x3fffffff;
}

// A float key: a distinct integer / 8 + 1/16, never an integer (both steps
// exact in binary), so every key is a heap number.
function floatAt(seed, i) {
  return intAt(seed, i) / 8 + 0.0625;
}

// Long keys are one shared random filler rotated by a per-key offset, with
// the distinct 16-byte key at the end, where URLs and composite keys differ:
// comparing two equal-hash candidates reads the whole key.
const FILLER = Buffer.alloc(8192);
for (let j = 0, h = 0xabcdef; j < FILLER.length; j++) {
  h = fmix32(h + j);
  FILLER[j] = ALPHABET[h & 63];
}
const longBuf = Buffer.alloc(4096);
function longKey(seed, i, bytes, prefix) {
  const k = keyAt(seed, i);
  const p = longBuf.latin1Write(prefix, 0);
  const body = bytes - p - KEY_BYTES;
  const off = fmix32(i + 0x5bd1e995) % (FILLER.length - body);
  FILLER.copy(longBuf, p, off, off + body);
  // '/' every 24 bytes of an URL path; no change for plain long strings.
  if (prefix) for (let j = p + 23; j < p + body; j += 24) longBuf[j] = 0x2f;
  longBuf.latin1Write(k, p + body);
  return longBuf.latin1Slice(0, bytes);
}

// shape -> { label, make(seed, i) }; every shape yields distinct keys for
// distinct i < 2^30, flat strings or numbers.
const SHAPES = {
  str16: { label: '16-byte strings', bytes: KEY_BYTES, make: keyAt },
  int: { label: 'integers', bytes: 8, make: intAt },
  strint: { label: 'numeric strings', bytes: 10, make: (seed, i) => String(intAt(seed, i)) },
  float: { label: 'floats', bytes: 8, make: floatAt },
  url256: { label: '256-byte URL-like strings', bytes: 256, make: (seed, i) => longKey(seed, i, 256, 'https://cdn.example.com/assets/') },
  str4k: { label: '4 KB strings', bytes: 4096, make: (seed, i) => longKey(seed, i, 4096, '') },
};

function makeKeysOf(shape, seed, n) {
  const s = SHAPES[shape];
  if (!s) throw new Error(`unknown key shape ${JSON.stringify(shape)}`);
  const keys = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = s.make(seed, i);
  return keys;
}

// Small seeded PRNG (mulberry32) for orders and operation streams.
function prng(seed) {
  let s = seed >>> 0;
  return function next() {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A random permutation of 0..n-1 (Fisher-Yates).
function permutation(seed, n) {
  const rand = prng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i]; p[i] = p[j]; p[j] = t;
  }
  return p;
}

// ops Zipf(s)-distributed ranks in [0, universe): rank r has probability
// proportional to 1/(r+1)^s. Sampled by inverting the cumulative distribution
// (binary search), exact for any s.
function zipfStream(seed, universe, s, ops) {
  const cdf = new Float64Array(universe);
  let sum = 0;
  for (let r = 0; r < universe; r++) {
    sum += 1 / Math.pow(r + 1, s);
    cdf[r] = sum;
  }
  const rand = prng(seed);
  const out = new Int32Array(ops);
  for (let i = 0; i < ops; i++) {
    const u = rand() * sum;
    let lo = 0;
    let hi = universe - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1; else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

// 1 where the operation is a set (probability setShare), 0 for a get.
function opMix(seed, ops, setShare) {
  const rand = prng(seed);
  const out = new Uint8Array(ops);
  for (let i = 0; i < ops; i++) out[i] = rand() < setShare ? 1 : 0;
  return out;
}

module.exports = {
  KEY_BYTES, VALUE_BYTES, SHAPES, fmix32, keyAt, intAt, floatAt, valueFor, makeKeys, makeKeysOf, makeValuePool,
  prng, permutation, zipfStream, opMix,
};
