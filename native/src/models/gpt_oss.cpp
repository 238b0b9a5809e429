// gpt-oss (GGUF "gpt-oss"): attention with q/k/v/o biases and a learned sink
// logit per head, sliding-window (attention.sliding_window, 128) and full
// attention alternating from layer 0, YaRN rope (NeoX layout), and a sparse
// MoE of clamped-SwiGLU experts with biases: top-k of the biased router
// logits, softmax over those k. The pre-FFN norm is called
// post_attention_norm in the file (decoder.cpp maps it).
#include "../moe.h"
#include "families.h"

namespace pocket {

void configure_gpt_oss(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = false;
  c.attn_sinks = true;
  int window = int(k.required("attention.sliding_window"));
  c.layer_window = sliding_layers(k, c.num_layers, window, 2);
  read_moe_keys(k, c);
  check_moe_config(c.moe);
  c.moe.gating = MoeConfig::Gating::topk_softmax;
  c.moe.activation = MoeConfig::Activation::swiglu_oai;
}

}  // namespace pocket
