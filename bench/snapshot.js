'use strict';
// `memctl bench --snapshot`: the native snapshot analyzer on a large real heap
// snapshot (a Node process holding ~5M small objects, ~540 MiB), against
// memlab's parser and JSON.parse on the same file, in the same run. Each
// measurement runs alone in a child process (bench/snapshot-child.js) so its
// peak memory (VmHWM) is its own; they run one after the other.
//
// Options: --json, --objects N (default 5e6), --regenerate (rewrite the
// cached snapshot), --no-memlab, --no-json-parse, and the quietness options
// of bench/quiet.js (--max-load, --max-others): the wall-time targets are
// judged only when their child ran on a quiet machine.
const fs = require('fs');
const quiet = require('./quiet');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { ensureBenchDep } = require('./bench-deps');

const TARGET_MBPS = 300;
const TARGET_SECONDS = 10;
const TARGET_PEAK_RATIO = 1.5;
const MiB = 1024 * 1024;

function parseArgs(argv) {
  const { thresholds, rest: args } = quiet.takeQuietArgs(argv);
  const opts = { json: false, objects: 5e6, regenerate: false, memlab: true, jsonParse: true, thresholds };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') opts.json = true;
    else if (a === '--regenerate') opts.regenerate = true;
    else if (a === '--no-memlab') opts.memlab = false;
    else if (a === '--no-json-parse') opts.jsonParse = false;
    else if (a === '--objects') opts.objects = Number(args[++i]);
    else if (a === '-h' || a === '--help') opts.help = true;
    else throw new Error(`bench --snapshot: unknown option ${a}`);
  }
  if (!Number.isInteger(opts.objects) || opts.objects < 1000) throw new Error('bench --snapshot: --objects needs an integer >= 1000');
  return opts;
}

const log = (opts, msg) => { if (!opts.json) process.stderr.write(`${msg}\n`); };

