'use strict';
// Writing snapshots: memctl.writeSnapshot (names, callback and promise forms,
// errors), the memctl/heapdump drop-in (including SIGUSR2 in a child process)
// and snapshotOn's triggers.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { EventEmitter } = require('events');
const { spawn, spawnSync } = require('child_process');
const memctl = require('../../lib');

const LIB = path.join(__dirname, '..', '..', 'lib');
const NAME_RE = /^heapdump-\d+\.\d+\.heapsnapshot$/;

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-snapwrite-'));
}

// A written snapshot is a complete V8 heap snapshot document.
function assertSnapshotFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.startsWith('{"snapshot":{"meta":'), `${file} starts like a heap snapshot`);
  const doc = JSON.parse(text);
  assert.ok(doc.snapshot.node_count > 1000);
  assert.strictEqual(doc.nodes.length, doc.snapshot.node_count * doc.snapshot.meta.node_fields.length);
}

test('defaultSnapshotName follows heapdump: heapdump-<sec>.<usec>.heapsnapshot, now', () => {
  const name = memctl.defaultSnapshotName();
  assert.match(name, NAME_RE);
  const [, sec, usec] = name.match(/^heapdump-(\d+)\.(\d+)\./);
  assert.ok(Math.abs(Number(sec) - Date.now() / 1000) < 60);
  assert.ok(Number(usec) < 1e6);
});

test('writeSnapshot() writes heapdump-<sec>.<usec>.heapsnapshot into the working directory', () => {
  const dir = tmpdir();
  const code = `const f = require(${JSON.stringify(LIB)}).writeSnapshot(); process.stdout.write(f);`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, NAME_RE);
  assert.deepStrictEqual(fs.readdirSync(dir), [r.stdout]);
  assertSnapshotFile(path.join(dir, r.stdout));
  fs.rmSync(dir, { recursive: true });
});

test('writeSnapshot(filename) returns the name; the callback runs on a later tick', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'a.heapsnapshot');
  assert.strictEqual(memctl.writeSnapshot(file), file);
  assertSnapshotFile(file);
  let sync = true;
  const file2 = path.join(dir, 'b.heapsnapshot');
  const got = await new Promise((resolve, reject) => {
    const ret = memctl.writeSnapshot(file2, (err, name) => (err ? reject(err) : resolve({ name, sync })));
    assert.strictEqual(ret, file2);
    sync = false;
  });
  assert.deepStrictEqual(got, { name: file2, sync: false });
  assertSnapshotFile(file2);
  fs.rmSync(dir, { recursive: true });
});

test('writeSnapshot(callback) uses the default name', async () => {
  const dir = tmpdir();
  const code = `require(${JSON.stringify(LIB)}).writeSnapshot((err, f) => process.stdout.write(err ? 'ERR' : f));`;
  const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8' });
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, NAME_RE);
  assert.ok(fs.existsSync(path.join(dir, r.stdout)));
  fs.rmSync(dir, { recursive: true });
});

test('writeSnapshotAsync resolves to the file name', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'p.heapsnapshot');
  assert.strictEqual(await memctl.writeSnapshotAsync(file), file);
  assertSnapshotFile(file);
  fs.rmSync(dir, { recursive: true });
});

test('writeSnapshot I/O errors: thrown, given to the callback, or rejected', async () => {
  const bad = path.join(os.tmpdir(), 'memctl-no-such-dir', 'x', 'a.heapsnapshot');
  assert.throws(() => memctl.writeSnapshot(bad), { code: 'ENOENT' });
  const err = await new Promise((resolve) => memctl.writeSnapshot(bad, (e) => resolve(e)));
  assert.strictEqual(err.code, 'ENOENT');
  await assert.rejects(memctl.writeSnapshotAsync(bad), { code: 'ENOENT' });
});

