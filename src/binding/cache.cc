// Binding for the cache core: converts keys and values between JS and the
// byte form the core stores, and nothing else.
//
// Key bytes: [tag][payload]; tag KEY_LATIN1 (every UTF-16 unit < 256, one byte
// each), KEY_UTF16 (raw UTF-16LE units), KEY_NUMBER (a canonical double),
// KEY_TRUE/KEY_FALSE/KEY_NULL/KEY_UNDEFINED (no payload) or KEY_BIGINT
// ([sign][64-bit words, no high zero words]), so keys compare as in a Map:
// 1, '1', 1n and true are four keys, and any string (lone surrogates, NULs)
// round-trips.
// Values carry a 4-bit core tag (VAL_*). Byte-valued entries (Buffers, typed
// arrays, serialized objects) are copied into a per-environment scratch
// Buffer and the native call returns a sentinel object; JS then copies them
// into a fresh Buffer (Buffer.allocUnsafe + copy is ~8x cheaper than
// napi_create_buffer_copy).
//
// Hot paths (get, set, has, delete, peek) use raw Node-API with the handle as
// the first argument; the rest uses node-addon-api.
#include "binding/common.h"
#include "binding/cache_codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern "C" {
#include "core/cache.h"
}

namespace memctl {

static const char kCacheKind[] = "Cache";

// Policy names, indexed by MC_CACHE_LRU/FIFO/SIEVE (exported as CACHE.POLICIES).
static const char *const kPolicyNames[] = {"lru", "fifo", "sieve"};
static_assert(MC_CACHE_LRU == 0 && MC_CACHE_FIFO == 1 && MC_CACHE_SIEVE == 2, "policy table");
static const int kPolicyCount = (int)(sizeof kPolicyNames / sizeof *kPolicyNames);

uint64_t TtlArg(double ms) {
  if (ms < 0) return MC_CACHE_TTL_DEFAULT;
  return ms > (double)MC_CACHE_TTL_MAX ? MC_CACHE_TTL_MAX : (uint64_t)ceil(ms);
}

int PolicyOf(const std::string &name) {
  for (int i = 0; i < kPolicyCount; i++)
    if (name == kPolicyNames[i]) return i;
  return -1;
}

const char *PolicyName(int policy) {
  return policy >= 0 && policy < kPolicyCount ? kPolicyNames[policy] : "lru";
}
// Per-cache option bits kept in Handle::user.
enum : uintptr_t { OPT_ALLOW_STALE = 1 };
// meta[] slots shared with lib/cache.js.
enum { META_LEN = 0, META_TAG = 1, META_OVERFLOW = 2 };

// ---- per-environment state ------------------------------------------------

struct CacheEnv {
  napi_ref sentinel = nullptr;
  napi_ref scratch_ref = nullptr;
  uint8_t *scratch = nullptr;
  size_t scratch_len = 0;
  napi_ref meta_ref = nullptr;
  uint32_t *meta = nullptr;
  napi_ref overflow = nullptr;   // a value too large for scratch, until taken
  double fake_now = -1;          // tests: a fixed clock (ms) when >= 0
  int64_t live = 0;              // caches of this environment not yet destroyed
};

static void FreeCacheEnv(void *p) { delete (CacheEnv *)p; }

static CacheEnv *GetCacheEnv(napi_env env) {
  EnvState *st = GetEnvState(env);
  if (!st->slot[SLOT_CACHE]) {
    st->slot[SLOT_CACHE] = new CacheEnv();
    st->slot_free[SLOT_CACHE] = FreeCacheEnv;
  }
  return (CacheEnv *)st->slot[SLOT_CACHE];
}

// The cache clock in ms (monotonic, >= 1), or the test clock when set.
uint64_t ClockMs(napi_env env) {
  CacheEnv *ce = GetCacheEnv(env);
  if (ce->fake_now >= 0) return (uint64_t)ce->fake_now;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

// Reading the clock is skipped while nothing in the cache can expire.
uint64_t NowMs(napi_env env, const mc_cache *c) {
  return mc_cache_uses_ttl(c) ? ClockMs(env) : 0;
}

// ---- errors ---------------------------------------------------------------

napi_value ThrowStatus(napi_env env, int r) {
  if (r == MC_CACHE_ETOOLARGE)
    return ThrowRaw(env, "RangeError", "ERR_MEMCTL_TOO_LARGE",
                    "the entry is larger than maxBytes (or 1 GiB) and was not stored");
  if (r == MC_CACHE_ENOMEM)
    return ThrowRaw(env, "Error", "ERR_MEMCTL_NO_MEMORY", "out of memory for the cache");
  return ThrowRaw(env, "Error", "ERR_MEMCTL_INTERNAL", "cache error");
}

// ---- handles --------------------------------------------------------------

struct Open {
  Handle *h;
  mc_cache *c;
};

// Reads the handle without napi_typeof (which walks a chain of type checks):
// napi_get_value_external itself rejects anything but an External.
static bool OpenCache(napi_env env, napi_value v, Open *o) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data ||
      ((Handle *)data)->kind != kCacheKind) {
    o->h = HandleOf(env, v, kCacheKind);  // sets the right exception
    return false;
  }
  o->h = (Handle *)data;
  if (!o->h->obj) {
    ThrowRaw(env, "Error", "ERR_MEMCTL_CLOSED", "the cache is closed");
    return false;
  }
  o->c = (mc_cache *)o->h->obj;
  return true;
}

