// Binding for the pool core (src/core/pool.c).
//
// JS objects behind pool memory:
//   - a LARGE allocation is one ArrayBuffer over its region; free() detaches
//     it, so the JS object reads as length 0 before the region is reused.
//   - a SLAB is one ArrayBuffer over 64 KiB; small allocations are views of
//     it (lib/pool.js).  A slice cannot be detached alone.
// Every such ArrayBuffer carries a core ticket (mc_pool_ticket), its
// finalizer's argument: when the ArrayBuffer is collected while its
// allocation is still live, the core counts the leak, returns the memory and
// calls RecordLeak, which queues a record that JS drains through a
// thread-safe function (so no JS runs inside a finalizer).  The native side
// only holds weak references to ArrayBuffers (kept on the ticket): it never
// keeps pool memory reachable.
//
// Lifetime is the core's (src/core/pool.h, "lifetime" and "tickets"): the
// pool counts the Handle, every live ticket and the thread-safe function;
// close() and losing the Handle without close() (orphan) are core states.
// Whichever call drops the last reference returns 1 and the PoolBinding is
// deleted with it.
#include "binding/common.h"


#include <vector>

extern "C" {
#include "core/pool.h"
}

namespace memctl {

static const char kPoolKind[] = "Pool";

enum LeakMode { LEAK_OFF = 0, LEAK_SIMPLE = 1, LEAK_PARANOID = 2 };

// Layout of the scratch Float64Array shared with lib/pool.js (exported as
// POOL_SCRATCH): where an allocation leaves its tag and byte offset.
enum { SCRATCH_TAG, SCRATCH_OFFSET, SCRATCH_LENGTH };

// The Node-side data of a pool (the core's owner, mc_pool_owner).  A ticket's
// owner fields hold the weak reference to its ArrayBuffer and the bytes
// reported for it with napi_adjust_external_memory.
struct PoolBinding {
  mc_pool *core;
  napi_env env;
  bool external_ok;      // false: V8-owned memory (no external buffers)
  bool notify_pending;
  int leak_mode;
  double *scratch;       // SCRATCH_LENGTH doubles: the last allocation's tag and offset
  napi_ref scratch_ref;
  napi_threadsafe_function tsfn;
  int64_t external;      // bytes reported to V8 and not yet taken back
  std::vector<double> leaks;  // pending leak records: size, tag
};

// ---- Node-side references ------------------------------------------------------

// Deletes b when the core says its last reference went (ret == 1).
static void DeleteIfLast(PoolBinding *b, int ret) {
  if (ret) delete b;
}

static void AdjustExternal(napi_env env, PoolBinding *b, int64_t delta) {
  int64_t ignored;
  b->external += delta;
  napi_adjust_external_memory(env, delta, &ignored);
}

static void ReleaseTsfn(PoolBinding *b) {
  if (!b->tsfn) return;
  napi_release_threadsafe_function(b->tsfn, napi_tsfn_abort);
  b->tsfn = NULL;
}

static void TsfnFinalize(napi_env env, void *data, void *hint) {
  PoolBinding *b = (PoolBinding *)data;
  b->tsfn = NULL;
  DeleteIfLast(b, mc_pool_release(b->core));
}

static void NotifyLeaks(PoolBinding *b) {
  if (b->notify_pending || !b->tsfn || b->leaks.empty()) return;
  if (napi_call_threadsafe_function(b->tsfn, NULL, napi_tsfn_nonblocking) ==
      napi_ok)
    b->notify_pending = true;
}

static void RecordLeak(void *arg, size_t size, uint64_t tag) {
  PoolBinding *b = (PoolBinding *)arg;
  b->leaks.push_back((double)size);
  b->leaks.push_back((double)tag);
}

// Drops what the binding holds for a ticket's ArrayBuffer: the weak
// reference and the external bytes reported for it.
static void DropTicketRefs(napi_env env, PoolBinding *b, mc_pool_ticket *t) {
  napi_ref ref = (napi_ref)mc_pool_ticket_ref(t);
  if (ref) napi_delete_reference(env, ref);
  mc_pool_ticket_set_ref(t, NULL);
  size_t bytes = mc_pool_ticket_bytes(t);
  if (bytes) AdjustExternal(env, b, -(int64_t)bytes);
  mc_pool_ticket_set_bytes(t, 0);
}

// The ArrayBuffer of a ticket was collected (or, for external memory, its
// backing store released after a detach).
static void TicketFinalize(napi_env env, mc_pool_ticket *t) {
  PoolBinding *b = (PoolBinding *)mc_pool_owner(mc_pool_ticket_pool(t));
  mc_pool_ticket_collected(t, b->leak_mode != LEAK_OFF, RecordLeak, b);
  NotifyLeaks(b);
  DropTicketRefs(env, b, t);
  DeleteIfLast(b, mc_pool_ticket_free(t));
}

static void ExternalFinalize(napi_env env, void *data, void *hint) {
  TicketFinalize(env, (mc_pool_ticket *)hint);
}

static void ObjectFinalize(napi_env env, void *data, void *hint) {
  TicketFinalize(env, (mc_pool_ticket *)data);
}

// Makes the ArrayBuffer over r (size bytes) and its ticket.  Without external
// buffers, the memory is V8's and becomes the region's base.  Returns NULL with a
// pending exception.
static napi_value MakeArrayBuffer(napi_env env, PoolBinding *b,
                                  mc_pool_region *r, size_t size) {
  mc_pool_ticket *t = mc_pool_ticket_new(b->core, r);
  if (!t) return ThrowRaw(env, "Error", "ERR_MEMCTL_NO_MEMORY", "out of memory");
  napi_value ab = NULL;
  napi_status st;
  bool finalized = false;  // a finalizer owns t from now on
  if (b->external_ok) {
    st = napi_create_external_arraybuffer(env, mc_pool_region_base(r), size, ExternalFinalize,
                                          t, &ab);
    finalized = st == napi_ok;
  } else {
    void *data = NULL;
    st = napi_create_arraybuffer(env, size, &data, &ab);
    if (st == napi_ok) {
      mc_pool_region_set_base(r, data);
      st = napi_add_finalizer(env, ab, t, ObjectFinalize, NULL, NULL);
      finalized = st == napi_ok;
    }
  }
  napi_ref ref = NULL;
  if (st == napi_ok) st = napi_create_reference(env, ab, 0, &ref);
  if (st != napi_ok) {
    // The caller releases the region itself; a dead ticket's finalizer (when
    // one was attached) only frees the ticket.
    mc_pool_region_disown(r);
    if (!finalized) mc_pool_ticket_free(t);  // not the last: the Handle holds one
    if (st == napi_no_external_buffers_allowed)
      return ThrowRaw(env, "Error", "ERR_MEMCTL_POOL_NO_EXTERNAL",
                      "this runtime forbids external buffers");
    return ThrowLastError(env);
  }
  // V8 already counts every ArrayBuffer's byte length as external memory
  // (measured: process.memoryUsage().external grows by the buffers' bytes
  // with no call here, and reporting them again doubled the mark-compacts
  // with many live buffers).  What it cannot see is the class rounding the
  // buffer also holds: that is reported, and taken back on free/finalize.
  mc_pool_ticket_set_ref(t, ref);
  if (b->external_ok && mc_pool_region_size(r) > size) {
    mc_pool_ticket_set_bytes(t, mc_pool_region_size(r) - size);
    AdjustExternal(env, b, (int64_t)mc_pool_ticket_bytes(t));
  }
  return ab;
}

// ---- argument helpers ---------------------------------------------------------

static PoolBinding *GetPool(napi_env env, napi_value v) {
  return (PoolBinding *)HandleGet(env, v, kPoolKind);
}

static bool ArgSize(napi_env env, napi_value v, size_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 1) ||
      d > (double)MC_POOL_MAX_BYTES || d != (double)(uint64_t)d) {
    ThrowRaw(env, "RangeError", "ERR_MEMCTL_OUT_OF_RANGE", "bad size");
    return false;
  }
  *out = (size_t)d;
  return true;
}

