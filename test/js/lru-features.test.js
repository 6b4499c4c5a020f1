'use strict';
// lru-cache v11 features of LRUCache that the step-by-step comparison
// (lru-compat.test.js) does not reach: option checking, key types, fetch
// aborts and dedupe, ttlAutopurge's single timer, the fast (untracked) path's
// ttl answers, and where memctl differs on purpose.
const test = require('node:test');
const assert = require('node:assert');
const { LRUCache } = require('../..');
const { code, withClock } = require('./helpers/assert-code');

const fakePerf = (start = 1000) => {
  const clock = { t: start, now: () => clock.t };
  return clock;
};

test('a cache with only ttl is allowed, with lru-cache\'s warning once per process', async () => {
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const a = new LRUCache({ ttl: 100 });
    const b = new LRUCache({ ttl: 100 });
    a.set('k', 1);
    assert.strictEqual(a.get('k'), 1);
    await new Promise((resolve) => setImmediate(resolve));
    const mine = warnings.filter((w) => w.code === 'LRU_CACHE_UNBOUNDED');
    assert.strictEqual(mine.length, 1);
    assert.strictEqual(mine[0].name, 'UnboundedCacheWarning');
    a.close();
    b.close();
    new LRUCache({ ttl: 100, ttlAutopurge: true }).close(); // bounded by the purge: no warning either way
  } finally {
    process.off('warning', onWarning);
  }
});

test('unknown options are never ignored: the error names the option', () => {
  assert.throws(() => new LRUCache({ max: 5, maxAge: 100 }), (err) => {
    code('ERR_MEMCTL_UNKNOWN_OPTION', 'TypeError')(err);
    assert.match(err.message, /maxAge/);
    return true;
  });
  const c = new LRUCache({ max: 5 });
  assert.throws(() => c.get('a', { alowStale: true }), code('ERR_MEMCTL_UNKNOWN_OPTION', 'TypeError'));
  assert.throws(() => c.set('a', 1, { tll: 5 }), code('ERR_MEMCTL_UNKNOWN_OPTION', 'TypeError'));
  assert.throws(() => c.has('a', { allowStale: true }), code('ERR_MEMCTL_UNKNOWN_OPTION', 'TypeError'));
  assert.throws(() => c.peek('a', { ttl: 1 }), code('ERR_MEMCTL_UNKNOWN_OPTION', 'TypeError'));
  // per-call options that need per-entry records in JS on an untracked cache
  assert.throws(() => c.has('a', { updateAgeOnHas: true }), code('ERR_MEMCTL_UNSUPPORTED_OPTION', 'TypeError'));
  assert.throws(() => c.get('a', { updateAgeOnGet: true }), code('ERR_MEMCTL_UNSUPPORTED_OPTION', 'TypeError'));
  assert.throws(() => c.set('a', 1, { noUpdateTTL: true }), code('ERR_MEMCTL_UNSUPPORTED_OPTION', 'TypeError'));
  assert.throws(() => c.set('a', 1, { size: 3 }), code('ERR_MEMCTL_MISSING_OPTION', 'TypeError'));
  // lru-cache's own errors, with codes
  assert.throws(() => new LRUCache({ max: 5, ttl: 1.5 }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 5, sizeCalculation: () => 1 }), code('ERR_MEMCTL_MISSING_OPTION', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 5, perf: {} }), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => new LRUCache({ maxSize: 5 }).set('a', 1), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => new LRUCache({ maxSize: 5, sizeCalculation: () => 0 }).set('a', 1), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => c.memo('a'), code('ERR_MEMCTL_MISSING_OPTION'));
  // options that only tune lru-cache's internals: accepted, no effect
  const tuned = new LRUCache({ max: 5, ttlResolution: 10, backgroundFetchSize: 2 });
  assert.strictEqual(tuned.ttlResolution, 10);
  tuned.close();
  c.close();
});

