'use strict';
// require('memctl/memwatch'): the memwatch-next drop-in.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { run } = require('./fixtures/leak-child');

const root = path.join(__dirname, '..', '..');

test('gc() works without --expose-gc (V8\'s collector obtained at run time)', async () => {
  const script = `
    const memwatch = require(require.resolve('memctl/memwatch', { paths: [${JSON.stringify(root)}] }));
    let before = 0;
    for (let i = 0; i < 50000; i++) before += { i }.i; // some garbage
    memwatch.gc();
    memwatch.gc();
    console.log(JSON.stringify({ ok: true, exposed: typeof globalThis.gc, vmGc: typeof require('vm').runInNewContext('typeof gc') }));
  `;
  const res = await run(['-e', script], { execArgv: [], env: { ...process.env, NODE_OPTIONS: '' } });
  assert.strictEqual(res.code, 0, res.stderr);
  // gc() does not leak the flag: neither this context nor later ones get a global gc
  assert.deepStrictEqual(res.events, [{ ok: true, exposed: 'undefined', vmGc: 'string' }]);
});

test("on('stats') and on('leak') through the package path, with memwatch.gc()", async () => {
  // Run from the package root so the package can require itself by name.
  const script = `
    process.chdir(${JSON.stringify(root)});
    const memwatch = require(require.resolve('memctl/memwatch', { paths: [${JSON.stringify(root)}] }));
    memwatch.configure({ detector: 'consecutive', consecutive: 3 });
    const stats = [], leaks = [];
    memwatch.on('stats', (s) => stats.push(s));
    memwatch.on('leak', (l) => leaks.push(l));
    const kept = [];
    let i = 0;
    (function step() {
      for (let j = 0; j < 20000; j++) kept.push({ j, s: 'x' + j });
      memwatch.gc();
      if (++i < 6) return setTimeout(step, 10);
      setTimeout(() => {
        console.log(JSON.stringify({
          stats: stats.length,
          fields: Object.keys(stats[0]),
          leaks: leaks.map((l) => ({ keys: Object.keys(l), reason: l.reason, dates: l.start instanceof Date && l.end instanceof Date })),
        }));
        memwatch.removeAllListeners('stats');
        memwatch.removeAllListeners('leak');
      }, 50);
    })();
  `;
  const res = await run(['-e', script], { execArgv: ['--expose-gc'], timeout: 60000 });
  assert.strictEqual(res.code, 0, res.stderr);
  assert.strictEqual(res.signal, null);
  const out = res.events[0];
  assert.ok(out.stats >= 6);
  for (const k of ['num_full_gc', 'num_inc_gc', 'heap_compactions', 'usage_trend', 'estimated_base', 'current_base', 'min', 'max']) {
    assert.ok(out.fields.includes(k), k);
  }
  assert.ok(out.leaks.length >= 1);
  for (const k of ['start', 'end', 'growth', 'reason']) assert.ok(out.leaks[0].keys.includes(k), k);
  assert.ok(out.leaks[0].dates);
  assert.match(out.leaks[0].reason, /^heap growth over 3 consecutive GCs/);
});

test('configure() validates its options with codes', () => {
  const memwatch = require(path.join(root, 'lib', 'memwatch'));
  assert.throws(() => memwatch.configure({ detector: 'magic' }), (e) => e instanceof TypeError && e.code === 'ERR_MEMCTL_INVALID_ARG_VALUE');
  assert.throws(() => memwatch.configure({ consecutive: -1 }), (e) => e instanceof RangeError && e.code === 'ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(memwatch.configure({}), memwatch);
});

test('HeapDiff is a working memwatch HeapDiff (fails when HeapDiff breaks)', () => {
  const memwatch = require(path.join(root, 'lib', 'memwatch'));
  assert.strictEqual(typeof memwatch.HeapDiff, 'function');
  class MemwatchProbe {}
  const hd = new memwatch.HeapDiff();
  const kept = [];
  for (let i = 0; i < 300; i++) kept.push(new MemwatchProbe());
  const diff = hd.end();
  assert.deepStrictEqual(Object.keys(diff), ['before', 'after', 'change']);
  assert.deepStrictEqual(Object.keys(diff.change), ['size_bytes', 'size', 'freed_nodes', 'allocated_nodes', 'details']);
  const probe = diff.change.details.find((d) => d.what === 'MemwatchProbe');
  assert.ok(probe, 'the allocated class is in the details');
  assert.strictEqual(probe['+'], 300);
  assert.strictEqual(probe['-'], 0);
  assert.throws(() => hd.end(), { code: 'ERR_MEMCTL_HEAPDIFF_ENDED' });
  assert.strictEqual(kept.length, 300);
});

test('requiring memwatch or reading HeapDiff does not load the snapshot module (it loads on the first HeapDiff)', async () => {
  const script = `
    const memwatch = require(${JSON.stringify(path.join(root, 'lib', 'memwatch.js'))});
    const snapshotFile = require.resolve(${JSON.stringify(path.join(root, 'lib', 'snapshot.js'))});
    const loadedBefore = snapshotFile in require.cache;
    let kind, code;
    try { kind = typeof memwatch.HeapDiff; } catch (e) { code = e.code; }
    console.log(JSON.stringify({ loadedBefore, kind, code, loadedAfter: snapshotFile in require.cache }));
  `;
  const res = await run(['-e', script]);
  assert.strictEqual(res.code, 0, res.stderr);
  const out = res.events[0];
  assert.strictEqual(out.loadedBefore, false, 'requiring memwatch does not load the snapshot module');
  assert.strictEqual(out.loadedAfter, false, 'reading memwatch.HeapDiff does not load the snapshot module');
  // This build ships HeapDiff: reading it must give the class, not the
  // ERR_MEMCTL_NOT_AVAILABLE error meant for builds without it.
  assert.strictEqual(out.code, undefined, 'memwatch.HeapDiff threw');
  assert.strictEqual(out.kind, 'function');
});

test('removing the last listener stops the watcher (the process can exit)', async () => {
  const script = `
    const memwatch = require(${JSON.stringify(path.join(root, 'lib', 'memwatch.js'))});
    const f = () => {};
    memwatch.on('stats', f);
    memwatch.on('leak', f);
    memwatch.off('stats', f);
    memwatch.off('leak', f);
    process.on('exit', () => console.log(JSON.stringify({ exited: true })));
  `;
  const res = await run(['-e', script], { timeout: 30000 });
  assert.strictEqual(res.signal, null);
  assert.deepStrictEqual(res.events, [{ exited: true }]);
});
