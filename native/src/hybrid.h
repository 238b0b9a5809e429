// Hybrid decoder for Qwen3.5 / Qwen3.6 (GGUF qwen35, qwen35moe; HF qwen3_5,
// qwen3_5_moe): Gated DeltaNet linear-attention layers (gated_delta.h)
// interleaved with gated full-attention layers, every layer pre-norm with a
// SwiGLU MLP or a sparse MoE block plus a sigmoid-gated shared expert.
//
// Full attention: q_proj yields [q | gate] per head; per-head q/k RMSNorm;
// NeoX rope on the first rope_dims dims (llama.cpp's interleaved M-RoPE with
// text positions, which are equal in every section, is exactly that); the
// output is attn * sigmoid(gate) before o_proj.
//
// Recurrent layers keep their state in the sequence's KVCache, which then
// cannot roll back (kv_cache.h): speculative decoding is refused for these
// models and the prefix cache reuses a cache only at its exact end.
#pragma once

#include <mlx/mlx.h>

#include <vector>

#include "causal_lm.h"
#include "gated_delta.h"
#include "layers.h"
#include "moe.h"
#include "rope.h"

namespace pocket {

struct HybridLayer {
  mx::array attn_norm = mx::array(0.0f), ffn_norm = mx::array(0.0f);
  std::optional<GatedDeltaNet> linear;  // else full attention:
  Linear q, k, v, o;
  mx::array q_norm = mx::array(0.0f), k_norm = mx::array(0.0f);
  Linear gate, up, down;  // dense MLP, or the shared expert beside moe
  std::optional<SparseMoe> moe;
  Linear shared_gate;  // [1, hidden]
};

class HybridDecoder : public CausalLM {
 public:
  HybridDecoder(DecoderConfig cfg, WeightMap& weights, bool gguf);

  mx::array forward_segments(const std::vector<Segment>& segs) const override;
  mx::array embed_tokens(const mx::array& tokens) const override;
  mx::array logits(const mx::array& hidden) const override;
  std::vector<mx::array> parameters() const override;

 private:
  void load_layer(WeightMap& w, int i, bool gguf, int group);
  mx::array attention(const HybridLayer& l, const mx::array& x, KVCache& cache, int layer) const;
  mx::array mlp(const HybridLayer& l, const mx::array& x) const;

  Embedding embed_;
  std::vector<HybridLayer> layers_;
  mx::array final_norm_ = mx::array(0.0f);
  Linear lm_head_;
  Rope rope_;
};

}  // namespace pocket
