'use strict';
// `memctl bench`: memctl's LRUCache against lru-cache, mnemonist's LRUMap,
// lru.min, quick-lru and a plain Map, plus LimitableMap against the classic
// JS LimitableMap. Every measurement runs in a fresh `node --expose-gc`
// process (bench/cache-worker.js); libraries take turns within each workload
// (forwards, then backwards) in every round; the table shows the median over
// rounds.
//
// Every child's run is bracketed by quietness samples (bench/quiet.js); speed
// targets are judged only on rounds whose memctl and lru-cache runs were both
// quiet. See HELP below and docs/benchmarks.md.
//   (--tiny: tiny sizes, for the smoke test only)
const { median } = require('./stats');
const { spawn } = require('child_process');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const { LIBS, CACHE_LIBS, LIMITABLE_LIBS, POLICY_LIBS, loadLib } = require('./cache-libs');
const data = require('./cache-data');
const quiet = require('./quiet');

const WORKER = path.join(__dirname, 'cache-worker.js');
const SEED = 0x5eed2;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------- the plan

// The pair every speed target compares: it runs in every round, and its two
// libraries always run one right after the other.
const PAIR = ['memctl', 'lru-cache'];

// Sizes of each job. The quick default keeps the issue's sizes and lowers
// repetitions; --full adds the 10M and max-entries jobs; --tiny is for tests.
function jobParams(mode) {
  const tiny = mode === 'tiny';
  const s = (real, small) => (tiny ? small : real);
  const get = (n, shape) => ({ workload: 'getHit', shape, n: s(n, n >= 1e6 ? 4000 : n >= 1e5 ? 400 : 200), ops: s(1e6, 4000), warm: s(1e5, 400) });
  return {
    setEvict: { workload: 'setEvict', n: s(1e6, 4000), max: s(1e5, 400), warm: s(5e4, 400), timeCapMs: 60e3 },
    get10k: get(1e4, 'str16'),
    get100k: get(1e5, 'str16'),
    get1m: get(1e6, 'str16'),
    getUrl256: get(1e5, 'url256'),
    getStr4k: get(1e5, 'str4k'),
    zipf: { workload: 'zipfMix', universe: s(1e6, 4000), max: s(1e4, 400), s: 0.99, setShare: 0.1, warm: s(5e5, 4000), ops: s(1e6, 4000) },
    mem1m: { workload: 'memoryAndGc', n: s(1e6, 4000), warm: s(2e5, 1000), gcRuns: s(3, 2) },
    mem10m: { workload: 'memoryAndGc', n: s(1e7, 8000), warm: s(2e5, 1000), gcRuns: s(5, 2) },
    // limit 0 = until failure; memctl is filled to the issue's 50M instead.
    max: { workload: 'maxEntries', limit: s(0, 10000), memctlLimit: s(5e7, 10000), stopFraction: 0.95, timeLimitMs: s(900e3, 60e3), gcRuns: 3 },
  };
}

// The key-shape matrix (--shapes, part of --full): get on hits and set with
// eviction for every shape at 10k, 100k and 1M entries, memctl against
// lru-cache. 4 KB keys stop at 100k (1M of them are 4 GiB of keys).
const SHAPE_SIZES = [1e4, 1e5, 1e6];
const SHAPE_IDS = ['str16', 'int', 'strint', 'float', 'url256', 'str4k'];

function shapeJobs(mode) {
  const tiny = mode === 'tiny';
  const jobs = [];
  for (const shape of SHAPE_IDS) {
    for (const size of SHAPE_SIZES) {
      if (shape === 'str4k' && size >= 1e6) continue;
      if (tiny && size > SHAPE_SIZES[0]) continue; // tiny: one size, to prove the code path
      const n = tiny ? Math.round(size / 50) : size;
      const keyBytes = data.SHAPES[shape].bytes;
      // At most ~256 MiB of timed keys per set job.
      const setOps = tiny ? 2000 : Math.min(1e6, Math.floor(2 ** 28 / keyBytes));
      jobs.push({
        id: `get-${shape}-${fmtCount(size)}`, group: 'shapes', shape, size, kind: 'get',
        params: { workload: 'getHit', shape, n, ops: tiny ? 2000 : 1e6, warm: tiny ? 200 : 1e5 },
      });
      jobs.push({
        id: `set-${shape}-${fmtCount(size)}`, group: 'shapes', shape, size, kind: 'set',
        params: { workload: 'setEvict', shape, prefill: true, max: n, n: setOps, warm: tiny ? 200 : 5e4, timeCapMs: 60e3 },
      });
    }
  }
  return jobs;
}

// The eviction-policy comparison (--sieve): memctl with each policy and
// lru-cache on the Zipf 0.99 mix, on a cache-aside Zipf stream, and on the
// same with a sequential scan of cold keys every scanEvery operations.
function policyParams(mode) {
  const tiny = mode === 'tiny';
  const s = (real, small) => (tiny ? small : real);
  const base = { workload: 'zipfMix', universe: s(1e6, 4000), max: s(1e4, 100), s: 0.99, warm: s(5e5, 4000), ops: s(1e6, 4000) };
  return {
    zipf: { ...base, setShare: 0.1 },
    zipfAside: { ...base, setShare: 0, fillOnMiss: true },
    zipfScan: { ...base, setShare: 0, fillOnMiss: true, scanEvery: s(1e5, 1000), scanLength: s(1e4, 400) },
  };
}

function buildPlan(opts) {
  const p = jobParams(opts.mode);
  const r = opts.rounds;
  let jobs;
  if (opts.sieve) {
    const pp = policyParams(opts.mode);
    jobs = Object.keys(pp).map((id) => ({ id, group: 'policy', rounds: r, params: pp[id] }));
  } else {
    jobs = [
      { id: 'setEvict', group: 'cache', rounds: r },
      { id: 'get10k', group: 'cache', rounds: r },
      { id: 'get100k', group: 'cache', rounds: r },
      { id: 'get1m', group: 'cache', rounds: r },
      { id: 'getUrl256', group: 'cache', rounds: r, libs: PAIR },
      { id: 'getStr4k', group: 'cache', rounds: r, libs: PAIR },
      { id: 'zipf', group: 'cache', rounds: r },
      { id: 'mem1m', group: 'cache', rounds: opts.memRounds },
      { id: 'setEvict', group: 'limitable', rounds: opts.peerRounds },
      { id: 'get100k', group: 'limitable', rounds: opts.peerRounds },
      { id: 'mem1m', group: 'limitable', rounds: opts.memRounds },
    ];
    if (opts.full) {
      jobs.push({ id: 'mem10m', group: 'cache', rounds: 1 }, { id: 'max', group: 'cache', rounds: 1 });
    }
    for (const j of jobs) j.params = p[j.id];
    if (opts.shapes) for (const j of shapeJobs(opts.mode)) jobs.push({ ...j, rounds: r, libs: PAIR });
  }
  if (opts.jobs) jobs = jobs.filter((j) => opts.jobs.includes(j.id));
  for (const j of jobs) j.params = { ...j.params, seed: SEED };
  // The classic LimitableMap's shift() copies its whole key array on every
  // eviction (~40k sets/s at 100k): time it on what it does in 2 s.
  for (const j of jobs) if (j.group === 'limitable' && j.id === 'setEvict') j.capped = { 'classic-limitable': 2000 };
  return { jobs, params: p, policyParams: opts.sieve ? policyParams(opts.mode) : null };
}

