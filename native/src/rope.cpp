#include "rope.h"

#include <cmath>
#include <vector>

#include "errors.h"

namespace pocket {
namespace {

// base^(2i/dims): the period of frequency i.
std::vector<float> periods(float base, int dims) {
  std::vector<float> p(dims / 2);
  for (int i = 0; i < dims / 2; ++i) p[i] = std::pow(base, (2.0f * i) / dims);
  return p;
}

mx::array as_array(const std::vector<float>& v) { return mx::array(v.data(), {int(v.size())}, mx::float32); }

// Llama 3 frequency scaling (low/high frequency bands), as in Meta's reference.
std::vector<float> llama3(float base, int dims, const RopeScaling& s) {
  float low_wavelen = s.original_max_position / s.low_freq_factor;
  float high_wavelen = s.original_max_position / s.high_freq_factor;
  auto f = periods(base, dims);
  for (auto& p : f) {
    float wavelen = 2.0f * float(M_PI) * p;
    if (wavelen > low_wavelen) {
      p = p * s.factor;
    } else if (wavelen >= high_wavelen) {
      float smooth = (s.original_max_position / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
      p = p / ((1 - smooth) / s.factor + smooth);
    }
  }
  return f;
}

float yarn_mscale(float scale, float mscale) { return scale <= 1 ? 1.0f : 0.1f * mscale * std::log(scale) + 1.0f; }

// YaRN: frequencies below the correction range are interpolated (/ factor),
// above it extrapolated (kept), linear ramp in between.
std::vector<float> yarn(float base, int dims, const RopeScaling& s) {
  auto correction_dim = [&](float rotations) {
    return dims * std::log(s.original_max_position / (rotations * 2 * float(M_PI))) / (2 * std::log(base));
  };
  float low = correction_dim(s.beta_fast), high = correction_dim(s.beta_slow);
  if (s.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0f);
  high = std::min(high, float(dims - 1));
  if (low == high) high += 0.001f;
  auto f = periods(base, dims);
  for (int i = 0; i < dims / 2; ++i) {
    float ramp = std::clamp((i - low) / (high - low), 0.0f, 1.0f);
    float extrapolate = 1 - ramp;  // weight of the original frequency
    float inv = extrapolate / f[i] + (1 - extrapolate) / (f[i] * s.factor);
    f[i] = 1 / inv;
  }
  return f;
}

}  // namespace

Rope make_rope(const DecoderConfig& c, float base, const RopeScaling& s, const std::optional<mx::array>& freq_factors) {
  Rope r;
  r.dims = c.rope_dims > 0 ? c.rope_dims : c.head_dim;
  r.traditional = c.rope_traditional;
  if (r.dims <= 0 || r.dims % 2 || r.dims > c.head_dim) throw load_error("rope dimensions do not fit the head size");
  const std::string& type = s.type;
  std::optional<std::vector<float>> table;
  if (type.empty() || type == "default" || type == "none") {
  } else if (type == "linear") {
    if (s.factor <= 0) throw load_error("rope scaling factor must be positive");
    r.scale = 1.0f / s.factor;
  } else if (type == "llama3") {
    table = llama3(base, r.dims, s);
  } else if (type == "yarn") {
    if (s.factor <= 0 || s.original_max_position <= 0) throw load_error("yarn rope scaling needs factor and original context");
    table = yarn(base, r.dims, s);
    r.attn_factor = s.attn_factor > 0 ? s.attn_factor
                    : s.mscale_all_dim > 0
                        ? yarn_mscale(s.factor, s.mscale) / yarn_mscale(s.factor, s.mscale_all_dim)
                        : yarn_mscale(s.factor, 1.0f);
  } else if (type == "longrope") {
    bool use_long = c.context_length > s.original_max_position;
    auto& factors = use_long ? s.long_factor : s.short_factor;
    if (!freq_factors) {
      if (int(factors.size()) != r.dims / 2) throw load_error("longrope factors do not match the rotary dimensions");
      table = periods(base, r.dims);
      for (int i = 0; i < r.dims / 2; ++i) (*table)[i] *= factors[i];
    }
    float scale = float(c.context_length) / s.original_max_position;
    r.attn_factor = s.attn_factor > 0 ? s.attn_factor
                    : scale <= 1 ? 1.0f
                                 : std::sqrt(1 + std::log(scale) / std::log(float(s.original_max_position)));
  } else {
    throw unsupported("rope scaling type '" + type + "' is not supported");
  }
  if (freq_factors) {
    // GGUF precomputed divisors (rope_freqs, rope_factors_long/short).
    if (freq_factors->size() != size_t(r.dims / 2)) throw load_error("rope frequency tensor does not match the rotary dimensions");
    auto f = mx::astype(*freq_factors, mx::float32);
    mx::eval(f);
    auto p = table ? *table : periods(base, r.dims);
    for (int i = 0; i < r.dims / 2; ++i) p[i] *= f.data<float>()[i];
    table = p;
  }
  if (table) r.freqs = as_array(*table);
  else r.base = base;
  return r;
}

}  // namespace pocket
