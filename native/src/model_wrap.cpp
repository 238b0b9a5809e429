#include "model_wrap.h"

#include <variant>

#include "audit.h"
#include "backend.h"
#include "evaluate.h"
#include "file_check.h"
#include "gguf_reader.h"
#include "prompt_cache.h"
#include "generation.h"
#include "js_bridge.h"
#include "js_convert.h"
#include "js_sink.h"
#include "models/registry.h"

namespace pocket {
namespace {

using MetaValue = std::variant<std::string, std::vector<std::string>, std::vector<double>>;

struct LoadResult {
  int handle = 0;
  DecoderConfig config;
  int context_length = 0;
  int quant_bits = 0;
  size_t nbytes = 0;
  std::string backend, dtype;
  std::vector<std::pair<std::string, MetaValue>> metadata;
  std::map<std::string, TensorTypeSummary> tensor_types;  // GGUF only
  std::string device;                                     // "cpu" | "gpu"
};

// Where GGUF 5-bit types go: MLX's 5-bit on a GPU, the same values as 8-bit
// on the CPU (our kernels' fast path). POCKET_GGUF_FIVE_BIT=5|8 overrides.
int five_bit_target() {
  if (auto* e = std::getenv("POCKET_GGUF_FIVE_BIT")) return std::string(e) == "5" ? 5 : 8;
  return mx::default_device() == mx::Device::gpu ? 5 : 8;
}

// ---- C++ -> JS ----------------------------------------------------------

Napi::Value meta_to_js(Napi::Env env, const MetaValue& v) {
  if (auto s = std::get_if<std::string>(&v)) return Napi::String::New(env, *s);
  if (auto vs = std::get_if<std::vector<std::string>>(&v)) {
    auto arr = Napi::Array::New(env, vs->size());
    for (size_t i = 0; i < vs->size(); ++i) arr.Set(uint32_t(i), (*vs)[i]);
    return arr;
  }
  auto& nums = std::get<std::vector<double>>(v);
  if (nums.size() == 1) return Napi::Number::New(env, nums[0]);
  auto arr = Napi::Float64Array::New(env, nums.size());
  std::copy(nums.begin(), nums.end(), arr.Data());
  return arr;
}

std::vector<std::pair<std::string, MetaValue>> convert_metadata(
    const std::unordered_map<std::string, mx::GGUFMetaData>& meta) {
  std::vector<std::pair<std::string, MetaValue>> out;
  for (auto& [k, v] : meta) {
    if (auto s = std::get_if<std::string>(&v)) {
      out.emplace_back(k, *s);
    } else if (auto vs = std::get_if<std::vector<std::string>>(&v)) {
      out.emplace_back(k, *vs);
    } else if (auto a = std::get_if<mx::array>(&v)) {
      auto f = mx::astype(mx::reshape(*a, {-1}), mx::float32);
      mx::eval(f);
      out.emplace_back(k, std::vector<double>(f.data<float>(), f.data<float>() + f.size()));
    }
  }
  return out;
}

LoadResult load_on_engine(const std::string& path, const std::string& format, std::vector<std::string> files,
                          std::optional<DecoderConfig> js_config, int context_length, int prefill_chunk,
                          int parallel, int kv_bits, std::string tokenizer_json, std::string dtype_name_,
                          std::pair<int, int> shard, std::function<void(double)> on_progress, int decode_acts) {
  auto model = std::make_shared<LoadedModel>();
  model->path = path;
  LoadResult result;
  if (dtype_name_.empty()) {
    model->dtype = default_activation_dtype();
  } else if (auto d = parse_dtype(dtype_name_)) {
    model->dtype = *d;
  } else {
    throw invalid_arg("dtype: must be float32, float16 or bfloat16");
  }
  // Floating weights are cast to the activation dtype while the model loads.
  ComputeDtypeScope dtype_scope(model->dtype);
  try {
    if (format == "gguf") {
      GgufLoadOptions load_options;
      load_options.five_bit_as = five_bit_target();
      load_options.dequantize_all = std::getenv("POCKET_GGUF_DEQUANTIZE") != nullptr;
      std::tie(load_options.layer_begin, load_options.layer_end) = shard;
      load_options.on_progress = on_progress;
      auto gguf = load_gguf_model(path, load_options);
      auto& weights = gguf.weights;
      auto& meta = gguf.metadata;
      result.tensor_types = gguf.tensor_types;
      auto cfg = config_from_gguf(meta);
      cfg.loaded_context = context_length;
      std::tie(cfg.shard_begin, cfg.shard_end) = shard;
      model->llm = make_decoder(cfg, weights, true);
      auto tokens = meta.find("tokenizer.ggml.tokens");
      auto model_kind = meta.find("tokenizer.ggml.model");
      if (tokens != meta.end() && model_kind != meta.end() && std::get_if<std::string>(&model_kind->second) &&
          std::get<std::string>(model_kind->second) == "gpt2") {
        if (auto vs = std::get_if<std::vector<std::string>>(&tokens->second)) model->vocab = *vs;
        auto types = meta.find("tokenizer.ggml.token_type");
        if (types != meta.end())
          if (auto a = std::get_if<mx::array>(&types->second)) {
            auto t = mx::astype(*a, mx::int32);
            mx::eval(t);
            model->vocab_types.assign(t.data<int32_t>(), t.data<int32_t>() + t.size());
          }
      }
      result.metadata = convert_metadata(meta);
    } else if (format == "safetensors") {
      if (!js_config) throw invalid_arg("config: required for safetensors models");
      WeightMap weights;
      for (auto& f : files) {
        check_safetensors_file(f);
        auto [w, _] = mx::load_safetensors(f);
        for (auto& [k, a] : w) weights.insert_or_assign(k, a);
      }
      js_config->loaded_context = context_length;
      std::tie(js_config->shard_begin, js_config->shard_end) = shard;
      model->llm = make_decoder(*js_config, weights, false);
      model->tokenizer_json_path = tokenizer_json;
    } else {
      throw invalid_arg("format: must be 'gguf' or 'safetensors'");
    }
  } catch (const engine_error&) {
    throw;
  } catch (const std::exception& e) {
    throw load_error(std::string("failed to read model: ") + e.what());
  }
  auto& cfg = model->llm->config();
  model->context_length = context_length > 0 ? std::min(context_length, std::max(cfg.context_length, 1))
                                             : std::max(cfg.context_length, 1);
  if (context_length > cfg.context_length && cfg.context_length > 0) model->context_length = context_length;
  if (prefill_chunk > 0) model->prefill_chunk = prefill_chunk;
  if (parallel > 0) model->max_batch = parallel;
  model->kv_bits = kv_bits;
  model->q8_decode = decode_acts == 2;  // decodeActivations (below): 0 float32, 1 int8-head, 2 int8
  model->q8_head = decode_acts >= 1;
  if (kv_bits && cfg.head_dim % 32 != 0) throw unsupported("kvBits: head_dim must be a multiple of 32");
  result.config = cfg;
  result.context_length = model->context_length;
  // Half-precision activations leave the custom float32 kernels: graph path.
  result.backend = on_gpu() ? backend_info().kind
                            : (graph_path() || model->dtype != mx::float32 ? "cpu-graph" : "cpu");
  result.dtype = dtype_name(model->dtype);
  result.nbytes = model->llm->nbytes();
  result.device = mx::default_device() == mx::Device::gpu ? "gpu" : "cpu";
  result.handle = Engine::instance().add_model(model);
  return result;
}

// ---- The ObjectWrap -----------------------------------------------------

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::FunctionReference* constructor;