// ---- create / close -------------------------------------------------------------

// Drops the binding's own JS references: the thread-safe function, the
// scratch array and any leak records not drained (close(), or the Handle
// gone without it).  Safe to call twice.
static void ReleaseJsRefs(PoolBinding *b) {
  b->leaks.clear();
  ReleaseTsfn(b);
  if (b->scratch_ref) napi_delete_reference(b->env, b->scratch_ref);
  b->scratch_ref = NULL;
}

// The Handle is gone: by close() (memory already released), or by GC of the
// Pool / environment teardown (the core orphans the pool: buffers still
// alive keep the memory).
static void HandleDestroy(void *obj) {
  PoolBinding *b = (PoolBinding *)obj;
  ReleaseJsRefs(b);
  DeleteIfLast(b, mc_pool_handle_gone(b->core));
}

// close(): the core hands over every ticket still on a region (already dead):
// its ArrayBuffer is detached and the binding's references dropped.
static void DetachTicket(void *arg, mc_pool_ticket *t) {
  napi_env env = (napi_env)arg;
  napi_ref ref = (napi_ref)mc_pool_ticket_ref(t);
  napi_value ab = NULL;
  if (ref && napi_get_reference_value(env, ref, &ab) == napi_ok && ab)
    napi_detach_arraybuffer(env, ab);
  DropTicketRefs(env, (PoolBinding *)mc_pool_owner(mc_pool_ticket_pool(t)), t);
}

