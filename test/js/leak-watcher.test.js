'use strict';
// LeakWatcher API: argument checks, gauges and their errors, 'stats' and
// 'leak' events on forced GCs (in children run with --expose-gc), workers,
// process lifetime, usage() and the cgroup reader.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { run } = require('./fixtures/leak-child');

const root = path.join(__dirname, '..', '..');
const memctl = require(root);
const { LeakWatcher, usage } = memctl;
const { cgroupMemory: _cgroupMemory } = require(path.join(root, 'lib', 'cgroup'));

const throwsCode = (fn, type, code) => assert.throws(fn, (e) => e instanceof type && e.code === code);

test('the package exports LeakWatcher and usage', () => {
  assert.strictEqual(typeof LeakWatcher, 'function');
  assert.strictEqual(typeof usage, 'function');
  assert.ok(!('_cgroupMemory' in memctl));
});

test('constructor options are validated with codes', () => {
  throwsCode(() => new LeakWatcher({ detector: 'bogus' }), TypeError, 'ERR_MEMCTL_INVALID_ARG_VALUE');
  throwsCode(() => new LeakWatcher({ detector: 5 }), TypeError, 'ERR_MEMCTL_INVALID_ARG_VALUE');
  throwsCode(() => new LeakWatcher('trend'), TypeError, 'ERR_MEMCTL_INVALID_ARG_TYPE');
  throwsCode(() => new LeakWatcher(null), TypeError, 'ERR_MEMCTL_INVALID_ARG_TYPE');
  throwsCode(() => new LeakWatcher({ consecutive: 0 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ consecutive: 2.5 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ consecutive: '5' }), TypeError, 'ERR_MEMCTL_INVALID_ARG_TYPE');
  throwsCode(() => new LeakWatcher({ minGrowth: 0 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ minGrowth: NaN }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ minDuration: -1 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ history: 4 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ history: 513 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ minSamples: 2 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ history: 8, minSamples: 9 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ interval: 1 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  throwsCode(() => new LeakWatcher({ interval: 'fast' }), TypeError, 'ERR_MEMCTL_INVALID_ARG_TYPE');
  throwsCode(() => new LeakWatcher({ warmup: Infinity }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  const w = new LeakWatcher({ detector: 'consecutive', consecutive: 3 });
  assert.strictEqual(w.detector, 'consecutive');
  w.close();
});

test('gauge arguments are validated with codes; gauges can be removed', () => {
  const w = new LeakWatcher();
  throwsCode(() => w.gauge(1, () => 1), TypeError, 'ERR_MEMCTL_INVALID_ARG_TYPE');
  throwsCode(() => w.gauge('', () => 1), TypeError, 'ERR_MEMCTL_INVALID_ARG_VALUE');
  throwsCode(() => w.gauge('q', 5), TypeError, 'ERR_MEMCTL_INVALID_ARG_TYPE');
  throwsCode(() => w.gauge('q', () => 1, 'x'), TypeError, 'ERR_MEMCTL_INVALID_ARG_TYPE');
  throwsCode(() => w.gauge('q', () => 1, { unit: 'kg' }), TypeError, 'ERR_MEMCTL_INVALID_ARG_VALUE');
  throwsCode(() => w.gauge('q', () => 1, { detector: 'nope' }), TypeError, 'ERR_MEMCTL_INVALID_ARG_VALUE');
  throwsCode(() => w.gauge('q', () => 1, { minGrowth: -1 }), RangeError, 'ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(w.gauge('q', () => 1), w);
  throwsCode(() => w.gauge('q', () => 2), TypeError, 'ERR_MEMCTL_INVALID_ARG_VALUE');
  assert.deepStrictEqual(w.gauges(), ['q']);
  throwsCode(() => w.removeGauge(7), TypeError, 'ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(w.removeGauge('nope'), false);
  assert.strictEqual(w.removeGauge('q'), true);
  assert.deepStrictEqual(w.gauges(), []);
  w.gauge('q', () => 2); // the name is free again
  w.close();
});

test('a growing gauge emits growth; failing gauges report errors and never stop the others', () => {
  const w = new LeakWatcher();
  let n = 0;
  let bad = 0;
  w.gauge('queue', () => (n += 5), { minDuration: 0, minGrowth: 1 });
  w.gauge('throws', () => { bad++; throw new Error('boom'); });
  w.gauge('string', () => 'many');
  w.gauge('nan', () => NaN);
  const growth = [];
  const errors = [];
  w.on('growth', (g) => growth.push(g));
  w.on('error', (e) => errors.push(e));
  for (let i = 0; i < 12; i++) w.sampleGauges();
  assert.strictEqual(bad, 12, 'the throwing gauge keeps being sampled');
  assert.ok(growth.length >= 1, 'the healthy gauge still reports growth');
  const g = growth[0];
  assert.strictEqual(g.name, 'queue');
  assert.strictEqual(g.unit, 'count');
  assert.ok(g.start instanceof Date && g.end instanceof Date);
  assert.ok(g.growth > 0 && Number.isFinite(g.rate));
  assert.match(g.reason, /^queue growth over \d+ samples \(\d+ms\) - [\d.]+\/hr$/);
  const codes = new Set(errors.map((e) => `${e.gauge}:${e.code}`));
  assert.deepStrictEqual([...codes].sort(), [
    'nan:ERR_MEMCTL_GAUGE_NOT_NUMBER',
    'string:ERR_MEMCTL_GAUGE_NOT_NUMBER',
    'throws:ERR_MEMCTL_GAUGE_THREW',
  ]);
  const threw = errors.find((e) => e.gauge === 'throws');
  assert.strictEqual(threw.cause.message, 'boom');
  assert.ok(errors.find((e) => e.gauge === 'string') instanceof TypeError);
  w.close();
});

test('without an error listener a failing gauge becomes one process warning, not a crash', async () => {
  const w = new LeakWatcher();
  w.gauge('broken', () => { throw new Error('x'); });
  const warnings = [];
  const onWarning = (wn) => warnings.push(wn);
  process.on('warning', onWarning);
  w.sampleGauges();
  w.sampleGauges();
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  const ours = warnings.filter((wn) => wn.code === 'ERR_MEMCTL_GAUGE_THREW');
  assert.strictEqual(ours.length, 1);
  w.close();
});

test('a closed watcher throws ERR_MEMCTL_CLOSED; close is idempotent', () => {
  const w = new LeakWatcher().start();
  assert.strictEqual(w.running, true);
  w.close();
  w.close();
  assert.strictEqual(w.running, false);
  throwsCode(() => w.start(), Error, 'ERR_MEMCTL_CLOSED');
  throwsCode(() => w.stats(), Error, 'ERR_MEMCTL_CLOSED');
  throwsCode(() => w.gauge('a', () => 1), Error, 'ERR_MEMCTL_CLOSED');
});

test('after close() every method but close() throws ERR_MEMCTL_CLOSED', () => {
  const w = new LeakWatcher().start();
  w.gauge('queue', () => 1);
  w.close();
  throwsCode(() => w.stop(), Error, 'ERR_MEMCTL_CLOSED');
  throwsCode(() => w.removeGauge('queue'), Error, 'ERR_MEMCTL_CLOSED');
  throwsCode(() => w.removeGauge(42), Error, 'ERR_MEMCTL_CLOSED');
  throwsCode(() => w.gauges(), Error, 'ERR_MEMCTL_CLOSED');
  throwsCode(() => w.sampleGauges(), Error, 'ERR_MEMCTL_CLOSED');
  assert.strictEqual(w.close(), undefined);
  assert.strictEqual(w.running, false);
  assert.strictEqual(w.detector, 'trend');
});

test('stats() gives memwatch fields before any GC', () => {
  const w = new LeakWatcher();
  const s = w.stats();
  for (const k of ['num_full_gc', 'num_inc_gc', 'heap_compactions', 'usage_trend', 'estimated_base',
    'current_base', 'min', 'max', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'rss',
    'gcDuration', 'timestamp', 'delay']) {
    assert.strictEqual(typeof s[k], 'number', k);
  }
  assert.ok(s.heapUsed > 0);
  w.close();
});

const watcherPath = JSON.stringify(root);

test('stats after every full GC and a consecutive-rule leak, with forced GCs', async () => {
  const script = `
    const { LeakWatcher } = require(${watcherPath});
    const w = new LeakWatcher({ detector: 'consecutive', consecutive: 5 }).start();
    const stats = [], leaks = [];
    w.on('stats', (s) => stats.push(s));
    w.on('leak', (l) => leaks.push({ ...l, start: l.start.toISOString(), end: l.end.toISOString() }));
    const kept = [];
    let i = 0;
    function step() {
      // 2 MB more live heap before each forced full GC.
      for (let j = 0; j < 20000; j++) kept.push({ i, j, s: 'x' + j });
      gc();
      if (++i < 8) setTimeout(step, 20);
      else setTimeout(() => { console.log(JSON.stringify({ stats, leaks })); w.close(); }, 50);
    }
    step();
  `;
  const res = await run(['-e', script], { execArgv: ['--expose-gc'] });
  assert.strictEqual(res.code, 0, res.stderr);
  const { stats, leaks } = res.events[0];
  assert.ok(stats.length >= 8, `stats after each forced GC (got ${stats.length})`);
  for (let k = 1; k < stats.length; k++) {
    assert.ok(stats[k].num_full_gc > stats[k - 1].num_full_gc);
    assert.ok(stats[k].current_base > 0);
    assert.strictEqual(stats[k].heap_compactions, stats[k].num_full_gc);
    assert.ok(stats[k].gcDuration >= 0 && stats[k].delay >= 0 && stats[k].timestamp > 1.6e12);
  }
  const last = stats[stats.length - 1];
  assert.ok(last.usage_trend > 0, 'a growing heap trends up');
  assert.ok(last.max >= last.min && last.min > 0);
  assert.ok(leaks.length >= 1);
  const l = leaks[0];
  for (const k of ['start', 'end', 'growth', 'reason']) assert.ok(k in l, k);
  assert.ok(l.growth > 0);
  assert.match(l.reason, /^heap growth over 5 consecutive GCs \((\d+ms|(\d+h )?(\d+m )?\d+s)\) - [\d.]+ (bytes|kb|mb|gb)\/hr$/);
});

test('a shrinking heap gives a negative usage_trend', async () => {
  const script = `
    const { LeakWatcher } = require(${watcherPath});
    const w = new LeakWatcher().start();
    const stats = [];
    w.on('stats', (s) => stats.push(s.usage_trend));
    let big = [];
    for (let j = 0; j < 400000; j++) big.push({ j, s: 'x' + j });
    let i = 0;
    function step() {
      if (i === 12) big = null; // drop ~40 MB
      gc();
      if (++i < 30) setTimeout(step, 5);
      else setTimeout(() => { console.log(JSON.stringify(stats)); w.close(); }, 50);
    }
    step();
  `;
  const res = await run(['-e', script], { execArgv: ['--expose-gc'] });
  assert.strictEqual(res.code, 0, res.stderr);
  const trends = res.events[0];
  assert.ok(trends[trends.length - 1] < 0, `last usage_trend ${trends[trends.length - 1]}`);
});

test('the watcher never keeps the process alive', async () => {
  const script = `
    const { LeakWatcher } = require(${watcherPath});
    const w = new LeakWatcher({ interval: 20 }).start();
    w.gauge('g', () => 1);
    w.on('stats', () => {});
    w.on('leak', () => {});
    process.on('exit', () => console.log(JSON.stringify({ exited: true, running: w.running })));
  `;
  const res = await run(['-e', script], { timeout: 30000 });
  assert.strictEqual(res.signal, null, 'the child had to be killed');
  assert.strictEqual(res.code, 0);
  assert.deepStrictEqual(res.events, [{ exited: true, running: true }]);
});

test('works in worker_threads: GC stats, gauges, usage(), exit with a watcher running', async () => {
  const script = `
    const { Worker } = require('node:worker_threads');
    const src = \`
      const { parentPort } = require('node:worker_threads');
      const { LeakWatcher, usage } = require(${watcherPath});
      const w = new LeakWatcher().start();
      let n = 0, stats = 0, growth = 0;
      w.gauge('n', () => (n += 100), { minDuration: 0, minGrowth: 1 });
      w.on('stats', () => stats++);
      w.on('growth', () => growth++);
      for (let i = 0; i < 10; i++) w.sampleGauges();
      const keep = [];
      for (let i = 0; i < 3; i++) { keep.push(new Array(1e5).fill(i)); gc(); }
      setTimeout(() => {
        const u = usage();
        parentPort.postMessage({ stats, growth, full: w.stats().num_full_gc, limit: u.heapSizeLimit });
        // The second worker exits with its watcher still running: the
        // environment cleanup frees it.
        if (require('node:worker_threads').workerData !== 'leave-open') w.close();
      }, 50);
    \`;
    const results = [];
    let left = 2;
    for (let k = 0; k < 2; k++) {
      const wk = new Worker(src, { eval: true, workerData: k === 1 ? 'leave-open' : null });
      wk.on('message', (m) => results.push(m));
      wk.on('exit', () => { if (--left === 0) console.log(JSON.stringify(results)); });
    }
  `;
  const res = await run(['-e', script], { execArgv: ['--expose-gc'] });
  assert.strictEqual(res.code, 0, res.stderr);
  const results = res.events[0];
  assert.strictEqual(results.length, 2);
  for (const r of results) {
    assert.ok(r.stats >= 3, `stats events in the worker: ${r.stats}`);
    assert.ok(r.full >= 3);
    assert.ok(r.growth >= 1);
    assert.ok(r.limit > 0);
  }
});

test('many watchers created and dropped are released (no crash on GC)', async () => {
  const script = `
    const { LeakWatcher } = require(${watcherPath});
    for (let i = 0; i < 2000; i++) { const w = new LeakWatcher(); w.gauge('a', () => i); }
    gc(); gc();
    setTimeout(() => { gc(); console.log(JSON.stringify({ ok: true })); }, 20);
  `;
  const res = await run(['-e', script], { execArgv: ['--expose-gc'] });
  assert.strictEqual(res.code, 0, res.stderr);
  assert.deepStrictEqual(res.events, [{ ok: true }]);
});

test('usage() reports process, V8, system, cgroup and off-heap memory', () => {
  const u = usage();
  for (const k of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers', 'heapSizeLimit']) {
    assert.ok(Number.isFinite(u[k]) && u[k] >= 0, k);
  }
  assert.ok(u.heapSizeLimit > u.heapUsed);
  assert.strictEqual(u.v8.heap_size_limit, u.heapSizeLimit);
  assert.ok(u.system.total >= u.system.free && u.system.free > 0);
  assert.ok(u.cgroup === null || [1, 2].includes(u.cgroup.version));
  if (u.cgroup) assert.ok(u.cgroup.limit === null || u.cgroup.limit > 0);
  assert.strictEqual(typeof u.offHeap.total, 'number');
});

test('the cgroup reader handles v1, v2, "max", ancestors and namespaces', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-cg-'));
  const put = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  try {
    // v2, no limit anywhere.
    put('v2a/app/memory.max', 'max\n');
    put('v2a/app/memory.current', '12345\n');
    assert.deepStrictEqual(_cgroupMemory(path.join(dir, 'v2a'), '0::/app\n'),
      { version: 2, path: '/app', limit: null, usage: 12345 });
    // v2, a parent limit is tighter than the child's.
    put('v2b/memory.max', 'max\n');
    put('v2b/svc/memory.max', '1073741824\n');
    put('v2b/svc/app/memory.max', '6442450944\n');
    put('v2b/svc/app/memory.current', '6000000000\n');
    assert.deepStrictEqual(_cgroupMemory(path.join(dir, 'v2b'), '0::/svc/app\n'),
      { version: 2, path: '/svc/app', limit: 1073741824, usage: 6000000000 });
    // v2 in a cgroup namespace: the listed path is not under the mount.
    put('v2c/memory.max', '5368709121\n');
    assert.strictEqual(_cgroupMemory(path.join(dir, 'v2c'), '0::/elsewhere\n').limit, 5368709121);
    // v1 (hybrid hierarchy): the memory controller line wins; the huge
    // "unlimited" value is no limit.
    put('v1/memory/memory.limit_in_bytes', '9223372036854771712\n');
    put('v1/memory/box/memory.limit_in_bytes', '9223372036854771712\n');
    put('v1/memory/box/memory.usage_in_bytes', '731021312\n');
    const proc = '4:memory:/box\n3:cpu,cpuacct:/\n0::/\n';
    assert.deepStrictEqual(_cgroupMemory(path.join(dir, 'v1'), proc),
      { version: 1, path: '/box', limit: null, usage: 731021312 });
    put('v1/memory/box/memory.limit_in_bytes', '536870912\n');
    assert.strictEqual(_cgroupMemory(path.join(dir, 'v1'), proc).limit, 536870912);
    // No memory cgroup at all.
    assert.strictEqual(_cgroupMemory(path.join(dir, 'none'), '0::/\n'), null);
    assert.strictEqual(_cgroupMemory(path.join(dir, 'none'), ''), null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the in-process addon loads the leak functions in a worker too', async () => {
  const src = `
    const { parentPort } = require('node:worker_threads');
    const { LeakWatcher } = require(${watcherPath});
    const w = new LeakWatcher();
    parentPort.postMessage(typeof w.stats().num_full_gc);
    w.close();
  `;
  const out = await new Promise((resolve, reject) => {
    const wk = new Worker(src, { eval: true });
    wk.once('message', resolve);
    wk.once('error', reject);
  });
  assert.strictEqual(out, 'number');
});