// ---- strings --------------------------------------------------------------

// Stores the string as [tag?][bytes] into out (which has room for 1 + 2*len).
// Narrows to Latin-1 while checking that it may (one pass over the common
// case); a unit >= 256 restarts as raw UTF-16.
static size_t EncodeString(const Utf16 &s, uint8_t *out, bool with_tag, unsigned *tag) {
  size_t n = with_tag ? 1 : 0;
  char16_t any = 0;
  for (size_t i = 0; i < s.len; i++) {
    any |= s.units[i];
    out[n + i] = (uint8_t)s.units[i];
  }
  bool l1 = any < 256;
  if (with_tag) out[0] = l1 ? KEY_LATIN1 : KEY_UTF16;
  if (tag) *tag = l1 ? VAL_LATIN1 : VAL_UTF16;
  if (l1) return n + s.len;
  memcpy(out + n, s.units, s.len * 2);
  return n + s.len * 2;
}

static napi_value StringOut(napi_env env, const uint8_t *p, size_t n, bool utf16) {
  napi_value r;
  if (!utf16) {
    napi_create_string_latin1(env, (const char *)p, n, &r);
    return r;
  }
  size_t units = n / 2;
  char16_t stack[512];
  char16_t *buf = units <= 512 ? stack : (char16_t *)malloc(units * sizeof(char16_t));
  if (!buf) return ThrowStatus(env, MC_CACHE_ENOMEM);
  memcpy(buf, p, units * 2);  // the arena gives no alignment for the payload
  napi_create_string_utf16(env, buf, units, &r);
  if (buf != stack) free(buf);
  return r;
}

// ---- keys -----------------------------------------------------------------

static bool EncodeKeyString(napi_env env, napi_value v, Utf16 &s, Key *k) {
  if (!s.Finish(env, v, k->units, KEY_UNITS_CAP)) {
    ThrowStatus(env, MC_CACHE_ENOMEM);
    return false;
  }
  uint8_t *out = k->stack;
  if (1 + 2 * s.len > sizeof k->stack) {
    out = k->heap = (uint8_t *)malloc(1 + 2 * s.len);
    if (!out) {
      ThrowStatus(env, MC_CACHE_ENOMEM);
      return false;
    }
  }
  k->len = EncodeString(s, out, true, nullptr);
  k->data = out;
  return true;
}

// Reads a bigint's sign and 64-bit words into a buffer with `prefix` free
// bytes at its start: `stack` (cap bytes) when they fit, else a malloc'd
// *heap that the caller's destructor frees. NULL with a pending error when
// memory runs out.
static uint8_t *BigIntWords(napi_env env, napi_value v, size_t prefix, uint8_t *stack,
                            size_t cap, uint8_t **heap, int *sign, size_t *words) {
  *sign = 0;
  *words = 0;
  // Counting needs both sign and words NULL (Node-API rejects a mix).
  napi_get_value_bigint_words(env, v, NULL, words, NULL);
  size_t need = prefix + *words * 8;
  uint8_t *buf = stack;
  if (need > cap && !(buf = *heap = (uint8_t *)malloc(need))) {
    ThrowStatus(env, MC_CACHE_ENOMEM);
    return NULL;
  }
  if (*words) {
    uint64_t *w = (uint64_t *)malloc(*words * 8);  // Node-API writes aligned words
    if (!w) {
      ThrowStatus(env, MC_CACHE_ENOMEM);
      return NULL;
    }
    napi_get_value_bigint_words(env, v, sign, words, w);
    memcpy(buf + prefix, w, *words * 8);
    free(w);
  }
  return buf;
}

// A bigint key: [KEY_BIGINT][sign][words], high zero words dropped so each
// value has one encoding.
static bool EncodeBigIntKey(napi_env env, napi_value v, Key *k) {
  int sign;
  size_t words;
  uint8_t *out = BigIntWords(env, v, 2, k->stack, sizeof k->stack, &k->heap, &sign, &words);
  if (!out) return false;
  uint64_t top;
  while (words && (memcpy(&top, out + 2 + (words - 1) * 8, 8), top == 0)) words--;
  out[0] = KEY_BIGINT;
  out[1] = words ? (uint8_t)sign : 0;
  k->data = out;
  k->len = 2 + words * 8;
  return true;
}

