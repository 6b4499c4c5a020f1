'use strict';
// LeakWatcher: memwatch's 'stats' and 'leak' events built on stable APIs
// (v8.GCProfiler through lib/gc-events.js, v8.getHeapStatistics(),
// process.memoryUsage()), growth detection on any gauge, and usage(). The
// detection logic is the C core in src/core/leak.c; this file only feeds it.
//
// Timing: each GC's heap figures are the ones Node records in its V8 GC
// epilogue (v8.GCProfiler's afterGC), so a reading is the heap as the GC
// left it, whatever runs between the GC and the event. lib/gc-events.js
// learns of a GC from a FinalizationRegistry sentinel (an immediate after a
// full GC, at most every 50 ms after scavenges) and from memwatch.gc(); the
// 'stats' event follows. `time` of a GC is when its record was collected:
// an upper bound of its end (`delay` is 0; see gc-events.js). On a Node
// without v8.GCProfiler (< 18.15) perf_hooks 'gc' entries are used instead,
// read when Node delivers them (`delay` says how late that was).
//
// Why a timer too: while a heap grows, V8 raises its limits and runs few
// full GCs (a ~10 MB/s leak measured here had full GCs at 0.2, 1.8, 7.7,
// 12.3 and 16.2 s, then none until 58.4 s), so a detector fed only by full
// GCs is slowest when the leak is fastest. Every `interval` ms an unref'd timer adds an
// envelope point: the lowest heap use seen since the previous point (read
// after minor GCs, throttled, and at the tick). The core judges the trend
// on both, but only a full-GC base can confirm growth (see leak.c).
const { EventEmitter } = require('events');
const os = require('os');
const v8 = require('v8');
const { PerformanceObserver, constants, performance } = require('perf_hooks');
const native = require('./native');
const offheap = require('./offheap');
const gcEvents = require('./gc-events');
const { cgroupMemory } = require('./cgroup');
const {
  typeError, error, describe, checkOptions, checkOneOf, checkString,
  checkFunction, checkNumber, optionalInteger, invalidThis,
} = require('./errors');

// Defined in C and exported by the binding (src/core/leak.h, src/binding/leak.cc):
// the detector and unit numbers by option name, the history bounds, and the
// layout of the Float64Array the binding fills.
const { LEAK_DETECTORS: DETECTORS, LEAK_UNITS: UNITS, LEAK_OUT: OUT } = native;
const { MIN: HISTORY_MIN, MAX: HISTORY_MAX } = native.LEAK_HISTORY;
const MB = 1024 * 1024;
const HEAP_DEFAULTS = { minGrowth: 8 * MB };
const GAUGE_DEFAULTS = { count: { minGrowth: 10 }, bytes: { minGrowth: 8 * MB } };
// After a minor GC the heap is read at most this often (ms): enough for the
// envelope, and it bounds the cost on workloads with hundreds of scavenges a second.
const MINOR_READ_GAP = 50;

// One clock for every point: monotonic, in epoch milliseconds.
const now = () => performance.timeOrigin + performance.now();

// Validates the detector options shared by the heap and gauges and returns
// the binding's positional arguments.
function detectorArgs(opts, defaults, unit, subject) {
  const detector = opts.detector === undefined ? 'trend' : opts.detector;
  checkOneOf('options.detector', detector, Object.keys(DETECTORS));
  const history = optionalInteger('options.history', opts.history, 128, HISTORY_MIN, HISTORY_MAX);
  const minSamples = optionalInteger('options.minSamples', opts.minSamples, Math.min(6, history), 3, history);
  const consecutive = optionalInteger('options.consecutive', opts.consecutive, 5, 1, 1e6);
  const minDuration = opts.minDuration === undefined ? 10000 : checkNumber('options.minDuration', opts.minDuration, 0, 1e12);
  const minGrowth = opts.minGrowth === undefined ? defaults.minGrowth : checkNumber('options.minGrowth', opts.minGrowth, Number.MIN_VALUE, Number.MAX_VALUE);
  const warmup = opts.warmup === undefined ? 0 : checkNumber('options.warmup', opts.warmup, 0, 1e12);
  return [DETECTORS[detector], UNITS[unit], consecutive, history, minSamples, minDuration, minGrowth, warmup, subject];
}

function intervalOption(opts) {
  return opts.interval === undefined ? 1000 : checkNumber('options.interval', opts.interval, 10, 2 ** 31 - 1);
}

