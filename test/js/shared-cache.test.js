'use strict';
// SharedCache API, coded errors, damaged segments, and the README's
// worker_threads and cluster examples run as real threads and processes.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { SharedCache } = require('../..');

const root = path.join(__dirname, '..', '..');
let seq = 0;
const uniq = (tag) => `${tag}-${process.pid}-${++seq}`;

function withCache(opts, fn) {
  const name = uniq('api');
  const c = new SharedCache({ name, maxBytes: 1 << 20, ...opts });
  try {
    return fn(c, name);
  } finally {
    c.close();
    SharedCache.unlink(name);
  }
}

test('values and keys follow LRUCache rules, across two handles', () => {
  withCache({ shards: 4 }, (a, name) => {
    const b = new SharedCache({ name });
    try {
      const obj = { n: 1, nested: [1, 'two', { three: 3 }] };
      a.set('obj', obj).set(1, 'num-key').set('1', 'str-key').set('buf', Buffer.from('bytes'));
      a.set('big', 2n ** 70n).set('t', true).set('nil', null).set('utf', 'h\u00e9llo \u{1F600}');
      obj.n = 2; // a copy was stored
      assert.deepStrictEqual(b.get('obj'), { n: 1, nested: [1, 'two', { three: 3 }] });
      assert.strictEqual(b.get(1), 'num-key');
      assert.strictEqual(b.get('1'), 'str-key');
      assert.deepStrictEqual(b.get('buf'), Buffer.from('bytes'));
      assert.strictEqual(b.get('big'), 2n ** 70n);
      assert.strictEqual(b.get('t'), true);
      assert.strictEqual(b.get('nil'), null);
      assert.strictEqual(b.get('utf'), 'h\u00e9llo \u{1F600}');
      assert.strictEqual(b.get('missing'), undefined);
      assert.strictEqual(b.size, 8);
      assert.strictEqual(b.has('obj'), true);
      assert.strictEqual(b.delete('obj'), true);
      assert.strictEqual(a.has('obj'), false);
      assert.strictEqual(a.delete('obj'), false);
      a.set('t', undefined); // as LRUCache: undefined deletes
      assert.strictEqual(b.has('t'), false);
      assert.strictEqual(a.created, true);
      assert.strictEqual(b.created, false);
      assert.strictEqual(b.maxBytes, 1 << 20);
      assert.strictEqual(b.shards, 4);
      assert.strictEqual(b.policy, 'sieve');
      b.clear();
      assert.strictEqual(a.size, 0);
      // b's lock-free reads are counted in b and added to the shared
      // counters in batches: b.stats() adds its own first
      const st = b.stats();
      assert.strictEqual(st.attachedProcesses, 1); // two handles, one process
      assert.strictEqual(st.shards.length, 4);
      assert.ok(st.lockAcquisitions > 0 && st.sets >= 8 && st.hits > 0 && st.misses > 0);
      assert.strictEqual(a.stats().misses, st.misses);
      assert.strictEqual(st.recoveries, 0);
      assert.strictEqual(a.verify(), true);
    } finally {
      b.close();
    }
  });
});

test('maxBytes and max bound the cache: old entries are evicted', () => {
  withCache({ maxBytes: 64 * 1024, max: 100, shards: 2 }, (c) => {
    for (let i = 0; i < 1000; i++) c.set(i, 'v'.repeat(100));
    assert.ok(c.size <= 100, String(c.size));
    assert.ok(c.stats().evictions > 0);
    assert.strictEqual(c.get(999), 'v'.repeat(100));
    assert.throws(() => c.set('huge', Buffer.alloc(64 * 1024)), { code: 'ERR_MEMCTL_TOO_LARGE' });
  });
});

test('ttl: entries expire; set({ ttl }) per entry', async () => {
  withCache({ ttl: 30 }, (c) => {
    c.set('a', 1);
    c.set('b', 2, { ttl: 0 }); // never expires
    const until = Date.now() + 80;
    while (Date.now() < until);
    assert.strictEqual(c.get('a'), undefined);
    assert.strictEqual(c.get('b'), 2);
  });
});

