'use strict';
// Tests of lib/snapshot-native.js (the native snapshot parser and analyses).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { Readable } = require('node:stream');
const { Worker } = require('node:worker_threads');
const { runNodeJson } = require('./helpers/run-node');

const sn = require('../../lib/snapshot-native');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-snap-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function collect(iterable) {
  const chunks = [];
  for await (const c of iterable) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

let fileCache = null;
function snapshotFile() {
  if (!fileCache) fileCache = v8.writeHeapSnapshot(path.join(tmp, 'real.heapsnapshot'));
  return fileCache;
}

// A reference computed from JSON.parse: counts, total size and the self-size
// histogram with DevTools' class names and skip rule.
function reference(json) {
  const meta = json.snapshot.meta;
  const nf = meta.node_fields.length;
  const types = meta.node_types[meta.node_fields.indexOf('type')];
  const at = (f) => meta.node_fields.indexOf(f);
  const [ti, ni, si] = [at('type'), at('name'), at('self_size')];
  const classes = new Map();
  let totalSize = 0;
  for (let i = 0; i < json.nodes.length; i += nf) {
    const type = types[json.nodes[i + ti]];
    const self = json.nodes[i + si];
    totalSize += self;
    if (!self && type !== 'native') continue;
    const name = type === 'object' || type === 'native' ? json.strings[json.nodes[i + ni]]
      : type === 'hidden' ? '(system)' : type === 'code' ? '(compiled code)' : `(${type})`;
    const c = classes.get(name) || { count: 0, selfSize: 0 };
    c.count++;
    c.selfSize += self;
    classes.set(name, c);
  }
  return {
    nodeCount: json.nodes.length / nf,
    edgeCount: json.edges.length / meta.edge_fields.length,
    totalSize,
    classes,
  };
}

test('a v8.getHeapSnapshot() stream parses to what JSON.parse of the same bytes gives', async () => {
  const bytes = await collect(v8.getHeapSnapshot());
  const ref = reference(JSON.parse(bytes.toString('utf8')));
  // feed the very same bytes in odd-sized chunks
  const chunks = [];
  for (let i = 0; i < bytes.length; i += 65521) chunks.push(bytes.subarray(i, i + 65521));
  const s = await sn.parseSnapshot(Readable.from(chunks));
  assert.strictEqual(s.nodeCount, ref.nodeCount);
  assert.strictEqual(s.edgeCount, ref.edgeCount);
  assert.strictEqual(s.totalSize, ref.totalSize);
  const sum = s.summary({ retained: false });
  assert.strictEqual(sum.classes.length, ref.classes.size);
  for (const c of sum.classes) {
    const r = ref.classes.get(c.name);
    assert.ok(r, `class ${c.name}`);
    assert.strictEqual(c.count, r.count, c.name);
    assert.strictEqual(c.selfSize, r.selfSize, c.name);
    assert.strictEqual(c.retainedSize, 0);
  }
  for (let i = 1; i < sum.classes.length; i++) assert.ok(sum.classes[i - 1].selfSize >= sum.classes[i].selfSize);
  s.close();
});

test('a file parses the same by path, stream, string chunks, Buffer and sync', async () => {
  const file = snapshotFile();
  const bytes = fs.readFileSync(file);
  const progress = [];
  const byPath = await sn.parseSnapshot(file, { onProgress: (p) => progress.push(p) });
  const byStream = await sn.parseSnapshot(fs.createReadStream(file, { highWaterMark: 1000 }));
  const text = bytes.toString('utf8');
  const byStrings = await sn.parseSnapshot((async function* () {
    for (let i = 0; i < text.length; i += 4099) yield text.slice(i, i + 4099);
  })());
  const syncPath = sn.parseSnapshotSync(file);
  const syncBuf = sn.parseSnapshotSync(bytes);
  const ref = reference(JSON.parse(text));
  const want = byPath.summary({ top: 20 });
  assert.strictEqual(want.nodeCount, ref.nodeCount);
  assert.strictEqual(want.edgeCount, ref.edgeCount);
  for (const s of [byStream, byStrings, syncPath, syncBuf]) {
    assert.deepStrictEqual(s.summary({ top: 20 }), want);
  }
  assert.strictEqual(want.classes.length, 20);
  for (const c of want.classes) {
    assert.ok(c.retainedSize >= c.selfSize, c.name);
    assert.ok(c.retainedSize <= want.totalSize, c.name);
  }
  for (let i = 1; i < want.classes.length; i++) assert.ok(want.classes[i - 1].retainedSize >= want.classes[i].retainedSize);
  assert.ok(progress.length >= 1);
  assert.deepStrictEqual(progress.at(-1), { bytesRead: bytes.length, totalBytes: bytes.length });
  for (const s of [byPath, byStream, byStrings, syncPath, syncBuf]) s.close();
});

test('retained: false defers the dominator tree until summary asks for it', async () => {
  const s = await sn.parseSnapshot(snapshotFile(), { retained: false });
  const lazy = s.summary({ top: 5 });
  const eager = await sn.parseSnapshot(snapshotFile());
  assert.deepStrictEqual(lazy, eager.summary({ top: 5 }));
  const plain = await sn.parseSnapshot(snapshotFile(), { dominators: 'plain' });
  const p = plain.summary();
  assert.strictEqual(p.totalSize, lazy.totalSize);
  for (const s2 of [s, eager, plain]) s2.close();
});

test('diffSnapshots and findLeaks find objects allocated between snapshots', async () => {
  class LeakyThing { constructor(i) { this.i = i; this.payload = [i, i + 1]; } }
  const baseline = await sn.parseSnapshot(v8.getHeapSnapshot());
  global.__memctlLeak = [];
  for (let i = 0; i < 300; i++) global.__memctlLeak.push(new LeakyThing(i));
  const target = await sn.parseSnapshot(v8.getHeapSnapshot());
  const final = await sn.parseSnapshot(v8.getHeapSnapshot());
  const d = sn.diffSnapshots(baseline, target);
  assert.strictEqual(typeof d.before.nodes, 'number');
  assert.strictEqual(d.change.size_bytes, d.after.size_bytes - d.before.size_bytes);
  assert.match(d.before.size, /^\d+(\.\d\d)? (bytes|kb|mb|gb)$/);
  const item = d.change.details.find((x) => x.what === 'LeakyThing');
  assert.ok(item, 'LeakyThing in the diff');
  assert.strictEqual(item['+'], 300);
  assert.strictEqual(item['-'], 0);
  assert.ok(item.size_bytes > 0);
  assert.strictEqual(typeof item.size, 'string');
  const leaks = sn.findLeaks(baseline, target, final);
  const g = leaks.find((x) => x.name === 'LeakyThing');
  assert.ok(g, 'LeakyThing among the leaks');
  assert.strictEqual(g.count, 300);
  assert.ok(g.retainedSize >= g.selfSize);
  assert.strictEqual(g.retainerPath[0].edge, null);
  assert.strictEqual(g.retainerPath.at(-1).node.name, 'LeakyThing');
  assert.ok(g.retainerPath.some((step) => step.edge && step.edge.name === '__memctlLeak'));
  assert.strictEqual(sn.findLeaks(baseline, target, final, { top: 1 }).length, 1);
  // nothing leaks between a snapshot and itself
  assert.deepStrictEqual(sn.findLeaks(final, final, final), []);
  delete global.__memctlLeak;
  for (const s of [baseline, target, final]) s.close();
});

test('bad input gives errors with codes', async () => {
  const file = snapshotFile();
  const bytes = fs.readFileSync(file);
  const cases = [
    ['truncated.heapsnapshot', bytes.subarray(0, bytes.length >> 1), 'ERR_MEMCTL_SNAPSHOT_TRUNCATED'],
    ['garbage.heapsnapshot', Buffer.from('this is not json at all'), 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT'],
    ['empty.heapsnapshot', Buffer.alloc(0), 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT'],
    ['array.heapsnapshot', Buffer.from('[1,2,3]'), 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT'],
    ['corrupt.heapsnapshot', Buffer.from(bytes.toString('latin1').replace('"nodes":[', '"nodes":[-').slice(0), 'latin1'), 'ERR_MEMCTL_SNAPSHOT_CORRUPT'],
    ['badmeta.heapsnapshot', Buffer.from(bytes.toString('latin1').replace('"self_size"', '"selfsize"'), 'latin1'), 'ERR_MEMCTL_SNAPSHOT_BAD_META'],
  ];
  for (const [name, data, code] of cases) {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, data);
    await assert.rejects(sn.parseSnapshot(f), (e) => e.code === code && e instanceof Error && e.message.length > 0, name);
    assert.throws(() => sn.parseSnapshotSync(f), (e) => e.code === code, name);
  }
  await assert.rejects(sn.parseSnapshot(path.join(tmp, 'missing.heapsnapshot')), { code: 'ENOENT' });
  await assert.rejects(sn.parseSnapshot(42), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE', name: 'TypeError' });
  await assert.rejects(sn.parseSnapshot(file, { onProgress: 1 }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(sn.parseSnapshot(file, { dominators: 'x' }), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
  await assert.rejects(sn.parseSnapshot(file, { maxMemory: 10 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
  await assert.rejects(sn.parseSnapshot(file, { maxMemory: 1 << 20 }), { code: 'ERR_MEMCTL_SNAPSHOT_TOO_LARGE' });
  await assert.rejects(sn.parseSnapshot(Readable.from([{}])), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => sn.parseSnapshotSync(7), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => sn.diffSnapshots({}, {}), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => sn.findLeaks(null), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  const s = sn.parseSnapshotSync(file, { retained: false });
  assert.throws(() => s.summary({ top: 0 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
  assert.throws(() => s.summary({ retained: 'yes' }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => s.summary(5), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  s.close();
});

test('close() frees the snapshot; later use throws ERR_MEMCTL_CLOSED', async () => {
  const s = await sn.parseSnapshot(snapshotFile());
  assert.strictEqual(s.closed, false);
  assert.ok(s.nativeBytes > 0);
  const before = sn.nativeUsage();
  s.close();
  s.close();
  assert.strictEqual(s.closed, true);
  assert.strictEqual(sn.nativeUsage().live, before.live - 1);
  assert.throws(() => s.summary(), { code: 'ERR_MEMCTL_CLOSED' });
  assert.throws(() => sn.diffSnapshots(s, s), { code: 'ERR_MEMCTL_CLOSED' });
});

test('snapshots parse in worker_threads and match the main thread', async () => {
  const file = snapshotFile();
  const mainSummary = sn.parseSnapshotSync(file).summary({ top: 10 });
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const sn = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'snapshot-native'))});
    sn.parseSnapshot(workerData).then((s) => {
      parentPort.postMessage(s.summary({ top: 10 }));
      // left open on purpose: worker exit must free it
    });
  `;
  const results = await Promise.all([1, 2].map(() => new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: file });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  for (const r of results) assert.deepStrictEqual(r, mainSummary);
});

test('terminating a worker in the middle of a parse is safe', async () => {
  const file = snapshotFile();
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const sn = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'snapshot-native'))});
    parentPort.postMessage('started');
    sn.parseSnapshot(workerData, { onProgress: () => parentPort.postMessage('progress') });
  `;
  for (const delay of [0, 5, 30, 80]) {
    const w = new Worker(src, { eval: true, workerData: file });
    await new Promise((resolve) => w.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, delay));
    await w.terminate();
  }
  // the main thread still parses normally afterwards
  const s = await sn.parseSnapshot(file);
  assert.ok(s.nodeCount > 0);
  s.close();
});

test('an unclosed snapshot is freed by the garbage collector', () => {
  const file = snapshotFile();
  const script = `
    const sn = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'snapshot-native'))});
    let s = sn.parseSnapshotSync(${JSON.stringify(file)});
    const held = sn.nativeUsage();
    const bytes = s.nativeBytes;
    s = null;
    (async () => {
      for (let i = 0; i < 20 && sn.nativeUsage().live > 0; i++) {
        global.gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      console.log(JSON.stringify({ bytes, held, after: sn.nativeUsage() }));
    })();
  `;
  const { bytes, held, after } = runNodeJson(script);
  assert.strictEqual(held.live, 1);
  assert.strictEqual(held.bytes, bytes);
  assert.deepStrictEqual(after, { live: 0, bytes: 0 });
});

test('formatSize prints sizes the way memwatch does', () => {
  assert.strictEqual(sn.formatSize(0), '0 bytes');
  assert.strictEqual(sn.formatSize(1023), '1023 bytes');
  assert.strictEqual(sn.formatSize(1024), '1.00 kb');
  assert.strictEqual(sn.formatSize(1536), '1.50 kb');
  assert.strictEqual(sn.formatSize(-3 * 1024 * 1024), '-3.00 mb');
  assert.strictEqual(sn.formatSize(5 * 1024 ** 3), '5.00 gb');
});
