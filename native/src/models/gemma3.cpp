// Gemma 3 (GGUF "gemma3"): sandwich norms, q/k norms, GeGLU, embeddings
// scaled by sqrt(hidden), 5 sliding-window layers (local rope base 10000, no
// rope scaling) then 1 global layer (rope.freq_base, rope scaling), tied
// embeddings. llama.cpp's converter already added 1 to every norm weight.
#include <cmath>

#include "families.h"

namespace pocket {

void configure_gemma3(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = false;
  c.norm_layout = NormLayout::sandwich;
  c.activation = Activation::gelu_tanh;
  c.qk_norm = true;
  c.embed_scale = std::sqrt(float(c.hidden_size));
  // query_pre_attn_scalar: head_dim, except 27B (62 layers): hidden / heads
  // (what llama.cpp derives; GGUF has no key for it).
  c.attn_scale = k.num("attention.scale").value_or(c.num_layers == 62 ? 1.0f / std::sqrt(float(c.hidden_size / c.num_heads))
                                                                       : 1.0f / std::sqrt(float(c.head_dim)));
  int window = int(k.required("attention.sliding_window"));
  c.layer_window = sliding_layers(k, c.num_layers, window, 6);
  c.rope_local_theta = 10000.0f;
}

}  // namespace pocket
