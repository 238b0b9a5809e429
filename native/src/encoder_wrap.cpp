#include "encoder_wrap.h"

#include <memory>
#include <unordered_map>

#include "bert.h"
#include "file_check.h"
#include "js_bridge.h"
#include "js_convert.h"
#include "vision.h"

namespace pocket {
namespace {

// One loaded encoder. Lives in `encoders()`, touched only on the engine thread.
struct Encoder {
  std::string kind;  // bert | clip | siglip | vlm_vision
  std::unique_ptr<BertModel> bert;
  std::unique_ptr<VisionModel> vision;
};

std::unordered_map<int, std::shared_ptr<Encoder>>& encoders() {
  static std::unordered_map<int, std::shared_ptr<Encoder>> map;
  return map;
}
int next_encoder_id() {
  static int id = 0;
  return ++id;
}
std::shared_ptr<Encoder> find_encoder(int handle) {
  auto it = encoders().find(handle);
  if (it == encoders().end()) throw engine_error("E_DISPOSED", "encoder has been unloaded");
  return it->second;
}

std::vector<int> ints_of(const Napi::Object& o, const char* key) {
  auto v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw invalid_arg(std::string(key) + ": must be an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  return {a.Data(), a.Data() + a.ElementLength()};
}
std::vector<float> floats_of(const Napi::Object& o, const char* key) {
  auto v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw invalid_arg(std::string(key) + ": must be a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  return {a.Data(), a.Data() + a.ElementLength()};
}

BertConfig bert_config(const Napi::Object& o) {
  BertConfig c;
  c.hidden_size = get_int(o, "hiddenSize", 0);
  c.num_layers = get_int(o, "numLayers", 0);
  c.num_heads = get_int(o, "numHeads", 0);
  c.intermediate_size = get_int(o, "intermediateSize", 0);
  c.layer_norm_eps = get_float(o, "layerNormEps", 1e-12f);
  c.hidden_act = get_string(o, "hiddenAct", "gelu");
  return c;
}

TowerConfig tower_config(const Napi::Object& o) {
  TowerConfig c;
  c.hidden_size = get_int(o, "hiddenSize", 0);
  c.num_layers = get_int(o, "numLayers", 0);
  c.num_heads = get_int(o, "numHeads", 0);
  c.intermediate_size = get_int(o, "intermediateSize", 0);
  c.layer_norm_eps = get_float(o, "layerNormEps", 1e-5f);
  c.hidden_act = get_string(o, "hiddenAct", "quick_gelu");
  c.patch_size = get_int(o, "patchSize", 0);
  c.image_size = get_int(o, "imageSize", 0);
  c.vocab_size = get_int(o, "vocabSize", 0);
  c.max_positions = get_int(o, "maxPositions", 0);
  c.eos_token_id = get_int(o, "eosTokenId", -1);
  return c;
}

// {family, vision: {...}, text?: {...}, projectionDim, scaleFactor, featureLayer, dropCls}.
VisionModelConfig vision_config_from_js(const Napi::Object& o, const std::string& kind) {
  VisionModelConfig c;
  c.family = get_string(o, "family", kind);
  if (c.family != "clip" && c.family != "siglip" && c.family != "idefics3" && c.family != "llava")
    throw unsupported("vision family '" + c.family + "' is not supported (clip, siglip, idefics3, llava are)");
  if (!o.Get("vision").IsObject()) throw invalid_arg("config.vision: required");
  c.vision = tower_config(o.Get("vision").As<Napi::Object>());
  if (o.Get("text").IsObject()) c.text = tower_config(o.Get("text").As<Napi::Object>());
  c.projection_dim = get_int(o, "projectionDim", 0);
  c.scale_factor = get_int(o, "scaleFactor", 1);
  c.feature_layer = get_int(o, "featureLayer", -1);
  c.drop_cls = get_bool(o, "dropCls", true);
  if (c.scale_factor <= 0) throw invalid_arg("config.scaleFactor: must be positive");
  return c;
}

struct Tensor {
  std::vector<float> data;
  std::vector<int> shape;
};

Tensor to_tensor(mx::array a) {
  a = mx::astype(a, mx::float32);
  mx::eval(a);
  a = mx::contiguous(a);
  mx::eval(a);
  Tensor t;
  t.data.assign(a.data<float>(), a.data<float>() + a.size());
  for (auto d : a.shape()) t.shape.push_back(int(d));
  return t;
}

Napi::Value tensor_to_js(Napi::Env env, Tensor& t) {
  auto out = Napi::Object::New(env);
  auto data = Napi::Float32Array::New(env, t.data.size());
  std::copy(t.data.begin(), t.data.end(), data.Data());
  auto shape = Napi::Array::New(env, t.shape.size());
  for (size_t i = 0; i < t.shape.size(); ++i) shape.Set(uint32_t(i), t.shape[i]);
  out.Set("data", data);
  out.Set("shape", shape);
  return out;
}

// Token ids + mask validated against batch x seqLen.
std::pair<mx::array, mx::array> token_batch(const Napi::Object& o) {
  auto ids = ints_of(o, "inputIds");
  int batch = get_int(o, "batch", 0), len = get_int(o, "seqLen", 0);
  if (batch <= 0 || len <= 0 || size_t(batch) * len != ids.size())
    throw invalid_arg("inputIds: length must equal batch * seqLen");
  std::vector<int> mask = o.Get("attentionMask").IsUndefined() ? std::vector<int>(ids.size(), 1)
                                                                : ints_of(o, "attentionMask");
  if (mask.size() != ids.size()) throw invalid_arg("attentionMask: length must equal batch * seqLen");
  return {mx::array(ids.data(), {batch, len}, mx::int32), mx::array(mask.data(), {batch, len}, mx::int32)};
}

class NativeEncoder : public Napi::ObjectWrap<NativeEncoder> {
 public:
  static Napi::FunctionReference* constructor;

  static void Init(Napi::Env env, Napi::Object exports) {
    auto fn = DefineClass(env, "NativeEncoder",
                          {InstanceMethod("embed", &NativeEncoder::Embed),
                           InstanceMethod("embedImage", &NativeEncoder::EmbedImage),
                           InstanceMethod("embedText", &NativeEncoder::EmbedText),
                           InstanceMethod("unload", &NativeEncoder::Unload)});
    constructor = new Napi::FunctionReference(Napi::Persistent(fn));
    exports.Set("NativeEncoder", fn);
  }

  NativeEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEncoder>(info) {
    handle_ = info[0].As<Napi::Number>().Int32Value();
  }
  ~NativeEncoder() override {
    if (handle_ > 0) {
      int h = handle_;
      Engine::instance().post([h] { encoders().erase(h); });
    }
  }

 private:
  template <typename F>
  Napi::Value run(const Napi::CallbackInfo& info, F parse_and_run) {
    auto env = info.Env();
    if (handle_ <= 0) throw make_js_error(env, "E_DISPOSED", "encoder has been unloaded");
    if (info.Length() < 1 || !info[0].IsObject()) throw make_js_error(env, "E_INVALID_ARG", "expected an options object");
    std::function<Tensor()> work;
    try {
      work = parse_and_run(info[0].As<Napi::Object>(), handle_);
    } catch (const engine_error& e) {
      throw make_js_error(env, e.code(), e.what());
    }
    return run_on_engine<Tensor>(env, work, tensor_to_js);
  }

  // Sentence embeddings: {inputIds, attentionMask, batch, seqLen, pooling, normalize}.
  Napi::Value Embed(const Napi::CallbackInfo& info) {
    return run(info, [](const Napi::Object& o, int handle) -> std::function<Tensor()> {
      auto [ids, mask] = token_batch(o);
      auto pooling = get_string(o, "pooling", "mean");
      bool normalize = get_bool(o, "normalize", true);
      return [=] {
        auto enc = find_encoder(handle);
        if (enc->bert) return to_tensor(pool_tokens(enc->bert->forward(ids, mask), mask, pooling, normalize));
        throw invalid_arg("model: this encoder has no text tower for sentence embeddings");
      };
    });
  }

  // CLIP text embeddings (projected, normalized unless told otherwise).
  Napi::Value EmbedText(const Napi::CallbackInfo& info) {
    return run(info, [](const Napi::Object& o, int handle) -> std::function<Tensor()> {
      auto [ids, mask] = token_batch(o);
      bool normalize = get_bool(o, "normalize", true);
      return [=] {
        auto enc = find_encoder(handle);
        if (!enc->vision || !enc->vision->has_text()) throw invalid_arg("model: this encoder has no text tower");
        return to_tensor(enc->vision->embed_text(ids, mask, normalize));
      };
    });
  }

  // Images: {pixels: Float32Array [batch, height, width, 3] normalized, batch,
  // height, width, output: "embedding" (CLIP/SigLIP) | "features" (VLM)}.
  Napi::Value EmbedImage(const Napi::CallbackInfo& info) {
    return run(info, [](const Napi::Object& o, int handle) -> std::function<Tensor()> {
      auto pixels = floats_of(o, "pixels");
      int b = get_int(o, "batch", 1), h = get_int(o, "height", 0), w = get_int(o, "width", 0);
      if (b <= 0 || h <= 0 || w <= 0 || size_t(b) * h * w * 3 != pixels.size())
        throw invalid_arg("pixels: length must equal batch * height * width * 3");
      auto output = get_string(o, "output", "embedding");
      bool normalize = get_bool(o, "normalize", true);
      return [=] {
        auto enc = find_encoder(handle);
        if (!enc->vision) throw invalid_arg("model: this encoder has no vision tower");
        auto x = mx::array(pixels.data(), {b, h, w, 3}, mx::float32);
        if (output == "features") return to_tensor(enc->vision->image_features(x));
        return to_tensor(enc->vision->embed_image(x, normalize));
      };
    });
  }

  Napi::Value Unload(const Napi::CallbackInfo& info) {
    int h = handle_;
    handle_ = 0;
    return run_on_engine<bool>(
        info.Env(),
        [h] {
          if (h > 0) encoders().erase(h);
          return true;
        },
        [](Napi::Env env, bool&) { return env.Undefined(); });
  }

  int handle_ = 0;
};

Napi::FunctionReference* NativeEncoder::constructor = nullptr;

struct LoadedInfo {
  int handle;
  size_t nbytes;
  int hidden_size;
  int max_positions;
};

// loadEncoder({path, files, kind: "bert" | "clip" | "siglip" | "vlm_vision", config}).
Napi::Value LoadEncoder(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw make_js_error(env, "E_INVALID_ARG", "loadEncoder(options) expects an object");
  auto o = info[0].As<Napi::Object>();
  auto kind = get_string(o, "kind", "bert");
  auto path = get_string(o, "path");
  std::vector<std::string> files;
  if (o.Get("files").IsArray()) {
    auto arr = o.Get("files").As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) files.push_back(arr.Get(i).ToString().Utf8Value());
  }
  if (files.empty()) throw make_js_error(env, "E_INVALID_ARG", "files: at least one .safetensors file is required");
  if (!o.Get("config").IsObject()) throw make_js_error(env, "E_INVALID_ARG", "config: required");
  std::optional<BertConfig> bert_cfg;
  std::optional<VisionModelConfig> vision_cfg;
  try {
    auto cfg = o.Get("config").As<Napi::Object>();
    if (kind == "bert") bert_cfg = bert_config(cfg);
    else if (kind == "clip" || kind == "siglip" || kind == "vlm_vision") vision_cfg = vision_config_from_js(cfg, kind);
    else throw invalid_arg("kind: must be bert, clip, siglip or vlm_vision");
  } catch (const engine_error& e) {
    throw make_js_error(env, e.code(), e.what());
  }
  return run_on_engine<LoadedInfo>(
      env,
      [=] {
        WeightMap weights;
        try {
          for (auto& f : files) {
            check_safetensors_file(f);
            auto [w, _] = mx::load_safetensors(f);
            for (auto& [k, a] : w) weights.insert_or_assign(k, a);
          }
        } catch (const engine_error&) {
          throw;
        } catch (const std::exception& e) {
          throw load_error(std::string("failed to read ") + path + ": " + e.what());
        }
        auto enc = std::make_shared<Encoder>();
        enc->kind = kind;
        LoadedInfo li{};
        if (bert_cfg) {
          enc->bert = std::make_unique<BertModel>(*bert_cfg, weights);
          li = {0, enc->bert->nbytes(), enc->bert->config().hidden_size, enc->bert->config().max_positions};
        } else {
          enc->vision = std::make_unique<VisionModel>(*vision_cfg, weights);
          li = {0, enc->vision->nbytes(), enc->vision->output_dim(), enc->vision->config().text.max_positions};
        }
        li.handle = next_encoder_id();
        encoders()[li.handle] = enc;
        return li;
      },
      [](Napi::Env env, LoadedInfo& li) -> Napi::Value {
        auto obj = NativeEncoder::constructor->New({Napi::Number::New(env, li.handle)});
        auto i = Napi::Object::New(env);
        i.Set("nbytes", double(li.nbytes));
        i.Set("hiddenSize", li.hidden_size);
        i.Set("maxPositions", li.max_positions);
        obj.Set("info", i);
        return obj;
      });
}

} // namespace

void InitEncoders(Napi::Env env, Napi::Object exports) {
  NativeEncoder::Init(env, exports);
  exports.Set("loadEncoder", Napi::Function::New(env, LoadEncoder));
}

} // namespace pocket
