// ES module imports: every export of 'memctl', 'memctl/memwatch' and
// 'memctl/heapdump' is importable by name (the package imports itself by name
// through its "exports" map), and is the very object require() returns.
import test from 'node:test';
import assert from 'node:assert';
import { createRequire } from 'node:module';
import * as memctl from 'memctl';
import * as memwatchNs from 'memctl/memwatch';
import * as heapdumpNs from 'memctl/heapdump';
import { LRUCache, LimitableMap, Pool, LeakWatcher, usage } from 'memctl';
import memwatch, { gc, configure, on, off } from 'memctl/memwatch';
import { writeSnapshot, signalHandlerInstalled } from 'memctl/heapdump';

const require = createRequire(import.meta.url);
const publicNames = (obj) => Object.keys(obj).filter((k) => !k.startsWith('_')).sort();

test('every CommonJS export of memctl is a named ES export, the same object', () => {
  const cjs = require('memctl');
  const names = publicNames(cjs);
  assert.ok(names.length >= 10, `too few exports: ${names}`);
  assert.deepStrictEqual(publicNames(memctl).filter((k) => k !== 'default'), names);
  for (const name of names) assert.strictEqual(memctl[name], cjs[name], name);
  assert.strictEqual(memctl.default, cjs);
});

test('named imports work and are usable', () => {
  const c = new LRUCache({ max: 2 });
  c.set('a', 1);
  assert.strictEqual(c.get('a'), 1);
  c.close();
  assert.strictEqual(typeof LimitableMap, 'function');
  assert.strictEqual(typeof Pool, 'function');
  assert.strictEqual(typeof LeakWatcher, 'function');
  assert.strictEqual(typeof usage, 'function');
});

test('memctl/heapdump: every export is named', () => {
  const cjs = require('memctl/heapdump');
  assert.deepStrictEqual(publicNames(heapdumpNs).filter((k) => k !== 'default'), publicNames(cjs));
  assert.strictEqual(writeSnapshot, cjs.writeSnapshot);
  assert.strictEqual(signalHandlerInstalled, cjs.signalHandlerInstalled);
});

test('memctl/memwatch: default is the emitter; its own methods and listener methods are named', () => {
  const cjs = require('memctl/memwatch');
  assert.strictEqual(memwatch, cjs);
  for (const name of publicNames(cjs)) assert.strictEqual(typeof memwatchNs[name], 'function', name);
  for (const name of ['on', 'once', 'off', 'removeListener', 'removeAllListeners', 'listenerCount', 'gc', 'configure']) {
    assert.strictEqual(typeof memwatchNs[name], 'function', name);
  }
  const fn = () => {};
  assert.strictEqual(on('stats', fn), cjs);
  assert.strictEqual(cjs.listenerCount('stats'), 1);
  off('stats', fn);
  assert.strictEqual(cjs.listenerCount('stats'), 0);
  assert.strictEqual(configure({}), cjs);
  // memwatch's gc() needs no --expose-gc flag (it obtains V8's collector).
  gc();
  assert.strictEqual(typeof globalThis.gc, 'undefined', 'gc() must not leave a global gc behind');
});
