'use strict';
// What lru-cache's extra features cost in memctl's LRUCache, next to
// lru-cache itself: untracked get (no lru-cache-only option: one native call),
// the same cache with an unused options object, a tracked cache (dispose +
// maxSize/sizeCalculation: per-key records in JS), set with size eviction,
// and fetch() hits. Informational: no targets; the untracked figures must
// match `memctl bench` (the get/set benchmark) on the main branch.
//   node bench/lru-compat.js            full run (about a minute)
//   node bench/lru-compat.js --smoke    tiny sizes, proves it runs
const { LRUCache: JsLRU } = require('lru-cache');
const { LRUCache } = require('..');

const SMOKE = process.argv.includes('--smoke');
const N = SMOKE ? 2_000 : 200_000;
const OPS = SMOKE ? 20_000 : 3_000_000;

const keys = Array.from({ length: N }, (_, i) => `key:${i.toString(36).padStart(8, '0')}`);
const value = 'v'.repeat(32);

function measure(name, fn) {
  fn(Math.min(OPS, 10_000)); // warm-up
  const t0 = process.hrtime.bigint();
  fn(OPS);
  const ns = Number(process.hrtime.bigint() - t0);
  console.log(`${name.padEnd(48)} ${(OPS / (ns / 1e9) / 1e6).toFixed(2).padStart(8)} M ops/s`);
}

function filled(make) {
  const c = make();
  for (const k of keys) c.set(k, value);
  return c;
}

function gets(c, opts) {
  return (n) => {
    let hits = 0;
    for (let i = 0; i < n; i++) if (c.get(keys[i % N], opts) !== undefined) hits++;
    if (hits !== n) throw new Error(`expected only hits, got ${hits}/${n}`);
  };
}

function setsEvicting(c) {
  let j = 0;
  return (n) => {
    for (let i = 0; i < n; i++) c.set(`${keys[i % N]}:${j++}`, value);
  };
}

async function fetchHits(c, n) {
  for (let i = 0; i < n; i++) await c.fetch(keys[i % N]);
}

async function main() {
  const sized = { maxSize: N * 32, sizeCalculation: (v) => v.length };
  const noop = () => {};
  const caches = {
    'lru-cache': filled(() => new JsLRU({ max: N })),
    'memctl untracked': filled(() => new LRUCache({ max: N })),
    'lru-cache dispose+maxSize': filled(() => new JsLRU({ max: N, dispose: noop, ...sized })),
    'memctl tracked (dispose+maxSize)': filled(() => new LRUCache({ max: N, dispose: noop, ...sized })),
  };
  measure('get hit: lru-cache', gets(caches['lru-cache']));
  measure('get hit: memctl untracked', gets(caches['memctl untracked']));
  measure('get hit: memctl untracked, get(k, {})', gets(caches['memctl untracked'], {}));
  measure('get hit: lru-cache dispose+maxSize', gets(caches['lru-cache dispose+maxSize']));
  measure('get hit: memctl tracked', gets(caches['memctl tracked (dispose+maxSize)']));
  measure('set+evict by size: lru-cache', setsEvicting(caches['lru-cache dispose+maxSize']));
  measure('set+evict by size: memctl tracked', setsEvicting(caches['memctl tracked (dispose+maxSize)']));
  const fetchMethod = async (k) => `${k}:${value}`;
  for (const [name, c] of [['lru-cache', new JsLRU({ max: N, fetchMethod })],
    ['memctl', new LRUCache({ max: N, fetchMethod })]]) {
    await fetchHits(c, N); // fill
    const n = Math.min(OPS, N * 5);
    const t0 = process.hrtime.bigint();
    await fetchHits(c, n);
    const ns = Number(process.hrtime.bigint() - t0);
    console.log(`${`fetch hit: ${name}`.padEnd(48)} ${(n / (ns / 1e9) / 1e6).toFixed(2).padStart(8)} M ops/s`);
    c.close?.();
  }
  for (const c of Object.values(caches)) c.close?.();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
