// Our GGUF reader: header, metadata and tensors of a GGUF file (or of a
// sharded set `name-00001-of-0000N.gguf`), every tensor type of
// gguf_quants.h turned into the WeightMap layout the models read
// (`<base>.weight` dense, or packed + `<base>.scales` [+ `<base>.biases`]).
// Every size and offset is checked against the file, so a truncated or
// forged file is an error, never a crash.
#pragma once

#include <mlx/mlx.h>

#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "gguf_quants.h"
#include "layers.h"

namespace pocket {

using GgufMetadata = std::unordered_map<std::string, mx::GGUFMetaData>;

// How the tensors of one ggml type were loaded.
struct TensorTypeSummary {
  int count = 0;
  int64_t elements = 0;
  QuantTarget target;
};

struct GgufLoadOptions {
  // 5 keeps Q5_* as MLX 5-bit (GPU); 8 stores the same values as 8-bit (the
  // CPU kernels' fast path).
  int five_bit_as = 8;
  // Every quantized tensor as exact float32 values (drift references).
  bool dequantize_all = false;
  // Pipeline shard (shard.h): read only blocks [layer_begin, layer_end), the
  // embeddings when first, output/output_norm (or the tied embeddings) when
  // last. layer_end = 0: every tensor.
  int layer_begin = 0, layer_end = 0;
  // Told the fraction of the tensor bytes converted so far (0..1), after
  // each tensor; may be empty.
  std::function<void(double)> on_progress;
};

struct GgufModel {
  WeightMap weights;
  GgufMetadata metadata;
  std::map<std::string, TensorTypeSummary> tensor_types;  // by ggml type name
  std::vector<std::string> files;                         // shards, in order
};

GgufModel load_gguf_model(const std::string& path, const GgufLoadOptions& options);

// The values of one tensor as the engine holds them, dequantized to float32
// by MLX (tests compare them with llama.cpp's dequantization), plus its
// ggml type name and how it was mapped.
struct DequantizedTensor {
  std::vector<float> values;
  std::vector<int> shape;
  std::string type_name;
  QuantTarget target;
};
DequantizedTensor dequantize_gguf_tensor(const std::string& path, const std::string& name, int five_bit_as);

// The shard files of `path` (itself alone when it is not a shard name).
std::vector<std::string> gguf_shards(const std::string& path);

} // namespace pocket
