'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { setTimeout: sleep } = require('node:timers/promises');
const { Pool } = require('../..');

const KiB = 1024;
const MiB = 1024 * 1024;

function codeOf(fn) {
  try {
    fn();
  } catch (err) {
    return `${err.constructor.name}:${err.code}`;
  }
  return 'no error';
}

test('Pool is exported with its API', () => {
  const pool = new Pool({ maxBytes: MiB });
  for (const m of ['alloc', 'free', 'stats', 'trim', 'close', 'offHeapBytes', 'on']) {
    assert.strictEqual(typeof pool[m], 'function', m);
  }
  assert.strictEqual(pool.maxBytes, MiB);
  assert.strictEqual(pool.leakDetection, 'simple');
  pool.close();
});

test('bad constructor options throw with codes', () => {
  assert.strictEqual(codeOf(() => new Pool()), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => new Pool(5)), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => new Pool({})), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: '1' })), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: 1000 })), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: 1.5 * MiB + 0.5 })), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: MiB, zeroFill: 1 })), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: MiB, leakDetection: 'loud' })), 'TypeError:ERR_MEMCTL_INVALID_ARG_VALUE');
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: MiB, decayMs: -1 })), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: MiB, decayMs: NaN })), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
});

test('bad sizes throw with codes and change nothing', () => {
  const pool = new Pool({ maxBytes: MiB });
  assert.strictEqual(codeOf(() => pool.alloc(0)), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => pool.alloc(-1)), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => pool.alloc(NaN)), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => pool.alloc(10.5)), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => pool.alloc(Infinity)), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => pool.alloc('10')), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => pool.alloc()), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => pool.alloc(MiB + 1)), 'RangeError:ERR_MEMCTL_POOL_EXHAUSTED');
  assert.strictEqual(codeOf(() => pool.alloc(2 ** 60)), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  const s = pool.stats();
  assert.strictEqual(s.allocations, 0);
  assert.strictEqual(s.bytesInUse, 0);
  pool.close();
});

test('the budget is never exceeded, not even by one page', () => {
  const pool = new Pool({ maxBytes: MiB });
  const big = pool.alloc(MiB);
  assert.strictEqual(big.length, MiB);
  assert.strictEqual(codeOf(() => pool.alloc(1)), 'RangeError:ERR_MEMCTL_POOL_EXHAUSTED');
  assert.strictEqual(codeOf(() => pool.alloc(5000)), 'RangeError:ERR_MEMCTL_POOL_EXHAUSTED');
  const s = pool.stats();
  assert.strictEqual(s.bytesReserved, MiB);
  assert.strictEqual(s.failedAllocations, 2);
  pool.free(big);
  // The cached 1 MiB region is evicted to make room for other classes.
  const bufs = [];
  for (;;) {
    try {
      bufs.push(pool.alloc(300 * KiB));
    } catch (err) {
      assert.strictEqual(err.code, 'ERR_MEMCTL_POOL_EXHAUSTED');
      break;
    }
    assert.ok(pool.stats().bytesReserved <= MiB);
  }
  assert.strictEqual(bufs.length, 3); // 3 x 320 KiB (class size) fit, a 4th does not
  assert.ok(pool.stats().peakBytesReserved <= MiB);
  pool.close();
});

test('alloc returns Buffers of the exact size that do not overlap', () => {
  const pool = new Pool({ maxBytes: 16 * MiB });
  const sizes = [1, 15, 16, 17, 100, 1000, 4096, 4097, 10000, 65536, MiB];
  const bufs = sizes.map((n, i) => {
    const b = pool.alloc(n);
    assert.ok(Buffer.isBuffer(b));
    assert.ok(b instanceof Buffer);
    assert.strictEqual(b.length, n);
    b.fill(i + 1);
    return b;
  });
  bufs.forEach((b, i) => {
    assert.strictEqual(b[0], i + 1);
    assert.strictEqual(b[b.length - 1], i + 1);
    assert.strictEqual(b.toString('hex', 0, 1), (i + 1).toString(16).padStart(2, '0'));
  });
  // Buffer methods make plain Buffers, which free() refuses.
  assert.strictEqual(bufs[4].subarray(1).constructor, Buffer);
  for (const b of bufs) pool.free(b);
  assert.strictEqual(pool.stats().bytesInUse, 0);
  pool.close();
});

