'use strict';
const test = require('node:test');
const assert = require('node:assert');
const native = require('../../lib/native');
const memctl = require('../..');
const { LRUCache, LimitableMap } = memctl;
const { LRUCache: JsLRU } = require('lru-cache');
const { code, withClock } = require('./helpers/assert-code');

test('get, set, has, peek, delete, size and misses', () => {
  const c = new LRUCache({ max: 10 });
  assert.strictEqual(c.get('nope'), undefined);
  assert.strictEqual(c.set('a', 1), c);
  c.set('b', 'two');
  assert.strictEqual(c.get('a'), 1);
  assert.strictEqual(c.peek('b'), 'two');
  assert.strictEqual(c.has('a'), true);
  assert.strictEqual(c.has('zz'), false);
  assert.strictEqual(c.size, 2);
  assert.strictEqual(c.delete('a'), true);
  assert.strictEqual(c.delete('a'), false);
  assert.strictEqual(c.size, 1);
  c.set('b', undefined); // as in lru-cache: setting undefined deletes
  assert.strictEqual(c.has('b'), false);
  c.close();
});

test('number and string keys are distinct; -0 is 0; NaN is one key', () => {
  const c = new LRUCache({ max: 10 });
  c.set(1, 'number').set('1', 'string');
  assert.strictEqual(c.get(1), 'number');
  assert.strictEqual(c.get('1'), 'string');
  c.set(-0, 'zero');
  assert.strictEqual(c.get(0), 'zero');
  c.set(NaN, 'nan');
  assert.strictEqual(c.get(Number('x')), 'nan');
  c.set(1.5, 'float').set(-1e300, 'tiny');
  assert.strictEqual(c.get(1.5), 'float');
  assert.strictEqual(c.get(-1e300), 'tiny');
  assert.deepStrictEqual(new Set(c.keys()), new Set([1, '1', 0, NaN, 1.5, -1e300]));
  c.close();
});

test('strings round-trip losslessly as keys and values', () => {
  const c = new LRUCache({ max: 100 });
  const samples = [
    '', 'plain', 'caf\u00e9 \u00ff', '\u4e16\u754c', '\u{1F600}\u{1F4A9}',
    'lone high \ud800 end', 'lone low \udc00', '\udc00\ud800', 'nul\0inside\0',
    '\0', 'x'.repeat(255), 'y'.repeat(256), '\u0100'.repeat(300), 'k'.repeat(100000),
    '\u00e9'.repeat(70000) + '\u{1F600}',
  ];
  for (const s of samples) c.set(s, s);
  for (const s of samples) assert.strictEqual(c.get(s), s);
  assert.deepStrictEqual(new Set(c.keys()), new Set(samples));
  // A Latin-1 string and the same text in UTF-16 form are one key.
  const a = 'caf\u00e9';
  const b = 'caf\u00e9\u4e16'.slice(0, 4);
  c.set(a, 1);
  assert.strictEqual(c.get(b), 1);
  c.close();
});

test('values are copied: primitives, bigint, bytes, objects', () => {
  const c = new LRUCache({ max: 100 });
  const obj = { a: 1, nested: { list: [1, 'two', null], d: new Date(0) }, m: new Map([[1, 2]]) };
  const values = {
    num: 3.25, neg0: -0, nan: NaN, inf: -Infinity, t: true, f: false, nil: null,
    big: 123456789012345678901234567890n, negbig: -5n, zerobig: 0n,
    str: 'hello', obj, arr: [1, [2, [3]], { x: 'y' }],
  };
  for (const [k, v] of Object.entries(values)) c.set(k, v);
  for (const [k, v] of Object.entries(values)) {
    const got = c.get(k);
    assert.deepStrictEqual(got, v, k);
    if (typeof v === 'object' && v !== null) assert.notStrictEqual(got, v);
  }
  obj.a = 2; // the cache holds a copy
  assert.strictEqual(c.get('obj').a, 1);

  const buf = Buffer.from('bytes\0here');
  c.set('buf', buf);
  const out = c.get('buf');
  assert.ok(Buffer.isBuffer(out));
  assert.deepStrictEqual(out, buf);
  buf[0] = 0;
  assert.strictEqual(c.get('buf')[0], 'b'.charCodeAt(0));

  const f64 = new Float64Array([1.5, -2]);
  c.set('f64', f64);
  assert.deepStrictEqual(c.get('f64'), Buffer.from(f64.buffer));
  const sub = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
  c.set('sub', sub);
  assert.deepStrictEqual(c.get('sub'), Buffer.from([8, 7]));
  c.set('ab', new Uint8Array([1, 2]).buffer);
  assert.deepStrictEqual(c.get('ab'), Buffer.from([1, 2]));
  c.set('dv', new DataView(new Uint8Array([5, 6, 7]).buffer, 1));
  assert.deepStrictEqual(c.get('dv'), Buffer.from([6, 7]));
  c.set('empty', Buffer.alloc(0));
  assert.deepStrictEqual(c.get('empty'), Buffer.alloc(0));
  c.close();
});