// Keys other than strings and numbers (the slower, rarer path).
static bool ReadOtherKey(napi_env env, napi_value v, Key *k) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  uint8_t tag = 0;
  switch (t) {
    case napi_boolean: {
      bool b = false;
      napi_get_value_bool(env, v, &b);
      tag = b ? KEY_TRUE : KEY_FALSE;
      break;
    }
    case napi_null: tag = KEY_NULL; break;
    case napi_undefined: tag = KEY_UNDEFINED; break;
    case napi_bigint: return EncodeBigIntKey(env, v, k);
    default:
      ThrowRaw(env, "TypeError", "ERR_MEMCTL_INVALID_KEY",
               "cache keys must be strings, numbers, booleans, null, undefined or bigints: "
               "keys are copied off-heap, so object and symbol keys (compared by identity "
               "in lru-cache) cannot be kept");
      return false;
  }
  k->stack[0] = tag;
  k->data = k->stack;
  k->len = 1;
  return true;
}

// Tries the string read first: it is the type check for the common case, so
// no napi_typeof is needed.
bool ReadKey(napi_env env, napi_value v, Key *k) {
  Utf16 s;
  napi_status st = napi_get_value_string_utf16(env, v, k->units, KEY_UNITS_CAP, &s.len);
  if (st == napi_ok) return EncodeKeyString(env, v, s, k);
  double d;
  if (napi_get_value_double(env, v, &d) == napi_ok) {
    if (d == 0) d = 0;                 // -0 and 0 are one key, as in a Map
    if (isnan(d)) d = NAN;             // every NaN is one key
    k->stack[0] = KEY_NUMBER;
    memcpy(k->stack + 1, &d, 8);
    k->data = k->stack;
    k->len = 9;
    return true;
  }
  return ReadOtherKey(env, v, k);
}

static napi_value BigIntKeyOut(napi_env env, const uint8_t *p, size_t n) {
  size_t words = (n - 2) / 8;
  uint64_t stack[16] = {0};
  uint64_t *w = words <= 16 ? stack : (uint64_t *)malloc(words * 8);
  if (!w) return ThrowStatus(env, MC_CACHE_ENOMEM);
  if (words) memcpy(w, p + 2, words * 8);
  napi_value r;
  napi_create_bigint_words(env, p[1], words, w, &r);
  if (w != stack) free(w);
  return r;
}

napi_value KeyOut(napi_env env, const uint8_t *p, size_t n) {
  napi_value r;
  switch (p[0]) {
    case KEY_NUMBER: {
      double d;
      memcpy(&d, p + 1, 8);
      napi_create_double(env, d, &r);
      return r;
    }
    case KEY_TRUE:
    case KEY_FALSE:
      napi_get_boolean(env, p[0] == KEY_TRUE, &r);
      return r;
    case KEY_NULL:
      napi_get_null(env, &r);
      return r;
    case KEY_UNDEFINED:
      napi_get_undefined(env, &r);
      return r;
    case KEY_BIGINT:
      return BigIntKeyOut(env, p, n);
    default:
      return StringOut(env, p + 1, n - 1, p[0] == KEY_UTF16);
  }
}

// ---- values ---------------------------------------------------------------

static int ReadBytes(napi_env env, napi_value v, Value *out) {
  bool is = false;
  void *data = nullptr;
  size_t len = 0;
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value ab;
    napi_get_typedarray_info(env, v, &type, &count, &data, &ab, &offset);
    static const size_t size_of[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};
    len = count * (type <= napi_biguint64_array ? size_of[type] : 1);
  } else if (napi_is_dataview(env, v, &is), is) {
    napi_value ab;
    size_t offset;
    napi_get_dataview_info(env, v, &len, &data, &ab, &offset);
  } else if (napi_is_arraybuffer(env, v, &is), is) {
    napi_get_arraybuffer_info(env, v, &data, &len);
  } else {
    return READ_SERIAL;
  }
  out->data = len ? (const uint8_t *)data : out->stack;
  out->len = len;
  out->tag = VAL_BYTES;
  return READ_OK;
}

static int ReadString(napi_env env, napi_value v, Value *out) {
  Utf16 s;
  if (!s.Read(env, v, out->units, 512)) {
    ThrowStatus(env, MC_CACHE_ENOMEM);
    return READ_THROWN;
  }
  uint8_t *buf = out->stack;
  if (2 * s.len > sizeof out->stack) {
    buf = out->heap = (uint8_t *)malloc(2 * s.len);
    if (!buf) {
      ThrowStatus(env, MC_CACHE_ENOMEM);
      return READ_THROWN;
    }
  }
  out->len = EncodeString(s, buf, false, &out->tag);
  out->data = buf;
  return READ_OK;
}

static int ReadBigInt(napi_env env, napi_value v, Value *out) {
  int sign;
  size_t words;
  uint8_t *buf = BigIntWords(env, v, 1, out->stack, sizeof out->stack, &out->heap, &sign, &words);
  if (!buf) return READ_THROWN;
  buf[0] = (uint8_t)sign;
  out->data = buf;
  out->len = 1 + words * 8;
  out->tag = VAL_BIGINT;
  return READ_OK;
}

