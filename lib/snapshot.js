'use strict';
// Heap snapshots, one module for the concept: writing them (heapdump-compatible
// names, streamed to disk by V8), parsing and analyzing them with the native
// streaming parser (src/core/snapshot*.c through src/binding/snapshot.cc),
// memwatch's HeapDiff, and automatic snapshots on leaks or near the heap limit.
//
// Every analysis comes in two forms with the same arguments: X(...) returns a
// Promise (the parse runs off the JS thread), XSync(...) blocks (memwatch's
// HeapDiff#end() needs it). Snapshots are given as file paths (parsed one
// after the other, freed afterwards) or as ParsedSnapshots (left open).
// How the parser works, the class and retained-size rules and the error
// codes: docs/snapshots.md.
const fs = require('fs');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const { performance } = require('perf_hooks');
const {
  typeError, error, describe, checkFunction, checkString, checkOptions, checkOneOf, invalidThis,
  checkNumber, checkBoolean, optionalInteger,
} = require('./errors');
const { formatBytes, MEMWATCH } = require('./format');

// The addon is loaded on the first parse, so writing snapshots (and
// require('memctl/heapdump')) never needs it.
let native = null;
function addon() {
  if (!native) native = require('./native');
  return native;
}

const CHUNK = 1 << 20;              // file read size of the blocking parse
const PROGRESS_EVERY = 16 << 20;    // onProgress at most once per 16 MiB
const PROGRESS_POLL_MS = 50;        // how often a file parse's counter is read
const DEFAULT_MAX_MEMORY = 16 * 1024 ** 3;
const TOP_ALL = 0;                  // `top` as the core takes it: 0 = every class
const DOMINATOR_MODES = ['devtools', 'plain']; // index = the core's mode number

// ---------------------------------------------------------------------------
// Argument checks (each argument is validated here once; the binding asserts)

function checkFilename(name, value) {
  checkString(name, value);
  if (value.length === 0 || value.includes('\0')) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE', `${name} must be a non-empty file name without NUL bytes, got ${describe(value)}`);
  }
  return value;
}

// parseSnapshot's source: a path, or any async iterable of chunks (Readable
// streams are async iterables).
function checkSource(name, value) {
  if (typeof value === 'string') return checkFilename(name, value);
  if (value === null || typeof value !== 'object' || typeof value[Symbol.asyncIterator] !== 'function') {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `${name} must be a file path, a Readable stream or an async iterable of Buffers, got ${describe(value)}`);
  }
  return value;
}

// parseSnapshotSync's source: a path, or the bytes as chunks (null for a path).
function syncChunks(name, value) {
  if (typeof value === 'string') { checkFilename(name, value); return null; }
  if (ArrayBuffer.isView(value)) return [value];
  if (Array.isArray(value)) return value;
  if (typeof value === 'function') return value;
  throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `${name} must be a file path, a Buffer, an array of chunks or a producer function, got ${describe(value)}`);
}

function checkSnapshotArg(name, value) {
  if (ParsedSnapshot.handleOf(value) !== null) return value;
  if (typeof value === 'string') return checkFilename(name, value);
  throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `${name} must be a file path or a ParsedSnapshot, got ${describe(value)}`);
}

// The parse options: onProgress, retained (default true), maxMemory, dominators.
function parseOptions(o) {
  return {
    onProgress: o.onProgress === undefined ? null : checkFunction('options.onProgress', o.onProgress),
    retained: o.retained === undefined ? true : checkBoolean('options.retained', o.retained),
    maxMemory: optionalInteger('options.maxMemory', o.maxMemory, DEFAULT_MAX_MEMORY, 1 << 20),
    mode: DOMINATOR_MODES.indexOf(o.dominators === undefined ? 'devtools' : checkOneOf('options.dominators', o.dominators, DOMINATOR_MODES)),
  };
}

// `top`: how many classes (or leak groups) to keep; absent or Infinity: all,
// which the core spells TOP_ALL.
function checkTop(value) {
  if (value === undefined || value === Infinity) return TOP_ALL;
  return optionalInteger('options.top', value, TOP_ALL, 1, 2 ** 31 - 1);
}

function summaryOptions(o) {
  return { retained: o.retained === undefined ? true : checkBoolean('options.retained', o.retained), top: checkTop(o.top) };
}

// ---------------------------------------------------------------------------
// ParsedSnapshot

/**
 * A parsed heap snapshot held in native memory.
 * Obtain one from parseSnapshot()/parseSnapshotSync(); free it with close()
 * (a GC finalizer frees it otherwise, and worker exit frees it too).
 */
