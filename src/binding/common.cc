#include "binding/common.h"

#include <stdlib.h>

#include <vector>

namespace memctl {

// ---- errors ---------------------------------------------------------------

static napi_value CreateError(napi_env env, const char *kind, const char *code,
                              const char *message) {
  napi_value msg, code_v, err;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  std::string k(kind);
  if (k == "TypeError")
    napi_create_type_error(env, code_v, msg, &err);
  else if (k == "RangeError")
    napi_create_range_error(env, code_v, msg, &err);
  else
    napi_create_error(env, code_v, msg, &err);
  return err;
}

Napi::Error MakeError(Napi::Env env, const char *kind, const char *code,
                      const std::string &message) {
  return Napi::Error(env, CreateError(env, kind, code, message.c_str()));
}

void Throw(Napi::Env env, const char *kind, const char *code,
           const std::string &message) {
  throw MakeError(env, kind, code, message);
}

napi_value ThrowRaw(napi_env env, const char *kind, const char *code,
                    const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw(env, CreateError(env, kind, code, message));
  return NULL;
}

napi_value ThrowLastError(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  const char *msg = info && info->error_message ? info->error_message
                                                : "Node-API call failed";
  return ThrowRaw(env, "Error", "ERR_MEMCTL_NAPI", msg);
}

void ThrowPending(napi_env env) {
  bool pending = false;
  napi_value err = NULL;
  if (napi_is_exception_pending(env, &pending) != napi_ok || !pending ||
      napi_get_and_clear_last_exception(env, &err) != napi_ok)
    Throw(env, "Error", "ERR_MEMCTL_NAPI", "a Node-API call failed without an exception");
  throw Napi::Error(env, err);
}

void ThrowContract(napi_env env, const char *what) {
  Throw(env, "Error", "ERR_MEMCTL_INTERNAL", std::string("memctl internal error: ") + what);
}

// ---- function registration -------------------------------------------------

void DefineFunctions(napi_env env, napi_value exports, const FunctionDef *table,
                     size_t count) {
  const napi_property_attributes attrs =
      (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable);
  std::vector<napi_property_descriptor> props(count);
  for (size_t i = 0; i < count; i++) {
    // napi_create_function, not a `method` descriptor: only it names the function.
    napi_value fn;
    if (napi_create_function(env, table[i].name, NAPI_AUTO_LENGTH, table[i].cb, NULL, &fn) != napi_ok)
      Throw(env, "Error", "ERR_MEMCTL_NAPI", "cannot create the addon's functions");
    props[i] = {table[i].name, NULL, NULL, NULL, NULL, fn, attrs, NULL};
  }
  if (napi_define_properties(env, exports, count, props.data()) != napi_ok)
    Throw(env, "Error", "ERR_MEMCTL_NAPI", "cannot define the addon's functions");
}

napi_value NewConstants(napi_env env, const ConstantDef *table, size_t count) {
  napi_value obj;
  bool ok = napi_create_object(env, &obj) == napi_ok;
  for (size_t i = 0; ok && i < count; i++) {
    napi_value v;
    ok = napi_create_double(env, table[i].value, &v) == napi_ok &&
         napi_set_named_property(env, obj, table[i].name, v) == napi_ok;
  }
  if (!ok || napi_object_freeze(env, obj) != napi_ok)
    Throw(env, "Error", "ERR_MEMCTL_NAPI", "cannot define the addon's constants");
  return obj;
}

// ---- per-environment state ------------------------------------------------

static void EnvStateRelease(EnvState *st) {
  if (--st->refs > 0) return;
  for (int i = 0; i < SLOT_COUNT; i++)
    if (st->slot[i] && st->slot_free[i]) st->slot_free[i](st->slot[i]);
  free(st);
}

static void DestroyObject(Handle *h) {
  void *obj = h->obj;
  h->obj = NULL;
  mc_list_remove(&h->link);
  h->destroy(obj);
  if (h->on_destroy) h->on_destroy(h->env, h);
}

// Runs at worker or process exit, before the environment goes away: every
// object still open is destroyed here so nothing outlives its environment.
static void EnvCleanupHook(void *arg) {
  EnvState *st = (EnvState *)arg;
  while (!mc_list_empty(&st->handles)) {
    Handle *h = MC_LIST_ENTRY(st->handles.next, Handle, link);
    DestroyObject(h);
  }
}

static void EnvStateFinalize(napi_env env, void *data, void *hint) {
  EnvState *st = (EnvState *)data;
  napi_remove_env_cleanup_hook(env, EnvCleanupHook, st);
  EnvCleanupHook(st);
  EnvStateRelease(st);
}

void InitEnvState(Napi::Env env) {
  EnvState *st = (EnvState *)calloc(1, sizeof(EnvState));
  if (!st) Throw(env, "Error", "ERR_MEMCTL_NO_MEMORY", "out of memory");
  mc_list_init(&st->handles);
  st->refs = 1;
  if (napi_set_instance_data(env, st, EnvStateFinalize, NULL) != napi_ok) {
    free(st);
    Throw(env, "Error", "ERR_MEMCTL_NAPI", "cannot set instance data");
  }
  napi_add_env_cleanup_hook(env, EnvCleanupHook, st);
}

EnvState *GetEnvState(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return (EnvState *)data;
}

// ---- native handles -------------------------------------------------------

static void HandleFinalize(napi_env env, void *data, void *hint) {
  Handle *h = (Handle *)data;
  if (h->obj) DestroyObject(h);
  EnvStateRelease(h->owner);
  free(h);
}

napi_value NewHandle(napi_env env, void *obj, void (*destroy)(void *),
                     const char *kind, Handle **out) {
  EnvState *st = GetEnvState(env);
  Handle *h = (Handle *)calloc(1, sizeof(Handle));
  if (!h) {
    destroy(obj);
    Throw(Napi::Env(env), "Error", "ERR_MEMCTL_NO_MEMORY", "out of memory");
  }
  h->obj = obj;
  h->destroy = destroy;
  h->kind = kind;
  h->owner = st;
  h->env = env;
  napi_value ext;
  if (napi_create_external(env, h, HandleFinalize, NULL, &ext) != napi_ok) {
    destroy(obj);
    free(h);
    Throw(Napi::Env(env), "Error", "ERR_MEMCTL_NAPI", "cannot create handle");
  }
  st->refs++;
  mc_list_push_back(&st->handles, &h->link);
  if (out) *out = h;
  return ext;
}

Handle *ThrowInvalidHandle(napi_env env) {
  ThrowRaw(env, "TypeError", "ERR_MEMCTL_INVALID_HANDLE", "expected a native handle");
  return NULL;
}

void *ThrowClosed(napi_env env) {
  ThrowRaw(env, "Error", "ERR_MEMCTL_CLOSED", "the object is closed");
  return NULL;
}

bool HandleClose(napi_env env, Handle *h) {
  if (!h->obj) return false;
  DestroyObject(h);
  return true;
}

}  // namespace memctl
