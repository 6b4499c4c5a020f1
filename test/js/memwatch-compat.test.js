'use strict';
// require('memctl/memwatch') and memctl/heapdump as the originals' users run
// them: scripts from their READMEs and examples, in child processes started
// with plain `node` (no --expose-gc, no NODE_OPTIONS).
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { run } = require('./fixtures/leak-child');

const dir = path.join(__dirname, 'fixtures', 'memwatch');
const plain = { execArgv: [], env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120000 };
const runFixture = (name, args = []) => run([path.join(dir, name), ...args], plain);

function ok(res) {
  assert.strictEqual(res.signal, null, res.stderr);
  assert.strictEqual(res.code, 0, res.stderr);
  assert.strictEqual(res.events.length, 1, JSON.stringify(res.events) + res.stderr);
  return res.events[0];
}

const AIRBNB_FIELDS = [
  'gcScavengeCount', 'gcScavengeTime', 'gcMarkSweepCompactCount', 'gcMarkSweepCompactTime',
  'gcIncrementalMarkingCount', 'gcIncrementalMarkingTime', 'gcProcessWeakCallbacksCount',
  'gcProcessWeakCallbacksTime', 'total_heap_size', 'total_heap_size_executable',
  'total_physical_size', 'total_available_size', 'used_heap_size', 'heap_size_limit',
  'malloced_memory', 'peak_malloced_memory', 'gc_time', 'gc_ts',
];
const MEMWATCH_FIELDS = ['num_full_gc', 'num_inc_gc', 'heap_compactions', 'usage_trend', 'estimated_base', 'current_base', 'min', 'max'];

test("memwatch's examples/basic_heapdiff.js under plain node: memwatch's names, sorted by name", async () => {
  const diff = ok(await runFixture('basic_heapdiff.js'));
  for (const side of ['before', 'after']) {
    assert.ok(diff[side].nodes > 0 && diff[side].size_bytes > 0, side);
    assert.match(diff[side].size, /^\d+(\.\d\d)? (bytes|kb|mb|gb)$/);
    assert.ok(!Number.isNaN(Date.parse(diff[side].time)), `${side}.time is a date`);
  }
  const d = diff.change.details;
  const names = d.map((x) => x.what);
  assert.deepStrictEqual(names, [...names].sort(), 'details sorted by name, as memwatch');
  assert.strictEqual(new Set(names).size, names.length, 'one entry per name');
  assert.ok(!names.some((n) => /^\(.*\)$/.test(n)), `no DevTools "(type)" names: ${names}`);
  const leaking = d.find((x) => x.what === 'LeakingClass');
  assert.ok(leaking, names.join());
  assert.ok(leaking['+'] >= 100, JSON.stringify(leaking)); // 100 kept, 100 more turned into strings
  const strings = d.find((x) => x.what === 'String');
  assert.ok(strings && strings['+'] >= 100, JSON.stringify(strings)); // the 100 '[object Object]<i>' strings
  for (const x of d) assert.deepStrictEqual(Object.keys(x), ['what', 'size_bytes', 'size', '+', '-']);
});

test('a one-shot script (one listener, one gc()) gets its stats before it exits, with every field', async () => {
  const ev = ok(await runFixture('one_shot.js'));
  assert.strictEqual(ev.event, 'stats');
  const s = ev.stats;
  for (const k of [...MEMWATCH_FIELDS, ...AIRBNB_FIELDS]) {
    assert.strictEqual(typeof s[k], 'number', k);
    assert.ok(Number.isFinite(s[k]) && s[k] >= 0, `${k} = ${s[k]}`);
  }
  assert.ok(s.gcMarkSweepCompactCount >= 1);
  assert.ok(s.gcMarkSweepCompactTime >= s.gc_time && s.gc_time > 0, 'ns totals include this GC');
  assert.ok(s.used_heap_size > 0 && s.used_heap_size <= s.total_heap_size);
  assert.ok(s.heap_size_limit >= s.total_heap_size);
  assert.strictEqual(s.heapUsed, s.used_heap_size);
  assert.ok(Math.abs(s.gc_ts / 1000 - Date.now()) < 10 * 60 * 1000, 'gc_ts is microseconds since the epoch');
});