  static void Init(Napi::Env env, Napi::Object exports) {
    auto fn = DefineClass(env, "NativeModel",
                          {InstanceMethod("generate", &NativeModel::Generate),
                           InstanceMethod("cancel", &NativeModel::Cancel),
                           InstanceMethod("evaluate", &NativeModel::Evaluate),
                           InstanceMethod("audit", &NativeModel::Audit),
                           InstanceMethod("savePromptCache", &NativeModel::SavePromptCache),
                           InstanceMethod("loadPromptCache", &NativeModel::LoadPromptCache),
                           InstanceMethod("unload", &NativeModel::Unload)});
    constructor = new Napi::FunctionReference(Napi::Persistent(fn));
    exports.Set("NativeModel", fn);
  }

  NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {
    handle_ = info[0].As<Napi::Number>().Int32Value();
  }

  int handle() const { return handle_; }

  ~NativeModel() override {
    // Garbage-collected without unload(): free the weights on the engine thread.
    if (handle_ > 0) {
      int h = handle_;
      Engine::instance().post([h] { Engine::instance().remove_model(h); });
    }
  }

 private:
  Napi::Value Generate(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (handle_ <= 0) throw make_js_error(env, "E_DISPOSED", "model has been unloaded");
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
      throw make_js_error(env, "E_INVALID_ARG", "generate(options, onEvent) expects an object and a function");
    GenerationOptions opts;
    auto o = info[0].As<Napi::Object>();
    int draft_handle = 0;
    try {
      opts = generation_from_js(o);
      auto draft = o.Get("draftModel");
      if (!draft.IsUndefined() && !draft.IsNull()) {
        if (!draft.IsObject() || !draft.As<Napi::Object>().InstanceOf(constructor->Value()))
          throw invalid_arg("draftModel: must be a loaded model");
        draft_handle = Unwrap(draft.As<Napi::Object>())->handle_;
        if (draft_handle <= 0) throw invalid_arg("draftModel: the draft model has been unloaded");
        if (draft_handle == handle_) throw invalid_arg("draftModel: must be a different model than the one generating");
      }
    } catch (const engine_error& e) {
      throw make_js_error(env, e.code(), e.what());
    }
    int id = Engine::instance().next_request_id();
    auto cancel = Engine::instance().cancel_flag(id);
    auto tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "pocket-generate", 0, 1);
    int handle = handle_;
    auto shared_opts = std::make_shared<GenerationOptions>(std::move(opts));
    Engine::instance().post([handle, draft_handle, id, shared_opts, tsfn, cancel]() mutable {
      auto sink = std::make_unique<JsSink>(tsfn);
      auto model = Engine::instance().model(handle);
      if (!model) {
        sink->on_error("E_DISPOSED", "model has been unloaded");
        return;
      }
      if (draft_handle) {
        shared_opts->draft = Engine::instance().model(draft_handle);
        if (!shared_opts->draft) {
          sink->on_error("E_DISPOSED", "the draft model has been unloaded");
          return;
        }
      }
      Engine::instance().start(
          std::make_shared<Generation>(id, model, std::move(*shared_opts), std::move(sink), cancel));
    });
    return Napi::Number::New(env, id);
  }

