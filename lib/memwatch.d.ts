// Drop-in for memwatch-next: require('memctl/memwatch').
import { EventEmitter } from 'events';
import { GcStats, LeakReport, LeakWatcherOptions } from './leak-watcher';

declare namespace memwatch {
  /** memwatch's HeapDiff: new HeapDiff(), then end() gives the difference. */
  interface HeapDiffConstructor {
    new (...args: any[]): { end(...args: any[]): any };
  }
}

interface Memwatch extends EventEmitter {
  on(event: 'stats', listener: (stats: GcStats) => void): this;
  on(event: 'leak', listener: (report: LeakReport) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'stats', listener: (stats: GcStats) => void): this;
  once(event: 'leak', listener: (report: LeakReport) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Runs a full GC; throws ERR_MEMCTL_GC_UNAVAILABLE unless node runs with --expose-gc. */
  gc(): void;
  /** LeakWatcher options for the watcher behind the events (validated; applied at once). */
  configure(options: LeakWatcherOptions): this;
  /** memctl's HeapDiff, loaded on first use; throws ERR_MEMCTL_NOT_AVAILABLE when the snapshot module lacks it. */
  readonly HeapDiff: memwatch.HeapDiffConstructor;
}

declare const memwatch: Memwatch;
export = memwatch;
