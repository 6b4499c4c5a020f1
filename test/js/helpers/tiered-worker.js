'use strict';
// A TieredCache in a child process, driven over IPC by the tests and the
// benchmark. argv[2]: JSON { url?, rootNodes?, prefix, invalidation?, lock? }.
// Loaded any other way (e.g. picked up by `node --test test/js/`), it does nothing.
if (typeof process.send !== 'function' || process.argv[2] === undefined) return;
const { createClient, createCluster } = require('redis');
const { TieredCache } = require('../../../lib');

const cfg = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const redis = cfg.rootNodes ? createCluster({ rootNodes: cfg.rootNodes }) : createClient({ url: cfg.url });
const cache = new TieredCache({ redis, prefix: cfg.prefix, ttl: 60_000, invalidation: cfg.invalidation, lock: cfg.lock });
const errors = [];
cache.on('error', (e) => errors.push(e.message));

const ops = {
  async set({ key, value }) { const t = now(); await cache.set(key, value); return { t }; },
  async get({ key }) { return { value: await cache.get(key) }; },
  async l1({ key }) { return { value: cache.l1.get(key) }; },
  // n concurrent cold getOrSet calls; the loader takes loaderMs and counts.
  async stampede({ key, n, loaderMs, lock }) {
    let calls = 0;
    const loader = async () => { calls++; await new Promise((r) => setTimeout(r, loaderMs)); return `v-${process.pid}`; };
    const values = await Promise.all(Array.from({ length: n }, () => cache.getOrSet(key, loader, { lock })));
    return { calls, distinct: [...new Set(values)] };
  },
  // Waits until key leaves L1; returns the wall-clock time it did.
  async waitGone({ key, timeoutMs }) {
    const end = Date.now() + timeoutMs;
    while (cache.l1.has(key)) {
      if (Date.now() > end) return { t: -1 };
      await new Promise((r) => setImmediate(r));
    }
    return { t: now() };
  },
  // Zipf workload for the benchmark: returns loader calls and requests.
  async zipf({ keys, requests, s, seed, loaderMs }) {
    let calls = 0;
    const cdf = [];
    let sum = 0;
    for (let i = 1; i <= keys; i++) { sum += 1 / i ** s; cdf.push(sum); }
    let x = seed >>> 0;
    const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32; };
    const pick = () => {
      const r = rnd() * sum;
      let lo = 0; let hi = cdf.length - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid] < r) lo = mid + 1; else hi = mid; }
      return lo;
    };
    const loader = async (k) => { calls++; await new Promise((r) => setTimeout(r, loaderMs)); return `value-of-${k}`; };
    const batch = 50;
    for (let done = 0; done < requests; done += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, requests - done) }, () => cache.getOrSet(`z${pick()}`, loader, { lock: true })));
    }
    return { calls, requests };
  },
  stats() { return { stats: cache.stats(), errors }; },
  async close() { await cache.close(); await redis.close?.(); setImmediate(() => process.exit(0)); return {}; },
};

process.on('message', async (msg) => {
  try {
    const r = await ops[msg.op](msg);
    process.send({ id: msg.id, ok: true, ...r });
  } catch (err) {
    process.send({ id: msg.id, ok: false, error: String(err && err.stack || err) });
  }
});

cache.connect().then(() => process.send({ ready: true }), (err) => {
  process.send({ ready: false, error: String(err && err.stack || err) });
  process.exit(1);
});