// Table columns: which job and result field each shows.
function columns(group, params, full) {
  const c = fmtCount;
  const p = params;
  const cols = [
    { id: 'setEvict', job: 'setEvict', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: 'set+evict' },
  ];
  if (group === 'cache') cols.push({ id: 'get10k', job: 'get10k', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: `get ${c(p.get10k.n)}` });
  cols.push({ id: 'get100k', job: 'get100k', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: `get ${c(p.get100k.n)}` });
  if (group === 'cache') {
    cols.push(
      { id: 'get1m', job: 'get1m', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: `get ${c(p.get1m.n)}` },
      { id: 'getUrl256', job: 'getUrl256', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: `get 256B ${c(p.getUrl256.n)}` },
      { id: 'getStr4k', job: 'getStr4k', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: `get 4KB ${c(p.getStr4k.n)}` },
      { id: 'zipf', job: 'zipf', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: 'Zipf mix' },
      { id: 'zipfHitRate', job: 'zipf', field: 'hitRate', unit: 'ratio', better: 'higher', head: 'hit rate' },
    );
  }
  cols.push(
    { id: 'heapPerEntry1m', job: 'mem1m', field: 'heapPerEntry', unit: 'B/entry', better: 'lower', head: 'heap B/e' },
    { id: 'rssPerEntry1m', job: 'mem1m', field: 'rssPerEntry', unit: 'B/entry', better: 'lower', head: 'RSS B/e' },
    { id: 'gc1m', job: 'mem1m', field: 'gcMs', unit: 'ms', better: 'lower', head: `GC ${c(p.mem1m.n)} ms` },
  );
  if (group === 'cache' && full) {
    cols.push(
      { id: 'gc10m', job: 'mem10m', field: 'gcMs', unit: 'ms', better: 'lower', head: `GC ${c(p.mem10m.n)} ms` },
      { id: 'maxEntries', job: 'max', field: 'count', unit: 'entries', better: 'higher', head: 'max entries' },
    );
  }
  return cols;
}

// Timing figures depend on the machine's load; memory figures, counts and
// hit rates do not.
const TIMED_UNITS = new Set(['ops/s', 'ms']);

// ---------------------------------------------------------------- running

// Runs one measurement in a fresh process. Resolves to
// { ok, result } | { ok: false, error, lastCount, crashed }.
function runChild(lib, job, timeoutMs) {
  const params = { ...job.params };
  if (job.id === 'max' && lib === 'memctl') params.limit = params.memctlLimit;
  if (job.capped && job.capped[lib]) params.timeCapMs = job.capped[lib];
  const args = ['--expose-gc', WORKER, lib, params.workload, JSON.stringify(params)];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; if (err.length > 65536) err = err.slice(-32768); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.split('\n');
      let lastCount = null;
      let result = null;
      let error = null;
      for (const line of lines) {
        if (line.startsWith('COUNT ')) lastCount = Number(line.slice(6));
        else if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7));
        else if (line.startsWith('ERROR ')) error = JSON.parse(line.slice(6));
      }
      if (result && code === 0) return resolve({ ok: true, result });
      const oom = /heap out of memory|Allocation failed|Reached heap limit/i.test(err);
      const why = timedOut ? `timed out after ${timeoutMs / 1000} s`
        : error ? error.message
          : oom ? 'out of memory (V8 heap limit)'
            : `exited with ${signal ? `signal ${signal}` : `code ${code}`}: ${lastLine(err)}`;
      resolve({ ok: false, error: why, code: error && error.code, lastCount, crashed: !error, oom });
    });
  });
}

function lastLine(s) {
  const lines = s.trim().split('\n').filter(Boolean);
  return lines.length ? lines[lines.length - 1].slice(0, 200) : '(no output)';
}

// A crash of the max-entries child is its answer: the last count it printed.
function maxEntriesFromCrash(run) {
  return {
    count: run.lastCount || 0, size: null, reason: run.oom ? 'oom' : 'crash', error: run.error,
    heapBytes: null, rssBytes: null, gcMs: null,
  };
}

function timeoutFor(job) {
  if (job.id === 'max') return job.params.timeLimitMs + 300e3;
  if (job.id === 'mem10m') return 900e3;
  return 180e3;
}

// Libraries run forwards in even rounds and backwards in odd ones: every
// position is balanced over two rounds, and neighbours (memctl and lru-cache,
// whose ratio the targets use) always run one right after the other, so a
// change in the machine's load between them is as small as it can be.
function roundOrder(list, round) {
  return round % 2 ? [...list].reverse() : list;
}

async function checkLibs(names) {
  const missing = {};
  for (const name of names) {
    try {
      await loadLib(name);
    } catch (err) {
      if (err.code !== 'ERR_MEMCTL_BENCH_PEER_MISSING') throw err;
      missing[name] = err.message;
    }
  }
  return missing;
}

// Which libraries run job in this round: the pair (and every policy
// contender) in every round, the other peers in the first peerRounds only.
function libsFor(job, libs, round, peerRounds) {
  const list = job.libs ? libs.filter((l) => job.libs.includes(l)) : libs;
  return list.filter((l) => job.group === 'policy' || PAIR.includes(l) || round < peerRounds);
}

// Runs the plan. With retryBusy > 0, a round whose memctl / lru-cache pair
// was busy runs that pair again (after retryWaitMs), up to retryBusy times;
// the retry's samples replace the busy ones (every run stays in `runs`).
async function runPlan(plan, libsByGroup, missing, log, meter, { peerRounds, retryBusy = 0, retryWaitMs = 10e3 }) {
  const samples = {}; // group -> lib -> jobId -> [result]
  const failures = []; // { group, lib, job, error }
  const runs = []; // every child: { group, job, lib, round, ok, quiet, attempt }
  const runOne = async (job, lib, round, attempt) => {
    const t = Date.now();
    const { value, quiet: q } = await meter.run(() => runChild(lib, job, timeoutFor(job)));
    let run = value;
    if (!run.ok && job.id === 'max' && run.crashed) run = { ok: true, result: maxEntriesFromCrash(run) };
    const slot = (((samples[job.group] ||= {})[lib] ||= {})[job.id] ||= []);
    const prev = slot.findIndex((x) => x.round === round);
    if (prev >= 0) slot.splice(prev, 1);
    if (run.ok) slot.push({ ...run.result, round, quiet: q });
    else failures.push({ group: job.group, lib, job: job.id, error: run.error });
    runs.push({ group: job.group, job: job.id, lib, round, attempt, ok: run.ok, quiet: q });
    log(`[round ${round + 1}/${job.rounds}${attempt ? `, retry ${attempt}` : ''}] ${job.group}/${job.id} ${lib}: ` +
      `${run.ok ? summarize(job.id, run.result) : 'FAILED: ' + run.error} (${((Date.now() - t) / 1000).toFixed(1)} s; ` +
      `${q.quiet ? 'quiet' : `busy: ${q.busy}`})`);
    return q;
  };
  const maxRounds = Math.max(0, ...plan.jobs.map((j) => j.rounds));
  for (let round = 0; round < maxRounds; round++) {
    for (const job of plan.jobs) {
      if (round >= job.rounds) continue;
      const figs = {};
      for (const lib of roundOrder(libsFor(job, libsByGroup[job.group], round, peerRounds), round)) {
        if (!missing[lib]) figs[lib] = await runOne(job, lib, round, 0);
      }
      const pair = PAIR.filter((l) => figs[l]);
      if (job.group === 'policy' || pair.length !== 2) continue;
      for (let attempt = 1; attempt <= retryBusy && !quiet.poolFigures(pair.map((l) => figs[l]), meter.thresholds).quiet; attempt++) {
        log(`memctl bench: ${job.group}/${job.id} round ${round + 1}: the pair ran on a busy machine; again in ${retryWaitMs / 1000} s (retry ${attempt} of ${retryBusy})`);
        await new Promise((r) => setTimeout(r, retryWaitMs));
        for (const lib of roundOrder(pair, round)) figs[lib] = await runOne(job, lib, round, attempt);
      }
    }
  }
  return { samples, failures, runs };
}