test('writeSnapshot argument checks', async () => {
  assert.throws(() => memctl.writeSnapshot(5), { name: 'TypeError', code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => memctl.writeSnapshot(''), { name: 'TypeError', code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
  assert.throws(() => memctl.writeSnapshot('a\0b'), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
  assert.throws(() => memctl.writeSnapshot('x.heapsnapshot', 'nope'), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => memctl.writeSnapshot({}), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.writeSnapshotAsync(42), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
});

test('heapdump drop-in: returns true, calls back synchronously, false on error', () => {
  const heapdump = require('../../lib/heapdump');
  assert.strictEqual(require('memctl/heapdump'), heapdump); // the package export
  const dir = tmpdir();
  const file = path.join(dir, 'h.heapsnapshot');
  const calls = [];
  assert.strictEqual(heapdump.writeSnapshot(file, (err, name) => calls.push([err, name])), true);
  assert.deepStrictEqual(calls, [[null, file]]); // synchronous, as heapdump
  assertSnapshotFile(file);
  const bad = path.join(dir, 'missing', 'h.heapsnapshot');
  assert.strictEqual(heapdump.writeSnapshot(bad, (err) => calls.push([err.code, err.errno, err.message])), false);
  // heapdump's test-callback-error.js matches /heapdump write error ENOENT/
  assert.deepStrictEqual(calls[1], ['ENOENT', -2, 'heapdump write error ENOENT']);
  assert.strictEqual(heapdump.writeSnapshot(bad), false);
  // heapdump writes a file name that is not a string to its default name
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    assert.strictEqual(heapdump.writeSnapshot(12345, (err, name) => calls.push([err, name])), true);
  } finally {
    process.chdir(cwd);
  }
  const [err, name] = calls[2];
  assert.strictEqual(err, null);
  assert.match(name, /^heapdump-\d+\.\d+\.heapsnapshot$/);
  assertSnapshotFile(path.join(dir, name));
  fs.rmSync(dir, { recursive: true });
});

// A child that requires memctl/heapdump, says "ready", then waits for a
// snapshot to appear in its working directory and prints its name.
const SIGNAL_CHILD = `
const fs = require('fs');
const hd = require(${JSON.stringify(path.join(LIB, 'heapdump.js'))});
process.stdout.write((hd.signalHandlerInstalled ? 'installed' : 'none') + ' ' + process.listenerCount('SIGUSR2') + '\\n');
const t = setInterval(() => {
  const f = fs.readdirSync('.').find((n) => n.endsWith('.heapsnapshot'));
  if (f) { clearInterval(t); process.stdout.write(f + '\\n'); }
}, 20);
setTimeout(() => process.exit(3), 60000).unref();
`;

function runSignalChild(env) {
  const dir = tmpdir();
  const child = spawn(process.execPath, ['-e', SIGNAL_CHILD], { cwd: dir, env: { ...process.env, ...env } });
  let out = '';
  let signalled = false;
  child.stdout.on('data', (d) => {
    out += d;
    if (!signalled && out.includes('\n')) { signalled = true; child.kill('SIGUSR2'); }
  });
  child.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, dir })));
}

test('heapdump drop-in: SIGUSR2 writes a snapshot into the working directory', async () => {
  const r = await runSignalChild({ NODE_HEAPDUMP_OPTIONS: '' });
  const lines = r.out.trim().split('\n');
  assert.strictEqual(lines[0], 'installed 1');
  assert.match(lines[1], NAME_RE);
  assertSnapshotFile(path.join(r.dir, lines[1]));
  assert.strictEqual(r.code, 0); // the handler kept the signal from ending the process
  fs.rmSync(r.dir, { recursive: true });
});

test('heapdump drop-in: NODE_HEAPDUMP_OPTIONS=nosignal installs no handler', async () => {
  const r = await runSignalChild({ NODE_HEAPDUMP_OPTIONS: 'nosignal' });
  assert.strictEqual(r.out.split('\n')[0], 'none 0');
  assert.strictEqual(r.signal, 'SIGUSR2'); // the default action: the process ends
  assert.deepStrictEqual(fs.readdirSync(r.dir), []);
  fs.rmSync(r.dir, { recursive: true });
});

test('heapdump drop-in: unknown NODE_HEAPDUMP_OPTIONS words are reported and ignored', () => {
  const code = `const h = require(${JSON.stringify(path.join(LIB, 'heapdump.js'))}); process.stdout.write(String(h.signalHandlerInstalled));`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, NODE_HEAPDUMP_OPTIONS: 'bogus, signal' } });
  assert.strictEqual(r.stdout, 'true');
  assert.match(r.stderr, /unrecognized option: bogus/);
});

