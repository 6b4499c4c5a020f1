'use strict';
// Heap snapshots: writing them (heapdump-compatible names, streamed to disk by
// V8), analyzing them with the native streaming parser (lib/snapshot-native.js),
// memwatch's HeapDiff, and automatic snapshots on leaks or near the heap limit.
const fs = require('fs');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const { performance } = require('perf_hooks');
const {
  typeError, error, describe, checkFunction, checkString, checkOptions,
  checkNumber, checkBoolean, optionalInteger,
} = require('./errors');

// The native analyzer's contract; it loads the addon itself on first use, so
// writing snapshots (and `require('memctl/heapdump')`) never needs the addon.
const snapshotNative = require('./snapshot-native');
const { ParsedSnapshot } = snapshotNative;

// ---------------------------------------------------------------------------
// Writing

// heapdump's default name: heapdump-<sec>.<usec>.heapsnapshot, from the wall
// clock with microseconds (usec not zero-padded, as heapdump prints it).
function defaultSnapshotName() {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const sec = Math.floor(micros / 1e6);
  const usec = micros - sec * 1e6;
  return `heapdump-${sec}.${usec}.heapsnapshot`;
}

function checkFilename(name, value) {
  checkString(name, value);
  if (value.length === 0 || value.includes('\0')) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE', `${name} must be a non-empty file name without NUL bytes, got ${describe(value)}`);
  }
  return value;
}

// Splits the heapdump-style ([filename], [callback]) arguments.
function splitWriteArgs(filename, callback) {
  if (typeof filename === 'function' && callback === undefined) return [undefined, filename];
  if (filename !== undefined && filename !== null) checkFilename('filename', filename);
  if (callback !== undefined) checkFunction('callback', callback);
  return [filename == null ? undefined : filename, callback];
}

// v8.writeHeapSnapshot serializes the snapshot in chunks straight into the
// file (V8's OutputStream), so the JSON text never exists as one string or
// buffer; it is synchronous, as a snapshot must be taken at one instant.
function writeSnapshotFile(filename) {
  const file = filename === undefined ? defaultSnapshotName() : filename;
  v8.writeHeapSnapshot(file);
  return file;
}

/**
 * Writes a heap snapshot of this thread's heap and returns its file name
 * (default: heapdump-<sec>.<usec>.heapsnapshot in the working directory).
 * With a callback, errors go to callback(err) and the file name to
 * callback(null, filename) on the next tick; without one, errors throw.
 */
function writeSnapshot(filename, callback) {
  const [name, cb] = splitWriteArgs(filename, callback);
  if (cb === undefined) return writeSnapshotFile(name);
  let file;
  try {
    file = writeSnapshotFile(name);
  } catch (err) {
    process.nextTick(cb, err);
    return undefined;
  }
  process.nextTick(cb, null, file);
  return file;
}

/** Promise form of writeSnapshot: resolves to the file name. */
function writeSnapshotAsync(filename) {
  try {
    const [name] = splitWriteArgs(filename, undefined);
    return Promise.resolve(writeSnapshotFile(name));
  } catch (err) {
    return Promise.reject(err);
  }
}

// ---------------------------------------------------------------------------
// Analysis (wrappers over the native contract, with argument checks)

function isParsedSnapshot(value) {
  return value instanceof snapshotNative.ParsedSnapshot;
}

function isSource(value) {
  if (typeof value === 'string') return value.length > 0;
  if (value === null || typeof value !== 'object') return false;
  return typeof value[Symbol.asyncIterator] === 'function'; // Readable streams are async iterables
}

function checkSource(name, value) {
  if (typeof value === 'string') return checkFilename(name, value);
  if (!isSource(value)) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `${name} must be a file path, a Readable stream or an async iterable of Buffers, got ${describe(value)}`);
  }
  return value;
}