test("rolling HeapDiffs in 'stats' do not feed themselves: one gc(), one stats event", async () => {
  const out = ok(await runFixture('rolling_heapdiff.js', ['1500']));
  // Each HeapDiff runs several full GCs; had they emitted 'stats', every
  // event would start a new HeapDiff and the count would keep growing.
  assert.ok(out.stats >= 1, JSON.stringify(out));
  assert.ok(out.stats <= 2, `a natural GC may add one, the HeapDiffs none: ${JSON.stringify(out)}`);
  assert.strictEqual(out.diffs, out.stats - 1);
});

test("memwatch's consecutive rule sees 512 KB more retained before each of 7 GCs", async () => {
  const out = ok(await runFixture('consecutive_512k.js', ['7']));
  assert.ok(out.leaks.length >= 1, JSON.stringify(out));
  assert.match(out.leaks[0].reason, /^heap growth over 5 consecutive GCs/);
  // readings taken at the end of each GC: every step while retaining grows
  for (let i = 1; i < 7; i++) assert.ok(out.used[i] > out.used[i - 1], `step ${i}: ${out.used}`);
  assert.ok(out.leaks[0].growth >= 5 * 512 * 1024 * 0.9, JSON.stringify(out.leaks[0]));
});

test('an idle server: stats follow a GC V8 ran on its own, without waiting for a timer', async () => {
  const out = ok(await runFixture('stats_prompt.js'));
  assert.strictEqual(out.received, true, 'no stats within 10 s');
  // The bound is the 10 s guard, not a speed: before, the entry waited for
  // something else to wake the loop (here: nothing before the guard).
  assert.ok(out.afterAllocMs < 9000, JSON.stringify(out));
  assert.ok(out.gcTsMicros <= out.nowMicros + 1000, 'gc_ts is not in the future');
});

test("a leaking node:http server under loopback load: 'leak' fires and HeapDiff names the class", async () => {
  const out = ok(await runFixture('leaky_server.js', ['40']));
  assert.ok(out.leak, `no leak event in ${out.rounds} rounds`);
  assert.match(out.leak.reason, /consecutive GCs/);
  assert.ok(out.mine, 'LeakedRequest is in the details');
  assert.strictEqual(out.mine['+'], 40);
  assert.strictEqual(out.mine['-'], 0);
  assert.ok(out.mine.size_bytes > 0);
});

test('HeapDiff inside a stats listener, the GC counts and stats totals stay those of real GCs', async () => {
  const script = `
    const memwatch = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'memwatch.js'))});
    const seen = [];
    memwatch.on('stats', (s) => {
      seen.push(s.gcMarkSweepCompactCount);
      if (seen.length === 1) { new memwatch.HeapDiff().end(); memwatch.gc(); }
      else { memwatch.removeAllListeners('stats'); console.log(JSON.stringify({ seen })); }
    });
    memwatch.gc();
  `;
  const out = ok(await run(['-e', script], plain));
  // the HeapDiff's snapshots ran full GCs, but they are not counted (memwatch skipped them)
  assert.strictEqual(out.seen.length, 2);
  assert.ok(out.seen[1] - out.seen[0] <= 2, JSON.stringify(out)); // our gc(), and at most one natural GC
});