test('zeroFill returns zeroed memory even when it is reused', () => {
  const pool = new Pool({ maxBytes: 4 * MiB, zeroFill: true });
  for (const n of [100, 100000]) {
    const a = pool.alloc(n);
    a.fill(0xab);
    pool.free(a);
    const b = pool.alloc(n);
    assert.ok(b.every((x) => x === 0), `size ${n}`);
    pool.free(b);
  }
  pool.close();
});

test('double free, foreign buffers and views are errors with codes', () => {
  const pool = new Pool({ maxBytes: 4 * MiB });
  const other = new Pool({ maxBytes: 4 * MiB });
  for (const n of [64, 100000]) {
    const b = pool.alloc(n);
    assert.strictEqual(codeOf(() => pool.free(b.subarray(1))), 'Error:ERR_MEMCTL_POOL_SLICE');
    assert.strictEqual(codeOf(() => pool.free(b.subarray(0))), 'Error:ERR_MEMCTL_POOL_SLICE');
    assert.strictEqual(codeOf(() => other.free(b)), 'Error:ERR_MEMCTL_POOL_FOREIGN_BUFFER');
    pool.free(b);
    assert.strictEqual(codeOf(() => pool.free(b)), 'Error:ERR_MEMCTL_POOL_DOUBLE_FREE');
  }
  assert.strictEqual(codeOf(() => pool.free(Buffer.alloc(10))), 'Error:ERR_MEMCTL_POOL_FOREIGN_BUFFER');
  assert.strictEqual(codeOf(() => pool.free(Buffer.allocUnsafe(10))), 'Error:ERR_MEMCTL_POOL_FOREIGN_BUFFER');
  assert.strictEqual(codeOf(() => pool.free(new Uint8Array(10))), 'Error:ERR_MEMCTL_POOL_FOREIGN_BUFFER');
  assert.strictEqual(codeOf(() => pool.free(null)), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => pool.free({})), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(codeOf(() => pool.free('x')), 'TypeError:ERR_MEMCTL_INVALID_ARG_TYPE');
  assert.strictEqual(pool.stats().frees, 2);
  assert.strictEqual(pool.stats().liveAllocations, 0);
  pool.close();
  other.close();
});

test('sliceMax chooses which sizes are slab slices', () => {
  assert.strictEqual(new Pool({ maxBytes: MiB }).sliceMax, 64 * KiB);
  assert.strictEqual(new Pool({ maxBytes: MiB, sliceMax: 5000 }).sliceMax, 4096); // a class size
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: MiB, sliceMax: 64 * KiB + 1 })), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  assert.strictEqual(codeOf(() => new Pool({ maxBytes: MiB, sliceMax: -1 })), 'RangeError:ERR_MEMCTL_OUT_OF_RANGE');
  // sliceMax 0: every buffer owns its ArrayBuffer and is detached on free.
  const pool = new Pool({ maxBytes: MiB, sliceMax: 0 });
  assert.strictEqual(pool.sliceMax, 0);
  const b = pool.alloc(10);
  b.fill(1);
  assert.strictEqual(b.buffer.byteLength, 10);
  pool.free(b);
  assert.strictEqual(b.length, 0);
  assert.strictEqual(pool.stats().slabs, 0);
  pool.close();
  // Default: 64 KiB buffers are slices of a 1 MiB slab, 16 to a slab.
  const p2 = new Pool({ maxBytes: 4 * MiB });
  const bufs = Array.from({ length: 16 }, () => p2.alloc(64 * KiB));
  assert.ok(bufs.every((x) => x.buffer === bufs[0].buffer));
  assert.strictEqual(bufs[0].buffer.byteLength, MiB);
  assert.strictEqual(p2.stats().slabs, 1);
  const large = p2.alloc(64 * KiB + 1);
  assert.strictEqual(large.buffer.byteLength, 64 * KiB + 1);
  for (const x of bufs) p2.free(x);
  p2.free(large);
  p2.close();
});

