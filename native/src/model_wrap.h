// NativeModel: the JS handle of a model living on the engine thread.
#pragma once

#include <napi.h>

namespace pocket {

void InitModel(Napi::Env env, Napi::Object exports);
// The engine handle of a NativeModel (0 when `v` is none, or unloaded).
int model_handle(const Napi::Value& v);

} // namespace pocket
