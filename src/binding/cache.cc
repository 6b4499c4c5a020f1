// Binding for the cache core. (Filled in by the cache work.)
#include "binding/common.h"

namespace memctl {

void InitCache(Napi::Env env, Napi::Object exports) {}

}  // namespace memctl
