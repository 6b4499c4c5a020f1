'use strict';
// One measurement of the cache benchmark, run in a fresh process:
//   node --expose-gc bench/cache-worker.js <library> <workload> <params-json>
// Prints progress lines `COUNT <n>` (max-entries only) and one final line
// `RESULT <json>` on stdout, written synchronously so that the last COUNT is
// on the pipe even if the process dies of an out-of-memory abort.
const { median } = require('./stats');
const fs = require('fs');
const v8 = require('v8');
const { PerformanceObserver, constants } = require('perf_hooks');
const data = require('./cache-data');
const { loadLib } = require('./cache-libs');

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const emit = (line) => fs.writeSync(1, line + '\n');


function fullGc(times = 2) {
  for (let i = 0; i < times; i++) global.gc();
}

function heapUsed() {
  return v8.getHeapStatistics().used_heap_size;
}

function memorySample() {
  const mu = process.memoryUsage();
  return { heap: heapUsed(), rss: mu.rss, arrayBuffers: mu.arrayBuffers, external: mu.external };
}

// Durations (ms) of the major GCs the perf_hooks observer has seen.
function majorGcRecorder() {
  const durations = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) durations.push(e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    durations,
    async flush() {
      await new Promise((r) => setTimeout(r, 20));
      obs.disconnect();
      return durations;
    },
  };
}

// Median wall time of `runs` forced full GCs (global.gc()), plus the
// perf_hooks major-GC entries they produced.
async function timeFullGcs(runs) {
  const rec = majorGcRecorder();
  const walls = [];
  const cpus = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = now();
    global.gc();
    walls.push(now() - t);
    const d = process.cpuUsage(c);
    cpus.push((d.user + d.system) / 1000);
  }
  const entries = await rec.flush();
  // CPU time (all threads, V8's parallel markers included) is less disturbed
  // than wall time when other processes share the cores.
  return { gcMs: median(walls), gcWallMs: walls, gcCpuMs: median(cpus), gcEntryMs: entries.length ? median(entries) : null };
}

function sizeOf(cache) {
  const s = cache.size;
  if (typeof s === 'number') return s;
  if (cache.map && typeof cache.map.size === 'number') return cache.map.size;
  return null;
}

function closeCache(cache) {
  if (cache && typeof cache.close === 'function') cache.close();
}

function check(cond, message) {
  if (!cond) throw new Error(`sanity check failed: ${message}`);
}

// The keys of a speed job: p.shape (default the headline 16-byte strings).
function keysFor(p, seed, n) {
  return data.makeKeysOf(p.shape || 'str16', seed, n);
}

// Set with eviction: n distinct keys into a cache bounded at max. With
// prefill, the cache is first filled to max with other keys (not timed), so
// every timed set evicts.
function setEvict(create, p) {
  const pre = p.prefill ? p.max : 0;
  const all = keysFor(p, p.seed, pre + p.n);
  const vals = data.makeValuePool(p.seed);
  const warmKeys = keysFor(p, p.seed ^ 0x3c3c3c3c, p.warm);
  const warm = create(Math.max(1, p.max >> 4), 'evict');
  for (let i = 0; i < warmKeys.length; i++) warm.set(warmKeys[i], vals[i & 1023]);
  closeCache(warm);
  warmKeys.length = 0;

  // A library slower than timeCapMs for the n sets (the classic
  // LimitableMap's shift() copies its whole key array) is timed on the sets
  // done by then; the result says how many (ops < n).
  const cache = create(p.max, 'evict');
  for (let i = 0; i < pre; i++) cache.set(all[i], vals[i & 1023]);
  const t = now();
  const stop = t + p.timeCapMs;
  let done = pre;
  const end = pre + p.n;
  while (done < end) {
    const to = Math.min(end, done + 4096);
    for (let i = done; i < to; i++) cache.set(all[i], vals[i & 1023]);
    done = to;
    if (now() > stop) break;
  }
  const ms = now() - t;
  const last = done - 1;
  check(cache.get(all[last]) === vals[last & 1023], 'the last key set is not in the cache');
  check(done <= p.max || cache.get(all[0]) === undefined, 'the first key was not evicted');
  const size = sizeOf(cache);
  check(size === null || size === Math.min(done, p.max), `the cache holds ${size} entries, not ${Math.min(done, p.max)}`);
  closeCache(cache);
  const ops = done - pre;
  return { opsPerSec: ops / (ms / 1000), ms, ops, size };
}

