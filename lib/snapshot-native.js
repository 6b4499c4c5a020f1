'use strict';
// The native heap-snapshot analyzer: the contract between the C core
// (src/core/snapshot.c, src/binding/snapshot.cc) and the public JS API
// (lib/snapshot.js, lib/heapdump.js, the CLI). Everything here is stable:
// lib/snapshot.js builds on these functions only.
//
// ## Parsing
// The parser is a streaming state machine in C. A file path is read, parsed
// and analyzed entirely in native code in one Node-API async work item (off
// the JS thread; onProgress polls a byte counter from an unref'd timer). For
// streams and async iterables, JS reads the source chunk by chunk and hands
// each chunk to C synchronously (each call is short: a 64 KiB chunk takes well
// under a millisecond), so the event loop keeps turning between chunks. The JSON document is never built: `nodes` and `edges` are
// decoded straight into compact uint32 column arrays, `strings` into one byte
// arena, the small `snapshot` header (meta) into a tiny tree, and the
// sections that are not needed (trace_function_infos, trace_tree, samples,
// locations, and any unknown key) are skipped without being stored. Field
// orders come from `snapshot.meta` (node_fields, node_types, edge_fields,
// edge_types), never from assumptions.
//
// After the last chunk, the heavy work (validation of every index, first-edge
// indexes, the class of each node, dominator tree and retained sizes) runs in
// a Node-API async work item, off the JS thread (`parseSnapshot`), or inline
// (`parseSnapshotSync`, for memwatch's synchronous HeapDiff#end()).
//
// ## Classes (DevTools' grouping)
// The class of a node is what the Summary view of Chrome DevTools shows:
//   type 'object' or 'native'  -> the node's name (e.g. "Object", "Array",
//                                 "Map", "system / Context")
//   type 'hidden'              -> "(system)"
//   type 'code'                -> "(compiled code)"
//   any other type T           -> "(T)", e.g. "(string)", "(closure)",
//                                 "(array)", "(concatenated string)",
//                                 "(number)", "(regexp)", "(object shape)"
// As in DevTools, class histograms skip nodes whose self size is 0 unless
// their type is 'native'; nodeCount/edgeCount/totalSize count every node.
//
// ## Retained sizes (DevTools' dominator tree)
// Edges that count: every edge except 'weak' edges, and 'shortcut' edges only
// when they start at the root. With dominators: 'devtools' (the default),
// also JSHeapSnapshot's page-owned rule: nodes reachable over non-weak edges
// from the root's shortcut children (the global objects) ignore retainers
// outside that set, except the root; dominators: 'plain' leaves the rule out
// (what memlab computes). Nodes not reachable from the root over counted
// edges: those with no counted retainer hang off the root and the nodes below
// them are dominated inside their subgraph, as in DevTools; any node left
// without a dominator gets the root. So the root's retained size equals
// totalSize. The iteration runs to the true fixpoint (DevTools' incremental
// pass can stop early; see src/core/snapshot.h).
// retainedSize(node) = selfSize(node) + sum of retainedSize of the nodes it
// immediately dominates. A class's retainedSize is the sum of the retained
// sizes of its members that have no dominator-tree ancestor of the same class
// (so nested members are not counted twice), as in DevTools.
//
// ## Errors
// Every failure is an Error with a `code`:
//   ERR_MEMCTL_SNAPSHOT_TRUNCATED       the input ended inside the document
//   ERR_MEMCTL_SNAPSHOT_CORRUPT         malformed JSON, or a value of the wrong
//                                       kind in nodes/edges/strings/meta
//   ERR_MEMCTL_SNAPSHOT_NOT_A_SNAPSHOT  JSON that is not a V8 heap snapshot
//                                       (no top-level object, no snapshot.meta,
//                                       nodes/edges/strings missing, nodes
//                                       before meta)
//   ERR_MEMCTL_SNAPSHOT_BAD_META        meta lacks a required field (node:
//                                       type, name, id, self_size, edge_count;
//                                       edge: type, name_or_index, to_node) or
//                                       describes them inconsistently
//   ERR_MEMCTL_SNAPSHOT_BAD_INDEX       an index out of range: edge to_node not
//                                       a multiple of the node field count or
//                                       past the end, node/edge count differing
//                                       from meta or from the sum of
//                                       edge_count, a string or type index out
//                                       of range, a value above 2^32-1
//   ERR_MEMCTL_SNAPSHOT_TOO_LARGE       the parsed structures would exceed
//                                       options.maxMemory
//   ERR_MEMCTL_NO_MEMORY                malloc failed
// Bad arguments throw TypeError ERR_MEMCTL_INVALID_ARG_TYPE (or RangeError
// ERR_MEMCTL_OUT_OF_RANGE); using a closed snapshot throws ERR_MEMCTL_CLOSED.
// File-system errors (ENOENT...) are passed through unchanged.

