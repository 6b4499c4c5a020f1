// Type-checked with `tsc --noEmit --strict` (test/js/types.test.js): every
// public API of memctl, memctl/memwatch and memctl/heapdump used as a user
// would, through the package's own "exports" (self-reference by name).
// Lines marked @ts-expect-error must stay errors: misuse has to be rejected.
import { EventEmitter } from 'events';
import {
  LRUCache, LimitableMap, Pool, LeakWatcher, usage,
  writeSnapshot, writeSnapshotAsync, defaultSnapshotName, parseSnapshot, parseSnapshotSync,
  ParsedSnapshot, analyzeSnapshot, diffSnapshots, findLeaks, HeapDiff, snapshotOn,
} from 'memctl';
import type {
  CacheKey, CacheValue, EvictionReason, CachePolicy, LRUCacheOptions, LRUCacheEntry, LRUCacheInfo, CacheStats,
  PoolOptions, PoolStats, PoolLeak, PoolClassStats, LeakDetection,
  LeakWatcherOptions, GaugeOptions, GcStats, LeakReport, GaugeGrowthReport, GaugeError, MemoryUsage, CgroupMemory,
  SnapshotSource, ParseOptions, SnapshotSummary, ClassSummary, HeapDiffResult, LeakCandidate, RetainerStep,
  SnapshotOnOptions,
} from 'memctl';
import memwatch = require('memctl/memwatch');
import heapdump = require('memctl/heapdump');
import * as heapdumpNs from 'memctl/heapdump';

declare function consume(...values: unknown[]): void;

// ---------------------------------------------------------------------------
// LRUCache

function caches(): void {
  const opts: LRUCacheOptions<string, { n: number }> = {
    max: 100,
    maxBytes: 1 << 20,
    ttl: 1000,
    updateAgeOnGet: true,
    allowStale: false,
    policy: 'fifo',
    onEvict: (key: string, value: { n: number }, reason: EvictionReason) => consume(key, value.n, reason),
    dispose: (value, key, reason) => consume(value.n, key.length, reason),
  };
  const cache = new LRUCache<string, { n: number }>(opts);
  const chained: LRUCache<string, { n: number }> = cache.set('a', { n: 1 }).set('b', { n: 2 }, { ttl: 50 });
  const v: { n: number } | undefined = cache.get('a');
  const stale = cache.get('a', { allowStale: true });
  const peeked = cache.peek('b', { allowStale: false });
  const has: boolean = cache.has('a');
  const deleted: boolean = cache.delete('a');
  const popped: { n: number } | undefined = cache.pop();
  const purged: boolean = cache.purgeStale();
  const remaining: number = cache.getRemainingTTL('b');
  const info: LRUCacheInfo<{ n: number }> | undefined = cache.info('b');
  for (const k of cache.keys()) consume(k.toUpperCase());
  for (const val of cache.values()) consume(val.n);
  for (const [k, val] of cache.entries()) consume(k, val.n);
  for (const k of cache.rkeys()) consume(k);
  for (const val of cache.rvalues()) consume(val);
  for (const [k, val] of cache.rentries()) consume(k, val);
  for (const [k, val] of cache) consume(k, val.n);
  cache.forEach((val, key, self) => consume(val.n, key, self.size), null);
  cache.rforEach(function (this: unknown, val, key) { consume(this, val, key); });
  const dump: Array<[string, LRUCacheEntry<{ n: number }>]> = cache.dump();
  cache.load(dump);
  cache.load([['x', { value: { n: 3 }, ttl: 10, start: Date.now() }]]);
  const stats: CacheStats = cache.stats();
  const bytes: number = cache.offHeapBytes() + stats.totalBytes + stats.hits;
  const cfg = [cache.max, cache.maxBytes, cache.ttl, cache.allowStale, cache.updateAgeOnGet, cache.size] as const;
  const policy: CachePolicy = cache.policy;
  const sieve: 'lru' | 'fifo' | 'sieve' = new LRUCache({ max: 2, policy: 'sieve' }).policy;
  const tag: 'LRUCache' = cache[Symbol.toStringTag];
  cache.set('gone', undefined);
  cache.clear();
  cache.close();
  consume(chained, v, stale, peeked, has, deleted, popped, purged, remaining, info, bytes, cfg, policy, sieve, tag);

  // Defaults: string or number keys, any value.
  const any = new LRUCache({ max: 10 });
  const key: CacheKey = 1;
  any.set(key, { deep: [1, 2] }).set('1', 'x');
  const value: CacheValue = 12n;
  any.set(2, value);
  // @ts-expect-error keys are strings or numbers
  any.set({}, 1);
  // @ts-expect-error the options are required (max or maxBytes)
  new LRUCache();
  // @ts-expect-error policy is 'lru' or 'fifo'
  new LRUCache({ max: 1, policy: 'lfu' });
  // @ts-expect-error values of a typed cache are checked
  cache.set('a', 'not an object');
  any.close();

  const map = new LimitableMap<number, string>(5);
  const sieveMap: 'fifo' | 'sieve' = new LimitableMap(3, { policy: 'sieve' }).policy;
  consume(sieveMap);
  const same: LimitableMap<number, string> = map.set(1, 'a').set(2, 'b');
  const got: string | undefined = map.get(1);
  consume(same, got, map.has(1), map.delete(2), map.limit, map.size, map.offHeapBytes(), map.stats().entries);
  for (const [k, s] of map) consume(k.toFixed(), s.length);
  for (const k of map.keys()) consume(k);
  for (const s of map.values()) consume(s);
  for (const [k, s] of map.entries()) consume(k, s);
  map.forEach((s, k, self) => consume(s, k, self.limit));
  const mapTag: 'LimitableMap' = map[Symbol.toStringTag];
  map.clear();
  map.close();
  consume(mapTag, new LimitableMap());
}