  Napi::Value Evaluate(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (handle_ <= 0) throw make_js_error(env, "E_DISPOSED", "model has been unloaded");
    if (info.Length() < 1 || !info[0].IsObject())
      throw make_js_error(env, "E_INVALID_ARG", "evaluate(options) expects an object");
    auto o = info[0].As<Napi::Object>();
    EvaluateOptions opts;
    try {
      opts.tokens = get_ints(o, "tokens");
    } catch (const engine_error& e) {
      throw make_js_error(env, e.code(), e.what());
    }
    opts.from = get_int(o, "from", 0);
    opts.top_k = get_int(o, "topK", 5);
    opts.full_logits = get_bool(o, "fullLogits", false);
    opts.hidden = get_bool(o, "hidden", false);
    int handle = handle_;
    return run_on_engine<EvaluateResult>(
        env,
        [handle, opts] {
          auto model = Engine::instance().model(handle);
          if (!model) throw engine_error("E_DISPOSED", "model has been unloaded");
          return evaluate_tokens(*model, opts);
        },
        [](Napi::Env env, EvaluateResult& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          auto f32 = [&](const std::vector<float>& v) {
            auto a = Napi::Float32Array::New(env, v.size());
            std::copy(v.begin(), v.end(), a.Data());
            return a;
          };
          auto ids = Napi::Int32Array::New(env, r.top_ids.size());
          std::copy(r.top_ids.begin(), r.top_ids.end(), ids.Data());
          out.Set("rows", r.rows);
          out.Set("vocabSize", r.vocab);
          out.Set("hiddenSize", r.hidden_size);
          out.Set("topK", r.top_k);
          out.Set("topIds", ids);
          out.Set("topLogits", f32(r.top_logits));
          out.Set("logsumexp", f32(r.logsumexp));
          if (!r.logits.empty()) out.Set("logits", f32(r.logits));
          if (!r.hidden.empty()) out.Set("hidden", f32(r.hidden));
          return out;
        });
  }

