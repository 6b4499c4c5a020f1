'use strict';
// Bad input through the public API: truncated, corrupt and non-snapshot files
// reject with ERR_MEMCTL_SNAPSHOT_* codes (or the file-system error), never a
// crash or a hang; every one of thousands of mutations is answered.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Readable } = require('stream');
const memctl = require('../../lib');
const gen = require('./helpers/gen-snapshot');
const ref = require('./helpers/snapshot-reference');

const CODES = new Set(['ERR_MEMCTL_SNAPSHOT_TRUNCATED', 'ERR_MEMCTL_SNAPSHOT_CORRUPT', 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT',
  'ERR_MEMCTL_SNAPSHOT_BAD_META', 'ERR_MEMCTL_SNAPSHOT_BAD_INDEX']);

// Parses text (a string or raw bytes); returns 'ok' or the error code (asserting it is a known one).
async function outcome(text) {
  try {
    const snap = await memctl.parseSnapshot(Readable.from([Buffer.isBuffer(text) ? text : Buffer.from(text)]));
    snap.summary();
    snap.close();
    return 'ok';
  } catch (err) {
    assert.ok(CODES.has(err.code), `unexpected error ${err.code}: ${err.message}`);
    assert.ok(err.message.length > 10);
    return err.code;
  }
}

const small = gen.serialize(gen.randomGraph(1, 60));

test('truncated snapshots: every cut point rejects with TRUNCATED (or CORRUPT)', async () => {
  const step = Math.max(1, Math.floor(small.length / 400));
  for (let cut = 0; cut < small.length; cut += step) {
    const code = await outcome(small.slice(0, cut));
    assert.notStrictEqual(code, 'ok', `cut at ${cut} of ${small.length} parsed`);
  }
  assert.strictEqual(await outcome(small.slice(0, small.length - 1)), 'ERR_MEMCTL_SNAPSHOT_TRUNCATED');
});

test('non-snapshot inputs reject with a code', async () => {
  const cases = {
    '': null,
    'hello world': null,
    '[]': 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT',
    '{}': 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT',
    '{"a": 1}': 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT',
    '{"snapshot": {}}': null,
    '\u0000\u0001\u0002binary': null,
    '{"snapshot":{"meta":{}},"nodes":[],"edges":[],"strings":[]}': 'ERR_MEMCTL_SNAPSHOT_BAD_META',
  };
  for (const [text, expected] of Object.entries(cases)) {
    const code = await outcome(text);
    assert.notStrictEqual(code, 'ok', JSON.stringify(text));
    if (expected) assert.strictEqual(code, expected, JSON.stringify(text));
  }
});

test('out-of-range indices and inconsistent counts reject with BAD_INDEX', async () => {
  const graph = gen.randomGraph(2, 30);
  const doc = JSON.parse(gen.serialize(graph));
  const variants = [
    (d) => { d.edges[2] = d.nodes.length + 7; }, // to_node past the end
    (d) => { d.edges[2] = 1; }, // to_node not a multiple of the field count
    (d) => { d.nodes[1] = d.strings.length + 5; }, // name index past the strings
    (d) => { d.nodes[0] = 999; }, // node type past the enum
    (d) => { d.nodes[4] += 1; }, // edge_count sum exceeds the edges
    (d) => { d.snapshot.node_count += 1; },
  ];
  for (const [i, mutate] of variants.entries()) {
    const d = JSON.parse(JSON.stringify(doc));
    mutate(d);
    const code = await outcome(JSON.stringify(d));
    assert.ok(code === 'ERR_MEMCTL_SNAPSHOT_BAD_INDEX' || code === 'ERR_MEMCTL_SNAPSHOT_CORRUPT', `variant ${i}: ${code}`);
  }
});

test('meta without a required field rejects with BAD_META; unknown extra fields are fine', async () => {
  const layout = { ...gen.V8_LAYOUT, nodeFields: ['type', 'name', 'id', 'edge_count', 'trace_node_id'] };
  const missing = gen.serialize(gen.randomGraph(3, 20), layout);
  assert.strictEqual(await outcome(missing), 'ERR_MEMCTL_SNAPSHOT_BAD_META');
  const extra = JSON.parse(gen.serialize(gen.randomGraph(3, 20)));
  extra.snapshot.meta.some_future_field = ['x'];
  extra.future_section = [1, 2, 3];
  assert.strictEqual(await outcome(JSON.stringify(extra)), 'ok');
});