// The snapshot is cached in the temporary directory, keyed by object count
// and fixture version, and reused across runs (writing it takes ~40 s).
function fixture(opts) {
  const file = path.join(os.tmpdir(), `memctl-bench-${opts.objects}-objects-v1.heapsnapshot`);
  if (fs.existsSync(file) && !opts.regenerate) return { file, generatedSeconds: null };
  log(opts, `writing the benchmark snapshot (${opts.objects} objects) to ${file} ...`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', path.join(__dirname, 'snapshot-fixture.js'), file, String(opts.objects)],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`bench --snapshot: writing the snapshot failed (exit ${r.status}, signal ${r.signal})`);
  return { file, generatedSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

function measure(opts, mode, file, heapMb, env) {
  const { value, quiet: q } = opts.meter.runSync(() => measureOnce(opts, mode, file, heapMb, env));
  return { ...value, quiet: q };
}

function measureOnce(opts, mode, file, heapMb, env) {
  log(opts, `  ${mode} ...`);
  const out = path.join(os.tmpdir(), `memctl-bench-snap-${process.pid}-${mode}.json`);
  const args = [...(heapMb ? [`--max-old-space-size=${heapMb}`] : []), path.join(__dirname, 'snapshot-child.js'), mode, file, out];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: env || process.env });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let result;
  try {
    result = JSON.parse(fs.readFileSync(out, 'utf8'));
    fs.rmSync(out);
  } catch {
    result = { error: `the child failed (exit ${r.status}, signal ${r.signal}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}` };
  }
  return { ...result, processSeconds: wall };
}

// memlab against memctl: equal node counts and total size, and per top class
// (memctl's top 10 by retained size) count, self size and retained size.
function agreement(memctl, memlab) {
  if (!memctl || !memlab || memctl.error || memlab.error) return null;
  const byName = new Map(memlab.classes.map((c) => [c.name, c]));
  const classes = memctl.top.map((c) => {
    const m = byName.get(c.name) || { count: 0, selfSize: 0, retainedSize: 0 };
    return { name: c.name, count: [c.count, m.count], selfSize: [c.selfSize, m.selfSize],
      retainedSize: [c.retainedSize, m.retainedSize], retainedRatio: m.retainedSize ? c.retainedSize / m.retainedSize : null };
  });
  return {
    nodeCount: [memctl.nodeCount, memlab.nodeCount],
    edgeCount: [memctl.edgeCount, memlab.edgeCount],
    totalSize: [memctl.totalSize, memlab.totalSize],
    classes,
    countsEqual: classes.every((c) => c.count[0] === c.count[1] && c.selfSize[0] === c.selfSize[1]),
    retainedEqual: classes.every((c) => c.retainedSize[0] === c.retainedSize[1]),
    maxRetainedDeviation: Math.max(...classes.map((c) => (c.retainedRatio === null ? Infinity : Math.abs(c.retainedRatio - 1)))),
  };
}

const fmtS = (s) => (typeof s === 'number' ? `${s.toFixed(2)} s` : '-');
const fmtMiB = (b) => (typeof b === 'number' ? `${(b / MiB).toFixed(0)} MiB` : '-');
const pass = (ok) => (ok === null ? '-   ' : ok ? 'PASS' : 'FAIL');

function printTable(report) {
  const { file, fileBytes, results: r, targets, agreement: ag } = report;
  const out = process.stdout;
  out.write(`\nheap snapshot: ${file}\n  ${fmtMiB(fileBytes)}, ${r.memctlRetained.nodeCount ? r.memctlRetained.nodeCount.toLocaleString('en-US') : '?'} nodes, ` +
    `${r.memctlRetained.edgeCount ? r.memctlRetained.edgeCount.toLocaleString('en-US') : '?'} edges (Node ${process.version}, ${os.cpus().length} cores, ` +
    `load average ${report.loadavg.map((x) => x.toFixed(1)).join(' ')} at the end)\n\n`);
  const rows = [
    ['memctl: parse + class histogram', r.memctlHistogram],
    ['memctl: parse + retained sizes', r.memctlRetained],
    ['memctl: same, dominators: plain', r.memctlPlain],
    ['memlab: parse + retained sizes', r.memlab],
    ['JSON.parse(readFileSync(file))', r.jsonParse],
  ].filter(([, x]) => x);
  const cells = rows.map(([name, x]) => [name,
    x.error ? 'failed' : fmtS(x.seconds),
    x.error ? '-' : `${(fileBytes / 1e6 / x.seconds).toFixed(0)} MB/s`,
    fmtS(x.cpuSeconds),
    x.error || !x.cpuSeconds ? '-' : `${(fileBytes / 1e6 / x.cpuSeconds).toFixed(0)} MB/s`,
    fmtMiB(x.peakBytes),
    typeof x.peakBytes === 'number' ? `${(x.peakBytes / fileBytes).toFixed(2)}x` : '-',
    x.error ? x.error.slice(0, 60) : (x.parseSeconds ? `parse ${fmtS(x.parseSeconds)} + retained ${fmtS(x.retainedSeconds)}` : '')]);
  const head = ['run', 'wall', 'per wall s', 'CPU', 'per CPU s', 'peak RSS', 'peak/file', 'notes'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((s, i) => (i === 0 || i === 7 ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ').trimEnd();
  out.write(`${line(head)}\n${cells.map(line).join('\n')}\n\n`);
  if (r.memlab && !r.memlab.error && !r.memctlRetained.error) {
    out.write(`memctl vs memlab: ${(r.memlab.seconds / r.memctlRetained.seconds).toFixed(1)}x faster (wall), ` +
      `${(r.memlab.cpuSeconds / r.memctlRetained.cpuSeconds).toFixed(1)}x less CPU, ` +
      `${(r.memlab.peakBytes / r.memctlRetained.peakBytes).toFixed(1)}x less peak memory\n`);
  }
  out.write('targets:\n');
  for (const t of targets) out.write(`  ${pass(t.ok)}  ${t.name}: ${t.notJudged ? `${t.notJudged} [${t.measured}]` : t.measured}\n`);
  out.write(`${quiet.describeThresholds(report.thresholds)}\n`);
  if (report.agreementDevtoolsMode) {
    const d = report.agreementDevtoolsMode;
    out.write(`\nmemctl's default (DevTools) mode vs memlab: top-10 retained sizes within ${(100 * d.maxRetainedDeviation).toFixed(2)}% ` +
      '(memlab leaves out DevTools\' page-owned rule)\n');
  }
  if (ag) {
    out.write(`\nagreement with memlab (memctl dominators: 'plain'): nodes ${ag.nodeCount.join(' / ')}, edges ${ag.edgeCount.join(' / ')}, total size ${ag.totalSize.join(' / ')}\n`);
    const t = ag.classes.map((c) => [c.name.slice(0, 28), `${c.count[0]} / ${c.count[1]}`, `${c.retainedSize[0]} / ${c.retainedSize[1]}`,
      c.retainedRatio === null ? '-' : c.retainedRatio.toFixed(4)]);
    const h = ['class (memctl top 10)', 'count memctl / memlab', 'retained memctl / memlab', 'ratio'];
    const w = h.map((x, i) => Math.max(x.length, ...t.map((r2) => r2[i].length)));
    const ln = (c) => c.map((s, i) => (i === 0 ? s.padEnd(w[i]) : s.padStart(w[i]))).join('  ');
    out.write(`${ln(h)}\n${t.map(ln).join('\n')}\n`);
  }
}

// A wall-time target: judged only when its child ran on a quiet machine.
function timed(t, run) {
  if (!run || run.error || !run.quiet || run.quiet.quiet) return t;
  const why = run.quiet.unavailable ? 'not judged: quietness unknown' : `not judged: machine busy (${quiet.describe(run.quiet)})`;
  return { ...t, ok: null, notJudged: why };
}

function targetsOf(fileBytes, r, ag) {
  const h = r.memctlHistogram;
  const k = r.memctlRetained;
  const mbps = h && !h.error ? fileBytes / 1e6 / h.seconds : 0;
  const cpuMbps = h && !h.error ? fileBytes / 1e6 / h.cpuSeconds : 0;
  const list = [
    timed({ name: `parse + class histogram >= ${TARGET_MBPS} MB/s (wall)`, ok: mbps >= TARGET_MBPS,
      measured: h && h.error ? h.error : `${mbps.toFixed(0)} MB/s wall (${cpuMbps.toFixed(0)} MB/s per CPU second)` }, h),
    timed({ name: `parse + retained sizes < ${TARGET_SECONDS} s (wall)`, ok: !k.error && k.seconds < TARGET_SECONDS,
      measured: k.error || `${fmtS(k.seconds)} wall, ${fmtS(k.cpuSeconds)} CPU` }, k),
    { name: `peak memory < ${TARGET_PEAK_RATIO}x the file`, ok: !k.error && k.peakBytes < TARGET_PEAK_RATIO * fileBytes,
      measured: k.error || `${fmtMiB(k.peakBytes)} = ${(k.peakBytes / fileBytes).toFixed(2)}x ${fmtMiB(fileBytes)}` },
  ];
  if (ag) {
    list.push({ name: 'node count and total size equal to memlab\'s', ok: ag.nodeCount[0] === ag.nodeCount[1] && ag.totalSize[0] === ag.totalSize[1],
      measured: `${ag.nodeCount.join(' / ')}; ${ag.totalSize.join(' / ')}` });
    list.push({ name: 'top classes: counts and self sizes equal to memlab\'s', ok: ag.countsEqual, measured: ag.countsEqual ? 'equal' : 'differ (see table)' });
    list.push({ name: 'top classes: retained sizes equal to memlab\'s', ok: ag.retainedEqual,
      measured: ag.retainedEqual ? 'equal' : `max deviation ${(100 * ag.maxRetainedDeviation).toFixed(3)}%` });
  }
  return list;
}

const USAGE = `usage: memctl bench --snapshot [--json] [--objects N] [--regenerate] [--no-memlab] [--no-json-parse]
                             [--max-load X] [--max-others X]
  memctl's native analyzer, memlab and JSON.parse on one large real heap snapshot
  (N objects, default 5000000, written once and cached in ${os.tmpdir()}).
  Wall-time targets are judged only when their child ran on a quiet machine
  (see memctl bench --help).
  memlab (@memlab/core) is not a devDependency: the first run with memlab
  installs it into .bench-deps/ (npm, --ignore-scripts); --no-memlab skips it.
  Exit code 1 when a target is missed.
`;

async function main(args) {
  const opts = parseArgs(args);
  if (opts.help) { process.stdout.write(USAGE); return 0; }
  opts.meter = new quiet.QuietMeter(opts.thresholds);
  await quiet.preflight(opts.meter, { ms: 1000, waitForLoadMs: 120e3, log: (m) => log(opts, m) });
  // memlab is installed on demand (not a devDependency); the child finds it by NODE_PATH.
  const memlabEnv = opts.memlab
    ? { ...process.env, NODE_PATH: ensureBenchDep('@memlab/core', '^2.0.5', 'the comparison with memlab (skip it with --no-memlab)') }
    : null;
  const { file, generatedSeconds } = fixture(opts);
  const fileBytes = fs.statSync(file).size;
  log(opts, `measuring on ${file} (${fmtMiB(fileBytes)}), one child process at a time:`);
  const results = {
    memctlHistogram: measure(opts, 'memctl-histogram', file),
    memctlRetained: measure(opts, 'memctl-retained', file),
    memctlPlain: opts.memlab ? measure(opts, 'memctl-retained-plain', file) : null,
    memlab: opts.memlab ? measure(opts, 'memlab', file, 12288, memlabEnv) : null,
    jsonParse: opts.jsonParse ? measure(opts, 'json-parse', file, 8192) : null,
  };
  // memlab leaves out DevTools' page-owned rule: agreement is checked against
  // memctl's 'plain' mode, and reported for the default mode too.
  const ag = agreement(results.memctlPlain, results.memlab);
  const agDevtools = agreement(results.memctlRetained, results.memlab);
  if (results.memlab && results.memlab.classes) results.memlab.classes = results.memlab.classes.slice(0, 10);
  const report = { file, fileBytes, generatedSeconds, node: process.version, cpus: os.cpus().length,
    loadavg: os.loadavg(), thresholds: opts.meter.thresholds, results, agreement: ag, agreementDevtoolsMode: agDevtools, targets: targetsOf(fileBytes, results, ag) };
  if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printTable(report);
  return report.targets.every((t) => t.ok !== false) ? 0 : 1;
}

module.exports = { main };
