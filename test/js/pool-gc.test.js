'use strict';
// Pool behaviour that involves the garbage collector, other threads and
// other processes: leak reports, worker_threads, a pool collected while its
// buffers live on, and the fallback for runtimes without external buffers.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { setTimeout: sleep } = require('node:timers/promises');
const v8 = require('node:v8');
const vm = require('node:vm');
const { Pool } = require('../..');
const { runNodeJson } = require('./helpers/run-node');
const { rng } = require('./helpers/rng');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const ROOT = path.join(__dirname, '..', '..');
const MiB = 1024 * 1024;

// Collects garbage until `done()` or a bound; finalizers and the leak
// notification run asynchronously, hence the sleeps (no timing assertion).
async function collectUntil(done) {
  for (let i = 0; i < 100 && !done(); i++) {
    gc();
    await sleep(10);
  }
}

// Allocates in a separate function so nothing on this stack keeps the buffers.
function dropAllocations(pool, sizes) {
  for (const n of sizes) pool.alloc(n).fill(1);
}

test("'simple': a large buffer collected without free() is a leak", async () => {
  const pool = new Pool({ maxBytes: 8 * MiB });
  const leaks = [];
  pool.on('leak', (l) => leaks.push(l));
  dropAllocations(pool, [100000, 2 * MiB]);
  await collectUntil(() => leaks.length >= 2);
  assert.deepStrictEqual(leaks.map((l) => l.size).sort((a, b) => a - b), [100000, 2 * MiB]);
  assert.ok(leaks.every((l) => l.stack === undefined));
  const s = pool.stats();
  assert.strictEqual(s.leaks, 2);
  assert.strictEqual(s.leakedBytes, 100000 + 2 * MiB);
  assert.strictEqual(s.bytesInUse, 0); // the memory came back
  assert.strictEqual(s.liveAllocations, 0);
  // ...and is reused
  const again = pool.alloc(2 * MiB);
  assert.strictEqual(pool.stats().regions, 2);
  pool.free(again);
  pool.close();
});

test("'simple': small buffers leak when their slab is collected", async () => {
  const pool = new Pool({ maxBytes: 8 * MiB });
  const leaks = [];
  pool.on('leak', (l) => leaks.push(l));
  const kept = pool.alloc(33); // another slab class: stays alive
  dropAllocations(pool, [10, 11, 12]);
  await collectUntil(() => leaks.length >= 3);
  assert.deepStrictEqual(leaks.map((l) => l.size).sort(), [10, 11, 12]);
  assert.strictEqual(pool.stats().leaks, 3);
  assert.strictEqual(pool.stats().bytesInUse, 33);
  assert.strictEqual(kept.length, 33);
  pool.free(kept);
  pool.close();
});

test("'paranoid': leak reports carry the allocation stack", async () => {
  const pool = new Pool({ maxBytes: 8 * MiB, leakDetection: 'paranoid' });
  const leaks = [];
  pool.on('leak', (l) => leaks.push(l));
  dropAllocations(pool, [50, 70000]);
  const freed = pool.alloc(200); // another class: its slab is not the leaked one
  pool.free(freed);
  await collectUntil(() => leaks.length >= 2);
  assert.strictEqual(leaks.length, 2);
  for (const l of leaks) {
    assert.match(l.stack, /dropAllocations/);
    assert.match(l.stack, /pool-gc\.test\.js/);
  }
  assert.strictEqual(pool.stats().leaks, 2);
  pool.close();
});

test("'off': no leak events, but collected buffers still return their memory", async () => {
  const pool = new Pool({ maxBytes: 8 * MiB, leakDetection: 'off' });
  let events = 0;
  pool.on('leak', () => events++);
  dropAllocations(pool, [20, 300000]);
  await collectUntil(() => pool.stats().liveAllocations === 0);
  const s = pool.stats();
  assert.strictEqual(s.liveAllocations, 0);
  assert.strictEqual(s.bytesInUse, 0);
  assert.strictEqual(s.leaks, 0);
  await sleep(20);
  assert.strictEqual(events, 0);
  pool.close();
});

