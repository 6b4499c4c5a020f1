// Binding for the pool core. (Filled in by the pool work.)
#include "binding/common.h"

namespace memctl {

void InitPool(Napi::Env env, Napi::Object exports) {}

}  // namespace memctl