// ---------------------------------------------------------------------------
// Pool

function pools(): void {
  const detection: LeakDetection = 'paranoid';
  const options: PoolOptions = { maxBytes: 1 << 24, zeroFill: true, leakDetection: detection, decayMs: Infinity, sliceMax: 4096 };
  const pool = new Pool(options);
  const buf: Buffer = pool.alloc(1024);
  buf.writeUInt32LE(1, 0);
  pool.free(buf);
  const stats: PoolStats = pool.stats();
  const classes: PoolClassStats[] = stats.classes;
  const first = classes[0];
  if (first) consume(first.size, first.live, first.regions, first.free, first.allocations);
  consume(stats.bytesInUse, stats.bytesReserved, stats.peakBytesInUse, stats.leaks, stats.externalMemory);
  pool.on('leak', (leak: PoolLeak) => consume(leak.size, leak.stack?.split('\n')));
  pool.once('leak', (leak) => consume(leak.size));
  const emitter: EventEmitter = pool;
  pool.trim();
  const held: number = pool.offHeapBytes();
  consume(emitter, held, pool.maxBytes, pool.closed, pool.leakDetection, pool.externalBuffers, pool.sliceMax);
  pool.close();
  // @ts-expect-error maxBytes is required
  new Pool({});
  // @ts-expect-error leakDetection is 'off' | 'simple' | 'paranoid'
  new Pool({ maxBytes: 65536, leakDetection: 'all' });
}

// ---------------------------------------------------------------------------
// LeakWatcher and usage()

function leaks(): void {
  const options: LeakWatcherOptions = {
    interval: 500, detector: 'trend', consecutive: 5, minGrowth: 1 << 20,
    minDuration: 10000, minSamples: 6, history: 128, warmup: 1000,
  };
  const watcher = new LeakWatcher(options);
  const started: LeakWatcher = watcher.start();
  watcher.on('stats', (s: GcStats) => consume(s.num_full_gc, s.heap_compactions, s.usage_trend, s.current_base, s.gcDuration));
  watcher.on('leak', (r: LeakReport) => consume(r.start.getTime(), r.end, r.growth, r.reason, r.rate, r.detector));
  watcher.on('growth', (r: GaugeGrowthReport) => consume(r.name, r.value, r.unit, r.samples));
  watcher.on('error', (e: GaugeError) => consume(e.code, e.gauge, e.cause));
  watcher.once('leak', (r) => consume(r.startValue, r.endValue));
  const gaugeOptions: GaugeOptions = { unit: 'bytes', detector: 'consecutive', consecutive: 3 };
  watcher.gauge('handles', () => 3, gaugeOptions).gauge('queue', () => 1);
  const removed: boolean = watcher.removeGauge('queue');
  const names: string[] = watcher.gauges();
  watcher.sampleGauges();
  const stats: GcStats = watcher.stats();
  const detector: 'trend' | 'consecutive' = watcher.detector;
  const running: boolean = watcher.running;
  watcher.stop().close();
  // @ts-expect-error a gauge returns a number
  watcher.gauge('bad', () => 'x');
  // @ts-expect-error detector is 'trend' or 'consecutive'
  new LeakWatcher({ detector: 'fast' });

  const u: MemoryUsage = usage();
  const cg: CgroupMemory | null = u.cgroup;
  const limit: number | null = cg ? cg.limit : null;
  consume(started, removed, names, stats, detector, running, u.offHeap.total, u.offHeap.caches, u.v8.heap_size_limit,
    u.system.free, u.heapSizeLimit, limit);
}

// ---------------------------------------------------------------------------
// Snapshots