test('keys compare as in a Map: 1, "1", 1n and true are four keys; they round-trip', () => {
  const c = new LRUCache({ max: 100 });
  const keys = [1, '1', 1n, true, false, null, undefined, 0, -0, NaN, 2n ** 80n, -(2n ** 80n), 0n, ''];
  for (const [i, k] of keys.entries()) c.set(k, i);
  assert.strictEqual(c.size, keys.length - 1); // 0 and -0 are one key
  assert.strictEqual(c.get(1), 0);
  assert.strictEqual(c.get('1'), 1);
  assert.strictEqual(c.get(1n), 2);
  assert.strictEqual(c.get(true), 3);
  assert.strictEqual(c.get(null), 5);
  assert.strictEqual(c.get(undefined), 6);
  assert.strictEqual(c.get(0), 8);
  assert.strictEqual(c.get(2n ** 80n), 10);
  assert.strictEqual(c.get(-(2n ** 80n)), 11);
  const back = [...c.rkeys()];
  assert.ok(back.some((k) => typeof k === 'bigint' && k === 2n ** 80n));
  assert.ok(back.includes(undefined) && back.includes(null) && back.includes(true) && back.includes(false));
  const copy = new LRUCache({ max: 100 });
  copy.load(c.dump());
  assert.deepStrictEqual([...copy.entries()], [...c.entries()]);
  assert.throws(() => c.set('p', Promise.resolve(1)), (err) => {
    code('ERR_MEMCTL_INVALID_VALUE', 'TypeError')(err);
    assert.match(err.message, /fetch\(\)/); // names the off-heap difference and the way out
    return true;
  });
  for (const bad of [{}, Symbol('s'), [1]]) {
    assert.throws(() => c.set(bad, 1), (err) => {
      code('ERR_MEMCTL_INVALID_KEY', 'TypeError')(err);
      assert.match(err.message, /identity/);
      return true;
    });
  }
  c.close();
  copy.close();
});

test('dispose gets every reason: set, delete, clear, pop (evict), evict, expire', () => {
  const clock = fakePerf();
  const log = [];
  const c = new LRUCache({ max: 2, ttl: 10, perf: clock, dispose: (v, k, r) => log.push([k, v, r]) });
  c.set('a', 1).set('a', 2); // overwrite
  c.set('b', 3).set('c', 4); // evicts a
  c.delete('b');
  c.set('d', 5);
  assert.strictEqual(c.pop(), 4); // the oldest: c
  clock.t += 11;
  assert.strictEqual(c.get('d'), undefined); // expired
  c.set('e', 6).set('f', 7);
  c.clear();
  assert.deepStrictEqual(log, [
    ['a', 1, 'set'], ['a', 2, 'evict'], ['b', 3, 'delete'], ['c', 4, 'evict'], ['d', 5, 'expire'],
    ['e', 6, 'delete'], ['f', 7, 'delete'],
  ]);
  c.close();
});

test('untracked (native ttl) caches: stale entries answer as lru-cache', () => {
  withClock((setClock) => {
    setClock(1000);
    const c = new LRUCache({ max: 10, ttl: 100 });
    c.set('a', 1);
    setClock(1150);
    assert.strictEqual(c.getRemainingTTL('a'), -50);
    assert.deepStrictEqual({ ...c.info('a'), start: 0 }, { value: 1, ttl: -50, start: 0 });
    const st = {};
    assert.strictEqual(c.get('a', { status: st, allowStale: true }), 1);
    assert.strictEqual(st.get, 'stale');
    assert.strictEqual(st.returnedStale, true);
    assert.strictEqual(c.has('a'), false);
    c.set('b', 2, { start: 1100 }); // lru-cache's start: ttl runs from then
    assert.strictEqual(c.getRemainingTTL('b'), 50);
    c.close();
  });
});