test('large values and keys (scratch overflow path)', () => {
  const c = new LRUCache({ max: 4 });
  const big = Buffer.alloc(3 << 20, 7);
  big[big.length - 1] = 1;
  c.set('big', big);
  const got = c.get('big');
  assert.strictEqual(got.length, big.length);
  assert.ok(got.equals(big));
  const bigObj = { s: 'z'.repeat(200000) };
  c.set('obj', bigObj);
  assert.deepStrictEqual(c.get('obj'), bigObj);
  const bigKey = 'K'.repeat(1 << 20);
  c.set(bigKey, 'v');
  assert.strictEqual(c.get(bigKey), 'v');
  assert.strictEqual(c.get(bigKey.slice(1)), undefined);
  // small values still come through the scratch buffer correctly afterwards
  c.set('small', Buffer.from([1, 2, 3]));
  assert.deepStrictEqual(c.get('small'), Buffer.from([1, 2, 3]));
  assert.ok(c.get('big').equals(big));
  c.close();
});

test('invalid keys throw ERR_MEMCTL_INVALID_KEY in every keyed method', () => {
  const c = new LRUCache({ max: 10 });
  // undefined, null, booleans and bigints are keys now (as in lru-cache); objects and symbols cannot be copied off-heap
  for (const k of [{}, [], Symbol('s'), () => 1, Buffer.from('a')]) {
    for (const call of [() => c.get(k), () => c.set(k, 1), () => c.has(k), () => c.peek(k),
      () => c.delete(k), () => c.info(k), () => c.getRemainingTTL(k)]) {
      assert.throws(call, code('ERR_MEMCTL_INVALID_KEY', 'TypeError'));
    }
  }
  assert.strictEqual(c.size, 0);
  c.close();
});

test('uncopyable values throw ERR_MEMCTL_INVALID_VALUE and change nothing', () => {
  const c = new LRUCache({ max: 10 });
  c.set('k', 'before');
  for (const v of [() => 1, Symbol('x'), { f() {} }, [Symbol('y')], new WeakMap()]) {
    assert.throws(() => c.set('k', v), code('ERR_MEMCTL_INVALID_VALUE', 'TypeError'));
    assert.throws(() => c.set('k', v, { ttl: 5 }), code('ERR_MEMCTL_INVALID_VALUE', 'TypeError'));
  }
  assert.strictEqual(c.get('k'), 'before');
  assert.strictEqual(c.size, 1);
  c.close();
});