// The evidence of a report, in memwatch's shape plus the figures behind it.
function report(handle, out, extra) {
  return Object.assign(extra, {
    start: new Date(out[OUT.START]),
    end: new Date(out[OUT.END]),
    growth: out[OUT.GROWTH],
    reason: native.leakReason(handle),
    rate: out[OUT.RATE],
    samples: out[OUT.SAMPLES],
    startValue: out[OUT.START_VALUE],
    endValue: out[OUT.END_VALUE],
  });
}

class LeakWatcher extends EventEmitter {
  #handle;
  #out = new Float64Array(OUT.LENGTH);
  #detector;
  #interval;
  #observer = null;
  #unsubscribe = null;     // gc-events subscription (v8.GCProfiler)
  #timer = null;
  #closed = false;
  #pendingInc = 0;
  #envMin = Infinity;       // lowest heap use seen since the last point
  #lastMinorRead = 0;
  #fullSinceTick = false;
  #gauges = new Map();      // name -> { fn, handle, unit, warned }

  // Every public method and getter starts with this brand check: a wrong
  // receiver gets a coded TypeError instead of V8's private-field one.
  static #check(o) {
    if (typeof o !== 'object' || o === null || !(#handle in o)) throw invalidThis('LeakWatcher', o);
  }

  constructor(options) {
    super();
    const opts = checkOptions('options', options);
    this.#detector = opts.detector === undefined ? 'trend' : opts.detector;
    const args = detectorArgs(opts, HEAP_DEFAULTS, 'bytes', 'heap');
    this.#interval = intervalOption(opts);
    this.#handle = native.leakNew(...args);
  }

  get detector() { LeakWatcher.#check(this); return this.#detector; }
  get running() { LeakWatcher.#check(this); return this.#observer !== null || this.#unsubscribe !== null; }

  // Starts observing GCs and sampling; idempotent. Never keeps the process
  // alive: the timer is unref'd and GC observers hold no handle.
  start() {
    LeakWatcher.#check(this);
    this.#checkOpen();
    if (this.#observer || this.#unsubscribe) return this;
    if (gcEvents.hasProfiler()) {
      this.#unsubscribe = gcEvents.subscribe((events) => this.#onGcEvents(events));
    } else {
      this.#observer = new PerformanceObserver((list) => this.#onGcEntries(list.getEntries()));
      this.#observer.observe({ entryTypes: ['gc'] });
    }
    this.#timer = setInterval(() => this.#tick(), this.#interval);
    this.#timer.unref();
    return this;
  }

  stop() {
    LeakWatcher.#check(this);
    this.#checkOpen();
    this.#stopObserving();
    return this;
  }

  // Stops and releases the native state; the watcher cannot start again.
  // Idempotent; every other method throws ERR_MEMCTL_CLOSED afterwards.
  close() {
    LeakWatcher.#check(this);
    if (this.#closed) return;
    this.#stopObserving();
    this.#closed = true;
    native.leakClose(this.#handle);
    for (const g of this.#gauges.values()) native.leakClose(g.handle);
    this.#gauges.clear();
  }

  // The GC statistics so far (memwatch's fields), with the memory figures now.
  stats() {
    LeakWatcher.#check(this);
    this.#checkOpen();
    if (this.#unsubscribe) gcEvents.drainNow();
    this.#flushInc();
    native.leakStats(this.#handle, this.#out);
    return this.#statsObject(process.memoryUsage(), null, now());
  }

  // Watches fn() (a queue's length, a cache's size...) with the same growth
  // detection; emits 'growth' { name, ... } when it keeps growing.
  gauge(name, fn, options) {
    LeakWatcher.#check(this);
    this.#checkOpen();
    checkString('name', name);
    if (name.length === 0) throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE', 'name must not be empty');
    checkFunction('fn', fn);
    const opts = checkOptions('options', options);
    const unit = opts.unit === undefined ? 'count' : checkOneOf('options.unit', opts.unit, Object.keys(UNITS));
    if (this.#gauges.has(name)) {
      throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE', `a gauge named ${JSON.stringify(name)} is already watched; removeGauge() it first`);
    }
    const handle = native.leakNew(...detectorArgs(opts, GAUGE_DEFAULTS[unit], unit, name));
    this.#gauges.set(name, { fn, handle, unit, warned: false });
    return this;
  }

  // Stops watching a gauge; returns false when there was none by that name.
  removeGauge(name) {
    LeakWatcher.#check(this);
    this.#checkOpen();
    checkString('name', name);
    const g = this.#gauges.get(name);
    if (!g) return false;
    this.#gauges.delete(name);
    native.leakClose(g.handle);
    return true;
  }

  gauges() {
    LeakWatcher.#check(this);
    this.#checkOpen();
    return [...this.#gauges.keys()];
  }

  // Takes one reading of every gauge now (the timer does this every interval).
  sampleGauges() {
    LeakWatcher.#check(this);
    this.#checkOpen();
    const t = now();
    for (const [name, g] of [...this.#gauges]) this.#sampleGauge(name, g, t);
  }

  #checkOpen() {
    if (this.#closed) throw error('ERR_MEMCTL_CLOSED', 'the LeakWatcher is closed');
  }

  #stopObserving() {
    if (this.#observer) this.#observer.disconnect();
    if (this.#unsubscribe) this.#unsubscribe();
    if (this.#timer) clearInterval(this.#timer);
    this.#observer = null;
    this.#unsubscribe = null;
    this.#timer = null;
  }

  #flushInc() {
    if (this.#pendingInc > 0) {
      native.leakIncGc(this.#handle, this.#pendingInc);
      this.#pendingInc = 0;
    }
  }

  #onGcEntries(entries) {
    if (this.#closed) return;
    let mem = null;
    for (const e of entries) {
      const kind = e.detail ? e.detail.kind : e.kind;
      if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) {
        this.#pendingInc++;
        continue;
      }
      // Full GC: one reading serves every full GC in this batch.
      if (!mem) mem = process.memoryUsage();
      this.#onFullGc(e, mem);
    }
    if (!mem && this.#pendingInc > 0) this.#readAfterMinor();
  }

  // GC records with the heap read in Node's GC epilogue (lib/gc-events.js).
  // The records of one drain share one time: their GCs ran while JavaScript
  // kept the thread (a synchronous stretch, such as filling a cache at
  // startup). For the detector that is one instant, and the heap as the last
  // full GC of the batch left it is the base of that instant (as when one
  // reading served every full GC of a perf_hooks batch); each 'stats' event
  // still carries its own GC's figures.
  // The envelope likewise takes the heap as the batch's last GC left it.
  //
  // Which reading feeds the detector: memwatch's consecutive rule gets the
  // epilogue reading (memwatch read the heap at the end of the GC; this is
  // what lets it see 512 KB per GC). The trend detector keeps the input it
  // is tuned on: the heap used when the batch is collected (one reading per
  // batch, as with perf_hooks entries, now taken at once rather than when
  // Node got round to delivering them). With exact readings, the full GCs
  // in the middle of a one-time fill at startup are real base growth within
  // its 10 s window, and the envelope's promoted garbage then satisfies its
  // thirds rule: the trend detector would report a warm-up as a leak.
  #onGcEvents(events) {
    if (this.#closed || events.length === 0) return;
    const trend = this.#detector === 'trend';
    const now = trend ? v8.getHeapStatistics().used_heap_size : 0;
    let base = null;
    for (const e of events) if (e.type === 'MarkSweepCompact') base = trend ? now : e.after.usedHeapSize;
    for (const e of events) {
      if (this.#closed) return; // a listener may close the watcher
      if (e.type === 'MarkSweepCompact') this.#onFullGcEvent(e, base);
      else this.#pendingInc++;
    }
    const last = events[events.length - 1];
    const envelope = trend ? now : last.after.usedHeapSize;
    if (!this.#closed && last.type !== 'MarkSweepCompact' && envelope < this.#envMin) this.#envMin = envelope;
  }

  #onFullGcEvent(e, base) {
    this.#flushInc();
    this.#fullSinceTick = true;
    this.#envMin = Infinity;
    const a = e.after;
    const leak = native.leakFullGc(this.#handle, e.time, base, this.#out);
    if (this.listenerCount('stats') > 0) {
      const mem = process.memoryUsage(); // rss and arrayBuffers: read now
      const reading = { heapUsed: a.usedHeapSize, heapTotal: a.totalHeapSize, external: a.externalMemory, arrayBuffers: mem.arrayBuffers, rss: mem.rss };
      const entry = { duration: e.cost / 1000, startTime: e.time - e.cost / 1000 - performance.timeOrigin };
      const stats = this.#statsObject(reading, entry, e.time);
      stats.delay = 0;
      stats.gc = { type: e.type, cost: e.cost, before: e.before, after: e.after, totals: e.totals, endedBy: e.endedBy };
      this.emit('stats', stats);
    }
    if (leak) this.emit('leak', report(this.#handle, this.#out, { detector: this.#detector }));
  }

  #readAfterMinor() {
    const t = performance.now();
    if (t - this.#lastMinorRead < MINOR_READ_GAP) return;
    this.#lastMinorRead = t;
    const used = v8.getHeapStatistics().used_heap_size;
    if (used < this.#envMin) this.#envMin = used;
  }

  #onFullGc(entry, mem) {
    this.#flushInc();
    this.#fullSinceTick = true;
    this.#envMin = Infinity;
    const end = performance.timeOrigin + entry.startTime + entry.duration;
    const leak = native.leakFullGc(this.#handle, end, mem.heapUsed, this.#out);
    if (this.listenerCount('stats') > 0) {
      this.emit('stats', this.#statsObject(mem, entry, end));
    }
    if (leak) this.emit('leak', report(this.#handle, this.#out, { detector: this.#detector }));
  }

  #statsObject(mem, entry, end) {
    const o = this.#out;
    return {
      num_full_gc: o[OUT.NUM_FULL_GC],
      num_inc_gc: o[OUT.NUM_INC_GC],
      heap_compactions: o[OUT.HEAP_COMPACTIONS],
      usage_trend: o[OUT.USAGE_TREND],
      estimated_base: Math.round(o[OUT.ESTIMATED_BASE]),
      current_base: o[OUT.CURRENT_BASE],
      min: o[OUT.MIN],
      max: o[OUT.MAX],
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      rss: mem.rss,
      gcDuration: entry ? entry.duration : 0,
      timestamp: entry ? performance.timeOrigin + entry.startTime : end,
      delay: entry ? Math.max(0, now() - end) : 0,
    };
  }

  #tick() {
    if (this.#closed) return;
    if (this.#unsubscribe) gcEvents.drainNow();
    const t = now();
    const used = v8.getHeapStatistics().used_heap_size;
    const envMin = Math.min(this.#envMin, used);
    const hadFull = this.#fullSinceTick;
    this.#envMin = Infinity;
    this.#fullSinceTick = false;
    if (!hadFull && native.leakSample(this.#handle, t, envMin, false, this.#out)) {
      this.emit('leak', report(this.#handle, this.#out, { detector: this.#detector }));
    }
    if (this.#gauges.size > 0) this.sampleGauges();
  }

  #sampleGauge(name, g, t) {
    let value;
    try {
      value = g.fn();
    } catch (err) {
      const e = error('ERR_MEMCTL_GAUGE_THREW', `gauge ${JSON.stringify(name)} threw: ${err && err.message ? err.message : String(err)}`);
      e.cause = err;
      this.#gaugeError(name, g, e);
      return;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      const e = typeError('ERR_MEMCTL_GAUGE_NOT_NUMBER', `gauge ${JSON.stringify(name)} returned ${describe(value)}, not a finite number`);
      this.#gaugeError(name, g, e);
      return;
    }
    if (native.leakSample(g.handle, t, value, true, this.#out)) {
      this.emit('growth', report(g.handle, this.#out, { name, value, unit: g.unit }));
    }
  }

  // A failing gauge is reported and keeps being sampled, and the other
  // gauges carry on. With no 'error' listener the failure becomes a process
  // warning (once per gauge) instead of an uncaught 'error' event.
  #gaugeError(name, g, err) {
    err.gauge = name;
    if (this.listenerCount('error') > 0) {
      this.emit('error', err);
    } else if (!g.warned) {
      g.warned = true;
      process.emitWarning(err.message, { type: 'MemctlGaugeWarning', code: err.code });
    }
  }
}

// ---- usage() -------------------------------------------------------------

// One snapshot of the memory picture: process, V8 heap, system, cgroup, and
// the bytes memctl's own caches and pools hold off the V8 heap.
function usage() {
  const mem = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  return {
    rss: mem.rss,
    heapTotal: mem.heapTotal,
    heapUsed: mem.heapUsed,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    heapSizeLimit: heap.heap_size_limit,
    v8: heap,
    system: { total: os.totalmem(), free: os.freemem() },
    cgroup: cgroupMemory(),
    offHeap: offheap.offHeapBytes(),
  };
}

module.exports = { LeakWatcher, usage };
