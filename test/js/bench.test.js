'use strict';
// Smoke test of `memctl bench` (the cache comparison) on tiny sizes: every
// library and every metric must be present in the JSON. No timing assertions:
// speed is judged by the benchmark itself, never by tests.
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'memctl.js');
const data = require('../../bench/cache-data');
const quiet = require('../../bench/quiet');
const { FifoMap, ClassicLimitableMap, requirePeer, CACHE_LIBS, LIMITABLE_LIBS, POLICY_LIBS } = require('../../bench/cache-libs');
const { parseArgs, judgePairs } = require('../../bench/cache');

const PAIR = ['memctl', 'lru-cache'];
const CACHE_METRICS = ['setEvict', 'get10k', 'get100k', 'get1m', 'getUrl256', 'getStr4k', 'zipf', 'zipfHitRate', 'heapPerEntry1m', 'rssPerEntry1m', 'gc1m', 'gc10m', 'maxEntries'];
const PAIR_ONLY = ['getUrl256', 'getStr4k'];
const LIMITABLE_METRICS = ['setEvict', 'get100k', 'heapPerEntry1m', 'rssPerEntry1m', 'gc1m'];
const SPEED_TARGETS = ['get1m', 'get100k', 'get10k', 'getStr4k', 'getUrl256', 'setEvict', 'zipf'];
const TARGETS = [...SPEED_TARGETS, 'heap1m', 'rss1m', 'gc1m', 'gc10m', 'hold50m'];
// Thresholds no machine can miss, and thresholds no machine can meet.
const PERMISSIVE = ['--max-load', '1000', '--max-others', '1000'];
const FORCED_BUSY = ['--max-load', '0', '--max-others', '0'];
const BUSY_VERDICT = /^not judged: machine busy \(load \d+\.\d\d, others \d+(\.\d)?% of a core\)$/;
const savedReport = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `memctl-bench-${process.pid}-`)), 'report.json');
test.after(() => fs.rmSync(path.dirname(savedReport), { recursive: true, force: true }));

