// Binding for SharedCache (src/core/shm.c): opens the shared segment and runs
// each keyed operation on the key's shard under its lock. Keys and values use
// the cache's byte form (cache_codec.h). Values are copied out before the
// shard is unlocked, so no view into shared memory escapes the lock.
//
// Hot paths (get, set, has, delete) are raw Node-API with the handle first.
#include "binding/common.h"
#include "binding/cache_codec.h"

#include <errno.h>
#include <math.h>
#include <string.h>

extern "C" {
#include "core/shm.h"
}

namespace memctl {

static const char kSharedKind[] = "SharedCache";

// ---- errors ---------------------------------------------------------------

static const char *ShmCode(int r) {
  switch (r) {
    case MC_SHM_EINVAL: return "ERR_MEMCTL_INVALID_ARG_VALUE";
    case MC_SHM_ENOSPC: return "ERR_MEMCTL_SHM_NO_SPACE";
    case MC_SHM_ETRUNCATED: return "ERR_MEMCTL_SHM_TRUNCATED";
    case MC_SHM_ECORRUPT: return "ERR_MEMCTL_SHM_CORRUPT";
    case MC_SHM_EVERSION: return "ERR_MEMCTL_SHM_VERSION";
    case MC_SHM_ENOTREADY: return "ERR_MEMCTL_SHM_NOT_READY";
    case MC_SHM_ESTALE: return "ERR_MEMCTL_SHM_STALE";
    case MC_SHM_EOPTION: return "ERR_MEMCTL_SHM_OPTION_MISMATCH";
    case MC_SHM_ENOROBUST: return "ERR_MEMCTL_UNSUPPORTED_PLATFORM";
    case MC_SHM_ENOENT: return "ERR_MEMCTL_SHM_NOT_FOUND";
    case MC_SHM_ELOCK: return "ERR_MEMCTL_SHM_LOCK";
    default: return "ERR_MEMCTL_SHM_SYSTEM";
  }
}

[[noreturn]] static void ThrowShm(Napi::Env env, int r, int err, const char *bad,
                                  const std::string &what) {
  std::string msg = what + ": " + mc_shm_strerror(r);
  if (bad) msg += std::string(" (option ") + bad + ")";
  if (err && (r == MC_SHM_ESYS || r == MC_SHM_ENOSPC)) msg += std::string(": ") + strerror(err);
  Throw(env, r == MC_SHM_EINVAL ? "RangeError" : "Error", ShmCode(r), msg);
}

// ---- handles --------------------------------------------------------------

static mc_shm *ShmOf(napi_env env, napi_value v) {
  return (mc_shm *)HandleGet(env, v, kSharedKind);
}

// The opening of every keyed call: the open segment behind hv and the key kv.
static bool OpenWithKey(napi_env env, napi_value hv, napi_value kv, mc_shm **s, Key *k) {
  *s = ShmOf(env, hv);
  return *s && ReadKey(env, kv, k);
}

// The shard of a key, locked; unlocks when it goes out of scope.
struct Locked {
  mc_shm *s = nullptr;
  uint32_t shard = 0;
  uint64_t hash = 0;  // the key's mc_shm_hash: pass it to the mc_cache_*_hashed calls
  mc_cache *c = nullptr;
  ~Locked() {
    if (c) mc_shm_unlock(s, shard);
  }
  bool Lock(napi_env env, mc_shm *shm, uint64_t key_hash) {
    s = shm;
    hash = key_hash;
    shard = mc_shm_shard_of_hash(s, hash);
    int err = 0;
    c = mc_shm_lock(s, shard, &err);
    if (!c) ThrowRaw(env, "Error", "ERR_MEMCTL_SHM_LOCK", mc_shm_strerror(MC_SHM_ELOCK));
    return c != nullptr;
  }
};

// The opening of every keyed call that needs no value first: the segment, the
// key, and its shard locked.
static bool LockKey(napi_env env, napi_value hv, napi_value kv, Key *k, Locked *l) {
  mc_shm *s;
  return OpenWithKey(env, hv, kv, &s, k) && l->Lock(env, s, mc_shm_hash(s, k->data, k->len));
}

// ---- hot paths (raw Node-API) ----------------------------------------------

// A value read out of the segment: its bytes live here, not in shared memory,
// so the JS value is made after the shard's lock is released (making it may
// run V8's GC, which must never happen while another process waits).
struct ValueCopy {
  uint8_t stack[1024];
  uint8_t *heap = nullptr;
  uint8_t *data = stack;
  mc_cache_copy c{};
  ~ValueCopy() { free(heap); }
  bool Take(const mc_cache_view &v) {
    if (v.vlen > sizeof stack) {
      heap = (uint8_t *)malloc(v.vlen);
      if (!heap) return false;
      data = heap;
    }
    if (v.vlen) memcpy(data, v.val, v.vlen);
    c.vlen = v.vlen;
    c.tag = v.tag;
    return true;
  }
};

// Looks key up: lock-free when the shard's policy allows it (mc_shm_read),
// else under the lock. Returns MC_CACHE_HIT or MC_CACHE_MISS, or -1 with an
// exception pending.
static int GetCopy(napi_env env, mc_shm *s, const Key &k, ValueCopy *out) {
  uint64_t hash = mc_shm_hash(s, k.data, k.len);
  uint32_t shard = mc_shm_shard_of_hash(s, hash);
  int r = mc_shm_read(s, shard, k.data, k.len, hash, NowMs(env, mc_shm_cache(s, shard)),
                      out->stack, sizeof out->stack, &out->c);
  if (r != MC_CACHE_RETRY) return r;
  Locked l;
  if (!l.Lock(env, s, hash)) return -1;
  mc_cache_view v;
  if (mc_cache_get_hashed(l.c, k.data, k.len, hash, NowMs(env, l.c), 0, &v) != MC_CACHE_HIT)
    return MC_CACHE_MISS;
  if (!out->Take(v)) {
    ThrowStatus(env, MC_CACHE_ENOMEM);
    return -1;
  }
  return MC_CACHE_HIT;
}

// sharedGet(h, key) -> value | undefined; a serialized object comes back as
// [Buffer] for lib/shared-cache.js to deserialize.
static napi_value SharedGet(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  mc_shm *s;
  Key k;
  if (!OpenWithKey(env, argv[0], argv[1], &s, &k)) return NULL;
  ValueCopy vc;
  int r = GetCopy(env, s, k, &vc);
  if (r < 0) return NULL;
  if (r != MC_CACHE_HIT) return Undefined(env);
  napi_value val = ValueOut(env, vc.data, vc.c.vlen, vc.c.tag, true);
  if (!val || vc.c.tag != VAL_SERIAL) return val;
  napi_value arr;
  MC_CALL(napi_create_array_with_length(env, 1, &arr));
  MC_CALL(napi_set_element(env, arr, 0, val));
  return arr;
}

// sharedSet(h, key, value, serialized, ttl (-1 = the cache's))
// -> undefined | SET_NEEDS_SERIAL
static napi_value SharedSet(napi_env env, napi_callback_info info) {
  MC_ARGS(5);
  mc_shm *s;
  Key k;
  if (!OpenWithKey(env, argv[0], argv[1], &s, &k)) return NULL;
  bool serialized = false;
  MC_CALL(napi_get_value_bool(env, argv[3], &serialized));
  double ttl = -1;
  napi_get_value_double(env, argv[4], &ttl);  // undefined: the cache's ttl
  uint64_t t = TtlArg(ttl);
  Value val;
  int st = ReadValue(env, argv[2], &val);
  if (st == READ_THROWN) return NULL;
  if (st == READ_SERIAL) return Int(env, SET_NEEDS_SERIAL);
  if (serialized) val.tag = VAL_SERIAL;
  Locked l;
  if (!l.Lock(env, s, mc_shm_hash(s, k.data, k.len))) return NULL;
  uint64_t now = t != MC_CACHE_TTL_DEFAULT && t != 0 ? ClockMs(env) : NowMs(env, l.c);
  if (st == READ_DELETE) {
    mc_cache_delete_hashed(l.c, k.data, k.len, l.hash, now);
    return Undefined(env);
  }
  int r = mc_cache_set_hashed(l.c, k.data, k.len, l.hash, val.data, val.len, val.tag, t, now);
  if (r < 0) return ThrowStatus(env, r);
  return Undefined(env);
}

static napi_value SharedHas(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  Key k;
  Locked l;
  if (!LockKey(env, argv[0], argv[1], &k, &l)) return NULL;
  return HasResult(env, l.c, k, l.hash);
}

static napi_value SharedDelete(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  Key k;
  Locked l;
  if (!LockKey(env, argv[0], argv[1], &k, &l)) return NULL;
  return DeleteResult(env, l.c, k, l.hash);
}

// ---- the rest (node-addon-api) ----------------------------------------------

static mc_shm *ShmArg(const Napi::CallbackInfo &info) {
  mc_shm *s = ShmOf(info.Env(), info[0]);
  if (!s) throw info.Env().GetAndClearPendingException();
  return s;
}

static uint64_t U64Opt(const Napi::Object &o, const char *name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) return 0;
  double d = v.As<Napi::Number>().DoubleValue();
  return d > 0 && d < 1.8e19 ? (uint64_t)d : 0;
}