test('ttlAutopurge removes expired entries with one timer per cache', async () => {
  const clock = fakePerf();
  const log = [];
  const c = new LRUCache({ max: 1000, ttl: 5, ttlAutopurge: true, perf: clock, dispose: (v, k, r) => log.push(r) });
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  for (let i = 0; i < 200; i++) c.set(i, i, { ttl: 5 + (i % 7) });
  assert.ok(timers() - before <= 1, `expected at most one new timer, got ${timers() - before}`);
  clock.t += 100; // everything has expired by the cache's clock
  const deadline = Date.now() + 10_000;
  while (c.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.strictEqual(c.size, 0);
  assert.strictEqual(log.length, 200);
  assert.ok(log.every((r) => r === 'expire'));
  c.close();
});

test('fetch: one call in flight per key, values stored as copies', async () => {
  let calls = 0;
  const c = new LRUCache({
    max: 10,
    fetchMethod: async (k, stale, { context }) => {
      calls++;
      await new Promise((resolve) => setImmediate(resolve));
      return { k, context };
    },
  });
  const [a, b] = await Promise.all([c.fetch('x', { context: 1 }), c.fetch('x', { context: 2 })]);
  assert.strictEqual(calls, 1);
  assert.deepStrictEqual(a, { k: 'x', context: 1 });
  assert.strictEqual(a, b); // the same in-flight promise
  const stored = c.get('x');
  assert.deepStrictEqual(stored, a);
  assert.notStrictEqual(stored, a); // off-heap: a copy
  assert.deepStrictEqual(await c.fetch('x'), a); // a hit
  assert.strictEqual(calls, 1);
  c.close();
});

test('fetch: abort signals, ignoreFetchAbort, allowStaleOnFetchAbort, forceFetch', async () => {
  let release;
  const c = new LRUCache({
    max: 10,
    fetchMethod: (k) => new Promise((resolve) => { release = () => resolve(`v:${k}`); }),
  });
  const ac = new AbortController();
  const p = c.fetch('a', { signal: ac.signal });
  ac.abort(new Error('user abort'));
  await assert.rejects(p, /user abort/);
  assert.strictEqual(c.has('a'), false);
  release();

  const ac2 = new AbortController();
  const st = {};
  const q = c.fetch('b', { signal: ac2.signal, ignoreFetchAbort: true, status: st });
  ac2.abort(new Error('ignored'));
  release();
  assert.strictEqual(await q, 'v:b');
  await new Promise((resolve) => setImmediate(resolve));
  assert.strictEqual(c.get('b'), 'v:b'); // stored despite the abort
  assert.strictEqual(st.fetchAbortIgnored, true);

  c.set('s', 'stale value', { ttl: 1 });
  await new Promise((resolve) => setTimeout(resolve, 5));
  const ac3 = new AbortController();
  const r = c.fetch('s', { signal: ac3.signal, allowStaleOnFetchAbort: true });
  ac3.abort(new Error('gone'));
  assert.strictEqual(await r, 'stale value');
  release();

  const none = new LRUCache({ max: 2, fetchMethod: async () => undefined });
  await assert.rejects(none.forceFetch('k'), code('ERR_MEMCTL_FETCH_UNDEFINED'));
  assert.strictEqual(await none.fetch('k'), undefined);
  const noMethod = new LRUCache({ max: 2 });
  noMethod.set('k', 1);
  const st2 = {};
  assert.strictEqual(await noMethod.fetch('k', { status: st2 }), 1); // fetch without fetchMethod is get
  assert.strictEqual(st2.fetch, 'get');
  c.close();
  none.close();
  noMethod.close();
});

test('fetch rejection: the stale value is dropped with reason "fetch", or kept with the options', async () => {
  const clock = fakePerf();
  const log = [];
  const c = new LRUCache({
    max: 10, ttl: 10, perf: clock,
    dispose: (v, k, r) => log.push([k, v, r]),
    fetchMethod: async () => { throw new Error('down'); },
  });
  c.set('a', 'old');
  clock.t += 20;
  await assert.rejects(c.fetch('a'), /down/);
  assert.deepStrictEqual(log, [['a', 'old', 'fetch']]);
  c.set('b', 'old b');
  clock.t += 20;
  assert.strictEqual(await c.fetch('b', { allowStaleOnFetchRejection: true }), 'old b');
  assert.strictEqual(c.peek('b', { allowStale: true }), 'old b');
  c.close();
});

test('memo and find', () => {
  const c = new LRUCache({ max: 10, memoMethod: (k, stale, { context }) => `${k}:${context}` });
  const st = {};
  assert.strictEqual(c.memo('a', { context: 1, status: st }), 'a:1');
  assert.strictEqual(st.memo, 'miss');
  assert.strictEqual(c.memo('a', { context: 2 }), 'a:1');
  assert.strictEqual(c.memo('a', { context: 3, forceRefresh: true }), 'a:3');
  c.set('b', 'bee');
  assert.strictEqual(c.find((v) => v.startsWith('b')), 'bee');
  assert.strictEqual(c.find(() => false), undefined);
  c.close();
});

test('maxSize alone bounds the cache; calculatedSize and maxEntrySize as lru-cache', () => {
  const c = new LRUCache({ maxSize: 10, sizeCalculation: (v) => v.length });
  c.set('a', 'xxxx').set('b', 'yyyy');
  assert.strictEqual(c.calculatedSize, 8);
  c.set('c', 'zzzz'); // evicts a
  assert.deepStrictEqual([...c.keys()], ['c', 'b']);
  const st = {};
  c.set('d', 'w'.repeat(11), { status: st }); // larger than maxEntrySize (= maxSize): not stored
  assert.strictEqual(st.maxEntrySizeExceeded, true);
  assert.strictEqual(c.has('d'), false);
  assert.strictEqual(c.info('b').size, 4);
  c.close();
});

test('new LRUCache(other) makes a cache with the same options, as lru-cache', () => {
  const dispose = () => {};
  const a = new LRUCache({ max: 3, maxSize: 9, sizeCalculation: () => 1, dispose, ttl: 50 });
  a.set('k', 1);
  const b = new LRUCache(a);
  assert.strictEqual(b.max, 3);
  assert.strictEqual(b.maxSize, 9);
  assert.strictEqual(b.ttl, 50);
  assert.strictEqual(b.dispose, dispose);
  assert.strictEqual(b.size, 0); // options, not entries
  a.close();
  b.close();
});

test('docs/lru-cache-compat.md lists every option and every method of lru-cache', () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const { LRUCache: JsLRU } = require('lru-cache');
  const { CONSTRUCTOR } = require('../../lib/cache-options');
  const doc = fs.readFileSync(path.join(__dirname, '../../docs/lru-cache-compat.md'), 'utf8');
  const methods = Object.getOwnPropertyNames(JsLRU.prototype).filter((n) => n !== 'constructor');
  const statics = Object.getOwnPropertyNames(JsLRU).filter((n) => !['length', 'name', 'prototype'].includes(n));
  for (const name of [...CONSTRUCTOR, ...methods, ...statics]) {
    assert.ok(new RegExp(`[\`/., ]${name}[\`/(, ]`).test(doc),
      `docs/lru-cache-compat.md does not mention ${name}`);
  }
  // every lru-cache option name is accepted
  const probe = new JsLRU({ max: 1 });
  for (const name of Object.keys(probe)) {
    if (typeof probe[name] !== 'function') assert.ok(CONSTRUCTOR.has(name), `lru-cache field ${name} is not an accepted option`);
  }
});