test('snapshotOn: a snapshot per leak event, rate-limited; stop() detaches', () => {
  const dir = tmpdir();
  const watcher = new EventEmitter();
  const seen = [];
  const stop = memctl.snapshotOn(watcher, { directory: dir, heapLimitRatio: false, minIntervalMs: 60000, onSnapshot: (i) => seen.push(i) });
  assert.strictEqual(watcher.listenerCount('leak'), 1);
  watcher.emit('leak', { growth: 123 });
  watcher.emit('leak', { growth: 456 }); // inside minIntervalMs: skipped
  assert.strictEqual(seen.length, 1);
  assert.strictEqual(seen[0].reason, 'leak');
  assert.deepStrictEqual(seen[0].detail, { growth: 123 });
  assert.strictEqual(path.dirname(seen[0].filename), dir);
  assert.match(path.basename(seen[0].filename), NAME_RE);
  assertSnapshotFile(seen[0].filename);
  stop();
  stop();
  assert.strictEqual(watcher.listenerCount('leak'), 0);
  watcher.emit('leak', {});
  assert.strictEqual(fs.readdirSync(dir).length, 1);
  fs.rmSync(dir, { recursive: true });
});

test('snapshotOn: minIntervalMs 0 writes on every leak event', () => {
  const dir = tmpdir();
  const watcher = new EventEmitter();
  const seen = [];
  const stop = memctl.snapshotOn(watcher, { directory: dir, heapLimitRatio: 0, minIntervalMs: 0, onSnapshot: (i) => seen.push(i.filename) });
  watcher.emit('leak', {});
  watcher.emit('leak', {});
  stop();
  assert.strictEqual(new Set(seen).size, 2);
  fs.rmSync(dir, { recursive: true });
});

test('snapshotOn: heap-limit trigger fires on crossing the ratio, re-arms below it', async () => {
  const dir = tmpdir();
  let used = 50;
  const seen = [];
  const stop = memctl.snapshotOn(null, {
    directory: dir, heapLimitRatio: 0.9, minIntervalMs: 0, pollIntervalMs: 5,
    heapStatistics: () => ({ used_heap_size: used, heap_size_limit: 100 }),
    onSnapshot: (i) => seen.push(i),
  });
  const waitFor = async (cond) => {
    for (let i = 0; !cond(); i++) {
      assert.ok(i < 6000, 'the heap-limit trigger fired'); // about 30 s on a busy machine
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const polls = async (n) => { for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 6)); };
  await polls(5);
  assert.strictEqual(seen.length, 0);
  used = 95;
  await waitFor(() => seen.length === 1);
  assert.strictEqual(seen[0].reason, 'heap-limit');
  assert.strictEqual(seen[0].detail.ratio, 0.95);
  await polls(10); // still above: no second snapshot
  assert.strictEqual(seen.length, 1);
  used = 10;
  await polls(5);
  used = 99;
  await waitFor(() => seen.length === 2);
  stop();
  fs.rmSync(dir, { recursive: true });
});

test('snapshotOn: write errors go to onError', () => {
  const watcher = new EventEmitter();
  const errors = [];
  const stop = memctl.snapshotOn(watcher, {
    directory: path.join(os.tmpdir(), 'memctl-missing-dir', 'deeper'), heapLimitRatio: 0, onError: (e) => errors.push(e.code),
  });
  watcher.emit('leak', {});
  stop();
  assert.deepStrictEqual(errors, ['ENOENT']);
});

test('snapshotOn: without onError, a write error becomes a process warning', async () => {
  const watcher = new EventEmitter();
  const warned = new Promise((resolve) => process.once('warning', resolve));
  const stop = memctl.snapshotOn(watcher, { directory: path.join(os.tmpdir(), 'memctl-missing-dir', 'x'), heapLimitRatio: 0 });
  watcher.emit('leak', {});
  stop();
  const w = await warned;
  assert.strictEqual(w.name, 'MemctlWarning');
  assert.match(w.message, /could not write a heap snapshot \(leak\)/);
});

test('snapshotOn argument checks', () => {
  const w = new EventEmitter();
  assert.throws(() => memctl.snapshotOn(null, { leak: true }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => memctl.snapshotOn({}, {}), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => memctl.snapshotOn(w, { heapLimitRatio: 2 }), { name: 'RangeError', code: 'ERR_MEMCTL_OUT_OF_RANGE' });
  assert.throws(() => memctl.snapshotOn(w, { leak: false, heapLimitRatio: 0 }), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
  assert.throws(() => memctl.snapshotOn(w, { minIntervalMs: -1 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
  assert.throws(() => memctl.snapshotOn(w, { onSnapshot: 1 }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => memctl.snapshotOn(w, 'x'), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => memctl.snapshotOn(w, { directory: 3 }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
});
