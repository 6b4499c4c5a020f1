'use strict';
// Is the machine quiet enough for a speed figure to mean anything?
//
// A benchmark parent wraps each child process it runs in meter.run(): it
// samples /proc/loadavg, the machine's CPU time (/proc/stat) and its own
// process tree's CPU time (/proc/self/stat: its own time plus that of the
// children it has reaped) before the child starts and after it has been
// reaped. What the machine's CPUs did beyond this tree is the CPU time of
// OTHER processes, the one figure a benchmark cannot correct for: a JS cache
// whose working set lives in the CPU caches loses most when another process
// thrashes them, so a loaded machine flatters memctl.
//
// Rules (both strict "below", so a threshold of 0 forces every run busy):
//   - at the start of a run, the 1-minute load average minus this bench's own
//     share of it, per core, is below maxLoadPerCore;
//   - during the run, other processes used less than maxOthersCores cores on
//     average (0.05 = 5% of one core).
// The load average lags by a minute and includes this bench itself; its own
// share is estimated as an exponential average of the cores the tree used,
// with the kernel's one-minute time constant. The CPU-time figure is exact to
// the kernel's tick (10 ms), and is the rule that decides most runs.
const fs = require('fs');
const os = require('os');

const DEFAULT_THRESHOLDS = Object.freeze({ maxLoadPerCore: 0.3, maxOthersCores: 0.05 });
const LOAD_TAU_S = 60; // the kernel's 1-minute load average time constant

function readFile(file) {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return null;
  }
}

// Machine CPU ticks from /proc/stat's aggregate line: busy (user, nice,
// system, irq, softirq, steal; guest time is already inside user) and total
// (busy + idle + iowait), and the number of CPUs.
function readCpuTicks() {
  const text = readFile('/proc/stat');
  if (!text) return null;
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  const cpus = (text.match(/^cpu\d+ /gm) || []).length || os.cpus().length;
  return { busy, total: busy + idle + iowait, cpus };
}

