// CLIP / SigLIP towers and VLM vision encoders: a pre-LN ViT (patch
// embedding as reshape + matmul, learned positions), the CLIP/SigLIP text
// transformer and projection heads, and the connectors that map image
// features into a decoder's embedding space (LLaVA 2-layer MLP,
// SmolVLM/Idefics3 pixel shuffle + linear).
#pragma once

#include <mlx/mlx.h>

#include <optional>
#include <string>
#include <vector>

#include "bert.h"
#include "layers.h"

namespace pocket {

struct TowerConfig {
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int intermediate_size = 0;
  float layer_norm_eps = 1e-5f;
  std::string hidden_act = "quick_gelu";
  // Vision only.
  int patch_size = 0;
  int image_size = 0;
  // Text only.
  int vocab_size = 0;
  int max_positions = 0;
  int eos_token_id = -1;
};

struct VisionModelConfig {
  std::string family;  // clip | siglip | idefics3 | llava
  TowerConfig vision;
  TowerConfig text;    // hidden_size 0 = no text tower
  int projection_dim = 0;
  // VLM connector.
  int scale_factor = 1;        // idefics3 pixel shuffle
  int feature_layer = -1;      // llava: which hidden state feeds the projector
  bool drop_cls = true;        // llava "default" strategy drops the CLS token
};

struct EncoderLayer {
  LayerNorm norm1, norm2;
  Linear q, k, v, o, fc1, fc2;
};

// A stack of pre-LN transformer layers (shared by vision and text towers).
struct Transformer {
  TowerConfig cfg;
  std::vector<EncoderLayer> layers;
  // Runs `count` layers (all when < 0); bias is an additive attention mask.
  mx::array operator()(mx::array h, const std::optional<mx::array>& bias, int count = -1) const;
};

class VisionModel {
 public:
  VisionModel(VisionModelConfig cfg, WeightMap& weights);
  const VisionModelConfig& config() const { return cfg_; }
  bool has_text() const { return text_.has_value(); }
  int output_dim() const;
  size_t nbytes() const;

  // pixels [B, H, W, 3] (already normalized) -> [B, projection_dim].
  mx::array embed_image(const mx::array& pixels, bool normalize) const;
  // ids, mask [B, L] -> [B, projection_dim].
  mx::array embed_text(const mx::array& ids, const mx::array& mask, bool normalize) const;
  // VLM: pixels [B, H, W, 3] -> [B, tokens, decoder_hidden] for the decoder.
  mx::array image_features(const mx::array& pixels) const;

 private:
  mx::array vision_states(const mx::array& pixels, int layers) const;
  VisionModelConfig cfg_;
  // Vision tower.
  mx::array patch_w_;
  std::optional<mx::array> patch_b_, class_emb_;
  mx::array vision_pos_;
  std::optional<LayerNorm> pre_norm_;
  Transformer vision_;
  std::optional<LayerNorm> post_norm_;
  // SigLIP attention-pooling head.
  std::optional<mx::array> probe_;
  Linear head_in_q_, head_in_k_, head_in_v_, head_out_, head_fc1_, head_fc2_;
  std::optional<LayerNorm> head_norm_;
  // Text tower.
  struct Text {
    mx::array token, pos;
    Transformer layers;
    LayerNorm final_norm;
    Linear head;  // SigLIP text head (optional)
  };
  std::optional<Text> text_;
  Linear visual_proj_, text_proj_;
  // Connectors.
  Linear connector_, mlp1_, mlp2_;
  std::vector<mx::array> params_;
};

} // namespace pocket
