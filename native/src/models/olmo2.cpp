// OLMo 2 (GGUF "olmo2"): norms after attention and MLP only (post layout),
// q/k RMSNorm over the whole projection, NeoX rope, SwiGLU.
#include "families.h"

namespace pocket {

void configure_olmo2(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = false;
  c.norm_layout = NormLayout::post;
  c.qk_norm = true;
  c.qk_norm_full = true;
}

}  // namespace pocket
