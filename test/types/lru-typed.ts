// Code written against lru-cache v11's types; test/js/types.test.js
// type-checks it as is (importing memctl) and with the import line switched
// to 'lru-cache', so the same code is proven valid for both: a drop-in with
// only the import changed.
import { LRUCache } from 'memctl';

declare function consume(...values: unknown[]): void;

interface User { id: number; name: string }

const disposer: LRUCache.Disposer<string, User> = (value, key, reason: LRUCache.DisposeReason) =>
  consume(value.name, key, reason);
const inserter: LRUCache.Inserter<string, User> = (value, key, reason: LRUCache.InsertReason) => consume(value, key, reason);
const sizer: LRUCache.SizeCalculator<string, User> = (value) => value.name.length + 1;

const options: LRUCache.Options<string, User, unknown> = {
  max: 500,
  maxSize: 5000,
  sizeCalculation: sizer,
  maxEntrySize: 100,
  ttl: 1000 * 60 * 5,
  ttlResolution: 1,
  ttlAutopurge: false,
  allowStale: false,
  updateAgeOnGet: false,
  updateAgeOnHas: false,
  noDeleteOnStaleGet: false,
  noUpdateTTL: false,
  noDisposeOnSet: false,
  dispose: disposer,
  disposeAfter: disposer,
  onInsert: inserter,
  perf: { now: () => performance.now() },
};
const users = new LRUCache<string, User>(options);
const status: LRUCache.Status<string, User> = {};
users.set('u1', { id: 1, name: 'ann' }, { ttl: 100, size: 4, status, noDisposeOnSet: true, start: performance.now() });
const u: User | undefined = users.get('u1', { allowStale: true, updateAgeOnGet: true, status });
const seen: boolean = users.has('u1', { updateAgeOnHas: true, status });
const p: User | undefined = users.peek('u1', { allowStale: false });
const found: User | undefined = users.find((v) => v.id === 1);
const remaining: number = users.getRemainingTTL('u1');
const entry: LRUCache.Entry<User> | undefined = users.info('u1');
const dumped: [string, LRUCache.Entry<User>][] = users.dump();
users.load(dumped);
consume(u, seen, p, found, remaining, entry, users.calculatedSize, users.maxSize, users.size, users.max, status.set, status.get);
users.forEach((v, k) => consume(v.id, k));
for (const [k, v] of users.entries()) consume(k, v.name);
consume(users.pop(), users.purgeStale(), users.delete('u1'));
users.clear();

// fetch with a context type (the third generic parameter)
interface Ctx { token: string }
const fetcher: LRUCache.Fetcher<string, User, Ctx> = async (key, stale, { signal, context, options: fo }) => {
  consume(signal.aborted, context.token, fo.ttl, stale);
  return { id: Number(key), name: key };
};
const remote = new LRUCache<string, User, Ctx>({
  max: 100,
  ttl: 60_000,
  fetchMethod: fetcher,
  allowStaleOnFetchRejection: true,
  allowStaleOnFetchAbort: false,
  ignoreFetchAbort: false,
  noDeleteOnFetchRejection: false,
});
async function load(): Promise<void> {
  const fs: LRUCache.Status<string, User, Ctx> = {};
  const a: User | undefined = await remote.fetch('7', { context: { token: 't' }, status: fs, forceRefresh: true, signal: new AbortController().signal });
  const b: User = await remote.forceFetch('8', { context: { token: 't' } });
  consume(a, b, fs.fetch);
}

// fetch without a context, memo
const plain = new LRUCache<string, number>({
  max: 10,
  fetchMethod: async (k) => k.length,
  memoMethod: (k, stale, { context }) => k.length + (stale ?? 0) + Number(context),
});
async function plainFetch(): Promise<number | undefined> {
  return plain.fetch('abc');
}
const m: number = plain.memo('abcd');
const fo: LRUCache.FetchOptions<string, number, unknown> = { allowStale: true };
const so: LRUCache.SetOptions<string, number, unknown> = { ttl: 5 };
const go: LRUCache.GetOptions<string, number, unknown> = { allowStale: true };
consume(load, plainFetch, m, fo, so, go);

// only maxSize, only ttl (with autopurge)
const bySize = new LRUCache<string, string>({ maxSize: 100, sizeCalculation: (v) => v.length });
const byTime = new LRUCache<string, string>({ ttl: 1000, ttlAutopurge: true });
consume(bySize, byTime);
