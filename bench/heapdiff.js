'use strict';
// `memctl bench --heapdiff [--smoke] [--heap-mb N] [--reps N]`: memwatch's
// HeapDiff, the old path (lib/snapshot.js: v8.writeHeapSnapshot to two
// temporary files, both parsed at end()) against the new one
// (lib/memwatch.js: v8.getHeapSnapshot() streamed into the native parser;
// the first snapshot is parsed in the constructor, as memwatch kept its
// first snapshot in memory). Runs alternate old/new on the same heap.
// Reports per path: constructor and end() wall time, bytes written by the
// process meanwhile (/proc/self/io wchar, Linux), and checks that both
// paths give the same diff for the same pair of snapshots (the streamed
// bytes are also written to files and parsed the old way).
// Target (issue 14): end() at least 3x faster than the old path (wall
// time; CPU time of the process is printed too, as it is less sensitive to
// other load), no disk writes, equal diff. Needs a quiet machine; the
// default heap is ~85 MB. The new end() is also timed in parts (V8 building
// the snapshot, V8 serializing it, the parse, the diff), with the bound the
// build time alone puts on any end() that takes a V8 heap snapshot.
const { median } = require('./stats');
const fs = require('fs');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const assert = require('assert');

function option(args, name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : dflt;
}

// Live objects of a few classes until the used heap reaches `mb`.
function buildHeap(mb) {
  class Session { constructor(i) { this.id = i; this.name = 'user' + i; this.tags = [i, i + 1]; } }
  const kept = [];
  while (v8.getHeapStatistics().used_heap_size < mb * 1024 * 1024) {
    for (let i = 0; i < 10000; i++) kept.push(new Session(kept.length));
  }
  return kept;
}