int ReadValue(napi_env env, napi_value v, Value *out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  switch (t) {
    case napi_string:
      return ReadString(env, v, out);
    case napi_number: {
      double d;
      napi_get_value_double(env, v, &d);
      memcpy(out->stack, &d, 8);
      out->data = out->stack;
      out->len = 8;
      out->tag = VAL_NUMBER;
      return READ_OK;
    }
    case napi_boolean: {
      bool b;
      napi_get_value_bool(env, v, &b);
      out->data = out->stack;
      out->len = 0;
      out->tag = b ? VAL_TRUE : VAL_FALSE;
      return READ_OK;
    }
    case napi_null:
      out->data = out->stack;
      out->len = 0;
      out->tag = VAL_NULL;
      return READ_OK;
    case napi_undefined:
      return READ_DELETE;
    case napi_bigint:
      return ReadBigInt(env, v, out);
    case napi_object:
      return ReadBytes(env, v, out);
    default:
      ThrowRaw(env, "TypeError", "ERR_MEMCTL_INVALID_VALUE",
               "cache values must be strings, numbers, booleans, null, bigints, "
               "Buffers, typed arrays or serializable objects");
      return READ_THROWN;
  }
}

// Returns the sentinel after putting bytes where lib/cache.js will take them.
static napi_value BytesViaScratch(napi_env env, const uint8_t *p, size_t n, unsigned tag) {
  CacheEnv *ce = GetCacheEnv(env);
  if (!ce->sentinel) return ThrowRaw(env, "Error", "ERR_MEMCTL_INTERNAL", "cacheInit not called");
  ce->meta[META_LEN] = (uint32_t)n;
  ce->meta[META_TAG] = tag;
  if (n <= ce->scratch_len) {
    memcpy(ce->scratch, p, n);
    ce->meta[META_OVERFLOW] = 0;
  } else {
    napi_value buf;
    void *dst;
    MC_CALL(napi_create_buffer_copy(env, n, p, &dst, &buf));
    if (ce->overflow) napi_delete_reference(env, ce->overflow);
    MC_CALL(napi_create_reference(env, buf, 1, &ce->overflow));
    ce->meta[META_OVERFLOW] = 1;
  }
  napi_value s;
  MC_CALL(napi_get_reference_value(env, ce->sentinel, &s));
  return s;
}

// direct: byte values become Buffers here (used where many values are
// returned at once); otherwise they go through the scratch Buffer.
napi_value ValueOut(napi_env env, const uint8_t *p, size_t n, unsigned tag, bool direct) {
  napi_value r;
  switch (tag) {
    case VAL_LATIN1: return StringOut(env, p, n, false);
    case VAL_UTF16: return StringOut(env, p, n, true);
    case VAL_NUMBER: {
      double d;
      memcpy(&d, p, 8);
      napi_create_double(env, d, &r);
      return r;
    }
    case VAL_TRUE:
    case VAL_FALSE:
      napi_get_boolean(env, tag == VAL_TRUE, &r);
      return r;
    case VAL_NULL:
      napi_get_null(env, &r);
      return r;
    case VAL_BIGINT: {
      size_t words = (n - 1) / 8;
      uint64_t stack[16];
      uint64_t *w = words <= 16 ? stack : (uint64_t *)malloc(words * 8);
      if (!w) return ThrowStatus(env, MC_CACHE_ENOMEM);
      memcpy(w, p + 1, words * 8);
      napi_create_bigint_words(env, p[0], words, w, &r);
      if (w != stack) free(w);
      return r;
    }
    default:
      if (!direct) return BytesViaScratch(env, p, n, tag);
      void *dst;
      MC_CALL(napi_create_buffer_copy(env, n, n ? p : (const uint8_t *)"", &dst, &r));
      return r;
  }
}

// ---- hot paths (raw Node-API) ----------------------------------------------

// The opening of every keyed hot path: the open cache behind hv and the key kv.
static inline bool OpenWithKey(napi_env env, napi_value hv, napi_value kv, Open *o, Key *k) {
  return OpenCache(env, hv, o) && ReadKey(env, kv, k);
}

static napi_value GetWith(napi_env env, napi_value hv, napi_value kv, int flags) {
  Open o;
  Key k;
  if (!OpenWithKey(env, hv, kv, &o, &k)) return NULL;
  if ((uintptr_t)o.h->user & OPT_ALLOW_STALE) flags |= MC_CACHE_ALLOW_STALE;
  mc_cache_view v;
  int r = mc_cache_get(o.c, k.data, k.len, NowMs(env, o.c), flags, &v);
  if (r == MC_CACHE_MISS) return Undefined(env);
  return ValueOut(env, v.val, v.vlen, v.tag, false);
}

// cacheGet(handle, key) -> value | undefined | SENTINEL
static napi_value CacheGet(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  return GetWith(env, argv[0], argv[1], 0);
}

// cachePeek(handle, key): no recency change, no stats.
static napi_value CachePeek(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  return GetWith(env, argv[0], argv[1], MC_CACHE_PEEK | MC_CACHE_NO_STATS | MC_CACHE_KEEP_STALE);
}

