// Per-sequence KV cache: preallocated in steps and filled by slice_update,
// trimmed by moving the offset (used by the prefix cache). Optionally stores
// keys/values quantized (8 or 4 bit, MLX affine) and dequantizes on read.
#pragma once

#include <mlx/mlx.h>

#include <optional>
#include <vector>

namespace pocket {

namespace mx = mlx::core;

class KVCache {
 public:
  // dtype: what float keys/values are stored as (the model's activation dtype).
  explicit KVCache(int num_layers, int bits = 0, int group = 32, mx::Dtype dtype = mx::float32)
      : keys_(num_layers), values_(num_layers), bits_(bits), group_(group), dtype_(dtype) {}

  // Appends k/v [1, kv_heads, L, head_dim] for `layer` at the current offset
  // and returns the full keys/values up to offset + L (in dtype()).
  std::pair<mx::array, mx::array> update(int layer, const mx::array& k, const mx::array& v);
  // Called once per forward pass after every layer was updated.
  void advance(int n) { offset_ += n; }
  void trim_to(int n) { offset_ = std::min(offset_, n); }
  int offset() const { return offset_; }
  int bits() const { return bits_; }
  mx::Dtype dtype() const { return dtype_; }
  std::vector<mx::array> state() const;
  // Per layer (keys, values) of the first n positions, [1, kv_heads, n, head_dim].
  std::vector<std::pair<mx::array, mx::array>> prefix(int n) const;
  // Replaces the contents with saved per-layer (keys, values); offset = their length.
  void restore(const std::vector<std::pair<mx::array, mx::array>>& kv);
  size_t nbytes() const;
  // Fused layers (float caches): makes room for n positions in every layer
  // (evaluated; creates the buffers of a fresh cache) and exposes the dense
  // buffers [1, kv_heads, capacity, head_dim], which that path writes in
  // place. False for quantized and non-float32 caches and on the graph path
  // (GPU), where nothing is reserved.
  bool reserve(int n, int kv_heads, int head_dim);
  const mx::array& key_buffer(int layer) const { return (*keys_[layer])[0]; }
  const mx::array& value_buffer(int layer) const { return (*values_[layer])[0]; }

 private:
  // One growing buffer: a dense array, or (packed, scales, biases).
  using Parts = std::vector<mx::array>;
  Parts encode(const mx::array& x) const;
  mx::array decode(const Parts& parts, int n) const;
  void write(std::optional<Parts>& buf, const mx::array& x, int needed);
  // Grows buf (shaped like `like`) to hold `needed` positions, keeping the first offset_.
  void grow(std::optional<Parts>& buf, const Parts& like, int needed);

  static constexpr int kStep = 256;
  std::vector<std::optional<Parts>> keys_, values_;
  int offset_ = 0;
  int bits_ = 0, group_ = 32;
  mx::Dtype dtype_ = mx::float32;
};

} // namespace pocket
