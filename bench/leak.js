'use strict';
// `memctl bench --leak`: the CPU the LeakWatcher costs an allocation-heavy
// workload. Each round is a fresh child process doing fixed amounts of work
// in interleaved segments with and without a started watcher (listeners on
// 'stats' and 'leak', one gauge), timed with process.cpuUsage (user +
// system); the verdict uses the median over the rounds of on/off. Target: at
// most 1% more CPU with the watcher. The same runs give an A/A control
// (two identical 'off' sets) that shows the noise floor of the machine.
//
//   memctl bench --leak [--rounds N] [--blocks N] [--steps N] [--stress] [--observed] [--quick] [--json]
//
// --stress runs the children with a 1 MB young generation
// (--max-semi-space-size=1), which multiplies the minor GCs the watcher must
// observe: its worst case. --observed keeps an extra GC observer on in every
// segment, so on/off isolates the watcher's own work from the cost of
// turning Node's GC entries on.
//
// A second table gives the cost of the pieces the watcher runs per GC and per
// tick, measured in this process.
const { median } = require('./stats');
const { spawnSync } = require('child_process');
const path = require('path');
const quiet = require('./quiet');

const TARGET = 0.01;

// Quietness options (--max-load, --max-others; see bench/quiet.js): the
// verdict uses the rounds run while the machine was quiet only.
function parseArgs(argv) {
  const { thresholds, rest: args } = quiet.takeQuietArgs(argv);
  const opt = { rounds: 7, blocks: 12, steps: 200, json: false, stress: false, observed: false, thresholds };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') opt.json = true;
    else if (a === '--stress') opt.stress = true;
    else if (a === '--observed') opt.observed = true;
    else if (a === '--rounds') opt.rounds = Number(args[++i]);
    else if (a === '--blocks') opt.blocks = Number(args[++i]);
    else if (a === '--steps') opt.steps = Number(args[++i]);
    else if (a === '--quick') { opt.rounds = 3; opt.blocks = 6; } else throw new Error(`bench --leak: unknown argument ${a}`);
  }
  for (const k of ['rounds', 'blocks', 'steps']) {
    if (!(Number.isInteger(opt[k]) && opt[k] >= 1)) throw new Error(`--${k} must be a positive integer`);
  }
  return opt;
}

// ---- the child: one measured run -------------------------------------------

// Allocation-heavy with a flat live set: a ring of 20k small objects churned
// by 2000 replacements per step, plus short-lived strings. Steps yield to the
// event loop (setImmediate) like a server would, so GC entries and timers
// are delivered during the run.
//
// The child runs blocks of three segments: one with the watcher started
// ('on': listeners on 'stats' and 'leak', one gauge) and two with it stopped
// ('offA', 'offB': no GC observer at all), rotating their order, and reports
// the CPU time (process.cpuUsage, user + system) of each kind: load changes
// on the machine are slow next to a segment, so a block's segments see the
// same load. offA/offB compares identical work and shows the noise floor.
function child(blocks, steps, observed) {
  const { LeakWatcher } = require('..');
  if (observed) {
    const { PerformanceObserver } = require('perf_hooks');
    let n = 0;
    new PerformanceObserver((list) => { n += list.getEntries().length; }).observe({ entryTypes: ['gc'] });
  }
  const watcher = new LeakWatcher();
  watcher.on('stats', () => {});
  watcher.on('leak', () => {});
  const ring = new Array(20000);
  watcher.gauge('ring', () => ring.length);
  let r = 0;
  let sink = 0;
  const runSteps = (n, done) => {
    let step = 0;
    (function work() {
      for (let j = 0; j < 2000; j++) {
        ring[r++ % ring.length] = { a: j, s: 'y' + j, arr: [j, j + 1] };
        sink += ('k' + (j * 7)).length;
      }
      if (++step < n) setImmediate(work);
      else done();
    })();
  };
  const plan = [];
  const kinds = ['on', 'offA', 'offB'];
  for (let k = 0; k < blocks; k++) plan.push(...kinds.slice(k % 3), ...kinds.slice(0, k % 3));
  const cpu = { on: 0, offA: 0, offB: 0 };
  const wall = { on: 0, offA: 0, offB: 0 };
  let i = 0;
  function next() {
    if (i === plan.length) return finish();
    const v = plan[i++];
    if (v === 'on') watcher.start();
    else watcher.stop();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    runSteps(steps, () => {
      const c = process.cpuUsage(c0);
      cpu[v] += (c.user + c.system) / 1000;
      wall[v] += Number(process.hrtime.bigint() - t0) / 1e6;
      next();
    });
  }
  function finish() {
    const st = watcher.stats();
    watcher.close();
    process.stdout.write(JSON.stringify({ cpu, wall, full: st.num_full_gc, minor: st.num_inc_gc, sink }) + '\n');
  }
  // Warm up the JIT, the heap and the watcher's own first-use costs (lazy
  // internal modules, compiling its callbacks) before measuring.
  watcher.start();
  runSteps(300, () => {
    watcher.sampleGauges();
    watcher.stop();
    runSteps(300, next);
  });
}

// ---- the parent --------------------------------------------------------------