static void ShmDestroy(void *obj) { mc_shm_close((mc_shm *)obj); }

// sharedOpen({ name | path, maxBytes, max, ttl, policy, shards, openTimeout, create })
// Arguments are validated in lib/shared-cache.js; 0 / undefined = unspecified.
static Napi::Value SharedOpen(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  mc_shm_install_test_hook_from_env();  // tests only: needs MEMCTL_TEST_STOP_AT
  mc_shm_options opt;
  memset(&opt, 0, sizeof opt);
  opt.max_bytes = U64Opt(o, "maxBytes");
  opt.max_entries = U64Opt(o, "max");
  opt.ttl_set = o.Get("ttl").IsNumber();
  opt.ttl_ms = U64Opt(o, "ttl");
  std::string policy = o.Get("policy").IsString() ? o.Get("policy").ToString().Utf8Value() : "";
  opt.policy = PolicyOf(policy);
  opt.shards = (uint32_t)U64Opt(o, "shards");
  opt.open_timeout_ms = (uint32_t)U64Opt(o, "openTimeout");
  opt.no_create = o.Get("create").IsBoolean() && !o.Get("create").ToBoolean();
  bool is_path = o.Get("path").IsString();
  std::string name = (is_path ? o.Get("path") : o.Get("name")).ToString().Utf8Value();
  mc_shm *s = nullptr;
  int err = 0;
  const char *bad = nullptr;
  int r = mc_shm_open(name.c_str(), is_path, &opt, &s, &err, &bad);
  if (r != MC_SHM_OK) ThrowShm(env, r, err, bad, "cannot open shared cache '" + name + "'");
  return Napi::Value(env, NewHandle(env, s, ShmDestroy, kSharedKind));
}