function summarize(jobId, r) {
  if (jobId === 'max') return `${fmtCount(r.count)} entries (${r.reason}${r.error ? ': ' + r.error : ''})`;
  if (jobId.startsWith('mem')) return `heap ${r.heapPerEntry.toFixed(1)} B/e, RSS ${r.rssPerEntry.toFixed(1)} B/e, full GC ${r.gcMs.toFixed(2)} ms`;
  return `${fmtOps(r.opsPerSec)} ops/s${r.hitRate !== undefined ? `, hit rate ${fmtPct(r.hitRate)}` : ''}`;
}

// ---------------------------------------------------------------- results

// A cell's median: for timing figures over the runs that were quiet only
// (busyMedian, over all runs, is kept for the record and shown marked '~'
// when no run was quiet); for memory, counts and hit rates over all runs.
function finishCell(cell, thresholds) {
  const quietOk = cell.quiet.map((q) => quiet.judge(q, thresholds).quiet);
  cell.quietRuns = quietOk.filter(Boolean).length;
  if (TIMED_UNITS.has(cell.unit)) {
    cell.median = median(cell.samples.filter((_, i) => quietOk[i]));
    cell.busyMedian = cell.median == null ? median(cell.samples) : null;
  } else {
    cell.median = median(cell.samples);
  }
  return cell;
}

function allCells(results) {
  const out = [];
  for (const rows of Object.values(results)) for (const row of Object.values(rows)) out.push(...Object.values(row));
  return out;
}

// results[group][lib][colId] = { median, samples, rounds, quiet, unit, ...notes }
function aggregate(samples, groups, params, full, thresholds) {
  const out = {};
  for (const [group, libs] of Object.entries(groups)) {
    if (group === 'policy' || group === 'shapes') continue;
    out[group] = {};
    for (const lib of libs) {
      const row = {};
      for (const col of columns(group, params, full)) {
        const runs = ((samples[group] || {})[lib] || {})[col.job] || [];
        const cell = finishCell({
          samples: runs.map((r) => r[col.field]), rounds: runs.map((r) => r.round), quiet: runs.map((r) => r.quiet), unit: col.unit,
        }, thresholds);
        if (col.job === 'setEvict' && runs.some((r) => r.ops < params.setEvict.n)) {
          cell.timeCapped = true;
          cell.ops = median(runs.map((r) => r.ops));
        }
        if (col.id === 'maxEntries' && runs.length) {
          const r = runs[0];
          Object.assign(cell, { reason: r.reason, error: r.error, size: r.size, rssBytes: r.rssBytes, heapBytes: r.heapBytes, gcMs: r.gcMs, fillMs: r.fillMs });
        }
        if (col.id === 'gc10m' && runs.length) {
          cell.heapPerEntry = median(runs.map((r) => r.heapPerEntry));
          cell.rssPerEntry = median(runs.map((r) => r.rssPerEntry));
        }
        if (col.id === 'heapPerEntry1m') cell.heapBytes = median(runs.map((r) => r.heapBytes));
        if (col.id === 'rssPerEntry1m') cell.rssBytes = median(runs.map((r) => r.rssBytes));
        if (col.id === 'gc1m' || col.id === 'gc10m') {
          cell.baselineMs = median(runs.map((r) => r.gcBaselineMs));
          cell.cpuMs = median(runs.map((r) => r.gcCpuMs));
          cell.baselineCpuMs = median(runs.map((r) => r.gcBaselineCpuMs));
        }
        row[col.id] = cell;
      }
      out[group][lib] = row;
    }
  }
  return out;
}

// Speed and hit-rate cells of the shape matrix and of the policy suite:
// extra[group][lib][jobId] = { ops: cell, hitRate: cell }.
function aggregateExtra(samples, groups, thresholds) {
  const out = {};
  for (const group of ['shapes', 'policy']) {
    if (!samples[group]) continue;
    out[group] = {};
    for (const lib of groups[group] || []) {
      out[group][lib] = {};
      for (const [jobId, runs] of Object.entries(samples[group][lib] || {})) {
        const base = { rounds: runs.map((r) => r.round), quiet: runs.map((r) => r.quiet) };
        const cells = { ops: finishCell({ ...base, samples: runs.map((r) => r.opsPerSec), unit: 'ops/s' }, thresholds) };
        if (runs.length && runs[0].hitRate !== undefined) {
          cells.hitRate = finishCell({ ...base, samples: runs.map((r) => r.hitRate), unit: 'ratio' }, thresholds);
          cells.hitRateAll = finishCell({ ...base, samples: runs.map((r) => r.hitRateAll), unit: 'ratio' }, thresholds);
        }
        out[group][lib][jobId] = cells;
      }
    }
  }
  return out;
}

const value = (results, group, lib, col) => {
  const cell = ((results[group] || {})[lib] || {})[col];
  return cell ? cell.median : null;
};

// memctl / lru-cache for each round where both were measured, with the two
// runs' quietness pooled: a pair is quiet when both runs were.
function pairs(cellA, cellB, thresholds) {
  if (!cellA || !cellB) return [];
  const byRound = (cell) => new Map(cell.samples.map((x, i) => [cell.rounds[i], { x, q: cell.quiet[i] }]));
  const a = byRound(cellA);
  const b = byRound(cellB);
  const out = [];
  for (const [round, ra] of a) {
    const rb = b.get(round);
    if (!rb || !(rb.x > 0) || typeof ra.x !== 'number') continue;
    out.push({ round, ratio: ra.x / rb.x, quiet: quiet.poolFigures([ra.q, rb.q], thresholds) });
  }
  return out;
}

