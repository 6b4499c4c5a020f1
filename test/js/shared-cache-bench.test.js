'use strict';
// Smoke test of `memctl bench --shared --tiny`: every section runs and
// reports its figures and target (the figures themselves mean nothing here).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

test('memctl bench --shared --tiny --json reports every section', () => {
  const run = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'memctl.js'), 'bench', '--shared', '--tiny', '--json'],
    { encoding: 'utf8', timeout: 180000 });
  assert.strictEqual(run.status, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.strictEqual(r.mode, 'tiny');
  assert.ok(r.single.sharedGetsPerSec > 0 && r.single.lruGetsPerSec > 0 && r.single.target === 0.7);
  assert.ok(r.single.everyKey.sharedGetsPerSec > 0 && r.single.everyKey.lruGetsPerSec > 0 && r.single.everyKey.ratio > 0);
  assert.ok(r.scaling.oneProcessOpsPerSec > 0 && r.scaling.twoProcessesOpsPerSec > 0 && r.scaling.target === 1.6);
  assert.strictEqual(r.scaling.rounds.length, 1);
  for (const ref of [r.scaling.privateSegments, r.scaling.getsOnly]) {
    assert.ok(ref.oneProcessOpsPerSec > 0 && ref.twoProcessesOpsPerSec > 0 && ref.ratio > 0 && ref.rounds.length === 1);
  }
  assert.strictEqual(r.scalingLru.privateSegments, undefined);
  if (!r.redis.skipped) {
    assert.ok(r.redis.redisOneAtATimePerSec > 0 && r.redis.redis100InFlightPerSec > 0 && r.redis.target === 20);
  }
  assert.ok(r.scalingLru.oneProcessOpsPerSec > 0 && r.scalingLru.policy === 'lru' && r.scaling.policy === 'sieve');
  assert.ok(r.single.quiet && r.scaling.quiet && typeof r.scaling.quiet.quiet === 'boolean');
  // tiny sizes: the net figures are within the noise of a Node runtime (they
  // may even be negative); the segment's own PSS must be there in both cases
  assert.ok(Number.isFinite(r.memory.oneProcessNetBytes) && Number.isFinite(r.memory.fourSharedNetBytes));
  assert.ok(r.memory.oneProcessSegmentPss > 0 && r.memory.fourSharedSegmentPss > 0 && r.memory.fourLruCacheNetBytes > 0);
  assert.strictEqual(r.memory.target, 1.2);
});
