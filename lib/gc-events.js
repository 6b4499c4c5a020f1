'use strict';
// GC events for this thread, with the heap read at the end of each GC.
//
// Source of the figures: v8.GCProfiler (Node >= 18.15 / 19.6). Node records,
// in its own V8 GC prologue and epilogue callbacks, the heap statistics before
// and after every GC and its cost. So `after` is the heap as the GC left it,
// before any JS ran again: the reading memwatch took in its epilogue, without
// a V8-API addon of our own (the addon stays Node-API only, issue 12).
// The profiler hands its records over only when stopped, so this module
// "drains" it (stop, then start again at once) when it learns a GC happened:
//   - a FinalizationRegistry sentinel: V8 posts the cleanup task right after
//     the GC that collected the sentinel; Node runs it from its platform task
//     queue, which wakes an idle event loop (unlike perf_hooks 'gc' entries,
//     which Node delivers from an unref'd immediate: only when something else
//     wakes the loop). A young sentinel is re-armed after every scavenge; it
//     ages an "old" one, which only a full GC collects: a full GC is drained
//     on the next turn, scavenges at most every DRAIN_GAP ms (they only feed
//     counts and the envelope minimum, so they can wait).
//   - drainNow(): memwatch.gc() drains synchronously after its GC.
//   - every subscriber's own timer may call drainNow() (LeakWatcher's tick).
// What is not known exactly: the wall-clock time of a GC. `time` is when the
// record was drained (an upper bound of the GC's end: exact for gc(), a task
// turn later for other full GCs, up to DRAIN_GAP ms for scavenges, later if
// JavaScript kept the thread busy); `endedBy` tells how it was drained.
//
// Heap snapshots run full GCs of their own: withoutEvents(fn) drains first,
// runs fn, and drops the GCs fn caused (memwatch's HeapDiff does not feed
// 'stats'). The process is kept alive only by a pending drain's immediate
// (one turn of the loop, so events reach their listeners before exit).
const v8 = require('v8');
const { performance } = require('perf_hooks');

// The four kinds memwatch counts (node's names for V8's GCType).
const KINDS = ['Scavenge', 'MarkSweepCompact', 'IncrementalMarking', 'ProcessWeakCallbacks'];
const SCAVENGES_TO_PROMOTE = 2; // young-sentinel callbacks (each after >= 1 GC) before the old one is armed

const now = () => performance.timeOrigin + performance.now();

const subscribers = new Set();
const totals = Object.fromEntries(KINDS.map((k) => [k, { count: 0, time: 0 }]));
let profiler = null;
let suppressed = 0;
let registry = null;
let oldCandidate = null;
let youngSeen = 0;

function hasProfiler() {
  return typeof v8.GCProfiler === 'function';
}

function startProfiler() {
  profiler = new v8.GCProfiler();
  profiler.start();
}

// Stops the profiler, restarts it at once, and returns its records. A GC
// between stop() and start() is not recorded (no JS runs in between, so
// only a GC caused by this function's own allocations could fall there).
function takeRecords() {
  if (!profiler) return [];
  const data = profiler.stop();
  startProfiler();
  return data && Array.isArray(data.statistics) ? data.statistics : [];
}

// One GC record for subscribers: type, cost (µs), heap before and after.
function toEvent(s, time, endedBy, totalsNow) {
  return {
    type: s.gcType,
    cost: s.cost,
    before: s.beforeGC.heapStatistics,
    after: s.afterGC.heapStatistics,
    time,
    endedBy,
    totals: totalsNow,
  };
}

function snapshotTotals() {
  const t = {};
  for (const k of KINDS) t[k] = { count: totals[k].count, time: totals[k].time };
  return t;
}

function drain(endedBy) {
  const records = takeRecords();
  if (records.length === 0) return;
  const time = now();
  if (suppressed > 0) return; // GCs of a heap snapshot: not counted, not reported
  const events = [];
  for (const s of records) {
    const t = totals[s.gcType];
    if (t) {
      t.count++;
      t.time += s.cost;
    }
    events.push(toEvent(s, time, endedBy, snapshotTotals()));
  }
  for (const fn of [...subscribers]) fn(events);
}

// ---- sentinels --------------------------------------------------------------

// Drains are deferred to an immediate (listeners then run outside the
// FinalizationRegistry callback, and a ref'd immediate keeps the process
// alive until the events are delivered) and spaced by at least DRAIN_GAP ms
// after scavenges (a trailing unref'd timer catches the last one).
const DRAIN_GAP = 50;
let lastDrain = -Infinity;
let immediate = null;
let trailing = null;

function drainSoon() {
  if (immediate) return;
  if (trailing) { clearTimeout(trailing); trailing = null; }
  immediate = setImmediate(() => {
    immediate = null;
    lastDrain = performance.now();
    drain('sentinel');
  });
}

function drainThrottled() {
  const wait = lastDrain + DRAIN_GAP - performance.now();
  if (wait <= 0) return drainSoon();
  if (trailing || immediate) return;
  trailing = setTimeout(() => { trailing = null; drainSoon(); }, wait);
  trailing.unref();
}

function onCollected(kind) {
  if (!registry) return;
  if (kind === 'young') {
    armYoung();
    if (oldCandidate && ++youngSeen >= SCAVENGES_TO_PROMOTE) armOld();
    drainThrottled();
    return;
  }
  // The old sentinel went: a full GC (or, if it was not promoted yet, a
  // scavenge; the records say which). Report now, then age a new one.
  oldCandidate = {};
  youngSeen = 0;
  drainSoon();
}

function armYoung() {
  registry.register({}, 'young');
}

function armOld() {
  registry.register(oldCandidate, 'old');
  oldCandidate = null; // now only the registry's weak reference holds it
}

function startSentinels() {
  registry = new FinalizationRegistry(onCollected);
  oldCandidate = {};
  youngSeen = 0;
  armYoung();
}

function stopSentinels() {
  registry = null; // the pending sentinels die with it; onCollected checks
  oldCandidate = null;
  if (immediate) clearImmediate(immediate);
  if (trailing) clearTimeout(trailing);
  immediate = null;
  trailing = null;
}

// ---- public -----------------------------------------------------------------

/** Calls fn(events[]) after GCs; returns unsubscribe(). */
function subscribe(fn) {
  if (!hasProfiler()) return () => {};
  subscribers.add(fn);
  if (subscribers.size === 1) {
    startProfiler();
    startSentinels();
  }
  return function unsubscribe() {
    if (!subscribers.delete(fn) || subscribers.size > 0) return;
    if (profiler) profiler.stop();
    profiler = null;
    stopSentinels();
  };
}

/** Hands the GCs recorded so far to the subscribers now. */
function drainNow(endedBy = 'drain') {
  drain(endedBy);
}

/** Runs fn; the GCs it causes are neither counted nor reported. */
function withoutEvents(fn) {
  drain('drain');
  suppressed++;
  try {
    return fn();
  } finally {
    drain('drain');
    suppressed--;
  }
}

/** Counts and total cost (µs) per kind since the first subscriber. */
function gcTotals() {
  return snapshotTotals();
}

module.exports = { subscribe, drainNow, withoutEvents, gcTotals, hasProfiler, KINDS };
