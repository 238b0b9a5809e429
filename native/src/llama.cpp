#include "llama.h"

#include <cmath>
#include <cstdlib>

#include "errors.h"
#include "fused.h"
#include "sdpa.h"
#include "segment_sdpa.h"
#include "fused_layer.h"

namespace pocket {
namespace {

// Llama 3 frequency scaling (low/high frequency bands), as in Meta's reference.
mx::array llama3_freqs(const DecoderConfig& c) {
  int dims = c.head_dim;
  auto& s = c.rope_scaling;
  float low_wavelen = s.original_max_position / s.low_freq_factor;
  float high_wavelen = s.original_max_position / s.high_freq_factor;
  std::vector<float> freqs(dims / 2);
  for (int i = 0; i < dims / 2; ++i) {
    float f = std::pow(c.rope_theta, (2.0f * i) / dims);  // 1/inv_freq
    float wavelen = 2.0f * float(M_PI) * f;
    if (wavelen > low_wavelen) {
      f = f * s.factor;
    } else if (wavelen >= high_wavelen) {
      float smooth = (s.original_max_position / wavelen - s.low_freq_factor) /
                     (s.high_freq_factor - s.low_freq_factor);
      f = f / ((1 - smooth) / s.factor + smooth);
    }
    freqs[i] = f;
  }
  return mx::array(freqs.data(), {dims / 2}, mx::float32);
}

} // namespace

LlamaModel::LlamaModel(DecoderConfig cfg, WeightMap& w, Naming naming) : cfg_(std::move(cfg)) {
  auto& c = cfg_;
  if (c.hidden_size <= 0 || c.num_layers <= 0 || c.num_heads <= 0 || c.num_kv_heads <= 0 ||
      c.vocab_size <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw load_error("inconsistent model configuration");
  if (c.head_dim <= 0) c.head_dim = c.hidden_size / c.num_heads;
  bool gguf = naming == Naming::gguf;
  int group = gguf ? 32 : c.quant_group;
  bool moe = c.moe.num_experts > 0 || c.moe.experts_per_token > 0;
  if (moe) check_moe_config(c.moe);
  const auto& pre = c.weight_prefix;
  embed_.table = load_linear(w, gguf ? "token_embd" : pre + "embed_tokens", group);
  if (embed_.table.out_features() != c.vocab_size)
    throw load_error("embedding rows do not match the vocabulary size");
  for (int i = 0; i < c.num_layers; ++i) {
    auto n = [&](const char* g, const char* h) {
      return gguf ? "blk." + std::to_string(i) + "." + g : pre + "layers." + std::to_string(i) + "." + h;
    };
    DecoderLayer l{
        take_weight(w, n("attn_norm.weight", "input_layernorm.weight")),
        take_weight(w, n("ffn_norm.weight", "post_attention_layernorm.weight")),
        load_linear(w, n("attn_q", "self_attn.q_proj"), group),
        load_linear(w, n("attn_k", "self_attn.k_proj"), group),
        load_linear(w, n("attn_v", "self_attn.v_proj"), group),
        load_linear(w, n("attn_output", "self_attn.o_proj"), group),
        load_linear(w, n("ffn_gate", "mlp.gate_proj"), group, !moe),
        load_linear(w, n("ffn_up", "mlp.up_proj"), group, !moe),
        load_linear(w, n("ffn_down", "mlp.down_proj"), group, !moe),
        take_optional(w, n("attn_q_norm.weight", "self_attn.q_norm.weight")),
        take_optional(w, n("attn_k_norm.weight", "self_attn.k_norm.weight")),
    };
    if (moe) {
      auto names = gguf ? gguf_moe_names(i) : hf_moe_names(w, pre + "layers." + std::to_string(i) + ".", c.architecture, c.moe.num_experts);
      l.moe = load_moe(w, names, c.moe, c.hidden_size, group);
    }
    if (c.qk_norm && (!l.q_norm || !l.k_norm)) throw load_error("missing q/k norm weights");
    if (l.q.out_features() != c.num_heads * c.head_dim ||
        l.k.out_features() != c.num_kv_heads * c.head_dim)
      throw load_error("attention projection shapes do not match the configuration");
    layers_.push_back(std::move(l));
  }
  final_norm_ = take_weight(w, gguf ? "output_norm.weight" : pre + "norm.weight");
  lm_head_ = load_linear(w, gguf ? "output" : c.lm_head_name, group, false);
  if (!lm_head_.weight) {
    lm_head_ = embed_.table;  // tied embeddings
    c.tie_embeddings = true;
  }
  if (c.rope_scaling.type == "llama3") {
    rope_freqs_ = llama3_freqs(c);
  } else if (c.rope_scaling.type == "linear") {
    rope_scale_ = 1.0f / c.rope_scaling.factor;
  } else if (!c.rope_scaling.type.empty() && c.rope_scaling.type != "default") {
    throw unsupported("rope scaling type '" + c.rope_scaling.type + "' is not supported");
  }
  add_half_copies(lm_head_);
  if (c.tie_embeddings) embed_.table = lm_head_;
  auto params = parameters();
  mx::eval(params);
  for (auto& l : layers_) {
    for (auto* x : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) add_half_copies(*x);
    fusable_.push_back(fused_layer_supported(l));
  }
}

std::vector<mx::array> LlamaModel::parameters() const {
  std::vector<mx::array> p;
  auto add = [&](const Linear& l) {
    for (auto* a : {&l.weight, &l.scales, &l.biases, &l.bias})
      if (*a) p.push_back(**a);
  };
  add(embed_.table);
  for (auto& l : layers_) {
    p.push_back(l.attn_norm);
    p.push_back(l.ffn_norm);
    for (auto* x : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) add(*x);
    if (l.moe) l.moe->append_parameters(p);
    if (l.q_norm) p.push_back(*l.q_norm);
    if (l.k_norm) p.push_back(*l.k_norm);
  }
  p.push_back(*final_norm_);
  if (!cfg_.tie_embeddings) add(lm_head_);
  return p;
}

size_t LlamaModel::nbytes() const {
  size_t n = 0;
  for (auto& a : parameters()) n += a.nbytes();
  return n;
}

mx::array LlamaModel::attention(const DecoderLayer& l, const mx::array& x, const std::vector<Segment>& segs,
                                 int layer) const {
  auto& c = cfg_;
  int T = x.shape(1);
  auto q = mx::reshape(l.q(x), {1, T, c.num_heads, c.head_dim});
  auto k = mx::reshape(l.k(x), {1, T, c.num_kv_heads, c.head_dim});
  auto v = mx::reshape(l.v(x), {1, T, c.num_kv_heads, c.head_dim});
  if (l.q_norm) {
    q = pocket_rms_norm(q, *l.q_norm, c.rms_eps);
    k = pocket_rms_norm(k, *l.k_norm, c.rms_eps);
  }
  std::optional<float> base = rope_freqs_ ? std::nullopt : std::optional<float>(c.rope_theta);
  float scale = 1.0f / std::sqrt(float(c.head_dim));
  q = mx::transpose(q, {0, 2, 1, 3});  // [1, heads, T, head_dim]
  k = mx::transpose(k, {0, 2, 1, 3});
  v = mx::transpose(v, {0, 2, 1, 3});
  if (segs.size() == 1) {
    int offset = segs[0].cache->offset();
    q = pocket_rope(q, c.head_dim, c.rope_traditional, base, rope_scale_, offset, rope_freqs_);
    k = pocket_rope(k, c.head_dim, c.rope_traditional, base, rope_scale_, offset, rope_freqs_);
    auto [keys, values] = segs[0].cache->update(layer, k, v);
    auto o = pocket_sdpa(q, keys, values, scale, T > 1);
    return l.o(mx::reshape(mx::transpose(o, {0, 2, 1, 3}), {1, T, c.num_heads * c.head_dim}));
  }
  // Several sequences: rope at each row's own position, then each sequence's
  // rows go into its cache and attend to it (one primitive for all).
  std::vector<int32_t> positions;
  std::vector<int> lengths;
  for (auto& s : segs) {
    int L = s.h.shape(1), offset = s.cache->offset();
    lengths.push_back(L);
    for (int i = 0; i < L; ++i) positions.push_back(offset + i);
  }
  q = pocket_rope_positions(q, c.head_dim, c.rope_traditional, base, rope_scale_, positions, rope_freqs_);
  k = pocket_rope_positions(k, c.head_dim, c.rope_traditional, base, rope_scale_, std::move(positions), rope_freqs_);
  std::vector<mx::array> kvs;
  int start = 0;
  for (auto& s : segs) {
    int L = s.h.shape(1);
    auto rows = [&](const mx::array& a) { return mx::slice(a, {0, 0, start, 0}, {1, a.shape(1), start + L, a.shape(3)}); };
    auto [keys, values] = s.cache->update(layer, rows(k), rows(v));
    kvs.push_back(keys);
    kvs.push_back(values);
    start += L;
  }
  return l.o(pocket_segment_sdpa(q, kvs, std::move(lengths), scale));
}

mx::array LlamaModel::embed_tokens(const mx::array& tokens) const { return embed_(tokens); }

LlamaModel::Segment LlamaModel::token_segment(const std::vector<int>& tokens, KVCache* cache) const {
  return {embed_(mx::array(tokens.data(), {1, int(tokens.size())}, mx::int32)), cache};
}

mx::array LlamaModel::forward(const mx::array& tokens, KVCache& cache) const {
  return forward_embeddings(embed_(tokens), cache);
}

mx::array LlamaModel::forward_embeddings(const mx::array& input, KVCache& cache) const {
  return forward_segments({{input, &cache}});
}

mx::array LlamaModel::forward_segments(const std::vector<Segment>& segs) const {
  if (segs.empty()) throw invalid_arg("forward: no segments");
  std::vector<mx::array> inputs;
  for (auto& s : segs) inputs.push_back(s.h);
  auto h = inputs.size() == 1 ? inputs[0] : mx::concatenate(inputs, 1);
  // Each supported layer runs as one primitive (fused_layer.h);
  // POCKET_DISABLE_FUSED_LAYERS=1 keeps the op graph (same numbers).
  bool fused = !std::getenv("POCKET_DISABLE_FUSED_LAYERS");
  std::vector<FusedSegment> rows;
  int64_t positions = 0;
  for (auto& s : segs) {
    rows.push_back({s.cache, s.h.shape(1)});
    positions = std::max<int64_t>(positions, s.cache->offset() + s.h.shape(1));
    fused = fused && s.cache->reserve(s.cache->offset() + s.h.shape(1), cfg_.num_kv_heads, cfg_.head_dim);
  }
  // One rope table for every layer of this step (it covers all new positions).
  std::shared_ptr<const fused::RopeTable> table;
  if (fused) {
    std::optional<float> base = rope_freqs_ ? std::nullopt : std::optional<float>(cfg_.rope_theta);
    table = fused::rope_table_for(cfg_.head_dim, cfg_.rope_traditional, base, rope_scale_, rope_freqs_, positions);
    fused = table != nullptr;
  }
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto& l = layers_[i];
    if (fused && fusable_[i]) {
      // Its own output is contiguous already; anything else is made so.
      if (i == 0 || !fusable_[i - 1]) h = mx::contiguous(h);
      h = pocket_fused_layer(h, l, cfg_, int(i), rows, table);
      continue;
    }
    h = mx::add(h, attention(l, pocket_rms_norm(h, l.attn_norm, cfg_.rms_eps), segs, int(i)));
    auto x = pocket_rms_norm(h, l.ffn_norm, cfg_.rms_eps);
    if (l.moe) {
      h = mx::add(h, (*l.moe)(x));
      continue;
    }
    auto g = l.gate(x);
    auto act = pocket_swiglu(g, l.up(x));
    h = mx::add(h, l.down(act));
  }
  for (auto& s : segs) s.cache->advance(s.h.shape(1));
  return pocket_rms_norm(h, *final_norm_, cfg_.rms_eps);
}

mx::array LlamaModel::logits(const mx::array& hidden) const {
  return mx::astype(lm_head_(hidden), mx::float32);
}

namespace {

template <typename T>
std::optional<T> meta_num(const std::unordered_map<std::string, mx::GGUFMetaData>& meta, const std::string& key) {
  auto it = meta.find(key);
  if (it == meta.end()) return std::nullopt;
  auto a = std::get_if<mx::array>(&it->second);
  if (!a || a->size() < 1) return std::nullopt;
  auto first = mx::astype(mx::slice(mx::reshape(*a, {-1}), {0}, {1}), mx::float32);
  return T(first.item<float>());
}

} // namespace

DecoderConfig config_from_gguf(const std::unordered_map<std::string, mx::GGUFMetaData>& meta) {
  DecoderConfig c;
  auto arch_it = meta.find("general.architecture");
  if (arch_it == meta.end() || !std::get_if<std::string>(&arch_it->second))
    throw load_error("GGUF has no general.architecture");
  c.architecture = std::get<std::string>(arch_it->second);
  if (c.architecture != "llama" && c.architecture != "mistral" && c.architecture != "qwen2" &&
      c.architecture != "qwen3" && c.architecture != "qwen3moe")
    throw unsupported("architecture '" + c.architecture +
                      "' is not supported (llama, mistral, qwen2, qwen3, qwen3moe are)");
  auto a = c.architecture + ".";
  auto req = [&](const std::string& k) {
    auto v = meta_num<float>(meta, a + k);
    if (!v) throw load_error("GGUF is missing " + a + k);
    return *v;
  };
  c.hidden_size = int(req("embedding_length"));
  c.num_layers = int(req("block_count"));
  c.num_heads = int(req("attention.head_count"));
  c.num_kv_heads = int(meta_num<float>(meta, a + "attention.head_count_kv").value_or(c.num_heads));
  c.head_dim = int(meta_num<float>(meta, a + "attention.key_length").value_or(c.hidden_size / c.num_heads));
  c.moe.num_experts = int(meta_num<float>(meta, a + "expert_count").value_or(0));
  c.moe.experts_per_token = int(meta_num<float>(meta, a + "expert_used_count").value_or(0));
  bool moe = c.moe.num_experts > 0 || c.moe.experts_per_token > 0 || c.architecture == "qwen3moe";
  c.intermediate_size = int(moe ? meta_num<float>(meta, a + "feed_forward_length").value_or(0) : req("feed_forward_length"));
  if (moe) {
    // Mixtral (llama arch) keeps the expert width in feed_forward_length;
    // llama.cpp's qwen3moe falls back to n_ff / n_expert_used.
    auto ff = meta_num<float>(meta, a + "expert_feed_forward_length");
    c.moe.intermediate_size = ff ? int(*ff)
                              : c.architecture == "llama" ? c.intermediate_size
                              : c.intermediate_size / std::max(c.moe.experts_per_token, 1);
    c.moe.norm_topk_prob = meta_num<float>(meta, a + "expert_weights_norm").value_or(1.0f) != 0.0f;
    c.moe.weights_scale = meta_num<float>(meta, a + "expert_weights_scale").value_or(0.0f);
    if (c.moe.weights_scale == 0.0f) c.moe.weights_scale = 1.0f;  // llama.cpp: 0 = unset
    check_moe_config(c.moe);
  }
  c.context_length = int(meta_num<float>(meta, a + "context_length").value_or(2048));
  c.rms_eps = meta_num<float>(meta, a + "attention.layer_norm_rms_epsilon").value_or(1e-5f);
  c.rope_theta = meta_num<float>(meta, a + "rope.freq_base").value_or(10000.0f);
  // llama.cpp permutes Q/K of llama-arch checkpoints for its interleaved
  // rope; qwen archs keep the NeoX (non-traditional) layout.
  c.rope_traditional = c.architecture == "llama" || c.architecture == "mistral";
  c.qk_norm = c.architecture == "qwen3" || c.architecture == "qwen3moe";
  auto tokens = meta.find("tokenizer.ggml.tokens");
  if (auto vs = tokens == meta.end() ? nullptr : std::get_if<std::vector<std::string>>(&tokens->second))
    c.vocab_size = int(vs->size());
  if (auto vs = meta_num<float>(meta, a + "vocab_size")) c.vocab_size = int(*vs);
  if (auto eos = meta_num<float>(meta, "tokenizer.ggml.eos_token_id")) c.eos_ids.push_back(int(*eos));
  if (auto eot = meta_num<float>(meta, "tokenizer.ggml.eot_token_id")) c.eos_ids.push_back(int(*eot));
  if (auto bos = meta_num<float>(meta, "tokenizer.ggml.bos_token_id")) c.bos_id = int(*bos);
  auto scaling = meta.find(a + "rope.scaling.type");
  if (scaling != meta.end() && std::get_if<std::string>(&scaling->second)) {
    c.rope_scaling.type = std::get<std::string>(scaling->second);
    if (c.rope_scaling.type == "none") c.rope_scaling.type = "";
    c.rope_scaling.factor = meta_num<float>(meta, a + "rope.scaling.factor").value_or(1.0f);
  }
  return c;
}

} // namespace pocket
