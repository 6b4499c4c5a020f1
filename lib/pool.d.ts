import { EventEmitter } from 'node:events';

export type LeakDetection = 'off' | 'simple' | 'paranoid';

export interface PoolOptions {
  /** Budget in bytes (>= 65536): memory reserved from the system never exceeds it. */
  maxBytes: number;
  /** alloc() returns zeroed bytes (default false: like Buffer.allocUnsafe). */
  zeroFill?: boolean;
  /** Leak reports for buffers collected without free() (default 'simple'). */
  leakDetection?: LeakDetection;
  /** Idle memory is given back after this many ms (default 10000; Infinity: only on trim()). */
  decayMs?: number;
  /**
   * Allocations up to this size (rounded down to a size class; 0 to 65536, default 65536) are
   * slices of shared slabs: fast, but free() cannot detach them. Larger ones own their ArrayBuffer.
   */
  sliceMax?: number;
}

export interface PoolLeak {
  /** Bytes of the leaked allocation. */
  size: number;
  /** JavaScript stack of the allocation ('paranoid' only). */
  stack?: string;
}

export interface PoolClassStats {
  /** Rounded size of the class in bytes. */
  size: number;
  allocations: number;
  live: number;
  /** Slabs (small classes) or regions (large classes) of the class. */
  regions: number;
  /** Free slots (small classes) or cached free regions (large classes). */
  free: number;
}

export interface PoolStats {
  bytesInUse: number;
  bytesInUseRounded: number;
  bytesReserved: number;
  bytesMapped: number;
  peakBytesInUse: number;
  peakBytesReserved: number;
  maxBytes: number;
  liveAllocations: number;
  allocations: number;
  frees: number;
  failedAllocations: number;
  leaks: number;
  leakedBytes: number;
  regions: number;
  slabs: number;
  trims: number;
  decayedBytes: number;
  /** Bytes currently reported to V8 with napi_adjust_external_memory. */
  externalMemory: number;
  classes: PoolClassStats[];
}

export declare class Pool extends EventEmitter {
  constructor(options: PoolOptions);
  readonly maxBytes: number;
  readonly closed: boolean;
  readonly leakDetection: LeakDetection;
  /** false when the runtime forbids external buffers (fallback to V8-owned memory). */
  readonly externalBuffers: boolean;
  /** Effective sliceMax (a size-class size). */
  readonly sliceMax: number;
  /** A Buffer of exactly `size` bytes; throws RangeError ERR_MEMCTL_POOL_EXHAUSTED past the budget. */
  alloc(size: number): Buffer;
  /** Returns the memory at once; large buffers are detached (length 0). */
  free(buf: Buffer): void;
  stats(): PoolStats;
  /** Gives idle memory back to the operating system. */
  trim(): void;
  /** Bytes in use (0 once closed). */
  offHeapBytes(): number;
  /** Releases everything; buffers still alive are detached. */
  close(): void;
  on(event: 'leak', listener: (leak: PoolLeak) => void): this;
  once(event: 'leak', listener: (leak: PoolLeak) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}