function runChild(meter, blocks, steps, stress, observed) {
  const flags = stress ? ['--max-semi-space-size=1'] : [];
  const { value: res, quiet: q } = meter.runSync(() => spawnSync(process.execPath, [...flags, __filename, '--child', String(blocks), String(steps), observed ? 'observed' : ''], {
    encoding: 'utf8', cwd: path.join(__dirname, '..'),
  }));
  if (res.status !== 0) throw new Error(`bench --leak child failed: ${res.stderr}`);
  return { ...JSON.parse(res.stdout.trim().split('\n').pop()), quiet: q };
}


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
  const pad = (str, n) => String(str).padEnd(n);
  const lpad = (str, n) => String(str).padStart(n);
  const out = process.stdout;
  out.write(`LeakWatcher CPU overhead on an allocation-heavy workload${res.stress ? ' (1 MB young generation: stress)' : ''}${res.observed ? ' (GC entries on in every segment: the watcher\'s own work only)' : ''}\n`);
  out.write(`${res.rounds} fresh processes x ${res.blocks} blocks of 3 segments (${res.steps} steps of 2000 allocations each): watcher on, off, off\n\n`);
  out.write(`${pad('process', 9)}${lpad('CPU ms off', 12)}${lpad('CPU ms on', 12)}${lpad('on/off', 9)}${lpad('offA/offB', 11)}\n`);
  res.ratios.forEach((r, i) => {
    out.write(`${pad(i + 1, 9)}${lpad(res.cpuMsOff[i].toFixed(1), 12)}${lpad(res.cpuMsOn[i].toFixed(1), 12)}${lpad(r.toFixed(4), 9)}${lpad(res.controls[i].toFixed(4), 11)}\n`);
  });
  const pct = (res.overhead * 100).toFixed(2);
  const verdict = res.notJudged || (res.pass ? 'PASS' : 'FAIL');
  out.write(`\nmedian on/off over ${res.notJudged ? 'all (busy)' : `${res.quietRounds} quiet`} rounds: ${res.ratio.toFixed(4)} (${res.overhead >= 0 ? '+' : ''}${pct}% CPU), target <= +${TARGET * 100}%: ${verdict}\n`);
  out.write(`${quiet.describeThresholds(res.thresholds)}\n`);
  out.write(`noise floor (identical work, offA/offB): median ${res.control.toFixed(4)}, range ${Math.min(...res.controls).toFixed(4)}..${Math.max(...res.controls).toFixed(4)}\n`);
  out.write(`GCs the watcher saw per process (median): ${res.gcsPerRun.full} full, ${res.gcsPerRun.minor} minor/incremental\n\n`);
  out.write(`${pad('piece (in this process)', 58)}${lpad('ns/call', 10)}\n`);
  for (const [k, v] of Object.entries(res.micro)) out.write(`${pad(k, 58)}${lpad(v.toFixed(0), 10)}\n`);
}

async function main(args) {
  const opt = parseArgs(args);
  const meter = new quiet.QuietMeter(opt.thresholds);
  await quiet.preflight(meter, { ms: 1000, waitForLoadMs: 120e3 });
  const runs = [];
  for (let i = 0; i < opt.rounds; i++) {
    runs.push(runChild(meter, opt.blocks, opt.steps, opt.stress, opt.observed));
    if (!opt.json) process.stderr.write('.');
  }
  if (!opt.json) process.stderr.write('\n');
  const ratios = runs.map((r) => (2 * r.cpu.on) / (r.cpu.offA + r.cpu.offB));
  const controls = runs.map((r) => r.cpu.offA / r.cpu.offB);
  // Judged on the quiet rounds only; with none, not judged.
  const quietIdx = runs.map((r, i) => (r.quiet.quiet ? i : -1)).filter((i) => i >= 0);
  const ratio = quietIdx.length ? median(quietIdx.map((i) => ratios[i])) : median(ratios);
  const pooled = quiet.poolFigures(runs.map((r) => r.quiet), meter.thresholds);
  const notJudged = quietIdx.length ? null
    : pooled.unavailable ? 'not judged: quietness unknown' : `not judged: machine busy (${quiet.describe(pooled)})`;
  const res = {
    rounds: opt.rounds,
    blocks: opt.blocks,
    steps: opt.steps,
    stress: opt.stress,
    observed: opt.observed,
    cpuMsOff: runs.map((r) => (r.cpu.offA + r.cpu.offB) / 2),
    cpuMsOn: runs.map((r) => r.cpu.on),
    ratios,
    ratio,
    controls,
    control: median(controls),
    overhead: ratio - 1,
    target: TARGET,
    pass: notJudged ? null : ratio - 1 <= TARGET,
    notJudged,
    quietRounds: quietIdx.length,
    thresholds: meter.thresholds,
    quiet: runs.map((r) => r.quiet),
    gcsPerRun: { full: median(runs.map((r) => r.full)), minor: median(runs.map((r) => r.minor)) },
    micro: micro(),
  };
  if (opt.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
  else printTable(res);
  return res.pass === false ? 1 : 0;
}

if (require.main === module && process.argv[2] === '--child') {
  child(Number(process.argv[3]), Number(process.argv[4]), process.argv[5] === 'observed');
} else if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { console.error(err); process.exitCode = 1; });
}

module.exports = { main };
