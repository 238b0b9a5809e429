// Conversions between JS values and the engine's C++ types, shared by the
// NativeModel binding.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "config.h"
#include "generation.h"

namespace pocket {

int get_int(const Napi::Object& o, const char* key, int fallback);
float get_float(const Napi::Object& o, const char* key, float fallback);
bool get_bool(const Napi::Object& o, const char* key, bool fallback);
std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback = "");
// An Int32Array or an array of numbers; throws invalid_arg otherwise.
std::vector<int> get_ints(const Napi::Object& o, const char* key);

DecoderConfig config_from_js(const Napi::Object& o);
GenerationOptions generation_from_js(const Napi::Object& o);
Napi::Object config_to_js(Napi::Env env, const DecoderConfig& c);
Napi::Array commitments_to_js(Napi::Env env, const std::vector<ChunkCommitment>& list);

} // namespace pocket
