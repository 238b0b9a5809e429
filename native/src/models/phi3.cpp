// Phi-3/3.5/4 (GGUF "phi3"): fused QKV (attn_qkv) and gate/up (ffn_up with
// 2 x intermediate rows), split at load by the decoder; LongRoPE from the
// rope_factors_short/long tensors (decoder.cpp), the original context and
// attention factor from rope.scaling.*. Like llama.cpp, the sliding window
// some Phi-3 files declare is not applied.
#include "families.h"

namespace pocket {

void configure_phi3(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = false;
  if (auto orig = k.num("rope.scaling.original_context_length")) c.rope_scaling.original_max_position = int(*orig);
  if (auto f = k.num("rope.scaling.attn_factor")) c.rope_scaling.attn_factor = *f;
}

}  // namespace pocket
