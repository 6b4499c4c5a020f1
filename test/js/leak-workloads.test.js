'use strict';
// Real workloads in child processes, run concurrently (about 60 s in all):
// a steady leak must raise 'leak' within 60 s, heavily allocating workloads
// with a flat live set (small, or large and filled at startup) must raise
// none in the same time, and a queue whose
// consumer is slower than its producer must raise 'growth'. No timing is
// asserted beyond the 60 s window the detector is designed for.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { run } = require('./fixtures/leak-child');

const workload = path.join(__dirname, 'fixtures', 'leak-workload.js');
const SECONDS = 60;
const work = (mode, detector = 'trend') => run([workload, mode, String(SECONDS), detector], { timeout: (SECONDS + 60) * 1000 });

test('real workloads', { concurrency: true }, async (t) => {
  await Promise.all([
    t.test('a steady leak raises leak within 60 s', async () => {
      const { code, events, stderr } = await work('leak');
      assert.strictEqual(code, 0, stderr);
      const leak = events.find((e) => e.event === 'leak');
      assert.ok(leak, `no leak event: ${JSON.stringify(events.slice(-1))}`);
      assert.strictEqual(leak.detector, 'trend');
      assert.ok(leak.growth > 0);
      assert.ok(new Date(leak.end) > new Date(leak.start));
      assert.match(leak.reason, /^heap growth over \d+ samples \(.+\) - [\d.]+ (kb|mb|gb)\/hr$/);
    }),
    t.test('a heavily allocating flat workload raises no leak in 60 s', async () => {
      const { code, events, stderr } = await work('flat');
      assert.strictEqual(code, 0, stderr);
      const end = events.find((e) => e.event === 'end');
      assert.ok(end, 'the workload ran to its end');
      assert.ok(end.stats.num_inc_gc > 100, 'it did allocate heavily');
      assert.deepStrictEqual(events.filter((e) => e.event === 'leak'), []);
    }),
    t.test('a flat workload with a large live set (filled at startup) raises no leak in 60 s', async () => {
      const { code, events, stderr } = await work('bigflat');
      assert.strictEqual(code, 0, stderr);
      const end = events.find((e) => e.event === 'end');
      assert.ok(end, 'the workload ran to its end');
      assert.ok(end.stats.min > 30 * 1024 * 1024, 'its live set is large');
      assert.deepStrictEqual(events.filter((e) => e.event === 'leak'), []);
    }),
    t.test('a queue whose consumer is slower than its producer raises growth', async () => {
      const { code, events, stderr } = await work('queue');
      assert.strictEqual(code, 0, stderr);
      const growth = events.find((e) => e.event === 'growth');
      assert.ok(growth, 'no growth event');
      assert.strictEqual(growth.name, 'jobs');
      assert.ok(growth.value > growth.startValue);
      assert.match(growth.reason, /^jobs growth over \d+ samples/);
      assert.deepStrictEqual(events.filter((e) => e.event === 'error'), []);
    }),
  ]);
});
