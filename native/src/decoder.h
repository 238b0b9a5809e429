// The transformer decoder every supported dense family runs on (see
// causal_lm.h for how architectures map onto it): embeddings (scaled), per
// layer RMSNorms in the family's layout, GQA attention with optional q/k
// norms, QKV bias, per-layer rope (or none) and sliding windows, SwiGLU or
// GeGLU MLPs, and the LM head (tied or not, scaled or soft-capped).
//
// Weights come from GGUF (llama.cpp's tensor names, uniform across families)
// or from HF safetensors (names per norm layout; fused qkv/gate_up
// projections are split at load). Plain Llama layers (pre-norm, SwiGLU,
// default attention scale, one rope) can run as one fused primitive per
// layer; everything else runs as the op graph.
#pragma once

#include <mlx/mlx.h>

#include <vector>

#include "causal_lm.h"
#include "layers.h"
#include "moe.h"
#include "rope.h"

namespace pocket {

struct DecoderLayer {
  // Norm weights by role; which are present follows cfg.norm_layout.
  std::optional<mx::array> attn_norm, ffn_norm, post_attn_norm, post_ffn_norm;
  Linear q, k, v, o, gate, up, down;
  std::optional<mx::array> q_norm, k_norm;
  // MoE layers: the sparse block replaces gate/up/down (left empty).
  std::optional<SparseMoe> moe;
  std::optional<mx::array> sinks;  // [heads] (gpt-oss)
};

class Decoder : public CausalLM {
 public:
  enum class Naming { gguf, hf };
  Decoder(DecoderConfig cfg, WeightMap& weights, Naming naming);

  mx::array forward_segments(const std::vector<Segment>& segs) const override;
  mx::array embed_tokens(const mx::array& tokens) const override;
  mx::array logits(const mx::array& hidden) const override;
  std::vector<mx::array> parameters() const override;

 private:
  void load_layer(WeightMap& w, int i, bool gguf, int group);
  void load_ropes(WeightMap& w, bool gguf);
  bool plain_layer(int i) const;
  // Whether this step may run the fused layers (no chunk needs a window mask).
  bool fused_step(const std::vector<Segment>& segs) const;
  mx::array norm(const mx::array& x, const mx::array& w) const;
  mx::array attention(const DecoderLayer& l, const mx::array& x, const std::vector<Segment>& segs, int layer) const;
  mx::array mlp(const DecoderLayer& l, const mx::array& x) const;

  Embedding embed_;
  int first_ = 0;  // model index of layers_[0] (a pipeline shard's first layer)
  std::vector<DecoderLayer> layers_;
  std::vector<bool> fusable_;  // layer i can run as one decode primitive
  std::optional<mx::array> final_norm_;
  Linear lm_head_;
  // ropes_[0]: full-attention layers; ropes_[1]: sliding-window layers when
  // they use another base (Gemma 3). layer_rope_[i]: index, -1 = no rope.
  std::vector<Rope> ropes_;
  std::vector<int> layer_rope_;
};

}  // namespace pocket
