// ES module (node16/nodenext) imports of memctl, type-checked with tsc --strict
// by test/js/types.test.js: named imports of every entry point.
import { LRUCache, LimitableMap, Pool, LeakWatcher, usage, HeapDiff, parseSnapshotSync } from 'memctl';
import type { CacheKey } from 'memctl';
import memwatch, { gc, configure, on, once, off, HeapDiff as MwHeapDiff } from 'memctl/memwatch';
import heapdump, { writeSnapshot, signalHandlerInstalled } from 'memctl/heapdump';

declare function consume(...values: unknown[]): void;

const cache = new LRUCache<CacheKey, number>({ max: 10 });
cache.set('a', 1);
const n: number | undefined = cache.get('a');
consume(n, LimitableMap, Pool, LeakWatcher, usage(), HeapDiff, parseSnapshotSync);
on('stats', (s) => consume(s.num_full_gc));
once('leak', (r) => consume(r.growth));
off('stats', () => {});
configure({});
consume(memwatch.gc, gc, MwHeapDiff);
const ok: boolean = writeSnapshot('x.heapsnapshot');
consume(ok, signalHandlerInstalled, heapdump.writeSnapshot);
