// Shared plumbing for the binding files. src/binding/ converts arguments and
// results between JavaScript (lib/) and the C cores (src/core/) and holds
// what needs Node-API; the algorithms live in the cores. What each file holds:
//   addon.cc     the module entry: per-environment state, then each Init*
//   common.*     errors with codes (ThrowRaw/Throw, ThrowPending: the one way
//                from a pending exception to a C++ throw, MC_EXPECT for the
//                contract with lib/), handles (Externals owning one core
//                object, read by HandleOf/HandleGet without napi_typeof),
//                per-environment state, function and constant tables
//   cache.cc     LRUCache/LimitableMap: raw Node-API get/set, the key
//                encoding and the scratch Buffer that byte values travel in
//   pool.cc      Pool: ArrayBuffers over pool memory, a Ticket per
//                ArrayBuffer whose finalizer reports leaks, the thread-safe
//                function that delivers them, external-memory accounting
//   leak.cc      LeakWatcher: one handle per series; results in a
//                Float64Array (LEAK_OUT layout)
//   snapshot.cc  heap snapshots: parser handles, the async work that runs
//                mc_snap_job_run off the JS thread, result objects
// Raw Node-API on hot paths (cache, pool), node-addon-api elsewhere (through
// Adapt<>). Arguments are validated once in lib/ and only asserted here.
// Constants a JS file needs are exported from the C definition (NewConstants).
#ifndef MEMCTL_BINDING_COMMON_H
#define MEMCTL_BINDING_COMMON_H

#include <napi.h>
#include <string>

extern "C" {
#include "core/list.h"
}

namespace memctl {

// ---- errors ---------------------------------------------------------------
// kind is "TypeError", "RangeError" or "Error"; code starts with ERR_MEMCTL_.
Napi::Error MakeError(Napi::Env env, const char *kind, const char *code,
                      const std::string &message);
[[noreturn]] void Throw(Napi::Env env, const char *kind, const char *code,
                        const std::string &message);
// Raw Node-API form for hot paths: sets a pending exception and returns NULL.
napi_value ThrowRaw(napi_env env, const char *kind, const char *code,
                    const char *message);

// Turns the last failed Node-API status into a pending exception (unless one
// is already pending) and returns NULL.
napi_value ThrowLastError(napi_env env);

// The one way from a pending exception to a C++ throw: node-addon-api
// functions call it after a raw helper (HandleGet, HandleOf, ThrowRaw)
// returned NULL with an exception pending.
[[noreturn]] void ThrowPending(napi_env env);

// Arguments are validated once, at the public JS entry (lib/), which gives
// each mistake its ERR_MEMCTL_* code. The binding only asserts what lib/
// guarantees: a broken contract is an internal error (ERR_MEMCTL_INTERNAL),
// never a second user-facing code for the same mistake.
[[noreturn]] void ThrowContract(napi_env env, const char *what);
#define MC_EXPECT(env, cond, what)                                          \
  do {                                                                      \
    if (!(cond)) memctl::ThrowContract((env), (what));                      \
  } while (0)

// ---- per-environment state ------------------------------------------------
// One EnvState per Node environment (main thread or worker), kept as the
// addon's instance data. Each module owns one slot; nothing else is mutable.
enum Slot { SLOT_CACHE, SLOT_POOL, SLOT_LEAK, SLOT_SNAPSHOT, SLOT_COUNT };

struct EnvState {
  mc_list handles;       // open Handles of this environment
  int refs;              // 1 for the instance data + 1 per live Handle
  void *slot[SLOT_COUNT];
  void (*slot_free[SLOT_COUNT])(void *);
};

EnvState *GetEnvState(napi_env env);
void InitEnvState(Napi::Env env);

// ---- native handles -------------------------------------------------------
// A Handle owns one core object. Exactly one of three paths destroys it:
// explicit close (HandleClose), the GC finalizer of its External, or the env
// cleanup hook at worker/process exit. After destroy, obj is NULL and any use
// throws ERR_MEMCTL_CLOSED.
//
// `kind` is the address of a static constant string that names the type
// ("LRUCache", "Pool", ...); it is compared by address, so each module keeps
// one such constant and never mixes handles of two kinds.
struct Handle {
  mc_list link;          // in EnvState::handles while obj != NULL
  void *obj;
  void (*destroy)(void *obj);
  const char *kind;
  EnvState *owner;
  napi_env env;
  // Called after destroy from close/cleanup/finalize (may be NULL); lets a
  // module release JS-side resources such as external memory accounting.
  void (*on_destroy)(napi_env env, struct Handle *h);
  void *user;            // free for the module's use
};

// Creates an External owning obj. Throws on failure (obj is destroyed).
napi_value NewHandle(napi_env env, void *obj, void (*destroy)(void *),
                     const char *kind, Handle **out = nullptr);
// The error paths of HandleOf/HandleGet (out of line); return NULL.
Handle *ThrowInvalidHandle(napi_env env);
void *ThrowClosed(napi_env env);

// Returns the Handle behind v, or sets a pending TypeError and returns NULL.
// Fast enough for hot paths: no napi_typeof. napi_get_value_external fails
// (napi_invalid_arg, nothing thrown) for any value that is not an External,
// so it is the type check; Handles are only created by NewHandle and kept in
// private fields of the JS classes, so an External reaching here is ours and
// `kind` tells which.
inline Handle *HandleOf(napi_env env, napi_value v, const char *kind) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data ||
      ((Handle *)data)->kind != kind)
    return ThrowInvalidHandle(env);
  return (Handle *)data;
}

