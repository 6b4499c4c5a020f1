'use strict';
// The life of a ParsedSnapshot: close(), worker_threads (parsing in workers,
// terminating one mid-parse) and the GC finalizer. What a parse computes is
// tested in snapshot-analysis.test.js, bad input in snapshot-badinput.test.js.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { Worker } = require('node:worker_threads');
const { runNodeJson } = require('./helpers/run-node');

const sn = require('../../lib/snapshot');
// The addon's count of this thread's open snapshots and their bytes.
const nativeUsage = () => require('../../lib/native').snapshotUsage();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memctl-snap-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let fileCache = null;
function snapshotFile() {
  if (!fileCache) fileCache = v8.writeHeapSnapshot(path.join(tmp, 'real.heapsnapshot'));
  return fileCache;
}

test('close() frees the snapshot; later use throws ERR_MEMCTL_CLOSED', async () => {
  const s = await sn.parseSnapshot(snapshotFile());
  assert.strictEqual(s.closed, false);
  assert.ok(s.nativeBytes > 0);
  const before = nativeUsage();
  s.close();
  s.close();
  assert.strictEqual(s.closed, true);
  assert.strictEqual(nativeUsage().live, before.live - 1);
  assert.throws(() => s.summary(), { code: 'ERR_MEMCTL_CLOSED' });
  assert.throws(() => sn.diffSnapshotsSync(s, s), { code: 'ERR_MEMCTL_CLOSED' });
  await assert.rejects(sn.diffSnapshots(s, s), { code: 'ERR_MEMCTL_CLOSED' });
});

test('snapshots parse in worker_threads and match the main thread', async () => {
  const file = snapshotFile();
  const mainSummary = sn.parseSnapshotSync(file).summary({ top: 10 });
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    const sn = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'snapshot'))});
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
    const sn = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'snapshot'))});
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
    const sn = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'snapshot'))});
    const nativeUsage = () => require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'native'))}).snapshotUsage();
    let s = sn.parseSnapshotSync(${JSON.stringify(file)});
    const held = nativeUsage();
    const bytes = s.nativeBytes;
    s = null;
    (async () => {
      for (let i = 0; i < 20 && nativeUsage().live > 0; i++) {
        global.gc();
        await new Promise((r) => setTimeout(r, 10));
      }
      console.log(JSON.stringify({ bytes, held, after: nativeUsage() }));
    })();
  `;
  const { bytes, held, after } = runNodeJson(script);
  assert.strictEqual(held.live, 1);
  assert.strictEqual(held.bytes, bytes);
  assert.deepStrictEqual(after, { live: 0, bytes: 0 });
});
