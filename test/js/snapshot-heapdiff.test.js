'use strict';
// memwatch's HeapDiff on real allocations, in the main thread and in a worker.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker } = require('worker_threads');
const memctl = require('../../lib');
const { formatBytes, MEMWATCH } = require('../../lib/format');

class LeakyThing {
  constructor(i) { this.i = i; this.payload = { i }; }
}

const tempFiles = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`memctl-heapdiff-${process.pid}-`));

function assertShape(diff) {
  for (const side of [diff.before, diff.after]) {
    assert.strictEqual(typeof side.nodes, 'number');
    assert.strictEqual(typeof side.size_bytes, 'number');
    assert.strictEqual(typeof side.size, 'string');
  }
  for (const k of ['size_bytes', 'freed_nodes', 'allocated_nodes']) assert.strictEqual(typeof diff.change[k], 'number');
  assert.strictEqual(typeof diff.change.size, 'string');
  assert.ok(Array.isArray(diff.change.details));
  for (const d of diff.change.details) assert.deepStrictEqual(Object.keys(d).sort(), ['+', '-', 'size', 'size_bytes', 'what']);
}

test('HeapDiff#end(): 10000 new instances of a class show up in details', () => {
  const hd = new memctl.HeapDiff();
  assert.strictEqual(tempFiles().length, 1);
  const kept = [];
  for (let i = 0; i < 10000; i++) kept.push(new LeakyThing(i));
  const diff = hd.end();
  assertShape(diff);
  const row = diff.change.details.find((d) => d.what === 'LeakyThing');
  assert.ok(row, 'LeakyThing is in the details');
  assert.ok(row['+'] >= 10000, `'+' is ${row['+']}`);
  assert.ok(row.size_bytes > 0);
  assert.ok(diff.change.allocated_nodes >= 20000); // the things and their payloads
  assert.ok(diff.after.nodes > diff.before.nodes);
  assert.strictEqual(tempFiles().length, 0, 'temporary snapshots removed');
  assert.throws(() => hd.end(), { code: 'ERR_MEMCTL_HEAPDIFF_ENDED' });
  assert.strictEqual(kept.length, 10000);
});

test('HeapDiff#end(): freed objects are counted in "-"', () => {
  let kept = [];
  for (let i = 0; i < 5000; i++) kept.push(new LeakyThing(i));
  const hd = new memctl.HeapDiff();
  kept = null;
  const diff = hd.end(); // writing a snapshot collects garbage first
  const row = diff.change.details.find((d) => d.what === 'LeakyThing');
  // V8 may keep the last instance or two alive (a register, a feedback slot).
  assert.ok(row && row['-'] >= 4990, `'-' is ${row && row['-']}`);
  assert.ok(row.size_bytes < 0);
  assert.strictEqual(kept, null);
});

test('HeapDiff#endAsync() resolves to the same shape', async () => {
  const hd = new memctl.HeapDiff();
  const kept = [];
  for (let i = 0; i < 3000; i++) kept.push(new LeakyThing(i));
  const diff = await hd.endAsync();
  assertShape(diff);
  assert.ok(diff.change.details.find((d) => d.what === 'LeakyThing')['+'] >= 3000);
  await assert.rejects(hd.endAsync(), { code: 'ERR_MEMCTL_HEAPDIFF_ENDED' });
  assert.strictEqual(tempFiles().length, 0);
});

test('HeapDiff works in a worker thread (the worker\'s own heap)', async () => {
  const code = `
    const { parentPort } = require('worker_threads');
    const { HeapDiff } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib'))});
    class InWorker { constructor(i) { this.i = i; } }
    const hd = new HeapDiff();
    const kept = [];
    for (let i = 0; i < 2000; i++) kept.push(new InWorker(i));
    const row = hd.end().change.details.find((d) => d.what === 'InWorker');
    parentPort.postMessage(row ? row['+'] : -1);
  `;
  const added = await new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.ok(added >= 2000, `'+' is ${added}`);
});

test('an abandoned HeapDiff leaves no file once collected or at exit', () => {
  const { spawnSync } = require('child_process');
  const code = `
    const fs = require('fs'), os = require('os');
    const { HeapDiff } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib'))});
    const mine = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('memctl-heapdiff-' + process.pid + '-'));
    globalThis.kept = new HeapDiff();
    (() => { new HeapDiff(); })(); // dropped at once
    process.stdout.write(mine().length + ' ');
    (async () => {
      for (let i = 0; i < 50 && mine().length > 1; i++) { global.gc(); await new Promise((r) => setTimeout(r, 10)); }
      process.stdout.write(String(mine().length));
    })();
  `;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', code], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.strictEqual(r.stdout, '2 1'); // the collected one's file is gone; the kept one's until exit
  const leftovers = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`memctl-heapdiff-${r.pid}-`));
  assert.deepStrictEqual(leftovers, []);
});

test("sizes are printed the way memwatch prints them", () => {
  const formatSize = (n) => formatBytes(n, MEMWATCH);
  assert.strictEqual(formatSize(0), '0 bytes');
  assert.strictEqual(formatSize(1023), '1023 bytes');
  assert.strictEqual(formatSize(1024), '1.00 kb');
  assert.strictEqual(formatSize(1536), '1.50 kb');
  assert.strictEqual(formatSize(-3 * 1024 * 1024), '-3.00 mb');
  assert.strictEqual(formatSize(5 * 1024 ** 3), '5.00 gb');
});
