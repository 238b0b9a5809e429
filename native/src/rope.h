// Rotary position embedding variants, reduced to what pocket_rope takes:
// a base or a table of per-frequency periods, a position scale, and an
// attention factor.
//
//  - default / linear: base, scale = 1 / factor
//  - llama3 (HF rope_scaling) or GGUF's rope_freqs tensor (per-frequency
//    divisors that llama.cpp's converter precomputes for Llama 3.x)
//  - yarn (Qwen2.5, Mistral 3): interpolated/extrapolated frequency blend and
//    the attention factor 0.1 ln(factor) + 1
//  - longrope (Phi-3): short or long per-frequency divisors and the factor
//    sqrt(1 + ln(factor) / ln(original context))
// YaRN and LongRoPE scale q and k (cos/sin) by the attention factor; since
// rotation is linear that equals scaling attention scores by its square,
// which is how the decoder applies it.
#pragma once

#include <mlx/mlx.h>

#include <optional>

#include "config.h"

namespace pocket {

namespace mx = mlx::core;

struct Rope {
  int dims = 0;
  bool traditional = false;
  std::optional<float> base;       // when freqs is not set
  float scale = 1.0f;              // multiplies positions
  std::optional<mx::array> freqs;  // periods 1 / inv_freq, [dims / 2]
  float attn_factor = 1.0f;
};

// The rope of layers with this base and scaling. freq_factors: GGUF
// rope_freqs / rope_factors_* tensor, [dims / 2] divisors of the inverse
// frequencies (nullopt: none, or use the config's longrope factors).
Rope make_rope(const DecoderConfig& c, float base, const RopeScaling& s,
               const std::optional<mx::array>& freq_factors);

}  // namespace pocket