test('freed buffers are not reported as leaks when collected', async () => {
  const pool = new Pool({ maxBytes: 8 * MiB });
  let events = 0;
  pool.on('leak', () => events++);
  (() => {
    for (const n of [10, 5000, MiB]) pool.free(pool.alloc(n));
  })();
  for (let i = 0; i < 10; i++) {
    gc();
    await sleep(5);
  }
  assert.strictEqual(events, 0);
  assert.strictEqual(pool.stats().leaks, 0);
  pool.close();
});

test('alloc and free in a worker thread with its own pool', async () => {
  const src = `
    const { parentPort } = require('node:worker_threads');
    const { Pool } = require(${JSON.stringify(ROOT)});
    const pool = new Pool({ maxBytes: 8 * 1024 * 1024 });
    const bufs = [];
    for (const n of [1, 100, 4096, 5000, 1 << 20]) { const b = pool.alloc(n); b.fill(7); bufs.push(b); }
    const ok = bufs.every((b) => b[b.length - 1] === 7);
    for (const b of bufs) pool.free(b);
    const s = pool.stats();
    let code = null;
    try { pool.alloc(16 * 1024 * 1024); } catch (e) { code = e.code; }
    // Leave one buffer live: worker exit must release it without a crash.
    pool.alloc(300000);
    parentPort.postMessage({ ok, allocations: s.allocations, frees: s.frees, inUse: s.bytesInUse, code });
  `;
  const results = await Promise.all([1, 2].map(() => new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  for (const r of results) {
    assert.deepStrictEqual(r, { ok: true, allocations: 5, frees: 5, inUse: 0, code: 'ERR_MEMCTL_POOL_EXHAUSTED' });
  }
});

const runChild = (script, env = {}) => runNodeJson(script, { env, cwd: ROOT });

test('a pool collected while its buffers are referenced: the buffers stay valid', () => {
  const out = runChild(`
    const { Pool } = require('.');
    const { setTimeout: sleep } = require('node:timers/promises');
    let collected = false;
    const registry = new FinalizationRegistry(() => { collected = true; });
    function make() {
      const pool = new Pool({ maxBytes: 128 << 20 });
      registry.register(pool, 'pool');
      const bufs = [pool.alloc(40), pool.alloc(3000), pool.alloc(64 << 20)];
      bufs.forEach((b, i) => b.fill(i + 1));
      return bufs;
    }
    (async () => {
      let bufs = make();
      for (let i = 0; i < 50 && !collected; i++) { gc(); await sleep(5); }
      const intact = bufs.every((b, i) => b.length > 0 && b[0] === i + 1 && b[b.length - 1] === i + 1);
      bufs[2].fill(9); // still writable
      const rssHeld = process.memoryUsage.rss();
      bufs = null;
      // The orphaned pool's memory goes back when its last buffer is collected.
      let rssAfter = rssHeld;
      for (let i = 0; i < 50 && rssHeld - rssAfter < (48 << 20); i++) {
        gc();
        await sleep(5);
        rssAfter = process.memoryUsage.rss();
      }
      console.log(JSON.stringify({ collected, intact, released: rssHeld - rssAfter >= (48 << 20) }));
    })();
  `);
  assert.deepStrictEqual(out, { collected: true, intact: true, released: true });
});

test('without external buffers the pool falls back to V8-owned memory', () => {
  const out = runChild(`
    const { Pool } = require('.');
    const { setTimeout: sleep } = require('node:timers/promises');
    (async () => {
      const pool = new Pool({ maxBytes: 4 << 20 });
      const res = { external: pool.externalBuffers };
      const small = pool.alloc(100); small.fill(1);
      const large = pool.alloc(1 << 20); large.fill(2);
      res.ok = small[99] === 1 && large[(1 << 20) - 1] === 2;
      pool.free(large);
      res.detached = large.length === 0;
      try { pool.free(large); } catch (e) { res.double = e.code; }
      try { pool.alloc(4 << 20); } catch (e) { res.exhausted = e.code; }
      const leaks = [];
      pool.on('leak', (l) => leaks.push(l.size));
      (() => { pool.alloc(200000); })();
      for (let i = 0; i < 50 && leaks.length === 0; i++) { gc(); await sleep(10); }
      res.leaks = leaks;
      pool.free(small);
      res.inUse = pool.stats().bytesInUse;
      const live = pool.alloc(70000);
      pool.close();
      res.closedDetaches = live.length === 0;
      console.log(JSON.stringify(res));
    })();
  `, { MEMCTL_POOL_NO_EXTERNAL: '1' });
  assert.deepStrictEqual(out, {
    external: false, ok: true, detached: true, double: 'ERR_MEMCTL_POOL_DOUBLE_FREE',
    exhausted: 'ERR_MEMCTL_POOL_EXHAUSTED', leaks: [200000], inUse: 0, closedDetaches: true,
  });
});

test('the default pool uses external memory on Node', () => {
  const pool = new Pool({ maxBytes: MiB });
  assert.strictEqual(pool.externalBuffers, true);
  pool.close();
});

test('a random sequence with leaks matches a model once everything is collected', async () => {
  const pool = new Pool({ maxBytes: 32 * MiB, decayMs: 5 });
  let reported = 0;
  let reportedBytes = 0;
  pool.on('leak', ({ size }) => {
    reported++;
    reportedBytes += size;
  });
  const rand = rng(99).int;
  let dropped = 0;
  let droppedBytes = 0;
  let inUse = 0;
  let frees = 0;
  await (async () => {
    let kept = [];
    for (let step = 0; step < 4000; step++) {
      const op = rand(20);
      if (op < 9) {
        const size = [1 + rand(200), 1 + rand(65536), 65537 + rand(MiB)][rand(3)];
        try {
          const b = pool.alloc(size);
          b[0] = 1;
          kept.push(b);
          inUse += size;
        } catch (err) {
          assert.strictEqual(err.code, 'ERR_MEMCTL_POOL_EXHAUSTED');
        }
      } else if (op < 16 && kept.length > 0) {
        const i = rand(kept.length);
        inUse -= kept[i].length;
        pool.free(kept[i]);
        frees++;
        kept[i] = kept[kept.length - 1];
        kept.pop();
      } else if (op < 18 && kept.length > 0) {
        const i = rand(kept.length); // a leak: dropped without free()
        dropped++;
        droppedBytes += kept[i].length;
        inUse -= kept[i].length;
        kept[i] = kept[kept.length - 1];
        kept.pop();
      } else if (op === 18) {
        gc();
        await sleep(1);
      } else {
        pool.trim();
      }
      const s = pool.stats();
      assert.ok(s.bytesReserved <= 32 * MiB);
      // Leaks not yet collected still count as in use.
      assert.strictEqual(s.bytesInUse, inUse + droppedBytes - s.leakedBytes);
    }
    for (const b of kept) pool.free(b);
    frees += kept.length;
    kept = null; // freed buffers keep their slabs reachable: drop them too
  })();
  pool.trim(); // empties the free cache, which also holds slabs
  await collectUntil(() => reported === dropped);
  const s = pool.stats();
  assert.strictEqual(reported, dropped);
  assert.strictEqual(reportedBytes, droppedBytes);
  assert.strictEqual(s.leaks, dropped);
  assert.strictEqual(s.leakedBytes, droppedBytes);
  assert.strictEqual(s.frees, frees); // leaks are not frees
  assert.strictEqual(s.bytesInUse, 0);
  assert.strictEqual(s.liveAllocations, 0);
  assert.ok(dropped > 50);
  pool.close();
});