// cacheGetEx(handle, key, flags) with MC_CACHE_* flags from JS options.
static napi_value CacheGetEx(napi_env env, napi_callback_info info) {
  MC_ARGS(3);
  int32_t flags = 0;
  MC_CALL(napi_get_value_int32(env, argv[2], &flags));
  Open o;
  Key k;
  if (!OpenWithKey(env, argv[0], argv[1], &o, &k)) return NULL;
  mc_cache_view v;
  int r = mc_cache_get(o.c, k.data, k.len, NowMs(env, o.c), flags & 15, &v);
  if (r == MC_CACHE_MISS) return Undefined(env);
  return ValueOut(env, v.val, v.vlen, v.tag, false);
}

napi_value HasResult(napi_env env, mc_cache *c, const Key &k, uint64_t hash) {
  mc_cache_view v;
  int r = mc_cache_get_hashed(c, k.data, k.len, hash, NowMs(env, c),
                              MC_CACHE_PEEK | MC_CACHE_NO_STATS | MC_CACHE_KEEP_STALE, &v);
  return Bool(env, r == MC_CACHE_HIT);
}

napi_value DeleteResult(napi_env env, mc_cache *c, const Key &k, uint64_t hash) {
  return Bool(env, mc_cache_delete_hashed(c, k.data, k.len, hash, NowMs(env, c)) == 1);
}

static napi_value CacheHas(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  Open o;
  Key k;
  if (!OpenWithKey(env, argv[0], argv[1], &o, &k)) return NULL;
  return HasResult(env, o.c, k, mc_cache_hash(o.c, k.data, k.len));
}

static napi_value CacheDelete(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  Open o;
  Key k;
  if (!OpenWithKey(env, argv[0], argv[1], &o, &k)) return NULL;
  return DeleteResult(env, o.c, k, mc_cache_hash(o.c, k.data, k.len));
}

static napi_value SetWith(napi_env env, napi_value hv, napi_value kv, napi_value vv,
                          uint64_t ttl, bool serialized) {
  Open o;
  Key k;
  if (!OpenWithKey(env, hv, kv, &o, &k)) return NULL;
  Value val;
  int st = ReadValue(env, vv, &val);
  if (st == READ_THROWN) return NULL;
  bool timed = ttl != MC_CACHE_TTL_DEFAULT && ttl != 0;
  uint64_t now = timed ? ClockMs(env) : NowMs(env, o.c);
  if (st == READ_DELETE) {
    mc_cache_delete(o.c, k.data, k.len, now);
    return mc_cache_log_count(o.c) ? Int(env, SET_LOGGED) : Undefined(env);
  }
  if (st == READ_SERIAL) {
    if (!serialized) return Int(env, SET_NEEDS_SERIAL);
    return ThrowRaw(env, "TypeError", "ERR_MEMCTL_INVALID_VALUE", "expected serialized bytes");
  }
  if (serialized) val.tag = VAL_SERIAL;
  int r = mc_cache_set(o.c, k.data, k.len, val.data, val.len, val.tag, ttl, now);
  if (r < 0) return ThrowStatus(env, r);
  return mc_cache_log_count(o.c) ? Int(env, SET_LOGGED) : Undefined(env);
}

// cacheSet(handle, key, value) -> undefined | SET_*
static napi_value CacheSet(napi_env env, napi_callback_info info) {
  MC_ARGS(3);
  return SetWith(env, argv[0], argv[1], argv[2], MC_CACHE_TTL_DEFAULT, false);
}

// cacheSetEx(handle, key, value, ttl (-1 = the cache's), serialized) -> undefined | SET_*
static napi_value CacheSetEx(napi_env env, napi_callback_info info) {
  MC_ARGS(5);
  double ttl;
  bool serialized = false;
  MC_CALL(napi_get_value_double(env, argv[3], &ttl));
  MC_CALL(napi_get_value_bool(env, argv[4], &serialized));
  uint64_t t = TtlArg(ttl);
  return SetWith(env, argv[0], argv[1], argv[2], t, serialized);
}

// ---- the rest (node-addon-api) ----------------------------------------------

static mc_cache *CacheArg(const Napi::CallbackInfo &info) {
  Open o;
  if (!OpenCache(info.Env(), info[0], &o)) throw info.Env().GetAndClearPendingException();
  return o.c;
}

static double U64(uint64_t v) { return (double)v; }

static void CacheDestroy(void *obj) { mc_cache_destroy((mc_cache *)obj); }

static void OnCacheDestroyed(napi_env env, Handle *h) { GetCacheEnv(env)->live--; }

// cacheInit(sentinel, scratch: Buffer, meta: Uint32Array): once per environment.
static Napi::Value CacheInit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CacheEnv *ce = GetCacheEnv(env);
  if (!info[1].IsBuffer() || !info[2].IsTypedArray())
    Throw(env, "TypeError", "ERR_MEMCTL_INVALID_ARG_TYPE", "cacheInit(sentinel, Buffer, Uint32Array)");
  auto scratch = info[1].As<Napi::Buffer<uint8_t>>();
  auto meta = info[2].As<Napi::Uint32Array>();
  if (meta.ElementLength() < 3)
    Throw(env, "RangeError", "ERR_MEMCTL_OUT_OF_RANGE", "meta needs 3 elements");
  for (napi_ref *r : {&ce->sentinel, &ce->scratch_ref, &ce->meta_ref})
    if (*r) napi_delete_reference(env, *r), *r = nullptr;
  napi_create_reference(env, info[0], 1, &ce->sentinel);
  napi_create_reference(env, scratch, 1, &ce->scratch_ref);
  napi_create_reference(env, meta, 1, &ce->meta_ref);
  ce->scratch = scratch.Data();
  ce->scratch_len = scratch.Length();
  ce->meta = meta.Data();
  return env.Undefined();
}

