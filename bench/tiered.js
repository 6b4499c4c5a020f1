'use strict';
// `memctl bench --tiered` (or `node bench/tiered.js`): TieredCache against
// direct node-redis on loopback, with a redis-server this benchmark starts
// (127.0.0.1, free port, persistence off) and stops.
//
//   l1Hit        cache.get() served by L1 vs an awaited client.get()   target >= 50x faster
//   l2Hit        cache.get() that misses L1 (GET + PTTL pipelined, L1 fill) vs client.get()
//                target <= 1.2x the cost, one call at a time and 32 calls in flight
//   lean GET     reference, no target: client.sendCommand(['GET', key]) without
//                node-redis's per-command timer, the leanest GET node-redis sends;
//                the L2 read sends its GET and PTTL that way
//   invalidation latency from a SET in another process to the key leaving this L1: p50/p99
//   zipf         4 processes, getOrSet with the lock, Zipf(s) keys: loader calls saved
//
// Options: --tiny (smoke sizes, figures meaningless), --json.
// Needs redis-server and redis-cli (Debian: redis-server redis-tools) and the
// `redis` package. Run it alone on a quiet machine: its figures are latencies.
const { median } = require('./stats');
const path = require('node:path');
const { startServer, startWorker } = require(path.join(__dirname, '..', 'test', 'js', 'helpers', 'redis.js'));

function sizes(tiny) {
  return tiny
    ? { ops: 500, rounds: 2, flight: 32, flightOps: 20, inval: 20, zipfKeys: 200, zipfRequests: 500, loaderMs: 1 }
    : { ops: 10_000, rounds: 20, flight: 32, flightOps: 500, inval: 2_000, zipfKeys: 10_000, zipfRequests: 50_000, loaderMs: 2 };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

// ns per awaited call of fn over `ops` calls.
async function timeBatch(fn, ops) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await fn(i);
  return Number(process.hrtime.bigint() - t0) / ops;
}

// The sides of a comparison run in alternation, `rounds` batches each, in a
// rotating order, so that a machine getting busier or quieter during the run
// weighs on every side alike. Per side: the median ns per call; per side but
// the first: the median of its per-round ratio to the first side.
async function compare(sides, ops, rounds) {
  const names = Object.keys(sides);
  for (const n of names) await timeBatch(sides[n], Math.min(ops, 1000)); // warm-up
  const ns = Object.fromEntries(names.map((n) => [n, []]));
  const ratio = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const got = {};
    for (let i = 0; i < names.length; i++) {
      const n = names[(i + r) % names.length];
      got[n] = await timeBatch(sides[n], ops);
      ns[n].push(got[n]);
    }
    for (const n of names) ratio[n].push(got[n] / got[names[0]]);
  }
  return { ns: Object.fromEntries(names.map((n) => [n, median(ns[n])])), ratio: Object.fromEntries(names.map((n) => [n, median(ratio[n])])) };
}

// Both sides read the same 100-character string from the same redis-server
// with node-redis: the direct side with client.get() on a client of its own,
// the cache through its L2 read after dropping the key from L1 (that delete
// is counted against the cache). One call at a time, then `flight` calls in
// flight (distinct keys, one Promise.all per call of the measured function).
async function hitCosts(server, sz) {
  const { createClient } = require('redis');
  const { TieredCache } = require('../lib');
  const raw = createClient({ url: server.url });
  await raw.connect();
  const cache = new TieredCache({ redis: createClient({ url: server.url }), prefix: `b${process.pid}:`, ttl: 600_000 });
  await cache.connect();
  const value = 'x'.repeat(100);
  const keys = Array.from({ length: sz.flight }, (_, i) => `k${i}`);
  for (const k of ['k', ...keys]) {
    await cache.set(k, value);
    await raw.set(`raw:${k}`, value);
  }
  const lean = { timeout: undefined };
  const one = await compare({
    raw: () => raw.get('raw:k'),
    lean: () => raw.sendCommand(['GET', 'raw:k'], lean),
    l1: () => cache.get('k'),
    l2: () => { cache.l1.delete('k'); return cache.get('k'); },
  }, sz.ops, sz.rounds);
  const many = await compare({
    raw: () => Promise.all(keys.map((k) => raw.get(`raw:${k}`))),
    lean: () => Promise.all(keys.map((k) => raw.sendCommand(['GET', `raw:${k}`], lean))),
    l2: () => { for (const k of keys) cache.l1.delete(k); return Promise.all(keys.map((k) => cache.get(k))); },
  }, sz.flightOps, sz.rounds);
  await cache.close();
  await raw.close();
  return {
    rawGetNs: one.ns.raw, leanGetNs: one.ns.lean, l2CostVsLean: one.ns.l2 / one.ns.lean, l1HitNs: one.ns.l1, l2HitNs: one.ns.l2, l1Speedup: 1 / one.ratio.l1, l2Cost: one.ratio.l2,
    inFlight: sz.flight, rawGetInFlightNs: many.ns.raw / sz.flight, l2HitInFlightNs: many.ns.l2 / sz.flight, l2CostInFlight: many.ratio.l2,
    leanGetInFlightNs: many.ns.lean / sz.flight, l2CostVsLeanInFlight: many.ns.l2 / many.ns.lean,
  };
}