class ParsedSnapshot {
  #h;
  // Every public method and getter starts with this brand check: a wrong
  // receiver gets a coded TypeError instead of V8's private-field one.
  static #check(o) {
    if (typeof o !== 'object' || o === null || !(#h in o)) throw invalidThis('ParsedSnapshot', o);
  }

  /** @internal */
  constructor(handle, token) {
    if (token !== CONSTRUCT) throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', 'ParsedSnapshot is created by parseSnapshot()');
    this.#h = handle;
    const info = addon().snapshotInfo(handle);
    /** number of nodes in the snapshot */
    this.nodeCount = info.nodeCount;
    /** number of edges in the snapshot */
    this.edgeCount = info.edgeCount;
    /** sum of the self sizes of every node, in bytes */
    this.totalSize = info.totalSize;
  }

  /** bytes of native memory this snapshot holds now (structures, strings,
   * dominator tree once computed); throws ERR_MEMCTL_CLOSED after close() */
  get nativeBytes() {
    ParsedSnapshot.#check(this);
    return addon().snapshotInfo(this.#h).nativeBytes;
  }

  /** @internal the native handle, for the analyses of this module; null
   * for anything that is not a ParsedSnapshot */
  static handleOf(s) {
    return typeof s === 'object' && s !== null && #h in s ? s.#h : null;
  }

  /**
   * Class histogram: { nodeCount, edgeCount, totalSize, classes }.
   * retained (default true): include retainedSize and sort by it; when false,
   * retainedSize is 0 and classes are sorted by selfSize (ties: by name).
   * top (default: all): keep only the first `top` classes.
   */
  summary(options) {
    ParsedSnapshot.#check(this);
    const { retained, top } = summaryOptions(checkOptions('options', options));
    return summarize(this, retained, top);
  }

  /** Frees the native memory now. Idempotent. Later calls throw ERR_MEMCTL_CLOSED. */
  close() {
    ParsedSnapshot.#check(this);
    addon().snapshotClose(this.#h);
  }

  /** true once close() has run */
  get closed() {
    ParsedSnapshot.#check(this);
    return addon().snapshotIsClosed(this.#h);
  }
}
const CONSTRUCT = Symbol('ParsedSnapshot');

function summarize(snap, retained, top) {
  const classes = addon().snapshotSummary(ParsedSnapshot.handleOf(snap), retained, top);
  return { nodeCount: snap.nodeCount, edgeCount: snap.edgeCount, totalSize: snap.totalSize, classes };
}

// ---------------------------------------------------------------------------
// Parsing

function toChunk(chunk) {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (ArrayBuffer.isView(chunk)) return chunk;
  if (chunk instanceof ArrayBuffer) {
    try {
      return new Uint8Array(chunk);
    } catch {
      throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', 'a snapshot chunk is a detached ArrayBuffer');
    }
  }
  throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `snapshot chunks must be Buffers or strings, got ${describe(chunk)}`);
}

// Progress: called with the bytes fed so far, at most once per PROGRESS_EVERY
// bytes plus once at the end.
function progressReporter(onProgress, totalBytes) {
  let next = PROGRESS_EVERY;
  return (bytesRead, done) => {
    if (!onProgress) return;
    if (done || bytesRead >= next) {
      next = bytesRead + PROGRESS_EVERY;
      onProgress({ bytesRead, totalBytes });
    }
  };
}

// Feeds chunks to a native parser, reporting progress; returns the bytes fed.
// A producer calls feed(chunk) for every chunk, in order, before it returns:
// each chunk goes to the parser at once, so neither a file nor the whole
// document exists (memwatch's HeapDiff streams v8.getHeapSnapshot() so).
function feedProduced(parser, produce, report) {
  let bytesRead = 0;
  produce((chunk) => {
    const buf = toChunk(chunk);
    addon().snapshotParserFeed(parser, buf);
    bytesRead += buf.byteLength;
    report(bytesRead, false);
  });
  report(bytesRead, true);
}

function feedChunks(parser, chunks, report) {
  let bytesRead = 0;
  for (const chunk of chunks) {
    const buf = toChunk(chunk);
    addon().snapshotParserFeed(parser, buf);
    bytesRead += buf.byteLength;
    report(bytesRead, false);
  }
  return bytesRead;
}

/**
 * Parses a snapshot (a file path, a Readable stream or any async iterable of
 * chunks, such as v8.getHeapSnapshot(); chunks may split the JSON anywhere)
 * into a ParsedSnapshot; close() it when done. Options: onProgress({ bytesRead,
 * totalBytes }) every 16 MiB and at the end (totalBytes: undefined for
 * streams), retained (default true: compute the dominator tree now, off the JS
 * thread), maxMemory (default 16 GiB), dominators ('devtools', the default, or
 * 'plain').
 */
async function parseSnapshot(source, options) {
  checkSource('source', source);
  const o = parseOptions(checkOptions('options', options));
  return parseChecked(source, o);
}

function parseChecked(source, o) {
  return typeof source === 'string' ? parseFile(source, o) : parseStream(source, o);
}

// A stream: JS reads it chunk by chunk and hands each chunk to C synchronously
// (a 64 KiB chunk takes well under a millisecond), so the event loop turns
// between chunks; the analysis after the last chunk runs off the JS thread.
async function parseStream(iterable, o) {
  const n = addon();
  const parser = n.snapshotParserNew(o.maxMemory);
  const report = progressReporter(o.onProgress, undefined);
  let bytesRead = 0;
  try {
    for await (const chunk of iterable) bytesRead += feedChunks(parser, [chunk], report);
    report(bytesRead, true);
    const handle = await n.snapshotParserFinish(parser, o.retained, o.mode);
    return new ParsedSnapshot(handle, CONSTRUCT);
  } finally {
    n.snapshotParserClose(parser);
    if (typeof iterable.destroy === 'function' && !iterable.destroyed) iterable.destroy();
  }
}

// A file path: read + parse + analysis in one native async job. The final
// progress report comes once the whole file is read (before the retained
// sizes), as for streams.
async function parseFile(file, o) {
  // stat first: fs errors (ENOENT...) exactly as fs gives them
  const totalBytes = (await fs.promises.stat(file)).size;
  const n = addon();
  const job = n.snapshotParseFile(file, o.maxMemory, o.retained, o.mode);
  if (!o.onProgress) return new ParsedSnapshot(await job.promise, CONSTRUCT);
  const report = progressReporter(o.onProgress, totalBytes);
  let ended = false;
  const poll = () => {
    if (ended) return;
    const p = n.snapshotParseFileProgress(job.progress);
    report(p.bytesRead, p.done);
    if (p.done) { ended = true; clearInterval(timer); }
  };
  const timer = setInterval(poll, PROGRESS_POLL_MS);
  timer.unref();
  try {
    const handle = await job.promise;
    poll();
    return new ParsedSnapshot(handle, CONSTRUCT);
  } finally {
    clearInterval(timer);
  }
}

/**
 * Blocking form of parseSnapshot: a file path, or the snapshot bytes (a
 * Buffer or an array of chunks; a plain string is a PATH, pass [text] for
 * snapshot text). Same options.
 */
function parseSnapshotSync(source, options) {
  const chunks = syncChunks('source', source);
  const o = parseOptions(checkOptions('options', options));
  return parseCheckedSync(chunks === null ? source : chunks, o);
}

function parseCheckedSync(source, o) {
  const n = addon();
  const parser = n.snapshotParserNew(o.maxMemory, o.nodesOnly === true);
  try {
    if (typeof source === 'string') {
      feedFileSync(parser, source, o.onProgress);
    } else if (typeof source === 'function') {
      feedProduced(parser, source, progressReporter(o.onProgress, undefined));
    } else {
      const report = progressReporter(o.onProgress, undefined);
      report(feedChunks(parser, source, report), true);
    }
    return new ParsedSnapshot(n.snapshotParserFinishSync(parser, o.retained, o.mode), CONSTRUCT);
  } finally {
    n.snapshotParserClose(parser);
  }
}

// Internal (memwatch's HeapDiff): a snapshot produced chunk by chunk (see
// feedProduced), parsed nodes-only: the edges are read and checked but not
// stored, which is all a diff needs (node ids, classes, self sizes) and
// halves the native memory a pending HeapDiff holds. Such a snapshot has no
// retained sizes: summary() with retained and findLeaks refuse it with a
// coded error (ERR_MEMCTL_INVALID_STATE).
function parseNodesOnlySync(produce) {
  return parseCheckedSync(produce, { ...parseOptions({}), retained: false, nodesOnly: true });
}

function feedFileSync(parser, file, onProgress) {
  const fd = fs.openSync(file, 'r');
  try {
    const report = progressReporter(onProgress, fs.fstatSync(fd).size);
    const buf = Buffer.allocUnsafe(CHUNK);
    let bytesRead = 0;
    for (let got; (got = fs.readSync(fd, buf, 0, CHUNK, null)) > 0;) {
      bytesRead += feedChunks(parser, [got === CHUNK ? buf : buf.subarray(0, got)], report);
    }
    report(bytesRead, true);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------
// Analyses

/**
 * Parses and summarizes a snapshot: node and edge counts, total size and the
 * class histogram (sorted by retained size, or self size with retained: false).
 */
async function analyzeSnapshot(source, options) {
  checkSource('source', source);
  const opts = checkOptions('options', options);
  const o = parseOptions(opts);
  const { top } = summaryOptions(opts);
  const snap = await parseChecked(source, o);
  try {
    return summarize(snap, o.retained, top);
  } finally {
    snap.close();
  }
}

// The snapshots among `args` given as paths are parsed one at a time (bounded
// memory), each with its own `retained` flag, and closed after fn; the
// ParsedSnapshots given are left open.
async function withParsed(args, retained, o, fn) {
  const owned = [];
  try {
    for (const [i, arg] of args.entries()) {
      if (typeof arg === 'string') owned.push((args[i] = await parseFile(arg, { ...o, retained: retained[i] })));
    }
    return fn(...args);
  } finally {
    for (const snap of owned) snap.close();
  }
}

function withParsedSync(args, retained, o, fn) {
  const owned = [];
  try {
    for (const [i, arg] of args.entries()) {
      if (typeof arg === 'string') owned.push((args[i] = parseCheckedSync(arg, { ...o, retained: retained[i] })));
    }
    return fn(...args);
  } finally {
    for (const snap of owned) snap.close();
  }
}

// memwatch's size strings: "123 bytes", "1.21 kb", "-3.50 mb".
const formatSize = (bytes) => formatBytes(bytes, MEMWATCH);

// memwatch's HeapDiff result from the core's diff of two ParsedSnapshots.
function diffParsed(before, after) {
  const r = addon().snapshotDiff(ParsedSnapshot.handleOf(before), ParsedSnapshot.handleOf(after));
  const side = (s) => ({ nodes: s.nodes, size_bytes: s.sizeBytes, size: formatSize(s.sizeBytes) });
  const delta = r.after.sizeBytes - r.before.sizeBytes;
  return {
    before: side(r.before),
    after: side(r.after),
    change: {
      size_bytes: delta,
      size: formatSize(delta),
      freed_nodes: r.freedNodes,
      allocated_nodes: r.allocatedNodes,
      details: r.details.map((d) => ({ what: d.what, size_bytes: d.sizeBytes, size: formatSize(d.sizeBytes), '+': d.added, '-': d.removed })),
    },
  };
}

function diffArgs(before, after, options) {
  checkSnapshotArg('before', before);
  checkSnapshotArg('after', after);
  return [[before, after], [false, false], parseOptions(checkOptions('options', options)), diffParsed];
}

/**
 * memwatch's HeapDiff result for two snapshots of one process (paths or
 * ParsedSnapshots), matched by node id: { before, after, change: { size_bytes,
 * size, freed_nodes, allocated_nodes, details: [{ what, size_bytes, size,
 * '+', '-' }] } }. Paths are parsed without retained sizes.
 */
async function diffSnapshots(before, after, options) {
  return withParsed(...diffArgs(before, after, options));
}

/** Blocking form of diffSnapshots. */
function diffSnapshotsSync(before, after, options) {
  return withParsedSync(...diffArgs(before, after, options));
}

function leaksArgs(baseline, target, final, options) {
  checkSnapshotArg('baseline', baseline);
  checkSnapshotArg('target', target);
  checkSnapshotArg('final', final);
  const opts = checkOptions('options', options);
  const top = checkTop(opts.top);
  const found = (a, b, c) => addon().snapshotLeaks(ParsedSnapshot.handleOf(a), ParsedSnapshot.handleOf(b), ParsedSnapshot.handleOf(c), top);
  // Only the final snapshot needs retained sizes.
  return [[baseline, target, final], [false, false, true], parseOptions(opts), found];
}

/**
 * Leak candidates, memlab's way: objects allocated after `baseline`, present
 * in `target` and still alive in `final`, grouped by class with a retainer
 * path: [{ name, count, selfSize, retainedSize, retainerPath }].
 */
async function findLeaks(baseline, target, final, options) {
  return withParsed(...leaksArgs(baseline, target, final, options));
}

/** Blocking form of findLeaks. */
function findLeaksSync(baseline, target, final, options) {
  return withParsedSync(...leaksArgs(baseline, target, final, options));
}

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
      // memwatch's end() is synchronous: the blocking parse, without retained
      // sizes (a diff needs ids, classes and self sizes only).
      return diffSnapshotsSync(this._before, after);
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
  diffSnapshotsSync,
  findLeaks,
  findLeaksSync,
  HeapDiff,
  snapshotOn,
};
// Internal entry points (memwatch's HeapDiff), not part of the API: under a
// symbol and not enumerable, so neither index.js's spread nor the ESM
// wrapper's named exports (Node's CommonJS export detection) pick them up.
Object.defineProperty(module.exports, Symbol.for('memctl.snapshot.internal'), { value: Object.freeze({ parseNodesOnlySync }) });