// Returns the open object behind v, or sets a pending exception (TypeError
// ERR_MEMCTL_INVALID_HANDLE / Error ERR_MEMCTL_CLOSED) and returns NULL.
inline void *HandleGet(napi_env env, napi_value v, const char *kind) {
  Handle *h = HandleOf(env, v, kind);
  if (!h) return NULL;
  return h->obj ? h->obj : ThrowClosed(env);
}

// node-addon-api form: the open object, or a C++ throw of the pending error.
template <typename T>
T *HandleObject(napi_env env, napi_value v, const char *kind) {
  void *obj = HandleGet(env, v, kind);
  if (!obj) ThrowPending(env);
  return (T *)obj;
}
// Destroys the object now; returns false if it was already closed.
bool HandleClose(napi_env env, Handle *h);

// ---- results for raw Node-API functions -------------------------------------
// The statuses are not checked: these calls fail only with an exception
// already pending, and then the callback's result is ignored anyway.
inline napi_value Undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

inline napi_value Int(napi_env env, int32_t v) {
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

inline napi_value Num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

inline napi_value Bool(napi_env env, bool v) {
  napi_value r;
  napi_get_boolean(env, v, &r);
  return r;
}

// ---- function registration -------------------------------------------------
// One exported function: raw Node-API callbacks go in as they are,
// node-addon-api ones through Adapt<Fn>.
struct FunctionDef {
  const char *name;
  napi_callback cb;
};

// A raw callback that runs a node-addon-api function, turning a thrown
// Napi::Error into a pending JavaScript exception (as Napi::Function::New does).
template <Napi::Value (*Fn)(const Napi::CallbackInfo &)>
napi_value Adapt(napi_env env, napi_callback_info info) {
  try {
    Napi::CallbackInfo ci(env, info);
    return Fn(ci);
  } catch (const Napi::Error &e) {
    e.ThrowAsJavaScriptException();
    return NULL;
  }
}

// Defines every function of table on exports as a plain writable,
// enumerable, configurable property (what exports.Set does). Throws on failure.
void DefineFunctions(napi_env env, napi_value exports, const FunctionDef *table,
                     size_t count);

template <size_t N>
void DefineFunctions(napi_env env, napi_value exports, const FunctionDef (&table)[N]) {
  DefineFunctions(env, exports, table, N);
}

// ---- constants exported to JS ---------------------------------------------
// Each constant is defined once, in C (a core header or a binding's layout
// enum), and exported to JS through a table, so lib/ never copies a number.
struct ConstantDef {
  const char *name;
  double value;
};

// A frozen object { name: value, ... } of the table. Throws on failure.
napi_value NewConstants(napi_env env, const ConstantDef *table, size_t count);

template <size_t N>
napi_value NewConstants(napi_env env, const ConstantDef (&table)[N]) {
  return NewConstants(env, table, N);
}

// ---- module entry points (one per binding file) ----------------------------
void InitCache(Napi::Env env, Napi::Object exports);
void InitPool(Napi::Env env, Napi::Object exports);
void InitLeak(Napi::Env env, Napi::Object exports);
void InitSnapshot(Napi::Env env, Napi::Object exports);
void InitSharedCache(Napi::Env env, Napi::Object exports);

}  // namespace memctl

// Argument helpers for raw Node-API functions: they return NULL (with a
// pending exception) from the enclosing callback on failure.
#define MC_ARGS(n)                                                          \
  size_t argc = (n);                                                        \
  napi_value argv[(n) > 0 ? (n) : 1];                                        \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)      \
    return NULL;

#define MC_CALL(call)                                                       \
  do {                                                                      \
    if ((call) != napi_ok) return memctl::ThrowLastError(env);              \
  } while (0)

#endif