function checkSnapshotArg(name, value) {
  if (isParsedSnapshot(value)) return value;
  if (typeof value === 'string') return checkFilename(name, value);
  throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `${name} must be a file path or a ParsedSnapshot, got ${describe(value)}`);
}

// The parse options lib/snapshot-native.js understands (it validates them).
function parseOptionsOf(opts, retained) {
  const out = { retained };
  if (opts.onProgress !== undefined) out.onProgress = checkFunction('options.onProgress', opts.onProgress);
  if (opts.maxMemory !== undefined) out.maxMemory = opts.maxMemory;
  if (opts.dominators !== undefined) out.dominators = opts.dominators;
  return out;
}

function checkTop(value) {
  if (value === undefined || value === Infinity) return Infinity;
  return optionalInteger('options.top', value, Infinity, 1, 2 ** 31 - 1);
}

/**
 * Parses a snapshot (path, stream or async iterable) into a ParsedSnapshot;
 * close() it when done. Options: onProgress({ bytesRead, totalBytes }),
 * retained (default true: compute the dominator tree now), maxMemory,
 * dominators ('devtools', the default, or 'plain').
 */
async function parseSnapshot(source, options) {
  checkSource('source', source);
  const opts = checkOptions('options', options);
  const retained = opts.retained === undefined ? true : checkBoolean('options.retained', opts.retained);
  return snapshotNative.parseSnapshot(source, parseOptionsOf(opts, retained));
}

/**
 * Parses and summarizes a snapshot: node and edge counts, total size and the
 * class histogram (sorted by retained size, or self size with retained: false).
 */
async function analyzeSnapshot(source, options) {
  checkSource('source', source);
  const opts = checkOptions('options', options);
  const retained = opts.retained === undefined ? true : checkBoolean('options.retained', opts.retained);
  const top = checkTop(opts.top);
  const snap = await snapshotNative.parseSnapshot(source, parseOptionsOf(opts, retained));
  try {
    return snap.summary({ retained, top });
  } finally {
    snap.close();
  }
}

// Runs fn over ParsedSnapshots, parsing the paths among `args` one at a time
// (bounded memory) and closing only the snapshots parsed here.
async function withParsed(args, parseOpts, fn) {
  const owned = [];
  try {
    const snaps = [];
    for (const arg of args) {
      if (typeof arg === 'string') {
        const snap = await snapshotNative.parseSnapshot(arg, parseOpts);
        owned.push(snap);
        snaps.push(snap);
      } else {
        snaps.push(arg);
      }
    }
    return fn(snaps);
  } finally {
    for (const snap of owned) snap.close();
  }
}

/**
 * Synchronous parse (blocks the thread): a file path, or the snapshot bytes
 * (a Buffer or an array of chunks). Prefer parseSnapshot outside of scripts.
 */
function parseSnapshotSync(source, options) {
  if (typeof source === 'string') checkSource('source', source);
  return snapshotNative.parseSnapshotSync(source, options);
}

/** memwatch's HeapDiff result for two snapshots of one process (paths or ParsedSnapshots). */
async function diffSnapshots(before, after, options) {
  checkSnapshotArg('before', before);
  checkSnapshotArg('after', after);
  const opts = checkOptions('options', options);
  return withParsed([before, after], parseOptionsOf(opts, false), ([a, b]) => snapshotNative.diffSnapshots(a, b));
}

/**
 * Leak candidates, memlab's way: objects allocated after `baseline`, present
 * in `target` and still alive in `final`, grouped by class with a retainer path.
 */
async function findLeaks(baseline, target, final, options) {
  checkSnapshotArg('baseline', baseline);
  checkSnapshotArg('target', target);
  checkSnapshotArg('final', final);
  const opts = checkOptions('options', options);
  const top = checkTop(opts.top);
  // Only the final snapshot needs retained sizes.
  const parsed = [];
  try {
    const snaps = [];
    for (const [arg, retained] of [[baseline, false], [target, false], [final, true]]) {
      if (typeof arg !== 'string') { snaps.push(arg); continue; }
      const snap = await snapshotNative.parseSnapshot(arg, parseOptionsOf(opts, retained));
      parsed.push(snap);
      snaps.push(snap);
    }
    return snapshotNative.findLeaks(snaps[0], snaps[1], snaps[2], top === Infinity ? {} : { top });
  } finally {
    for (const snap of parsed) snap.close();
  }
}