// A speed target judged on the median of the quiet pairs' ratios.
function judgePairs(ps, want, thresholds) {
  if (!ps.length) return { value: null, pass: null, measured: null };
  const ok = ps.filter((p) => p.quiet.quiet);
  const raw = ps.map((p) => ({ round: p.round, ratio: +p.ratio.toFixed(4), quiet: p.quiet }));
  if (!ok.length) {
    const all = quiet.poolFigures(ps.map((p) => p.quiet), thresholds);
    const why = all.unavailable ? 'quietness not recorded' : `machine busy (${quiet.describe(all)})`;
    return { value: null, pass: null, notJudged: `not judged: ${why}`, measured: `${ps.length} pair${ps.length > 1 ? 's' : ''}, none quiet`, pairs: raw };
  }
  const r = median(ok.map((p) => p.ratio));
  const left = ps.length - ok.length;
  return {
    value: r, pass: r >= want, pairs: raw,
    measured: `${r.toFixed(2)}x lru-cache (median of ${ok.length} quiet pair${ok.length > 1 ? 's' : ''}: ${ok.map((p) => p.ratio.toFixed(2)).join(', ')}` +
      `${left ? `; ${left} busy pair${left > 1 ? 's' : ''} left out` : ''})`,
  };
}

// The issue's targets (issue 8; memory from issue 2), judged from this run.
function evaluateTargets(results, params, full, thresholds) {
  const th = { ...quiet.DEFAULT_THRESHOLDS, ...thresholds };
  const v = (lib, col) => value(results, 'cache', lib, col);
  const cellOf = (lib, col) => ((results.cache || {})[lib] || {})[col];
  const t = [];
  // Speed targets are judged on the median of the per-round ratios (memctl
  // and lru-cache run back to back in each round) over the pairs run while
  // the machine was quiet; a load change between rounds does not skew them.
  const speedTarget = (id, col, label, want, moonshot) => {
    const j = judgePairs(pairs(cellOf('memctl', col), cellOf('lru-cache', col), th), want, th);
    if (moonshot && j.value != null) j.measured += `; moonshot ${moonshot}x ${j.value >= moonshot ? 'reached' : 'not reached'}`;
    if (j.value != null) j.measured += `; quiet medians ${fmtOps(v('memctl', col))} vs ${fmtOps(v('lru-cache', col))} ops/s`;
    t.push({ id, target: `${label}: >= ${want}x lru-cache${moonshot ? ` (moonshot ${moonshot}x)` : ''}`, ...j });
  };
  const c = fmtCount;
  speedTarget('get1m', 'get1m', `get on hits, ${c(params.get1m.n)} entries`, 1.3, 2);
  speedTarget('get100k', 'get100k', `get on hits, ${c(params.get100k.n)} entries`, 1.0);
  speedTarget('get10k', 'get10k', `get on hits, ${c(params.get10k.n)} entries`, 0.7);
  speedTarget('getStr4k', 'getStr4k', `get on hits, 4 KB string keys, ${c(params.getStr4k.n)} entries`, 0.5);
  speedTarget('getUrl256', 'getUrl256', `get on hits, 256-byte keys, ${c(params.getUrl256.n)} entries`, 0.8);
  speedTarget('setEvict', 'setEvict', `set with eviction (${c(params.setEvict.n)} keys into max ${c(params.setEvict.max)})`, 2);
  speedTarget('zipf', 'zipf', `Zipf 90/10 mix (s=${params.zipf.s}, max ${c(params.zipf.max)})`, 1.2);

  // Memory figures do not depend on the load: judged on every run.
  const heapCell = cellOf('memctl', 'heapPerEntry1m');
  const heapBytes = heapCell ? heapCell.heapBytes : null;
  const lruHeap = cellOf('lru-cache', 'heapPerEntry1m');
  t.push({
    id: 'heap1m', target: `${c(params.mem1m.n)} entries: V8 heap growth < 1 MiB in total`,
    measured: heapBytes == null ? null : `${fixed(heapBytes / MIB, 3)} MiB (lru-cache ${lruHeap && lruHeap.heapBytes != null ? (lruHeap.heapBytes / MIB).toFixed(0) + ' MiB' : 'n/a'})`,
    value: heapBytes, pass: heapBytes == null ? null : heapBytes < MIB,
  });
  const rss = v('memctl', 'rssPerEntry1m');
  t.push({
    id: 'rss1m', target: `${c(params.mem1m.n)} entries: RSS growth <= 160 B/entry`,
    measured: rss == null ? null : `${rss.toFixed(1)} B/entry (lru-cache ${fmtNum(v('lru-cache', 'rssPerEntry1m'), 1)})`,
    value: rss, pass: rss == null ? null : rss <= 160,
  });
  // Full-GC figures are timings: reported from quiet runs only.
  const gcCell = (lib, col) => { const x = cellOf(lib, col); return x ? x.median : null; };
  const gc1 = gcCell('memctl', 'gc1m');
  const gc1Busy = cellOf('memctl', 'gc1m') && cellOf('memctl', 'gc1m').samples.length && gc1 == null;
  t.push({
    id: 'gc1m', target: `full GC with ${c(params.mem1m.n)} entries cached (reported alongside)`, info: true,
    measured: gc1Busy ? null : gc1 == null ? null : `${gc1.toFixed(2)} ms (lru-cache ${fmtNum(gcCell('lru-cache', 'gc1m'), 1)} ms)` + gcContext(results, 'gc1m'),
    notJudged: gc1Busy ? busyText(cellOf('memctl', 'gc1m'), th) : undefined,
    value: gc1, pass: null,
  });
  const gc10Cell = full ? cellOf('memctl', 'gc10m') : null;
  const gc10 = gc10Cell ? gc10Cell.median : null;
  const gc10Busy = gc10Cell && gc10Cell.samples.length && gc10 == null;
  t.push({
    id: 'gc10m', target: `full GC with ${c(params.mem10m.n)} entries cached: < 10 ms`,
    measured: !full ? 'not run (needs --full)' : gc10 == null ? null : `${gc10.toFixed(2)} ms (lru-cache ${fmtNum(gcCell('lru-cache', 'gc10m'), 1)} ms)` + gcContext(results, 'gc10m'),
    notJudged: gc10Busy ? busyText(gc10Cell, th) : undefined,
    value: gc10, pass: !full || gc10 == null ? null : gc10 < 10,
  });
  const maxCell = full ? cellOf('memctl', 'maxEntries') : null;
  const want = params.max.memctlLimit;
  const held = maxCell ? (maxCell.size != null ? maxCell.size : maxCell.median) : null;
  t.push({
    id: 'hold50m', target: `${c(want)} entries in one process, no --max-old-space-size`,
    measured: !full ? 'not run (needs --full)' : held == null ? null
      : `${held.toLocaleString('en-US')} held, RSS ${(maxCell.rssBytes / 2 ** 30).toFixed(2)} GiB, V8 heap used ${(maxCell.heapBytes / MIB).toFixed(1)} MiB` +
        (maxCell.error ? `, ${maxCell.error}` : ''),
    value: held, pass: !full || held == null ? null : held >= want,
  });
  return t;
}