  Napi::Value PromptCacheCall(const Napi::CallbackInfo& info, bool save) {
    auto env = info.Env();
    if (handle_ <= 0) throw make_js_error(env, "E_DISPOSED", "model has been unloaded");
    if (info.Length() < 1 || !info[0].IsString())
      throw make_js_error(env, "E_INVALID_ARG", "expects a file path");
    auto file = info[0].As<Napi::String>().Utf8Value();
    int handle = handle_;
    return run_on_engine<int>(
        env,
        [handle, file, save] {
          auto model = Engine::instance().model(handle);
          if (!model) throw engine_error("E_DISPOSED", "model has been unloaded");
          return save ? save_prompt_cache(*model, file) : load_prompt_cache(*model, file);
        },
        [](Napi::Env env, int& n) -> Napi::Value { return Napi::Number::New(env, n); });
  }
  Napi::Value SavePromptCache(const Napi::CallbackInfo& info) { return PromptCacheCall(info, true); }
  Napi::Value LoadPromptCache(const Napi::CallbackInfo& info) { return PromptCacheCall(info, false); }

  Napi::Value Audit(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (handle_ <= 0) throw make_js_error(env, "E_DISPOSED", "model has been unloaded");
    if (info.Length() < 1 || !info[0].IsObject())
      throw make_js_error(env, "E_INVALID_ARG", "audit(options) expects an object");
    auto o = info[0].As<Napi::Object>();
    AuditOptions opts;
    try {
      opts.prompt = get_ints(o, "promptTokens");
      opts.completion = get_ints(o, "completionTokens");
      opts.commit_indices = get_ints(o, "commitIndices");
      opts.sampling = generation_from_js(o).sampling;
    } catch (const engine_error& e) {
      throw make_js_error(env, e.code(), e.what());
    }
    opts.commit_top_k = get_int(o, "commitTopK", 0);
    opts.greedy_tolerance = get_float(o, "greedyTolerance", 0.05f);
    opts.interval_tolerance = get_float(o, "intervalTolerance", 1e-3f);
    int handle = handle_;
    return run_on_engine<AuditResult>(
        env,
        [handle, opts] {
          auto model = Engine::instance().model(handle);
          if (!model) throw engine_error("E_DISPOSED", "model has been unloaded");
          return audit_completion(*model, opts);
        },
        [](Napi::Env env, AuditResult& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          auto checks = Napi::Array::New(env, r.checks.size());
          for (size_t i = 0; i < r.checks.size(); ++i) {
            auto& c = r.checks[i];
            auto co = Napi::Object::New(env);
            co.Set("index", c.index);
            co.Set("token", c.token);
            co.Set("ok", c.ok);
            co.Set("gap", c.gap);
            co.Set("maxLogit", c.max_logit);
            co.Set("logit", c.logit);
            co.Set("u", c.u);
            co.Set("low", c.low);
            co.Set("high", c.high);
            co.Set("candidate", c.candidate);
            if (!c.candidate) {
              co.Set("above", c.above);
              co.Set("kthLogit", c.kth_logit);
            }
            checks.Set(uint32_t(i), co);
          }
          out.Set("checks", checks);
          out.Set("failures", r.failures);
          out.Set("commitments", commitments_to_js(env, r.commitments));
          return out;
        });
  }

  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    if (info.Length() > 0 && info[0].IsNumber()) Engine::instance().cancel(info[0].As<Napi::Number>().Int32Value());
    return info.Env().Undefined();
  }

  Napi::Value Unload(const Napi::CallbackInfo& info) {
    int h = handle_;
    handle_ = 0;
    return run_on_engine<bool>(
        info.Env(),
        [h] {
          if (h > 0) Engine::instance().remove_model(h);
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); });
  }

  int handle_ = 0;
};

