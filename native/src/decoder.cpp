#include "decoder.h"

#include <cmath>
#include <cstdlib>

#include "errors.h"
#include "fused.h"
#include "fused_layer.h"
#include "qmm_q8.h"

namespace pocket {
namespace {

// Rows [from, to) of a (possibly quantized) linear layer: fused QKV and
// gate/up projections stack their parts along the output rows.
Linear rows(const Linear& l, int from, int to) {
  auto cut = [&](const std::optional<mx::array>& a) -> std::optional<mx::array> {
    if (!a) return std::nullopt;
    auto shape = a->shape();
    mx::Shape start(shape.size(), 0);
    start[0] = from;
    shape[0] = to;
    return mx::contiguous(mx::slice(*a, start, shape));
  };
  Linear r = l;
  r.weight = cut(l.weight);
  r.scales = cut(l.scales);
  r.biases = cut(l.biases);
  r.bias = cut(l.bias);
  r.scales16 = r.biases16 = std::nullopt;
  return r;
}

bool same_value(float a, float b) { return std::abs(a - b) <= 1e-6f * std::abs(b); }

}  // namespace

Decoder::Decoder(DecoderConfig cfg, WeightMap& w, Naming naming) : CausalLM(std::move(cfg)) {
  auto& c = cfg_;
  if (c.hidden_size <= 0 || c.num_layers <= 0 || c.num_heads <= 0 || c.num_kv_heads <= 0 || c.vocab_size <= 0 ||
      c.num_heads % c.num_kv_heads != 0)
    throw load_error("inconsistent model configuration");
  if (c.head_dim <= 0) c.head_dim = c.hidden_size / c.num_heads;
  if (!c.layer_window.empty() && int(c.layer_window.size()) != c.num_layers)
    throw load_error("sliding-window pattern does not match the layer count");
  for (int win : c.layer_window)
    if (win < 0) throw load_error("sliding window must not be negative");
  bool gguf = naming == Naming::gguf;
  int group = gguf ? 32 : c.quant_group;
  if (c.moe.num_experts > 0 || c.moe.experts_per_token > 0) check_moe_config(c.moe);
  if (c.shard_end > 0 && (c.shard_begin < 0 || c.shard_begin >= c.shard_end || c.shard_end > c.num_layers))
    throw invalid_arg("shard: layers [" + std::to_string(c.shard_begin) + ", " + std::to_string(c.shard_end) +
                      ") are not a range of the model's " + std::to_string(c.num_layers) + " layers");
  // A shard (pipeline parallelism, shard.h) holds layers [first_, end) and
  // the embeddings only when first, the final norm and head only when last.
  first_ = c.layer_begin();
  bool embeds = c.has_embeddings(), head = c.has_head();
  const auto& pre = c.weight_prefix;
  auto embed_name = gguf ? "token_embd" : pre + "embed_tokens";
  if (embeds) {
    embed_.table = load_linear(w, embed_name, group);
    if (embed_.table.out_features() != c.vocab_size)
      throw load_error("embedding rows do not match the vocabulary size");
  }
  for (int i = first_; i < c.layer_end(); ++i) load_layer(w, i, gguf, group);
  if (head) {
    final_norm_ = take_weight(w, gguf ? "output_norm.weight" : pre + "norm.weight");
    if (c.norm_plus_one) final_norm_ = mx::add(*final_norm_, mx::array(1.0f, final_norm_->dtype()));
    lm_head_ = load_linear(w, gguf ? "output" : c.lm_head_name, group, false);
    if (!lm_head_.weight) {
      lm_head_ = embeds ? embed_.table : load_linear(w, embed_name, group);  // tied embeddings
      c.tie_embeddings = true;
    }
    if (lm_head_.out_features() != c.vocab_size) throw load_error("output rows do not match the vocabulary size");
    add_half_copies(lm_head_);
    if (c.tie_embeddings && embeds) embed_.table = lm_head_;
  }
  load_ropes(w, gguf);
  auto params = parameters();
  mx::eval(params);
  for (size_t j = 0; j < layers_.size(); ++j) {
    auto& l = layers_[j];
    for (auto* x : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) add_half_copies(*x);
    fusable_.push_back(plain_layer(first_ + int(j)) && fused_layer_supported(l));
  }
}

void Decoder::load_layer(WeightMap& w, int i, bool gguf, int group) {
  auto& c = cfg_;
  auto n = [&](const std::string& g, const std::string& h) {
    return gguf ? "blk." + std::to_string(i) + "." + g : c.weight_prefix + "layers." + std::to_string(i) + "." + h;
  };
  DecoderLayer l;
  // HF names of the norms by layout (GGUF uses one name per role).
  bool sandwich = c.norm_layout == NormLayout::sandwich, post = c.norm_layout == NormLayout::post;
  auto norm_of = [&](const char* g, const char* h) -> std::optional<mx::array> {
    if (!gguf && !h) return std::nullopt;
    return take_optional(w, n(g, h ? h : ""));
  };
  l.attn_norm = norm_of("attn_norm.weight", "input_layernorm.weight");
  l.ffn_norm = norm_of("ffn_norm.weight", sandwich ? "pre_feedforward_layernorm.weight"
                                          : post   ? nullptr
                                                   : "post_attention_layernorm.weight");
  l.post_attn_norm = norm_of("post_attention_norm.weight", sandwich || post ? "post_attention_layernorm.weight" : nullptr);
  l.post_ffn_norm = norm_of("post_ffw_norm.weight", "post_feedforward_layernorm.weight");
  // gpt-oss's GGUF names its pre-FFN norm post_attention_norm.
  if (gguf && c.norm_layout == NormLayout::pre && !l.ffn_norm) l.ffn_norm = l.post_attn_norm;
  bool has_pre = l.attn_norm && l.ffn_norm, has_post = l.post_attn_norm && l.post_ffn_norm;
  if ((c.norm_layout != NormLayout::post && !has_pre) || (c.norm_layout != NormLayout::pre && !has_post))
    throw load_error("missing norm weights in layer " + std::to_string(i));
  if (c.norm_layout == NormLayout::pre) l.post_attn_norm = l.post_ffn_norm = std::nullopt;
  if (c.norm_layout == NormLayout::post) l.attn_norm = l.ffn_norm = std::nullopt;

  int qn = c.num_heads * c.head_dim, kvn = c.num_kv_heads * c.head_dim;
  auto qkv = load_linear(w, n("attn_qkv", "self_attn.qkv_proj"), group, false);
  if (qkv.weight) {  // Phi-3: one projection, rows [q | k | v]
    if (qkv.out_features() != qn + 2 * kvn) throw load_error("fused QKV projection does not match the configuration");
    l.q = rows(qkv, 0, qn);
    l.k = rows(qkv, qn, qn + kvn);
    l.v = rows(qkv, qn + kvn, qn + 2 * kvn);
  } else {
    l.q = load_linear(w, n("attn_q", "self_attn.q_proj"), group);
    l.k = load_linear(w, n("attn_k", "self_attn.k_proj"), group);
    l.v = load_linear(w, n("attn_v", "self_attn.v_proj"), group);
  }
  l.o = load_linear(w, n("attn_output", "self_attn.o_proj"), group);
  bool moe = c.moe.num_experts > 0;
  if (moe) {
    auto names = gguf ? gguf_moe_names(w, i, c.moe.num_experts)
                      : hf_moe_names(w, c.weight_prefix + "layers." + std::to_string(i) + ".", c.architecture,
                                     c.moe.num_experts);
    l.moe = load_moe(w, names, c.moe, c.hidden_size, group);
  }
  if (c.attn_sinks) {
    l.sinks = take_optional(w, n("attn_sinks.weight", "self_attn.sinks"));
    if (!l.sinks || l.sinks->size() != size_t(c.num_heads))
      throw load_error("missing or mis-sized attention sinks in layer " + std::to_string(i));
  }
  // Phi-3: one projection, rows [gate | up] (GGUF: ffn_up without ffn_gate).
  auto gate_up = moe    ? Linear{}
                 : gguf ? (w.count(n("ffn_gate.weight", "")) ? Linear{} : load_linear(w, n("ffn_up", ""), group, false))
                        : load_linear(w, n("", "mlp.gate_up_proj"), group, false);
  if (gate_up.weight) {
    int rows2 = gate_up.out_features();
    if (rows2 % 2) throw load_error("fused gate/up projection has an odd number of rows");
    l.gate = rows(gate_up, 0, rows2 / 2);
    l.up = rows(gate_up, rows2 / 2, rows2);
  } else if (!moe) {
    l.gate = load_linear(w, n("ffn_gate", "mlp.gate_proj"), group);
    l.up = load_linear(w, n("ffn_up", "mlp.up_proj"), group);
  }
  if (!moe) l.down = load_linear(w, n("ffn_down", "mlp.down_proj"), group);
  l.q_norm = take_optional(w, n("attn_q_norm.weight", "self_attn.q_norm.weight"));
  l.k_norm = take_optional(w, n("attn_k_norm.weight", "self_attn.k_norm.weight"));
  if (c.qk_norm && (!l.q_norm || !l.k_norm)) throw load_error("missing q/k norm weights");
  if (!c.qk_norm) l.q_norm = l.k_norm = std::nullopt;
  if (l.q_norm) {
    int want_q = c.qk_norm_full ? qn : c.head_dim, want_k = c.qk_norm_full ? kvn : c.head_dim;
    if (l.q_norm->size() != size_t(want_q) || l.k_norm->size() != size_t(want_k))
      throw load_error("q/k norm weights do not match the head size");
  }
  if (l.q.out_features() != qn || l.k.out_features() != kvn || l.v.out_features() != kvn)
    throw load_error("attention projection shapes do not match the configuration");
  if (!moe && (l.gate.out_features() != l.up.out_features() || l.down.out_features() != c.hidden_size))
    throw load_error("MLP projection shapes do not match the configuration");
  for (auto* a : {&l.attn_norm, &l.ffn_norm, &l.post_attn_norm, &l.post_ffn_norm}) {
    if (*a && (*a)->size() != size_t(c.hidden_size)) throw load_error("norm weights do not match the hidden size");
    if (*a && c.norm_plus_one) *a = mx::add(**a, mx::array(1.0f, (*a)->dtype()));
  }
  if (c.norm_plus_one && l.q_norm) {
    l.q_norm = mx::add(*l.q_norm, mx::array(1.0f, l.q_norm->dtype()));
    l.k_norm = mx::add(*l.k_norm, mx::array(1.0f, l.k_norm->dtype()));
  }
  layers_.push_back(std::move(l));
}

void Decoder::load_ropes(WeightMap& w, bool gguf) {
  auto& c = cfg_;
  // GGUF: precomputed per-frequency divisors (Llama 3 rope_freqs; Phi-3
  // LongRoPE short/long factors, chosen by the loaded context like llama.cpp).
  std::optional<mx::array> factors;
  if (gguf) {
    factors = take_optional(w, "rope_freqs.weight");
    auto lng = take_optional(w, "rope_factors_long.weight"), shrt = take_optional(w, "rope_factors_short.weight");
    if (lng || shrt) {
      if (!lng || !shrt) throw load_error("LongRoPE needs both rope_factors_long and rope_factors_short");
      if (c.rope_scaling.type.empty()) c.rope_scaling.type = "longrope";
      int ctx = c.loaded_context > 0 ? c.loaded_context : c.context_length;
      factors = ctx > c.rope_scaling.original_max_position ? lng : shrt;
    }
  }
  ropes_.push_back(make_rope(c, c.rope_theta, c.rope_scaling, factors));
  bool local = c.rope_local_theta > 0;
  if (local) ropes_.push_back(make_rope(c, c.rope_local_theta, RopeScaling{}, std::nullopt));
  for (int i = 0; i < c.num_layers; ++i)
    layer_rope_.push_back(!c.has_rope(i) ? -1 : local && c.window(i) > 0 ? 1 : 0);
}

// A layer the fused primitive computes as the graph would: Llama's, or
// Gemma's (sandwich norms, GeGLU, its local or global rope, any attention
// scale) — no soft-capping, sinks, MoE or attention temperature.
bool Decoder::plain_layer(int i) const {
  auto& c = cfg_;
  const auto& l = layers_[i - first_];
  if (layer_rope_[i] < 0) return false;
  const auto& r = ropes_[layer_rope_[i]];
  return c.norm_layout != NormLayout::post && !c.qk_norm_full && c.attn_softcap == 0 && c.residual_scale == 1.0f &&
         c.attn_temp_scale == 0 && r.attn_factor == 1.0f && r.dims == c.head_dim && l.attn_norm && l.ffn_norm &&
         !l.moe && !l.sinks;
}

bool Decoder::fused_step(const std::vector<Segment>& segs) const {
  // The fused attention is causal with no other mask: a sliding-window
  // layer's prompt chunk qualifies only while every one of its queries sees
  // the same keys as its first (as the graph's plain() case); decode steps
  // (one row) always do.
  for (auto& s : segs) {
    const int L = s.h.shape(1), off = s.cache->offset();
    if (L == 1) continue;
    for (size_t j = 0; j < layers_.size(); ++j) {
      const int i = first_ + int(j), w = cfg_.window(i);
      if (w > 0 && (off + L - 1) - std::max(s.cache->start(i), off - w + 1) >= w) return false;
    }
  }
  return true;
}

mx::array Decoder::norm(const mx::array& x, const mx::array& w) const { return pocket_rms_norm(x, w, cfg_.rms_eps); }

std::vector<mx::array> Decoder::parameters() const {
  std::vector<mx::array> p;
  auto add = [&](const Linear& l) {
    for (auto* a : {&l.weight, &l.scales, &l.biases, &l.bias})
      if (*a) p.push_back(**a);
  };
  add(embed_.table);
  for (auto& l : layers_) {
    for (auto* a : {&l.attn_norm, &l.ffn_norm, &l.post_attn_norm, &l.post_ffn_norm, &l.q_norm, &l.k_norm})
      if (*a) p.push_back(**a);
    for (auto* x : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down}) add(*x);
    if (l.moe) l.moe->append_parameters(p);
    if (l.sinks) p.push_back(*l.sinks);
  }
  if (final_norm_) p.push_back(*final_norm_);
  for (auto& r : ropes_)
    if (r.freqs) p.push_back(*r.freqs);
  if (!cfg_.tie_embeddings || !cfg_.has_embeddings()) add(lm_head_);
  return p;
}