// cacheTakeOverflow() -> the Buffer of the last value too large for scratch.
static Napi::Value CacheTakeOverflow(const Napi::CallbackInfo &info) {
  napi_env env = info.Env();
  CacheEnv *ce = GetCacheEnv(env);
  if (!ce->overflow) return info.Env().Undefined();
  napi_value v;
  napi_get_reference_value(env, ce->overflow, &v);
  napi_delete_reference(env, ce->overflow);
  ce->overflow = nullptr;
  return Napi::Value(env, v);
}

static uint64_t OptU64(const Napi::Value &v) {
  if (!v.IsNumber()) return 0;
  double d = v.As<Napi::Number>().DoubleValue();
  return d > 0 && d < 1.8e19 ? (uint64_t)d : 0;
}

// cacheCreate({ policy, max, maxBytes, ttl, updateAgeOnGet, allowStale, log, seed? })
// Arguments are validated in lib/cache.js; this re-checks only what the core needs.
static Napi::Value CacheCreate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) Throw(env, "TypeError", "ERR_MEMCTL_INVALID_ARG_TYPE", "options");
  Napi::Object o = info[0].As<Napi::Object>();
  mc_cache_config cfg;
  memset(&cfg, 0, sizeof cfg);
  std::string policy = o.Get("policy").ToString().Utf8Value();
  cfg.policy = PolicyOf(policy);
  if (cfg.policy < 0) Throw(env, "RangeError", "ERR_MEMCTL_INVALID_ARG_VALUE", "options.policy");
  cfg.max_entries = OptU64(o.Get("max"));
  cfg.max_bytes = OptU64(o.Get("maxBytes"));
  cfg.ttl_ms = OptU64(o.Get("ttl"));
  if (cfg.ttl_ms > MC_CACHE_TTL_MAX) cfg.ttl_ms = MC_CACHE_TTL_MAX;
  cfg.update_age_on_get = o.Get("updateAgeOnGet").ToBoolean();
  mc_cache *c = nullptr;
  int r = mc_cache_create(&cfg, &c);
  if (r != MC_CACHE_OK) Throw(env, "Error", "ERR_MEMCTL_NO_MEMORY", "cannot create the cache");
  mc_cache_log_enable(c, o.Get("log").ToBoolean());
  Handle *h = nullptr;
  napi_value ext = NewHandle(env, c, CacheDestroy, kCacheKind, &h);
  h->user = (void *)(o.Get("allowStale").ToBoolean() ? (uintptr_t)OPT_ALLOW_STALE : (uintptr_t)0);
  h->on_destroy = OnCacheDestroyed;
  GetCacheEnv(env)->live++;
  return Napi::Value(env, ext);
}

static Napi::Value CacheClose(const Napi::CallbackInfo &info) {
  Handle *h = HandleOf(info.Env(), info[0], kCacheKind);
  if (!h) throw info.Env().GetAndClearPendingException();
  return Napi::Boolean::New(info.Env(), HandleClose(info.Env(), h));
}

static Napi::Value CacheClear(const Napi::CallbackInfo &info) {
  mc_cache_clear(CacheArg(info));
  return info.Env().Undefined();
}

static napi_value CacheSize(napi_env env, napi_callback_info info) {
  MC_ARGS(1);
  Open o;
  if (!OpenCache(env, argv[0], &o)) return NULL;
  napi_value r;
  MC_CALL(napi_create_double(env, (double)mc_cache_size(o.c), &r));
  return r;
}

static Napi::Value CacheStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  mc_cache_stats st;
  mc_cache_get_stats(CacheArg(info), &st);
  Napi::Object o = Napi::Object::New(env);
  o.Set("hits", U64(st.hits));
  o.Set("misses", U64(st.misses));
  o.Set("sets", U64(st.sets));
  o.Set("deletes", U64(st.deletes));
  o.Set("evictions", U64(st.evictions));
  o.Set("expirations", U64(st.expirations));
  o.Set("entries", U64(st.entries));
  o.Set("bytes", U64(st.bytes));
  o.Set("arenaBytes", U64(st.arena_bytes));
  o.Set("indexBytes", U64(st.index_bytes));
  o.Set("totalBytes", U64(st.total_bytes));
  return o;
}

static Napi::Value CacheMemory(const Napi::CallbackInfo &info) {
  Open o;
  if (!OpenCache(info.Env(), info[0], &o)) {
    info.Env().GetAndClearPendingException();
    return Napi::Number::New(info.Env(), 0);
  }
  mc_cache_stats st;
  mc_cache_get_stats(o.c, &st);
  return Napi::Number::New(info.Env(), U64(st.total_bytes));
}

