// Bindings for encoder models (BERT sentence embeddings, CLIP/SigLIP image
// and text towers, VLM vision towers + projectors): loadEncoder() and the
// NativeEncoder ObjectWrap.
#pragma once

#include <napi.h>

namespace pocket {

void InitEncoders(Napi::Env env, Napi::Object exports);

} // namespace pocket
