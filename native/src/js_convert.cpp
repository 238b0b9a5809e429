#include "js_convert.h"

#include "errors.h"

namespace pocket {

int get_int(const Napi::Object& o, const char* key, int fallback) {
  auto v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
}
float get_float(const Napi::Object& o, const char* key, float fallback) {
  auto v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().FloatValue() : fallback;
}
bool get_bool(const Napi::Object& o, const char* key, bool fallback) {
  auto v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}
std::string get_string(const Napi::Object& o, const char* key, const std::string& fallback) {
  auto v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}
std::vector<int> get_ints(const Napi::Object& o, const char* key) {
  std::vector<int> out;
  auto v = o.Get(key);
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    if (ta.TypedArrayType() != napi_int32_array) throw invalid_arg(std::string(key) + ": must be an Int32Array");
    auto arr = v.As<Napi::Int32Array>();
    out.assign(arr.Data(), arr.Data() + arr.ElementLength());
  } else if (v.IsArray()) {
    auto arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) out.push_back(arr.Get(i).As<Napi::Number>().Int32Value());
  }
  return out;
}

std::vector<float> get_floats(const Napi::Object& o, const char* key) {
  std::vector<float> out;
  auto v = o.Get(key);
  if (!v.IsArray()) return out;
  auto arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto x = arr.Get(i);
    if (!x.IsNumber()) throw invalid_arg(std::string(key) + ": must be an array of numbers");
    out.push_back(x.As<Napi::Number>().FloatValue());
  }
  return out;
}

namespace {

MoeConfig moe_from_js(const Napi::Object& m) {
  MoeConfig c;
  c.num_experts = get_int(m, "numExperts", 0);
  c.experts_per_token = get_int(m, "expertsPerToken", 0);
  c.intermediate_size = get_int(m, "intermediateSize", 0);
  auto gating = get_string(m, "gating", "softmax_topk");
  if (gating != "softmax_topk" && gating != "topk_softmax")
    throw invalid_arg("config: moe.gating must be softmax_topk or topk_softmax");
  c.gating = gating == "topk_softmax" ? MoeConfig::Gating::topk_softmax : MoeConfig::Gating::softmax_topk;
  c.norm_topk_prob = get_bool(m, "normTopkProb", true);
  c.weights_scale = get_float(m, "weightsScale", 1.0f);
  auto act = get_string(m, "activation", "silu");
  if (act != "silu" && act != "swiglu_oai") throw invalid_arg("config: moe.activation must be silu or swiglu_oai");
  c.activation = act == "swiglu_oai" ? MoeConfig::Activation::swiglu_oai : MoeConfig::Activation::silu;
  c.swiglu_limit = get_float(m, "swigluLimit", 7.0f);
  if (!(c.swiglu_limit > 0)) throw invalid_arg("config: moe.swigluLimit must be positive");
  c.shared_intermediate_size = get_int(m, "sharedIntermediateSize", 0);
  return c;
}

Napi::Object moe_to_js(Napi::Env env, const MoeConfig& c) {
  auto m = Napi::Object::New(env);
  m.Set("numExperts", c.num_experts);
  m.Set("expertsPerToken", c.experts_per_token);
  m.Set("intermediateSize", c.intermediate_size);
  m.Set("gating", c.gating == MoeConfig::Gating::topk_softmax ? "topk_softmax" : "softmax_topk");
  m.Set("normTopkProb", c.norm_topk_prob);
  m.Set("activation", c.activation == MoeConfig::Activation::swiglu_oai ? "swiglu_oai" : "silu");
  return m;
}

}  // namespace

