'use strict';
// SharedCache under real processes: 4 processes doing random get/set/delete on
// self-checksummed values while writers are SIGKILLed inside the critical
// section 200 times (stopped there by the cache core's test hook).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { SharedCache } = require('../..');

const CHILD = path.join(__dirname, 'fixtures', 'shared-cache-child.js');
const KILLS = Number(process.env.MEMCTL_TEST_KILLS) || 200;
const STOP_TIMEOUT_MS = 20000; // a writer that never reaches its stop point: a failure

// Resolves with { code, signal, stdout } when the process exits.
function collect(child) {
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout: out, stderr: err })));
}

// The state letter of /proc/<pid>/stat ('T' = stopped), or '' once it is gone.
function procState(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One writer: starts, runs until its n-th mutation point raises SIGSTOP
// (holding a shard lock), then is SIGKILLed there.
async function killOneWriter(name, n, seed, mode = 'writer') {
  const child = spawn(process.execPath, [CHILD, mode, name, '-', String(seed)], {
    env: { ...process.env, MEMCTL_TEST_STOP_AT: String(n) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = collect(child);
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  let state;
  while ((state = procState(child.pid)) !== 'T' && state !== '' && state !== 'Z' && Date.now() < deadline) await sleep(5);
  child.kill('SIGKILL');
  const r = await done;
  assert.strictEqual(state, 'T', `writer did not stop at mutation point ${n}: ${r.stderr}`);
  assert.strictEqual(r.signal, 'SIGKILL');
}

test('4 processes share one cache; writers killed inside the lock 200 times', { timeout: 600000 }, async () => {
  const name = `crash-${process.pid}`;
  const stopFile = path.join(os.tmpdir(), `memctl-shared-stop-${process.pid}`);
  fs.rmSync(stopFile, { force: true });
  const cache = new SharedCache({ name, maxBytes: 256 * 1024, shards: 4 });
  try {
    const mixed = [1, 2, 3, 4].map((i) => collect(spawn(process.execPath, [CHILD, 'mixed', name, stopFile, String(i * 7919)],
      { stdio: ['ignore', 'pipe', 'pipe'] })));
    // Four writers at a time, each stopped at a different mutation point.
    let next = 0;
    const lane = async (l) => {
      while (next < KILLS) {
        const i = next++;
        await killOneWriter(name, 1 + ((i * 7 + l) % 60), 1000 + i);
      }
    };
    await Promise.all([lane(0), lane(1), lane(2), lane(3)]);
    fs.writeFileSync(stopFile, 'stop');
    const reports = await Promise.all(mixed);
    for (const r of reports) {
      assert.strictEqual(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout);
      assert.ok(rep.reads > 0 && rep.hits > 0, JSON.stringify(rep));
      assert.strictEqual(rep.bad, 0, `torn or misplaced values read: ${JSON.stringify(rep)}`);
      // Hang detection only (not a speed figure): every op finished well within the timeout.
      assert.ok(rep.maxOpMs < STOP_TIMEOUT_MS, JSON.stringify(rep));
    }
    assert.strictEqual(cache.verify(), true); // takes every lock: recovers any shard not yet taken
    const st = cache.stats();
    assert.strictEqual(st.recoveries, KILLS, JSON.stringify(st));
    // every writer died inside a change (it stopped at a core mutation
    // point): each recovery rebuilt its shard, none had to empty it, and a
    // rebuild drops at most the one entry being written
    assert.strictEqual(st.repairs, KILLS, JSON.stringify(st));
    assert.strictEqual(st.resets, 0, JSON.stringify(st));
    assert.ok(st.lostEntries <= st.repairs, JSON.stringify(st));
    // The cache still works after all that.
    cache.set('after', { ok: true });
    assert.deepStrictEqual(cache.get('after'), { ok: true });
  } finally {
    fs.rmSync(stopFile, { force: true });
    cache.close();
    SharedCache.unlink(name);
  }
});

// Sets that rewrite a value in place guard it with the entry's version word,
// not the shard's seqlock: readers that never lock must still never see a
// torn value, whether the writer is alive (a rewrite under way) or was killed
// in the middle of one (the next locker's repair drops that entry).
test('in-place rewrites: lock-free readers never see a torn value, also when the writer dies mid-rewrite', { timeout: 300000 }, async () => {
  const name = `hot-${process.pid}`;
  const stopFile = path.join(os.tmpdir(), `memctl-hot-stop-${process.pid}`);
  fs.rmSync(stopFile, { force: true });
  const cache = new SharedCache({ name, maxBytes: 1024 * 1024, shards: 2, policy: 'fifo' });
  const kills = 20;
  try {
    const readers = [1, 2].map((i) => collect(spawn(process.execPath, [CHILD, 'hot-reader', name, stopFile, String(i)],
      { stdio: ['ignore', 'pipe', 'pipe'] })));
    const writer = collect(spawn(process.execPath, [CHILD, 'hot-writer', name, stopFile, '7'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    await sleep(1500);
    // each killed writer stops inside its n-th rewrite (two hook points per
    // in-place set: the value not yet written, then written)
    for (let i = 0; i < kills; i++) await killOneWriter(name, 50 + i, 100 + i, 'hot-writer');
    await sleep(300);
    fs.writeFileSync(stopFile, 'stop');
    const w = await writer;
    assert.strictEqual(w.code, 0, w.stderr);
    const wrep = JSON.parse(w.stdout);
    for (const r of await Promise.all(readers)) {
      assert.strictEqual(r.code, 0, r.stderr);
      const rep = JSON.parse(r.stdout);
      assert.ok(rep.reads > 1000 && rep.hits > 0, JSON.stringify(rep));
      assert.strictEqual(rep.bad, 0, `torn values read: ${JSON.stringify(rep)}`);
      // the readers did read without the lock while the rewrites went on
      assert.ok(rep.stats.lockFreeReads > 0, JSON.stringify(rep.stats));
    }
    assert.ok(wrep.ops > 1000, JSON.stringify(wrep));
    assert.strictEqual(cache.verify(), true);
    const st = cache.stats();
    assert.strictEqual(st.recoveries, kills, JSON.stringify(st));
    assert.strictEqual(st.resets, 0, JSON.stringify(st));
    assert.ok(st.lostEntries <= kills, JSON.stringify(st));
  } finally {
    fs.rmSync(stopFile, { force: true });
    cache.close();
    SharedCache.unlink(name);
  }
});