static bool ExternalBuffersAllowed(napi_env env) {
  static char probe[1];
  napi_value ab;
  return napi_create_external_arraybuffer(env, probe, 1, NULL, NULL, &ab) !=
         napi_no_external_buffers_allowed;
}

// poolCreate(maxBytes, decayMs, zeroFill, leakMode, forceNoExternal, notify,
//            sliceMax) -> [handle, scratch ArrayBuffer, externalBuffers,
//                          effective sliceMax]
static napi_value PoolCreate(napi_env env, napi_callback_info info) {
  MC_ARGS(7);
  double max_bytes, decay_ms, slice_max;
  int32_t leak_mode;
  bool zero_fill, no_external;
  MC_CALL(napi_get_value_double(env, argv[0], &max_bytes));
  MC_CALL(napi_get_value_double(env, argv[1], &decay_ms));
  MC_CALL(napi_get_value_bool(env, argv[2], &zero_fill));
  MC_CALL(napi_get_value_int32(env, argv[3], &leak_mode));
  MC_CALL(napi_get_value_bool(env, argv[4], &no_external));
  MC_CALL(napi_get_value_double(env, argv[6], &slice_max));
  bool external_ok = !no_external && ExternalBuffersAllowed(env);

  mc_pool_config cfg = {};
  cfg.max_bytes = (size_t)max_bytes;
  cfg.decay_ms = decay_ms >= 1.8e19 ? UINT64_MAX : (uint64_t)decay_ms;
  cfg.zero_fill = zero_fill;
  cfg.use_mmap = external_ok;
  cfg.slice_max = slice_max >= 0 && slice_max <= MC_POOL_SLICE_LIMIT ? (size_t)slice_max : 0;
  mc_pool *core = mc_pool_create(&cfg);
  if (!core)
    return ThrowRaw(env, "RangeError", "ERR_MEMCTL_OUT_OF_RANGE", "bad maxBytes");

  PoolBinding *b = new PoolBinding();
  b->core = core;
  mc_pool_set_owner(core, b);
  b->env = env;
  b->leak_mode = leak_mode;
  b->external_ok = external_ok;

  napi_value scratch, name, handle, result;
  void *data;
  if (napi_create_arraybuffer(env, SCRATCH_LENGTH * sizeof(double), &data, &scratch) != napi_ok ||
      napi_create_reference(env, scratch, 1, &b->scratch_ref) != napi_ok) {
    DeleteIfLast(b, mc_pool_release(core));
    return ThrowLastError(env);
  }
  b->scratch = (double *)data;
  napi_create_string_utf8(env, "memctl.Pool.leak", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[5], NULL, name, 0, 1, b,
                                      TsfnFinalize, b, NULL, &b->tsfn) != napi_ok) {
    napi_delete_reference(env, b->scratch_ref);
    DeleteIfLast(b, mc_pool_release(core));
    return ThrowLastError(env);
  }
  mc_pool_retain(core);  // held by the thread-safe function until TsfnFinalize
  napi_unref_threadsafe_function(env, b->tsfn);
  handle = NewHandle(env, b, HandleDestroy, kPoolKind);
  napi_create_array_with_length(env, 4, &result);
  napi_set_element(env, result, 0, handle);
  napi_set_element(env, result, 1, scratch);
  napi_set_element(env, result, 2, Bool(env, external_ok));
  napi_set_element(env, result, 3, Num(env, (double)mc_pool_slice_max(core)));
  return result;
}

