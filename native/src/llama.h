// Llama-family decoder (Llama, SmolLM2, Mistral, Qwen2, Qwen3): RMSNorm, GQA,
// RoPE (GGUF's traditional layout or HF's), SwiGLU, optional q/k norm, QKV
// bias and tied embeddings.
#pragma once

#include <mlx/mlx.h>

#include <vector>

#include "config.h"
#include "kv_cache.h"
#include "layers.h"

namespace pocket {

struct DecoderLayer {
  mx::array attn_norm, ffn_norm;
  Linear q, k, v, o, gate, up, down;
  std::optional<mx::array> q_norm, k_norm;
};

class LlamaModel {
 public:
  enum class Naming { gguf, hf };
  LlamaModel(DecoderConfig cfg, WeightMap& weights, Naming naming);

  const DecoderConfig& config() const { return cfg_; }
  // tokens [1, L] int32 -> final-normed hidden states [1, L, hidden].
  mx::array forward(const mx::array& tokens, KVCache& cache) const;
  // Token embeddings [1, L, hidden], and the decoder over given embeddings
  // (VLMs replace image-placeholder rows with projected image features).
  mx::array embed_tokens(const mx::array& tokens) const;
  mx::array forward_embeddings(const mx::array& h, KVCache& cache) const;
  // One decode step for B sequences, each with its own cache: the
  // projections and MLP run batched, attention per sequence.
  // tokens[b] is fed at caches[b]->offset(); returns hidden [B, 1, hidden].
  mx::array forward_batch(const std::vector<int>& tokens, const std::vector<KVCache*>& caches) const;
  // hidden [..., hidden] -> logits [..., vocab] (float32).
  mx::array logits(const mx::array& hidden) const;
  std::vector<mx::array> parameters() const;
  size_t nbytes() const;

 private:
  mx::array attention(const DecoderLayer& l, const mx::array& x, KVCache& cache, int layer) const;
  DecoderConfig cfg_;
  Embedding embed_;
  std::vector<DecoderLayer> layers_;
  std::optional<mx::array> final_norm_;
  Linear lm_head_;
  std::optional<mx::array> rope_freqs_;
  float rope_scale_ = 1.0f;
};

// Decoder hyper-parameters from GGUF metadata ("llama.block_count", ...).
DecoderConfig config_from_gguf(const std::unordered_map<std::string, mx::GGUFMetaData>& meta);

} // namespace pocket