// Get on hits: a cache holding n entries, probed in a random order.
function getHit(create, p) {
  const keys = keysFor(p, p.seed, p.n);
  const vals = data.makeValuePool(p.seed);
  const cache = create(p.n, 'hold');
  for (let i = 0; i < p.n; i++) cache.set(keys[i], vals[i & 1023]);
  const perm = data.permutation(p.seed + 1, p.n);
  const probes = new Array(p.n);
  for (let i = 0; i < p.n; i++) probes[i] = keys[perm[i]];

  let hits = 0;
  const warm = Math.min(p.n, p.warm);
  for (let i = 0; i < warm; i++) if (cache.get(probes[i]) !== undefined) hits++;
  check(hits === warm, `warm-up gets missed (${warm - hits} of ${warm})`);

  const passes = Math.max(1, Math.round(p.ops / p.n));
  hits = 0;
  const t = now();
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < probes.length; i++) if (cache.get(probes[i]) !== undefined) hits++;
  }
  const ms = now() - t;
  const ops = passes * p.n;
  check(hits === ops, `gets on hits missed (${ops - hits} of ${ops})`);
  check(cache.get(keys[0]) === vals[0], 'a value read back differs');
  closeCache(cache);
  return { opsPerSec: ops / (ms / 1000), ms, ops };
}

// Zipf get/set mix: ops draw Zipf(s) keys from a universe; a setShare of them
// are sets, the rest gets. A warm-up stream fills the cache first.
// fillOnMiss: a get that misses sets the key (cache-aside), as a cache in
// front of a slower store is used. scanEvery/scanLength: every scanEvery
// ops, a sequential scan of scanLength keys never seen before (get, miss,
// set), the pattern that flushes an LRU; hitRate counts the Zipf gets only
// (a scan's gets miss under every policy), hitRateAll every get.
function zipfMix(create, p) {
  const keys = keysFor(p, p.seed, p.universe);
  const vals = data.makeValuePool(p.seed);
  const total = p.warm + p.ops;
  const ranks = data.zipfStream(p.seed + 2, p.universe, p.s, total);
  const isSet = data.opMix(p.seed + 3, total, p.setShare);
  const scanEvery = p.scanEvery || 0;
  const scanLength = scanEvery ? p.scanLength : 0;
  const scans = scanEvery ? Math.floor(total / scanEvery) : 0;
  const cold = scanEvery ? keysFor(p, p.seed ^ 0x7e57c01d, scans * scanLength) : [];
  const fill = p.fillOnMiss === true;
  const cache = create(p.max, 'evict');
  let nextCold = 0;

  const run = (from, to) => {
    let gets = 0;
    let hits = 0;
    let scanGets = 0;
    for (let i = from; i < to; i++) {
      if (scanEvery && i % scanEvery === 0 && i > 0) {
        for (let j = 0; j < scanLength; j++, nextCold++) {
          const k = cold[nextCold];
          if (cache.get(k) === undefined) cache.set(k, vals[nextCold & 1023]);
        }
        scanGets += scanLength;
      }
      const r = ranks[i];
      if (isSet[i] === 1) {
        cache.set(keys[r], vals[r & 1023]);
      } else {
        gets++;
        if (cache.get(keys[r]) !== undefined) hits++;
        else if (fill) cache.set(keys[r], vals[r & 1023]);
      }
    }
    return { gets, hits, scanGets };
  };
  run(0, p.warm);
  const t = now();
  const { gets, hits, scanGets } = run(p.warm, total);
  const ms = now() - t;
  closeCache(cache);
  // ops/s counts every operation timed: the stream's and the scans' gets.
  const ops = p.ops + scanGets;
  return {
    opsPerSec: ops / (ms / 1000), ms, ops, hitRate: gets ? hits / gets : 0, gets, hits,
    hitRateAll: gets + scanGets ? hits / (gets + scanGets) : 0, scanGets,
  };
}

