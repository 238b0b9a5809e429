// Building blocks shared by the architectures: dense or quantized linear
// layers and embeddings, resolved from a flat weight map.
#pragma once

#include <mlx/mlx.h>

#include <optional>
#include <string>
#include <unordered_map>

namespace pocket {

namespace mx = mlx::core;
using WeightMap = std::unordered_map<std::string, mx::array>;

// y = x W^T (+ b); W dense [out, in] or MLX-quantized (affine, packed uint32).
struct Linear {
  std::optional<mx::array> weight;
  std::optional<mx::array> scales;
  std::optional<mx::array> biases;
  std::optional<mx::array> bias;
  // float16 copies of scales/biases when they hold exactly the same values
  // (GGUF stores them in half precision); the fused decode path reads these.
  std::optional<mx::array> scales16, biases16;
  // 8-bit with biases == -128 * scales exactly (GGUF Q8_0): the integer-dot
  // decode kernels skip the biases (their term is exactly zero).
  bool zero128 = false;
  int bits = 0;
  int group = 0;
  std::string mode = "affine";  // or "mxfp4" (uint8 e8m0 scales, no biases)
  // The model's activation dtype when it loaded (what dequantized rows use).
  mx::Dtype dtype = mx::float32;

  mx::array operator()(const mx::array& x) const;
  int out_features() const { return weight->shape(0); }
};

// Token embedding table; doubles as the LM head when embeddings are tied.
struct Embedding {
  Linear table;
  mx::array operator()(const mx::array& ids) const;
};

// Reads "<prefix>.weight" (+ .scales/.biases/.bias) from the map, casting
// floating tensors to the compute dtype. group = 0 infers GGUF's 32.
Linear load_linear(WeightMap& w, const std::string& prefix, int group, bool required = true);
mx::array take_weight(WeightMap& w, const std::string& name);
// Sets l.scales16/biases16 when converting them to float16 loses nothing.
void add_half_copies(Linear& l);
std::optional<mx::array> take_optional(WeightMap& w, const std::string& name);

// The dtype floating weights and activations use: the loading decoder's
// activation dtype (backend.h: compute_dtype()), float32 for the encoders.
// Converts wherever an mx::Dtype is expected.
struct ComputeType {
  operator mx::Dtype() const;
  operator mx::Dtype::Val() const { return mx::Dtype(*this).val(); }
};
inline constexpr ComputeType kComputeType{};

} // namespace pocket