function bench(args, timeout = 600e3) {
  return spawnSync(process.execPath, [CLI, 'bench', ...args], { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
}

// The raw quietness figures of one run, as /proc gave them.
function checkQuietFigures(q, where) {
  assert.ok(q && typeof q === 'object', `${where}: no quietness figures`);
  for (const k of ['loadStart', 'loadEnd']) {
    assert.strictEqual(q[k].length, 3, `${where}.${k}`);
    for (const x of q[k]) assert.ok(Number.isFinite(x) && x >= 0, `${where}.${k}`);
  }
  for (const k of ['load1', 'loadPerCore', 'othersCores', 'ownCores', 'othersTicks', 'ownTicks', 'wallTicks', 'seconds', 'ownLoadEstimate']) {
    assert.ok(Number.isFinite(q[k]) && q[k] >= 0, `${where}.${k} = ${q[k]}`);
  }
  assert.ok(Number.isInteger(q.cpus) && q.cpus >= 1, `${where}.cpus`);
  assert.strictEqual(typeof q.quiet, 'boolean', `${where}.quiet`);
  assert.strictEqual(q.quiet, q.busy === null, `${where}: quiet and busy disagree`);
}

test('memctl bench --tiny --json with permissive thresholds: every library, metric, quietness figure and a PASS/FAIL per target', () => {
  const run = bench(['--tiny', '--json', '--quiet', ...PERMISSIVE]);
  assert.strictEqual(run.status, 0, `bench failed:\n${run.stderr}`);
  const report = JSON.parse(run.stdout);
  fs.writeFileSync(savedReport, run.stdout);
  assert.strictEqual(report.mode, 'tiny');
  assert.strictEqual(report.suite, 'cache');
  assert.deepStrictEqual(report.missing, {}, 'a library was skipped');
  assert.deepStrictEqual(report.failures, []);
  assert.deepStrictEqual(report.libs.cache, CACHE_LIBS);
  assert.deepStrictEqual(report.libs.limitable, LIMITABLE_LIBS);
  assert.deepStrictEqual(report.thresholds, { maxLoadPerCore: 1000, maxOthersCores: 1000 });
  checkQuietFigures(report.preflight, 'preflight');
  assert.ok(report.runs.length > 0);
  for (const r of report.runs) {
    checkQuietFigures(r.quiet, `${r.group}/${r.job}/${r.lib}`);
    assert.strictEqual(r.quiet.quiet, true, 'a permissive threshold judged a run busy');
  }
  // memctl and lru-cache run in every round, in alternating order.
  const get1m = report.runs.filter((r) => r.group === 'cache' && r.job === 'get1m');
  assert.deepStrictEqual(get1m.filter((r) => r.round === 0).map((r) => r.lib), CACHE_LIBS);
  assert.deepStrictEqual(get1m.filter((r) => r.round === 1).map((r) => r.lib), [...PAIR].reverse());
  for (const [group, metrics] of [['cache', CACHE_METRICS], ['limitable', LIMITABLE_METRICS]]) {
    for (const lib of report.libs[group]) {
      const row = report.results[group][lib];
      assert.deepStrictEqual(Object.keys(row).sort(), [...metrics].sort(), `${group}/${lib} metrics`);
      for (const m of metrics) {
        if (PAIR_ONLY.includes(m) && !PAIR.includes(lib)) continue;
        assert.strictEqual(typeof row[m].median, 'number', `${group}/${lib}/${m} has no value`);
        assert.ok(Number.isFinite(row[m].median), `${group}/${lib}/${m} is not finite`);
        assert.strictEqual(row[m].quiet.length, row[m].samples.length, `${group}/${lib}/${m}: a sample without quietness figures`);
      }
      assert.ok(row.setEvict.median > 0 && row.get100k.median > 0);
      if (group === 'cache') {
        assert.ok(row.zipfHitRate.median > 0 && row.zipfHitRate.median <= 1, `${lib} hit rate`);
        // Tiny mode fills every library to the same limit: nothing may fail early.
        assert.strictEqual(row.maxEntries.reason, 'limit', `${lib} max entries: ${row.maxEntries.error}`);
        assert.strictEqual(row.maxEntries.median, report.params.max.limit);
      }
    }
  }
  assert.deepStrictEqual(report.targets.map((t) => t.id), TARGETS);
  for (const t of report.targets) {
    if (t.id === 'gc1m') {
      assert.strictEqual(t.info, true);
      assert.match(t.measured, /ms/);
      continue;
    }
    assert.strictEqual(typeof t.pass, 'boolean', `target ${t.id} was not judged: ${t.notJudged}`);
    if (SPEED_TARGETS.includes(t.id)) assert.strictEqual(t.pairs.length, 2, `${t.id}: one pair per round`);
  }
  // The key-shape matrix: every shape, get and set, memctl against lru-cache.
  // (tiny runs one size per shape, the smallest)
  assert.deepStrictEqual(report.shapeRows.map((r) => r.shape), ['str16', 'int', 'strint', 'float', 'url256', 'str4k']);
  assert.deepStrictEqual([...new Set(report.shapeRows.map((r) => r.size))], [1e4]);
  for (const row of report.shapeRows) {
    for (const kind of ['get', 'set']) assert.ok(row[kind].ratio > 0, `${row.label} ${kind}: no ratio`);
  }
  assert.strictEqual(typeof report.machine.cores, 'number');
});

test('a forced-busy run judges no speed target: "not judged: machine busy (...)" with the figures', () => {
  const run = bench(['--tiny', '--json', '--quiet', ...FORCED_BUSY, '--libs', PAIR.join(','), '--jobs', 'get1m,setEvict,zipf,mem1m',
    '--retry-busy', '1', '--retry-wait', '0']);
  assert.strictEqual(run.status, 0, `bench failed:\n${run.stderr}`);
  const report = JSON.parse(run.stdout);
  assert.strictEqual(report.preflight.quiet, false);
  for (const r of report.runs) {
    checkQuietFigures(r.quiet, `${r.job}/${r.lib}`);
    assert.strictEqual(r.quiet.quiet, false, 'a threshold of 0 judged a run quiet');
  }
  const byId = Object.fromEntries(report.targets.map((t) => [t.id, t]));
  for (const id of ['get1m', 'setEvict', 'zipf']) {
    assert.strictEqual(byId[id].pass, null, `${id} was judged on a busy machine`);
    assert.match(byId[id].notJudged, BUSY_VERDICT);
    assert.strictEqual(byId[id].pairs.length, 2);
  }
  // A busy pair ran once more; the retry's samples replace the first ones.
  const retried = report.runs.filter((r) => r.job === 'get1m' && r.attempt === 1);
  assert.deepStrictEqual(retried.map((r) => r.round).sort(), [0, 0, 1, 1]);
  assert.strictEqual(report.results.cache.memctl.get1m.samples.length, 2);
  // The busy runs' speeds are kept for the record but are no cell's median.
  const cell = report.results.cache.memctl.get1m;
  assert.strictEqual(cell.median, null);
  assert.ok(cell.busyMedian > 0);
  // Memory does not depend on the load: still judged.
  assert.strictEqual(typeof byId.heap1m.pass, 'boolean');
  assert.strictEqual(typeof byId.rss1m.pass, 'boolean');
  assert.match(byId.gc1m.notJudged, BUSY_VERDICT);
  // Targets whose jobs did not run have no data, and say so.
  assert.strictEqual(byId.get100k.pass, null);
  assert.strictEqual(byId.get100k.notJudged, undefined);
});

test('--full refuses to start on a busy machine unless --allow-busy', () => {
  const run = bench(['--full', ...FORCED_BUSY, '--jobs', 'get1m', '--libs', 'memctl'], 60e3);
  assert.notStrictEqual(run.status, 0);
  assert.match(run.stderr, /the machine is busy \(load \d+\.\d\d, others .*refusing to start a --full run.*--allow-busy/s);
  assert.strictEqual(run.stdout, '');
});

test('a saved report prints as text and as markdown, and re-judges with other thresholds', () => {
  const text = bench(['--report', savedReport], 60e3);
  assert.strictEqual(text.status, 0, text.stderr);
  assert.match(text.stdout, /^library\s+set\+evict/m);
  for (const label of ['memctl LRUCache', 'lru-cache', 'mnemonist LRUMap', 'lru.min', 'quick-lru', 'Map', 'memctl LimitableMap', 'JS LimitableMap']) {
    assert.match(text.stdout, new RegExp(`^${label.replace(/[.+()]/g, '\\$&')}\\s`, 'm'), label);
  }
  assert.match(text.stdout, /^vs lru-cache/m);
  assert.match(text.stdout, /^quiet = at the start of a run/m);
  assert.match(text.stdout, /^key shapes/m);
  assert.match(text.stdout, /^targets \(issue 8/m);
  assert.match(text.stdout, /^ {2}(PASS|FAIL) {4}get on hits, /m);
  const md = bench(['--report', savedReport, '--markdown'], 60e3);
  assert.strictEqual(md.status, 0, md.stderr);
  assert.match(md.stdout, /^\| library \| set\+evict \|/m);
  assert.match(md.stdout, /^\| target \| measured \| verdict \|/m);
  // The same figures under a threshold no run met: nothing timed is judged.
  const busy = bench(['--report', savedReport, ...FORCED_BUSY], 60e3);
  assert.strictEqual(busy.status, 0, busy.stderr);
  assert.match(busy.stdout, /get on hits, .*: not judged: machine busy \(load \d+\.\d\d, others \d+(\.\d)?% of a core\)/);
  assert.doesNotMatch(busy.stdout, /^ {2}(PASS|FAIL) {4}get on hits/m);
  const bad = bench(['--report', path.join(ROOT, 'package.json')], 60e3);
  assert.notStrictEqual(bad.status, 0);
});

test('memctl bench --sieve --tiny: hit rates and speeds per policy; memctl lru matches lru-cache hit for hit', () => {
  const run = bench(['--sieve', '--tiny', '--json', '--quiet', ...PERMISSIVE], 300e3);
  assert.strictEqual(run.status, 0, `bench failed:\n${run.stderr}`);
  const report = JSON.parse(run.stdout);
  assert.strictEqual(report.suite, 'policy');
  assert.deepStrictEqual(report.libs.policy, POLICY_LIBS);
  assert.deepStrictEqual(report.failures, []);
  // A build without 'sieve' skips it with the constructor's reason.
  for (const [lib, why] of Object.entries(report.missing)) {
    assert.strictEqual(lib, 'memctl-sieve');
    assert.match(why, /rejects policy 'sieve'/);
  }
  const pol = report.extra.policy;
  const jobs = ['zipf', 'zipfAside', 'zipfScan'];
  for (const lib of POLICY_LIBS.filter((l) => !report.missing[l])) {
    for (const j of jobs) {
      const c = pol[lib][j];
      assert.ok(c.ops.median > 0, `${lib}/${j} ops/s`);
      assert.ok(c.hitRate.median > 0 && c.hitRate.median < 1, `${lib}/${j} hit rate ${c.hitRate.median}`);
      // Deterministic: every round gives the same hit rate.
      assert.strictEqual(new Set(c.hitRate.samples).size, 1, `${lib}/${j} hit rates differ between rounds`);
    }
  }
  // Same LRU order, same stream: the same hits. FIFO evicts other entries.
  for (const j of jobs) assert.strictEqual(pol.memctl[j].hitRate.median, pol['lru-cache'][j].hitRate.median, `${j}: lru hit rates differ`);
  assert.notStrictEqual(pol['memctl-fifo'].zipfAside.hitRate.median, pol.memctl.zipfAside.hitRate.median);
  // Scans of cold keys: every scan get misses under every policy.
  assert.ok(pol.memctl.zipfScan.hitRateAll.median < pol.memctl.zipfScan.hitRate.median);
  const file = path.join(path.dirname(savedReport), 'sieve.json');
  fs.writeFileSync(file, run.stdout);
  const text = bench(['--report', file], 60e3);
  assert.strictEqual(text.status, 0, text.stderr);
  assert.match(text.stdout, /^memctl bench: eviction policies/m);
  assert.match(text.stdout, /^library\s+zipf hit rate\s+zipf ops\/s\s+zipf vs lru-cache\s+zipfAside hit rate/m);
  assert.match(text.stdout, /^memctl policy 'fifo'\s+\d+\.\d%/m);
});

test('bench options are checked', () => {
  assert.throws(() => parseArgs(['--frobnicate']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--rounds', '0']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--rounds']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--libs', 'lru-cache,nope']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--jobs', 'get1m,nope']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--max-load', '-1']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--max-others', 'lots']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--max-others']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--sieve', '--full']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.deepStrictEqual(parseArgs(['--jobs', 'get1m,mem1m']).jobs, ['get1m', 'mem1m']);
  assert.deepStrictEqual(parseArgs(['--jobs', 'get-str4k-100k,set-int-1M']).jobs, ['get-str4k-100k', 'set-int-1M']);
  const q = parseArgs([]);
  assert.deepStrictEqual([q.rounds, q.peerRounds, q.shapes, q.full], [3, 1, false, false]);
  assert.deepStrictEqual(q.thresholds, quiet.DEFAULT_THRESHOLDS);
  const f = parseArgs(['--full']);
  assert.deepStrictEqual([f.rounds, f.peerRounds, f.shapes, f.allowBusy], [3, 3, true, false]);
  const o = parseArgs(['--full', '--json', '--rounds', '5', '--max-load=0.5', '--max-others', '0.1', '--allow-busy']);
  assert.deepStrictEqual([o.full, o.json, o.rounds, o.mode, o.allowBusy], [true, true, 5, 'quick', true]);
  assert.deepStrictEqual(o.thresholds, { maxLoadPerCore: 0.5, maxOthersCores: 0.1 });
  assert.strictEqual(parseArgs(['--rounds', '2', '--peer-rounds', '9']).peerRounds, 2);
  assert.strictEqual(parseArgs(['--retry-busy', '3']).retryBusy, 3);
  assert.throws(() => parseArgs(['--retry-busy', '-1']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.strictEqual(parseArgs(['--jobs', 'get-int-10k']).shapes, true);
  assert.strictEqual(parseArgs(['--jobs', 'get1m']).shapes, false);
  const help = bench(['--help'], 60e3);
  for (const opt of ['--full', '--shapes', '--sieve', '--max-load', '--max-others', '--allow-busy', '--retry-busy', '--peer-rounds', '--rounds']) assert.match(help.stdout, new RegExp(`^ {2}${opt} `, 'm'), opt);
});

test('quietness: other processes are the machine\'s busy time less this tree\'s own; pairs pool their runs', () => {
  const a = { at: 0, load: [0.2, 0.2, 0.2], busy: 1000, total: 5000, cpus: 2, own: 300 };
  const b = { at: 10000, load: [0.9, 0.3, 0.2], busy: 2100, total: 7000, cpus: 2, own: 1300 };
  const iv = quiet.interval(a, b);
  // 2000 ticks over 2 CPUs = 1000 ticks of wall time; 1100 busy, 1000 ours.
  assert.deepStrictEqual([iv.wallTicks, iv.ownTicks, iv.othersTicks, iv.othersCores, iv.ownCores], [1000, 1000, 100, 0.1, 1]);
  const meter = new quiet.QuietMeter({ maxLoadPerCore: 0.3, maxOthersCores: 0.05 });
  const fig = meter.figures(a, 0.1, b);
  assert.strictEqual(fig.loadPerCore, 0.05); // (0.2 - 0.1 own) / 2 cores
  assert.strictEqual(fig.quiet, false);
  assert.match(fig.busy, /others 10% of a core >= 5\.0%/);
  assert.strictEqual(quiet.describe(fig), 'load 0.20, others 10% of a core');
  const q1 = { load1: 0.1, loadPerCore: 0.01, othersCores: 0.02, othersTicks: 4, wallTicks: 200 };
  const q2 = { load1: 0.2, loadPerCore: 0.05, othersCores: 0.09, othersTicks: 18, wallTicks: 200 };
  const pooled = quiet.poolFigures([q1, q2], { maxOthersCores: 0.05 });
  assert.strictEqual(pooled.othersCores, 0.055);
  assert.strictEqual(pooled.quiet, false);
  assert.strictEqual(quiet.poolFigures([q1, q1], {}).quiet, true);
  assert.strictEqual(quiet.poolFigures([q1, null], {}).quiet, false);
  assert.strictEqual(quiet.judge(q1, { maxOthersCores: 0 }).quiet, false);
  // Judging: only quiet pairs count; none quiet -> not judged, with figures.
  const busyQ = { ...q2, quiet: false, busy: 'x', load1: 1.4, othersCores: 0.37, othersTicks: 74 };
  const j = judgePairs([{ round: 0, ratio: 3, quiet: busyQ }], 1, quiet.DEFAULT_THRESHOLDS);
  assert.strictEqual(j.pass, null);
  assert.strictEqual(j.notJudged, 'not judged: machine busy (load 1.40, others 37% of a core)');
  const quietQ = { ...q1, quiet: true, busy: null };
  const k = judgePairs([{ round: 0, ratio: 3, quiet: busyQ }, { round: 1, ratio: 0.9, quiet: quietQ }, { round: 2, ratio: 1.1, quiet: quietQ }], 1, quiet.DEFAULT_THRESHOLDS);
  assert.strictEqual(k.value, 1);
  assert.strictEqual(k.pass, true);
  assert.match(k.measured, /median of 2 quiet pairs: 0\.90, 1\.10; 1 busy pair left out/);
});

test('the quiet meter reads /proc on this machine', async () => {
  const meter = new quiet.QuietMeter();
  assert.strictEqual(meter.available, true);
  const fig = await meter.idle(50);
  checkQuietFigures(fig, 'idle');
  const { value, quiet: q } = meter.runSync(() => spawnSync(process.execPath, ['-e', 'let x = 0; for (let i = 0; i < 3e7; i++) x += i;']));
  assert.strictEqual(value.status, 0);
  checkQuietFigures(q, 'child');
  // The child's CPU is this tree's own (reaped: in cutime), never "others".
  assert.ok(q.ownTicks > 0, `own ticks ${q.ownTicks}`);
});

test('a missing peer gives an install hint', () => {
  assert.throws(() => requirePeer('memctl-no-such-peer-package'), (err) => {
    assert.strictEqual(err.code, 'ERR_MEMCTL_BENCH_PEER_MISSING');
    assert.match(err.message, /npm install/);
    return true;
  });
});

test('keys are distinct 16-byte strings, values 100-byte strings, both deterministic', () => {
  const keys = data.makeKeys(42, 50000);
  assert.strictEqual(new Set(keys).size, keys.length);
  for (const k of keys.slice(0, 1000)) assert.strictEqual(Buffer.byteLength(k, 'latin1'), data.KEY_BYTES);
  assert.deepStrictEqual(data.makeKeys(42, 100), keys.slice(0, 100));
  assert.notDeepStrictEqual(data.makeKeys(43, 100), keys.slice(0, 100));
  const v = data.valueFor(keys[7]);
  assert.strictEqual(v.length, data.VALUE_BYTES);
  assert.ok(v.startsWith(keys[7]));
  assert.strictEqual(v, data.valueFor(keys[7]));
  assert.notStrictEqual(v, data.valueFor(keys[8]));
  const pool = data.makeValuePool(1, 64);
  assert.strictEqual(new Set(pool).size, 64);
});

test('every key shape gives distinct, deterministic keys of its size', () => {
  for (const [shape, def] of Object.entries(data.SHAPES)) {
    const keys = data.makeKeysOf(shape, 42, shape === 'str4k' ? 2000 : 20000);
    assert.strictEqual(new Set(keys).size, keys.length, shape);
    assert.deepStrictEqual(data.makeKeysOf(shape, 42, 50), keys.slice(0, 50), shape);
    if (typeof keys[0] === 'string' && shape !== 'strint') for (const k of keys.slice(0, 100)) assert.strictEqual(k.length, def.bytes, shape);
  }
  assert.ok(data.makeKeysOf('int', 1, 1000).every((k) => Number.isInteger(k) && k >= 0 && k < 2 ** 30));
  assert.ok(data.makeKeysOf('float', 1, 1000).every((k) => typeof k === 'number' && !Number.isInteger(k)));
  assert.ok(data.makeKeysOf('strint', 1, 1000).every((k) => /^\d+$/.test(k)));
  assert.ok(data.makeKeysOf('url256', 1, 10).every((k) => k.startsWith('https://')));
});

test('the Zipf stream is in range and skewed towards low ranks', () => {
  const ranks = data.zipfStream(3, 1000, 0.99, 20000);
  const counts = new Array(1000).fill(0);
  for (const r of ranks) {
    assert.ok(r >= 0 && r < 1000);
    counts[r]++;
  }
  // Rank 0 has probability 1/H(1000, 0.99) ~ 0.13; rank 999 ~ 0.0002.
  assert.ok(counts[0] > counts[10] && counts[10] > counts[999], `counts ${counts[0]} ${counts[10]} ${counts[999]}`);
  assert.deepStrictEqual(data.zipfStream(3, 1000, 0.99, 100), ranks.slice(0, 100));
  const mix = data.opMix(5, 10000, 0.1);
  const sets = mix.reduce((a, b) => a + b, 0);
  assert.ok(sets > 700 && sets < 1300, `sets ${sets}`);
  const p = data.permutation(9, 1000);
  assert.deepStrictEqual([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
});

// FIFO reference model: insertion order, updates keep their place.
function checkFifo(make, limit, ops) {
  const m = make(limit);
  const model = new Map();
  const rand = data.prng(11);
  for (let i = 0; i < ops; i++) {
    const k = `k${Math.floor(rand() * limit * 3)}`;
    if (rand() < 0.5) {
      if (!model.has(k) && model.size >= limit) model.delete(model.keys().next().value);
      model.set(k, i);
      m.set(k, i);
    } else {
      assert.strictEqual(m.get(k), model.get(k), `get ${k} after ${i} ops`);
    }
  }
}

test('the Map and classic LimitableMap peers evict in FIFO order', () => {
  checkFifo((n) => new FifoMap(n), 50, 20000);
  checkFifo((n) => new ClassicLimitableMap(n), 50, 20000);
});
