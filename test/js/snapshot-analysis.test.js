'use strict';
// The native analyzer (through the public API) against the independent
// reference (helpers/snapshot-reference.js): counts, class histograms, self
// and retained sizes, diffs and leak candidates, on many generated snapshots
// (random graphs and layouts, fed in random chunks) and on real snapshots of
// this process.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const { Readable } = require('stream');
const memctl = require('../../lib');
const gen = require('./helpers/gen-snapshot');
const ref = require('./helpers/snapshot-reference');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-snapanalysis-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Splits text into random-sized chunks (Buffers and strings; Buffers may cut
// a UTF-8 sequence in two), as a stream would deliver it.
async function* randomChunks(text, seed) {
  const r = gen.rng(seed);
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length;) {
    const n = 1 + r.int(r.chance(0.2) ? 4 : 4096);
    const piece = buf.subarray(i, i + n);
    i += n;
    yield r.chance(0.2) && isCompleteUtf8(piece) ? piece.toString('utf8') : piece;
  }
}

function isCompleteUtf8(b) {
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

function assertSummary(actual, expected, label) {
  assert.strictEqual(actual.nodeCount, expected.nodeCount, `${label}: nodeCount`);
  assert.strictEqual(actual.edgeCount, expected.edgeCount, `${label}: edgeCount`);
  assert.strictEqual(actual.totalSize, expected.totalSize, `${label}: totalSize`);
  assert.deepStrictEqual(actual.classes, expected.classes, `${label}: classes`);
}

test('summary equals the reference on 60 generated snapshots (random layouts, random chunks)', async () => {
  for (let seed = 1; seed <= 60; seed++) {
    // Every 5th graph is fully reachable from the root; the others have
    // orphans, weakly held nodes and unreachable cycles.
    const graph = gen.randomGraph(seed, 20 + (seed * 37) % 900, { reachable: seed % 5 === 0 });
    const text = gen.serialize(graph, seed % 3 === 0 ? gen.V8_LAYOUT : gen.randomLayout(seed));
    const dominators = seed % 4 === 0 ? 'plain' : 'devtools';
    const expected = ref.summary(ref.load(text), { dominators });
    const snap = await memctl.parseSnapshot(randomChunks(text, seed), seed % 4 === 0 ? { dominators } : {});
    try {
      assertSummary(snap.summary(), expected, `seed ${seed} (${dominators})`);
      assert.strictEqual(snap.nodeCount, expected.nodeCount);
      assert.strictEqual(snap.edgeCount, expected.edgeCount);
      assert.strictEqual(snap.totalSize, expected.totalSize);
    } finally {
      snap.close();
    }
  }
});

test('every source kind gives the same result: path, Readable, async iterable of strings, sync path and Buffer', async () => {
  const text = gen.serialize(gen.randomGraph(99, 500), gen.randomLayout(99));
  const file = path.join(dir, 'kinds.heapsnapshot');
  fs.writeFileSync(file, text);
  const expected = ref.summary(ref.load(text));
  const fromPath = await memctl.analyzeSnapshot(file);
  const fromStream = await memctl.analyzeSnapshot(fs.createReadStream(file, { highWaterMark: 333 }));
  const fromReadable = await memctl.analyzeSnapshot(Readable.from([text]));
  const fromStrings = await memctl.analyzeSnapshot((async function* () {
    for (let i = 0; i < text.length; i += 409) yield text.slice(i, i + 409);
  })());
  assertSummary(fromPath, expected, 'path');
  assertSummary(fromStream, expected, 'stream');
  assertSummary(fromReadable, expected, 'Readable.from');
  assertSummary(fromStrings, expected, 'string chunks');
  for (const [label, source] of [['sync path', file], ['sync Buffer', Buffer.from(text)], ['sync chunks', [text.slice(0, 10), Buffer.from(text.slice(10))]]]) {
    const sync = memctl.parseSnapshotSync(source);
    assertSummary(sync.summary(), expected, label);
    sync.close();
  }
});

test('retained: false defers the dominator tree until summary asks for it', async () => {
  const text = gen.serialize(gen.randomGraph(21, 400));
  const lazy = await memctl.parseSnapshot(Readable.from([text]), { retained: false });
  assertSummary(lazy.summary({ top: 5 }), { ...ref.summary(ref.load(text)), classes: ref.summary(ref.load(text)).classes.slice(0, 5) }, 'deferred');
  lazy.close();
});

test('the blocking forms give what the Promise forms give, for paths and ParsedSnapshots', async () => {
  const g1 = gen.randomGraph(31, 300);
  const g2 = gen.evolve(g1, 32, { freeRatio: 0.2, allocate: 60 });
  const g3 = gen.evolve(g2, 33, { freeRatio: 0.3, allocate: 10 });
  const files = [g1, g2, g3].map((g, i) => {
    const f = path.join(dir, `forms${i}.heapsnapshot`);
    fs.writeFileSync(f, gen.serialize(g));
    return f;
  });
  const parsed = files.map((f) => memctl.parseSnapshotSync(f));
  try {
    const diff = await memctl.diffSnapshots(files[0], files[1]);
    assert.deepStrictEqual(memctl.diffSnapshotsSync(files[0], files[1]), diff);
    assert.deepStrictEqual(memctl.diffSnapshotsSync(parsed[0], files[1]), diff);
    assert.deepStrictEqual(await memctl.diffSnapshots(parsed[0], parsed[1]), diff);
    const leaks = await memctl.findLeaks(files[0], files[1], files[2]);
    assert.ok(leaks.length > 0);
    assert.deepStrictEqual(memctl.findLeaksSync(files[0], files[1], files[2]), leaks);
    assert.deepStrictEqual(memctl.findLeaksSync(parsed[0], parsed[1], parsed[2], { top: 1 }), leaks.slice(0, 1));
    assert.deepStrictEqual(memctl.findLeaksSync(parsed[2], parsed[2], parsed[2]), []); // nothing leaks between a snapshot and itself
    assert.ok(parsed.every((p) => !p.closed), 'ParsedSnapshots given are left open');
  } finally {
    for (const p of parsed) p.close();
  }
});

test('summary options: retained false sorts by self size, top keeps the first classes', async () => {
  const text = gen.serialize(gen.randomGraph(5, 700));
  const snapRef = ref.load(text);
  const selfOnly = await memctl.analyzeSnapshot(Readable.from([text]), { retained: false });
  assertSummary(selfOnly, ref.summary(snapRef, { retained: false }), 'retained: false');
  assert.ok(selfOnly.classes.every((c) => c.retainedSize === 0));
  const top3 = await memctl.analyzeSnapshot(Readable.from([text]), { top: 3 });
  assert.deepStrictEqual(top3.classes, ref.summary(snapRef).classes.slice(0, 3));
  await assert.rejects(memctl.analyzeSnapshot(Readable.from([text]), { top: 0 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
  await assert.rejects(memctl.analyzeSnapshot(Readable.from([text]), { retained: 'yes' }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
});

test('onProgress reports bytes read up to the file size', async () => {
  const text = gen.serialize(gen.randomGraph(11, 300));
  const file = path.join(dir, 'progress.heapsnapshot');
  fs.writeFileSync(file, text);
  const seen = [];
  await memctl.analyzeSnapshot(file, { onProgress: (p) => seen.push(p) });
  assert.ok(seen.length >= 1);
  assert.deepStrictEqual(seen[seen.length - 1], { bytesRead: Buffer.byteLength(text), totalBytes: Buffer.byteLength(text) });
});

test('diffSnapshots equals the reference diff on generated histories', async () => {
  for (let seed = 1; seed <= 25; seed++) {
    const g1 = gen.randomGraph(seed, 100 + seed * 20);
    const g2 = gen.evolve(g1, seed + 1000, { freeRatio: (seed % 5) / 10, allocate: seed * 7 });
    const t1 = gen.serialize(g1, gen.randomLayout(seed));
    const t2 = gen.serialize(g2, gen.randomLayout(seed + 1));
    const f1 = path.join(dir, `d${seed}a.heapsnapshot`);
    const f2 = path.join(dir, `d${seed}b.heapsnapshot`);
    fs.writeFileSync(f1, t1);
    fs.writeFileSync(f2, t2);
    const expected = ref.diff(ref.load(t1), ref.load(t2));
    const d = await memctl.diffSnapshots(f1, f2);
    assert.strictEqual(d.before.nodes, expected.before.nodes);
    assert.strictEqual(d.before.size_bytes, expected.before.size_bytes);
    assert.strictEqual(d.after.nodes, expected.after.nodes);
    assert.strictEqual(d.after.size_bytes, expected.after.size_bytes);
    assert.strictEqual(d.change.size_bytes, expected.change.size_bytes);
    assert.strictEqual(d.change.allocated_nodes, expected.change.allocated_nodes);
    assert.strictEqual(d.change.freed_nodes, expected.change.freed_nodes);
    assert.deepStrictEqual(d.change.details.map(({ size, ...rest }) => rest), expected.change.details, `seed ${seed}`);
    for (const x of [d.before, d.after, d.change, ...d.change.details]) assert.strictEqual(typeof x.size, 'string');
    fs.rmSync(f1);
    fs.rmSync(f2);
  }
});

// Checks a retainer path: it starts at the root, every step follows a real
// edge that counts for dominators, it is a shortest path, and it ends at the
// group's member with the largest retained size.
function assertRetainerPath(leak, group, final, dist, retainedSizes) {
  const p = leak.retainerPath;
  assert.ok(p.length >= 2, `${leak.name}: path has the root and the object`);
  assert.strictEqual(p[0].node.id, final.nodes[0].id);
  const byId = new Map(final.nodes.map((n) => [n.id, n]));
  for (let i = 1; i < p.length; i++) {
    const from = byId.get(p[i - 1].node.id);
    const to = byId.get(p[i].node.id);
    assert.ok(from && to, 'path nodes exist');
    assert.strictEqual(p[i].node.type, to.type);
    assert.ok(from.edges.some((e) => e.to === to.index && e.type === p[i].edge.type && e.name === p[i].edge.name &&
      ref.essential(from.index, e)), `${leak.name}: step ${i} follows an edge that counts`);
  }
  const last = byId.get(p[p.length - 1].node.id);
  assert.ok(group.members.includes(last.index), `${leak.name}: path ends at a leaked member`);
  assert.strictEqual(p.length - 1, dist[last.index], `${leak.name}: shortest path`);
  assert.strictEqual(retainedSizes[last.index], group.maxRetained, `${leak.name}: the largest member`);
}

test('findLeaks equals the reference on generated three-snapshot histories', async () => {
  for (let seed = 1; seed <= 25; seed++) {
    const g1 = gen.randomGraph(seed, 150 + seed * 10);
    const g2 = gen.evolve(g1, seed + 2000, { freeRatio: 0.1, allocate: 40 + seed });
    const g3 = gen.evolve(g2, seed + 3000, { freeRatio: 0.3, allocate: 10 });
    const texts = [g1, g2, g3].map((g, i) => gen.serialize(g, gen.randomLayout(seed * 3 + i)));
    const snaps = [];
    for (const t of texts) snaps.push(await memctl.parseSnapshot(Readable.from([t])));
    try {
      const [b, t, f] = texts.map((x) => ref.load(x));
      const expected = ref.leaks(b, t, f);
      const leaks = await memctl.findLeaks(snaps[0], snaps[1], snaps[2]);
      assert.deepStrictEqual(leaks.map(({ retainerPath, ...rest }) => rest),
        expected.groups.map(({ name, count, selfSize, retainedSize }) => ({ name, count, selfSize, retainedSize })), `seed ${seed}`);
      leaks.forEach((l, i) => assertRetainerPath(l, expected.groups[i], f, expected.dist, expected.retainedSizes));
      const top2 = await memctl.findLeaks(snaps[0], snaps[1], snaps[2], { top: 2 });
      assert.deepStrictEqual(top2, leaks.slice(0, 2));
    } finally {
      for (const s of snaps) s.close();
    }
  }
});

test('real snapshots of this process: native equals the reference', async () => {
  // Only file names survive between snapshots: the reference's parsed copies
  // would otherwise be in the next snapshot.
  const files = [];
  const kept = [];
  for (let i = 0; i < 3; i++) {
    const file = path.join(dir, `real${i}.heapsnapshot`);
    memctl.writeSnapshot(file);
    files.push(file);
    for (let k = 0; k < 2000; k++) kept.push({ k, s: `x${k}` }); // allocations between snapshots
  }
  for (const file of files) {
    const expected = ref.summary(ref.load(fs.readFileSync(file, 'utf8')));
    assert.ok(expected.nodeCount > 10000);
    assertSummary(await memctl.analyzeSnapshot(file), expected, file);
  }
  const expected = ref.diff(ref.load(fs.readFileSync(files[0], 'utf8')), ref.load(fs.readFileSync(files[2], 'utf8')));
  const d = await memctl.diffSnapshots(files[0], files[2]);
  assert.strictEqual(d.change.allocated_nodes, expected.change.allocated_nodes);
  assert.strictEqual(d.change.freed_nodes, expected.change.freed_nodes);
  assert.deepStrictEqual(d.change.details.map(({ size, ...rest }) => rest), expected.change.details);
  assert.ok(d.change.allocated_nodes >= 4000);
  assert.strictEqual(kept.length, 6000);
});

test('a snapshot streamed straight from v8.getHeapSnapshot()', async () => {
  const s = await memctl.analyzeSnapshot(v8.getHeapSnapshot());
  assert.ok(s.nodeCount > 10000);
  assert.ok(s.edgeCount > s.nodeCount);
  assert.ok(s.classes.length > 50);
  assert.ok(s.classes.some((c) => c.name === 'Object'));
  assert.ok(s.classes[0].retainedSize >= s.classes[1].retainedSize);
});

test('ParsedSnapshot: close() is idempotent, later use throws ERR_MEMCTL_CLOSED', async () => {
  const snap = await memctl.parseSnapshot(Readable.from([gen.serialize(gen.randomGraph(3, 50))]));
  assert.ok(snap instanceof memctl.ParsedSnapshot);
  snap.close();
  snap.close();
  assert.throws(() => snap.summary(), { code: 'ERR_MEMCTL_CLOSED' });
});

test('argument checks of the analysis API', async () => {
  const file = path.join(dir, 'args.heapsnapshot');
  fs.writeFileSync(file, gen.serialize(gen.randomGraph(4, 40)));
  await assert.rejects(memctl.parseSnapshot(42), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE', name: 'TypeError' });
  await assert.rejects(memctl.parseSnapshot(''), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
  await assert.rejects(memctl.parseSnapshot('a\0b'), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
  assert.throws(() => memctl.parseSnapshotSync('a\0b'), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
  assert.throws(() => memctl.parseSnapshotSync(7), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.parseSnapshot(Readable.from([{}])), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.parseSnapshot(file, { onProgress: 1 }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.parseSnapshot(file, { dominators: 'x' }), { code: 'ERR_MEMCTL_INVALID_ARG_VALUE' });
  await assert.rejects(memctl.parseSnapshot(file, { maxMemory: 10 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
  await assert.rejects(memctl.analyzeSnapshot({}), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.analyzeSnapshot('x', 5), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.analyzeSnapshot('x', { onProgress: 1 }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.diffSnapshots('a', 3), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.diffSnapshots({ summary() {}, close() {}, nodeCount: 1 }, 'b'), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => memctl.diffSnapshotsSync({}, {}), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.findLeaks('a', 'b', null), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => memctl.findLeaksSync(null), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  await assert.rejects(memctl.findLeaks('a', 'b', 'c', { top: -1 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
  await assert.rejects(memctl.analyzeSnapshot(path.join(dir, 'missing.heapsnapshot')), { code: 'ENOENT' });
  const s = memctl.parseSnapshotSync(file, { retained: false });
  assert.throws(() => s.summary({ top: 0 }), { code: 'ERR_MEMCTL_OUT_OF_RANGE' });
  assert.throws(() => s.summary({ retained: 'yes' }), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.throws(() => s.summary(5), { code: 'ERR_MEMCTL_INVALID_ARG_TYPE' });
  assert.deepStrictEqual(s.summary({ top: Infinity }), s.summary(), 'top: Infinity means every class');
  s.close();
});

test('a stream that fails midway rejects with its own error', async () => {
  const text = gen.serialize(gen.randomGraph(8, 200));
  async function* failing() {
    yield text.slice(0, 100);
    throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
  }
  await assert.rejects(memctl.analyzeSnapshot(failing()), { code: 'EIO' });
  const stream = new Readable({ read() {} });
  stream.push(text.slice(0, 50));
  setImmediate(() => stream.destroy(Object.assign(new Error('gone'), { code: 'ECONNRESET' })));
  await assert.rejects(memctl.analyzeSnapshot(stream), { code: 'ECONNRESET' });
});
