'use strict';
// `memctl bench --leak`: the CPU the LeakWatcher costs an allocation-heavy
// workload. Each run is a fresh child process doing a fixed amount of work,
// with or without a started watcher (listeners on 'stats' and 'leak', one
// gauge); the two variants are interleaved over several rounds and compared
// by their median CPU time (process.cpuUsage, user + system). Target: at
// most 1% more CPU with the watcher.
//
//   memctl bench --leak [--rounds N] [--work N] [--json]
//
// A second table gives the cost of the pieces the watcher runs per GC and per
// tick, measured in this process.
const { spawnSync } = require('child_process');
const path = require('path');

const TARGET = 0.01;

function parseArgs(args) {
  const opt = { rounds: 11, work: 3000, json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') opt.json = true;
    else if (a === '--rounds') opt.rounds = Number(args[++i]);
    else if (a === '--work') opt.work = Number(args[++i]);
    else if (a === '--quick') { opt.rounds = 3; opt.work = 1500; } else throw new Error(`bench --leak: unknown argument ${a}`);
  }
  if (!(Number.isInteger(opt.rounds) && opt.rounds >= 1)) throw new Error('--rounds must be a positive integer');
  if (!(Number.isInteger(opt.work) && opt.work >= 1)) throw new Error('--work must be a positive integer');
  return opt;
}

// ---- the child: one measured run -------------------------------------------

