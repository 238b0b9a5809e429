// NativeModel: the JS handle of a model living on the engine thread.
#pragma once

#include <napi.h>

namespace pocket {

void InitModel(Napi::Env env, Napi::Object exports);

} // namespace pocket