DecoderConfig config_from_js(const Napi::Object& o) {
  DecoderConfig c;
  c.architecture = get_string(o, "architecture");
  c.hidden_size = get_int(o, "hiddenSize", 0);
  c.num_layers = get_int(o, "numLayers", 0);
  c.num_heads = get_int(o, "numHeads", 0);
  c.num_kv_heads = get_int(o, "numKvHeads", c.num_heads);
  c.head_dim = get_int(o, "headDim", 0);
  c.intermediate_size = get_int(o, "intermediateSize", 0);
  c.vocab_size = get_int(o, "vocabSize", 0);
  c.context_length = get_int(o, "contextLength", 2048);
  c.rms_eps = get_float(o, "rmsEps", 1e-5f);
  c.rope_theta = get_float(o, "ropeTheta", 10000.0f);
  c.rope_traditional = get_bool(o, "ropeTraditional", false);
  c.attention_bias = get_bool(o, "attentionBias", false);
  c.qk_norm = get_bool(o, "qkNorm", false);
  c.eos_ids = get_ints(o, "eosIds");
  c.bos_id = get_int(o, "bosId", -1);
  c.quant_bits = get_int(o, "quantBits", 0);
  c.quant_group = get_int(o, "quantGroup", 0);
  c.weight_prefix = get_string(o, "weightPrefix", "model.");
  c.lm_head_name = get_string(o, "lmHeadName", "lm_head");
  auto rs = o.Get("ropeScaling");
  if (rs.IsObject()) {
    auto r = rs.As<Napi::Object>();
    c.rope_scaling.type = get_string(r, "type");
    c.rope_scaling.factor = get_float(r, "factor", 1.0f);
    c.rope_scaling.low_freq_factor = get_float(r, "lowFreqFactor", 1.0f);
    c.rope_scaling.high_freq_factor = get_float(r, "highFreqFactor", 4.0f);
    c.rope_scaling.original_max_position = get_int(r, "originalMaxPositionEmbeddings", 8192);
    c.rope_scaling.beta_fast = get_float(r, "betaFast", 32.0f);
    c.rope_scaling.beta_slow = get_float(r, "betaSlow", 1.0f);
    c.rope_scaling.truncate = get_bool(r, "truncate", true);
    c.rope_scaling.mscale = get_float(r, "mscale", 1.0f);
    c.rope_scaling.mscale_all_dim = get_float(r, "mscaleAllDim", 0.0f);
    c.rope_scaling.attn_factor = get_float(r, "attentionFactor", 0.0f);
    c.rope_scaling.short_factor = get_floats(r, "shortFactor");
    c.rope_scaling.long_factor = get_floats(r, "longFactor");
  }
  auto layout = get_string(o, "normLayout", "pre");
  if (layout == "pre") c.norm_layout = NormLayout::pre;
  else if (layout == "sandwich") c.norm_layout = NormLayout::sandwich;
  else if (layout == "post") c.norm_layout = NormLayout::post;
  else throw invalid_arg("config: normLayout must be pre, sandwich or post");
  auto act = get_string(o, "activation", "silu");
  if (act == "silu") c.activation = Activation::silu;
  else if (act == "gelu_tanh") c.activation = Activation::gelu_tanh;
  else throw invalid_arg("config: activation must be silu or gelu_tanh");
  c.norm_plus_one = get_bool(o, "normPlusOne", false);
  c.qk_norm_full = get_bool(o, "qkNormFull", false);
  c.embed_scale = get_float(o, "embedScale", 1.0f);
  c.attn_scale = get_float(o, "attnScale", 0.0f);
  c.attn_softcap = get_float(o, "attnSoftcap", 0.0f);
  c.final_softcap = get_float(o, "finalSoftcap", 0.0f);
  c.residual_scale = get_float(o, "residualScale", 1.0f);
  c.logit_scale = get_float(o, "logitScale", 1.0f);
  c.layer_window = get_ints(o, "layerWindow");
  for (int r : get_ints(o, "layerRope")) c.layer_rope.push_back(r != 0);
  c.rope_local_theta = get_float(o, "ropeLocalTheta", 0.0f);
  c.rope_dims = get_int(o, "ropeDims", 0);
  c.attn_temp_scale = get_float(o, "attnTempScale", 0.0f);
  c.attn_temp_floor = get_int(o, "attnTempFloor", 0);
  if (c.attn_temp_scale != 0 && c.attn_temp_floor <= 0)
    throw invalid_arg("config: attnTempFloor must be positive with attnTempScale");
  if (o.Get("moe").IsObject()) c.moe = moe_from_js(o.Get("moe").As<Napi::Object>());
  c.attn_sinks = get_bool(o, "attnSinks", false);
  for (int r : get_ints(o, "layerLinear")) c.layer_linear.push_back(r != 0);
  c.attn_output_gate = get_bool(o, "attnOutputGate", false);
  if (o.Get("linearAttn").IsObject()) {
    auto l = o.Get("linearAttn").As<Napi::Object>();
    auto& lc = c.linear_attn;
    lc.conv_kernel = get_int(l, "convKernel", 0);
    lc.key_heads = get_int(l, "keyHeads", 0);
    lc.value_heads = get_int(l, "valueHeads", 0);
    lc.key_head_dim = get_int(l, "keyHeadDim", 0);
    lc.value_head_dim = get_int(l, "valueHeadDim", 0);
    lc.tiled_heads = get_bool(l, "tiledHeads", false);
  }
  return c;
}

