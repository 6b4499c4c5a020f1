'use strict';
// `memctl bench --pool` (or `node bench/pool.js`): Pool side by side with
// Buffer.allocUnsafe, Buffer.alloc and Buffer.allocUnsafeSlow.
//
// For each size, each contender runs in a fresh child process a loop that
// allocates, writes one byte in every page (and the last byte), and releases
// (pool.free(); for Buffer.* dropping the reference).  Measured per child:
// throughput, full (mark-compact) GCs seen by perf_hooks during the loop, and
// RSS.  The pool child also runs a fill phase: allocate until the budget is
// exhausted (every page written), check RSS against budget + overhead, free
// everything, trim(), and check that RSS is back within 10% of the start.
//
// Options: --json, --sizes=64,1024,... , --time=<ms per contender>, and the
// quietness options of bench/quiet.js (--max-load, --max-others): the
// throughput checks are judged only when both children ran on a quiet machine.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const quiet = require('./quiet');

const SIZES = [64, 1024, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024];
const CONTENDERS = ['Pool', 'Buffer.allocUnsafe', 'Buffer.alloc', 'Buffer.allocUnsafeSlow'];
// RSS the process may use beyond the pool's budget: the V8 heap (including
// the JS objects of live buffers), code, and the runtime's own malloc arenas.
const FIXED_OVERHEAD = 64 * 1024 * 1024;
const MiB = 1024 * 1024;

function fmtSize(n) {
  if (n >= MiB) return `${n / MiB} MiB`;
  if (n >= 1024) return `${n / 1024} KiB`;
  return `${n} B`;
}

// ---- child ------------------------------------------------------------------

function touch(b, size) {
  for (let i = 0; i < size; i += 4096) b[i] = i & 255;
  b[size - 1] = 1;
}

function makeLoop(contender, size, pool) {
  switch (contender) {
    case 'Pool': return (n) => {
      for (let i = 0; i < n; i++) {
        const b = pool.alloc(size);
        touch(b, size);
        pool.free(b);
      }
    };
    case 'Buffer.allocUnsafe': return (n) => {
      for (let i = 0; i < n; i++) touch(Buffer.allocUnsafe(size), size);
    };
    case 'Buffer.alloc': return (n) => {
      for (let i = 0; i < n; i++) touch(Buffer.alloc(size), size);
    };
    case 'Buffer.allocUnsafeSlow': return (n) => {
      for (let i = 0; i < n; i++) touch(Buffer.allocUnsafeSlow(size), size);
    };
    default: throw new Error(`unknown contender ${contender}`);
  }
}

const rss = () => process.memoryUsage.rss();

async function settle() {
  await new Promise((r) => setTimeout(r, 20));
}

function budgetFor(size) {
  return size <= 1024 ? 8 * MiB : Math.max(64 * MiB, 4 * size);
}

// Fill the pool to its budget, then free everything and trim.
async function fillPhase(size) {
  const { Pool } = require('../lib/pool');
  const maxBytes = budgetFor(size);
  const start = rss();
  const startHeap = process.memoryUsage().heapTotal;
  const pool = new Pool({ maxBytes });
  const live = [];
  let peak = start;
  for (;;) {
    let b;
    try {
      b = pool.alloc(size);
    } catch (err) {
      if (err.code !== 'ERR_MEMCTL_POOL_EXHAUSTED') throw err;
      break;
    }
    touch(b, size);
    live.push(b);
    if ((live.length & 255) === 0) peak = Math.max(peak, rss());
  }
  peak = Math.max(peak, rss());
  const reserved = pool.stats().bytesReserved;
  const count = live.length;
  for (const b of live) pool.free(b);
  live.length = 0;
  pool.trim();
  // The JS objects of the freed buffers are V8 heap, not pool memory: let the
  // collector reclaim them before comparing RSS with the start.
  for (let i = 0; i < 3 && global.gc; i++) {
    global.gc();
    await settle();
  }
  const end = rss();
  const endHeap = process.memoryUsage().heapTotal;
  const reservedAfterTrim = pool.stats().bytesReserved;
  pool.close();
  return {
    maxBytes, buffers: count, startRss: start, peakRss: peak,
    endRss: end, reservedAtFull: reserved, reservedAfterTrim,
    peakWithinBudget: peak - start <= maxBytes + FIXED_OVERHEAD,
    // RSS outside the V8 heap: the young generation grows during the fill
    // (it holds the buffers' JS objects) and V8 keeps it committed for a
    // while; that is JS heap headroom, not memory the pool failed to return.
    startRssOutsideHeap: start - startHeap, endRssOutsideHeap: end - endHeap,
    backWithin10pct: end - endHeap <= (start - startHeap) * 1.10,
  };
}

