// Drop-in for memwatch, memwatch-next and @airbnb/node-memwatch:
// require('memctl/memwatch'). See docs/memwatch.md.
import { EventEmitter } from 'events';
import { GcStats, LeakReport, LeakWatcherOptions } from './leak-watcher';
import { HeapDiffResult } from './snapshot';

declare namespace memwatch {
  /** @airbnb/node-memwatch's fields: heap statistics read in Node's GC epilogue (v8.GCProfiler). */
  interface AirbnbStats {
    gcScavengeCount: number;
    /** ns, summed since the watcher started */
    gcScavengeTime: number;
    gcMarkSweepCompactCount: number;
    gcMarkSweepCompactTime: number;
    gcIncrementalMarkingCount: number;
    gcIncrementalMarkingTime: number;
    gcProcessWeakCallbacksCount: number;
    gcProcessWeakCallbacksTime: number;
    total_heap_size: number;
    total_heap_size_executable: number;
    total_physical_size: number;
    total_available_size: number;
    used_heap_size: number;
    heap_size_limit: number;
    malloced_memory: number;
    peak_malloced_memory: number;
    /** this GC's duration, ns */
    gc_time: number;
    /** end of the GC, µs since the epoch (exact for gc(); otherwise when the record was collected) */
    gc_ts: number;
  }
  /** 'stats': memwatch's fields, memctl's, and airbnb's (the latter absent on Node < 18.15). */
  type Stats = GcStats & Partial<AirbnbStats>;
  /** memwatch's diff; before/after carry the time each snapshot was taken. */
  interface Diff extends HeapDiffResult {
    before: HeapDiffResult['before'] & { time: Date };
    after: HeapDiffResult['after'] & { time: Date };
  }
  /** memwatch's HeapDiff: new HeapDiff(), then end() gives the difference. */
  interface HeapDiff {
    /** Takes the second snapshot and returns the diff; throws ERR_MEMCTL_HEAPDIFF_ENDED the second time. */
    end(): Diff;
    /** end() as a promise (the work is synchronous). */
    endAsync(): Promise<Diff>;
  }
  interface HeapDiffConstructor {
    /** Takes the first snapshot (parsed into native memory at once). */
    new (): HeapDiff;
  }
}

interface Memwatch extends EventEmitter {
  on(event: 'stats', listener: (stats: memwatch.Stats) => void): this;
  on(event: 'leak', listener: (report: LeakReport) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'stats', listener: (stats: memwatch.Stats) => void): this;
  once(event: 'leak', listener: (report: LeakReport) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  /**
   * Runs a full, synchronous GC, without --expose-gc (V8's collector is
   * obtained once through v8.setFlagsFromString and a new vm context; see
   * docs/memwatch.md). Throws ERR_MEMCTL_GC_UNAVAILABLE if V8 refuses.
   */
  gc(): void;
  /** LeakWatcher options for the watcher behind the events (validated; applied at once). */
  configure(options: LeakWatcherOptions): this;
  /** memwatch's HeapDiff, streamed into the native parser (no files). */
  HeapDiff: memwatch.HeapDiffConstructor;
}

declare const memwatch: Memwatch;
export = memwatch;