// This process's CPU ticks plus those of its reaped children (utime, stime,
// cutime, cstime: fields 14-17 of /proc/self/stat, counted after the
// parenthesised command name, which may itself hold spaces).
function readOwnTicks() {
  const text = readFile('/proc/self/stat');
  if (!text) return null;
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

function readLoad() {
  const text = readFile('/proc/loadavg');
  if (!text) return null;
  return text.split(' ').slice(0, 3).map(Number);
}

// One sample of everything, or null where /proc is not available.
function sample() {
  const cpu = readCpuTicks();
  const own = readOwnTicks();
  const load = readLoad();
  if (!cpu || own === null || !load) return null;
  return { at: Date.now(), load, busy: cpu.busy, total: cpu.total, cpus: cpu.cpus, own };
}

// CPU use between two samples, in cores: others (clamped at 0: the per-CPU
// and per-process counters are sampled separately and may differ by a tick)
// and this tree's own; ticks are kept for pooling several intervals.
function interval(a, b) {
  const wallTicks = (b.total - a.total) / a.cpus; // ticks per CPU elapsed
  const ownTicks = Math.max(0, b.own - a.own);
  const othersTicks = Math.max(0, b.busy - a.busy - ownTicks);
  return {
    seconds: (b.at - a.at) / 1000,
    wallTicks,
    othersTicks,
    ownTicks,
    othersCores: wallTicks > 0 ? othersTicks / wallTicks : 0,
    ownCores: wallTicks > 0 ? ownTicks / wallTicks : 0,
  };
}

function checkThresholds(t) {
  const out = { ...DEFAULT_THRESHOLDS, ...t };
  for (const k of Object.keys(DEFAULT_THRESHOLDS)) {
    if (typeof out[k] !== 'number' || !(out[k] >= 0)) throw new RangeError(`quiet threshold ${k} must be a number >= 0, got ${out[k]}`);
  }
  return out;
}

const round = (x, d = 3) => (x == null ? null : Math.round(x * 10 ** d) / 10 ** d);

// Why a set of figures is busy, or null when it is quiet.
function busyReason(fig, th) {
  const reasons = [];
  if (!(fig.loadPerCore < th.maxLoadPerCore)) reasons.push(`load ${fig.loadPerCore.toFixed(2)}/core >= ${th.maxLoadPerCore}`);
  if (!(fig.othersCores < th.maxOthersCores)) reasons.push(`others ${pct(fig.othersCores)} of a core >= ${pct(th.maxOthersCores)}`);
  return reasons.length ? reasons.join(', ') : null;
}

const pct = (x) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

// "load 1.40, others 37% of a core": the figures a busy verdict quotes. The
// load is the machine's raw 1-minute average (what `uptime` shows); the rule
// judges it per core, net of this bench's own share.
function describe(fig) {
  return `load ${fig.load1.toFixed(2)}, others ${pct(fig.othersCores)} of a core`;
}

// A recorded figure judged against (possibly other) thresholds.
function judge(fig, thresholds) {
  if (!fig || fig.unavailable) return { quiet: false, busy: 'quietness not recorded' };
  const why = busyReason(fig, checkThresholds(thresholds));
  return { quiet: why === null, busy: why };
}

class QuietMeter {
  constructor(thresholds = {}) {
    this.thresholds = checkThresholds(thresholds);
    this.ownLoad = 0; // estimated share of the load average that is this tree's
    this.last = sample();
    this.available = this.last !== null;
  }

  // Advances the own-load estimate to sample s.
  advance(s) {
    if (!s || !this.last) return;
    const iv = interval(this.last, s);
    const decay = Math.exp(-Math.max(0, iv.seconds) / LOAD_TAU_S);
    this.ownLoad = this.ownLoad * decay + iv.ownCores * (1 - decay);
    this.last = s;
  }

  // Figures of the interval from sample a to sample b (a taken by begin()).
  figures(a, ownLoadStart, b) {
    const iv = interval(a, b);
    const netLoad = Math.max(0, a.load[0] - ownLoadStart);
    const fig = {
      loadStart: a.load,
      loadEnd: b.load,
      load1: a.load[0],
      ownLoadEstimate: round(ownLoadStart),
      loadPerCore: round(netLoad / a.cpus),
      othersCores: round(iv.othersCores, 4),
      ownCores: round(iv.ownCores),
      othersTicks: iv.othersTicks,
      ownTicks: iv.ownTicks,
      wallTicks: round(iv.wallTicks, 1),
      seconds: round(iv.seconds),
      cpus: a.cpus,
    };
    const why = busyReason(fig, this.thresholds);
    fig.quiet = why === null;
    fig.busy = why;
    return fig;
  }

  begin() {
    const s = sample();
    this.advance(s);
    return s ? { s, ownLoad: this.ownLoad } : null;
  }

  end(token) {
    const s = sample();
    this.advance(s);
    if (!token || !s) return unavailable();
    return this.figures(token.s, token.ownLoad, s);
  }

  // Runs fn (sync or async: a child process run to completion) between two
  // samples; resolves to { value, quiet }.
  async run(fn) {
    const token = this.begin();
    const value = await fn();
    return { value, quiet: this.end(token) };
  }

  runSync(fn) {
    const token = this.begin();
    const value = fn();
    return { value, quiet: this.end(token) };
  }

  // Pre-flight: the machine while this process does nothing for ms.
  async idle(ms) {
    const token = this.begin();
    await new Promise((r) => setTimeout(r, ms));
    return this.end(token);
  }

  // Pools several runs (a memctl run and its peer's in the same round):
  // others' CPU over their summed intervals, the worst starting load.
  pool(figs) {
    return poolFigures(figs, this.thresholds);
  }
}

function unavailable() {
  return { quiet: false, busy: 'no /proc: quietness unknown', unavailable: true };
}

function poolFigures(figs, thresholds) {
  const th = checkThresholds(thresholds);
  if (!figs.length || figs.some((f) => !f || f.unavailable)) return unavailable();
  const wall = figs.reduce((a, f) => a + f.wallTicks, 0);
  const others = figs.reduce((a, f) => a + f.othersTicks, 0);
  const worst = figs.reduce((a, f) => (f.loadPerCore > a.loadPerCore ? f : a));
  const fig = {
    load1: Math.max(...figs.map((f) => f.load1)),
    loadPerCore: worst.loadPerCore,
    othersCores: round(wall > 0 ? others / wall : 0, 4),
    othersTicks: others,
    wallTicks: wall,
    runs: figs.reduce((a, f) => a + (f.runs || 1), 0),
  };
  const why = busyReason(fig, th);
  fig.quiet = why === null;
  fig.busy = why;
  return fig;
}

function describeThresholds(th) {
  return `quiet = at the start of a run the 1-minute load average, less this bench's own share, is below ${th.maxLoadPerCore} per core, ` +
    `and during it other processes use below ${pct(th.maxOthersCores)} of a core (from /proc/loadavg, /proc/stat, /proc/self/stat)`;
}

// The options every bench accepts: --max-load X, --max-others X (a fraction
// of a core: 0.05 = 5%) and --allow-busy. Returns the remaining arguments.
function takeQuietArgs(args, usageError = (m) => new Error(m)) {
  const thresholds = { ...DEFAULT_THRESHOLDS };
  let allowBusy = false;
  const rest = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (name === '--max-load' || name === '--max-others') {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      const x = Number(v);
      if (v === undefined || v === '' || !(x >= 0) || !Number.isFinite(x)) throw usageError(`${name} needs a number >= 0, got ${v}`);
      thresholds[name === '--max-load' ? 'maxLoadPerCore' : 'maxOthersCores'] = x;
    } else if (a === '--allow-busy') {
      allowBusy = true;
    } else {
      rest.push(a);
    }
  }
  return { thresholds, allowBusy, rest };
}

