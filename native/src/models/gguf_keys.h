// Typed access to a GGUF file's metadata for the architecture files:
// "<arch>.<key>" numbers and strings, with clear errors for required keys.
#pragma once

#include <mlx/mlx.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "../config.h"

namespace pocket {

namespace mx = mlx::core;
using GgufMeta = std::unordered_map<std::string, mx::GGUFMetaData>;

class GgufKeys {
 public:
  GgufKeys(const GgufMeta& meta, std::string arch) : meta_(meta), arch_(std::move(arch)) {}
  const std::string& arch() const { return arch_; }
  // "<arch>.<key>" (first element of an array value).
  std::optional<float> num(const std::string& key) const { return any_num(arch_ + "." + key); }
  float required(const std::string& key) const;
  // Per-layer arrays ("<arch>.<key>" stored as one value per layer).
  std::vector<float> nums(const std::string& key) const;
  // Full key names (tokenizer.*, general.*).
  std::optional<float> any_num(const std::string& full_key) const;
  std::optional<std::string> any_str(const std::string& full_key) const;
  const std::vector<std::string>* strings(const std::string& full_key) const;

 private:
  const GgufMeta& meta_;
  std::string arch_;
};

// Sizes, norms, rope and special tokens every family reads the same way.
void read_common_keys(const GgufKeys& k, DecoderConfig& c);
// Every `period`-th layer (1-based) is global, the others see `window`
// positions; period 0: every layer slides (llama.cpp's set_swa_pattern).
std::vector<int> window_pattern(int layers, int window, int period);
// The file's "<arch>.attention.sliding_window_pattern" (one flag per layer,
// or a period) if present, else window_pattern(default_period).
std::vector<int> sliding_layers(const GgufKeys& k, int layers, int window, int default_period);

}  // namespace pocket
