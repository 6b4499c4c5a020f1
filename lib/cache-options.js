'use strict';
// The options LRUCache accepts: lru-cache v11's (every one, by name) plus
// memctl's own, validated once at construction. Unknown names throw
// ERR_MEMCTL_UNKNOWN_OPTION: an ignored option that changes behaviour is the
// worst outcome for a drop-in.
const {
  typeError, checkInteger, checkOptions, checkBoolean, checkFunction, checkOneOf, describe,
} = require('./errors');

// The ttl bound and the policy names are defined once in C (native.CACHE).
const { TTL_MAX, POLICIES } = require('./native').CACHE;

// Options whose lru-cache semantics need per-entry records kept in JS (sizes,
// ttl starts, callbacks with the replaced value): any of them makes the cache
// "tracked". Without them every call stays a single native call.
const TRACKED = [
  'maxSize', 'maxEntrySize', 'sizeCalculation', 'dispose', 'disposeAfter', 'onInsert',
  'fetchMethod', 'perf', 'ttlAutopurge', 'updateAgeOnHas', 'noDeleteOnStaleGet', 'noUpdateTTL',
];

// ttlResolution only tunes lru-cache's clock reads: validated, no effect here
// (documented in docs/lru-cache-compat.md).

const CONSTRUCTOR = new Set([
  // lru-cache v11
  'max', 'ttl', 'ttlResolution', 'ttlAutopurge', 'updateAgeOnGet', 'updateAgeOnHas', 'allowStale',
  'dispose', 'onInsert', 'disposeAfter', 'noDisposeOnSet', 'noUpdateTTL', 'maxSize', 'maxEntrySize',
  'sizeCalculation', 'fetchMethod', 'memoMethod', 'noDeleteOnFetchRejection', 'noDeleteOnStaleGet',
  'allowStaleOnFetchRejection', 'allowStaleOnFetchAbort', 'ignoreFetchAbort', 'backgroundFetchSize',
  'perf',
  // memctl
  'maxBytes', 'onEvict', 'policy',
]);

const GET = ['allowStale', 'updateAgeOnGet', 'noDeleteOnStaleGet', 'status'];
const SET = ['ttl', 'start', 'noDisposeOnSet', 'size', 'sizeCalculation', 'noUpdateTTL', 'status'];
const FETCH_ONLY = ['noDeleteOnFetchRejection', 'allowStaleOnFetchRejection', 'ignoreFetchAbort',
  'allowStaleOnFetchAbort', 'context', 'forceRefresh', 'signal'];
// Per-call option names, by method (lru-cache's GetOptions, SetOptions, ...).
const CALL = {
  get: new Set(GET),
  set: new Set(SET),
  has: new Set(['updateAgeOnHas', 'status']),
  peek: new Set(['allowStale', 'status']),
  fetch: new Set([...GET, ...SET, ...FETCH_ONLY]),
  memo: new Set([...GET, ...SET, 'context', 'forceRefresh']),
};

function unknownOption(name, where) {
  return typeError('ERR_MEMCTL_UNKNOWN_OPTION',
    `${where}.${name} is not an option of memctl's LRUCache (nor of lru-cache v11); it was not ignored silently`);
}

// Throws for the first option name not in `allowed`; returns the options object.
function checkNames(where, o, allowed) {
  for (const name in o) if (!allowed.has(name)) throw unknownOption(name, where);
  return o;
}

function checkCallOptions(method, options) {
  return checkNames(`${method}() options`, checkOptions('options', options), CALL[method]);
}

// lru-cache's size-like options: 0 or absent = unset; else a positive integer
// (lru-cache throws TypeError, so this does too).
function lruCount(name, value, max = Number.MAX_SAFE_INTEGER) {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_VALUE',
      `${name} must be a positive integer (or 0 for none) up to ${max}, got ${describe(value)}`);
  }
  return value;
}

const checkTtl = (name, value) => lruCount(name, value, TTL_MAX);

const optBool = (o, name) => (o[name] === undefined ? false : checkBoolean(`options.${name}`, o[name]));
const optFn = (o, name) => (o[name] === undefined ? undefined : checkFunction(`options.${name}`, o[name]));

let warnedUnbounded = false;
function warnUnbounded() {
  if (warnedUnbounded) return;
  warnedUnbounded = true;
  // lru-cache's warning, with its type and code, so existing filters match.
  process.emitWarning('TTL caching without ttlAutopurge, max, maxSize or maxBytes can result in unbounded memory consumption.',
    'UnboundedCacheWarning', 'LRU_CACHE_UNBOUNDED');
}

/** Validates constructor options; returns the normalized settings. */
function parseOptions(options) {
  const o = checkNames('options', checkOptions('options', options), CONSTRUCTOR);
  const s = {
    source: { ...o },
    max: lruCount('options.max', o.max),
    maxBytes: o.maxBytes === undefined ? 0 : checkInteger('options.maxBytes', o.maxBytes, 0),
    maxSize: lruCount('options.maxSize', o.maxSize),
    maxEntrySize: lruCount('options.maxEntrySize', o.maxEntrySize),
    sizeCalculation: optFn(o, 'sizeCalculation'),
    ttl: checkTtl('options.ttl', o.ttl),
    ttlResolution: lruCount('options.ttlResolution', o.ttlResolution ?? 1),
    backgroundFetchSize: lruCount('options.backgroundFetchSize', o.backgroundFetchSize ?? 1),
    policy: o.policy === undefined ? 'lru' : checkOneOf('options.policy', o.policy, POLICIES),
    onEvict: optFn(o, 'onEvict'),
    dispose: optFn(o, 'dispose'),
    disposeAfter: optFn(o, 'disposeAfter'),
    onInsert: optFn(o, 'onInsert'),
    fetchMethod: optFn(o, 'fetchMethod'),
    memoMethod: optFn(o, 'memoMethod'),
    perf: o.perf,
  };
  for (const name of ['ttlAutopurge', 'updateAgeOnGet', 'updateAgeOnHas', 'allowStale', 'noDisposeOnSet',
    'noUpdateTTL', 'noDeleteOnFetchRejection', 'noDeleteOnStaleGet', 'allowStaleOnFetchRejection',
    'allowStaleOnFetchAbort', 'ignoreFetchAbort']) s[name] = optBool(o, name);
  if (s.perf !== undefined && (s.perf === null || typeof s.perf.now !== 'function')) {
    throw typeError('ERR_MEMCTL_INVALID_ARG_TYPE', `options.perf must have a now() method, got ${describe(s.perf)}`);
  }
  s.maxEntrySize ||= s.maxSize;
  if (s.sizeCalculation && !s.maxEntrySize) {
    throw typeError('ERR_MEMCTL_MISSING_OPTION', 'options.sizeCalculation needs options.maxSize or options.maxEntrySize');
  }
  if (!s.max && !s.maxBytes && !s.maxSize && !s.ttl) {
    throw typeError('ERR_MEMCTL_MISSING_OPTION',
      'LRUCache needs at least one of options.max, maxBytes, maxSize or ttl; for no practical bound use max: Number.MAX_SAFE_INTEGER');
  }
  if (!s.max && !s.maxBytes && !s.maxSize && !s.ttlAutopurge) warnUnbounded();
  s.tracked = TRACKED.some((name) => o[name] !== undefined && o[name] !== false && o[name] !== 0);
  return s;
}

module.exports = { parseOptions, checkCallOptions, checkTtl, TTL_MAX, CALL, CONSTRUCTOR };