test('bad options and bad input are coded errors', () => {
  const bad = [
    [undefined, 'ERR_MEMCTL_MISSING_OPTION'],
    ['name', 'ERR_MEMCTL_INVALID_ARG_TYPE'],
    [{}, 'ERR_MEMCTL_MISSING_OPTION'],
    [{ name: 'a', path: '/tmp/x' }, 'ERR_MEMCTL_MISSING_OPTION'],
    [{ name: 'a/b', maxBytes: 1024 }, 'ERR_MEMCTL_INVALID_ARG_VALUE'],
    [{ name: '', maxBytes: 1024 }, 'ERR_MEMCTL_INVALID_ARG_VALUE'],
    [{ name: 5 }, 'ERR_MEMCTL_INVALID_ARG_TYPE'],
    [{ name: 'x', maxBytes: -1 }, 'ERR_MEMCTL_OUT_OF_RANGE'],
    [{ name: 'x', maxBytes: 1.5 }, 'ERR_MEMCTL_OUT_OF_RANGE'],
    [{ name: 'x', maxBytes: 1024, policy: 'mru' }, 'ERR_MEMCTL_INVALID_ARG_VALUE'],
    [{ name: 'x', maxBytes: 1024, shards: 0 }, 'ERR_MEMCTL_OUT_OF_RANGE'],
    [{ name: 'x', maxBytes: 1024, shards: 5000 }, 'ERR_MEMCTL_OUT_OF_RANGE'],
    [{ name: 'x', maxBytes: 1024, ttl: -5 }, 'ERR_MEMCTL_OUT_OF_RANGE'],
    [{ name: uniq('absent') }, 'ERR_MEMCTL_MISSING_OPTION'], // cannot create without maxBytes
  ];
  for (const [opts, code] of bad) {
    assert.throws(() => new SharedCache(opts), (e) => e.code === code, `${JSON.stringify(opts)} -> ${code}`);
  }
  withCache({}, (c) => {
    assert.throws(() => c.get({}), { code: 'ERR_MEMCTL_INVALID_KEY' });
    assert.throws(() => c.set(Symbol('k'), 1), { code: 'ERR_MEMCTL_INVALID_KEY' });
    assert.throws(() => c.set('k', () => 1), { code: 'ERR_MEMCTL_INVALID_VALUE' });
    assert.throws(() => c.set('k', 1, { ttl: 'x' }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
    assert.throws(() => SharedCache.prototype.get.call({}, 'k'), { code: 'ERR_MEMCTL_INVALID_THIS' });
  });
  const closed = new SharedCache({ name: uniq('closed'), maxBytes: 4096 });
  SharedCache.unlink(closed.name);
  closed.close();
  closed.close(); // idempotent
  assert.throws(() => closed.get('k'), { code: 'ERR_MEMCTL_CLOSED' });
  assert.throws(() => SharedCache.unlink('a/b'), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
});

test('contradicting options name the option; omitted ones are taken from the cache', () => {
  withCache({ max: 500, ttl: 1000, policy: 'fifo', shards: 2 }, (c, name) => {
    for (const [opt, val] of [['maxBytes', 2048], ['max', 7], ['ttl', 5], ['policy', 'lru'], ['shards', 3]]) {
      assert.throws(() => new SharedCache({ name, [opt]: val }),
        (e) => e.code === 'ERR_MEMCTL_SHM_OPTION_MISMATCH' && e.message.includes(`option ${opt}`), opt);
    }
    const same = new SharedCache({ name, maxBytes: 1 << 20, policy: 'fifo' });
    assert.deepStrictEqual([same.max, same.ttl, same.policy, same.shards], [500, 1000, 'fifo', 2]);
    same.close();
  });
});

test('unlink: open handles keep working; unlink of an absent cache is false', () => {
  const name = uniq('unlink');
  const c = new SharedCache({ name, maxBytes: 4096 });
  c.set('k', 'v');
  assert.strictEqual(SharedCache.unlink(name), true);
  assert.strictEqual(SharedCache.unlink(name), false);
  assert.strictEqual(c.get('k'), 'v');
  const fresh = new SharedCache({ name, maxBytes: 4096 });
  assert.strictEqual(fresh.get('k'), undefined); // a new segment
  fresh.close();
  c.close();
  SharedCache.unlink(name);
});

test('damaged segment files are coded errors, never a crash', () => {
  const file = path.join(os.tmpdir(), `memctl-shared-${process.pid}-damaged`);
  const fresh = () => {
    fs.rmSync(file, { force: true });
    new SharedCache({ path: file, maxBytes: 64 * 1024 }).close();
  };
  try {
    fresh();
    fs.truncateSync(file, 1000);
    assert.throws(() => new SharedCache({ path: file }), { code: 'ERR_MEMCTL_SHM_TRUNCATED' });
    fresh();
    const size = fs.statSync(file).size;
    fs.writeFileSync(file, Buffer.alloc(size, 0xa5));
    assert.throws(() => new SharedCache({ path: file }), { code: 'ERR_MEMCTL_SHM_CORRUPT' });
    fresh();
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0, 0, 0, 0]), 0, 4, 8); // layout version 0
    fs.closeSync(fd);
    assert.throws(() => new SharedCache({ path: file }), { code: 'ERR_MEMCTL_SHM_VERSION' });
    assert.strictEqual(SharedCache.unlink({ path: file }), true);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

// The README examples, run as they are printed there.
const workerExample = (name) => `
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
const { SharedCache } = require(${JSON.stringify(root)});

const cache = new SharedCache({ name: ${JSON.stringify(name)}, maxBytes: 16 * 1024 * 1024 });
if (isMainThread) {
  cache.set('config', { mode: 'fast' });
  const w = new Worker(__filename);
  w.on('message', (m) => {
    console.log(JSON.stringify({ fromWorker: m, seenByMain: cache.get('worker') }));
    cache.close();
    SharedCache.unlink(${JSON.stringify(name)});
  });
} else {
  cache.set('worker', 'hello from a worker');
  parentPort.postMessage(cache.get('config'));
  cache.close();
}
`;

const clusterExample = (name) => `
const cluster = require('node:cluster');
const { SharedCache } = require(${JSON.stringify(root)});

const cache = new SharedCache({ name: ${JSON.stringify(name)}, maxBytes: 16 * 1024 * 1024, ttl: 60_000 });
if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  let done = 0;
  cluster.on('exit', () => {
    if (++done < 2) return;
    console.log(JSON.stringify({ workers: [cache.get('worker:1'), cache.get('worker:2')], attached: cache.stats().attachedProcesses }));
    cache.close();
    SharedCache.unlink(${JSON.stringify(name)});
  });
} else {
  cache.set(\`worker:\${cluster.worker.id}\`, { pid: process.pid });
  cache.close();
  process.exit(0);
}
`;

function runExample(src, tag) {
  const file = path.join(os.tmpdir(), `memctl-example-${tag}-${process.pid}.js`);
  fs.writeFileSync(file, src);
  try {
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60000 });
    assert.strictEqual(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } finally {
    fs.rmSync(file, { force: true });
  }
}

test('README example: worker_threads share the cache', () => {
  const out = runExample(workerExample(uniq('workers')), 'workers');
  assert.deepStrictEqual(out, { fromWorker: { mode: 'fast' }, seenByMain: 'hello from a worker' });
});

test('README example: cluster workers share the cache', () => {
  const out = runExample(clusterExample(uniq('cluster')), 'cluster');
  assert.strictEqual(out.workers.length, 2);
  for (const w of out.workers) assert.ok(Number.isInteger(w.pid), JSON.stringify(out));
  assert.notStrictEqual(out.workers[0].pid, out.workers[1].pid);
  assert.strictEqual(out.attached, 1); // the workers closed and exited
});

test('a full filesystem is ERR_MEMCTL_SHM_NO_SPACE at creation (a private 4 MiB tmpfs)', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-shared-full-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
  if (mount.status !== 0) {
    fs.rmdirSync(dir);
    t.skip('mounting a tmpfs needs root');
    return;
  }
  try {
    const file = path.join(dir, 'seg');
    assert.throws(() => new SharedCache({ path: file, maxBytes: 16 * 1024 * 1024, max: 1000 }),
      (e) => e.code === 'ERR_MEMCTL_SHM_NO_SPACE' && /ENOSPC|space/i.test(e.message));
    assert.strictEqual(fs.existsSync(file), false); // the failed segment was removed
    const small = new SharedCache({ path: file, maxBytes: 1024 * 1024, max: 1000 });
    small.set('k', 'v');
    assert.strictEqual(small.get('k'), 'v');
    small.close();
  } finally {
    spawnSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
