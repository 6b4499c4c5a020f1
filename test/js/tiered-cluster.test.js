'use strict';
// The core TieredCache suite against a real 3-master Redis Cluster on loopback.
const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');
const { createCluster } = require('redis');
const { redisMissing, startCluster } = require('./helpers/redis');
const { defineCoreSuite, until } = require('./helpers/tiered-suite');

const missing = redisMissing();
if (missing) {
  test('TieredCache (cluster)', { skip: missing }, () => {});
} else {
  let cluster;
  before(async () => { cluster = await startCluster(); });
  after(async () => { await cluster?.stop(); });
  const target = () => ({
    name: 'cluster',
    client: () => createCluster({ rootNodes: cluster.rootNodes }),
    cli: (...a) => cluster.cli(...a),
    flushAll: () => { for (const n of cluster.nodes) n.cli('FLUSHALL'); },
    workerCfg: (prefix) => ({ rootNodes: cluster.rootNodes, prefix }),
  });
  const { make } = defineCoreSuite(target);

  test('cluster: keys on every master are tracked and invalidated', async () => {
    const { cache } = await make();
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    for (const k of keys) await cache.set(k, k);
    const slots = new Set(keys.map((k) => cluster.cli('CLUSTER', 'KEYSLOT', `${cache.prefix}${k}`)));
    assert.ok(slots.size > 10);
    for (const k of keys) cluster.cli('SET', `${cache.prefix}${k}`, `${k}-cli`);
    await until(() => cache.l1.size === 0, 10_000, 'every key invalidated');
    for (const k of keys) assert.equal(await cache.get(k), `${k}-cli`);
  });

  test('cluster: CLIENT KILL on one master flushes L1 and the cache recovers', async () => {
    const { cache } = await make();
    await cache.set('a', 1);
    assert.ok(cache.l1.has('a'));
    for (const n of cluster.nodes) n.cli('CLIENT', 'KILL', 'TYPE', 'normal');
    await until(() => cache.l1.size === 0, 15_000, 'L1 flush');
    await until(async () => { try { return (await cache.get('a')) === 1; } catch { return false; } }, 20_000, 'recovery');
    cluster.cli('SET', `${cache.prefix}a`, 'x');
    await until(() => !cache.l1.has('a'), 10_000, 'tracking after reconnect');
  });
}
