// Per-sequence KV cache: preallocated in steps and filled by slice_update,
// trimmed by moving the offset (used by the prefix cache). Optionally stores
// keys/values quantized (8 or 4 bit, MLX affine) and dequantizes on read.
//
// Sliding-window layers (window w > 0) keep only the rows their future
// queries can see: once a layer holds more than w - 1 + kSlack + kStep rows,
// advance() drops the oldest down to w - 1 + kSlack, so its memory stays
// bounded by the window. kSlack rows beyond the window let a sequence roll
// back a little (rejected speculative drafts) without losing rows it still
// needs; a cache that dropped rows cannot be trimmed further back than that
// (can_trim_to), and it cannot be saved or restored (complete()).
//
// Recurrent layers (Gated DeltaNet, hybrid.h) keep a fixed-size state per
// sequence here instead of rows (set_recurrent). That state is the sequence
// at offset() and cannot go back: such a cache trims only to its own offset
// (so a prompt that extends a finished conversation still reuses it, but a
// rollback does not) and is never saved (complete() is false).
#pragma once

#include <mlx/mlx.h>

#include <optional>
#include <vector>

namespace pocket {

namespace mx = mlx::core;

class KVCache {
 public:
  // windows: per layer, 0 = keep everything, else the attention window.
  explicit KVCache(int num_layers, int bits = 0, int group = 32, std::vector<int> windows = {});

  // Appends k/v [1, kv_heads, L, head_dim] for `layer` at the current offset
  // and returns the keys/values of positions [start(layer), offset + L) (float).
  // What float keys/values are stored as (the model's activation dtype);
  // LoadedModel::new_cache() sets it before the first update.
  void set_dtype(mx::Dtype d) { dtype_ = d; }
  std::pair<mx::array, mx::array> update(int layer, const mx::array& k, const mx::array& v);
  // Position of the first row update() returns for `layer` (0 unless the
  // layer is a sliding-window layer that dropped old rows).
  int start(int layer) const { return start_[layer]; }
  int window(int layer) const { return windows_[layer]; }
  // Called once per forward pass after every layer was updated. `written_by`:
  // an array computed after fused layers wrote this pass's rows in place
  // (no graph edge records those writes); a sliding-window layer's copy of
  // its remaining rows waits for it.
  void advance(int n, const std::optional<mx::array>& written_by = std::nullopt);
  // Whether the sequence can go back to n positions without missing rows.
  bool can_trim_to(int n) const;
  // Throws std::logic_error when !can_trim_to(n).
  void trim_to(int n);
  int offset() const { return offset_; }
  int bits() const { return bits_; }
  mx::Dtype dtype() const { return dtype_; }
  // Every layer still holds every position from 0 (prefix() and restore() need it).
  bool complete() const;
  std::vector<mx::array> state() const;
  // Per layer (keys, values) of the first n positions, [1, kv_heads, n, head_dim].
  std::vector<std::pair<mx::array, mx::array>> prefix(int n) const;
  // Replaces the contents with saved per-layer (keys, values); offset = their length.
  void restore(const std::vector<std::pair<mx::array, mx::array>>& kv);
  size_t nbytes() const;
  // Fused layers (float caches): makes room for n positions in every layer
  // (evaluated; creates the buffers of a fresh cache) and exposes the dense
  // buffers [1, kv_heads, capacity, head_dim], which that path writes in
  // place at row = position - start(layer). False for quantized, recurrent
  // and non-float32 caches and on the graph path (GPU), where nothing is
  // reserved.
  bool reserve(int n, int kv_heads, int head_dim);
  // A pipeline shard's cache: only layers [begin, end) are ever updated, so
  // reserve() makes room in those alone.
  void own_layers(int begin, int end) { own_begin_ = begin, own_end_ = end; }
  const mx::array& key_buffer(int layer) const { return (*keys_[layer])[0]; }
  const mx::array& value_buffer(int layer) const { return (*values_[layer])[0]; }

  // Recurrent layer state (nullptr before the layer's first step).
  const std::vector<mx::array>* recurrent(int layer) const {
    return recurrent_[layer] ? &*recurrent_[layer] : nullptr;
  }
  void set_recurrent(int layer, std::vector<mx::array> state) { recurrent_[layer] = std::move(state); }
  bool has_recurrent() const;

  static constexpr int kStep = 256;
  static constexpr int kSlack = 64;

 private:
  // One growing buffer: a dense array, or (packed, scales, biases).
  using Parts = std::vector<mx::array>;
  Parts encode(const mx::array& x) const;
  mx::array decode(const Parts& parts, int n) const;
  // Writes x at row `at` of buf, growing it to hold `needed` rows; the first
  // `valid` rows are kept.
  void write(std::optional<Parts>& buf, const mx::array& x, int at, int needed, int valid);
  void grow(std::optional<Parts>& buf, const Parts& like, int needed, int valid);
  // Sliding-window layer: drops rows no future query can see (keeping kSlack).
  void drop_old(int layer, const std::optional<mx::array>& written_by);

  std::vector<std::optional<Parts>> keys_, values_;
  std::vector<std::optional<std::vector<mx::array>>> recurrent_;
  std::vector<int> windows_, start_;
  int offset_ = 0;
  int own_begin_ = 0, own_end_ = -1;  // -1: every layer
  int bits_ = 0, group_ = 32;
  mx::Dtype dtype_ = mx::float32;
};

}  // namespace pocket