GenerationOptions generation_from_js(const Napi::Object& o) {
  GenerationOptions g;
  g.prompt = get_ints(o, "tokens");
  auto& s = g.sampling;
  s.temperature = get_float(o, "temperature", 0.8f);
  s.top_k = get_int(o, "topK", 0);
  s.top_p = get_float(o, "topP", 1.0f);
  s.min_p = get_float(o, "minP", 0.0f);
  s.repetition_penalty = get_float(o, "repetitionPenalty", 1.0f);
  s.repetition_context = get_int(o, "repetitionContextSize", 64);
  s.presence_penalty = get_float(o, "presencePenalty", 0.0f);
  s.frequency_penalty = get_float(o, "frequencyPenalty", 0.0f);
  s.top_logprobs = get_int(o, "topLogprobs", 0);
  auto seed = o.Get("seed");
  if (seed.IsNumber()) {
    double d = seed.As<Napi::Number>().DoubleValue();
    if (d < 0 || d > 9007199254740991.0 || d != double(uint64_t(d)))
      throw invalid_arg("seed: must be a non-negative integer");
    s.seed = uint64_t(d) + 1;  // 0 is reserved for "no seed"
  }
  auto bias = o.Get("logitBias");
  if (bias.IsArray()) {
    auto arr = bias.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      auto pair = arr.Get(i).As<Napi::Array>();
      s.logit_bias.emplace_back(pair.Get(0u).As<Napi::Number>().Int32Value(),
                                pair.Get(1u).As<Napi::Number>().FloatValue());
    }
  }
  g.max_tokens = get_int(o, "maxTokens", -1);
  g.stop_ids = get_ints(o, "stopTokenIds");
  g.verified = get_bool(o, "verified", false);
  g.prompt_cache = get_bool(o, "promptCache", true);
  g.logprobs = get_bool(o, "logprobs", false);
  s.logprob = g.logprobs;
  g.commit_top_k = get_int(o, "commitTopK", 0);
  g.prompt_lookup = get_bool(o, "promptLookup", false);
  g.resumed = get_int(o, "resumedTokens", 0);
  g.num_draft = get_int(o, "numDraftTokens", 4);  // the draft model itself is resolved by model_wrap
  auto image = o.Get("imageEmbeddings");
  if (image.IsObject()) {
    auto io = image.As<Napi::Object>();
    InjectedEmbeddings inj;
    inj.positions = get_ints(io, "positions");
    auto values = io.Get("values");
    if (!values.IsTypedArray() || values.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw invalid_arg("imageEmbeddings: values must be a Float32Array");
    auto f = values.As<Napi::Float32Array>();
    inj.values.assign(f.Data(), f.Data() + f.ElementLength());
    g.inject = std::move(inj);
  }
  auto grammar = o.Get("grammar");
  if (grammar.IsObject()) {
    auto go = grammar.As<Napi::Object>();
    g.grammar_kind = get_string(go, "kind");
    g.grammar_text = get_string(go, "text");
    if (g.grammar_kind != "json_schema" && g.grammar_kind != "regex" && g.grammar_kind != "lark" &&
        g.grammar_kind != "llguidance")
      throw invalid_arg("response_format: grammar kind must be json_schema, regex, lark or llguidance");
  }
  return g;
}

Napi::Object config_to_js(Napi::Env env, const DecoderConfig& c) {
  auto o = Napi::Object::New(env);
  o.Set("architecture", c.architecture);
  o.Set("hiddenSize", c.hidden_size);
  o.Set("numLayers", c.num_layers);
  o.Set("numHeads", c.num_heads);
  o.Set("numKvHeads", c.num_kv_heads);
  o.Set("headDim", c.head_dim);
  o.Set("intermediateSize", c.intermediate_size);
  o.Set("vocabSize", c.vocab_size);
  o.Set("ropeTheta", c.rope_theta);
  o.Set("ropeTraditional", c.rope_traditional);
  o.Set("tieEmbeddings", c.tie_embeddings);
  o.Set("qkNorm", c.qk_norm);
  o.Set("bosId", c.bos_id);
  auto eos = Napi::Array::New(env, c.eos_ids.size());
  for (size_t i = 0; i < c.eos_ids.size(); ++i) eos.Set(uint32_t(i), c.eos_ids[i]);
  o.Set("eosIds", eos);
  auto windows = Napi::Array::New(env, c.layer_window.size());
  for (size_t i = 0; i < c.layer_window.size(); ++i) windows.Set(uint32_t(i), c.layer_window[i]);
  o.Set("layerWindow", windows);
  if (c.moe.num_experts > 0) o.Set("moe", moe_to_js(env, c.moe));
  return o;
}

Napi::Array commitments_to_js(Napi::Env env, const std::vector<ChunkCommitment>& list) {
  auto commits = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    auto& c = list[i];
    auto co = Napi::Object::New(env);
    co.Set("index", c.index);
    auto idx = Napi::Int32Array::New(env, c.indices.size());
    std::copy(c.indices.begin(), c.indices.end(), idx.Data());
    auto val = Napi::Float32Array::New(env, c.values.size());
    std::copy(c.values.begin(), c.values.end(), val.Data());
    co.Set("indices", idx);
    co.Set("values", val);
    commits.Set(uint32_t(i), co);
  }
  return commits;
}

} // namespace pocket
