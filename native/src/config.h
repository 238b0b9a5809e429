// Decoder hyper-parameters, from GGUF metadata or from config.json (parsed in
// TS and handed over as a typed object).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pocket {

struct RopeScaling {
  std::string type; // "", "linear", "llama3"
  float factor = 1.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int original_max_position = 8192;
};

// Sparse MoE feed-forward (moe.h); num_experts = 0 means a dense MLP.
struct MoeConfig {
  int num_experts = 0;
  int experts_per_token = 0;
  int intermediate_size = 0;  // per expert
  // softmax_topk: softmax over all experts, keep the top k (Qwen3-MoE,
  // Mixtral); topk_softmax: softmax over the top-k logits (gpt-oss).
  enum class Gating { softmax_topk, topk_softmax } gating = Gating::softmax_topk;
  bool norm_topk_prob = true;   // renormalize the kept probabilities
  float weights_scale = 1.0f;   // routing weights *= this
  // silu: silu(gate) * up; swiglu_oai: gpt-oss's clamped variant,
  // min(g, limit) * sigmoid(alpha * min(g, limit)) * (clip(u, +-limit) + 1).
  enum class Activation { silu, swiglu_oai } activation = Activation::silu;
  float swiglu_alpha = 1.702f;
  float swiglu_limit = 7.0f;
};

struct DecoderConfig {
  std::string architecture; // llama | mistral | qwen2 | qwen3
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int intermediate_size = 0;
  int vocab_size = 0;
  int context_length = 0;
  float rms_eps = 1e-5f;
  float rope_theta = 10000.0f;
  bool rope_traditional = false;
  RopeScaling rope_scaling;
  bool tie_embeddings = false;
  bool attention_bias = false;
  bool qk_norm = false;
  std::vector<int> eos_ids;
  int bos_id = -1;
  // HF weight names: "<prefix>embed_tokens", "<prefix>layers.N...", "<prefix>norm"
  // and the LM head; VLM checkpoints nest the decoder (e.g. "model.text_model.").
  std::string weight_prefix = "model.";
  std::string lm_head_name = "lm_head";
  // Quantization of safetensors checkpoints (MLX layout); 0 = dense.
  int quant_bits = 0;
  int quant_group = 0;
  MoeConfig moe;
};

} // namespace pocket
