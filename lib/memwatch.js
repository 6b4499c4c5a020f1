'use strict';
// Drop-in for memwatch, memwatch-next and @airbnb/node-memwatch:
// `const memwatch = require('memctl/memwatch')`.
//   memwatch.on('stats', fn)  after every full GC: memwatch's fields and
//                             @airbnb/node-memwatch's, read at the end of the GC
//   memwatch.on('leak', fn)   { start, end, growth, reason }
//   memwatch.gc()             a full GC, without --expose-gc (see gc() below)
//   memwatch.HeapDiff         memwatch's HeapDiff, streamed (no files)
// Events are delivered from a ref'd immediate, as memwatch's queued native
// work was: a one-shot script (a listener, one gc()) gets its 'stats' before
// it exits. The watcher starts with the first 'stats' or 'leak' listener and
// stops when the last one is removed. It uses memctl's noise-tolerant
// detector; memwatch.configure({ detector: 'consecutive' }) restores
// memwatch's own rule (5 growing full GCs in a row).
const { EventEmitter } = require('events');
const v8 = require('v8');
const vm = require('vm');
const { LeakWatcher } = require('./leak-watcher');
const gcEvents = require('./gc-events');
const { error } = require('./errors');
const { formatBytes, MEMWATCH } = require('./format');
const { forEachHeapSnapshotChunk } = require('./heap-stream');

const memwatch = new EventEmitter();
let watcher = null;
let options = {};

const watched = () => memwatch.listenerCount('stats') + memwatch.listenerCount('leak');

// @airbnb/node-memwatch's fields, from the record Node took in its GC
// epilogue (v8.GCProfiler): times in nanoseconds as airbnb's uv_hrtime
// differences were (the profiler measures in microseconds), counts and times
// per kind since the watcher started, gc_ts in microseconds since the epoch
// (when the record was collected: exact for gc(), otherwise a little after
// the GC's end).
function airbnbFields(gc) {
  const t = gc.totals;
  const a = gc.after;
  const ns = (us) => Math.round(us * 1000);
  return {
    gcScavengeCount: t.Scavenge.count,
    gcScavengeTime: ns(t.Scavenge.time),
    gcMarkSweepCompactCount: t.MarkSweepCompact.count,
    gcMarkSweepCompactTime: ns(t.MarkSweepCompact.time),
    gcIncrementalMarkingCount: t.IncrementalMarking.count,
    gcIncrementalMarkingTime: ns(t.IncrementalMarking.time),
    gcProcessWeakCallbacksCount: t.ProcessWeakCallbacks.count,
    gcProcessWeakCallbacksTime: ns(t.ProcessWeakCallbacks.time),
    total_heap_size: a.totalHeapSize,
    total_heap_size_executable: a.totalHeapSizeExecutable,
    total_physical_size: a.totalPhysicalSize,
    total_available_size: a.totalAvailableSize,
    used_heap_size: a.usedHeapSize,
    heap_size_limit: a.heapSizeLimit,
    malloced_memory: a.mallocedMemory,
    peak_malloced_memory: a.peakMallocedMemory,
    gc_time: ns(gc.cost),
  };
}

function toMemwatchStats(s) {
  const gc = s.gc;
  delete s.gc;
  if (!gc) return s; // Node without v8.GCProfiler: memwatch's fields only
  return Object.assign(s, airbnbFields(gc), { gc_ts: Math.round(s.timestamp * 1000 + gc.cost) });
}

function startWatcher() {
  if (watcher) return;
  watcher = new LeakWatcher(options);
  watcher.on('stats', (s) => setImmediate(() => memwatch.emit('stats', toMemwatchStats(s))));
  watcher.on('leak', (l) => setImmediate(() => memwatch.emit('leak', l)));
  watcher.start();
}

function stopWatcher() {
  if (!watcher) return;
  watcher.close();
  watcher = null;
}

// The watcher follows the 'stats'/'leak' listeners through these two hooks.
const onNewListener = (event) => {
  if (event === 'stats' || event === 'leak') startWatcher();
};
const onRemoveListener = (event) => {
  if ((event === 'stats' || event === 'leak') && watched() === 0) stopWatcher();
};
function installHooks() {
  memwatch.on('newListener', onNewListener);
  memwatch.on('removeListener', onRemoveListener);
}
installHooks();

// memwatch users call removeAllListeners() with no event (memwatch's own
// tests do): that must not remove the hooks, or later listeners would get
// no watcher.
// (Not enumerable: it is EventEmitter's method, not an export of its own.)
Object.defineProperty(memwatch, 'removeAllListeners', {
  configurable: true,
  writable: true,
  value: function removeAllListeners(...args) {
    EventEmitter.prototype.removeAllListeners.apply(this, args);
    if (args.length === 0 || args[0] === 'newListener' || args[0] === 'removeListener') {
      memwatch.off('newListener', onNewListener);
      memwatch.off('removeListener', onRemoveListener);
      installHooks();
    }
    if (watched() === 0) stopWatcher();
    return this;
  },
});

