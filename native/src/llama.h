// Llama-family decoder (Llama, SmolLM2, Mistral, Qwen2, Qwen3): RMSNorm, GQA,
// RoPE (GGUF's traditional layout or HF's), SwiGLU, optional q/k norm, QKV
// bias and tied embeddings.
#pragma once

#include <mlx/mlx.h>

#include <vector>

#include "config.h"
#include "kv_cache.h"
#include "layers.h"
#include "moe.h"

namespace pocket {

struct DecoderLayer {
  mx::array attn_norm, ffn_norm;
  Linear q, k, v, o, gate, up, down;
  std::optional<mx::array> q_norm, k_norm;
  // MoE layers: the sparse block replaces gate/up/down (left empty).
  std::optional<SparseMoe> moe;
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
  // Several sequences in one pass (continuous batching): each segment's
  // embeddings [1, L_i, hidden] are fed at its cache's offset. Rows of all
  // segments are packed into [1, T, hidden] so the projections and the MLP
  // run once; attention runs per segment against its own cache, causal
  // within the segment. Returns the packed hidden states [1, T, hidden].
  struct Segment {
    mx::array h;
    KVCache* cache;
  };
  // The segment that feeds `tokens` to `cache`.
  Segment token_segment(const std::vector<int>& tokens, KVCache* cache) const;
  mx::array forward_segments(const std::vector<Segment>& segs) const;
  // hidden [..., hidden] -> logits [..., vocab] (float32).
  mx::array logits(const mx::array& hidden) const;
  std::vector<mx::array> parameters() const;
  size_t nbytes() const;

 private:
  mx::array attention(const DecoderLayer& l, const mx::array& x, const std::vector<Segment>& segs, int layer) const;
  DecoderConfig cfg_;
  Embedding embed_;
  std::vector<DecoderLayer> layers_;
  std::vector<bool> fusable_;  // layer i can run as one decode primitive
  std::optional<mx::array> final_norm_;
  Linear lm_head_;
  std::optional<mx::array> rope_freqs_;
  float rope_scale_ = 1.0f;
};

// Decoder hyper-parameters from GGUF metadata ("llama.block_count", ...).
DecoderConfig config_from_gguf(const std::unordered_map<std::string, mx::GGUFMetaData>& meta);

} // namespace pocket