const fs = require('fs');
const {
  typeError, checkOptions, checkFunction, optionalInteger, checkBoolean, checkOneOf, describe, invalidThis,
} = require('./errors');
const { formatBytes, MEMWATCH } = require('./format');

let native = null;
function addon() {
  if (!native) native = require('./native');
  return native;
}

const CHUNK = 1 << 20;              // file read size
const PROGRESS_EVERY = 16 << 20;    // onProgress at most once per 16 MiB
const PROGRESS_POLL_MS = 50;        // how often a file parse's counter is read
const DEFAULT_MAX_MEMORY = 16 * 1024 ** 3;

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

  /** @internal the native handle, for diffSnapshots/findLeaks */
  static handleOf(s) {
    if (!(s instanceof ParsedSnapshot)) return null;
    return s.#h;
  }

  /**
   * Class histogram.
   * @param {{ retained?: boolean, top?: number }} [options]
   *   retained (default true): include retainedSize and sort by it; when false,
   *   retainedSize is 0 and classes are sorted by selfSize.
   *   top (default Infinity): keep only the first `top` classes.
   * @returns {{ nodeCount: number, edgeCount: number, totalSize: number,
   *   classes: { name: string, count: number, selfSize: number, retainedSize: number }[] }}
   *   classes sorted descending (ties: by name ascending).
   */
  summary(options) {
    ParsedSnapshot.#check(this);
    const o = checkOptions('options', options);
    const retained = o.retained === undefined ? true : checkBoolean('options.retained', o.retained);
    const top = checkTop(o.top);
    const classes = addon().snapshotSummary(this.#h, retained, top);
    return { nodeCount: this.nodeCount, edgeCount: this.edgeCount, totalSize: this.totalSize, classes };
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

function checkTop(top) {
  if (top === undefined || top === Infinity) return 0; // 0 = all
  return optionalInteger('options.top', top, 0, 1, 2 ** 31 - 1);
}

function parseOptions(options) {
  const o = checkOptions('options', options);
  const onProgress = o.onProgress === undefined ? null : checkFunction('options.onProgress', o.onProgress);
  const retained = o.retained === undefined ? true : checkBoolean('options.retained', o.retained);
  const maxMemory = optionalInteger('options.maxMemory', o.maxMemory, DEFAULT_MAX_MEMORY, 1 << 20);
  const dominators = o.dominators === undefined ? 'devtools' : checkOneOf('options.dominators', o.dominators, ['devtools', 'plain']);
  return { onProgress, retained, maxMemory, mode: dominators === 'plain' ? 1 : 0 };
}

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

/**
 * Parses a .heapsnapshot.
 * @param {string | NodeJS.ReadableStream | AsyncIterable<Buffer|string>} source
 *   a file path, a Readable stream, or any async iterable of chunks (such as
 *   the stream v8.getHeapSnapshot() returns). Chunks may split the JSON
 *   anywhere.
 * @param {{ onProgress?: (p: { bytesRead: number, totalBytes: number | undefined }) => void,
 *   retained?: boolean, maxMemory?: number }} [options]
 *   onProgress: called periodically (every 16 MiB and at the end);
 *   totalBytes is the file size for paths, undefined for streams.
 *   retained (default true): compute the dominator tree now (off the JS
 *   thread). When false, summary({ retained: true }) and findLeaks compute it
 *   on first use, synchronously.
 *   maxMemory (default 16 GiB): cap on native bytes for the parsed structures.
 *   dominators (default 'devtools'): 'devtools' applies DevTools' page-owned
 *   rule (objects reachable from the global objects ignore retainers that are
 *   not, except the root: JSHeapSnapshot._markPageOwnedNodes); 'plain' leaves
 *   it out, as memlab does (its flags mark nearly every node).
 * @returns {Promise<ParsedSnapshot>}
 */
async function parseSnapshot(source, options) {
  const o = parseOptions(options);
  let iterable;
  if (typeof source === 'string') {
    // stat first: fs errors (ENOENT...) exactly as fs gives them
    const totalBytes = (await fs.promises.stat(source)).size;
    return parseFile(source, totalBytes, o);
  } else if (source && typeof source[Symbol.asyncIterator] === 'function') {
    iterable = source;
  } else {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `source must be a file path, a Readable stream or an async iterable, got ${describe(source)}`);
  }
  const n = addon();
  const parser = n.snapshotParserNew(o.maxMemory);
  const report = progressReporter(o.onProgress, undefined);
  let bytesRead = 0;
  try {
    for await (const chunk of iterable) {
      const buf = toChunk(chunk);
      n.snapshotParserFeed(parser, buf);
      bytesRead += buf.byteLength;
      report(bytesRead, false);
    }
    report(bytesRead, true);
    const handle = await n.snapshotParserFinish(parser, o.retained, o.mode);
    return new ParsedSnapshot(handle, CONSTRUCT);
  } finally {
    n.snapshotParserClose(parser);
    if (iterable && typeof iterable.destroy === 'function' && !iterable.destroyed) iterable.destroy();
  }
}

// A file path: read + parse + analysis in one native async job. The final
// progress report comes once the whole file is read (before the retained
// sizes), as for streams.
async function parseFile(file, totalBytes, o) {
  const n = addon();
  const job = n.snapshotParseFile(file, o.maxMemory, o.retained, o.mode);
  let timer = null;
  if (o.onProgress) {
    const report = progressReporter(o.onProgress, totalBytes);
    let ended = false;
    const poll = () => {
      if (ended) return;
      const p = n.snapshotParseFileProgress(job.progress);
      report(p.bytesRead, p.done);
      if (p.done) { ended = true; clearInterval(timer); }
    };
    timer = setInterval(poll, PROGRESS_POLL_MS);
    timer.unref();
    try {
      const handle = await job.promise;
      poll();
      return new ParsedSnapshot(handle, CONSTRUCT);
    } finally {
      clearInterval(timer);
    }
  }
  return new ParsedSnapshot(await job.promise, CONSTRUCT);
}

/**
 * Synchronous form of parseSnapshot, for callers that cannot await (memwatch's
 * HeapDiff#end()). Blocks the thread for the whole parse.
 * @param {string | Buffer | Uint8Array | string[] | Buffer[]} source a file
 *   path, or the snapshot text/bytes (one chunk or an array of chunks).
 *   A plain string is a PATH; pass [text] for snapshot text.
 * @param {object} [options] as parseSnapshot
 * @returns {ParsedSnapshot}
 */
function parseSnapshotSync(source, options) {
  const o = parseOptions(options);
  const n = addon();
  let chunks = null;
  if (ArrayBuffer.isView(source)) chunks = [source];
  else if (Array.isArray(source)) chunks = source;
  else if (typeof source !== 'string') {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `source must be a file path, a Buffer or an array of chunks, got ${describe(source)}`);
  }
  const parser = n.snapshotParserNew(o.maxMemory);
  try {
    if (chunks) {
      let bytesRead = 0;
      const report = progressReporter(o.onProgress, undefined);
      for (const c of chunks) {
        const buf = toChunk(c);
        n.snapshotParserFeed(parser, buf);
        bytesRead += buf.byteLength;
        report(bytesRead, false);
      }
      report(bytesRead, true);
    } else {
      feedFileSync(n, parser, source, o.onProgress);
    }
    const handle = n.snapshotParserFinishSync(parser, o.retained, o.mode);
    return new ParsedSnapshot(handle, CONSTRUCT);
  } finally {
    n.snapshotParserClose(parser);
  }
}

