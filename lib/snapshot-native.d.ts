/// <reference types="node" />
// Declarations for lib/snapshot-native.js: the native heap-snapshot analyzer
// (the internal contract lib/snapshot.js builds on). The shared types are the
// public ones in ./snapshot.d.ts, so the two cannot drift apart.
import type {
  SnapshotSource, ParseOptions, SnapshotSummary, ParsedSnapshot, HeapDiffResult,
  LeakCandidate,
} from './snapshot';

export type {
  SnapshotSource, ParseOptions, SnapshotSummary, ParsedSnapshot, HeapDiffResult,
  LeakCandidate,
} from './snapshot';

export type SnapshotSyncSource = string | Buffer | Uint8Array | Array<Buffer | Uint8Array | string>;

export function parseSnapshot(source: SnapshotSource, options?: ParseOptions): Promise<ParsedSnapshot>;
export function parseSnapshotSync(source: SnapshotSyncSource, options?: ParseOptions): ParsedSnapshot;
/** Synchronous parse from a producer that calls feed(chunk) for every chunk before it returns (no file, no whole-document buffer). */
export function parseSnapshotFromProducerSync(produce: (feed: (chunk: Buffer | Uint8Array | string) => void) => void, options?: ParseOptions): ParsedSnapshot;
export function diffSnapshots(before: ParsedSnapshot, after: ParsedSnapshot): HeapDiffResult;
export function findLeaks(baseline: ParsedSnapshot, target: ParsedSnapshot, final: ParsedSnapshot,
                          options?: { top?: number }): LeakCandidate[];
/** memwatch's size strings: "512 bytes", "1.50 kb", "-3.00 mb" */
export function formatSize(bytes: number): string;
/** open native snapshots of this thread and the bytes they hold */
export function nativeUsage(): { live: number; bytes: number };
