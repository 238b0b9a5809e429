// Decoder hyper-parameters and architecture features, from GGUF metadata
// (models/<arch>.cpp) or from config.json (parsed in TS by
// src/engine/architectures/*.ts and handed over as a typed object). The
// decoder (decoder.h) reads only this struct: an architecture is a set of
// features, not a code path.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pocket {

struct RopeScaling {
  // "", "linear", "llama3", "yarn", "longrope"
  std::string type;
  float factor = 1.0f;
  // llama3
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int original_max_position = 8192;
  // yarn (defaults as in the YaRN paper, HF and llama.cpp)
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  // Round the correction range outwards (llama.cpp always does; HF unless
  // rope_scaling.truncate is false, as gpt-oss sets it).
  bool truncate = true;
  float mscale = 1.0f;          // HF deepseek-style mscale (0 = unset)
  float mscale_all_dim = 0.0f;  // 0 = unset
  // Explicit attention factor (HF "attention_factor", GGUF rope.scaling.attn_factor);
  // 0 = derived from the scaling type.
  float attn_factor = 0.0f;
  // longrope (Phi-3): per-frequency divisors for short and long contexts.
  std::vector<float> short_factor, long_factor;
};

enum class Activation { silu, gelu_tanh };

// Where a layer's RMSNorms sit. pre: x + f(norm(x)) (Llama); sandwich:
// x + norm(f(norm(x))) (Gemma 2/3); post: x + norm(f(x)) (OLMo 2).
enum class NormLayout { pre, sandwich, post };

// Sparse MoE feed-forward (moe.h); num_experts = 0 means a dense MLP.
struct MoeConfig {
  int num_experts = 0;
  int experts_per_token = 0;
  int intermediate_size = 0;  // per expert
  // softmax_topk: softmax over all experts, keep the top k (Qwen3-MoE,
  // Mixtral); topk_softmax: softmax over the top-k logits (gpt-oss).
  enum class Gating { softmax_topk, topk_softmax } gating = Gating::softmax_topk;
  bool norm_topk_prob = true;  // renormalize the kept probabilities
  float weights_scale = 1.0f;  // routing weights *= this
  // silu: silu(gate) * up; swiglu_oai: gpt-oss's clamped variant,
  // min(g, limit) * sigmoid(alpha * min(g, limit)) * (clip(u, +-limit) + 1).
  enum class Activation { silu, swiglu_oai } activation = Activation::silu;
  float swiglu_alpha = 1.702f;
  float swiglu_limit = 7.0f;
  // Qwen3.5-MoE / Qwen3-Next: a shared expert of this width runs on every
  // row, scaled by sigmoid(x . shared_gate); 0 = none.
  int shared_intermediate_size = 0;
};

// Gated DeltaNet linear-attention layers (Qwen3.5 hybrids, hybrid.h): a short
// causal conv over [q | k | v], L2-normed q/k, the gated delta rule with a
// per-head decay and beta, and a gated RMSNorm on the output.
struct LinearAttnConfig {
  int conv_kernel = 0;
  int key_heads = 0, value_heads = 0;
  int key_head_dim = 0, value_head_dim = 0;
  // Value head h reads key head h % key_heads (llama.cpp's GGUF order); false:
  // h / (value_heads / key_heads) (HF checkpoints).
  bool tiled_heads = true;
};

struct DecoderConfig {
  std::string architecture;  // llama | mistral | qwen2 | qwen3 | gemma2 | gemma3 | phi3 | ...
  int hidden_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  int intermediate_size = 0;
  int vocab_size = 0;
  int context_length = 0;
  // The context the model is loaded with (0 = context_length): LongRoPE
  // picks its long factors only when this exceeds the original context.
  int loaded_context = 0;
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

  // ---- Architecture features (defaults = Llama) ----
  NormLayout norm_layout = NormLayout::pre;
  // HF Gemma stores RMSNorm weights w and scales by (1 + w); llama.cpp's
  // converter adds the 1 into the GGUF tensors already.
  bool norm_plus_one = false;
  // q/k RMSNorm over the whole projection (OLMo 2) instead of per head.
  bool qk_norm_full = false;
  Activation activation = Activation::silu;
  float embed_scale = 1.0f;     // Gemma: sqrt(hidden); Granite: embedding_multiplier
  float attn_scale = 0.0f;      // 0: 1/sqrt(head_dim); Gemma: query_pre_attn_scalar^-1/2
  float attn_softcap = 0.0f;    // Gemma 2: scores = c * tanh(scores / c)
  float final_softcap = 0.0f;   // Gemma 2: logits = c * tanh(logits / c)
  float residual_scale = 1.0f;  // Granite residual_multiplier
  float logit_scale = 1.0f;     // logits *= this (Granite: 1 / logits_scaling)
  // Sliding-window attention: per layer, 0 = full attention, else the number
  // of positions a query sees (itself included). Empty = all full.
  std::vector<int> layer_window;
  // Per layer: false = no positional encoding (SmolLM3 NoPE layers). Empty = all rope.
  std::vector<bool> layer_rope;
  // Rope base of sliding-window layers (Gemma 3: 10000); 0 = rope_theta.
  // Those layers also skip rope_scaling, as in HF and llama.cpp.
  float rope_local_theta = 0.0f;
  // Rotary dims (partial rotary); 0 = head_dim.
  int rope_dims = 0;
  // Llama 4 / Mistral 3 attention temperature: queries at position p are
  // scaled by 1 + s * ln(floor((p + offset) / floor) + 1); 0 = off. Mistral 3
  // uses offset 0 (as HF and llama.cpp), Llama 4 offset 1.
  float attn_temp_scale = 0.0f;
  int attn_temp_floor = 0;
  float attn_temp_offset = 0.0f;
  // Mixture-of-experts feed-forward in every layer (Qwen3-MoE, Mixtral, gpt-oss).
  MoeConfig moe;
  // gpt-oss: a learned per-head logit joins every softmax denominator.
  bool attn_sinks = false;
  // Hybrids (Qwen3.5): per layer, true = Gated DeltaNet linear attention with
  // a recurrent state instead of KV rows. Empty = a plain transformer.
  std::vector<bool> layer_linear;
  LinearAttnConfig linear_attn;
  // Qwen3.5 full attention: q_proj also yields a per-head output gate,
  // o = attn * sigmoid(gate).
  bool attn_output_gate = false;
  // Pipeline-parallel sharding (shard.h): this process holds layers
  // [shard_begin, shard_end) only; the first shard also the embeddings, the
  // last the final norm and LM head. shard_end = 0: the whole model.
  int shard_begin = 0, shard_end = 0;

  int window(int layer) const { return layer < int(layer_window.size()) ? layer_window[layer] : 0; }
  bool has_rope(int layer) const { return layer >= int(layer_rope.size()) || layer_rope[layer]; }
  bool recurrent() const { return !layer_linear.empty(); }
  bool sharded() const { return shard_end > 0 && (shard_begin > 0 || shard_end < num_layers); }
  int layer_begin() const { return shard_end > 0 ? shard_begin : 0; }
  int layer_end() const { return shard_end > 0 ? shard_end : num_layers; }
  bool has_embeddings() const { return layer_begin() == 0; }
  bool has_head() const { return layer_end() == num_layers; }
};

}  // namespace pocket