// Sets the LeakWatcher options (detector, consecutive, minGrowth, ...);
// validated now, applied to the running watcher at once.
memwatch.configure = function configure(opts) {
  new LeakWatcher(opts).close(); // throws with a code on bad options
  options = { ...opts };
  if (watcher) {
    stopWatcher();
    startWatcher();
  }
  return memwatch;
};

// ---- gc() --------------------------------------------------------------------

// V8's collector without --expose-gc: the flag is switched on, a fresh vm
// context is created (V8 installs `gc` in contexts created while the flag
// is on), its `gc` is kept, and the flag is switched off again so later
// contexts are not affected. globalThis.gc is used when node already has it.
let collector = null;

function obtainCollector() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  try {
    const fn = vm.runInNewContext('gc');
    if (typeof fn !== 'function') throw new TypeError('no gc function');
    return fn;
  } catch (cause) {
    const e = error('ERR_MEMCTL_GC_UNAVAILABLE', 'memwatch.gc() could not obtain V8\'s collector; run node with --expose-gc');
    e.cause = cause;
    throw e;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
}

/** A full, synchronous GC; 'stats' follows on the next turn of the event loop. */
memwatch.gc = function gc() {
  if (!collector) collector = obtainCollector();
  collector();
  gcEvents.drainNow('gc'); // the reading of this GC, now
};

// ---- HeapDiff ------------------------------------------------------------------

let snapshotModule = null;
const snapshots = () => snapshotModule || (snapshotModule = require('./snapshot'));

// Streams a snapshot of this thread's heap into the native parser (no file,
// no whole-document buffer), taken in withoutEvents: the snapshot's own GCs
// do not emit 'stats'. Parsed nodes-only: a diff needs node ids, classes and
// self sizes, never the edges, so they are checked but not stored (the
// constructor's snapshot, held until end(), is about half the size).
function parseHeapNow() {
  return gcEvents.withoutEvents(() => snapshots()[Symbol.for('memctl.snapshot.internal')].parseNodesOnlySync(forEachHeapSnapshotChunk));
}

// memwatch's names for DevTools' classes of V8's node types; '(system)'
// (hidden), '(object shape)' and '(synthetic)' nodes were not in memwatch's
// details. Names of objects ("Foo", "Array", "Object") are kept as they are.
const MEMWATCH_NAMES = {
  '(string)': 'String',
  '(concatenated string)': 'String',
  '(sliced string)': 'String',
  '(array)': 'Array',
  '(compiled code)': 'Code',
  '(closure)': 'Closure',
  '(regexp)': 'RegExp',
  '(number)': 'Number',
  '(symbol)': 'Symbol',
  '(bigint)': 'BigInt',
  '(system)': null,
  '(object shape)': null,
  '(synthetic)': null,
};

// Merges details under memwatch's names and sorts them by name (memwatch's
// std::map order: code unit order).
function memwatchDetails(details) {
  const byName = new Map();
  for (const d of details) {
    const mapped = Object.prototype.hasOwnProperty.call(MEMWATCH_NAMES, d.what) ? MEMWATCH_NAMES[d.what] : d.what;
    if (mapped === null) continue;
    const acc = byName.get(mapped) || { what: mapped, size_bytes: 0, '+': 0, '-': 0 };
    acc.size_bytes += d.size_bytes;
    acc['+'] += d['+'];
    acc['-'] += d['-'];
    byName.set(mapped, acc);
  }
  const out = [...byName.values()].sort((x, y) => (x.what < y.what ? -1 : x.what > y.what ? 1 : 0));
  const fmt = (bytes) => formatBytes(bytes, MEMWATCH);
  return out.map((d) => ({ what: d.what, size_bytes: d.size_bytes, size: fmt(d.size_bytes), '+': d['+'], '-': d['-'] }));
}

/**
 * memwatch's HeapDiff: the constructor takes a snapshot (parsed into native
 * memory at once), end() takes another and returns memwatch's diff.
 */
class HeapDiff {
  #before;
  #time;
  #ended = false;

  constructor() {
    this.#time = new Date();
    this.#before = parseHeapNow();
  }

  /** Takes the second snapshot and returns the diff (synchronous, as memwatch's). */
  end() {
    if (this.#ended) throw error('ERR_MEMCTL_HEAPDIFF_ENDED', 'attempt to end() a HeapDiff that was already ended');
    this.#ended = true;
    const before = this.#before;
    this.#before = null;
    try {
      const after = parseHeapNow();
      try {
        return this.#result(snapshots().diffSnapshotsSync(before, after));
      } finally {
        after.close();
      }
    } finally {
      before.close();
    }
  }

  /** end() as a promise (the work is synchronous). */
  async endAsync() {
    return this.end();
  }

  #result(diff) {
    diff.before.time = this.#time;
    diff.after.time = new Date();
    diff.change.details = memwatchDetails(diff.change.details);
    return diff;
  }
}

memwatch.HeapDiff = HeapDiff;

module.exports = memwatch;