// Memory and GC with n entries held: growth of the V8 heap and of RSS from an
// empty baseline, both after forced full GCs, then the duration of full GCs.
// Keys and values are generated on the fly (distinct 100-byte strings), so
// only what the cache retains survives the GCs.
async function memoryAndGc(create, p) {
  // Grow the young generation to its working size before the baseline, so
  // the growth measured is what the entries retain, not the nursery.
  for (let i = 0; i < p.warm; i++) data.valueFor(data.keyAt(p.seed ^ 0x0f0f0f0f, i));
  fullGc(2);
  const baselineGc = await timeFullGcs(p.gcRuns);
  const base = memorySample();
  const gcDuringFill = majorGcRecorder();
  const t = now();
  const cache = create(p.n, 'hold');
  for (let i = 0; i < p.n; i++) {
    const k = data.keyAt(p.seed, i);
    cache.set(k, data.valueFor(k));
  }
  const fillMs = now() - t;
  const fillGcs = await gcDuringFill.flush();
  fullGc(1);
  const after = memorySample();
  const k0 = data.keyAt(p.seed, 0);
  check(cache.get(k0) === data.valueFor(k0), 'the first entry is not held');
  const size = sizeOf(cache);
  check(size === null || size === p.n, `the cache holds ${size} entries, not ${p.n}`);
  const gc = await timeFullGcs(p.gcRuns);
  const heapBytes = after.heap - base.heap;
  const rssBytes = after.rss - base.rss;
  const res = {
    n: p.n,
    heapBytes,
    rssBytes,
    heapPerEntry: heapBytes / p.n,
    rssPerEntry: rssBytes / p.n,
    arrayBufferBytes: after.arrayBuffers - base.arrayBuffers,
    fillMs,
    fillMajorGcs: fillGcs.length,
    fillMajorGcMs: fillGcs.reduce((a, b) => a + b, 0),
    ...gc,
    gcBaselineMs: baselineGc.gcMs,
    gcBaselineCpuMs: baselineGc.gcCpuMs,
  };
  if (typeof cache.stats === 'function') res.cacheStats = cache.stats();
  // Keep the cache alive until every measurement above is taken.
  closeCache(cache);
  return res;
}

// The most entries held: fill without eviction until the library fails, the
// heap reaches stopFraction of V8's limit, or `limit` entries are held.
async function maxEntries(create, p) {
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  const stopAt = p.stopFraction * heapLimit;
  const limit = p.limit > 0 ? p.limit : Infinity;
  const cache = create(Number.isFinite(limit) ? limit : 0, 'unbounded');
  const deadline = now() + p.timeLimitMs;
  const t = now();
  let count = 0;
  let reason = 'limit';
  let error = null;
  try {
    for (; count < limit; count++) {
      if ((count & 0xffff) === 0 && count > 0) {
        emit(`COUNT ${count}`);
        if (heapUsed() > stopAt) { reason = 'heap-limit'; break; }
        if (now() > deadline) { reason = 'time-limit'; break; }
      }
      const k = data.keyAt(p.seed, count);
      cache.set(k, data.valueFor(k));
    }
  } catch (err) {
    reason = 'error';
    error = `${err.name}: ${err.message}`;
  }
  const fillMs = now() - t;
  emit(`COUNT ${count}`);
  fullGc(2);
  const mem = memorySample();
  const size = sizeOf(cache);
  const gc = await timeFullGcs(p.gcRuns);
  closeCache(cache);
  return {
    count, size, reason, error, fillMs, heapLimit,
    heapBytes: mem.heap, rssBytes: mem.rss, gcMs: gc.gcMs,
  };
}

const WORKLOADS = { setEvict, getHit, zipfMix, memoryAndGc, maxEntries };

async function main([libName, workload, paramsJson]) {
  if (typeof global.gc !== 'function') throw new Error('run the worker with node --expose-gc');
  const fn = WORKLOADS[workload];
  if (!fn) throw new Error(`unknown workload ${JSON.stringify(workload)}`);
  const create = await loadLib(libName);
  const result = await fn(create, JSON.parse(paramsJson));
  emit('RESULT ' + JSON.stringify(result));
}

main(process.argv.slice(2)).catch((err) => {
  emit('ERROR ' + JSON.stringify({ code: err.code || null, message: err.message }));
  process.exitCode = 1;
});