Napi::FunctionReference* NativeModel::constructor = nullptr;

}  // namespace

int model_handle(const Napi::Value& v) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(NativeModel::constructor->Value())) return 0;
  return NativeModel::Unwrap(v.As<Napi::Object>())->handle();
}

namespace {

Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw make_js_error(env, "E_INVALID_ARG", "loadModel(options) expects an object");
  auto o = info[0].As<Napi::Object>();
  auto path = get_string(o, "path");
  auto format = get_string(o, "format", "gguf");
  std::vector<std::string> files;
  auto fv = o.Get("files");
  if (fv.IsArray()) {
    auto arr = fv.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) files.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
  }
  std::optional<DecoderConfig> cfg;
  if (o.Get("config").IsObject()) cfg = config_from_js(o.Get("config").As<Napi::Object>());
  int ctx = get_int(o, "contextLength", 0);
  int chunk = get_int(o, "prefillChunkSize", 0);
  int parallel = get_int(o, "parallel", 0);
  int kv_bits = get_int(o, "kvBits", 0);
  auto tokenizer_json = get_string(o, "tokenizerJson");
  auto dtype = get_string(o, "dtype");
  // shard: { layerStart, layerEnd } loads only those layers (shard.h).
  std::pair<int, int> shard{0, 0};
  if (o.Get("shard").IsObject()) {
    auto so = o.Get("shard").As<Napi::Object>();
    shard = {get_int(so, "layerStart", 0), get_int(so, "layerEnd", 0)};
    if (shard.first < 0 || shard.second <= shard.first)
      throw make_js_error(env, "E_INVALID_ARG", "shard: layerEnd must be greater than layerStart >= 0");
  }
  auto acts = get_string(o, "decodeActivations", "int8-head");
  if (acts != "int8" && acts != "int8-head" && acts != "float32")
    throw make_js_error(env, "E_INVALID_ARG", "decodeActivations: must be int8-head, int8 or float32");
  int decode_acts = acts == "int8" ? 2 : acts == "int8-head" ? 1 : 0;
  if (kv_bits != 0 && kv_bits != 4 && kv_bits != 8) throw make_js_error(env, "E_INVALID_ARG", "kvBits: must be 4, 8 or 0");
  if (parallel < 0 || parallel > 64) throw make_js_error(env, "E_INVALID_ARG", "parallel: must be between 1 and 64");
  // onProgress(fraction): load progress from the engine thread, at most one
  // call per percent; released once the load ends either way.
  std::shared_ptr<Napi::ThreadSafeFunction> progress;
  if (o.Get("onProgress").IsFunction())
    progress = std::shared_ptr<Napi::ThreadSafeFunction>(
        new Napi::ThreadSafeFunction(Napi::ThreadSafeFunction::New(
            env, o.Get("onProgress").As<Napi::Function>(), "pocket-load-progress", 0, 1)),
        [](Napi::ThreadSafeFunction* f) {
          f->Release();
          delete f;
        });
  return run_on_engine<LoadResult>(
      env,
      [=]() mutable {
        std::function<void(double)> on_progress;
        double last = -1;
        if (progress)
          on_progress = [progress, last](double f) mutable {
            if (f < last + 0.01) return;
            last = f;
            progress->NonBlockingCall(
                [f](Napi::Env env, Napi::Function cb) { cb.Call({Napi::Number::New(env, f)}); });
          };
        auto r = load_on_engine(path, format, files, cfg, ctx, chunk, parallel, kv_bits, tokenizer_json, dtype,
                                shard, on_progress, decode_acts);
        progress.reset();
        return r;
      },
      [](Napi::Env env, LoadResult& r) -> Napi::Value {
        auto obj = NativeModel::constructor->New({Napi::Number::New(env, r.handle)});
        auto info = config_to_js(env, r.config);
        info.Set("contextLength", r.context_length);
        info.Set("nbytes", double(r.nbytes));
        info.Set("backend", r.backend);
        info.Set("dtype", r.dtype);
        info.Set("device", r.device);
        if (r.config.shard_end > 0) {
          auto sh = Napi::Object::New(env);
          sh.Set("layerStart", r.config.layer_begin());
          sh.Set("layerEnd", r.config.layer_end());
          sh.Set("embeddings", r.config.has_embeddings());
          sh.Set("head", r.config.has_head());
          info.Set("shard", sh);
        }
        if (!r.tensor_types.empty()) {
          auto types = Napi::Object::New(env);
          for (auto& [name, t] : r.tensor_types) {
            auto e = Napi::Object::New(env);
            e.Set("count", t.count);
            e.Set("elements", double(t.elements));
            e.Set("mappedTo", t.target.describe());
            e.Set("exact", t.target.exact);
            types.Set(name, e);
          }
          info.Set("tensorTypes", types);
        }
        obj.Set("info", info);
        auto meta = Napi::Object::New(env);
        for (auto& [k, v] : r.metadata) meta.Set(k, meta_to_js(env, v));
        obj.Set("metadata", meta);
        return obj;
      });
}

