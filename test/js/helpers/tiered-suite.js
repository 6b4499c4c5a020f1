'use strict';
// The TieredCache behaviours every deployment must have, run against a real
// single redis-server (tiered.test.js) and a real 3-master cluster
// (tiered-cluster.test.js). target: { client(), cli(...args), flushAll(), workerCfg(prefix) }.
const assert = require('node:assert/strict');
const { test } = require('node:test');
const { TieredCache } = require('../../../lib');
const { startWorker } = require('./redis');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const uniquePrefix = () => `t${process.pid}-${seq++}:`;

async function until(pred, timeoutMs = 10_000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function defineCoreSuite(getTarget) {
  const open = [];
  async function make(opts = {}) {
    const t = getTarget();
    const errors = [];
    const cache = new TieredCache({ redis: t.client(), ttl: 60_000, prefix: opts.prefix ?? uniquePrefix(), ...opts });
    cache.on('error', (e) => errors.push(e));
    await cache.connect();
    open.push(cache);
    return { cache, errors };
  }
  test.afterEach(async () => { await Promise.all(open.splice(0).map((c) => c.close())); });

  test('values round-trip; a string stays a plain string for other clients', async () => {
    const t = getTarget();
    const { cache, prefix = cache.prefix } = await make();
    const obj = { a: 1, d: new Date(0), m: new Map([[1, 2]]) };
    await cache.set('s', 'héllo');
    await cache.set('b', Buffer.from([0xff, 0, 1]));
    await cache.set('o', obj);
    await cache.set('n', 42);
    assert.equal(t.cli('GET', `${prefix}s`), 'héllo');
    const { cache: other } = await make({ prefix });
    assert.equal(await other.get('s'), 'héllo');
    assert.deepEqual(await other.get('b'), Buffer.from([0xff, 0, 1]));
    assert.deepEqual(await other.get('o'), obj);
    assert.equal(await other.get('n'), 42);
    assert.equal(await other.get('absent'), undefined);
    t.cli('SET', `${prefix}plain`, 'written by redis-cli');
    assert.equal(await other.get('plain'), 'written by redis-cli');
    const s = other.stats();
    assert.equal(s.l2Hits, 5);
    assert.equal(s.misses, 1);
    assert.equal(await other.get('s'), 'héllo');
    assert.equal(other.stats().l1Hits, 1);
  });

  test('a set in another process reaches this L1 (latency printed)', async () => {
    const t = getTarget();
    const { cache } = await make();
    const w = startWorker(t.workerCfg(cache.prefix));
    try {
      await w.ready;
      const lat = [];
      for (let i = 0; i < 20; i++) {
        await cache.set('k', `mine-${i}`);
        assert.equal(await cache.get('k'), `mine-${i}`);
        assert.ok(cache.l1.has('k'));
        const gone = (async () => {
          const end = Date.now() + 10_000;
          while (cache.l1.has('k')) {
            if (Date.now() > end) throw new Error('invalidation did not arrive within 10 s');
            await new Promise((r) => setImmediate(r));
          }
          return performance.timeOrigin + performance.now();
        })();
        const { t: sentAt } = await w.call('set', { key: 'k', value: `theirs-${i}` });
        lat.push((await gone) - sentAt);
        assert.equal(await cache.get('k'), `theirs-${i}`);
      }
      lat.sort((a, b) => a - b);
      console.log(`# ${t.name}: invalidation latency between processes (incl. the writer's SET): p50 ${lat[10].toFixed(2)} ms, max ${lat[19].toFixed(2)} ms`);
    } finally {
      await w.close();
    }
  });

  test('a plain redis-cli SET and DEL invalidate L1', async () => {
    const t = getTarget();
    const { cache } = await make();
    await cache.set('k', 'old');
    assert.equal(cache.l1.get('k'), 'old');
    t.cli('SET', `${cache.prefix}k`, 'new');
    await until(() => !cache.l1.has('k'), 10_000, 'invalidation after redis-cli SET');
    assert.equal(await cache.get('k'), 'new');
    assert.equal(cache.l1.get('k'), 'new');
    t.cli('DEL', `${cache.prefix}k`);
    await until(() => !cache.l1.has('k'), 10_000, 'invalidation after redis-cli DEL');
    assert.equal(await cache.get('k'), undefined);
  });

  test('FLUSHALL clears every L1', async () => {
    const t = getTarget();
    const { cache: a } = await make();
    const { cache: b } = await make({ prefix: a.prefix });
    await a.set('x', 1);
    await a.set('y', 2);
    assert.equal(await b.get('x'), 1);
    assert.equal(await b.get('y'), 2);
    assert.ok(a.l1.size >= 2 && b.l1.size >= 2);
    t.flushAll();
    await until(() => a.l1.size === 0 && b.l1.size === 0, 10_000, 'L1 flush after FLUSHALL');
    assert.equal(await b.get('x'), undefined);
  });

  test('an invalidation racing a read never leaves the old value in L1', async () => {
    const t = getTarget();
    const { cache } = await make();
    const writer = t.client();
    await writer.connect();
    try {
      const rk = `${cache.prefix}race`;
      for (let i = 0; i < 200; i++) {
        await writer.set(rk, `v${i}`);
        cache.l1.delete('race');
        // The read and a foreign write are sent in the same tick.
        await Promise.all([cache.get('race'), writer.set(rk, `v${i}b`)]);
        await sleep(1);
        await until(async () => {
          const l1 = cache.l1.get('race');
          return l1 === undefined || l1 === await writer.get(rk);
        }, 10_000, `L1 to agree with Redis (round ${i})`);
      }
    } finally {
      await writer.close();
    }
  });

  test('ttl agrees in both tiers', async () => {
    const t = getTarget();
    const { cache } = await make({ ttl: 8000 });
    const { cache: other } = await make({ prefix: cache.prefix });
    await cache.set('k', 'v');
    const pttl = Number(t.cli('PTTL', `${cache.prefix}k`));
    assert.ok(pttl > 0 && pttl <= 8000, `redis PTTL ${pttl}`);
    const l1 = cache.l1.getRemainingTTL('k');
    assert.ok(l1 > 0 && l1 <= 8000 && Math.abs(l1 - pttl) < 2000, `L1 ttl ${l1} vs redis ${pttl}`);
    await other.get('k');
    const l1b = other.l1.getRemainingTTL('k');
    const pttl2 = Number(t.cli('PTTL', `${cache.prefix}k`));
    assert.ok(l1b > 0 && l1b <= 8000 && Math.abs(l1b - pttl2) < 2000, `reader's L1 ttl ${l1b} vs redis ${pttl2}`);
    await cache.set('short', 'v', { ttl: 300 });
    await until(() => !cache.l1.has('short'), 10_000, 'L1 expiry');
    assert.equal(t.cli('EXISTS', `${cache.prefix}short`), '0');
  });

  test('100 concurrent cold getOrSet calls run the loader once', async () => {
    const { cache } = await make();
    let calls = 0;
    const loader = async () => { calls++; await sleep(50); return { loaded: true }; };
    const values = await Promise.all(Array.from({ length: 100 }, () => cache.getOrSet('cold', loader)));
    assert.equal(calls, 1);
    assert.ok(values.every((v) => v.loaded === true));
    assert.equal(cache.stats().loads, 1);
    assert.deepEqual(await cache.getOrSet('cold', loader), { loaded: true });
    assert.equal(calls, 1);
  });

  test('with the lock, 4 processes x 100 cold calls run the loader once in all', async () => {
    const t = getTarget();
    const prefix = uniquePrefix();
    const workers = Array.from({ length: 4 }, () => startWorker({ ...t.workerCfg(prefix), lock: { wait: 20_000 } }));
    try {
      await Promise.all(workers.map((w) => w.ready));
      const rs = await Promise.all(workers.map((w) => w.call('stampede', { key: 'hot', n: 100, loaderMs: 300, lock: true })));
      const total = rs.reduce((n, r) => n + r.calls, 0);
      assert.equal(total, 1, `loader calls per process: ${rs.map((r) => r.calls)}`);
      const distinct = new Set(rs.flatMap((r) => r.distinct));
      assert.equal(distinct.size, 1);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  test('stale-while-revalidate serves the stale value while one slow refresh runs', async () => {
    const { cache, errors } = await make();
    let calls = 0;
    let release;
    const gate = new Promise((r) => { release = r; });
    const loader = async () => { calls++; if (calls > 1) await gate; return `v${calls}`; };
    const o = { ttl: 200, staleWhileRevalidate: 30_000 };
    assert.equal(await cache.getOrSet('k', loader, o), 'v1');
    await sleep(300); // now past ttl, within staleWhileRevalidate
    const served = await Promise.all(Array.from({ length: 10 }, () => cache.getOrSet('k', loader, o)));
    assert.ok(served.every((v) => v === 'v1'), `served ${served}`);
    assert.equal(calls, 2, 'one background refresh');
    assert.ok(cache.stats().staleServed >= 10);
    release();
    await until(async () => (await cache.getOrSet('k', loader, o)) === 'v2', 10_000, 'the refreshed value');
    assert.equal(calls, 2);
    assert.deepEqual(errors, []);
  });

  test('grace: a failing loader serves the stale value and reports an error event', async () => {
    const { cache, errors } = await make();
    let fail = false;
    const loader = async () => { if (fail) throw new Error('db down'); return 'good'; };
    const o = { ttl: 200, grace: 30_000 };
    assert.equal(await cache.getOrSet('k', loader, o), 'good');
    await sleep(300);
    fail = true;
    assert.equal(await cache.getOrSet('k', loader, o), 'good');
    assert.ok(errors.some((e) => e.message === 'db down'));
    assert.ok(cache.stats().staleServed >= 1);
    await assert.rejects(cache.getOrSet('never-loaded', loader, o), /db down/);
  });

  test('pub/sub fallback: a set by another instance reaches L1', async () => {
    const { cache: a } = await make({ invalidation: 'pubsub' });
    const { cache: b } = await make({ invalidation: 'pubsub', prefix: a.prefix });
    assert.equal(a.invalidation, 'pubsub');
    await a.set('k', 'one');
    assert.equal(await b.get('k'), 'one');
    // a's publish may reach b after b's read, which then skips the fill.
    await until(async () => (await b.get('k')) === 'one' && b.l1.has('k'), 10_000, 'L1 fill');
    await a.set('k', 'two');
    await until(() => !b.l1.has('k'), 10_000, 'pub/sub invalidation');
    assert.equal(await b.get('k'), 'two');
    await a.delete('k');
    await until(() => !b.l1.has('k'), 10_000, 'pub/sub invalidation after delete');
    assert.equal(await b.get('k'), undefined);
  });

  return { make, until, sleep };
}

module.exports = { defineCoreSuite, until, sleep, uniquePrefix };