function written() {
  try {
    const m = /wchar:\s*(\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

function measure(HeapDiff, grow) {
  const cpuMs = (c) => (c.user + c.system) / 1000;
  const w0 = written();
  let t = process.hrtime.bigint();
  let c = process.cpuUsage();
  const hd = new HeapDiff();
  const ctorMs = Number(process.hrtime.bigint() - t) / 1e6;
  const ctorCpu = cpuMs(process.cpuUsage(c));
  const w1 = written();
  grow();
  t = process.hrtime.bigint();
  c = process.cpuUsage();
  const diff = hd.end();
  const endMs = Number(process.hrtime.bigint() - t) / 1e6;
  const endCpu = cpuMs(process.cpuUsage(c));
  const w2 = written();
  return { ctorMs, endMs, ctorCpu, endCpu, ctorWritten: w1 - w0, endWritten: w2 - w1, allocated: diff.change.allocated_nodes };
}

// Where the new end() spends its time: one more snapshot taken the way
// HeapDiff takes it, timed in parts: V8 building the snapshot (before any
// byte is serialized), V8 serializing it (the stream's chunks, minus the
// parser's share), the parser fed chunk by chunk, and the diff.
function breakdown(before) {
  const snapshots = require('../lib/snapshot');
  const { forEachHeapSnapshotChunk } = require('../lib/heap-stream');
  const now = () => process.hrtime.bigint();
  let parseNs = 0n;
  let taken = 0n;
  const t0 = now();
  const after = snapshots[Symbol.for('memctl.snapshot.internal')].parseNodesOnlySync((feed) => forEachHeapSnapshotChunk((c) => {
    const t = now();
    feed(c);
    parseNs += now() - t;
  }, () => { taken = now(); }));
  const t1 = now();
  try {
    snapshots.diffSnapshotsSync(before, after);
  } finally {
    after.close();
  }
  const t2 = now();
  const ms = (ns) => Number(ns) / 1e6;
  return { gen: ms(taken - t0), serialize: ms(t1 - taken - parseNs), parse: ms(parseNs), diff: ms(t2 - t1) };
}

// Same snapshot pair, parsed from the stream as HeapDiff parses it
// (nodes-only) and from files of the same bytes (full parse, the old path):
// the raw native diffs must be equal.
function checkEqualDiff(grow) {
  const snapshots = require('../lib/snapshot');
  const { forEachHeapSnapshotChunk } = require('../lib/heap-stream');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `memctl-bench-heapdiff-${process.pid}-`));
  const take = (file) => snapshots[Symbol.for('memctl.snapshot.internal')].parseNodesOnlySync((feed) => {
    const fd = fs.openSync(file, 'w');
    try {
      forEachHeapSnapshotChunk((c) => { fs.writeSync(fd, c); feed(c); });
    } finally {
      fs.closeSync(fd);
    }
  });
  try {
    const a = take(path.join(dir, 'a.heapsnapshot'));
    grow();
    const b = take(path.join(dir, 'b.heapsnapshot'));
    const fa = snapshots.parseSnapshotSync(path.join(dir, 'a.heapsnapshot'), { retained: false });
    const fb = snapshots.parseSnapshotSync(path.join(dir, 'b.heapsnapshot'), { retained: false });
    try {
      assert.deepStrictEqual(snapshots.diffSnapshotsSync(a, b), snapshots.diffSnapshotsSync(fa, fb));
    } finally {
      for (const s of [a, b, fa, fb]) s.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}


async function main(args) {
  const smoke = args.includes('--smoke');
  const heapMb = option(args, '--heap-mb', smoke ? 8 : 85);
  const reps = option(args, '--reps', smoke ? 1 : 3);
  const kept = buildHeap(heapMb);
  const extra = [];
  const grow = () => { for (let i = 0; i < 1000; i++) extra.push({ i }); };
  const { HeapDiff: OldHeapDiff } = require('../lib/snapshot');
  const { HeapDiff: NewHeapDiff } = require('../lib/memwatch');
  const runs = { old: [], new: [] };
  for (let r = 0; r < reps; r++) {
    runs.old.push(measure(OldHeapDiff, grow));
    runs.new.push(measure(NewHeapDiff, grow));
  }
  const parts = [];
  {
    const before = require('../lib/snapshot')[Symbol.for('memctl.snapshot.internal')].parseNodesOnlySync(require('../lib/heap-stream').forEachHeapSnapshotChunk);
    try {
      for (let r = 0; r < reps; r++) { grow(); parts.push(breakdown(before)); }
    } finally {
      before.close();
    }
  }
  checkEqualDiff(grow);
  const heap = (v8.getHeapStatistics().used_heap_size / 1048576).toFixed(1);
  console.log(`HeapDiff on a ${heap} MiB heap (${kept.length} objects kept), ${reps} run(s) each, alternated`);
  const row = (name, xs) => {
    const end = median(xs.map((x) => x.endMs));
    const ctor = median(xs.map((x) => x.ctorMs));
    const w = median(xs.map((x) => x.ctorWritten + x.endWritten));
    const endCpu = median(xs.map((x) => x.endCpu));
    const ctorCpu = median(xs.map((x) => x.ctorCpu));
    console.log(`  ${name.padEnd(4)} constructor ${ctor.toFixed(0).padStart(7)} ms (cpu ${ctorCpu.toFixed(0).padStart(6)})   end() ${end.toFixed(0).padStart(7)} ms (cpu ${endCpu.toFixed(0).padStart(6)})   written ${(w / 1048576).toFixed(1).padStart(8)} MiB`);
    return end;
  };
  const oldEnd = row('old', runs.old);
  const newEnd = row('new', runs.new);
  const writes = runs.new.reduce((a, x) => a + x.ctorWritten + x.endWritten, 0);
  const part = (k) => median(parts.map((x) => x[k]));
  const gen = part('gen');
  console.log(`  new end() in parts: V8 builds the snapshot ${gen.toFixed(0)} ms, V8 serializes ${part('serialize').toFixed(0)} ms, ` +
    `parse ${part('parse').toFixed(0)} ms, diff ${part('diff').toFixed(0)} ms`);
  console.log(`  bound: an end() that still takes a V8 snapshot is at most ${(oldEnd / gen).toFixed(2)}x faster than the old one (old end() / build time)`);
  const speedup = oldEnd / newEnd;
  console.log(`  end() speed-up ${speedup.toFixed(2)}x (target >= 3x): ${speedup >= 3 ? 'PASS' : 'FAIL'}`);
  console.log(`  new path bytes written ${writes} (target: no file; stdout only): ${writes < 1048576 ? 'PASS' : 'FAIL'}`);
  console.log('  same diff from the stream and from files of the same snapshots: PASS');
  return 0;
}

module.exports = { main };
if (require.main === module) main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
