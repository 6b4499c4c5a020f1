'use strict';
// Caches in worker_threads, and native memory released when caches are
// collected (child processes with --expose-gc).
const test = require('node:test');
const assert = require('node:assert');
const { Worker } = require('node:worker_threads');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..', '..');

test('caches work in several worker_threads at once and die with them', async () => {
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { LRUCache, LimitableMap } = require(${JSON.stringify(root)});
    const c = new LRUCache({ max: 1000 });
    for (let i = 0; i < 5000; i++) c.set(i, { worker: workerData, i, buf: Buffer.alloc(16, i) });
    const m = new LimitableMap(3);
    for (const k of ['a', 'b', 'c', 'd']) m.set(k, workerData);
    // one cache left open on purpose: the environment cleanup frees it
    const last = c.get(4999);
    parentPort.postMessage({ size: c.size, last, isBuffer: Buffer.isBuffer(last.buf), keys: [...m.keys()], miss: c.get(0) });
  `;
  const results = await Promise.all([1, 2, 3].map((id) => new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: id });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  results.forEach((r, i) => {
    assert.strictEqual(r.size, 1000);
    assert.strictEqual(r.isBuffer, true);
    assert.deepStrictEqual({ ...r.last, buf: Buffer.from(r.last.buf) }, { worker: i + 1, i: 4999, buf: Buffer.alloc(16, 4999 & 255) });
    assert.deepStrictEqual(r.keys, ['b', 'c', 'd']);
    assert.strictEqual(r.miss, undefined);
  });
});

test('a worker terminated mid-use does not disturb caches elsewhere', async () => {
  const { LRUCache } = require(root);
  const here = new LRUCache({ max: 10 });
  here.set('k', 'v');
  const src = `
    const { parentPort } = require('node:worker_threads');
    const { LRUCache } = require(${JSON.stringify(root)});
    const c = new LRUCache({ max: 100000 });
    parentPort.postMessage('ready');
    for (let i = 0; ; i++) c.set(i, 'x'.repeat(50));
  `;
  const w = new Worker(src, { eval: true });
  await new Promise((resolve) => w.once('message', resolve));
  await w.terminate();
  assert.strictEqual(here.get('k'), 'v');
  here.close();
});

function runChild(code) {
  const res = spawnSync(process.execPath, ['--expose-gc', '-e', code], { encoding: 'utf8', timeout: 120000 });
  assert.strictEqual(res.status, 0, res.stderr);
  return JSON.parse(res.stdout.trim().split('\n').pop());
}

test('collected caches free their native memory', () => {
  const out = runChild(`
    const native = require(${JSON.stringify(path.join(root, 'lib', 'native'))});
    const { LRUCache, LimitableMap } = require(${JSON.stringify(root)});
    const rss = () => process.memoryUsage().rss;
    const settle = async () => {
      for (let i = 0; i < 6; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
    };
    (async () => {
      await settle();
      const base = rss();
      const liveBefore = native.cacheLive();
      (() => {
        for (let j = 0; j < 20; j++) {
          const c = new LRUCache({ max: 20000 });
          for (let i = 0; i < 20000; i++) c.set(i, 'v'.repeat(200));
          new LimitableMap(5).set('a', 1);
        }
      })();
      const liveMid = native.cacheLive();
      const grown = rss() - base;
      await settle();
      console.log(JSON.stringify({ liveBefore, liveMid, liveAfter: native.cacheLive(), grown, left: rss() - base }));
    })();
  `);
  assert.strictEqual(out.liveBefore, 0);
  assert.ok(out.liveMid > 0);
  assert.strictEqual(out.liveAfter, 0);
  // 20 caches x 20000 x ~230 B were allocated; after collection most of it is gone
  assert.ok(out.left < out.grown / 2, JSON.stringify(out));
});

test('close() releases memory at once and a later collection is harmless', () => {
  const out = runChild(`
    const native = require(${JSON.stringify(path.join(root, 'lib', 'native'))});
    const { LRUCache } = require(${JSON.stringify(root)});
    (async () => {
      let c = new LRUCache({ max: 100000 });
      for (let i = 0; i < 100000; i++) c.set(i, 'v'.repeat(100));
      const before = c.offHeapBytes();
      c.close();
      const afterClose = native.cacheLive();
      c = null;
      for (let i = 0; i < 4; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
      console.log(JSON.stringify({ before, afterClose, afterGc: native.cacheLive() }));
    })();
  `);
  assert.ok(out.before > 100000 * 100);
  assert.strictEqual(out.afterClose, 0);
  assert.strictEqual(out.afterGc, 0);
});

test('the V8 heap does not grow with the number of entries', () => {
  const out = runChild(`
    const { LRUCache } = require(${JSON.stringify(root)});
    const heap = () => { global.gc(); return process.memoryUsage().heapUsed; };
    const c = new LRUCache({ max: 300000 });
    const base = heap();
    for (let i = 0; i < 300000; i++) c.set('key' + i, 'v'.repeat(100));
    console.log(JSON.stringify({ grown: heap() - base, size: c.size }));
  `);
  assert.strictEqual(out.size, 300000);
  // 300k entries in a JS cache would hold tens of MiB on the heap
  assert.ok(out.grown < 2 * 1024 * 1024, JSON.stringify(out));
});
