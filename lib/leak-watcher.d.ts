import { EventEmitter } from 'events';

/** Detector options shared by the heap watcher and gauges. */
export interface DetectorOptions {
  /** 'trend' (default): robust trend of the post-GC base over a window; 'consecutive': memwatch's rule. Anything else throws a TypeError with code ERR_MEMCTL_INVALID_ARG_VALUE. */
  detector?: 'trend' | 'consecutive';
  /** consecutive: growths in a row that make a leak (default 5). */
  consecutive?: number;
  /** trend: smallest growth that counts, in bytes for the heap (default 8 MiB) or units for gauges (default 10). */
  minGrowth?: number;
  /** trend: shortest time span, in ms, a window may judge (default 10000). */
  minDuration?: number;
  /** trend: fewest samples a window may judge (default 6, at least 3). */
  minSamples?: number;
  /** trend: samples kept, 8..512 (default 128); older ones are thinned, not dropped. */
  history?: number;
  /** Samples within this many ms of the first are not judged (default 0). */
  warmup?: number;
}

export interface LeakWatcherOptions extends DetectorOptions {
  /** Sampling period in ms for envelope points and gauges (default 1000, at least 10). */
  interval?: number;
}

export interface GaugeOptions extends DetectorOptions {
  /** 'count' (default) or 'bytes': only changes the rate text and the default minGrowth. */
  unit?: 'count' | 'bytes';
}

/** The 'stats' event: memwatch's fields, correct, plus the memory figures at the event. */
export interface GcStats {
  num_full_gc: number;
  /** Minor, incremental and weak-callback GCs. */
  num_inc_gc: number;
  /** Full GCs (V8's full GC is mark-compact), as memwatch counts them. */
  heap_compactions: number;
  /** Percent by which the recent base exceeds the long-term base; negative when the heap shrinks. */
  usage_trend: number;
  /** Smoothed recent base (heap used after full GCs), bytes. */
  estimated_base: number;
  /** Heap used after the latest full GC, bytes. */
  current_base: number;
  /** Smallest and largest base from the third full GC on (0 before). */
  min: number;
  max: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
  /** Duration of the GC, ms. */
  gcDuration: number;
  /** When the GC started, ms since the epoch. */
  timestamp: number;
  /** ms between the end of the GC and this event (0 when the reading comes from Node's GC epilogue). */
  delay: number;
  /**
   * The GC's record from Node's GC epilogue (v8.GCProfiler; absent on Node
   * < 18.15): type, cost in µs, V8's heap statistics before and after,
   * per-kind counts and summed costs (µs) since the watcher started.
   */
  gc?: {
    type: string;
    cost: number;
    before: Record<string, number>;
    after: Record<string, number>;
    totals: Record<string, { count: number; time: number }>;
    endedBy: string;
  };
}

/** The evidence of a 'leak' or 'growth' report. */
export interface GrowthReport {
  start: Date;
  end: Date;
  /** Estimated growth between start and end (bytes or units). */
  growth: number;
  /** e.g. "heap growth over 5 consecutive GCs (8m 13s) - 43.33 mb/hr" */
  reason: string;
  /** Growth per hour (0 when start and end coincide). */
  rate: number;
  samples: number;
  startValue: number;
  endValue: number;
}

export interface LeakReport extends GrowthReport {
  detector: 'trend' | 'consecutive';
}

export interface GaugeGrowthReport extends GrowthReport {
  name: string;
  /** The gauge's latest reading. */
  value: number;
  unit: 'count' | 'bytes';
}

/** Passed to 'error' listeners when a gauge throws (ERR_MEMCTL_GAUGE_THREW) or returns a non-finite or non-number value (ERR_MEMCTL_GAUGE_NOT_NUMBER). */
export interface GaugeError extends Error {
  code: 'ERR_MEMCTL_GAUGE_THREW' | 'ERR_MEMCTL_GAUGE_NOT_NUMBER';
  gauge: string;
  cause?: unknown;
}

export class LeakWatcher extends EventEmitter {
  constructor(options?: LeakWatcherOptions);
  readonly detector: 'trend' | 'consecutive';
  readonly running: boolean;
  /** Starts observing GCs and sampling (idempotent); never keeps the process alive. */
  start(): this;
  stop(): this;
  /** Stops and frees the native state (idempotent); every later call of another method throws an Error with code ERR_MEMCTL_CLOSED (the getters still answer). */
  close(): void;
  /** The GC statistics so far, with the memory figures now. */
  stats(): GcStats;
  /** Applies growth detection to fn() (sampled every interval); emits 'growth'. */
  gauge(name: string, fn: () => number, options?: GaugeOptions): this;
  removeGauge(name: string): boolean;
  gauges(): string[];
  /** Reads every gauge now. */
  sampleGauges(): void;

  on(event: 'stats', listener: (stats: GcStats) => void): this;
  on(event: 'leak', listener: (report: LeakReport) => void): this;
  on(event: 'growth', listener: (report: GaugeGrowthReport) => void): this;
  on(event: 'error', listener: (err: GaugeError) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'stats', listener: (stats: GcStats) => void): this;
  once(event: 'leak', listener: (report: LeakReport) => void): this;
  once(event: 'growth', listener: (report: GaugeGrowthReport) => void): this;
  once(event: 'error', listener: (err: GaugeError) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface CgroupMemory {
  version: 1 | 2;
  /** The cgroup's path under its hierarchy. */
  path: string;
  /** Tightest memory limit of the cgroup and its ancestors, bytes; null when unlimited. */
  limit: number | null;
  /** Memory the cgroup uses now, bytes (null if unreadable). */
  usage: number | null;
}

export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  heapSizeLimit: number;
  /** v8.getHeapStatistics() */
  v8: ReturnType<typeof import('v8').getHeapStatistics>;
  system: { total: number; free: number };
  /** null when the process has no memory cgroup. */
  cgroup: CgroupMemory | null;
  /** Bytes held off the V8 heap by memctl's caches and pools, per kind, and their total. */
  offHeap: { caches: number; pools: number; total: number };
}

export function usage(): MemoryUsage;