// ---- streaming entry point (memwatch's HeapDiff) --------------------------
/**
 * Synchronous parse from a producer: produce(feed) must call feed(chunk) for
 * every chunk of the snapshot, in order, before it returns. Each chunk goes
 * to the native parser at once, so neither a file nor the whole document
 * ever exists (memwatch's HeapDiff streams v8.getHeapSnapshot() through it).
 * @param {(feed: (chunk: Buffer | Uint8Array | string) => void) => void} produce
 * @param {object} [options] as parseSnapshot (onProgress is not called)
 * @returns {ParsedSnapshot}
 */
function parseSnapshotFromProducerSync(produce, options) {
  checkFunction('produce', produce);
  const o = parseOptions(options);
  const n = addon();
  const parser = n.snapshotParserNew(o.maxMemory);
  try {
    produce((chunk) => n.snapshotParserFeed(parser, toChunk(chunk)));
    return new ParsedSnapshot(n.snapshotParserFinishSync(parser, o.retained, o.mode), CONSTRUCT);
  } finally {
    n.snapshotParserClose(parser);
  }
}

function feedFileSync(n, parser, file, onProgress) {
  const fd = fs.openSync(file, 'r');
  try {
    const totalBytes = fs.fstatSync(fd).size;
    const report = progressReporter(onProgress, totalBytes);
    const buf = Buffer.allocUnsafe(CHUNK);
    let bytesRead = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, 0, CHUNK, null);
      if (got === 0) break;
      n.snapshotParserFeed(parser, got === CHUNK ? buf : buf.subarray(0, got));
      bytesRead += got;
      report(bytesRead, false);
    }
    report(bytesRead, true);
  } finally {
    fs.closeSync(fd);
  }
}

