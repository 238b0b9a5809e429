// Qwen3-MoE (GGUF "qwen3moe"): Qwen3 attention (per-head q/k norms, NeoX
// rope) with a sparse MoE feed-forward in every layer: softmax router, top-k
// experts, kept probabilities renormalized (llama.cpp always does for this
// architecture). Also the GGUF expert keys every MoE family shares.
#include "../errors.h"
#include "../moe.h"
#include "families.h"

namespace pocket {

void read_moe_keys(const GgufKeys& k, DecoderConfig& c) {
  auto& m = c.moe;
  m.num_experts = int(k.num("expert_count").value_or(0));
  m.experts_per_token = int(k.num("expert_used_count").value_or(0));
  if (m.num_experts == 0 && m.experts_per_token == 0) return;
  // Mixtral (llama arch) keeps the expert width in feed_forward_length;
  // llama.cpp's qwen3moe falls back to n_ff / n_expert_used.
  if (auto ff = k.num("expert_feed_forward_length"))
    m.intermediate_size = int(*ff);
  else
    m.intermediate_size = k.arch() == "llama" || k.arch() == "mistral"
                              ? c.intermediate_size
                              : c.intermediate_size / std::max(m.experts_per_token, 1);
  // llama.cpp: 0 = unset.
  if (auto s = k.num("expert_weights_scale"); s && *s != 0.0f) m.weights_scale = *s;
  check_moe_config(m);
}

void configure_qwen3moe(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = false;
  c.qk_norm = true;
  read_moe_keys(k, c);
  if (c.moe.num_experts == 0) check_moe_config(c.moe);  // qwen3moe without experts
}

}  // namespace pocket
