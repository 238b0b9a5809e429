// Entry point of the native engine addon: registers each area's bindings.
#include <napi.h>

#include "backend.h"
#include "encoder_wrap.h"
#include "engine.h"
#include "js_bridge.h"
#include "model_wrap.h"
#include "qmm_q8.h"
#include "shard_wrap.h"

namespace pocket {

struct MemoryStats {
  size_t active, peak, cache, limit;
};

Napi::Value GetMemoryStats(const Napi::CallbackInfo& info) {
  return run_on_engine<MemoryStats>(
      info.Env(),
      [] {
        return MemoryStats{mx::get_active_memory(), mx::get_peak_memory(), mx::get_cache_memory(),
                           mx::get_memory_limit()};
      },
      [](Napi::Env env, MemoryStats& m) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("activeBytes", double(m.active));
        o.Set("peakBytes", double(m.peak));
        o.Set("cacheBytes", double(m.cache));
        o.Set("limitBytes", double(m.limit));
        return o;
      });
}

Napi::Value SetMemoryLimits(const Napi::CallbackInfo& info) {
  auto o = info[0].As<Napi::Object>();
  double mem = o.Get("memoryLimitBytes").IsNumber() ? o.Get("memoryLimitBytes").As<Napi::Number>().DoubleValue() : -1;
  double cache = o.Get("cacheLimitBytes").IsNumber() ? o.Get("cacheLimitBytes").As<Napi::Number>().DoubleValue() : -1;
  return run_on_engine<bool>(
      info.Env(),
      [=] {
        if (mem >= 0) mx::set_memory_limit(size_t(mem));
        if (cache >= 0) mx::set_cache_limit(size_t(cache));
        return true;
      },
      [](Napi::Env env, bool&) { return env.Undefined(); });
}

// Which device and kernels the engine uses (backend.h).
Napi::Value GetBackend(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto& b = backend_info();
  auto o = Napi::Object::New(env);
  o.Set("device", b.device);
  o.Set("kind", b.kind);
  o.Set("name", backend_name());
  o.Set("deviceName", b.device_name);
  o.Set("gpuAvailable", b.gpu_available);
  o.Set("graphPath", graph_path());
  o.Set("defaultDtype", dtype_name(default_activation_dtype()));
  o.Set("cpuIsa", qmm::isa_name(qmm::active_isa()));
  return o;
}

// Turns the graph path on or off for the CPU (tests run both paths in one
// process); applies to graphs built after the engine thread runs it.
Napi::Value SetGraphPath(const Napi::CallbackInfo& info) {
  bool on = info.Length() > 0 && info[0].ToBoolean().Value();
  return run_on_engine<bool>(
      info.Env(),
      [on] {
        set_graph_path(on);
        return graph_path();
      },
      [](Napi::Env env, bool& now) -> Napi::Value { return Napi::Boolean::New(env, now); });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  try {
    backend_info();  // POCKET_DEVICE=gpu without a GPU fails here, loudly
  } catch (const std::exception& e) {
    throw make_js_error(env, "E_BACKEND", e.what());
  }
  InitModel(env, exports);
  InitEncoders(env, exports);
  InitShard(env, exports);
  exports.Set("memoryStats", Napi::Function::New(env, GetMemoryStats));
  exports.Set("setMemoryLimits", Napi::Function::New(env, SetMemoryLimits));
  exports.Set("mlxVersion", Napi::String::New(env, mx::version()));
  exports.Set("backend", Napi::Function::New(env, GetBackend));
  exports.Set("setGraphPath", Napi::Function::New(env, SetGraphPath));
  env.AddCleanupHook([] { Engine::instance().shutdown(); });
  return exports;
}

} // namespace pocket

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return pocket::Init(env, exports); }

NODE_API_MODULE(pocket_engine, InitAddon)