function handleArg(name, s) {
  const h = ParsedSnapshot.handleOf(s);
  if (!h) throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `${name} must be a ParsedSnapshot, got ${describe(s)}`);
  return h;
}

// memwatch's size strings: "123 bytes", "1.21 kb", "-3.50 mb".
const formatSize = (bytes) => formatBytes(bytes, MEMWATCH);

/**
 * Compares two snapshots of one process by node id (memwatch's HeapDiff).
 * Nodes are matched by id; a node only in `after` is allocated ('+'), one
 * only in `before` is freed ('-'). Classes as in summary() (same skip rule).
 * @returns {{ before: { nodes: number, size_bytes: number, size: string },
 *   after: { nodes: number, size_bytes: number, size: string },
 *   change: { size_bytes: number, size: string, freed_nodes: number, allocated_nodes: number,
 *     details: { what: string, size_bytes: number, size: string, '+': number, '-': number }[] } }}
 *   before/after.nodes and size_bytes count the nodes of the histogram (the
 *   same nodes summary() counts). details lists classes with at least one
 *   allocated or freed node, sorted by |size_bytes| descending, then name.
 *   size_bytes of a detail = self size of allocated - self size of freed.
 */
function diffSnapshots(before, after) {
  const a = handleArg('before', before);
  const b = handleArg('after', after);
  const r = addon().snapshotDiff(a, b);
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

/**
 * Leak candidates by memlab's three-snapshot method: nodes of `final` whose
 * id is absent from `baseline` and present in `target` (allocated by the
 * action, still alive after cleanup), reachable from the root. Internal node
 * types are left out ('hidden', 'synthetic', 'code', 'object shape'), and so
 * are nodes with self size 0 (as in summary()). Grouped by class.
 * @param {{ top?: number }} [options] keep the first `top` groups
 * @returns {{ name: string, count: number, selfSize: number, retainedSize: number,
 *   retainerPath: { node: { name: string, type: string, id: number },
 *                   edge: { name: string, type: string } | null }[] }[]}
 *   sorted by retainedSize descending (retained sizes from `final`'s dominator
 *   tree; a group's retainedSize sums its members that have no dominator
 *   ancestor in the same group). retainerPath is the shortest path (BFS over
 *   the edges that count for dominators) from the root to the group's member
 *   with the largest retained size: element 0 is the root with edge null, each
 *   later element gives the edge from the previous node and the node it
 *   reaches; the last node is the leaked object. Edge name is the property
 *   name, or the index as a string for element/hidden edges.
 */
function findLeaks(baseline, target, final, options) {
  const a = handleArg('baseline', baseline);
  const b = handleArg('target', target);
  const c = handleArg('final', final);
  const o = checkOptions('options', options);
  const top = checkTop(o.top);
  return addon().snapshotLeaks(a, b, c, top);
}

/**
 * Open native snapshots of this thread (main or worker) and the bytes they
 * hold: { live, bytes }. Closed and collected snapshots are not counted.
 */
function nativeUsage() {
  return addon().snapshotUsage();
}

module.exports = {
  parseSnapshot, parseSnapshotSync, ParsedSnapshot, diffSnapshots, findLeaks, formatSize, nativeUsage,
  parseSnapshotFromProducerSync,
};
