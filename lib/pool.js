'use strict';
// Pool: an off-heap buffer allocator with a budget, deterministic free() and
// leak reports.  The allocator is the C core (src/core/pool.c); this file
// validates arguments, turns pool memory into Buffers and emits 'leak'.
//
// Buffers come in two kinds (design and guarantees: docs/pool.md):
//   - large (> sliceMax bytes): the Buffer owns an ArrayBuffer over its own
//     region; free() detaches it (the Buffer then reads as length 0).
//   - sliced (<= sliceMax, default 64 KiB): the Buffer is a view of a slab
//     ArrayBuffer shared with other buffers of its size class; free() returns
//     the slot but cannot detach the view.

const { EventEmitter } = require('node:events');
const native = require('./native');
const { track } = require('./offheap');
const {
  checkInteger, checkNumber, checkBoolean, checkOptions, checkOneOf, typeError, rangeError, error, describe, invalidThis,
} = require('./errors');

const SLICE_LIMIT = native.POOL_SLICE_LIMIT;
const MAX_BYTES = native.POOL_MAX_BYTES;
const DEFAULT_DECAY_MS = 10000;

// Statuses the native side returns (src/core/pool.h) and the layout of the
// scratch array it writes an allocation's tag and offset into.
const { EXHAUSTED, NOMEM, FOREIGN, FREED } = native.POOL_STATUS;
const { TAG: SCRATCH_TAG, OFFSET: SCRATCH_OFFSET } = native.POOL_SCRATCH;

const LEAK_MODES = ['off', 'simple', 'paranoid'];

// Freed slices are kept in a small per-size cache in JavaScript (like
// jemalloc's thread cache) so that a free() followed by an alloc() of the
// same size costs no native call.  The core still counts a cached slot as
// allocated until the cache is flushed: by stats(), trim(), offHeapBytes(),
// the decay timer, and before an allocation is refused for lack of budget.
// The cache is direct-mapped on a multiplicative hash of the size (a Map
// lookup cost more than the rest of a cached alloc; size mod 64 would put
// every power of two in one way).
const CACHE_PER_SIZE = 32;
const CACHE_WAYS = 64; // the hash keeps the top 6 bits
const cacheWay = (size) => Math.imul(size, 0x9e3779b1) >>> 26;

// A PoolBuffer's tag: >= 0 names a live allocation; once freed it holds the
// core's FREED status. claim() answers with the tag, FREED, FOREIGN (another
// pool's buffer) or NOT_A_POOL_BUFFER, which is no number so that it cannot
// collide with a status of the core (and `undefined >= 0` is false).
const NOT_A_POOL_BUFFER = undefined;

// Every Buffer a pool hands out is a PoolBuffer: a Buffer (its prototype
// chain holds Buffer.prototype, `constructor` is Buffer, so subarray() and
// friends make plain Buffers) with private fields no other code can read or
// forge: the pool it came from, the tag naming its allocation, and its
// ArrayBuffer.
class PoolBuffer extends Uint8Array {
  #pool;
  #tag;
  #ab; // same as .buffer, which is a slow (C++) getter

  constructor(ab, offset, length, pool, tag) {
    super(ab, offset, length);
    this.#pool = pool;
    this.#tag = tag;
    this.#ab = ab;
  }

  static arrayBufferOf(buf) {
    return buf.#ab;
  }