// sharedInfo(h) -> { maxBytes, max, ttl, policy, shards, segmentBytes, created }
static Napi::Value SharedInfo(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  mc_shm *s = ShmArg(info);
  mc_shm_options o;
  mc_shm_options_of(s, &o);
  Napi::Object r = Napi::Object::New(env);
  r.Set("maxBytes", (double)o.max_bytes);
  r.Set("max", (double)o.max_entries);
  r.Set("ttl", (double)o.ttl_ms);
  r.Set("policy", PolicyName(o.policy));
  r.Set("shards", (double)o.shards);
  r.Set("segmentBytes", (double)mc_shm_segment_size(s));
  r.Set("created", mc_shm_created(s) != 0);
  return r;
}

// Runs fn on every shard's cache under its lock.
template <typename Fn>
static void EachShard(Napi::Env env, mc_shm *s, Fn fn) {
  struct Guard {  // unlocks even when fn throws
    mc_shm *s;
    uint32_t i;
    ~Guard() { mc_shm_unlock(s, i); }
  };
  uint32_t n = mc_shm_shard_count(s);
  for (uint32_t i = 0; i < n; i++) {
    int err;
    mc_cache *c = mc_shm_lock(s, i, &err);
    if (!c) Throw(env, "Error", "ERR_MEMCTL_SHM_LOCK", mc_shm_strerror(MC_SHM_ELOCK));
    Guard g{s, i};
    fn(i, c);
  }
}

static Napi::Value SharedClear(const Napi::CallbackInfo &info) {
  EachShard(info.Env(), ShmArg(info), [](uint32_t, mc_cache *c) { mc_cache_clear(c); });
  return info.Env().Undefined();
}

static Napi::Value SharedSize(const Napi::CallbackInfo &info) {
  uint64_t n = 0;
  EachShard(info.Env(), ShmArg(info), [&](uint32_t, mc_cache *c) { n += mc_cache_size(c); });
  return Napi::Number::New(info.Env(), (double)n);
}

