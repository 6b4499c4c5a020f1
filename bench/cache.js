'use strict';
// `memctl bench`: memctl's LRUCache against lru-cache, mnemonist's LRUMap,
// lru.min, quick-lru and a plain Map, plus LimitableMap against the classic
// JS LimitableMap. Every measurement runs in a fresh `node --expose-gc`
// process (bench/cache-worker.js); libraries take turns within each workload
// (forwards, then backwards) in every round; the table shows the median over
// rounds.
//
//   memctl bench [--full] [--json] [--markdown] [--rounds N] [--libs a,b,...] [--jobs a,b,...]
//                [--quiet] [--report F]
//   (--tiny: tiny sizes, for the smoke test only)
const { spawn } = require('child_process');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const { LIBS, CACHE_LIBS, LIMITABLE_LIBS, loadLib } = require('./cache-libs');

const WORKER = path.join(__dirname, 'cache-worker.js');
const SEED = 0x5eed2;
const MIB = 1024 * 1024;

// ---------------------------------------------------------------- the plan

// Sizes of each job. The quick default keeps the issue's sizes and lowers
// repetitions; --full adds the 10M and max-entries jobs; --tiny is for tests.
function jobParams(mode) {
  const tiny = mode === 'tiny';
  const s = (real, small) => (tiny ? small : real);
  return {
    setEvict: { workload: 'setEvict', n: s(1e6, 4000), max: s(1e5, 400), warm: s(5e4, 400), timeCapMs: 60e3 },
    get100k: { workload: 'getHit', n: s(1e5, 400), ops: s(1e6, 4000), warm: s(1e5, 400) },
    get1m: { workload: 'getHit', n: s(1e6, 4000), ops: s(1e6, 4000), warm: s(1e5, 400) },
    zipf: { workload: 'zipfMix', universe: s(1e6, 4000), max: s(1e4, 400), s: 0.99, setShare: 0.1, warm: s(5e5, 4000), ops: s(1e6, 4000) },
    mem1m: { workload: 'memoryAndGc', n: s(1e6, 4000), warm: s(2e5, 1000), gcRuns: s(3, 2) },
    mem10m: { workload: 'memoryAndGc', n: s(1e7, 8000), warm: s(2e5, 1000), gcRuns: s(5, 2) },
    // limit 0 = until failure; memctl is filled to the issue's 50M instead.
    max: { workload: 'maxEntries', limit: s(0, 10000), memctlLimit: s(5e7, 10000), stopFraction: 0.95, timeLimitMs: s(900e3, 60e3), gcRuns: 3 },
  };
}

function buildPlan(opts) {
  const p = jobParams(opts.mode);
  const speedRounds = opts.rounds;
  let jobs = [
    { id: 'setEvict', group: 'cache', rounds: speedRounds },
    { id: 'get100k', group: 'cache', rounds: speedRounds },
    { id: 'get1m', group: 'cache', rounds: speedRounds },
    { id: 'zipf', group: 'cache', rounds: speedRounds },
    { id: 'mem1m', group: 'cache', rounds: opts.memRounds },
    { id: 'setEvict', group: 'limitable', rounds: speedRounds },
    { id: 'get100k', group: 'limitable', rounds: speedRounds },
    { id: 'mem1m', group: 'limitable', rounds: opts.memRounds },
  ];
  if (opts.full) {
    jobs.push({ id: 'mem10m', group: 'cache', rounds: 1 }, { id: 'max', group: 'cache', rounds: 1 });
  }
  if (opts.jobs) jobs = jobs.filter((j) => opts.jobs.includes(j.id));
  for (const j of jobs) j.params = { ...p[j.id], seed: SEED };
  // The classic LimitableMap's shift() copies its whole key array on every
  // eviction (~40k sets/s at 100k): time it on what it does in 2 s.
  for (const j of jobs) if (j.group === 'limitable' && j.id === 'setEvict') j.capped = { 'classic-limitable': 2000 };
  return { jobs, params: p };
}

