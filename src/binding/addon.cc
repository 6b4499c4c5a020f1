// Module entry point: sets up the per-environment state, then lets every
// module add its functions. Context-aware, so it loads in worker_threads.
#include "binding/common.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  memctl::InitEnvState(env);
  memctl::InitCache(env, exports);
  memctl::InitPool(env, exports);
  memctl::InitLeak(env, exports);
  memctl::InitSnapshot(env, exports);
  memctl::InitSharedCache(env, exports);
  return exports;
}

NODE_API_MODULE(memctl, Init)