mx::array Decoder::embed_tokens(const mx::array& tokens) const {
  if (!cfg_.has_embeddings()) throw invalid_arg("embed: this shard does not hold the embeddings");
  auto h = embed_(tokens);
  if (cfg_.embed_scale != 1.0f) h = mx::multiply(h, mx::array(cfg_.embed_scale, h.dtype()));
  return h;
}

mx::array Decoder::mlp(const DecoderLayer& l, const mx::array& x) const {
  if (l.moe) return (*l.moe)(x);
  auto g = l.gate(x);
  auto u = l.up(x);
  if (cfg_.activation == Activation::silu) return l.down(pocket_swiglu(g, u));
  return l.down(pocket_geglu_tanh(g, u));  // Gemma's gelu_pytorch_tanh
}

mx::array Decoder::forward_segments(const std::vector<Segment>& segs) const {
  if (segs.empty()) throw invalid_arg("forward: no segments");
  auto& c = cfg_;
  std::vector<mx::array> inputs;
  for (auto& s : segs) inputs.push_back(s.h);
  auto h = inputs.size() == 1 ? inputs[0] : mx::concatenate(inputs, 1);
  // Each supported layer runs as one primitive (fused_layer.h);
  // POCKET_DISABLE_FUSED_LAYERS=1 keeps the op graph (same numbers).
  bool fused = !std::getenv("POCKET_DISABLE_FUSED_LAYERS") &&
               std::find(fusable_.begin(), fusable_.end(), true) != fusable_.end() && fused_step(segs);
  std::vector<FusedSegment> rows;
  int64_t positions = 0;
  for (auto& s : segs) {
    rows.push_back({s.cache, s.h.shape(1)});
    positions = std::max<int64_t>(positions, s.cache->offset() + s.h.shape(1));
    fused = fused && s.cache->reserve(s.cache->offset() + s.h.shape(1), c.num_kv_heads, c.head_dim);
  }
  // One rope table per rope (global, and Gemma's local one) for every layer
  // of this step (it covers all new positions).
  std::shared_ptr<const fused::RopeTable> tables[2];
  if (fused) {
    for (size_t t = 0; t < ropes_.size() && t < 2; ++t) {
      auto& r = ropes_[t];
      tables[t] = fused::rope_table_for(r.dims, r.traditional, r.base, r.scale, r.freqs, positions);
    }
    fused = tables[0] != nullptr;
  }
  auto residual = [&](const mx::array& x) {
    return c.residual_scale == 1.0f ? x : mx::multiply(x, mx::array(c.residual_scale, x.dtype()));
  };
  bool prev_fused = false;
  for (size_t j = 0; j < layers_.size(); ++j) {
    auto& l = layers_[j];
    int i = first_ + int(j);  // the model's layer index (caches, windows, ropes)
    if (fused && fusable_[j] && tables[layer_rope_[i]]) {
      // Its own output is contiguous already; anything else is made so.
      if (!prev_fused) h = mx::contiguous(h);
      h = pocket_fused_layer(h, l, c, i, rows, tables[layer_rope_[i]]);
      prev_fused = true;
      continue;
    }
    prev_fused = false;
    auto a = attention(l, l.attn_norm ? norm(h, *l.attn_norm) : h, segs, i);
    if (l.post_attn_norm) a = norm(a, *l.post_attn_norm);
    h = mx::add(h, residual(a));
    auto m = mlp(l, l.ffn_norm ? norm(h, *l.ffn_norm) : h);
    if (l.post_ffn_norm) m = norm(m, *l.post_ffn_norm);
    h = mx::add(h, residual(m));
  }
  // h follows every fused layer of this pass (their cache writes have no graph edge).
  std::optional<mx::array> written_by;
  if (fused) written_by = h;
  for (auto& s : segs) s.cache->advance(s.h.shape(1), written_by);
  // A shard before the last hands its hidden state on un-normed.
  return final_norm_ ? norm(h, *final_norm_) : h;
}

mx::array Decoder::logits(const mx::array& hidden) const {
  if (!cfg_.has_head()) throw invalid_arg("logits: this shard does not hold the LM head");
  // 'int8-head' decode steps: the head's product alone takes 8-bit activations.
  qmm::Q8DecodeScope head(qmm::q8_head(), qmm::q8_head());
  auto y = mx::astype(lm_head_(hidden), mx::float32);
  if (cfg_.logit_scale != 1.0f) y = mx::multiply(y, mx::array(cfg_.logit_scale));
  if (cfg_.final_softcap > 0) {
    auto cap = mx::array(cfg_.final_softcap);
    y = mx::multiply(mx::tanh(mx::divide(y, cap)), cap);
  }
  return y;
}

}  // namespace pocket