// Table columns: which job and result field each shows.
function columns(group, params, full) {
  const c = fmtCount;
  const p = params;
  const cols = [
    { id: 'setEvict', job: 'setEvict', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: 'set+evict' },
    { id: 'get100k', job: 'get100k', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: `get ${c(p.get100k.n)}` },
  ];
  if (group === 'cache') {
    cols.push(
      { id: 'get1m', job: 'get1m', field: 'opsPerSec', unit: 'ops/s', better: 'higher', head: `get ${c(p.get1m.n)}` },
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

async function runPlan(plan, libsByGroup, missing, log) {
  const samples = {}; // group -> lib -> jobId -> [result]
  const failures = []; // { group, lib, job, error }
  const maxRounds = Math.max(...plan.jobs.map((j) => j.rounds));
  for (let round = 0; round < maxRounds; round++) {
    for (const job of plan.jobs) {
      if (round >= job.rounds) continue;
      for (const lib of roundOrder(libsByGroup[job.group], round)) {
        if (missing[lib]) continue;
        const t = Date.now();
        let run = await runChild(lib, job, timeoutFor(job));
        if (!run.ok && job.id === 'max' && run.crashed) run = { ok: true, result: maxEntriesFromCrash(run) };
        const slot = (((samples[job.group] ||= {})[lib] ||= {})[job.id] ||= []);
        if (run.ok) slot.push({ ...run.result, round });
        else failures.push({ group: job.group, lib, job: job.id, error: run.error });
        log(`[round ${round + 1}/${job.rounds}] ${job.group}/${job.id} ${lib}: ` +
          `${run.ok ? summarize(job.id, run.result) : 'FAILED: ' + run.error} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
      }
    }
  }
  return { samples, failures };
}

function summarize(jobId, r) {
  if (jobId === 'max') return `${fmtCount(r.count)} entries (${r.reason}${r.error ? ': ' + r.error : ''})`;
  if (jobId.startsWith('mem')) return `heap ${r.heapPerEntry.toFixed(1)} B/e, RSS ${r.rssPerEntry.toFixed(1)} B/e, full GC ${r.gcMs.toFixed(2)} ms`;
  return `${fmtOps(r.opsPerSec)} ops/s${r.hitRate !== undefined ? `, hit rate ${fmtPct(r.hitRate)}` : ''}`;
}

// ---------------------------------------------------------------- results

function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// results[group][lib][colId] = { median, samples, unit, ...notes }
function aggregate(samples, groups, params, full) {
  const out = {};
  for (const [group, libs] of Object.entries(groups)) {
    out[group] = {};
    for (const lib of libs) {
      const row = {};
      for (const col of columns(group, params, full)) {
        const runs = ((samples[group] || {})[lib] || {})[col.job] || [];
        const values = runs.map((r) => r[col.field]);
        const cell = { median: median(values), samples: values, rounds: runs.map((r) => r.round), unit: col.unit };
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

const value = (results, group, lib, col) => {
  const cell = ((results[group] || {})[lib] || {})[col];
  return cell ? cell.median : null;
};

// The issue's targets, judged from this run's figures.
function evaluateTargets(results, params, full) {
  const v = (lib, col) => value(results, 'cache', lib, col);
  const ratio = (a, b) => (a != null && b != null && b !== 0 ? a / b : null);
  const t = [];
  // Speed targets are judged on the median of the per-round ratios (memctl
  // and lru-cache run back to back in each round), which load changes between
  // rounds do not skew; the ratio of the medians is shown too.
  const speedTarget = (id, col, label, want) => {
    const paired = pairedRatios(results, col);
    const r = median(paired);
    const ofMedians = ratio(v('memctl', col), v('lru-cache', col));
    t.push({
      id, target: `${label}: >= ${want}x lru-cache`,
      measured: r == null ? null : `${r.toFixed(2)}x lru-cache (median of per-round ratios ${paired.map((x) => x.toFixed(2)).join(', ')}; ` +
        `medians ${fmtOps(v('memctl', col))} vs ${fmtOps(v('lru-cache', col))} ops/s = ${ofMedians.toFixed(2)}x)`,
      value: r, rounds: paired, ratioOfMedians: ofMedians, pass: r == null ? null : r >= want,
    });
  };
  speedTarget('get1m', 'get1m', `get on hits, ${fmtCount(params.get1m.n)} entries`, 1);
  speedTarget('setEvict', 'setEvict', 'set with eviction', 1.5);
  const heapCell = ((results.cache || {}).memctl || {}).heapPerEntry1m;
  const heapBytes = heapCell ? heapCell.heapBytes : null;
  const lruHeap = ((results.cache || {})['lru-cache'] || {}).heapPerEntry1m;
  t.push({
    id: 'heap1m', target: `${fmtCount(params.mem1m.n)} entries: V8 heap growth < 1 MiB in total`,
    measured: heapBytes == null ? null : `${(heapBytes / MIB).toFixed(3)} MiB (lru-cache ${lruHeap && lruHeap.heapBytes != null ? (lruHeap.heapBytes / MIB).toFixed(0) + ' MiB' : 'n/a'})`,
    value: heapBytes, pass: heapBytes == null ? null : heapBytes < MIB,
  });
  const rss = v('memctl', 'rssPerEntry1m');
  t.push({
    id: 'rss1m', target: `${fmtCount(params.mem1m.n)} entries: RSS growth <= 160 B/entry`,
    measured: rss == null ? null : `${rss.toFixed(1)} B/entry (lru-cache ${fmtNum(v('lru-cache', 'rssPerEntry1m'), 1)})`,
    value: rss, pass: rss == null ? null : rss <= 160,
  });
  const gc10 = full ? v('memctl', 'gc10m') : null;
  t.push({
    id: 'gc10m', target: `full GC with ${fmtCount(params.mem10m.n)} entries cached: < 10 ms`,
    measured: !full ? 'not run (needs --full)' : gc10 == null ? null : `${gc10.toFixed(2)} ms (lru-cache ${fmtNum(v('lru-cache', 'gc10m'), 1)} ms)` + gcContext(results, 'gc10m'),
    value: gc10, pass: !full || gc10 == null ? null : gc10 < 10,
  });
  const maxCell = full ? ((results.cache || {}).memctl || {}).maxEntries : null;
  const want = params.max.memctlLimit;
  const held = maxCell ? (maxCell.size != null ? maxCell.size : maxCell.median) : null;
  t.push({
    id: 'hold50m', target: `${fmtCount(want)} entries in one process, no --max-old-space-size`,
    measured: !full ? 'not run (needs --full)' : held == null ? null
      : `${held.toLocaleString('en-US')} held, RSS ${(maxCell.rssBytes / 2 ** 30).toFixed(2)} GiB, V8 heap used ${(maxCell.heapBytes / MIB).toFixed(1)} MiB` +
        (maxCell.error ? `, ${maxCell.error}` : ''),
    value: held, pass: !full || held == null ? null : held >= want,
  });
  return t;
}

// memctl / lru-cache for each round where both were measured.
function pairedRatios(results, col) {
  const byRound = (lib) => {
    const cell = ((results.cache || {})[lib] || {})[col] || { samples: [], rounds: [] };
    return new Map(cell.samples.map((x, i) => [cell.rounds ? cell.rounds[i] : i, x]));
  };
  const a = byRound('memctl');
  const b = byRound('lru-cache');
  const out = [];
  for (const [round, x] of a) if (b.has(round) && b.get(round) > 0) out.push(x / b.get(round));
  return out;
}

// CPU time and the empty-heap baseline of memctl's GC figure, when measured.
function gcContext(results, col) {
  const cell = ((results.cache || {}).memctl || {})[col];
  if (!cell || cell.baselineMs == null) return '';
  const cpu = cell.cpuMs != null ? `CPU ${cell.cpuMs.toFixed(2)} ms; ` : '';
  return `; ${cpu}the same process before filling: ${cell.baselineMs.toFixed(2)} ms`;
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

function fmtNum(x, digits) {
  return x == null ? '-' : x.toFixed(digits);
}

function fmtCell(col, cell) {
  if (!cell || cell.median == null) return '-';
  const m = cell.median;
  switch (col.unit) {
    case 'ops/s': return fmtOps(m) + (cell.timeCapped ? '*' : '');
    case 'ratio': return fmtPct(m);
    case 'B/entry': return Math.abs(m) < 10 ? m.toFixed(1) : m.toFixed(0);
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
  const rows = libs.map((lib) => [LIBS[lib].label, ...cols.map((col) => {
    const a = value(results, group, lib, col.id);
    const b = value(results, group, ref, col.id);
    if (a == null || b == null || b === 0) return '-';
    const r = a / b;
    return r >= 100 ? `${r.toFixed(0)}x` : Math.abs(r) >= 0.1 ? `${r.toFixed(2)}x` : `${r.toFixed(3)}x`;
  })]);
  return table([`vs ${LIBS[ref].label}`, ...cols.map((c) => c.head)], rows, md);
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
      `get N = ops/s of get on hits, N entries held, random order; Zipf mix = ops/s of the get/set mix; ` +
      `heap/RSS B/e and GC ${c(params.mem1m.n)} ms with ${c(params.mem1m.n)} entries held; max entries = most held under the default heap limit.`,
    'ops/s: median over rounds, each a fresh process; * = stopped after 2 s (ops/s over the sets done by then).',
    `keys: 16-byte strings; values: 100-byte strings (a pool of 1,024 for the speed columns, distinct per entry for memory/GC).`,
    `Zipf 90/10: ${fmtCount(z.ops)} timed ops (after ${fmtCount(z.warm)} warm-up ops), ${z.setShare * 100}% sets, Zipf s=${z.s} over ${fmtCount(z.universe)} keys, cache max ${fmtCount(z.max)}; hit rate = hits/gets.`,
    'heap/RSS B/e: growth per entry from an empty baseline after forced full GCs (typed-array backing stores are outside the V8 heap but in RSS).',
    'full GC: median wall time of global.gc() with the entries held.',
    'Map: no eviction of its own; set+evict and Zipf delete the oldest key by hand (FIFO, ring of keys). quick-lru keeps up to 2x maxSize (two generations).',
  ];
}

function verdict(t) {
  if (t.pass === true) return 'PASS';
  if (t.pass === false) return 'FAIL';
  return t.measured && t.measured.startsWith('not run') ? '-' : 'NO DATA';
}

// The tables, notes and targets as text (or GitHub markdown with md).
function printReport(out, report, md = false, { withNotes = true } = {}) {
  const { results, params, full, missing, failures, targets } = report;
  const w = (s = '') => out.write(s + '\n');
  const item = (s) => w(md ? `- ${s}` : `  ${s}`);
  const m = report.machine;
  w(`memctl bench: caches (${report.mode}, ${report.rounds} round${report.rounds > 1 ? 's' : ''}` +
    `${report.mode === 'tiny' ? ', sizes too small to mean anything' : ''})`);
  if (md) w();
  w(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, V8 heap limit ${m.heapLimitMiB} MiB` +
    `${report.commit ? `; memctl ${report.commit}` : ''}; ${report.date}, ${report.seconds} s`);
  w();
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
  w('LimitableMap (FIFO, limit = max):');
  if (md) w();
  w(groupTable(report, 'limitable', md));
  w();
  if (withNotes) for (const n of notes(params)) item(n);
  const base = gcBaseline(results);
  if (base != null) item(`full GC of the same processes before filling (empty cache): median ${base.toFixed(2)} ms, the floor of the GC columns.`);
  w();
  w('targets (issue 2), memctl in this run:');
  if (md) {
    w();
    w(table(['target', 'measured', 'verdict'], targets.map((t) => [t.target, t.measured || 'no measurement', verdict(t)]), true, true));
  } else {
    for (const t of targets) w(`  ${verdict(t).padEnd(7)} ${t.target}: ${t.measured || 'no measurement'}`);
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

const JOB_IDS = ['setEvict', 'get100k', 'get1m', 'zipf', 'mem1m', 'mem10m', 'max'];

const HELP = `usage: memctl bench [--full] [--json] [--markdown] [--rounds N] [--libs a,b,...] [--jobs a,b,...] [--quiet]
                    [--report F]

Compares memctl's LRUCache with lru-cache, mnemonist (LRUMap), lru.min,
quick-lru and a plain Map, and LimitableMap with the classic JS LimitableMap.
Every measurement runs in a fresh node process; the table shows medians.

  --full        3 rounds, plus a full GC with 10M entries held and the most
                entries held under the default heap limit (memctl: 50M); about
                15 minutes on 2 cores and up to ~7 GiB of memory
  --json        print the results as JSON instead of tables
  --markdown    print the tables as GitHub markdown
  --report F    print the report of an earlier --json run saved in file F
  --rounds N    rounds: fresh processes per library and workload, in turns
                (default 1; 3 with --full); the tables show medians
  --libs a,b    only these libraries (${[...CACHE_LIBS, ...LIMITABLE_LIBS].join(', ')})
  --jobs a,b    only these workloads (${JOB_IDS.join(', ')}; mem10m and max need --full)
  --quiet       no progress lines on stderr
`;

function parseArgs(args) {
  const opts = { full: false, json: false, markdown: false, report: null, mode: 'quick', rounds: null, memRounds: 1, libs: null, jobs: null, quiet: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--full') opts.full = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--markdown') opts.markdown = true;
    else if (a === '--tiny') opts.mode = 'tiny';
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--help' || a === '-h') opts.help = true;
    else if (a === '--rounds' || a === '--libs' || a === '--report' || a === '--jobs') {
      const v = args[++i];
      if (v === undefined) throw usageError(`${a} needs a value`);
      if (a === '--rounds') {
        opts.rounds = Number(v);
        if (!Number.isInteger(opts.rounds) || opts.rounds < 1 || opts.rounds > 100) throw usageError(`--rounds must be an integer from 1 to 100, got ${v}`);
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
  if (opts.mode === 'tiny') opts.full = true;
  if (opts.rounds === null) opts.rounds = opts.full && opts.mode !== 'tiny' ? 3 : 1;
  return opts;
}

function usageError(message) {
  const e = new Error(`${message}\n\n${HELP}`);
  e.code = 'ERR_MEMCTL_BENCH_USAGE';
  return e;
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
    saved.targets = evaluateTargets(saved.results, saved.params, saved.full);
    printReport(process.stdout, saved, opts.markdown);
    return 0;
  }
  const pick = (list) => (opts.libs ? list.filter((l) => opts.libs.includes(l)) : list);
  const libs = { cache: pick(CACHE_LIBS), limitable: pick(LIMITABLE_LIBS) };
  const log = opts.quiet ? () => {} : (s) => process.stderr.write(s + '\n');
  const missing = await checkLibs([...libs.cache, ...libs.limitable]);
  for (const [lib, msg] of Object.entries(missing)) process.stderr.write(`memctl bench: skipping ${lib}: ${msg}\n`);

  const plan = buildPlan(opts);
  const commit = sourceCommit(); // before the run: what the children load
  const started = Date.now();
  const { samples, failures } = await runPlan(plan, libs, missing, log);
  const results = aggregate(samples, libs, plan.params, opts.full);
  const report = {
    benchmark: 'memctl-cache',
    mode: opts.mode === 'tiny' ? 'tiny' : opts.full ? 'full' : 'quick',
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    machine: machine(),
    commit,
    rounds: opts.rounds,
    full: opts.full,
    params: plan.params,
    libs,
    labels: Object.fromEntries([...libs.cache, ...libs.limitable].map((l) => [l, LIBS[l].label])),
    missing,
    failures,
    results,
    gcBaselineMs: gcBaseline(results),
    targets: evaluateTargets(results, plan.params, opts.full),
    notes: notes(plan.params),
  };
  if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else printReport(process.stdout, report, opts.markdown);
  return failures.length ? 1 : 0;
}

module.exports = { main, parseArgs, jobParams, evaluateTargets, printReport, median };