function busyText(cell, th) {
  const figs = cell.quiet.filter((q) => q && !q.unavailable);
  if (!figs.length) return 'not judged: quietness not recorded';
  return `not judged: machine busy (${quiet.describe(quiet.poolFigures(figs, th))})`;
}

// CPU time and the empty-heap baseline of memctl's GC figure, when measured.
function gcContext(results, col) {
  const cell = ((results.cache || {}).memctl || {})[col];
  if (!cell || cell.baselineMs == null) return '';
  const cpu = cell.cpuMs != null ? `CPU ${cell.cpuMs.toFixed(2)} ms; ` : '';
  return `; ${cpu}the same process before filling: ${cell.baselineMs.toFixed(2)} ms`;
}

// The shape matrix, judged like the targets (no thresholds: for the record).
function shapeRows(extra, plan, thresholds) {
  const sh = (extra.shapes || {});
  const rows = [];
  for (const shape of SHAPE_IDS) {
    for (const size of SHAPE_SIZES) {
      const id = (kind) => `${kind}-${shape}-${fmtCount(size)}`;
      const get = (lib, kind) => ((sh[lib] || {})[id(kind)] || {}).ops;
      if (!get('memctl', 'get') && !get('memctl', 'set')) continue;
      const row = { shape, size, label: `${data.SHAPES[shape].label}, ${fmtCount(size)}` };
      for (const kind of ['get', 'set']) {
        const j = judgePairs(pairs(get('memctl', kind), get('lru-cache', kind), thresholds), 0, thresholds);
        row[kind] = { memctl: get('memctl', kind), lru: get('lru-cache', kind), ratio: j.value, notJudged: j.notJudged || null, pairs: j.pairs || [] };
      }
      rows.push(row);
    }
  }
  return rows;
}

// ---------------------------------------------------------------- printing

function fmtCount(n) {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return String(n);
}

