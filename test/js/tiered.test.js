'use strict';
// TieredCache against a real redis-server (started here, persistence off).
const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { createClient } = require('redis');
const { TieredCache } = require('../../lib');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { redisMissing, startServer } = require('./helpers/redis');
const { defineCoreSuite, until, sleep } = require('./helpers/tiered-suite');

test('require(memctl) does not load the redis peer', () => {
  const r = spawnSync(process.execPath, ['-e', `
    const m = require(${JSON.stringify(path.join(__dirname, '..', '..'))});
    if (typeof m.TieredCache !== 'function') process.exit(2);
    const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\/](redis|@redis)[\\/]/.test(f));
    process.exit(loaded.length === 0 ? 0 : 3);`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

const missing = redisMissing();
if (missing) {
  test('TieredCache (redis-server)', { skip: missing }, () => {});
} else {
  let server;
  before(async () => { server = await startServer(); });
  after(async () => { await server?.stop(); });
  const target = () => ({
    name: 'redis-server',
    client: () => createClient({ url: server.url }),
    cli: (...a) => server.cli(...a),
    flushAll: () => server.cli('FLUSHALL'),
    workerCfg: (prefix) => ({ url: server.url, prefix }),
  });
  const { make } = defineCoreSuite(target);

  test('argument checks throw coded errors', async () => {
    assert.throws(() => new TieredCache({}), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
    assert.throws(() => new TieredCache({ redis: createClient(), nope: 1 }), { code: 'ERR_MEMCTL_UNKNOWN_OPTION' });
    assert.throws(() => new TieredCache({ redis: createClient(), ttl: -1 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
    assert.throws(() => new TieredCache({ redis: createClient(), invalidation: 'x' }), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
    const c = new TieredCache({ redis: createClient({ url: server.url }) });
    assert.throws(() => c.get('k'), { code: 'ERR_MEMCTL_NOT_CONNECTED' });
    await c.connect();
    assert.throws(() => c.get(''), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
    assert.throws(() => c.set('k', undefined), { code: 'ERR_MEMCTL_INVALID_VALUE' });
    assert.throws(() => c.set('k', () => 1), { code: 'ERR_MEMCTL_INVALID_VALUE' });
    assert.throws(() => c.getOrSet('k', () => 1, { staleWhileRevalidate: 5, ttl: 0 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
    assert.throws(() => c.getOrSet('k', () => 1, { bogus: 1 }), { code: 'ERR_MEMCTL_UNKNOWN_OPTION' });
    assert.throws(() => TieredCache.prototype.get.call({}, 'k'), { code: 'ERR_MEMCTL_INVALID_THIS' });
    await c.close();
    assert.throws(() => c.get('k'), { code: 'ERR_MEMCTL_CLOSED' });
    assert.throws(() => c.connect(), { code: 'ERR_MEMCTL_CLOSED' });
    await c.close();
  });

  test('an LRUCache instance can be the L1; it is left open on close()', async () => {
    const { LRUCache } = require('../../lib');
    const l1 = new LRUCache({ max: 100 });
    const { cache } = await make({ l1 });
    await cache.set('k', 'v');
    assert.equal(l1.get('k'), 'v');
    await cache.close();
    assert.equal(l1.get('k'), 'v');
    l1.close();
  });

  test('CLIENT KILL flushes L1 and the cache recovers by itself', async () => {
    const { cache } = await make();
    await cache.set('k', 'v1');
    assert.ok(cache.l1.has('k'));
    server.cli('CLIENT', 'KILL', 'TYPE', 'normal');
    await until(() => cache.l1.size === 0, 15_000, 'L1 flush after CLIENT KILL');
    await until(async () => { try { return (await cache.get('k')) === 'v1'; } catch { return false; } }, 15_000, 'reconnect');
    assert.ok(cache.l1.has('k'));
    server.cli('SET', `${cache.prefix}k`, 'v2');
    await until(() => !cache.l1.has('k'), 10_000, 'tracking after reconnect');
    assert.equal(await cache.get('k'), 'v2');
  });

  test('Redis stopped: L1 hits work, misses call the loader, errors are events; a restart flushes L1 and recovers', async () => {
    const { cache, errors } = await make();
    await cache.set('hot', 'cached');
    assert.equal(cache.l1.get('hot'), 'cached');
    await server.kill();
    await until(() => errors.length > 0, 10_000, 'an error event for the lost connection');
    assert.equal(await cache.get('hot'), 'cached', 'L1 hit with Redis down');
    assert.equal(await cache.getOrSet('hot', () => 'loader'), 'cached');
    let calls = 0;
    assert.equal(await cache.getOrSet('cold', () => { calls++; return 'loaded'; }), 'loaded');
    assert.equal(calls, 1);
    await assert.rejects(cache.get('cold2'));
    await server.restart();
    await until(() => cache.l1.size === 0, 20_000, 'L1 flush after the restart');
    await until(async () => { try { await cache.set('hot', 'after'); return true; } catch { return false; } }, 20_000, 'reconnect');
    assert.equal(await cache.get('hot'), 'after');
    server.cli('SET', `${cache.prefix}hot`, 'cli');
    await until(() => !cache.l1.has('hot'), 10_000, 'tracking after the restart');
    assert.equal(await cache.get('hot'), 'cli');
    await sleep(10);
  });

  // L2 reads carry no node-redis command timeout; what bounds them is the
  // connection itself (disableOfflineQueue: a socket error rejects every
  // queued and written command). The old per-command timeout was 5 s.
  test('L2 reads in flight when redis-server dies all settle within 2 s; a restart recovers', async () => {
    const { cache, errors } = await make();
    for (let i = 0; i < 50; i++) await cache.set(`f${i}`, `v${i}`);
    cache.l1.clear();
    const outcome = (i) => cache.get(`f${i % 50}`).then((v) => (v === `v${i % 50}` ? 'value' : `wrong ${v}`), () => 'rejected');
    const reads = Array.from({ length: 300 }, (_, i) => outcome(i));
    server.proc.kill('SIGKILL');
    const settled = await Promise.race([Promise.all(reads), sleep(2000).then(() => null)]);
    assert.notEqual(settled, null, 'an L2 read still pending 2 s after redis-server died');
    assert.deepEqual(settled.filter((o) => o !== 'value' && o !== 'rejected'), []);
    assert.ok(settled.includes('rejected'), 'no read saw the dead server');
    const late = await Promise.race([cache.get('f1').then(() => 'value', () => 'rejected'), sleep(2000).then(() => 'pending')]);
    assert.equal(late, 'rejected', 'a read while redis-server is down');
    await server.restart();
    await until(async () => { try { await cache.set('f1', 'again'); return true; } catch { return false; } }, 20_000, 'reconnect');
    // The first reads after a reconnect may still find the client offline.
    await until(async () => { cache.l1.clear(); try { return (await cache.get('f1')) === 'again'; } catch { return false; } }, 20_000, 'an L2 read after the restart');
    assert.ok(errors.length > 0, 'the lost connection was reported');
  });

  test('with the lock, a stale-while-revalidate refresh stores the new value', async () => {
    const { cache, errors } = await make({ lock: true });
    let n = 0;
    const loader = async () => `v${++n}`;
    const o = { ttl: 200, staleWhileRevalidate: 30_000 };
    assert.equal(await cache.getOrSet('k', loader, o), 'v1');
    await sleep(300);
    assert.equal(await cache.getOrSet('k', loader, o), 'v1');
    await until(async () => (await cache.getOrSet('k', loader, o)) === 'v2', 10_000, 'the refreshed value');
    assert.equal(n, 2);
    assert.equal(server.cli('GET', `${cache.prefix}k`), 'v2');
    assert.deepEqual(errors, []);
  });

  test('large values read from L2 (a 100 KB Buffer, strings around 4 KiB) are tracked, with ttls agreeing', async () => {
    const { cache: a } = await make();
    const { cache: b } = await make({ prefix: a.prefix });
    const big = 'y'.repeat(4097);
    const bigBuf = Buffer.alloc(100_000, 7);
    await a.set('s', big, { ttl: 8000 });
    await a.set('b', bigBuf);
    await a.set('edge', 'z'.repeat(4096));
    assert.equal(await b.get('s'), big);
    assert.deepEqual(await b.get('b'), bigBuf);
    assert.equal(await b.get('edge'), 'z'.repeat(4096));
    assert.equal(b.stats().l2Hits, 3);
    const l1 = b.l1.getRemainingTTL('s');
    const pttl = Number(server.cli('PTTL', `${a.prefix}s`));
    assert.ok(l1 > 0 && l1 <= 8000 && Math.abs(l1 - pttl) < 2000, `L1 ttl ${l1} vs redis ${pttl}`);
    assert.ok(b.l1.has('b') && b.l1.has('s'));
    server.cli('SET', `${a.prefix}s`, 'small now');
    server.cli('DEL', `${a.prefix}b`);
    await until(() => !b.l1.has('s') && !b.l1.has('b'), 10_000, 'invalidation of the large keys');
    assert.equal(await b.get('s'), 'small now');
    assert.equal(await b.get('b'), undefined);
  });

  test("'auto' falls back to pub/sub when the server refuses RESP3 (HELLO disabled)", async () => {
    const old = await startServer({ extra: ['--rename-command', 'HELLO', ''] });
    const caches = [];
    try {
      for (let i = 0; i < 2; i++) {
        const c = new TieredCache({ redis: createClient({ url: old.url }), ttl: 60_000, prefix: 'fb:' });
        c.on('error', () => {});
        await c.connect();
        caches.push(c);
      }
      const [a, b] = caches;
      assert.equal(a.invalidation, 'pubsub');
      await a.set('k', 'one');
      await until(async () => (await b.get('k')) === 'one' && b.l1.has('k'), 10_000, 'L1 fill');
      await a.set('k', 'two');
      await until(() => !b.l1.has('k'), 10_000, 'pub/sub invalidation');
      assert.equal(await b.get('k'), 'two');
      const forced = new TieredCache({ redis: createClient({ url: old.url }), invalidation: 'tracking' });
      forced.on('error', () => {});
      await assert.rejects(forced.connect(), /HELLO/);
      await forced.close();
    } finally {
      await Promise.all(caches.map((c) => c.close()));
      await old.stop();
    }
  });
}
