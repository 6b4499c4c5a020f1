/// <reference types="node" />
// Declarations for lib/snapshot-native.js: the native heap-snapshot analyzer
// (the contract lib/snapshot.js builds on). See the doc comments in the .js.

export type SnapshotSource = string | NodeJS.ReadableStream | AsyncIterable<Buffer | Uint8Array | string>;
export type SnapshotSyncSource = string | Buffer | Uint8Array | Array<Buffer | Uint8Array | string>;

export interface SnapshotProgress {
  bytesRead: number;
  /** the file size for paths; undefined for streams */
  totalBytes: number | undefined;
}

export interface ParseSnapshotOptions {
  onProgress?: (progress: SnapshotProgress) => void;
  /** compute the dominator tree while parsing (default true) */
  retained?: boolean;
  /** cap on native bytes for the parsed structures (default 16 GiB) */
  maxMemory?: number;
  /** 'devtools' (default): DevTools' page-owned rule; 'plain': without it */
  dominators?: 'devtools' | 'plain';
}

export interface SnapshotClass {
  name: string;
  count: number;
  selfSize: number;
  retainedSize: number;
}

export interface SnapshotSummary {
  nodeCount: number;
  edgeCount: number;
  totalSize: number;
  classes: SnapshotClass[];
}

export class ParsedSnapshot {
  private constructor();
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly totalSize: number;
  /** native bytes held by this snapshot now (throws after close()) */
  readonly nativeBytes: number;
  readonly closed: boolean;
  summary(options?: { retained?: boolean; top?: number }): SnapshotSummary;
  close(): void;
}

export interface HeapDiffSide {
  nodes: number;
  size_bytes: number;
  size: string;
}

export interface HeapDiffDetail {
  what: string;
  size_bytes: number;
  size: string;
  '+': number;
  '-': number;
}

export interface HeapDiffResult {
  before: HeapDiffSide;
  after: HeapDiffSide;
  change: {
    size_bytes: number;
    size: string;
    freed_nodes: number;
    allocated_nodes: number;
    details: HeapDiffDetail[];
  };
}

export interface RetainerStep {
  node: { name: string; type: string; id: number };
  /** null for the first step (the root) */
  edge: { name: string; type: string } | null;
}

export interface LeakGroup {
  name: string;
  count: number;
  selfSize: number;
  retainedSize: number;
  retainerPath: RetainerStep[];
}

export function parseSnapshot(source: SnapshotSource, options?: ParseSnapshotOptions): Promise<ParsedSnapshot>;
export function parseSnapshotSync(source: SnapshotSyncSource, options?: ParseSnapshotOptions): ParsedSnapshot;
export function diffSnapshots(before: ParsedSnapshot, after: ParsedSnapshot): HeapDiffResult;
export function findLeaks(baseline: ParsedSnapshot, target: ParsedSnapshot, final: ParsedSnapshot,
                          options?: { top?: number }): LeakGroup[];
/** memwatch's size strings: "512 bytes", "1.50 kb", "-3.00 mb" */
export function formatSize(bytes: number): string;
/** open native snapshots of this thread and the bytes they hold */
export function nativeUsage(): { live: number; bytes: number };
