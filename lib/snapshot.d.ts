// Heap snapshots: writing (heapdump-compatible), native analysis, memwatch's
// HeapDiff and automatic snapshots. Each analysis has a Promise form and a
// blocking *Sync form with the same arguments; snapshots are given as file
// paths (parsed, then freed) or as ParsedSnapshots (left open).
import type { Readable } from 'stream';
import type { EventEmitter } from 'events';

/** A snapshot source: a file path, a Readable stream or an async iterable of chunks. */
export type SnapshotSource = string | Readable | AsyncIterable<Buffer | Uint8Array | string>;

/** Progress of a parse: bytes fed so far; totalBytes is the file size for paths, undefined for streams. */
export type ProgressCallback = (progress: { bytesRead: number; totalBytes: number | undefined }) => void;

export interface ParseOptions {
  /** Called every 16 MiB and at the end. */
  onProgress?: ProgressCallback;
  /** Compute the dominator tree during the parse (off the JS thread). Default true. */
  retained?: boolean;
  /** Cap on the native bytes of the parsed structures (default 16 GiB): ERR_MEMCTL_SNAPSHOT_TOO_LARGE past it. */
  maxMemory?: number;
  /**
   * 'devtools' (default): DevTools' page-owned rule (objects reachable from the
   * global objects ignore retainers outside that set, except the root);
   * 'plain': only the weak/shortcut edge rules, as memlab computes.
   */
  dominators?: 'devtools' | 'plain';
}

export interface ClassSummary {
  /**
   * As DevTools' Summary groups nodes: the node name for types object and
   * native; "(system)" for hidden, "(compiled code)" for code, "(T)" for any
   * other type T. Nodes of self size 0 are left out unless native.
   */
  name: string;
  count: number;
  selfSize: number;
  /** Sum of the retained sizes of members without a dominator ancestor of the same class; 0 with retained: false. */
  retainedSize: number;
}

export interface SnapshotSummary {
  nodeCount: number;
  edgeCount: number;
  /** Sum of all self sizes (the root's retained size). */
  totalSize: number;
  /** Sorted by retained size (self size with retained: false), largest first. */
  classes: ClassSummary[];
}

export interface SummaryOptions {
  /** Compute retained sizes (dominator tree). Default true. */
  retained?: boolean;
  /** Keep only the first `top` classes. Default: all. */
  top?: number;
}

/** A snapshot parsed by the native analyzer; its memory is off the V8 heap until close() (or GC). */
export class ParsedSnapshot {
  private constructor();
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly totalSize: number;
  /** Native bytes held (structures and strings). */
  readonly nativeBytes: number;
  readonly closed: boolean;
  summary(options?: SummaryOptions): SnapshotSummary;
  /** Frees the native memory now; idempotent. Later calls throw ERR_MEMCTL_CLOSED. */
  close(): void;
}

/** memwatch's HeapDiff result. */
export interface HeapDiffResult {
  before: { nodes: number; size_bytes: number; size: string };
  after: { nodes: number; size_bytes: number; size: string };
  change: {
    size_bytes: number;
    size: string;
    freed_nodes: number;
    allocated_nodes: number;
    details: Array<{ what: string; size_bytes: number; size: string; '+': number; '-': number }>;
  };
}

export interface RetainerStep {
  node: { name: string; type: string; id: number };
  /** The edge into this node; null for the first step (the root). */
  edge: { name: string; type: string } | null;
}

export interface LeakCandidate {
  name: string;
  count: number;
  selfSize: number;
  retainedSize: number;
  /** From a GC root down to one object of the class. */
  retainerPath: RetainerStep[];
}

/**
 * Writes a heap snapshot of this thread's heap (synchronously: a snapshot is
 * one instant; V8 streams the JSON to the file in chunks) and returns its
 * file name: `filename`, or `heapdump-<sec>.<usec>.heapsnapshot` in the
 * working directory. With a callback, I/O errors go to callback(err) and
 * callback(null, filename) is called on the next tick; without one they throw.
 */
export function writeSnapshot(filename?: string, callback?: (err: Error | null, filename?: string) => void): string | undefined;
export function writeSnapshot(callback: (err: Error | null, filename?: string) => void): string | undefined;

/** Promise form of writeSnapshot: resolves to the file name. */
export function writeSnapshotAsync(filename?: string): Promise<string>;

/** heapdump's default name for a snapshot written now: `heapdump-<sec>.<usec>.heapsnapshot`. */
export function defaultSnapshotName(): string;

