#include "hybrid.h"

#include <cmath>
#include <string>

#include "errors.h"
#include "fused.h"
#include "qmm_q8.h"
#include "sdpa.h"

namespace pocket {

HybridDecoder::HybridDecoder(DecoderConfig cfg, WeightMap& w, bool gguf) : CausalLM(std::move(cfg)) {
  auto& c = cfg_;
  const auto& lc = c.linear_attn;
  if (c.hidden_size <= 0 || c.num_layers <= 0 || c.num_heads <= 0 || c.num_kv_heads <= 0 || c.vocab_size <= 0 ||
      c.head_dim <= 0 || c.num_heads % c.num_kv_heads != 0)
    throw load_error("inconsistent model configuration");
  if (int(c.layer_linear.size()) != c.num_layers) throw load_error("linear-attention layer pattern does not match the layer count");
  if (lc.conv_kernel < 1 || lc.key_heads <= 0 || lc.value_heads <= 0 || lc.key_head_dim <= 0 ||
      lc.value_head_dim <= 0 || lc.value_heads % lc.key_heads != 0 || lc.key_head_dim != lc.value_head_dim)
    throw load_error("inconsistent linear-attention configuration");
  if (c.moe.num_experts > 0 || c.moe.experts_per_token > 0) check_moe_config(c.moe);
  int group = gguf ? 32 : c.quant_group;
  const auto& pre = c.weight_prefix;
  embed_.table = load_linear(w, gguf ? "token_embd" : pre + "embed_tokens", group);
  if (embed_.table.out_features() != c.vocab_size) throw load_error("embedding rows do not match the vocabulary size");
  for (int i = 0; i < c.num_layers; ++i) load_layer(w, i, gguf, group);
  final_norm_ = take_weight(w, gguf ? "output_norm.weight" : pre + "norm.weight");
  if (c.norm_plus_one) final_norm_ = mx::add(final_norm_, mx::array(1.0f, final_norm_.dtype()));
  lm_head_ = load_linear(w, gguf ? "output" : c.lm_head_name, group, false);
  if (!lm_head_.weight) {
    lm_head_ = embed_.table;
    c.tie_embeddings = true;
  }
  if (lm_head_.out_features() != c.vocab_size) throw load_error("output rows do not match the vocabulary size");
  rope_ = make_rope(c, c.rope_theta, c.rope_scaling, std::nullopt);
  add_half_copies(lm_head_);
  if (c.tie_embeddings) embed_.table = lm_head_;
  mx::eval(parameters());
}

void HybridDecoder::load_layer(WeightMap& w, int i, bool gguf, int group) {
  auto& c = cfg_;
  auto n = [&](const std::string& g, const std::string& h) {
    return gguf ? "blk." + std::to_string(i) + "." + g : c.weight_prefix + "layers." + std::to_string(i) + "." + h;
  };
  auto where = " in layer " + std::to_string(i);
  HybridLayer l;
  auto plus = [&](mx::array a) { return c.norm_plus_one ? mx::add(a, mx::array(1.0f, a.dtype())) : a; };
  l.attn_norm = plus(take_weight(w, n("attn_norm.weight", "input_layernorm.weight")));
  l.ffn_norm = plus(take_weight(w, n("post_attention_norm.weight", "post_attention_layernorm.weight")));
  if (l.attn_norm.size() != size_t(c.hidden_size) || l.ffn_norm.size() != size_t(c.hidden_size))
    throw load_error("norm weights do not match the hidden size" + where);
  if (c.layer_linear[i]) {
    l.linear = load_gated_delta(w, c, i, gguf, group);
  } else {
    int qn = c.num_heads * c.head_dim, kvn = c.num_kv_heads * c.head_dim;
    l.q = load_linear(w, n("attn_q", "self_attn.q_proj"), group);
    l.k = load_linear(w, n("attn_k", "self_attn.k_proj"), group);
    l.v = load_linear(w, n("attn_v", "self_attn.v_proj"), group);
    l.o = load_linear(w, n("attn_output", "self_attn.o_proj"), group);
    l.q_norm = plus(take_weight(w, n("attn_q_norm.weight", "self_attn.q_norm.weight")));
    l.k_norm = plus(take_weight(w, n("attn_k_norm.weight", "self_attn.k_norm.weight")));
    if (l.q.out_features() != qn * (c.attn_output_gate ? 2 : 1) || l.k.out_features() != kvn ||
        l.v.out_features() != kvn || l.o.out_features() != c.hidden_size)
      throw load_error("attention projection shapes do not match the configuration" + where);
    if (l.q_norm.size() != size_t(c.head_dim) || l.k_norm.size() != size_t(c.head_dim))
      throw load_error("q/k norm weights do not match the head size" + where);
  }
  if (c.moe.num_experts > 0) {
    auto names = gguf ? gguf_moe_names(w, i, c.moe.num_experts)
                      : hf_moe_names(w, c.weight_prefix + "layers." + std::to_string(i) + ".", c.architecture,
                                     c.moe.num_experts);
    l.moe = load_moe(w, names, c.moe, c.hidden_size, group);
  }
  bool shared = c.moe.num_experts > 0 && c.moe.shared_intermediate_size > 0;
  if (!l.moe || shared) {
    auto mlp = [&](const char* g, const char* dense, const char* sh) {
      return n(l.moe ? std::string(g) + "_shexp" : g, l.moe ? sh : dense);
    };
    l.gate = load_linear(w, mlp("ffn_gate", "mlp.gate_proj", "mlp.shared_expert.gate_proj"), group);
    l.up = load_linear(w, mlp("ffn_up", "mlp.up_proj", "mlp.shared_expert.up_proj"), group);
    l.down = load_linear(w, mlp("ffn_down", "mlp.down_proj", "mlp.shared_expert.down_proj"), group);
    if (l.gate.out_features() != l.up.out_features() || l.down.out_features() != c.hidden_size ||
        (shared && l.up.out_features() != c.moe.shared_intermediate_size))
      throw load_error("MLP projection shapes do not match the configuration" + where);
  }
  if (shared) {
    auto g = take_weight(w, n("ffn_gate_inp_shexp.weight", "mlp.shared_expert_gate.weight"));
    if (g.size() != size_t(c.hidden_size)) throw load_error("shared expert gate does not match the hidden size" + where);
    l.shared_gate.weight = mx::reshape(g, {1, c.hidden_size});
  }
  layers_.push_back(std::move(l));
}

std::vector<mx::array> HybridDecoder::parameters() const {
  std::vector<mx::array> p;
  auto add = [&](const Linear& l) {
    for (auto* a : {&l.weight, &l.scales, &l.biases, &l.bias})
      if (*a) p.push_back(**a);
  };
  add(embed_.table);
  for (auto& l : layers_) {
    p.push_back(l.attn_norm);
    p.push_back(l.ffn_norm);
    if (l.linear) {
      l.linear->append_parameters(p);
    } else {
      for (auto* x : {&l.q, &l.k, &l.v, &l.o}) add(*x);
      p.push_back(l.q_norm);
      p.push_back(l.k_norm);
    }
    for (auto* x : {&l.gate, &l.up, &l.down, &l.shared_gate}) add(*x);
    if (l.moe) l.moe->append_parameters(p);
  }
  p.push_back(final_norm_);
  if (!cfg_.tie_embeddings) add(lm_head_);
  return p;
}

mx::array HybridDecoder::embed_tokens(const mx::array& tokens) const { return embed_(tokens); }

mx::array HybridDecoder::attention(const HybridLayer& l, const mx::array& x, KVCache& cache, int layer) const {
  auto& c = cfg_;
  int T = x.shape(1), H = c.num_heads, D = c.head_dim;
  auto q = l.q(x);
  std::optional<mx::array> gate;
  if (c.attn_output_gate) {  // per head [q | gate]
    auto qg = mx::reshape(q, {1, T, H, 2, D});
    q = mx::slice(qg, {0, 0, 0, 0, 0}, {1, T, H, 1, D});
    gate = mx::reshape(mx::slice(qg, {0, 0, 0, 1, 0}, {1, T, H, 2, D}), {1, T, H * D});
  }
  q = pocket_rms_norm(mx::reshape(q, {1, T, H, D}), l.q_norm, c.rms_eps);
  auto k = pocket_rms_norm(mx::reshape(l.k(x), {1, T, c.num_kv_heads, D}), l.k_norm, c.rms_eps);
  auto v = mx::reshape(l.v(x), {1, T, c.num_kv_heads, D});
  q = mx::transpose(q, {0, 2, 1, 3});
  k = mx::transpose(k, {0, 2, 1, 3});
  v = mx::transpose(v, {0, 2, 1, 3});
  int offset = cache.offset();
  q = pocket_rope(q, rope_.dims, false, rope_.base, rope_.scale, offset, rope_.freqs);
  k = pocket_rope(k, rope_.dims, false, rope_.base, rope_.scale, offset, rope_.freqs);
  auto [keys, values] = cache.update(layer, k, v);
  float scale = (c.attn_scale > 0 ? c.attn_scale : 1.0f / std::sqrt(float(D))) * rope_.attn_factor * rope_.attn_factor;
  auto o = pocket_sdpa(q, keys, values, scale, T > 1);
  o = mx::reshape(mx::transpose(o, {0, 2, 1, 3}), {1, T, H * D});
  if (gate) o = mx::multiply(o, mx::sigmoid(*gate));
  return l.o(o);
}

mx::array HybridDecoder::mlp(const HybridLayer& l, const mx::array& x) const {
  auto dense = [&] { return l.down(pocket_swiglu(l.gate(x), l.up(x))); };
  if (!l.moe) return dense();
  auto y = (*l.moe)(x);
  if (!l.shared_gate.weight) return y;
  return mx::add(y, mx::multiply(dense(), mx::sigmoid(l.shared_gate(x))));
}

mx::array HybridDecoder::forward_segments(const std::vector<Segment>& segs) const {
  if (segs.empty()) throw invalid_arg("forward: no segments");
  std::vector<mx::array> inputs;
  std::vector<int> lengths;
  for (auto& s : segs) {
    inputs.push_back(s.h);
    lengths.push_back(s.h.shape(1));
  }
  auto h = inputs.size() == 1 ? inputs[0] : mx::concatenate(inputs, 1);
  for (size_t i = 0; i < layers_.size(); ++i) {
    auto& l = layers_[i];
    auto x = pocket_rms_norm(h, l.attn_norm, cfg_.rms_eps);
    // Projections and MLPs run on all rows; the mixers per sequence.
    std::vector<mx::array> parts;
    int start = 0;
    for (size_t s = 0; s < segs.size(); ++s) {
      auto xs = segs.size() == 1 ? x : mx::slice(x, {0, start, 0}, {1, start + lengths[s], x.shape(2)});
      parts.push_back(l.linear ? (*l.linear)(xs, *segs[s].cache, int(i)) : attention(l, xs, *segs[s].cache, int(i)));
      start += lengths[s];
    }
    h = mx::add(h, parts.size() == 1 ? parts[0] : mx::concatenate(parts, 1));
    h = mx::add(h, mlp(l, pocket_rms_norm(h, l.ffn_norm, cfg_.rms_eps)));
  }
  for (auto& s : segs) s.cache->advance(s.h.shape(1));
  return pocket_rms_norm(h, final_norm_, cfg_.rms_eps);
}

mx::array HybridDecoder::logits(const mx::array& hidden) const {
  // 'int8-head' decode steps: the head's product alone takes 8-bit activations.
  qmm::Q8DecodeScope head(qmm::q8_head(), qmm::q8_head());
  auto y = mx::astype(lm_head_(hidden), mx::float32);
  if (cfg_.logit_scale != 1.0f) y = mx::multiply(y, mx::array(cfg_.logit_scale));
  return y;
}

}  // namespace pocket