// The oracle for a mutation: JSON.parse. Text that is not JSON must be
// rejected; JSON that parses must give the reference analyzer's counts.
function jsonOf(bytes) {
  try { return JSON.parse(bytes.toString()); } catch { return undefined; }
}

async function summaryOrCode(bytes) {
  try {
    const snap = await memctl.parseSnapshot(Readable.from([bytes]));
    try { return snap.summary({ retained: false }); } finally { snap.close(); }
  } catch (err) {
    assert.ok(CODES.has(err.code), `unexpected error ${err.code}: ${err.message}`);
    return err.code;
  }
}

test('5000 random byte mutations: non-JSON rejects with a code, JSON that parses matches the reference', async () => {
  const r = gen.rng(12345);
  const bytes = Buffer.from(small);
  const alphabet = Buffer.from('{}[],:"0123456789-.e\\ nx\u0000');
  const seen = { rejected: 0, parsed: 0 };
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.from(bytes);
    for (let k = 1 + r.int(3); k > 0; k--) b[r.int(b.length)] = alphabet[r.int(alphabet.length)];
    const result = await summaryOrCode(b);
    const doc = jsonOf(b);
    if (typeof result === 'string') {
      seen.rejected++;
      continue;
    }
    seen.parsed++;
    assert.notStrictEqual(doc, undefined, `mutation ${i} is not JSON but parsed`);
    const expected = ref.summary(ref.load(doc), { retained: false });
    assert.deepStrictEqual([result.nodeCount, result.edgeCount, result.totalSize],
      [expected.nodeCount, expected.edgeCount, expected.totalSize], `mutation ${i}`);
  }
  // Both answers occur with this seed (about 4 in 5 mutations break the JSON).
  assert.ok(seen.rejected > 2500 && seen.parsed > 100, JSON.stringify(seen));
});

test('files, by the Promise and the blocking parse: the same codes as streams; maxMemory', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-badfile-'));
  const cases = [
    [small.slice(0, small.length >> 1), 'ERR_MEMCTL_SNAPSHOT_TRUNCATED'],
    ['this is not json at all', 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT'],
    ['', 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT'],
    ['[1,2,3]', 'ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT'],
    [small.replace('"nodes":[', '"nodes":[-'), 'ERR_MEMCTL_SNAPSHOT_CORRUPT'],
    [small.replace('"self_size"', '"selfsize"'), 'ERR_MEMCTL_SNAPSHOT_BAD_META'],
  ];
  for (const [i, [text, code]] of cases.entries()) {
    const file = path.join(dir, `case${i}.heapsnapshot`);
    fs.writeFileSync(file, text);
    assert.strictEqual(await outcome(text), code, `stream ${i}`);
    await assert.rejects(memctl.parseSnapshot(file), (e) => e.code === code && e.message.length > 0, `path ${i}`);
    assert.throws(() => memctl.parseSnapshotSync(file), (e) => e.code === code, `sync path ${i}`);
  }
  const big = path.join(dir, 'big.heapsnapshot');
  fs.writeFileSync(big, gen.serialize(gen.randomGraph(4, 20000)));
  await assert.rejects(memctl.parseSnapshot(big, { maxMemory: 1 << 20 }), { code: 'ERR_MEMCTL_SNAPSHOT_TOO_LARGE' });
  fs.rmSync(dir, { recursive: true });
});

test('files: a directory, a missing file, a file that is not a snapshot', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-badfile-'));
  await assert.rejects(memctl.analyzeSnapshot(path.join(dir, 'none.heapsnapshot')), { code: 'ENOENT' });
  await assert.rejects(memctl.analyzeSnapshot(dir), (err) => err.code === 'EISDIR');
  const text = path.join(dir, 'text.heapsnapshot');
  fs.writeFileSync(text, 'not a snapshot at all\n');
  await assert.rejects(memctl.analyzeSnapshot(text), (err) => CODES.has(err.code));
  fs.rmSync(dir, { recursive: true });
});