/**
 * Parses a snapshot with the native streaming parser (chunks go to C as they
 * arrive; the JSON document is never built); close() the result when done.
 * Errors carry codes ERR_MEMCTL_SNAPSHOT_TRUNCATED, _CORRUPT, _NOT_A_SNAPSHOT,
 * _BAD_META, _BAD_INDEX, _TOO_LARGE; file-system errors pass through.
 */
export function parseSnapshot(source: SnapshotSource, options?: ParseOptions): Promise<ParsedSnapshot>;

/** A source for the blocking parse: a file path, or the snapshot bytes (one chunk or an array of chunks). */
/** A producer calls feed(chunk) for every chunk, in order, before it returns. */
export type SnapshotProducer = (feed: (chunk: Uint8Array | string) => void) => void;
export type SnapshotSyncSource = string | Uint8Array | Array<Uint8Array | string> | SnapshotProducer;

/** Synchronous parse (blocks the thread): a file path, or snapshot bytes (a Buffer or an array of chunks). */
export function parseSnapshotSync(source: SnapshotSyncSource, options?: ParseOptions): ParsedSnapshot;

/** Parses and summarizes a snapshot (then frees it). */
export function analyzeSnapshot(source: SnapshotSource, options?: SummaryOptions & ParseOptions): Promise<SnapshotSummary>;

/**
 * Diff of two snapshots of one process by node id, in memwatch's HeapDiff
 * shape; paths are parsed one after the other and freed afterwards.
 */
export function diffSnapshots(before: string | ParsedSnapshot, after: string | ParsedSnapshot, options?: Omit<ParseOptions, 'retained'>): Promise<HeapDiffResult>;

/** Blocking form of diffSnapshots (memwatch's HeapDiff#end() uses it). */
export function diffSnapshotsSync(before: string | ParsedSnapshot, after: string | ParsedSnapshot, options?: Omit<ParseOptions, 'retained'>): HeapDiffResult;

/**
 * Leak candidates (memlab's method): objects allocated after `baseline`,
 * present in `target` and still alive in `final`, grouped by class, with a
 * retainer path from a GC root.
 */
export function findLeaks(
  baseline: string | ParsedSnapshot,
  target: string | ParsedSnapshot,
  final: string | ParsedSnapshot,
  options?: { top?: number } & Omit<ParseOptions, 'retained'>,
): Promise<LeakCandidate[]>;

/** Blocking form of findLeaks. */
export function findLeaksSync(
  baseline: string | ParsedSnapshot,
  target: string | ParsedSnapshot,
  final: string | ParsedSnapshot,
  options?: { top?: number } & Omit<ParseOptions, 'retained'>,
): LeakCandidate[];

/**
 * memwatch's HeapDiff. The constructor writes a snapshot to a temporary file;
 * end() writes a second one and returns the diff synchronously (the analysis
 * runs natively, blocking this thread); endAsync() resolves to the same diff
 * without blocking during the analysis. Temporary files are removed by end(),
 * when an unended HeapDiff is collected, or at exit.
 * @throws Error with code ERR_MEMCTL_HEAPDIFF_ENDED when ended twice.
 */
export class HeapDiff {
  constructor();
  end(): HeapDiffResult;
  endAsync(): Promise<HeapDiffResult>;
}

export interface SnapshotOnOptions {
  /** Write a snapshot on the watcher's 'leak' events. Default: true when a watcher is given. */
  leak?: boolean;
  /** Write a snapshot when used heap / heap limit reaches this ratio (0 or false: off). Default 0.9. */
  heapLimitRatio?: number | false;
  /** Where snapshots go. Default: the working directory. */
  directory?: string;
  /** At most one snapshot per this many milliseconds. Default 60000. */
  minIntervalMs?: number;
  /** How often the heap is polled for heapLimitRatio (an unref'd timer). Default 1000. */
  pollIntervalMs?: number;
  /** Called after each snapshot. */
  onSnapshot?: (info: { filename: string; reason: 'leak' | 'heap-limit'; detail: unknown }) => void;
  /** Called when a snapshot cannot be written (default: a process warning). */
  onError?: (err: Error) => void;
  /** Source of heap statistics (default v8.getHeapStatistics; replaceable for tests). */
  heapStatistics?: () => { used_heap_size: number; heap_size_limit: number };
}

/**
 * Writes snapshots automatically: on `watcher`'s 'leak' events (any
 * EventEmitter, e.g. a LeakWatcher) and when the heap nears its limit.
 * Returns stop().
 */
export function snapshotOn(watcher: EventEmitter | null | undefined, options?: SnapshotOnOptions): () => void;