async function invalidationLatency(server, sz) {
  const { createClient } = require('redis');
  const { TieredCache } = require('../lib');
  const prefix = `i${process.pid}:`;
  const cache = new TieredCache({ redis: createClient({ url: server.url }), prefix, ttl: 600_000 });
  await cache.connect();
  const w = startWorker({ url: server.url, prefix });
  const lat = [];
  try {
    await w.ready;
    for (let i = 0; i < sz.inval; i++) {
      await cache.set('k', `a${i}`);
      const gone = (async () => {
        const end = Date.now() + 10_000;
        while (cache.l1.has('k')) {
          if (Date.now() > end) throw new Error('no invalidation within 10 s');
          await new Promise((r) => setImmediate(r));
        }
        return performance.timeOrigin + performance.now();
      })();
      const { t } = await w.call('set', { key: 'k', value: `b${i}` });
      lat.push((await gone) - t);
    }
  } finally {
    await w.close();
    await cache.close();
  }
  lat.sort((a, b) => a - b);
  return { samples: lat.length, p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99), maxMs: lat[lat.length - 1] };
}

async function zipfLoads(server, sz) {
  const prefix = `z${process.pid}:`;
  const workers = Array.from({ length: 4 }, () => startWorker({ url: server.url, prefix, lock: { wait: 10_000 } }));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const rs = await Promise.all(workers.map((w, i) => w.call('zipf', {
      keys: sz.zipfKeys, requests: sz.zipfRequests, s: 1.0, seed: 12345 + i * 7919, loaderMs: sz.loaderMs,
    })));
    const requests = rs.reduce((n, r) => n + r.requests, 0);
    const calls = rs.reduce((n, r) => n + r.calls, 0);
    return { processes: 4, requests, loaderCalls: calls, saved: 1 - calls / requests, keySpace: sz.zipfKeys };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

async function main(args = []) {
  const tiny = args.includes('--tiny');
  const json = args.includes('--json');
  const unknown = args.filter((a) => a !== '--tiny' && a !== '--json');
  if (unknown.length) throw new Error(`memctl bench --tiered: unknown option ${unknown[0]} (use --tiny, --json)`);
  const sz = sizes(tiny);
  const server = await startServer();
  let report;
  try {
    const hits = await hitCosts(server, sz);
    const inval = await invalidationLatency(server, sz);
    const zipf = await zipfLoads(server, sz);
    report = {
      mode: tiny ? 'tiny' : 'full',
      results: { hits, invalidation: inval, zipf },
      targets: {
        l1Hit: { target: '>= 50x faster than a direct GET', value: hits.l1Speedup, pass: hits.l1Speedup >= 50 },
        l2Hit: { target: '<= 1.2x the cost of a direct GET', value: hits.l2Cost, pass: hits.l2Cost <= 1.2 },
        l2HitInFlight: { target: `<= 1.2x the cost of a direct GET, ${hits.inFlight} in flight`, value: hits.l2CostInFlight, pass: hits.l2CostInFlight <= 1.2 },
      },
    };
  } finally {
    await server.stop();
  }
  if (json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const { hits, invalidation: iv, zipf } = report.results;
    const f = (x) => x.toFixed(1);
    console.log(`TieredCache benchmark (${report.mode}${tiny ? ': sizes too small to mean anything' : ''})`);
    console.log(`  direct GET            ${f(hits.rawGetNs)} ns/op`);
    console.log(`  L1 hit                ${f(hits.l1HitNs)} ns/op   ${f(hits.l1Speedup)}x faster  (target >= 50x: ${report.targets.l1Hit.pass ? 'PASS' : 'FAIL'})`);
    console.log(`  L2 hit (L1 miss)      ${f(hits.l2HitNs)} ns/op   ${hits.l2Cost.toFixed(2)}x the GET  (target <= 1.2x: ${report.targets.l2Hit.pass ? 'PASS' : 'FAIL'})`);
    console.log(`  ${hits.inFlight} in flight: GET     ${f(hits.rawGetInFlightNs)} ns/op   L2 hit ${f(hits.l2HitInFlightNs)} ns/op   ${hits.l2CostInFlight.toFixed(2)}x  (target <= 1.2x: ${report.targets.l2HitInFlight.pass ? 'PASS' : 'FAIL'})`);
    console.log(`  reference: GET without node-redis's command timer ${f(hits.leanGetNs)} ns/op (L2 hit ${hits.l2CostVsLean.toFixed(2)}x), ${hits.inFlight} in flight ${f(hits.leanGetInFlightNs)} ns/op (L2 hit ${hits.l2CostVsLeanInFlight.toFixed(2)}x)`);
    console.log(`  invalidation latency  p50 ${iv.p50Ms.toFixed(2)} ms  p99 ${iv.p99Ms.toFixed(2)} ms  (${iv.samples} samples, 2 processes)`);
    console.log(`  Zipf, 4 processes     ${zipf.loaderCalls} loader calls for ${zipf.requests} requests: ${(zipf.saved * 100).toFixed(1)}% saved`);
  }
  return 0;
}

module.exports = { main };
if (require.main === module) {
  main(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e) => { console.error(e); process.exitCode = 1; });
}