// sharedStats(h) -> totals of the core's counters, lock statistics, and
// per-shard arrays of the lock statistics.
static Napi::Value SharedStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  mc_shm *s = ShmArg(info);
  uint32_t n = mc_shm_shard_count(s);
  mc_cache_stats tot;
  memset(&tot, 0, sizeof tot);
  Napi::Array shards = Napi::Array::New(env, n);
  uint64_t acq = 0, cont = 0, wait = 0, rec = 0, repairs = 0, resets = 0, lost = 0, lockfree = 0;
  EachShard(env, s, [&](uint32_t i, mc_cache *c) {
    mc_cache_stats st;
    mc_cache_get_stats(c, &st);
    mc_shm_lock_stats ls;
    mc_shm_lock_stats_of(s, i, &ls);
    tot.hits += st.hits + ls.read_hits, tot.misses += st.misses + ls.read_misses;
    tot.sets += st.sets, tot.deletes += st.deletes, tot.evictions += st.evictions;
    tot.expirations += st.expirations, tot.entries += st.entries, tot.bytes += st.bytes;
    Napi::Object o = Napi::Object::New(env);
    o.Set("entries", (double)st.entries);
    o.Set("lockAcquisitions", (double)ls.acquisitions);
    o.Set("lockContended", (double)ls.contended);
    o.Set("lockFreeReads", (double)(ls.read_hits + ls.read_misses));
    o.Set("lockWaitMs", (double)ls.wait_ns / 1e6);
    o.Set("recoveries", (double)ls.recoveries);
    o.Set("repairs", (double)ls.repairs);
    o.Set("resets", (double)ls.resets);
    o.Set("lostEntries", (double)ls.lost);
    shards.Set(i, o);
    acq += ls.acquisitions, cont += ls.contended, wait += ls.wait_ns;
    rec += ls.recoveries, repairs += ls.repairs, resets += ls.resets, lost += ls.lost;
    lockfree += ls.read_hits + ls.read_misses;
  });
  Napi::Object r = Napi::Object::New(env);
  r.Set("hits", (double)tot.hits);
  r.Set("misses", (double)tot.misses);
  r.Set("sets", (double)tot.sets);
  r.Set("deletes", (double)tot.deletes);
  r.Set("evictions", (double)tot.evictions);
  r.Set("expirations", (double)tot.expirations);
  r.Set("entries", (double)tot.entries);
  r.Set("bytes", (double)tot.bytes);
  r.Set("segmentBytes", (double)mc_shm_segment_size(s));
  r.Set("lockAcquisitions", (double)acq);
  r.Set("lockContended", (double)cont);
  r.Set("lockFreeReads", (double)lockfree);
  r.Set("lockWaitMs", (double)wait / 1e6);
  r.Set("recoveries", (double)rec);
  r.Set("repairs", (double)repairs);
  r.Set("resets", (double)resets);
  r.Set("lostEntries", (double)lost);
  r.Set("attachedProcesses", (double)mc_shm_attached(s));
  r.Set("shards", shards);
  return r;
}

// sharedVerify(h) -> true if every shard passes the core's structural check.
static Napi::Value SharedVerify(const Napi::CallbackInfo &info) {
  int r = mc_shm_verify(ShmArg(info));
  if (r == MC_SHM_ELOCK) Throw(info.Env(), "Error", "ERR_MEMCTL_SHM_LOCK", mc_shm_strerror(r));
  return Napi::Boolean::New(info.Env(), r == MC_SHM_OK);
}

static Napi::Value SharedClose(const Napi::CallbackInfo &info) {
  Handle *h = HandleOf(info.Env(), info[0], kSharedKind);
  if (!h) throw info.Env().GetAndClearPendingException();
  return Napi::Boolean::New(info.Env(), HandleClose(info.Env(), h));
}

// sharedUnlink(nameOrPath, isPath) -> true if removed, false if absent.
static Napi::Value SharedUnlink(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string name = info[0].ToString().Utf8Value();
  int err = 0;
  int r = mc_shm_unlink(name.c_str(), info[1].ToBoolean(), &err);
  if (r == MC_SHM_ENOENT) return Napi::Boolean::New(env, false);
  if (r != MC_SHM_OK) ThrowShm(env, r, err, nullptr, "cannot unlink shared cache '" + name + "'");
  return Napi::Boolean::New(env, true);
}

void InitSharedCache(Napi::Env env, Napi::Object exports) {
  Napi::Object k = Napi::Object::New(env);
  k.Set("MAX_SHARDS", (double)MC_SHM_MAX_SHARDS);
  k.Set("NAME_MAX", (double)MC_SHM_NAME_MAX);
  exports.Set("SHARED", k);
  static const FunctionDef functions[] = {
      {"sharedGet", SharedGet},
      {"sharedSet", SharedSet},
      {"sharedHas", SharedHas},
      {"sharedDelete", SharedDelete},
      {"sharedOpen", Adapt<SharedOpen>},
      {"sharedInfo", Adapt<SharedInfo>},
      {"sharedClear", Adapt<SharedClear>},
      {"sharedSize", Adapt<SharedSize>},
      {"sharedStats", Adapt<SharedStats>},
      {"sharedVerify", Adapt<SharedVerify>},
      {"sharedClose", Adapt<SharedClose>},
      {"sharedUnlink", Adapt<SharedUnlink>},
  };
  DefineFunctions(env, exports, functions);
}

}  // namespace memctl
