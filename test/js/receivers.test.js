'use strict';
// Every method and getter of memctl's classes called on a wrong receiver
// throws TypeError ERR_MEMCTL_INVALID_THIS (not V8's uncoded private-field
// error), and the brand check lets real instances and subclasses through.
const test = require('node:test');
const assert = require('node:assert');
const memctl = require('../..');

const CLASSES = ['LRUCache', 'LimitableMap', 'Pool', 'LeakWatcher', 'ParsedSnapshot'];
const invalidThis = (err) => err instanceof TypeError && err.code === 'ERR_MEMCTL_INVALID_THIS';

function members(proto) {
  return Object.getOwnPropertyNames(proto).filter((m) => m !== 'constructor').map((m) => {
    const d = Object.getOwnPropertyDescriptor(proto, m);
    return [m, d.get || d.value];
  });
}

for (const name of CLASSES) {
  test(`${name}: every method and getter rejects a wrong receiver with ERR_MEMCTL_INVALID_THIS`, () => {
    const proto = memctl[name].prototype;
    const other = new memctl.LRUCache({ max: 2 });
    const receivers = [{}, undefined, null, 1, 'text', proto, name === 'LRUCache' ? new memctl.Pool({ maxBytes: 1 << 20 }) : other];
    let checked = 0;
    for (const [m, fn] of members(proto)) {
      for (const self of receivers) {
        assert.throws(() => fn.call(self, 'k', 1), invalidThis, `${name}.prototype.${m} on ${String(self)}`);
        checked++;
      }
    }
    assert.ok(checked >= receivers.length * 3, `only ${checked} calls checked`);
    for (const r of receivers) if (r && r !== proto && typeof r.close === 'function') r.close();
  });
}

test('the brand check lets instances and subclass instances through', () => {
  class Sub extends memctl.LRUCache {}
  const c = new Sub({ max: 4 });
  c.set('a', 1);
  assert.strictEqual(c.get('a'), 1);
  assert.strictEqual(c.has('a'), true);
  assert.strictEqual(c.peek('a'), 1);
  assert.strictEqual(c.size, 1);
  assert.strictEqual(c.delete('a'), true);
  c.close();
  const p = new memctl.Pool({ maxBytes: 1 << 20 });
  const b = p.alloc(10);
  assert.strictEqual(b.length, 10);
  p.free(b);
  p.close();
  assert.strictEqual(Object.prototype.toString.call(memctl.LRUCache.prototype), '[object LRUCache]');
});
