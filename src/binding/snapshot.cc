// Binding for the snapshot core. (Filled in by the snapshot work.)
#include "binding/common.h"

namespace memctl {

void InitSnapshot(Napi::Env env, Napi::Object exports) {}

}  // namespace memctl