test('constructor validates its options with codes', () => {
  assert.throws(() => new LRUCache(), code('ERR_MEMCTL_MISSING_OPTION', 'TypeError'));
  assert.throws(() => new LRUCache({}), code('ERR_MEMCTL_MISSING_OPTION', 'TypeError'));
  assert.throws(() => new LRUCache(5), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => new LRUCache(null), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 0 }), code('ERR_MEMCTL_MISSING_OPTION', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 0, maxBytes: 0 }), code('ERR_MEMCTL_MISSING_OPTION', 'TypeError'));
  assert.strictEqual(new LRUCache({ max: 0, maxBytes: 100 }).max, 0);
  assert.strictEqual(new LRUCache({ max: Number.MAX_SAFE_INTEGER }).max, Number.MAX_SAFE_INTEGER);
  // lru-cache's own options (max, ttl, ...) throw TypeError as lru-cache does; memctl's maxBytes a RangeError
  for (const bad of [NaN, -1, 1.5, Infinity]) {
    assert.throws(() => new LRUCache({ max: bad }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
    assert.throws(() => new LRUCache({ maxBytes: bad }), code('ERR_MEMCTL_OUT_OF_RANGE', 'RangeError'));
  }
  assert.throws(() => new LRUCache({ max: '5' }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 5, ttl: -1 }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 5, ttl: NaN }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 5, ttl: 2 ** 60 }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 5, onEvict: 1 }), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 5, allowStale: 'yes' }), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => new LRUCache({ max: 5, policy: 'lfu' }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  const c = new LRUCache({ max: 5 });
  assert.throws(() => c.set('a', 1, { ttl: -5 }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => c.set('a', 1, { ttl: 'x' }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => c.set('a', 1, 'opts'), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => c.get('a', 7), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => c.forEach(null), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => c.load('nope'), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => c.load([['k']]), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  c.close();
});

test('a value larger than maxBytes is refused and never empties the cache', () => {
  const c = new LRUCache({ maxBytes: 1000 });
  for (let i = 0; i < 5; i++) c.set(`k${i}`, 'x'.repeat(50));
  const before = [...c.entries()];
  assert.throws(() => c.set('huge', 'y'.repeat(2000)), code('ERR_MEMCTL_TOO_LARGE', 'RangeError'));
  assert.throws(() => c.set('k1', Buffer.alloc(5000)), code('ERR_MEMCTL_TOO_LARGE', 'RangeError'));
  assert.throws(() => c.set('obj', { s: 'z'.repeat(3000) }), code('ERR_MEMCTL_TOO_LARGE', 'RangeError'));
  assert.deepStrictEqual([...c.entries()], before);
  assert.strictEqual(c.stats().evictions, 0);
  c.close();
});

test('byte bound: stats().bytes never exceeds maxBytes', () => {
  const c = new LRUCache({ maxBytes: 50000 });
  for (let i = 0; i < 2000; i++) {
    c.set(`key${i}`, 'v'.repeat(i % 300));
    assert.ok(c.stats().bytes <= 50000);
  }
  assert.ok(c.stats().evictions > 0);
  assert.ok(c.size > 100);
  c.close();
});

test('recency order: keys/values/entries newest first, r* oldest first', () => {
  const c = new LRUCache({ max: 5 });
  for (const k of ['a', 'b', 'c', 'd']) c.set(k, k.toUpperCase());
  c.get('b');
  c.peek('a');
  assert.deepStrictEqual([...c.keys()], ['b', 'd', 'c', 'a']);
  assert.deepStrictEqual([...c.rkeys()], ['a', 'c', 'd', 'b']);
  assert.deepStrictEqual([...c.values()], ['B', 'D', 'C', 'A']);
  assert.deepStrictEqual([...c.rvalues()], ['A', 'C', 'D', 'B']);
  assert.deepStrictEqual([...c.entries()], [['b', 'B'], ['d', 'D'], ['c', 'C'], ['a', 'A']]);
  assert.deepStrictEqual([...c.rentries()][0], ['a', 'A']);
  assert.deepStrictEqual([...c], [...c.entries()]);
  const seen = [];
  const self = {};
  c.forEach(function (v, k, cache) {
    assert.strictEqual(this, self);
    assert.strictEqual(cache, c);
    seen.push([k, v]);
  }, self);
  assert.deepStrictEqual(seen, [...c.entries()]);
  const rseen = [];
  c.rforEach((v, k) => rseen.push(k));
  assert.deepStrictEqual(rseen, ['a', 'c', 'd', 'b']);
  assert.strictEqual(c.pop(), 'A');
  assert.strictEqual(c.size, 3);
  c.clear();
  assert.strictEqual(c.size, 0);
  assert.strictEqual(c.pop(), undefined);
  assert.deepStrictEqual([...c.keys()], []);
  c.close();
});

test('iteration crosses batch boundaries and survives deletes', () => {
  const c = new LRUCache({ max: 5000 });
  for (let i = 0; i < 2000; i++) c.set(i, i * 2);
  const keys = [...c.keys()];
  assert.strictEqual(keys.length, 2000);
  assert.strictEqual(keys[0], 1999);
  assert.strictEqual(keys[1999], 0);
  assert.deepStrictEqual([...c.rvalues()].slice(0, 3), [0, 2, 4]);
  // deleting the current entry while iterating visits every entry
  let n = 0;
  for (const k of c.keys()) {
    assert.strictEqual(c.delete(k), true);
    n++;
  }
  assert.strictEqual(n, 2000);
  assert.strictEqual(c.size, 0);
  // deleting other entries never crashes; yielded keys were all in the cache
  for (let i = 0; i < 2000; i++) c.set(i, i);
  const seen = [];
  for (const k of c.keys()) {
    seen.push(k);
    c.delete(k - 1);
    c.delete(k - 600);
  }
  assert.ok(seen.length > 0 && seen.every((k) => Number.isInteger(k) && k >= 0 && k < 2000));
  c.close();
});

test('behaves like lru-cache for the same operations', () => {
  const ours = new LRUCache({ max: 50 });
  const theirs = new JsLRU({ max: 50 });
  let x = 7;
  const rnd = (n) => { x = (x * 1103515245 + 12345) >>> 0; return x % n; };
  for (let i = 0; i < 5000; i++) {
    const k = rnd(2) ? rnd(80) : `s${rnd(80)}`;
    switch (rnd(6)) {
      case 0: case 1: ours.set(k, i); theirs.set(k, i); break;
      case 2: case 3: assert.strictEqual(ours.get(k), theirs.get(k)); break;
      case 4: assert.strictEqual(ours.delete(k), theirs.delete(k)); break;
      default: assert.strictEqual(ours.peek(k), theirs.peek(k)); assert.strictEqual(ours.has(k), theirs.has(k));
    }
    assert.strictEqual(ours.size, theirs.size);
  }
  assert.deepStrictEqual([...ours.keys()], [...theirs.keys()]);
  assert.deepStrictEqual([...ours.rentries()], [...theirs.rentries()]);
  assert.strictEqual(ours.pop(), theirs.pop());
  assert.deepStrictEqual(ours.dump(), theirs.dump());
  ours.close();
});

test('dump() and load() use lru-cache\'s format in both directions', () => {
  withClock((setClock) => {
    setClock(1000);
    const c = new LRUCache({ max: 10, ttl: 60000 });
    c.set('a', 1).set('b', { x: [1] }, { ttl: 120000 }).set(3, 'three', { ttl: 0 });
    const dump = c.dump();
    assert.deepStrictEqual(dump.map(([k]) => k), ['a', 'b', 3]);
    assert.strictEqual(dump[0][1].ttl, 60000);
    assert.strictEqual(dump[1][1].ttl, 120000);
    assert.ok(Math.abs(dump[0][1].start - Date.now()) < 5000);
    assert.strictEqual(dump[2][1].ttl, undefined);
    const js = new JsLRU({ max: 10, ttl: 60000 });
    js.load(structuredClone(dump)); // lru-cache's load() rewrites entry.start
    assert.deepStrictEqual([...js.keys()], [3, 'b', 'a']);
    assert.deepStrictEqual(js.get('b'), { x: [1] });
    const back = new LRUCache({ max: 10 });
    back.load(js.dump());
    assert.deepStrictEqual([...back.keys()], [...js.keys()]);
    assert.deepStrictEqual(back.get('b'), { x: [1] });
    const copy = new LRUCache({ max: 10 });
    copy.load(dump);
    assert.deepStrictEqual([...copy.entries()], [...c.entries()]);
    assert.ok(copy.getRemainingTTL('b') > 60000);
    assert.strictEqual(copy.getRemainingTTL(3), Infinity);
    // an entry whose ttl ran out while dumped is not loaded
    copy.load([['old', { value: 1, ttl: 10, start: Date.now() - 1000 }], ['new', { value: 2 }]]);
    assert.deepStrictEqual([...copy.keys()], ['new']);
    for (const x of [c, back, copy]) x.close();
  });
});

test('ttl: default, per entry, expiry on touch, allowStale, updateAgeOnGet', () => {
  withClock((setClock) => {
    setClock(1000);
    const c = new LRUCache({ max: 10, ttl: 100 });
    c.set('a', 1);
    c.set('b', 2, { ttl: 500 });
    c.set('c', 3, { ttl: 0 });
    assert.strictEqual(c.getRemainingTTL('a'), 100);
    assert.strictEqual(c.getRemainingTTL('c'), Infinity);
    assert.strictEqual(c.getRemainingTTL('zz'), 0);
    setClock(1100);
    assert.strictEqual(c.get('a'), 1);
    assert.deepStrictEqual(c.info('b'), { value: 2, ttl: 400, start: c.info('b').start });
    setClock(1101);
    assert.strictEqual(c.has('a'), false);
    assert.strictEqual(c.peek('a'), undefined);
    assert.strictEqual(c.get('a'), undefined);
    assert.strictEqual(c.stats().expirations, 1);
    assert.deepStrictEqual([...c.keys()].sort(), ['b', 'c']);
    setClock(5000);
    assert.strictEqual(c.get('b'), undefined);
    assert.strictEqual(c.get('c'), 3);
    c.close();

    setClock(0);
    const s = new LRUCache({ max: 10, ttl: 10, allowStale: true });
    s.set('k', 'v');
    setClock(20);
    assert.strictEqual(s.peek('k'), 'v');
    assert.strictEqual(s.get('k'), 'v'); // stale, returned once, then removed
    assert.strictEqual(s.get('k'), undefined);
    s.set('k2', 'v2');
    setClock(100);
    assert.strictEqual(s.get('k2', { allowStale: false }), undefined);
    s.close();

    setClock(0);
    const u = new LRUCache({ max: 10, ttl: 100, updateAgeOnGet: true });
    u.set('k', 'v');
    for (let t = 90; t < 1000; t += 90) {
      setClock(t);
      assert.strictEqual(u.get('k'), 'v');
    }
    setClock(2000);
    assert.strictEqual(u.get('k'), undefined);
    u.close();

    setClock(0);
    const p = new LRUCache({ max: 100, ttl: 10 });
    for (let i = 0; i < 20; i++) p.set(i, i);
    setClock(50);
    assert.strictEqual(p.purgeStale(), true);
    assert.strictEqual(p.size, 0);
    assert.strictEqual(p.purgeStale(), false);
    p.close();
  });
});

test('writes sweep expired entries away without any reads', () => {
  withClock((setClock) => {
    setClock(0);
    const expired = [];
    const c = new LRUCache({ max: 10000, ttl: 10, onEvict: (k, v, reason) => expired.push(reason) });
    for (let i = 0; i < 1000; i++) c.set(i, 'x');
    setClock(100);
    for (let i = 0; i < 300; i++) c.set('fresh', i, { ttl: 0 });
    assert.strictEqual(c.size, 1);
    assert.strictEqual(c.stats().expirations, 1000);
    assert.strictEqual(expired.length, 1000);
    assert.ok(expired.every((r) => r === 'expire'));
    c.close();
  });
});

test('ttl with the real clock expires entries', async () => {
  const c = new LRUCache({ max: 10 });
  c.set('short', 1, { ttl: 20 });
  c.set('long', 2, { ttl: 600000 });
  await new Promise((r) => setTimeout(r, 80));
  assert.strictEqual(c.get('short'), undefined);
  assert.strictEqual(c.get('long'), 2);
  c.close();
});

test('onEvict and dispose get evicted and expired entries after the operation', () => {
  withClock((setClock) => {
    setClock(0);
    const events = [];
    const disposed = [];
    let c;
    c = new LRUCache({
      max: 2,
      onEvict: (key, value, reason) => {
        events.push([key, value, reason]);
        // re-entering the cache from the callback is allowed
        assert.ok(c.size <= 2);
      },
      dispose: (value, key, reason) => disposed.push([key, value, reason]),
    });
    c.set('a', { n: 1 }).set('b', Buffer.from('bb'));
    c.set('c', 'C');
    assert.deepStrictEqual(events, [['a', { n: 1 }, 'evict']]);
    assert.deepStrictEqual(disposed, events);
    c.set('d', 'D', { ttl: 5 });
    assert.deepStrictEqual(events[1], ['b', Buffer.from('bb'), 'evict']);
    setClock(10);
    assert.strictEqual(c.get('d'), undefined);
    assert.deepStrictEqual(events[2], ['d', 'D', 'expire']);
    c.delete('c'); // explicit deletes are not evictions
    assert.strictEqual(events.length, 3);
    c.close();

    const failing = new LRUCache({ max: 1, onEvict: () => { throw new Error('boom'); } });
    failing.set('x', 1);
    assert.throws(() => failing.set('y', 2), /boom/);
    assert.strictEqual(failing.get('y'), 2); // the set itself completed
    assert.strictEqual(failing.size, 1);
    failing.close();
  });
});

test('stats() counts hits, misses, sets, deletes, evictions', () => {
  const c = new LRUCache({ max: 2 });
  c.set('a', 1).set('b', 2).set('c', 3);
  c.get('a');
  c.get('b');
  c.delete('b');
  const st = c.stats();
  assert.strictEqual(st.hits, 1);
  assert.strictEqual(st.misses, 1);
  assert.strictEqual(st.sets, 3);
  assert.strictEqual(st.deletes, 1);
  assert.strictEqual(st.evictions, 1);
  assert.strictEqual(st.entries, 1);
  assert.ok(st.bytes > 0 && st.totalBytes >= st.bytes);
  c.close();
});

test('use after close throws ERR_MEMCTL_CLOSED; offHeapBytes() is 0', () => {
  const c = new LRUCache({ max: 2 });
  c.set('a', 1);
  assert.ok(c.offHeapBytes() > 0);
  c.close();
  c.close(); // idempotent
  assert.strictEqual(c.offHeapBytes(), 0);
  for (const call of [() => c.get('a'), () => c.set('a', 1), () => c.has('a'), () => c.peek('a'),
    () => c.delete('a'), () => c.size, () => c.clear(), () => c.pop(), () => [...c.keys()],
    () => c.dump(), () => c.stats(), () => c.info('a'), () => c.get('a', {}), () => c.set('a', 1, { ttl: 1 }),
    () => c.purgeStale()]) {
    assert.throws(call, code('ERR_MEMCTL_CLOSED', 'Error'));
  }
});

test('native functions reject foreign handles', () => {
  assert.throws(() => native.cacheGet({}, 'k'), code('ERR_MEMCTL_INVALID_HANDLE', 'TypeError'));
  assert.throws(() => native.cacheSet(null, 'k', 1), code('ERR_MEMCTL_INVALID_HANDLE', 'TypeError'));
  assert.throws(() => native.cacheSize(1), code('ERR_MEMCTL_INVALID_HANDLE', 'TypeError'));
});

test('offHeapBytes is reported through memctl usage tracking', () => {
  const { offHeapBytes } = require('../../lib/offheap');
  const c = new LRUCache({ max: 1000 });
  for (let i = 0; i < 1000; i++) c.set(i, 'v'.repeat(100));
  const usage = offHeapBytes();
  assert.ok(usage.caches >= c.offHeapBytes());
  assert.ok(c.offHeapBytes() > 100 * 1000);
  c.close();
});

test('LimitableMap drops the oldest inserted key; updates keep their place', () => {
  const m = new LimitableMap(3);
  assert.strictEqual(m.limit, 3);
  m.set('a', 1).set('b', 2).set('c', 3);
  m.get('a');
  m.set('a', 10); // update keeps place
  m.set('d', 4); // drops a, the oldest inserted
  assert.deepStrictEqual([...m.keys()], ['b', 'c', 'd']);
  assert.strictEqual(m.get('a'), undefined);
  assert.strictEqual(m.has('b'), true);
  assert.strictEqual(m.size, 3);
  assert.strictEqual(m.delete('b'), true);
  assert.deepStrictEqual([...m.entries()], [['c', 3], ['d', 4]]);
  assert.deepStrictEqual([...m.values()], [3, 4]);
  assert.deepStrictEqual([...m], [['c', 3], ['d', 4]]);
  assert.strictEqual(new LimitableMap().limit, 10);
  const dflt = new LimitableMap();
  for (let i = 0; i < 25; i++) dflt.set(i, i);
  assert.deepStrictEqual([...dflt.keys()], [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  for (const bad of [0, -1, 1.5, NaN]) assert.throws(() => new LimitableMap(bad), code('ERR_MEMCTL_OUT_OF_RANGE', 'RangeError'));
  assert.throws(() => new LimitableMap('10'), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  assert.throws(() => m.set({}, 1), code('ERR_MEMCTL_INVALID_KEY', 'TypeError'));
  m.close();
  assert.throws(() => m.get('c'), code('ERR_MEMCTL_CLOSED', 'Error'));
});

test('LimitableMap options: policy fifo (default) or sieve; anything else is a coded error', () => {
  const s = new LimitableMap(3, { policy: 'sieve' });
  assert.strictEqual(s.policy, 'sieve');
  s.set('a', 1).set('b', 2).set('c', 3);
  s.get('a'); // visited: SIEVE keeps it and evicts the oldest unvisited ('b')
  s.set('d', 4);
  assert.deepStrictEqual([...s.keys()].sort(), ['a', 'c', 'd']);
  assert.strictEqual(new LimitableMap(3).policy, 'fifo');
  assert.throws(() => new LimitableMap(3, { policy: 'lru' }), code('ERR_MEMCTL_INVALID_ARG_VALUE', 'TypeError'));
  assert.throws(() => new LimitableMap(3, { max: 5 }), code('ERR_MEMCTL_UNKNOWN_OPTION', 'TypeError'));
  assert.throws(() => new LimitableMap(3, 'sieve'), code('ERR_MEMCTL_INVALID_ARG_TYPE', 'TypeError'));
  s.close();
});