test("the streamed nodes-only parse (HeapDiff's) gives the same diff as full parses of files of the same snapshots (the old path)", () => {
  const fs = require('node:fs');
  const os = require('node:os');
  const snapshots = require('../../lib/snapshot');
  const { forEachHeapSnapshotChunk } = require('../../lib/heap-stream');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `memctl-mw-stream-${process.pid}-`));
  // The same snapshot bytes go to the parser HeapDiff uses and to a file.
  const take = (file) => snapshots[Symbol.for('memctl.snapshot.internal')].parseNodesOnlySync((feed) => {
    const fd = fs.openSync(file, 'w');
    try {
      forEachHeapSnapshotChunk((c) => { fs.writeSync(fd, c); feed(c); });
    } finally {
      fs.closeSync(fd);
    }
  });
  const snaps = [];
  try {
    snaps.push(take(path.join(tmp, 'a.heapsnapshot')));
    class StreamProbe {}
    const kept = Array.from({ length: 200 }, () => new StreamProbe());
    snaps.push(take(path.join(tmp, 'b.heapsnapshot')));
    snaps.push(snapshots.parseSnapshotSync(path.join(tmp, 'a.heapsnapshot'), { retained: false }));
    snaps.push(snapshots.parseSnapshotSync(path.join(tmp, 'b.heapsnapshot'), { retained: false }));
    const streamed = snapshots.diffSnapshotsSync(snaps[0], snaps[1]);
    assert.deepStrictEqual(streamed, snapshots.diffSnapshotsSync(snaps[2], snaps[3]));
    assert.strictEqual(streamed.change.details.find((d) => d.what === 'StreamProbe')['+'], kept.length);
    // nodes-only: the same counts and histogram, less native memory, no retained sizes
    assert.strictEqual(snaps[1].edgeCount, snaps[3].edgeCount);
    assert.strictEqual(snaps[1].nodeCount, snaps[3].nodeCount);
    assert.deepStrictEqual(snaps[1].summary({ retained: false }), snaps[3].summary({ retained: false }));
    assert.ok(snaps[1].nativeBytes < snaps[3].nativeBytes, `${snaps[1].nativeBytes} < ${snaps[3].nativeBytes}`);
    assert.throws(() => snaps[1].summary(), { code: 'ERR_MEMCTL_INVALID_STATE', message: /nodes-only/ });
    assert.throws(() => snapshots.findLeaksSync(snaps[2], snaps[3], snaps[1]), { code: 'ERR_MEMCTL_INVALID_STATE' });
  } finally {
    for (const s of snaps) s.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('HeapDiff writes no file: its snapshots never reach the disk', { skip: !require('node:fs').existsSync('/proc/self/io') && 'needs /proc/self/io (Linux)' }, async () => {
  const script = `
    const fs = require('fs');
    const wchar = () => Number(/wchar:\\s*(\\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))[1]);
    const memwatch = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'memwatch.js'))});
    const hd = new memwatch.HeapDiff(); // first use loads the addon: measure from the second HeapDiff
    hd.end();
    const before = wchar();
    const diff = new memwatch.HeapDiff().end();
    const written = wchar() - before;
    console.log(JSON.stringify({ written, snapshotBytes: diff.after.size_bytes }));
  `;
  const out = ok(await run(['-e', script], plain));
  // a snapshot's JSON is several MB; only stdout may be written
  assert.ok(out.written < 4096, JSON.stringify(out));
});

test("memwatch's tests.js scenarios: exports, once('stats') after gc(), HeapDiff sees LeakingClass, removeAllListeners()", async () => {
  const script = `
    const memwatch = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'memwatch.js'))});
    const out = { exports: ['gc', 'on', 'once', 'removeAllListeners', 'HeapDiff'].every((k) => memwatch[k] != null) };
    memwatch.once('stats', (s) => {
      out.first = typeof s;
      memwatch.removeAllListeners(); // no event name: as memwatch users do
      memwatch.once('stats', (s2) => {
        out.afterRemoveAll = typeof s2;
        function LeakingClass() {}
        const arr = [];
        const hd = new memwatch.HeapDiff();
        for (let i = 0; i < 100; i++) arr.push(new LeakingClass());
        const d = hd.end().change.details.find((x) => x.what === 'LeakingClass');
        out.leaking = d['+'] - d['-'];
        console.log(JSON.stringify(out));
      });
      memwatch.gc();
    });
    memwatch.gc();
  `;
  const out = ok(await run(['-e', script], plain));
  assert.deepStrictEqual(out, { exports: true, first: 'object', afterRemoveAll: 'object', leaking: 100 });
});
