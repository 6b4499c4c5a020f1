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
const data = require('../../bench/cache-data');
const { FifoMap, ClassicLimitableMap, requirePeer, CACHE_LIBS, LIMITABLE_LIBS } = require('../../bench/cache-libs');
const { parseArgs } = require('../../bench/cache');

const CACHE_METRICS = ['setEvict', 'get100k', 'get1m', 'zipf', 'zipfHitRate', 'heapPerEntry1m', 'rssPerEntry1m', 'gc1m', 'gc10m', 'maxEntries'];
const LIMITABLE_METRICS = ['setEvict', 'get100k', 'heapPerEntry1m', 'rssPerEntry1m', 'gc1m'];
const TARGETS = ['get1m', 'setEvict', 'heap1m', 'rss1m', 'gc10m', 'hold50m'];
const savedReport = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-bench-')), 'report.json');
test.after(() => fs.rmSync(path.dirname(savedReport), { recursive: true, force: true }));

test('memctl bench --tiny --json reports every library, metric and target', () => {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'memctl.js'), 'bench', '--tiny', '--json', '--quiet'], {
    encoding: 'utf8', timeout: 600e3, maxBuffer: 64 * 1024 * 1024,
  });
  assert.strictEqual(run.status, 0, `bench failed:\n${run.stderr}`);
  const report = JSON.parse(run.stdout);
  fs.writeFileSync(savedReport, run.stdout);
  assert.strictEqual(report.mode, 'tiny');
  assert.deepStrictEqual(report.missing, {}, 'a library was skipped');
  assert.deepStrictEqual(report.failures, []);
  assert.deepStrictEqual(report.libs.cache, CACHE_LIBS);
  assert.deepStrictEqual(report.libs.limitable, LIMITABLE_LIBS);
  for (const [group, metrics] of [['cache', CACHE_METRICS], ['limitable', LIMITABLE_METRICS]]) {
    for (const lib of report.libs[group]) {
      const row = report.results[group][lib];
      assert.deepStrictEqual(Object.keys(row).sort(), [...metrics].sort(), `${group}/${lib} metrics`);
      for (const m of metrics) {
        assert.strictEqual(typeof row[m].median, 'number', `${group}/${lib}/${m} has no value`);
        assert.ok(Number.isFinite(row[m].median), `${group}/${lib}/${m} is not finite`);
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
  for (const t of report.targets) assert.strictEqual(typeof t.pass, 'boolean', `target ${t.id} was not judged`);
  assert.strictEqual(typeof report.machine.cores, 'number');
});

test('a saved report prints as text and as markdown', () => {
  const run = (args) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'memctl.js'), 'bench', ...args], { encoding: 'utf8', timeout: 60e3 });
  const text = run(['--report', savedReport]);
  assert.strictEqual(text.status, 0, text.stderr);
  assert.match(text.stdout, /^library\s+set\+evict/m);
  for (const label of ['memctl LRUCache', 'lru-cache', 'mnemonist LRUMap', 'lru.min', 'quick-lru', 'Map', 'memctl LimitableMap', 'JS LimitableMap']) {
    assert.match(text.stdout, new RegExp(`^${label.replace(/[.+()]/g, '\\$&')}\\s`, 'm'), label);
  }
  assert.match(text.stdout, /^vs lru-cache/m);
  assert.match(text.stdout, /^targets \(issue 2\)/m);
  const md = run(['--report', savedReport, '--markdown']);
  assert.strictEqual(md.status, 0, md.stderr);
  assert.match(md.stdout, /^\| library \| set\+evict \|/m);
  assert.match(md.stdout, /^\| target \| measured \| verdict \|/m);
  const bad = run(['--report', path.join(ROOT, 'package.json')]);
  assert.notStrictEqual(bad.status, 0);
});

test('bench options are checked', () => {
  assert.throws(() => parseArgs(['--frobnicate']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--rounds', '0']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--rounds']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--libs', 'lru-cache,nope']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.throws(() => parseArgs(['--jobs', 'get1m,nope']), { code: 'ERR_MEMCTL_BENCH_USAGE' });
  assert.deepStrictEqual(parseArgs(['--jobs', 'get1m,mem1m']).jobs, ['get1m', 'mem1m']);
  assert.strictEqual(parseArgs([]).rounds, 1);
  assert.strictEqual(parseArgs(['--full']).rounds, 3);
  const o = parseArgs(['--full', '--json', '--rounds', '5']);
  assert.deepStrictEqual([o.full, o.json, o.rounds, o.mode], [true, true, 5, 'quick']);
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