// poolClose(handle) -> true if it was open
static napi_value PoolClose(napi_env env, napi_callback_info info) {
  MC_ARGS(1);
  Handle *h = HandleOf(env, argv[0], kPoolKind);
  if (!h) return NULL;
  if (!h->obj) return Bool(env, false);
  PoolBinding *b = (PoolBinding *)h->obj;
  mc_pool_close(b->core, DetachTicket, env);
  if (b->external) AdjustExternal(env, b, -b->external);
  ReleaseJsRefs(b);
  HandleClose(env, h);
  return Bool(env, true);
}

// ---- alloc / free -----------------------------------------------------------------

// The opening of both alloc paths: the open pool behind hv and the size sv.
static inline bool PoolAndSize(napi_env env, napi_value hv, napi_value sv,
                               PoolBinding **b, size_t *size) {
  *b = GetPool(env, hv);
  return *b && ArgSize(env, sv, size);
}

// poolAllocSmall(handle, size) -> slab ArrayBuffer (tag and offset in
// scratch) or a negative status number.
static napi_value PoolAllocSmall(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  PoolBinding *b;
  size_t size;
  if (!PoolAndSize(env, argv[0], argv[1], &b, &size)) return NULL;
  if (!mc_pool_is_sliced(b->core, size)) return Num(env, MC_POOL_INVALID);
  for (;;) {
    mc_pool_region *r = mc_pool_slab_current(b->core, size);
    napi_value ab = NULL;
    if (r) {
      mc_pool_ticket *t = mc_pool_region_ticket(r);
      napi_ref ref = t ? (napi_ref)mc_pool_ticket_ref(t) : NULL;
      if (ref) napi_get_reference_value(env, ref, &ab);
      if (!ab) {  // collected; its finalizer has not run yet
        mc_pool_slab_dying(b->core, r);
        continue;
      }
    } else {
      int created = 0;
      int st = mc_pool_slab_next(b->core, size, &r, &created);
      if (st < 0) return Num(env, st);
      if (!created) continue;  // now current: check its ArrayBuffer above
      ab = MakeArrayBuffer(env, b, r, mc_pool_region_size(r));
      if (!ab) {
        mc_pool_slab_dying(b->core, r);
        mc_pool_region_collected(b->core, mc_pool_region_id(r), mc_pool_region_gen(r), 0, NULL, NULL);
        return NULL;
      }
    }
    uint64_t tag;
    long off = mc_pool_slot_alloc(b->core, r, size, &tag);
    if (off < 0) return Num(env, (double)off);
    b->scratch[SCRATCH_TAG] = (double)tag;
    b->scratch[SCRATCH_OFFSET] = (double)off;
    return ab;
  }
}

// poolAllocLarge(handle, size) -> ArrayBuffer (tag in scratch) or a negative
// status number.
static napi_value PoolAllocLarge(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  PoolBinding *b;
  size_t size;
  if (!PoolAndSize(env, argv[0], argv[1], &b, &size)) return NULL;
  if (mc_pool_is_sliced(b->core, size)) return Num(env, MC_POOL_INVALID);
  mc_pool_region *r;
  int st = mc_pool_large_alloc(b->core, size, &r);
  if (st < 0) return Num(env, st);
  napi_value ab = MakeArrayBuffer(env, b, r, size);
  if (!ab) {
    mc_pool_large_free(b->core, r);
    return NULL;
  }
  b->scratch[SCRATCH_TAG] = (double)mc_pool_tag(mc_pool_region_id(r), 0, mc_pool_region_gen(r));
  return ab;
}

