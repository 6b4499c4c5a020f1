// Binding for the leak core. (Filled in by the leak work.)
#include "binding/common.h"

namespace memctl {

void InitLeak(Napi::Env env, Napi::Object exports) {}

}  // namespace memctl