async function child(contender, size, timeMs) {
  const { PerformanceObserver, constants } = require('node:perf_hooks');
  let majors = 0;
  let counting = false;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (counting && e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });

  let pool = null;
  if (contender === 'Pool') {
    const { Pool } = require('../lib/pool');
    pool = new Pool({ maxBytes: budgetFor(size) });
  }
  const loop = makeLoop(contender, size, pool);
  const startRss = rss();
  // Warm-up (JIT, first regions), not measured: grow the batch until one
  // batch takes >= 20 ms, so per-batch bookkeeping (RSS sampling) is noise.
  let batch = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    loop(batch);
    if (Number(process.hrtime.bigint() - t0) >= 20e6 || batch >= 1 << 24) break;
    batch *= 2;
  }
  await settle();
  counting = true;
  let ops = 0;
  let peakRss = rss();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(timeMs) * 1000000n;
  let now = start;
  while (now < deadline) {
    loop(batch);
    ops += batch;
    peakRss = Math.max(peakRss, rss());
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start);
  await settle();
  counting = false;
  obs.disconnect();
  const out = {
    contender, size, ops, seconds: ns / 1e9, opsPerSec: ops / (ns / 1e9), nsPerOp: ns / ops,
    majorGCs: majors, startRss, peakRss,
  };
  if (pool) {
    out.budget = pool.maxBytes;
    out.peakReserved = pool.stats().peakBytesReserved;
    out.rssWithinBudget = peakRss - startRss <= pool.maxBytes + FIXED_OVERHEAD;
    pool.close();
    out.fill = await fillPhase(size);
  }
  return out;
}

// ---- parent -------------------------------------------------------------------

function runChild(meter, contender, size, timeMs) {
  const { value: r, quiet: q } = meter.runSync(() => spawnSync(process.execPath, ['--expose-gc', __filename, '--child', contender, String(size), String(timeMs)], {
    encoding: 'utf8', maxBuffer: 1 << 20,
  }));
  if (r.status !== 0) throw new Error(`bench child ${contender} ${size} failed: ${r.stderr}`);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), quiet: q };
}

// A speed check: judged only when both runs were quiet.
function speedCheck(name, pass, rows, thresholds) {
  const q = quiet.poolFigures(rows.map((r) => r.quiet), thresholds);
  if (q.quiet) return { name, pass };
  return { name, pass: null, notJudged: q.unavailable ? 'not judged: quietness unknown' : `not judged: machine busy (${quiet.describe(q)})` };
}

function verdicts(size, rows, thresholds) {
  const pool = rows.find((r) => r.contender === 'Pool');
  const unsafe = rows.find((r) => r.contender === 'Buffer.allocUnsafe');
  const ratio = pool.opsPerSec / unsafe.opsPerSec;
  const checks = [];
  if (size >= 64 * 1024) {
    checks.push(speedCheck('throughput >= 3x Buffer.allocUnsafe', ratio >= 3, [pool, unsafe], thresholds));
    checks.push({ name: 'no full GC caused by the pool', pass: pool.majorGCs === 0 });
  } else if (size <= 1024) {
    checks.push(speedCheck('throughput within 2x of Buffer.allocUnsafe', ratio >= 0.5, [pool, unsafe], thresholds));
  }
  checks.push({ name: 'RSS <= start + budget + overhead (loop)', pass: pool.rssWithinBudget });
  checks.push({ name: 'RSS <= start + budget + overhead (filled)', pass: pool.fill.peakWithinBudget });
  checks.push({ name: 'RSS outside the V8 heap back within 10% after free + trim', pass: pool.fill.backWithin10pct });
  checks.push({ name: 'pool reserves 0 bytes after free + trim', pass: pool.fill.reservedAfterTrim === 0 });
  return { size, ratio, checks };
}

