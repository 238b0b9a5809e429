// Gemma 2 (GGUF "gemma2"): sandwich norms, GeGLU, embeddings scaled by
// sqrt(hidden), attention logits soft-capped (50) and final logits
// soft-capped (30), sliding window (4096) on every other layer starting
// with the first, tied embeddings; norms carry llama.cpp's +1 already.
#include <cmath>

#include "families.h"

namespace pocket {

void configure_gemma2(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = false;
  c.norm_layout = NormLayout::sandwich;
  c.activation = Activation::gelu_tanh;
  c.embed_scale = std::sqrt(float(c.hidden_size));
  c.attn_scale = k.num("attention.scale").value_or(c.num_layers == 46 ? 1.0f / std::sqrt(float(c.hidden_size / c.num_heads))
                                                                       : 1.0f / std::sqrt(float(c.head_dim)));
  c.attn_softcap = k.num("attn_logit_softcapping").value_or(50.0f);
  c.final_softcap = k.num("final_logit_softcapping").value_or(30.0f);
  int window = int(k.num("attention.sliding_window").value_or(4096));
  c.layer_window = sliding_layers(k, c.num_layers, window, 2);
}

}  // namespace pocket