// ---------------------------------------------------------------------------
// HeapDiff (memwatch's API)

// Temporary snapshot files of live HeapDiffs: removed by end(), by the GC
// finalizer of an abandoned HeapDiff, or at process exit.
const pendingFiles = new Set();
let exitHookInstalled = false;
const fileRegistry = new FinalizationRegistry((file) => removeTempFile(file));

function removeTempFile(file) {
  pendingFiles.delete(file);
  try { fs.unlinkSync(file); } catch { /* already gone */ }
}

function tempSnapshotName(tag) {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => { for (const f of [...pendingFiles]) removeTempFile(f); });
  }
  const rand = Math.random().toString(36).slice(2, 10);
  const file = path.join(os.tmpdir(), `memctl-heapdiff-${process.pid}-${rand}-${tag}.heapsnapshot`);
  pendingFiles.add(file);
  return file;
}

// Synchronous diff of two snapshot files (memwatch's end() is synchronous):
// the native parser's synchronous form, without retained sizes (a diff needs
// ids, classes and self sizes only).
function diffFilesSync(beforeFile, afterFile) {
  const mod = snapshotNative;
  const a = mod.parseSnapshotSync(beforeFile, { retained: false });
  try {
    const b = mod.parseSnapshotSync(afterFile, { retained: false });
    try { return mod.diffSnapshots(a, b); } finally { b.close(); }
  } finally {
    a.close();
  }
}

/**
 * memwatch's HeapDiff: the constructor writes a snapshot (to a temporary
 * file), end() writes another and returns memwatch's diff of the two,
 * synchronously; endAsync() does the same without blocking on the analysis.
 */
class HeapDiff {
  constructor() {
    this._before = tempSnapshotName('before');
    this._ended = false;
    v8.writeHeapSnapshot(this._before);
    fileRegistry.register(this, this._before, this);
  }

  _takeAfter() {
    if (this._ended) throw error('ERR_MEMCTL_HEAPDIFF_ENDED', 'attempt to end() a HeapDiff that was already ended');
    this._ended = true;
    fileRegistry.unregister(this);
    const after = tempSnapshotName('after');
    try {
      v8.writeHeapSnapshot(after);
    } catch (err) {
      removeTempFile(this._before);
      removeTempFile(after);
      throw err;
    }
    return after;
  }

  /** Takes the second snapshot and returns the diff (blocks until analyzed). */
  end() {
    const after = this._takeAfter();
    try {
      return diffFilesSync(this._before, after);
    } finally {
      removeTempFile(this._before);
      removeTempFile(after);
    }
  }

  /** Takes the second snapshot now, analyzes without blocking: resolves to the diff. */
  async endAsync() {
    const after = this._takeAfter();
    try {
      return await diffSnapshots(this._before, after);
    } finally {
      removeTempFile(this._before);
      removeTempFile(after);
    }
  }
}

// ---------------------------------------------------------------------------
// Automatic snapshots

function checkRatio(value) {
  if (value === undefined || value === false || value === null) return 0;
  checkNumber('options.heapLimitRatio', value, 0, 1);
  if (value === 0) return 0;
  return value;
}

function checkEmitter(value, wanted) {
  if (value === undefined || value === null) {
    if (wanted) throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', 'a watcher (an EventEmitter emitting "leak") is needed for leak: true');
    return null;
  }
  if (typeof value !== 'object' || typeof value.on !== 'function' ||
      (typeof value.off !== 'function' && typeof value.removeListener !== 'function')) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `watcher must be an EventEmitter, got ${describe(value)}`);
  }
  return value;
}