function pad(s, n) { s = String(s); return s.length >= n ? s : s + ' '.repeat(n - s.length); }
function lpad(s, n) { s = String(s); return s.length >= n ? s : ' '.repeat(n - s.length) + s; }

async function main(argv = []) {
  const { thresholds, rest: args } = quiet.takeQuietArgs(argv);
  const meter = new quiet.QuietMeter(thresholds);
  await quiet.preflight(meter, { ms: 1000, waitForLoadMs: 120e3 });
  const json = args.includes('--json');
  const sizesArg = args.find((a) => a.startsWith('--sizes='));
  const timeArg = args.find((a) => a.startsWith('--time='));
  const sizes = sizesArg ? sizesArg.slice(8).split(',').map(Number) : SIZES;
  const timeMs = timeArg ? Number(timeArg.slice(7)) : 1000;
  const results = [];
  for (const size of sizes) {
    const rows = CONTENDERS.map((c) => runChild(meter, c, size, timeMs));
    results.push({ size, rows, verdict: verdicts(size, rows, thresholds) });
    if (!json) printSize(size, rows, results[results.length - 1].verdict);
  }
  // A check not judged (busy machine) is no failure, and no pass either.
  const allPass = results.every((r) => r.verdict.checks.every((c) => c.pass !== false));
  const notJudged = results.reduce((a, r) => a + r.verdict.checks.filter((c) => c.pass === null).length, 0);
  if (json) {
    console.log(JSON.stringify({ node: process.version, fixedOverhead: FIXED_OVERHEAD, thresholds: meter.thresholds, results, pass: allPass, notJudged }, null, 2));
  } else {
    console.log(`\n${quiet.describeThresholds(meter.thresholds)}`);
    console.log(`overall: ${allPass ? 'PASS' : 'FAIL'}${notJudged ? ` (${notJudged} speed check${notJudged > 1 ? 's' : ''} not judged: machine busy)` : ''} (fixed RSS overhead allowed: ${FIXED_OVERHEAD / MiB} MiB)`);
  }
  return allPass ? 0 : 1;
}

function printSize(size, rows, verdict) {
  const unsafe = rows.find((r) => r.contender === 'Buffer.allocUnsafe');
  console.log(`\n${fmtSize(size)}: allocate, write every page, release`);
  console.log(`${pad('contender', 24)}${lpad('ops/s', 12)}${lpad('ns/op', 12)}${lpad('vs allocUnsafe', 16)}${lpad('full GCs', 10)}${lpad('peak RSS MiB', 14)}`);
  for (const r of rows) {
    console.log(`${pad(r.contender, 24)}${lpad(Math.round(r.opsPerSec), 12)}${lpad(r.nsPerOp.toFixed(0), 12)}` +
      `${lpad((r.opsPerSec / unsafe.opsPerSec).toFixed(2) + 'x', 16)}${lpad(r.majorGCs, 10)}${lpad((r.peakRss / MiB).toFixed(0), 14)}`);
  }
  const f = rows[0].fill;
  console.log(`pool fill: budget ${f.maxBytes / MiB} MiB, RSS start ${(f.startRss / MiB).toFixed(0)} MiB, ` +
    `full ${(f.peakRss / MiB).toFixed(0)} MiB, after free+trim ${(f.endRss / MiB).toFixed(0)} MiB; ` +
    `outside the V8 heap: start ${(f.startRssOutsideHeap / MiB).toFixed(0)} MiB, end ${(f.endRssOutsideHeap / MiB).toFixed(0)} MiB`);
  for (const c of verdict.checks) console.log(c.pass === null ? `  -     ${c.name}: ${c.notJudged}` : `  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}`);
}

if (require.main === module) {
  if (process.argv[2] === '--child') {
    child(process.argv[3], Number(process.argv[4]), Number(process.argv[5])).then((out) => {
      console.log(JSON.stringify(out));
    });
  } else {
    main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
  }
}

module.exports = { main };
