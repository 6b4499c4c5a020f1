'use strict';
// Smoke test of `memctl bench --tiered --tiny --json`: every figure is present
// and finite. No timing assertions: speed is judged by the benchmark itself.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { redisMissing } = require('./helpers/redis');

test('memctl bench --tiered --tiny --json reports every figure', { skip: redisMissing(), timeout: 300_000 }, () => {
  const run = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'memctl.js'), 'bench', '--tiered', '--tiny', '--json'],
    { encoding: 'utf8', timeout: 280_000 });
  assert.equal(run.status, 0, run.stderr);
  const r = JSON.parse(run.stdout);
  assert.equal(r.mode, 'tiny');
  const { hits, invalidation, zipf } = r.results;
  for (const v of [hits.rawGetNs, hits.l1HitNs, hits.l2HitNs, hits.l1Speedup, hits.l2Cost,
    hits.rawGetInFlightNs, hits.l2HitInFlightNs, hits.l2CostInFlight, invalidation.p50Ms, invalidation.p99Ms]) {
    assert.ok(Number.isFinite(v) && v > 0, `figure ${v}`);
  }
  assert.equal(hits.inFlight, 32);
  assert.equal(invalidation.samples, 20);
  assert.equal(zipf.processes, 4);
  assert.equal(zipf.requests, 2000);
  assert.ok(zipf.loaderCalls >= 1 && zipf.loaderCalls <= zipf.requests);
  assert.deepEqual(Object.keys(r.targets).sort(), ['l1Hit', 'l2Hit', 'l2HitInFlight']);
  for (const t of Object.values(r.targets)) assert.equal(typeof t.pass, 'boolean');
});