function fmtOps(x) {
  if (x == null) return '-';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(0)}k`;
  return x.toFixed(0);
}

function fmtPct(x) {
  return x == null ? '-' : `${(x * 100).toFixed(1)}%`;
}

// x.toFixed(digits) without a sign on a figure that rounds to zero: a heap
// growth of -3 bytes over 1M entries reads 0.0, not -0.0.
function fixed(x, digits) {
  const s = x.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

function fmtNum(x, digits) {
  return x == null ? '-' : fixed(x, digits);
}

// A cell's figure: the quiet median, else '~' and the median of busy runs
// (a figure from a busy machine, for the record, never a result).
function fmtCell(col, cell) {
  if (!cell) return '-';
  if (cell.median == null && cell.busyMedian != null) return '~' + fmtCell(col, { ...cell, median: cell.busyMedian, busyMedian: null });
  if (cell.median == null) return '-';
  const m = cell.median;
  switch (col.unit) {
    case 'ops/s': return fmtOps(m) + (cell.timeCapped ? '*' : '');
    case 'ratio': return fmtPct(m);
    case 'B/entry': return Math.abs(m) < 10 ? fixed(m, 1) : fixed(m, 0);
    case 'ms': return m < 10 ? m.toFixed(2) : m.toFixed(0);
    case 'entries': {
      const tag = { oom: ' (OOM)', 'heap-limit': ' (heap full)', error: ' (Map full)', limit: '', 'time-limit': ' (time)', crash: ' (crash)' }[cell.reason] || '';
      return `${(m / 1e6).toFixed(m < 1e6 ? 3 : 1)}M${tag}`;
    }
    default: return String(m);
  }
}

function table(headers, rows, md, leftAligned = false) {
  if (md) {
    const esc = (c) => c.replace(/\|/g, '\\|');
    const line = (cells) => `| ${cells.map(esc).join(' | ')} |`;
    return [line(headers), `|${headers.map((_, i) => (i === 0 || leftAligned ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map(line)].join('\n');
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function groupTable(report, group, md) {
  const { results, missing, params, full } = report;
  const cols = columns(group, params, full && group === 'cache');
  const rows = report.libs[group].map((lib) => {
    if (missing[lib]) return [LIBS[lib].label, ...cols.map(() => 'n/a')];
    return [LIBS[lib].label, ...cols.map((col) => fmtCell(col, results[group][lib][col.id]))];
  });
  return table(['library', ...cols.map((c) => c.head)], rows, md);
}

// Each library's figures divided by the reference library's.
function ratioTable(report, group, ref, md) {
  const { results, missing, params, full } = report;
  const cols = columns(group, params, full).filter((c) => c.unit !== 'ratio');
  const libs = report.libs[group].filter((l) => !missing[l]);
  const shown = (lib, col) => {
    const cell = ((results[group] || {})[lib] || {})[col];
    if (!cell) return { x: null, busy: false };
    return cell.median != null ? { x: cell.median, busy: false } : { x: cell.busyMedian, busy: cell.busyMedian != null };
  };
  const rows = libs.map((lib) => [LIBS[lib].label, ...cols.map((col) => {
    const a = shown(lib, col.id);
    const b = shown(ref, col.id);
    if (a.x == null || b.x == null || b.x === 0) return '-';
    const r = a.x / b.x;
    return (a.busy || b.busy ? '~' : '') + fmtRatio(r);
  })]);
  return table([`vs ${LIBS[ref].label}`, ...cols.map((c) => c.head)], rows, md);
}

function fmtRatio(r) {
  return r >= 100 ? `${fixed(r, 0)}x` : Math.abs(r) >= 0.1 ? `${fixed(r, 2)}x` : `${fixed(r, 3)}x`;
}

// The key-shape matrix: memctl and lru-cache per shape and size, get and set.
function shapesTable(report, md) {
  const f = (cell) => fmtCell({ unit: 'ops/s' }, cell);
  const r = (k) => (k.ratio != null ? fmtRatio(k.ratio) : k.notJudged ? 'busy' : '-');
  const rows = report.shapeRows.map((row) => [row.label,
    f(row.get.memctl), f(row.get.lru), r(row.get), f(row.set.memctl), f(row.set.lru), r(row.set)]);
  return table(['keys, entries', 'get memctl', 'get lru-cache', 'get ratio', 'set memctl', 'set lru-cache', 'set ratio'], rows, md);
}

// The policy comparison: hit rate (deterministic) and speed per workload.
function policyTable(report, md) {
  const pol = report.extra.policy || {};
  const jobs = Object.keys(report.policyParams).filter((j) => report.libs.policy.some((l) => (pol[l] || {})[j]));
  const head = ['library'];
  for (const j of jobs) head.push(`${j} hit rate`, `${j} ops/s`, `${j} vs lru-cache`);
  const label = (lib) => (lib === 'memctl' ? "memctl policy 'lru'" : LIBS[lib].label);
  const rows = report.libs.policy.map((lib) => {
    if (report.missing[lib]) return [label(lib), ...jobs.flatMap(() => ['n/a', 'n/a', 'n/a'])];
    return [label(lib), ...jobs.flatMap((j) => {
      const c = (pol[lib] || {})[j];
      if (!c) return ['-', '-', '-'];
      const ref = (pol['lru-cache'] || {})[j];
      const jr = ref ? judgePairs(pairs(c.ops, ref.ops, report.thresholds), 0, report.thresholds) : {};
      const ratio = jr.value != null ? fmtRatio(jr.value) : jr.notJudged ? 'busy' : '-';
      return [fmtPct(c.hitRate && c.hitRate.median), fmtCell({ unit: 'ops/s' }, c.ops), ratio];
    })];
  });
  return table(head, rows, md);
}

// The commit measured, when run from a git checkout (null otherwise).
function sourceCommit() {
  try {
    const run = (args) => require('child_process').execFileSync('git', args, { cwd: path.join(__dirname, '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return run(['rev-parse', '--short', 'HEAD']) + (run(['status', '--porcelain', '--untracked-files=no']) ? '+dirty' : '');
  } catch {
    return null;
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus.length ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    heapLimitMiB: Math.round(v8.getHeapStatistics().heap_size_limit / MIB),
  };
}

function notes(params) {
  const z = params.zipf;
  const c = fmtCount;
  return [
    `columns: set+evict = ops/s setting ${c(params.setEvict.n)} distinct keys into max ${c(params.setEvict.max)}; ` +
      `get N = ops/s of get on hits, N entries held, random order (256B / 4KB: 256-byte URL-like / 4 KB string keys, memctl and lru-cache only); ` +
      `Zipf mix = ops/s of the get/set mix; ` +
      `heap/RSS B/e and GC ${c(params.mem1m.n)} ms with ${c(params.mem1m.n)} entries held; max entries = most held under the default heap limit.`,
    'ops/s and ms: median over the quiet runs, each a fresh process; ~ = no run was quiet: the median of busy runs, not a result; ' +
      '* = stopped after 2 s (ops/s over the sets done by then).',
    'keys: 16-byte strings unless stated; values: 100-byte strings (a pool of 1,024 for the speed columns, distinct per entry for memory/GC).',
    `Zipf 90/10: ${c(z.ops)} timed ops (after ${c(z.warm)} warm-up ops), ${z.setShare * 100}% sets, Zipf s=${z.s} over ${c(z.universe)} keys, cache max ${c(z.max)}; hit rate = hits/gets.`,
    'heap/RSS B/e: growth per entry from an empty baseline after forced full GCs (typed-array backing stores are outside the V8 heap but in RSS).',
    'full GC: median wall time of global.gc() with the entries held.',
    'Map: no eviction of its own; set+evict and Zipf delete the oldest key by hand (FIFO, ring of keys). quick-lru keeps up to 2x maxSize (two generations).',
  ];
}

function policyNotes(pp) {
  const z = pp.zipfScan;
  const c = fmtCount;
  return [
    `every workload: Zipf s=${z.s} over ${c(z.universe)} keys, cache max ${c(z.max)}, ${c(z.ops)} timed ops after ${c(z.warm)} warm-up ops.`,
    `zipf: the 90/10 get/set mix of the main benchmark. zipfAside: cache-aside, every op a get, a miss sets the key. ` +
      `zipfScan: zipfAside plus, every ${c(z.scanEvery)} ops, a sequential scan of ${c(z.scanLength)} keys never seen before (get, miss, set).`,
    'hit rate: hits / Zipf gets (a scan\'s gets miss under every policy); deterministic: the same for every run and machine. ' +
      'ops/s: median over quiet runs (~ = none quiet: not a result), scans included; vs lru-cache: median of per-round ratios over quiet rounds.',
  ];
}

function verdict(t) {
  if (t.pass === true) return 'PASS';
  if (t.pass === false) return 'FAIL';
  if (t.notJudged) return t.notJudged;
  if (t.info) return t.measured ? 'info' : 'NO DATA';
  return t.measured && t.measured.startsWith('not run') ? '-' : 'NO DATA';
}

function quietSummary(report) {
  const runs = report.runs || [];
  const q = runs.filter((r) => quiet.judge(r.quiet, report.thresholds).quiet).length;
  return `${q} of ${runs.length} runs quiet`;
}

// The tables, notes and targets as text (or GitHub markdown with md).
function printReport(out, report, md = false, { withNotes = true } = {}) {
  const { results, params, full, missing, failures, targets } = report;
  const w = (s = '') => out.write(s + '\n');
  const item = (s) => w(md ? `- ${s}` : `  ${s}`);
  const m = report.machine;
  const suite = report.suite === 'policy' ? 'eviction policies' : 'caches';
  w(`memctl bench: ${suite} (${report.mode}, ${report.rounds} round${report.rounds > 1 ? 's' : ''}` +
    `${report.suite !== 'policy' && report.peerRounds < report.rounds ? ` for memctl and lru-cache, ${report.peerRounds} for the other libraries` : ''}` +
    `${report.mode === 'tiny' ? ', sizes too small to mean anything' : ''})`);
  if (md) w();
  w(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, V8 heap limit ${m.heapLimitMiB} MiB` +
    `${report.commit ? `; memctl ${report.commit}` : ''}; ${report.date}, ${report.seconds} s`);
  if (md) w();
  const th = report.thresholds || quiet.DEFAULT_THRESHOLDS;
  w(`${quiet.describeThresholds(th)}.`);
  if (md) w();
  if (report.preflight) {
    const p = report.preflight;
    w(`before the run: ${p.unavailable ? 'quietness unknown (no /proc)' : `${quiet.describe(p)} (${quiet.judge(p, th).quiet ? 'quiet' : 'BUSY: ' + quiet.judge(p, th).busy})`}; ` +
      `${quietSummary(report)}.`);
  } else {
    w(`quietness not recorded in this report: no speed target can be judged.`);
  }
  w();
  if (report.suite === 'policy') {
    w(policyTable(report, md));
    w();
    if (withNotes) for (const n of policyNotes(report.policyParams)) item(n);
  } else {
    w(groupTable(report, 'cache', md));
    w();
    if (!missing['lru-cache']) {
      w(ratioTable(report, 'cache', 'lru-cache', md));
      w();
    }
    if (full) {
      for (const lib of report.libs.cache) {
        const cell = value(results, 'cache', lib, 'maxEntries') != null && results.cache[lib].maxEntries;
        if (cell) item(`max entries, ${LIBS[lib].label}: ${cell.median.toLocaleString('en-US')} (${describeReason(cell)})`);
      }
      w();
    }
    if (report.libs.limitable.length) {
      w('LimitableMap (FIFO, limit = max):');
      if (md) w();
      w(groupTable(report, 'limitable', md));
      w();
    }
    if (report.shapeRows && report.shapeRows.length) {
      w('key shapes (100-byte values; get: hits in a random order; set: every set evicts; ratio: median of quiet per-round ratios):');
      if (md) w();
      w(shapesTable(report, md));
      w();
    }
    if (withNotes) for (const n of notes(params)) item(n);
    const base = gcBaseline(results);
    if (base != null) item(`full GC of the same processes before filling (empty cache): median ${base.toFixed(2)} ms, the floor of the GC columns.`);
    w();
    w('targets (issue 8; memory from issue 2), memctl in this run:');
    if (md) {
      w();
      w(table(['target', 'measured', 'verdict'], targets.map((t) => [t.target, t.measured || 'no measurement', verdict(t)]), true, true));
    } else {
      for (const t of targets) {
        const v = verdict(t);
        w(t.notJudged ? `  ${'-'.padEnd(7)} ${t.target}: ${v}${t.measured ? ` [${t.measured}]` : ''}`
          : `  ${v.padEnd(7)} ${t.target}: ${t.measured || 'no measurement'}`);
      }
    }
  }
  if (Object.keys(missing).length) {
    w();
    for (const [lib, msg] of Object.entries(missing)) w(`skipped ${lib}: ${msg}`);
  }
  if (failures.length) {
    w();
    for (const f of failures) w(`failed: ${f.group}/${f.job} ${f.lib}: ${f.error}`);
  }
}

function gcBaseline(results) {
  const all = [];
  for (const rows of Object.values(results)) {
    for (const row of Object.values(rows)) if (row.gc1m && row.gc1m.baselineMs != null) all.push(row.gc1m.baselineMs);
  }
  return median(all);
}

function describeReason(cell) {
  switch (cell.reason) {
    case 'limit': return `stopped at the requested ${cell.median.toLocaleString('en-US')}; RSS ${(cell.rssBytes / 2 ** 30).toFixed(2)} GiB`;
    case 'heap-limit': return 'stopped: V8 heap at 95% of its limit';
    case 'oom': return 'the process died: JavaScript heap out of memory';
    case 'error': return `failed: ${cell.error}`;
    case 'time-limit': return 'stopped: time limit';
    default: return cell.reason;
  }
}

// ---------------------------------------------------------------- main

const QUICK_ROUNDS = 3;
const FULL_ROUNDS = 3;

const JOB_IDS = ['setEvict', 'get10k', 'get100k', 'get1m', 'getUrl256', 'getStr4k', 'zipf', 'mem1m', 'mem10m', 'max',
  ...shapeJobs('quick').map((j) => j.id), ...Object.keys(policyParams('quick'))];

const HELP = `usage: memctl bench [--full] [--shapes] [--sieve] [--json] [--markdown] [--rounds N] [--peer-rounds N]
                    [--libs a,b,...] [--jobs a,b,...] [--max-load X] [--max-others X] [--allow-busy]
                    [--retry-busy N] [--retry-wait S] [--quiet] [--report F]

Compares memctl's LRUCache with lru-cache, mnemonist (LRUMap), lru.min,
quick-lru and a plain Map, and LimitableMap with the classic JS LimitableMap,
and judges issue 8's targets (memctl / lru-cache, median of per-round ratios).
Every measurement runs in a fresh node process; memctl and lru-cache run
back to back in every round, alternating which goes first.

Quietness: each child's run is bracketed by samples of /proc/loadavg,
/proc/stat and /proc/self/stat. A run is quiet when, at its start, the
1-minute load average less this bench's own share is below --max-load per
core, and during it other processes used below --max-others of a core. A
speed target is judged only on rounds whose memctl and lru-cache runs were
both quiet; otherwise it reads "not judged: machine busy (...)".

  (default)     quick: about 3-5 minutes on 2 cores; ${QUICK_ROUNDS} rounds for memctl and
                lru-cache, 1 for the other libraries; judges every speed target
  --full        ${FULL_ROUNDS} rounds for every library, the key-shape matrix, a full GC
                with 10M entries held and the most entries held under the
                default heap limit (memctl: 50M); 35-45 minutes and up to
                ~7 GiB of memory. Refuses to start on a busy machine unless
                --allow-busy
  --shapes      add the key-shape matrix: integers, numeric strings, floats,
                16-byte, 256-byte URL-like and 4 KB strings at 10k, 100k, 1M
                entries (4 KB: up to 100k), get on hits and set with eviction,
                memctl and lru-cache; about 10-15 more minutes at 3 rounds
  --sieve       instead: the eviction policies, memctl 'lru', 'fifo', 'sieve'
                and lru-cache on the Zipf 0.99 mix, a cache-aside Zipf stream
                and the same with sequential scans of cold keys: hit rates and
                speeds (2-4 minutes; a build without 'sieve' skips it)
  --rounds N    rounds for memctl and lru-cache (and every --sieve library)
                (default ${QUICK_ROUNDS}; ${FULL_ROUNDS} with --full)
  --peer-rounds N  rounds for the other libraries (default 1; ${FULL_ROUNDS} with --full)
  --max-load X  quiet: 1-minute load per core below X (default ${quiet.DEFAULT_THRESHOLDS.maxLoadPerCore})
  --max-others X  quiet: other processes below X cores (default ${quiet.DEFAULT_THRESHOLDS.maxOthersCores} = 5% of a core);
                0 forces every run busy
  --allow-busy  start a --full run even when the machine is busy
  --retry-busy N  run a round's memctl / lru-cache pair again, up to N times,
                when it ran on a busy machine (default 0), waiting
  --retry-wait S  seconds before each retry (default 10)
  --json        print the results as JSON (with every run's quietness figures)
  --markdown    print the tables as GitHub markdown
  --report F    print the report of an earlier --json run saved in file F,
                re-judged with the thresholds given (default: the run's own)
  --libs a,b    only these libraries (${[...CACHE_LIBS, ...LIMITABLE_LIBS, 'memctl-fifo', 'memctl-sieve'].join(', ')})
  --jobs a,b    only these workloads (${JOB_IDS.slice(0, 10).join(', ')}; mem10m and max need
                --full; shape jobs are named like get-str16-100k, set-int-1M; --sieve
                jobs: ${Object.keys(policyParams('quick')).join(', ')})
  --quiet       no progress lines on stderr

Other benchmarks (same quietness options): memctl bench --pool, --leak, --snapshot.
`;

function parseArgs(args) {
  const { thresholds, allowBusy, rest } = quiet.takeQuietArgs(args, usageError);
  const opts = {
    full: false, json: false, markdown: false, report: null, mode: 'quick', rounds: null, peerRounds: null, memRounds: 1,
    libs: null, jobs: null, quiet: false, help: false, shapes: false, sieve: false, thresholds, allowBusy, retryBusy: 0, retryWait: 10,
    thresholdsGiven: rest.length !== args.length,
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--full') opts.full = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--markdown') opts.markdown = true;
    else if (a === '--tiny') opts.mode = 'tiny';
    else if (a === '--shapes') opts.shapes = true;
    else if (a === '--sieve') opts.sieve = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--help' || a === '-h') opts.help = true;
    else if (a === '--rounds' || a === '--peer-rounds' || a === '--libs' || a === '--report' || a === '--jobs' || a === '--retry-busy' || a === '--retry-wait') {
      const v = rest[++i];
      if (v === undefined) throw usageError(`${a} needs a value`);
      if (a === '--rounds' || a === '--peer-rounds') {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 100) throw usageError(`${a} must be an integer from 1 to 100, got ${v}`);
        opts[a === '--rounds' ? 'rounds' : 'peerRounds'] = n;
      } else if (a === '--retry-busy' || a === '--retry-wait') {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 600) throw usageError(`${a} must be an integer from 0 to 600, got ${v}`);
        opts[a === '--retry-busy' ? 'retryBusy' : 'retryWait'] = n;
      } else if (a === '--report') {
        opts.report = v;
      } else if (a === '--jobs') {
        opts.jobs = v.split(',').filter(Boolean);
        for (const j of opts.jobs) if (!JOB_IDS.includes(j)) throw usageError(`unknown workload ${JSON.stringify(j)}`);
      } else {
        opts.libs = v.split(',').filter(Boolean);
        for (const l of opts.libs) if (!LIBS[l]) throw usageError(`unknown library ${JSON.stringify(l)}`);
      }
    } else {
      throw usageError(`unknown option ${JSON.stringify(a)}`);
    }
  }
  if (opts.sieve && (opts.full || opts.shapes)) throw usageError('--sieve runs alone: not with --full or --shapes');
  // Naming a job of the key-shape matrix runs the matrix (filtered to it).
  if (opts.jobs && !opts.sieve && opts.jobs.some((j) => /^(get|set)-/.test(j))) opts.shapes = true;
  const tiny = opts.mode === 'tiny';
  if (tiny && !opts.sieve) { opts.full = true; opts.shapes = true; }
  if (opts.full && !tiny) opts.shapes = true;
  const defRounds = tiny ? 2 : opts.full ? FULL_ROUNDS : QUICK_ROUNDS;
  if (opts.rounds === null) opts.rounds = defRounds;
  if (opts.peerRounds === null) opts.peerRounds = opts.full && !tiny ? FULL_ROUNDS : 1;
  opts.peerRounds = Math.min(opts.peerRounds, opts.rounds);
  return opts;
}

function usageError(message) {
  const e = new Error(`${message}\n\n${HELP}`);
  e.code = 'ERR_MEMCTL_BENCH_USAGE';
  return e;
}

// Re-judges a saved report (cells and targets) with the given thresholds.
function rejudge(saved, thresholds) {
  saved.thresholds = thresholds;
  for (const cell of allCells(saved.results || {})) if (cell.quiet) finishCell(cell, thresholds);
  for (const group of Object.values(saved.extra || {})) {
    for (const lib of Object.values(group)) for (const cells of Object.values(lib)) for (const c of Object.values(cells)) finishCell(c, thresholds);
  }
  if (saved.suite !== 'policy') {
    saved.targets = evaluateTargets(saved.results, saved.params, saved.full, thresholds);
    saved.shapeRows = shapeRows(saved.extra || {}, null, thresholds);
  }
}

async function main(args = []) {
  const opts = parseArgs(args);
  // `memctl bench | head` closes stdout early: that is not an error.
  process.stdout.on('error', (err) => { if (err.code === 'EPIPE') process.exit(0); throw err; });
  if (opts.help) { process.stdout.write(HELP); return 0; }
  if (opts.report) {
    const saved = JSON.parse(require('fs').readFileSync(opts.report, 'utf8'));
    if (saved.benchmark !== 'memctl-cache') throw usageError(`${opts.report} is not a memctl bench --json report`);
    // Judged again from the saved figures, in this version's words.
    saved.suite ||= 'cache';
    saved.peerRounds ||= saved.rounds;
    // Jobs added since the report was saved: their parameters, no figures.
    if (saved.suite === 'cache') saved.params = { ...jobParams(saved.mode === 'tiny' ? 'tiny' : 'quick'), ...saved.params };
    if (!saved.runs) {
      // A report from before quietness was recorded: nothing timed is judged.
      for (const cell of allCells(saved.results || {})) {
        cell.quiet ||= cell.samples.map(() => null);
        cell.rounds ||= cell.samples.map((_, i) => i);
      }
    }
    rejudge(saved, opts.thresholdsGiven || !saved.thresholds ? opts.thresholds : saved.thresholds);
    printReport(process.stdout, saved, opts.markdown);
    return 0;
  }
  const pick = (list) => (opts.libs ? list.filter((l) => opts.libs.includes(l)) : list);
  const libs = opts.sieve ? { policy: pick(POLICY_LIBS) }
    : { cache: pick(CACHE_LIBS), limitable: pick(LIMITABLE_LIBS), shapes: pick(PAIR) };
  const log = opts.quiet ? () => {} : (s) => process.stderr.write(s + '\n');
  const missing = await checkLibs([...new Set(Object.values(libs).flat())]);
  for (const [lib, msg] of Object.entries(missing)) process.stderr.write(`memctl bench: skipping ${lib}: ${msg}\n`);

  const meter = new quiet.QuietMeter(opts.thresholds);
  const mode = opts.mode === 'tiny' ? 'tiny' : opts.full ? 'full' : 'quick';
  log(`memctl bench: ${quiet.describeThresholds(meter.thresholds)}`);
  const preflight = await quiet.preflight(meter, {
    ms: mode === 'full' ? 3000 : mode === 'tiny' ? 300 : 1000, strict: mode === 'full', allowBusy: opts.allowBusy,
    waitForLoadMs: mode === 'tiny' ? 0 : 120e3,
    what: 'a --full run', log: opts.quiet && mode === 'tiny' ? () => {} : (s) => process.stderr.write(s + '\n'),
  });
  const plan = buildPlan(opts);
  const commit = sourceCommit(); // before the run: what the children load
  const started = Date.now();
  const { samples, failures, runs } = await runPlan(plan, libs, missing, log, meter,
    { peerRounds: opts.peerRounds, retryBusy: opts.retryBusy, retryWaitMs: opts.retryWait * 1000 });
  const results = aggregate(samples, libs, plan.params, opts.full, meter.thresholds);
  const extra = aggregateExtra(samples, libs, meter.thresholds);
  const report = {
    benchmark: 'memctl-cache',
    suite: opts.sieve ? 'policy' : 'cache',
    mode,
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    machine: machine(),
    commit,
    rounds: opts.rounds,
    peerRounds: opts.peerRounds,
    full: opts.full,
    thresholds: meter.thresholds,
    preflight,
    params: plan.params,
    policyParams: plan.policyParams,
    libs,
    labels: Object.fromEntries([...new Set(Object.values(libs).flat())].map((l) => [l, LIBS[l].label])),
    missing,
    failures,
    runs,
    results,
    extra,
    gcBaselineMs: gcBaseline(results),
    notes: opts.sieve ? policyNotes(plan.policyParams) : notes(plan.params),
  };
  if (!opts.sieve) {
    report.targets = evaluateTargets(results, plan.params, opts.full, meter.thresholds);
    report.shapeRows = shapeRows(extra, plan, meter.thresholds);
  }
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printReport(process.stdout, report, opts.markdown);
  return failures.length ? 1 : 0;
}

module.exports = { main, parseArgs, jobParams, shapeJobs, policyParams, evaluateTargets, judgePairs, pairs, printReport, median };