// Allocation-heavy with a flat live set: a ring of 20k small objects churned
// by 2000 replacements per step, plus short-lived strings and arrays. Steps
// yield to the event loop (setImmediate) like a server would, so GC entries
// and timers are delivered during the run.
function child(variant, steps) {
  let watcher = null;
  // Both variants load memctl, so they differ only by the running watcher.
  const { LeakWatcher } = require('..');
  if (variant === 'watcher') {
    watcher = new LeakWatcher().start();
    watcher.on('stats', () => {});
    watcher.on('leak', () => {});
    const ring0 = [];
    watcher.gauge('ring', () => ring0.length);
  }
  // The baseline observes nothing: observing 'gc' entries is part of what
  // the watcher costs. GC counts come from the watcher's own stats.
  const ring = new Array(20000);
  let r = 0;
  let sink = 0;
  let step = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  function work() {
    for (let j = 0; j < 2000; j++) {
      ring[r++ % ring.length] = { a: j, s: 'y' + j, arr: [j, j + 1] };
      sink += ('k' + (j * 7)).length;
    }
    if (++step < steps) setImmediate(work);
    else finish();
  }
  function finish() {
    const cpu = process.cpuUsage(cpu0);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const out = { variant, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: wall, full: null, minor: null, sink };
    if (watcher) {
      const st = watcher.stats();
      out.full = st.num_full_gc;
      out.minor = st.num_inc_gc;
      watcher.close();
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
  work();
}

// ---- the parent --------------------------------------------------------------

function runChild(variant, work) {
  const res = spawnSync(process.execPath, [__filename, '--child', variant, String(work)], {
    encoding: 'utf8', cwd: path.join(__dirname, '..'),
  });
  if (res.status !== 0) throw new Error(`bench --leak child (${variant}) failed: ${res.stderr}`);
  return JSON.parse(res.stdout.trim().split('\n').pop());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ns per call of the pieces the watcher runs, in this process.
function micro() {
  const v8 = require('v8');
  const native = require('../lib/native');
  const out = new Float64Array(16);
  const h = native.leakNew(0, 0, 5, 128, 6, 10000, 8 * 1024 * 1024, 0, 'heap');
  const time = (n, fn) => {
    for (let i = 0; i < Math.min(n, 1000); i++) fn(i);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    return Number(process.hrtime.bigint() - t0) / n;
  };
  let t = 0;
  const rows = {
    'leakFullGc (flat base, trend detector)': time(100000, () => native.leakFullGc(h, (t += 1000), 50e6 + (t % 7000) * 100, out)),
    'leakSample (envelope point)': time(100000, () => native.leakSample(h, (t += 1000), 52e6 + (t % 5000) * 100, false, out)),
    'process.memoryUsage() (read per full GC)': time(20000, () => process.memoryUsage()),
    'v8.getHeapStatistics() (per tick, throttled minor reads)': time(20000, () => v8.getHeapStatistics()),
  };
  native.leakClose(h);
  return rows;
}

function printTable(res) {
  const pad = (s, n) => String(s).padEnd(n);
  const lpad = (s, n) => String(s).padStart(n);
  const out = process.stdout;
  out.write(`LeakWatcher CPU overhead: ${res.rounds} interleaved rounds, ${res.work} steps of 2000 allocations per run, fresh process per run\n\n`);
  out.write(`${pad('variant', 12)}${lpad('median CPU ms', 15)}${lpad('min', 9)}${lpad('max', 9)}${lpad('median wall ms', 16)}${lpad('full GCs', 10)}${lpad('minor GCs', 11)}\n`);
  for (const v of ['baseline', 'watcher']) {
    const r = res.variants[v];
    out.write(`${pad(v, 12)}${lpad(r.median.toFixed(1), 15)}${lpad(Math.min(...r.cpuMs).toFixed(1), 9)}${lpad(Math.max(...r.cpuMs).toFixed(1), 9)}${lpad(r.medianWall.toFixed(1), 16)}${lpad(r.full === null ? '-' : r.full, 10)}${lpad(r.minor === null ? '-' : r.minor, 11)}\n`);
  }
  const pct = (res.overhead * 100).toFixed(2);
  out.write(`\nwatcher / baseline CPU, median of the ${res.rounds} paired rounds: ${res.ratio.toFixed(4)} (${res.overhead >= 0 ? '+' : ''}${pct}%), target <= +${TARGET * 100}%: ${res.pass ? 'PASS' : 'FAIL'}\n`);
  out.write(`paired ratios: ${res.pairedRatios.map((r) => r.toFixed(3)).join(' ')}; ratio of medians: ${res.ratioOfMedians.toFixed(4)}\n`);
  out.write(`round-to-round spread of the baseline: ${(res.baselineSpread * 100).toFixed(1)}% (min to max)\n\n`);
  out.write(`${pad('piece', 58)}${lpad('ns/call', 10)}\n`);
  for (const [k, v] of Object.entries(res.micro)) out.write(`${pad(k, 58)}${lpad(v.toFixed(0), 10)}\n`);
}

async function main(args) {
  const opt = parseArgs(args);
  const variants = { baseline: { cpuMs: [], wallMs: [], full: null, minor: null }, watcher: { cpuMs: [], wallMs: [], full: 0, minor: 0 } };
  for (let i = 0; i < opt.rounds; i++) {
    // Alternate which variant goes first so drift in machine load cancels.
    const order = i % 2 ? ['watcher', 'baseline'] : ['baseline', 'watcher'];
    for (const v of order) {
      const r = runChild(v, opt.work);
      variants[v].cpuMs.push(r.cpuMs);
      variants[v].wallMs.push(r.wallMs);
      if (r.full !== null) {
        variants[v].full = Math.max(variants[v].full, r.full);
        variants[v].minor = Math.max(variants[v].minor, r.minor);
      }
      if (!opt.json) process.stderr.write('.');
    }
  }
  if (!opt.json) process.stderr.write('\n');
  for (const v of Object.values(variants)) {
    v.median = median(v.cpuMs);
    v.medianWall = median(v.wallMs);
  }
  // Each round's two runs ran back to back, so their ratio cancels slow
  // drifts of the machine's load; the verdict uses the median of those.
  const paired = variants.watcher.cpuMs.map((w, i) => w / variants.baseline.cpuMs[i]);
  const ratio = median(paired);
  const b = variants.baseline.cpuMs;
  const res = {
    rounds: opt.rounds,
    work: opt.work,
    variants,
    ratio,
    pairedRatios: paired,
    ratioOfMedians: variants.watcher.median / variants.baseline.median,
    overhead: ratio - 1,
    target: TARGET,
    pass: ratio - 1 <= TARGET,
    baselineSpread: (Math.max(...b) - Math.min(...b)) / Math.min(...b),
    micro: micro(),
  };
  if (opt.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
  else printTable(res);
  return res.pass ? 0 : 1;
}

if (require.main === module && process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4]));
} else if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { console.error(err); process.exitCode = 1; });
}

module.exports = { main };