test('slices held in the free cache are given back when the budget needs them', () => {
  const pool = new Pool({ maxBytes: MiB });
  const slices = Array.from({ length: 16 }, () => pool.alloc(64 * KiB)); // one 1 MiB slab
  assert.strictEqual(codeOf(() => pool.alloc(100 * KiB)), 'RangeError:ERR_MEMCTL_POOL_EXHAUSTED');
  for (const b of slices) pool.free(b);
  const large = pool.alloc(MiB); // the empty slab is purged to make room
  assert.strictEqual(large.length, MiB);
  const s = pool.stats();
  assert.strictEqual(s.bytesInUse, MiB);
  assert.strictEqual(s.bytesReserved, MiB);
  assert.strictEqual(s.frees, 16);
  pool.free(large);
  // and the slab comes back when slices are wanted again
  const again = pool.alloc(64 * KiB);
  again.fill(1);
  pool.free(again);
  pool.close();
});

test('a freed small buffer (slab slice) is returned and its slot reused', () => {
  const pool = new Pool({ maxBytes: MiB });
  const a = pool.alloc(100);
  const off = a.byteOffset;
  pool.free(a);
  const b = pool.alloc(100);
  // Slot reuse is LIFO: the same memory, as documented for slices.
  assert.strictEqual(b.byteOffset, off);
  assert.strictEqual(b.buffer, a.buffer);
  assert.strictEqual(codeOf(() => pool.free(a)), 'Error:ERR_MEMCTL_POOL_DOUBLE_FREE');
  pool.free(b);
  pool.close();
});

test('a freed large buffer reads as length 0 (its ArrayBuffer is detached)', () => {
  const pool = new Pool({ maxBytes: 4 * MiB });
  const b = pool.alloc(200000);
  b.fill(1);
  pool.free(b);
  assert.strictEqual(b.length, 0);
  assert.strictEqual(b.byteLength, 0);
  assert.strictEqual(b.buffer.byteLength, 0);
  assert.strictEqual(b[0], undefined);
  b[0] = 5; // writes to a detached buffer are ignored
  assert.strictEqual(b[0], undefined);
  assert.throws(() => b.readUInt8(0), RangeError);
  pool.close();
});

test('close() detaches live buffers and later calls throw ERR_MEMCTL_CLOSED', () => {
  const pool = new Pool({ maxBytes: 4 * MiB });
  const small = pool.alloc(50);
  const large = pool.alloc(300000);
  small.fill(1);
  large.fill(2);
  pool.close();
  assert.strictEqual(pool.closed, true);
  assert.strictEqual(small.length, 0);
  assert.strictEqual(large.length, 0);
  assert.strictEqual(pool.offHeapBytes(), 0);
  assert.strictEqual(codeOf(() => pool.alloc(10)), 'Error:ERR_MEMCTL_CLOSED');
  assert.strictEqual(codeOf(() => pool.alloc(100000)), 'Error:ERR_MEMCTL_CLOSED');
  assert.strictEqual(codeOf(() => pool.free(small)), 'Error:ERR_MEMCTL_CLOSED');
  assert.strictEqual(codeOf(() => pool.stats()), 'Error:ERR_MEMCTL_CLOSED');
  assert.strictEqual(codeOf(() => pool.trim()), 'Error:ERR_MEMCTL_CLOSED');
  pool.close(); // idempotent
});