test('tracked caches reject object and symbol keys in every keyed method too', async () => {
  const c = new LRUCache({ max: 10, dispose: () => {}, fetchMethod: async () => 1, memoMethod: () => 1 });
  for (const k of [{}, Symbol('s'), [1]]) {
    for (const call of [() => c.get(k), () => c.set(k, 1), () => c.has(k), () => c.peek(k),
      () => c.delete(k), () => c.info(k), () => c.getRemainingTTL(k), () => c.fetch(k), () => c.memo(k)]) {
      assert.throws(call, code('ERR_MEMCTL_INVALID_KEY', 'TypeError'));
    }
  }
  assert.strictEqual(c.size, 0);
  c.close();
});

test('maxSize and maxBytes bound together; calculatedSize follows every eviction', () => {
  const log = [];
  const c = new LRUCache({
    maxBytes: 4096, maxSize: 60, sizeCalculation: (v) => 1 + (v.length % 9),
    dispose: (v, k, r) => log.push(r),
  });
  for (let i = 0; i < 500; i++) {
    c.set(`k${i}`, 'x'.repeat(20 + (i % 50) * 20));
    let sum = 0;
    for (const k of c.keys()) sum += c.info(k).size;
    assert.strictEqual(c.calculatedSize, sum, `after set #${i}`);
    assert.ok(c.calculatedSize <= 60);
    assert.ok(c.stats().bytes <= 4096);
  }
  assert.ok(log.length > 0 && log.every((r) => r === 'evict'));
  assert.ok(c.stats().evictions > 0, 'maxBytes evicted too (the core counts only its own evictions)');
  c.close();
});

test('the ttlAutopurge timer never keeps the process alive', () => {
  const { spawnSync } = require('node:child_process');
  const path = require('node:path');
  const root = path.join(__dirname, '..', '..');
  const src = `const { LRUCache } = require(${JSON.stringify(root)});
    const c = new LRUCache({ ttl: 3600000, ttlAutopurge: true });
    c.set('a', 1);
    console.log('set');`;
  // Would run for an hour if the timer were ref'd; the timeout only bounds a failure.
  const r = spawnSync(process.execPath, ['-e', src], { encoding: 'utf8', timeout: 60_000 });
  assert.strictEqual(r.signal, null, 'the process did not exit by itself');
  assert.strictEqual(r.status, 0, r.stderr);
  assert.strictEqual(r.stdout.trim(), 'set');
});