function normalizeSnapshotOn(watcher, options) {
  const opts = checkOptions('options', options);
  const leak = opts.leak === undefined ? watcher != null : checkBoolean('options.leak', opts.leak);
  const cfg = {
    watcher: checkEmitter(watcher, leak),
    leak,
    heapLimitRatio: checkRatio(opts.heapLimitRatio === undefined ? 0.9 : opts.heapLimitRatio),
    directory: opts.directory === undefined ? process.cwd() : checkFilename('options.directory', opts.directory),
    minIntervalMs: opts.minIntervalMs === undefined ? 60000 : checkNumber('options.minIntervalMs', opts.minIntervalMs, 0),
    pollIntervalMs: opts.pollIntervalMs === undefined ? 1000 : checkNumber('options.pollIntervalMs', opts.pollIntervalMs, 1, 2 ** 31 - 1),
    onSnapshot: opts.onSnapshot === undefined ? null : checkFunction('options.onSnapshot', opts.onSnapshot),
    onError: opts.onError === undefined ? null : checkFunction('options.onError', opts.onError),
    heapStatistics: opts.heapStatistics === undefined ? v8.getHeapStatistics : checkFunction('options.heapStatistics', opts.heapStatistics),
  };
  if (!cfg.leak && cfg.heapLimitRatio === 0) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE', 'snapshotOn needs leak: true (with a watcher) or a heapLimitRatio above 0');
  }
  return cfg;
}

function heapRatio(cfg) {
  const s = cfg.heapStatistics();
  return s.heap_size_limit > 0 ? s.used_heap_size / s.heap_size_limit : 0;
}

/**
 * Writes a snapshot into options.directory when `watcher` emits 'leak'
 * (any EventEmitter: a LeakWatcher, memwatch...) and when the used heap
 * crosses heapLimitRatio of the heap limit (polled with an unref'd timer;
 * re-armed once usage falls 5 points below). At most one snapshot per
 * minIntervalMs. Returns stop().
 */
function snapshotOn(watcher, options) {
  const cfg = normalizeSnapshotOn(watcher, options);
  let last = -Infinity;
  let armed = true;
  const snapshot = (reason, detail) => {
    const now = Date.now();
    if (now - last < cfg.minIntervalMs) return;
    last = now;
    let filename;
    try {
      filename = writeSnapshotFile(path.join(cfg.directory, defaultSnapshotName()));
    } catch (err) {
      if (cfg.onError) cfg.onError(err);
      else process.emitWarning(`memctl: could not write a heap snapshot (${reason}): ${err.message}`, 'MemctlWarning');
      return;
    }
    if (cfg.onSnapshot) cfg.onSnapshot({ filename, reason, detail });
  };
  const onLeak = (info) => snapshot('leak', info);
  if (cfg.leak) cfg.watcher.on('leak', onLeak);
  let timer = null;
  if (cfg.heapLimitRatio > 0) {
    timer = setInterval(() => {
      const ratio = heapRatio(cfg);
      if (ratio < cfg.heapLimitRatio - 0.05) armed = true;
      if (armed && ratio >= cfg.heapLimitRatio) {
        armed = false;
        snapshot('heap-limit', { ratio });
      }
    }, cfg.pollIntervalMs);
    timer.unref();
  }
  let stopped = false;
  return function stop() {
    if (stopped) return;
    stopped = true;
    if (timer) clearInterval(timer);
    if (cfg.leak) (cfg.watcher.off || cfg.watcher.removeListener).call(cfg.watcher, 'leak', onLeak);
  };
}

module.exports = {
  writeSnapshot,
  writeSnapshotAsync,
  defaultSnapshotName,
  parseSnapshot,
  parseSnapshotSync,
  ParsedSnapshot,
  analyzeSnapshot,
  diffSnapshots,
  findLeaks,
  HeapDiff,
  snapshotOn,
};