test('stats() reports bytes, counts and size classes', () => {
  const pool = new Pool({ maxBytes: 8 * MiB });
  const a = pool.alloc(100);
  const b = pool.alloc(100);
  const c = pool.alloc(MiB - 100);
  pool.free(b);
  const s = pool.stats();
  assert.strictEqual(s.bytesInUse, MiB);
  assert.strictEqual(s.bytesInUseRounded, 112 + MiB);
  assert.strictEqual(s.bytesReserved, 64 * KiB + MiB);
  assert.strictEqual(s.peakBytesInUse, 100 + MiB);
  assert.strictEqual(s.maxBytes, 8 * MiB);
  assert.strictEqual(s.allocations, 3);
  assert.strictEqual(s.frees, 1);
  assert.strictEqual(s.liveAllocations, 2);
  assert.strictEqual(s.failedAllocations, 0);
  assert.strictEqual(s.leaks, 0);
  assert.strictEqual(s.slabs, 1);
  assert.strictEqual(s.regions, 2);
  // V8 counts the ArrayBuffers' own bytes; the pool reports the rounding.
  assert.strictEqual(s.externalMemory, 100);
  const small = s.classes.find((r) => r.size === 112);
  assert.deepStrictEqual(small, { size: 112, allocations: 2, live: 1, regions: 1, free: Math.floor(65536 / 112) - 1 });
  const large = s.classes.find((r) => r.size === MiB);
  assert.deepStrictEqual(large, { size: MiB, allocations: 1, live: 1, regions: 1, free: 0 });
  assert.strictEqual(pool.offHeapBytes(), MiB);
  const usage = require('../../lib/offheap').offHeapBytes();
  assert.ok(usage.pools >= MiB);
  pool.free(a);
  pool.free(c);
  assert.strictEqual(pool.stats().externalMemory, 0);
  pool.close();
});

test('trim() gives idle memory back and the pool keeps working', () => {
  const pool = new Pool({ maxBytes: 32 * MiB });
  const bufs = [pool.alloc(MiB), pool.alloc(3 * MiB), pool.alloc(10), pool.alloc(3000)];
  for (const b of bufs) pool.free(b);
  assert.ok(pool.stats().bytesReserved >= 4 * MiB);
  pool.trim();
  const s = pool.stats();
  assert.strictEqual(s.bytesReserved, 0);
  assert.strictEqual(s.trims, 1);
  const again = pool.alloc(10);
  again.fill(3);
  assert.strictEqual(again[9], 3);
  pool.free(again);
  pool.close();
});

test('idle memory decays by itself after decayMs', async () => {
  const pool = new Pool({ maxBytes: 8 * MiB, decayMs: 20 });
  pool.free(pool.alloc(MiB));
  assert.strictEqual(pool.stats().bytesReserved, MiB);
  for (let i = 0; i < 200 && pool.stats().bytesReserved !== 0; i++) await sleep(20);
  assert.strictEqual(pool.stats().bytesReserved, 0);
  assert.strictEqual(pool.stats().decayedBytes, MiB);
  pool.close();
});

test('a long random alloc/free sequence matches a model', () => {
  const maxBytes = 8 * MiB;
  const pool = new Pool({ maxBytes });
  const live = [];
  const stale = [];
  let inUse = 0;
  let allocs = 0;
  let seed = 42;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const sizeOf = () => [1 + rand(64), 1 + rand(4096), 4097 + rand(60000), 1 + rand(2 * MiB)][rand(4)];
  for (let step = 0; step < 5000; step++) {
    const op = rand(10);
    if (op < 5) {
      const size = sizeOf();
      let b;
      try {
        b = pool.alloc(size);
      } catch (err) {
        assert.strictEqual(err.code, 'ERR_MEMCTL_POOL_EXHAUSTED');
        continue;
      }
      const fill = 1 + rand(255);
      b.fill(fill);
      live.push({ b, size, fill });
      inUse += size;
      allocs++;
    } else if (op < 9 && live.length > 0) {
      const i = rand(live.length);
      const { b, size, fill } = live[i];
      assert.strictEqual(b.length, size);
      assert.strictEqual(b[0], fill);
      assert.strictEqual(b[size - 1], fill);
      assert.strictEqual(b[size >> 1], fill);
      pool.free(b);
      inUse -= size;
      live[i] = live[live.length - 1];
      live.pop();
      stale.push(b);
    } else if (stale.length > 0) {
      const b = stale[rand(stale.length)];
      assert.strictEqual(codeOf(() => pool.free(b)), 'Error:ERR_MEMCTL_POOL_DOUBLE_FREE');
    }
    const s = pool.stats();
    assert.strictEqual(s.bytesInUse, inUse);
    assert.strictEqual(s.liveAllocations, live.length);
    assert.strictEqual(s.allocations, allocs);
    assert.ok(s.bytesReserved <= maxBytes);
  }
  for (const { b } of live) pool.free(b);
  pool.trim();
  assert.strictEqual(pool.stats().bytesInUse, 0);
  assert.strictEqual(pool.stats().bytesReserved, 0);
  pool.close();
});