// Pushes key and/or value of one view onto arr (see CacheList for the stride).
static void PushEntry(napi_env env, Napi::Array &arr, uint32_t &n, const mc_cache_view &v,
                      int mode) {
  if (mode & 1) arr.Set(n++, Napi::Value(env, KeyOut(env, v.key, v.klen)));
  if (mode & 2) {
    arr.Set(n++, Napi::Value(env, ValueOut(env, v.val, v.vlen, v.tag, true)));
    arr.Set(n++, Napi::Boolean::New(env, v.tag == VAL_SERIAL));
  }
  if (mode & 4) {
    arr.Set(n++, Napi::Number::New(env, U64(v.ttl)));
    arr.Set(n++, Napi::Number::New(env, U64(v.expires_at)));
  }
}

static uint32_t FindKey(const Napi::CallbackInfo &info, mc_cache *c, size_t i) {
  if (info[i].IsUndefined()) return 0;
  Key k;
  if (!ReadKey(info.Env(), info[i], &k)) throw info.Env().GetAndClearPendingException();
  return mc_cache_find(c, k.data, k.len);
}

// cacheList(handle, dir, mode, afterKey, nextKey, max, includeStale)
// -> flat array: mode 1 keys [k...], 2 values [k, v, serial...], 3 both
// [k, v, serial...], 7 adds [..., ttl, expiresAt] for dump(); then one last
// element: the key of the entry after the batch, or undefined at the end.
// Starts at the first entry when both keys are undefined; else resumes after
// afterKey (the last one returned) or, if that entry is gone, at nextKey;
// if both are gone the iteration ends.
static Napi::Value CacheList(const Napi::CallbackInfo &info) {
  napi_env env = info.Env();
  mc_cache *c = CacheArg(info);
  int dir = info[1].As<Napi::Number>().Int32Value();
  int mode = info[2].As<Napi::Number>().Int32Value();
  uint32_t max = info[5].As<Napi::Number>().Uint32Value();
  bool stale = info[6].ToBoolean();
  uint32_t ref;
  if (info[3].IsUndefined() && info[4].IsUndefined()) {
    ref = mc_cache_first(c, dir);
  } else if ((ref = FindKey(info, c, 3)) != 0) {
    ref = mc_cache_next(c, ref, dir);
  } else {
    ref = FindKey(info, c, 4);
  }
  uint64_t now = NowMs(env, c);
  Napi::Array arr = Napi::Array::New(env);
  uint32_t n = 0;
  for (uint32_t i = 0; ref && i < max; ref = mc_cache_next(c, ref, dir)) {
    mc_cache_view v;
    mc_cache_view_of(c, ref, &v);
    if (!stale && v.expires_at && now > v.expires_at) continue;
    // The key always comes first: it is the resume point for the next batch.
    if (!(mode & 1)) arr.Set(n++, Napi::Value(env, KeyOut(env, v.key, v.klen)));
    PushEntry(env, arr, n, v, mode);
    i++;
  }
  if (ref) {
    mc_cache_view v;
    mc_cache_view_of(c, ref, &v);
    arr.Set(n++, Napi::Value(env, KeyOut(env, v.key, v.klen)));
  } else {
    arr.Set(n++, info.Env().Undefined());
  }
  return arr;
}

// cacheInfo(handle, key) -> [value, serial, ttl, expiresAt, now] | undefined
// (expired entries included; no recency change)
static Napi::Value CacheInfo(const Napi::CallbackInfo &info) {
  napi_env env = info.Env();
  mc_cache *c = CacheArg(info);
  Key k;
  if (!ReadKey(env, info[1], &k)) throw info.Env().GetAndClearPendingException();
  uint32_t ref = mc_cache_find(c, k.data, k.len);
  if (!ref) return info.Env().Undefined();
  mc_cache_view v;
  mc_cache_view_of(c, ref, &v);
  Napi::Array arr = Napi::Array::New(env, 5);
  arr.Set(0u, Napi::Value(env, ValueOut(env, v.val, v.vlen, v.tag, true)));
  arr.Set(1u, Napi::Boolean::New(env, v.tag == VAL_SERIAL));
  arr.Set(2u, U64(v.ttl));
  arr.Set(3u, U64(v.expires_at));
  arr.Set(4u, U64(NowMs(env, c)));
  return arr;
}

// cachePop(handle) -> [key, value, serial] | undefined
static Napi::Value CachePop(const Napi::CallbackInfo &info) {
  napi_env env = info.Env();
  mc_cache *c = CacheArg(info);
  mc_cache_view v;
  if (!mc_cache_pop(c, NowMs(env, c), &v)) return info.Env().Undefined();
  Napi::Array arr = Napi::Array::New(env, 3);
  uint32_t n = 0;
  PushEntry(env, arr, n, v, 3);
  return arr;
}

