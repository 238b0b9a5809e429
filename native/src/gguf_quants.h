// GGUF tensor types (ggml's block formats) turned into arrays MLX runs:
// dense float tensors, MLX affine quantization (packed uint32 + float32 group
// scales/biases, group 32) or MLX's mxfp4 mode.
//
// Exact mappings (dequantized values are bit-identical to llama.cpp's):
//   Q4_0, Q4_1, Q4_K          -> affine 4-bit, group 32
//   Q5_0, Q5_1, Q5_K          -> affine 5-bit, group 32 (or 8-bit: same values)
//   Q8_0                      -> affine 8-bit, group 32
//   IQ4_NL, IQ4_XS            -> affine 8-bit, group 32 (the codebook entries
//                                are small integers: d * kvalue is affine)
//   MXFP4                     -> mxfp4 (e2m1 codes, e8m0 scale per 32)
// Converted at load (sub-blocks of 16 have no MLX group size; drift measured):
//   Q2_K, Q3_K, Q6_K          -> affine 8-bit, group 32, requantized from the
//                                exact values
#pragma once

#include <mlx/mlx.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pocket {

namespace mx = mlx::core;

struct GgmlType {
  uint32_t id;
  const char* name;
  int64_t block;  // elements per block
  int64_t bytes;  // bytes per block
};

// nullptr for an id this engine does not know.
const GgmlType* ggml_type(uint32_t id);

// How a tensor type is represented in MLX.
struct QuantTarget {
  enum class Kind { dense, affine, mxfp4 } kind = Kind::dense;
  int bits = 0;
  bool exact = true;
  std::string describe() const;  // "affine 4-bit g32 (exact)", ...
};

// Where 5-bit types go: 5 (MLX's packed 5-bit) or 8 (same values, the CPU
// kernels' fast path).
QuantTarget quant_target(uint32_t type_id, int five_bit_as);

// A converted tensor: `weight` alone (dense float) or weight + scales
// (+ biases for affine).
struct ConvertedTensor {
  mx::array weight;
  std::optional<mx::array> scales, biases;
  QuantTarget target;
};

// Converts `rows` rows of `cols` elements of ggml type `type` at `data`
// (bytes already bounds-checked by the caller). `shape` is the MLX shape of
// the dequantized tensor (its last axis is cols).
ConvertedTensor convert_tensor(const GgmlType& type, const uint8_t* data, int64_t rows, int64_t cols,
                               mx::Shape shape, int five_bit_as);

// llama.cpp's dequantization of `n` elements (the reference for the exact
// mappings and the source of the converted ones).
void dequantize_row(const GgmlType& type, const uint8_t* data, float* out, int64_t n);

} // namespace pocket