// dequantizeGgufTensor({ path, name, fiveBitAs? }): one tensor as the engine
// holds it, dequantized by MLX to float32 (tests compare with llama.cpp).
Napi::Value DequantizeGgufTensor(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw make_js_error(env, "E_INVALID_ARG", "dequantizeGgufTensor(options) expects an object");
  auto o = info[0].As<Napi::Object>();
  auto path = get_string(o, "path");
  auto name = get_string(o, "name");
  int five = get_int(o, "fiveBitAs", 8);
  if (five != 5 && five != 8) throw make_js_error(env, "E_INVALID_ARG", "fiveBitAs: must be 5 or 8");
  return run_on_engine<DequantizedTensor>(
      env, [=] { return dequantize_gguf_tensor(path, name, five); },
      [](Napi::Env env, DequantizedTensor& t) -> Napi::Value {
        auto out = Napi::Object::New(env);
        auto values = Napi::Float32Array::New(env, t.values.size());
        std::copy(t.values.begin(), t.values.end(), values.Data());
        auto shape = Napi::Array::New(env, t.shape.size());
        for (size_t i = 0; i < t.shape.size(); ++i) shape.Set(uint32_t(i), t.shape[i]);
        out.Set("values", values);
        out.Set("shape", shape);
        out.Set("type", t.type_name);
        out.Set("mappedTo", t.target.describe());
        out.Set("exact", t.target.exact);
        return out;
      });
}

} // namespace

void InitModel(Napi::Env env, Napi::Object exports) {
  NativeModel::Init(env, exports);
  exports.Set("loadModel", Napi::Function::New(env, LoadModel));
  exports.Set("dequantizeGgufTensor", Napi::Function::New(env, DequantizeGgufTensor));
}

} // namespace pocket