// Pre-flight check shared by the benches: samples the machine for ms while
// idle. Busy + strict (a --full run) without allowBusy: throws with the
// figures. Busy otherwise: a loud warning on stderr. Returns the figures.
//
// The load average lags by a minute: right after another benchmark it is
// high while no other process runs. When only the load rule fails, this
// waits (up to waitForLoadMs) for it to decay, sampling every 5 s.
async function preflight(meter, {
  ms = 1000, strict = false, allowBusy = false, what = 'this run', waitForLoadMs = 0,
  log = (s) => process.stderr.write(s + '\n'),
} = {}) {
  let fig = await meter.idle(ms);
  const until = Date.now() + waitForLoadMs;
  const onlyLoad = (f) => !f.quiet && !f.unavailable && f.othersCores < meter.thresholds.maxOthersCores;
  if (onlyLoad(fig) && Date.now() < until) {
    log(`memctl bench: no other process is busy but the load average is still ${fig.load1.toFixed(2)} (it lags by a minute); ` +
      `waiting up to ${Math.round(waitForLoadMs / 1000)} s for it to fall below ${meter.thresholds.maxLoadPerCore} per core ...`);
    while (onlyLoad(fig) && Date.now() < until) fig = await meter.idle(5000);
  }
  if (fig.quiet) return fig;
  const head = fig.unavailable ? 'cannot tell whether the machine is quiet (no /proc)' : `the machine is busy (${describe(fig)}: ${fig.busy})`;
  if (strict && !allowBusy) {
    const e = new Error(`memctl bench: ${head}; refusing to start ${what}, whose figures would not be judged. ` +
      'Stop the other work and try again, or pass --allow-busy to run anyway.');
    e.code = 'ERR_MEMCTL_BENCH_BUSY';
    e.quiet = fig;
    throw e;
  }
  const bar = '!'.repeat(78);
  log(`${bar}\n!! memctl bench: ${head}.\n!! Speed figures from this run are not results; targets measured while busy read "not judged".\n${bar}`);
  return fig;
}

module.exports = {
  DEFAULT_THRESHOLDS, QuietMeter, judge, sample, interval, poolFigures, describe, describeThresholds, takeQuietArgs, preflight,
  readCpuTicks, readOwnTicks, readLoad,
};