// cacheDrain(handle) -> undefined | [reason, key, value, serial, ...]
static Napi::Value CacheDrain(const Napi::CallbackInfo &info) {
  napi_env env = info.Env();
  Open o;
  if (!OpenCache(env, info[0], &o)) {
    info.Env().GetAndClearPendingException();
    return info.Env().Undefined();
  }
  if (!mc_cache_log_count(o.c)) return info.Env().Undefined();
  Napi::Array arr = Napi::Array::New(env);
  uint32_t n = 0;
  size_t pos = 0;
  int reason;
  mc_cache_view v;
  while (mc_cache_log_read(o.c, &pos, &reason, &v)) {
    arr.Set(n++, Napi::String::New(env, reason == MC_CACHE_EXPIRE ? "expire" : "evict"));
    PushEntry(env, arr, n, v, 3);
  }
  mc_cache_log_reset(o.c);
  return arr;
}

static Napi::Value CachePurgeStale(const Napi::CallbackInfo &info) {
  mc_cache *c = CacheArg(info);
  return Napi::Number::New(info.Env(), (double)mc_cache_purge_stale(c, NowMs(info.Env(), c), 0));
}

// cacheNow(handle) -> the cache clock (ms) used for ttl
static Napi::Value CacheNow(const Napi::CallbackInfo &info) {
  CacheArg(info);
  return Napi::Number::New(info.Env(), (double)ClockMs(info.Env()));
}

// cacheFakeClock(ms | undefined): tests only; a fixed clock for this environment.
static Napi::Value CacheFakeClock(const Napi::CallbackInfo &info) {
  CacheEnv *ce = GetCacheEnv(info.Env());
  ce->fake_now = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (ce->fake_now < 0 || ce->fake_now != ce->fake_now) ce->fake_now = -1;
  return info.Env().Undefined();
}

static Napi::Value CacheLive(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), (double)GetCacheEnv(info.Env())->live);
}

// The constants lib/cache.js shares with this file and the core, defined
// once (here and in cache.h) and read from the addon.
static Napi::Object CacheConstants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  auto num = [&](const char *name, double v) { c.Set(name, Napi::Number::New(env, v)); };
  num("VAL_LATIN1", VAL_LATIN1);
  num("VAL_UTF16", VAL_UTF16);
  num("VAL_NUMBER", VAL_NUMBER);
  num("VAL_TRUE", VAL_TRUE);
  num("VAL_FALSE", VAL_FALSE);
  num("VAL_NULL", VAL_NULL);
  num("VAL_BIGINT", VAL_BIGINT);
  num("VAL_BYTES", VAL_BYTES);
  num("VAL_SERIAL", VAL_SERIAL);
  num("SET_NEEDS_SERIAL", SET_NEEDS_SERIAL);
  num("SET_LOGGED", SET_LOGGED);
  num("GET_PEEK", MC_CACHE_PEEK);
  num("GET_NO_STATS", MC_CACHE_NO_STATS);
  num("GET_ALLOW_STALE", MC_CACHE_ALLOW_STALE);
  num("GET_KEEP_STALE", MC_CACHE_KEEP_STALE);
  num("NEWEST_FIRST", MC_CACHE_NEWEST_FIRST);
  num("OLDEST_FIRST", MC_CACHE_OLDEST_FIRST);
  num("TTL_MAX", (double)MC_CACHE_TTL_MAX);
  num("INDEX_CHARGE", MC_CACHE_INDEX_CHARGE);
  Napi::Array names = Napi::Array::New(env, kPolicyCount);
  for (uint32_t i = 0; i < names.Length(); i++) names.Set(i, Napi::String::New(env, kPolicyNames[i]));
  c.Set("POLICIES", names);
  c.Freeze();
  return c;
}

void InitCache(Napi::Env env, Napi::Object exports) {
  static const FunctionDef functions[] = {
      {"cacheGet", CacheGet},
      {"cachePeek", CachePeek},
      {"cacheGetEx", CacheGetEx},
      {"cacheHas", CacheHas},
      {"cacheDelete", CacheDelete},
      {"cacheSet", CacheSet},
      {"cacheSetEx", CacheSetEx},
      {"cacheSize", CacheSize},
      {"cacheInit", Adapt<CacheInit>},
      {"cacheTakeOverflow", Adapt<CacheTakeOverflow>},
      {"cacheCreate", Adapt<CacheCreate>},
      {"cacheClose", Adapt<CacheClose>},
      {"cacheClear", Adapt<CacheClear>},
      {"cacheStats", Adapt<CacheStats>},
      {"cacheMemory", Adapt<CacheMemory>},
      {"cacheList", Adapt<CacheList>},
      {"cacheInfo", Adapt<CacheInfo>},
      {"cachePop", Adapt<CachePop>},
      {"cacheDrain", Adapt<CacheDrain>},
      {"cachePurgeStale", Adapt<CachePurgeStale>},
      {"cacheNow", Adapt<CacheNow>},
      {"cacheFakeClock", Adapt<CacheFakeClock>},
      {"cacheLive", Adapt<CacheLive>},
  };
  DefineFunctions(env, exports, functions);
  exports.Set("CACHE", CacheConstants(env));
}

}  // namespace memctl
