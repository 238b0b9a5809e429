// Llama 1/2/3.x, SmolLM2, Mistral, Falcon3, Mixtral (GGUF "llama"/"mistral"
// with llama.expert_count > 0: sparse MoE feed-forward) and
// Qwen2/2.5/3 ("qwen2"/"qwen3"): pre-norm, SwiGLU, GQA. Llama 3.x scaling
// arrives as the rope_freqs tensor (decoder.cpp), Qwen2.5 long context as
// rope.scaling.type = yarn.
#include "families.h"

namespace pocket {

void configure_llama(const GgufKeys& k, DecoderConfig& c) {
  // llama.cpp permutes Q/K of llama-arch checkpoints for its interleaved
  // (traditional) rope.
  c.rope_traditional = true;
  // Mistral v0.1 style sliding window over every layer, when the file says so.
  if (auto w = k.num("attention.sliding_window"); w && *w > 0) c.layer_window = window_pattern(c.num_layers, int(*w), 0);
  read_moe_keys(k, c);
}

void configure_qwen2(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = false;  // NeoX layout
  c.qk_norm = k.arch() == "qwen3";
}

}  // namespace pocket
