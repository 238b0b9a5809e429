// BERT-family encoder (BERT, MiniLM, sentence-transformers checkpoints):
// word + position + token-type embeddings with LayerNorm, post-LN encoder
// layers with GELU, padding-aware attention; pooling + L2 normalization.
#pragma once

#include <mlx/mlx.h>

#include <string>
#include <vector>

#include "layers.h"

namespace pocket {

struct BertConfig {
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  int vocab_size = 0;
  int max_positions = 512;
  int type_vocab_size = 2;
  float layer_norm_eps = 1e-12f;
  std::string hidden_act = "gelu";  // gelu (erf) | gelu_new/gelu_pytorch_tanh | relu
};

struct LayerNorm {
  mx::array weight, bias;
  float eps;
  mx::array operator()(const mx::array& x) const { return mx::fast::layer_norm(x, weight, bias, eps); }
};

struct BertLayer {
  Linear q, k, v, attn_out;
  LayerNorm attn_norm;
  Linear intermediate, output;
  LayerNorm out_norm;
};

class BertModel {
 public:
  // Accepts bare names ("embeddings.word_embeddings.weight") and the "bert."
  // prefix of BertModel/BertForMaskedLM exports.
  BertModel(BertConfig cfg, WeightMap& weights);

  const BertConfig& config() const { return cfg_; }
  // ids, mask: [B, L] int32 (mask 1 = token, 0 = padding) -> [B, L, hidden].
  mx::array forward(const mx::array& ids, const mx::array& mask) const;
  size_t nbytes() const;

 private:
  mx::array attention(const BertLayer& l, const mx::array& x, const mx::array& bias) const;
  BertConfig cfg_;
  mx::array word_, position_, token_type_;
  LayerNorm embed_norm_;
  std::vector<BertLayer> layers_;
};

// Sentence embedding from token states: "mean" | "cls" | "max" |
// "mean_sqrt_len" over unmasked tokens, then optional L2 normalization.
mx::array pool_tokens(const mx::array& states, const mx::array& mask, const std::string& mode, bool normalize);

// Activation by its HF name (shared with the vision towers).
mx::array activation(const mx::array& x, const std::string& name);

} // namespace pocket