async function snapshots(): Promise<void> {
  const name: string = defaultSnapshotName();
  const written: string | undefined = writeSnapshot();
  writeSnapshot('a.heapsnapshot');
  writeSnapshot((err, file) => consume(err?.message, file));
  writeSnapshot('b.heapsnapshot', (err: Error | null, file?: string) => consume(err, file));
  const file: string = await writeSnapshotAsync('c.heapsnapshot');
  // @ts-expect-error the file name is a string
  writeSnapshot(42);

  const parseOptions: ParseOptions = {
    onProgress: ({ bytesRead, totalBytes }) => consume(bytesRead, totalBytes ?? 0),
    retained: true, maxMemory: 1 << 30, dominators: 'plain',
  };
  const fromPath: ParsedSnapshot = await parseSnapshot(file, parseOptions);
  const source: SnapshotSource = (async function* () { yield Buffer.from('{}'); })();
  const fromIterable = await parseSnapshot(source);
  const sync: ParsedSnapshot = parseSnapshotSync(Buffer.from('{}'), { retained: false });
  parseSnapshotSync([Buffer.from('{'), '}']);
  parseSnapshotSync(file);
  const summary: SnapshotSummary = fromPath.summary({ retained: true, top: 10 });
  const classes: ClassSummary[] = summary.classes;
  consume(classes.map((c) => [c.name, c.count, c.selfSize, c.retainedSize]), summary.totalSize);
  consume(fromPath.nodeCount, fromPath.edgeCount, fromPath.totalSize, fromPath.nativeBytes, fromPath.closed);
  // @ts-expect-error a ParsedSnapshot comes from parseSnapshot(), not new
  new ParsedSnapshot();

  const analyzed: SnapshotSummary = await analyzeSnapshot(file, { top: 5, retained: false, maxMemory: 1 << 30 });
  const diff: HeapDiffResult = await diffSnapshots(fromPath, file, { dominators: 'devtools' });
  consume(diff.before.size_bytes, diff.after.nodes, diff.change.freed_nodes, diff.change.details.map((d) => d['+'] - d['-']));
  const found: LeakCandidate[] = await findLeaks(file, fromPath, sync, { top: 3 });
  for (const leak of found) {
    const path: RetainerStep[] = leak.retainerPath;
    for (const step of path) consume(step.node.name, step.node.id, step.edge?.name, step.edge?.type);
    // @ts-expect-error the first step (the root) has no edge: edge is null there
    consume(path[0].edge.name);
    consume(leak.name, leak.count, leak.selfSize, leak.retainedSize);
  }

  const hd = new HeapDiff();
  const ended: HeapDiffResult = hd.end();
  const endedAsync: HeapDiffResult = await new HeapDiff().endAsync();

  const onOptions: SnapshotOnOptions = {
    leak: true, heapLimitRatio: 0.9, directory: '/tmp', minIntervalMs: 60000, pollIntervalMs: 1000,
    onSnapshot: (i) => consume(i.filename, i.reason, i.detail), onError: (e) => consume(e.message),
    heapStatistics: () => ({ used_heap_size: 1, heap_size_limit: 2 }),
  };
  const stop: () => void = snapshotOn(new LeakWatcher(), onOptions);
  snapshotOn(null, { heapLimitRatio: false });
  stop();
  fromPath.close();
  fromIterable.close();
  sync.close();
  consume(name, written, analyzed, ended, endedAsync);
}

// ---------------------------------------------------------------------------
// memctl/memwatch and memctl/heapdump (drop-ins)

function dropIns(): void {
  memwatch.on('stats', (s) => consume(s.num_full_gc, s.estimated_base, s.min, s.max));
  memwatch.on('leak', (r) => consume(r.reason, r.growth));
  memwatch.once('stats', (s: GcStats) => consume(s.usage_trend));
  const same: typeof memwatch = memwatch.configure({ detector: 'consecutive', consecutive: 5 });
  memwatch.gc();
  const diff = new memwatch.HeapDiff();
  consume(same, diff.end());
  const emitter: EventEmitter = memwatch;
  consume(emitter);

  const ok: boolean = heapdump.writeSnapshot();
  heapdump.writeSnapshot('x.heapsnapshot');
  heapdump.writeSnapshot((err, filename) => consume(err, filename));
  heapdump.writeSnapshot('y.heapsnapshot', (err) => consume(err));
  const installed: boolean = heapdump.signalHandlerInstalled && heapdumpNs.signalHandlerInstalled;
  // @ts-expect-error heapdump's writeSnapshot returns a boolean, not a name
  const wrong: string = heapdump.writeSnapshot();
  consume(ok, installed, wrong);
}

consume(caches, pools, leaks, snapshots, dropIns);
