// Granite 3.x (GGUF "granite"): a Llama with muP multipliers: embeddings
// scaled, attention scale set, residual branches scaled, logits divided.
#include "families.h"

namespace pocket {

void configure_granite(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = true;
  c.embed_scale = k.num("embedding_scale").value_or(1.0f);
  c.attn_scale = k.num("attention.scale").value_or(0.0f);
  c.residual_scale = k.num("residual_scale").value_or(1.0f);
  float logit = k.num("logit_scale").value_or(1.0f);
  c.logit_scale = logit != 0 ? 1.0f / logit : 1.0f;
}

}  // namespace pocket
