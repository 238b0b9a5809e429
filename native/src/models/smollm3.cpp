// SmolLM3 (GGUF "smollm3"): a Llama whose every 4th layer has no positional
// encoding (NoPE), as llama.cpp's n_no_rope_layer_step = 4.
#include "families.h"

namespace pocket {

void configure_smollm3(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = true;
  c.layer_rope.assign(c.num_layers, true);
  for (int i = 0; i < c.num_layers; ++i) c.layer_rope[i] = (i + 1) % 4 != 0;
}

}  // namespace pocket
