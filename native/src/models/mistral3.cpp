// Ministral 3 / Mistral 3 text decoders (GGUF "mistral3"): a Llama with
// YaRN whose magnitude factor cancels out (llama.cpp divides it away; with
// rope.scaling.yarn_log_multiplier it is get_mscale(f, 1) /
// get_mscale(f, log_mul)), and the Llama 4 attention temperature on
// positions past the original context.
#include "../errors.h"
#include "families.h"

namespace pocket {

void configure_mistral3(const GgufKeys& k, DecoderConfig& c) {
  c.rope_traditional = true;
  read_moe_keys(k, c);  // Mistral Large 3 is a mixture of experts
  auto& s = c.rope_scaling;
  if (s.type == "yarn") {
    if (auto log_mul = k.num("rope.scaling.yarn_log_multiplier"); log_mul && *log_mul > 0) {
      s.mscale = 1.0f;
      s.mscale_all_dim = *log_mul;
    } else {
      s.attn_factor = 1.0f;
    }
  }
  if (auto scale = k.num("attention.scale")) c.attn_scale = *scale;
  c.attn_temp_scale = k.num("attention.temperature_scale").value_or(0.0f);
  if (c.attn_temp_scale != 0) {
    c.attn_temp_floor = int(k.num("attention.temperature_length").value_or(float(s.original_max_position)));
    if (c.attn_temp_floor <= 0) throw load_error("attention temperature scaling needs the original context length");
  }
}

}  // namespace pocket