// poolFree(handle, tag, arrayBuffer) -> 0 or a negative status number.
static napi_value PoolFree(napi_env env, napi_callback_info info) {
  MC_ARGS(3);
  PoolBinding *b = GetPool(env, argv[0]);
  if (!b) return NULL;
  double d;
  MC_CALL(napi_get_value_double(env, argv[1], &d));
  if (!(d >= 0) || d > 9007199254740991.0) return Num(env, MC_POOL_FOREIGN);
  uint64_t tag = (uint64_t)d;
  mc_pool_region *r;
  int st = mc_pool_lookup(b->core, tag, &r, NULL);
  if (st < 0) return Num(env, st);
  if (mc_pool_region_is_large(r)) {
    void *data = NULL;
    size_t len = 0;
    if (napi_get_arraybuffer_info(env, argv[2], &data, &len) != napi_ok ||
        data != mc_pool_region_base(r))
      return Num(env, MC_POOL_FOREIGN);
    bool detached = false;
    MC_CALL(napi_detach_arraybuffer(env, argv[2]));
    MC_CALL(napi_is_detached_arraybuffer(env, argv[2], &detached));
    // Never hand the memory to someone else while JS can still reach it.
    if (!detached)
      return ThrowRaw(env, "Error", "ERR_MEMCTL_POOL_DETACH_FAILED",
                      "the buffer's ArrayBuffer could not be detached");
    mc_pool_ticket *t = mc_pool_region_disown(r);
    if (t) DropTicketRefs(env, b, t);
  }
  mc_pool_free_tag(b->core, tag, NULL);
  return Num(env, 0);
}

// poolOwns(handle, arrayBuffer) -> true if the ArrayBuffer is pool memory
// (used to tell a view of a pool buffer from a foreign buffer).
static napi_value PoolOwns(napi_env env, napi_callback_info info) {
  MC_ARGS(2);
  PoolBinding *b = GetPool(env, argv[0]);
  if (!b) return NULL;
  void *data = NULL;
  size_t len = 0;
  bool owns = napi_get_arraybuffer_info(env, argv[1], &data, &len) == napi_ok &&
              data && mc_pool_find_base(b->core, data) != NULL;
  return Bool(env, owns);
}

// ---- maintenance ------------------------------------------------------------------

static napi_value PoolTrim(napi_env env, napi_callback_info info) {
  MC_ARGS(1);
  PoolBinding *b = GetPool(env, argv[0]);
  if (!b) return NULL;
  mc_pool_trim(b->core);
  return NULL;
}

static napi_value PoolDecay(napi_env env, napi_callback_info info) {
  MC_ARGS(1);
  PoolBinding *b = GetPool(env, argv[0]);
  if (!b) return NULL;
  return Num(env, (double)mc_pool_decay(b->core));
}

// poolDrainLeaks(handle) -> [size, tag, size, tag, ...]
static napi_value PoolDrainLeaks(napi_env env, napi_callback_info info) {
  MC_ARGS(1);
  Handle *h = HandleOf(env, argv[0], kPoolKind);
  if (!h) return NULL;
  napi_value out;
  napi_create_array(env, &out);
  if (!h->obj) return out;
  PoolBinding *b = (PoolBinding *)h->obj;
  b->notify_pending = false;
  for (size_t i = 0; i < b->leaks.size(); i++)
    napi_set_element(env, out, (uint32_t)i, Num(env, b->leaks[i]));
  b->leaks.clear();
  return out;
}

static void SetNum(napi_env env, napi_value obj, const char *key, double v) {
  napi_set_named_property(env, obj, key, Num(env, v));
}