  // Returns the tag and marks the buffer freed if it is a live allocation of
  // `pool`; otherwise NOT_A_POOL_BUFFER, FREED or FOREIGN (another pool's).
  static claim(buf, pool) {
    if (typeof buf !== 'object' || buf === null || !(#tag in buf)) return NOT_A_POOL_BUFFER;
    if (buf.#pool !== pool) return FOREIGN;
    const tag = buf.#tag;
    if (tag >= 0) buf.#tag = FREED;
    return tag;
  }

  // Undoes claim() when the native free refused the tag.
  static unclaim(buf, tag) {
    buf.#tag = tag;
  }

  static tagOf(buf) {
    return buf.#tag;
  }
}
Object.setPrototypeOf(PoolBuffer.prototype, Buffer.prototype);
Object.defineProperty(PoolBuffer.prototype, 'constructor', {
  value: Buffer, writable: true, configurable: true, enumerable: false,
});

function exhausted(size, maxBytes) {
  return rangeError('ERR_MEMCTL_POOL_EXHAUSTED',
    `cannot allocate ${size} bytes: the pool budget of ${maxBytes} bytes would be exceeded`);
}

class Pool extends EventEmitter {
  #h;            // native handle
  #scratch;      // Float64Array over native scratch memory (POOL_SCRATCH layout)
  #maxBytes;
  #mode;
  #stacks;       // paranoid: tag -> allocation stack
  #timer = null; // decay timer
  #closed = false;
  #external;
  #sliceMax;     // allocations up to this size are slab slices
  #zeroFill;
  #cacheSize = new Int32Array(CACHE_WAYS); // size cached in each way (0: none)
  #cacheList = Array.from({ length: CACHE_WAYS }, () => []); // [ab, offset, tag, ...]
  #plain = true; // neither zeroFill nor paranoid: the inline fast paths apply

  // Every public method and getter starts with this brand check: a wrong
  // receiver gets a coded TypeError instead of V8's private-field one.
  static #check(o) {
    if (typeof o !== 'object' || o === null || !(#h in o)) throw invalidThis('Pool', o);
  }

  // The same for alloc() and free() at no cost: the field load is the brand
  // check, and a try block costs nothing until it throws.
  static #handle(o) {
    try {
      return o.#h;
    } catch {
      throw invalidThis('Pool', o);
    }
  }

  constructor(options) {
    super();
    const o = checkOptions('options', options);
    if (o.maxBytes === undefined) {
      throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', 'options.maxBytes is required');
    }
    const maxBytes = checkInteger('options.maxBytes', o.maxBytes, 65536, MAX_BYTES);
    const zeroFill = o.zeroFill === undefined ? false : checkBoolean('options.zeroFill', o.zeroFill);
    const mode = o.leakDetection === undefined ? 'simple' : checkOneOf('options.leakDetection', o.leakDetection, LEAK_MODES);
    const decayMs = o.decayMs === undefined ? DEFAULT_DECAY_MS : checkNumber('options.decayMs', o.decayMs, 0, Infinity);
    const sliceMax = o.sliceMax === undefined ? SLICE_LIMIT : checkInteger('options.sliceMax', o.sliceMax, 0, SLICE_LIMIT);
    // Internal: forces the path taken when the runtime forbids external
    // buffers (V8 sandbox, as in Electron), so it can be tested on Node.
    const noExternal = process.env.MEMCTL_POOL_NO_EXTERNAL === '1';

    const weak = new WeakRef(this);
    const [h, scratch, external, effectiveSliceMax] = native.poolCreate(maxBytes, decayMs, zeroFill,
      LEAK_MODES.indexOf(mode), noExternal, () => {
        const self = weak.deref();
        if (self) self.#drainLeaks();
      }, sliceMax);
    this.#sliceMax = effectiveSliceMax;
    this.#zeroFill = zeroFill;
    this.#plain = !zeroFill && mode !== 'paranoid';
    this.#h = h;
    this.#scratch = new Float64Array(scratch);
    this.#maxBytes = maxBytes;
    this.#mode = mode;
    this.#stacks = mode === 'paranoid' ? new Map() : null;
    this.#external = external;
    if (decayMs !== Infinity) this.#startDecay(weak, decayMs);
    track('pools', this);
  }

  get maxBytes() { Pool.#check(this); return this.#maxBytes; }
  get closed() { Pool.#check(this); return this.#closed; }
  get leakDetection() { Pool.#check(this); return this.#mode; }
  // false when the runtime forbids external buffers and the pool falls back
  // to memory owned by V8 (same API, no page reuse, no trim of that memory).
  get externalBuffers() { Pool.#check(this); return this.#external; }
  // Allocations of at most this many bytes are slices of shared slabs (not
  // detached on free); larger ones own their ArrayBuffer.
  get sliceMax() { Pool.#check(this); return this.#sliceMax; }

  alloc(size) {
    const h = Pool.#handle(this);
    // Kept small so it inlines: a slice from the free cache, else #allocSlice
    // (native slab slot) or #allocLarge (which also validates the size).
    if (typeof size === 'number' && size >= 1 && size <= this.#sliceMax && (size | 0) === size) {
      const way = cacheWay(size);
      const cached = this.#cacheList[way];
      if (this.#plain && cached.length !== 0 && this.#cacheSize[way] === size) {
        const tag = cached.pop();
        const offset = cached.pop();
        return new PoolBuffer(cached.pop(), offset, size, h, tag);
      }
      return this.#allocSlice(size, way, cached);
    }
    return this.#allocLarge(size);
  }

  #allocSlice(size, way, cached) {
    let buf;
    if (cached.length !== 0 && this.#cacheSize[way] === size) {
      const tag = cached.pop();
      const offset = cached.pop();
      buf = new PoolBuffer(cached.pop(), offset, size, this.#h, tag);
      if (this.#zeroFill) buf.fill(0);
    } else {
      let ab = native.poolAllocSmall(this.#h, size);
      if (ab === EXHAUSTED && this.#flush()) ab = native.poolAllocSmall(this.#h, size);
      if (typeof ab === 'number') throw this.#allocError(ab, size);
      buf = new PoolBuffer(ab, this.#scratch[SCRATCH_OFFSET], size, this.#h, this.#scratch[SCRATCH_TAG]);
    }
    if (this.#stacks !== null) this.#stacks.set(PoolBuffer.tagOf(buf), captureStack());
    return buf;
  }

  // Returns the cached slots to the core; true if there were any.
  #flush() {
    let any = false;
    for (const cached of this.#cacheList) {
      for (let i = 2; i < cached.length; i += 3) native.poolFree(this.#h, cached[i], undefined);
      any = any || cached.length !== 0;
      cached.length = 0;
    }
    return any;
  }

  #allocLarge(size) {
    checkInteger('size', size, 1, MAX_BYTES);
    if (size > this.#maxBytes) throw exhausted(size, this.#maxBytes);
    let ab = native.poolAllocLarge(this.#h, size);
    if (ab === EXHAUSTED && this.#flush()) ab = native.poolAllocLarge(this.#h, size);
    if (typeof ab === 'number') throw this.#allocError(ab, size);
    const tag = this.#scratch[SCRATCH_TAG];
    const buf = new PoolBuffer(ab, 0, size, this.#h, tag);
    if (this.#stacks !== null) this.#stacks.set(tag, captureStack());
    return buf;
  }

  #allocError(status, size) {
    if (status === EXHAUSTED) return exhausted(size, this.#maxBytes);
    if (status === NOMEM) return error('ERR_MEMCTL_NO_MEMORY', `cannot allocate ${size} bytes: the system refused memory`);
    return error('ERR_MEMCTL_POOL_INTERNAL', `allocation failed with status ${status}`);
  }

  free(buf) {
    const h = Pool.#handle(this);
    const tag = PoolBuffer.claim(buf, h);
    if (tag >= 0) {
      // A detached buffer (closed pool) has length 0 and takes the slow path.
      const size = buf.length;
      if (this.#plain && size <= this.#sliceMax && size !== 0) {
        const way = cacheWay(size);
        const cached = this.#cacheList[way];
        if (this.#cacheSize[way] === size && cached.length < 3 * CACHE_PER_SIZE) {
          cached.push(PoolBuffer.arrayBufferOf(buf), buf.byteOffset, tag);
          return;
        }
      }
      this.#freeSlow(buf, tag, size);
      return;
    }
    throw this.#freeError(tag, buf);
  }

  #freeSlow(buf, tag, size) {
    if (this.#stacks !== null) this.#stacks.delete(tag);
    if (size <= this.#sliceMax && size !== 0 && this.#cacheSlice(buf, size, tag)) return;
    // Only large buffers own (and must detach) their ArrayBuffer.
    const status = native.poolFree(this.#h, tag, size > this.#sliceMax ? buf.buffer : undefined);
    if (status !== 0) {
      PoolBuffer.unclaim(buf, tag);
      throw this.#freeError(status, buf);
    }
  }

  // Keeps a freed slice for the next alloc() of its size; false if its way
  // of the cache is full (or holds another size).
  #cacheSlice(buf, size, tag) {
    const way = cacheWay(size);
    const cached = this.#cacheList[way];
    if (this.#cacheSize[way] !== size) {
      if (cached.length !== 0) return false;
      this.#cacheSize[way] = size;
    }
    if (cached.length >= 3 * CACHE_PER_SIZE) return false;
    cached.push(PoolBuffer.arrayBufferOf(buf), buf.byteOffset, tag);
    return true;
  }

  #freeError(state, buf) {
    if (this.#closed) throw error('ERR_MEMCTL_CLOSED', 'the pool is closed');
    if (state === FREED) {
      return error('ERR_MEMCTL_POOL_DOUBLE_FREE', 'the buffer was already freed');
    }
    if (state === FOREIGN) {
      return error('ERR_MEMCTL_POOL_FOREIGN_BUFFER', 'the buffer belongs to another pool');
    }
    if (!ArrayBuffer.isView(buf)) {
      return typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `buf must be a Buffer returned by pool.alloc(), got ${describe(buf)}`);
    }
    if (state === NOT_A_POOL_BUFFER && buf.buffer instanceof ArrayBuffer && native.poolOwns(this.#h, buf.buffer)) {
      return error('ERR_MEMCTL_POOL_SLICE', 'free() takes the Buffer returned by alloc(), not a view or slice of it');
    }
    return error('ERR_MEMCTL_POOL_FOREIGN_BUFFER', 'the buffer was not allocated by this pool');
  }

  stats() {
    Pool.#check(this);
    if (!this.#closed) this.#flush();
    return native.poolStats(this.#h);
  }

  // Gives idle memory back to the system now: unmaps cached large regions
  // and returns the pages of empty slabs.
  trim() {
    Pool.#check(this);
    if (!this.#closed) this.#flush();
    native.poolTrim(this.#h);
  }

  offHeapBytes() {
    Pool.#check(this);
    if (this.#closed) return 0;
    this.#flush();
    return native.poolStats(this.#h).bytesInUse;
  }

  // Releases all memory.  Buffers still alive are detached (length 0).
  close() {
    Pool.#check(this);
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const cached of this.#cacheList) cached.length = 0;
    native.poolClose(this.#h);
    if (this.#stacks !== null) this.#stacks.clear();
  }

  #startDecay(weak, decayMs) {
    const period = Math.min(Math.max(decayMs / 2, 50), 2 ** 31 - 1);
    const timer = setInterval(() => {
      const self = weak.deref();
      if (self === undefined) clearInterval(timer);
      else if (!self.#closed) {
        self.#flush();
        native.poolDecay(self.#h);
      }
    }, period);
    this.#timer = timer;
    this.#timer.unref();
  }

  #drainLeaks() {
    if (this.#closed) return;
    const records = native.poolDrainLeaks(this.#h);
    for (let i = 0; i < records.length; i += 2) {
      const size = records[i];
      const tag = records[i + 1];
      const info = { size };
      if (this.#stacks !== null) {
        const stack = this.#stacks.get(tag);
        this.#stacks.delete(tag);
        if (stack !== undefined) info.stack = formatStack(stack);
      }
      this.emit('leak', info);
    }
  }
}

// Captures the call sites now; the text is only formatted (costly) if the
// allocation is ever reported as a leak.
function captureStack() {
  const holder = {};
  Error.captureStackTrace(holder, Pool.prototype.alloc);
  return holder;
}

function formatStack(holder) {
  return String(holder.stack).replace(/^Error\n/, 'Allocated:\n');
}

module.exports = { Pool };