static napi_value PoolStats(napi_env env, napi_callback_info info) {
  MC_ARGS(1);
  PoolBinding *b = GetPool(env, argv[0]);
  if (!b) return NULL;
  mc_pool_stats s;
  mc_pool_stats_get(b->core, &s);
  napi_value out, classes;
  napi_create_object(env, &out);
  SetNum(env, out, "bytesInUse", (double)s.in_use);
  SetNum(env, out, "bytesInUseRounded", (double)s.in_use_class);
  SetNum(env, out, "bytesReserved", (double)s.reserved);
  SetNum(env, out, "bytesMapped", (double)s.mapped);
  SetNum(env, out, "peakBytesInUse", (double)s.peak_in_use);
  SetNum(env, out, "peakBytesReserved", (double)s.peak_reserved);
  SetNum(env, out, "maxBytes", (double)s.max_bytes);
  SetNum(env, out, "liveAllocations", (double)s.live);
  SetNum(env, out, "allocations", (double)s.allocs);
  SetNum(env, out, "frees", (double)s.frees);
  SetNum(env, out, "failedAllocations", (double)s.failed);
  SetNum(env, out, "leaks", (double)s.leaks);
  SetNum(env, out, "leakedBytes", (double)s.leaked_bytes);
  SetNum(env, out, "regions", (double)s.regions);
  SetNum(env, out, "slabs", (double)s.slabs);
  SetNum(env, out, "trims", (double)s.trims);
  SetNum(env, out, "decayedBytes", (double)s.decayed);
  SetNum(env, out, "externalMemory", (double)b->external);
  mc_pool_class_stats rows[MC_POOL_NCLASSES];
  size_t n = mc_pool_class_stats_get(b->core, rows, MC_POOL_NCLASSES);
  napi_create_array_with_length(env, n, &classes);
  for (size_t i = 0; i < n; i++) {
    napi_value row;
    napi_create_object(env, &row);
    SetNum(env, row, "size", (double)rows[i].size);
    SetNum(env, row, "allocations", (double)rows[i].allocs);
    SetNum(env, row, "live", (double)rows[i].live);
    SetNum(env, row, "regions", (double)rows[i].regions);
    SetNum(env, row, "free", (double)rows[i].cached);
    napi_set_element(env, classes, (uint32_t)i, row);
  }
  napi_set_named_property(env, out, "classes", classes);
  return out;
}

// poolClassSize(size) -> rounded size of the class serving `size` (0 if none)
static napi_value PoolClassSize(napi_env env, napi_callback_info info) {
  MC_ARGS(1);
  double d;
  MC_CALL(napi_get_value_double(env, argv[0], &d));
  size_t cs = 0;
  if (d >= 1 && d <= (double)MC_POOL_MAX_BYTES &&
      mc_pool_class_of((size_t)d, &cs) < 0)
    cs = 0;
  return Num(env, (double)cs);
}

void InitPool(Napi::Env env, Napi::Object exports) {
  static const FunctionDef functions[] = {
      {"poolCreate", PoolCreate},
      {"poolClose", PoolClose},
      {"poolAllocSmall", PoolAllocSmall},
      {"poolAllocLarge", PoolAllocLarge},
      {"poolFree", PoolFree},
      {"poolOwns", PoolOwns},
      {"poolTrim", PoolTrim},
      {"poolDecay", PoolDecay},
      {"poolDrainLeaks", PoolDrainLeaks},
      {"poolStats", PoolStats},
      {"poolClassSize", PoolClassSize},
  };
  DefineFunctions(env, exports, functions);
  exports.Set("POOL_SLICE_LIMIT", Napi::Number::New(env, MC_POOL_SLICE_LIMIT));
  exports.Set("POOL_MAX_BYTES", Napi::Number::New(env, (double)MC_POOL_MAX_BYTES));
  // The statuses poolAlloc*/poolFree return (src/core/pool.h).
  static const ConstantDef statuses[] = {
      {"OK", MC_POOL_OK},           {"EXHAUSTED", MC_POOL_EXHAUSTED},
      {"NOMEM", MC_POOL_NOMEM},     {"FOREIGN", MC_POOL_FOREIGN},
      {"FREED", MC_POOL_FREED},     {"INVALID", MC_POOL_INVALID},
  };
  exports.Set("POOL_STATUS", Napi::Value(env, NewConstants(env, statuses)));
  static const ConstantDef scratch[] = {
      {"TAG", SCRATCH_TAG}, {"OFFSET", SCRATCH_OFFSET}, {"LENGTH", SCRATCH_LENGTH}};
  exports.Set("POOL_SCRATCH", Napi::Value(env, NewConstants(env, scratch)));
}

}  // namespace memctl
