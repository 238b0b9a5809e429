// Qwen3.5 / Qwen3.6 (GGUF "qwen35" dense, "qwen35moe"): hybrids of Gated
// DeltaNet linear-attention layers and gated full-attention layers
// (hybrid.h). Keys as llama.cpp's qwen35 loader reads them: ssm.conv_kernel,
// ssm.state_size (key/value head size), ssm.group_count (key heads),
// ssm.time_step_rank (value heads), ssm.inner_size (value heads x head
// size); attention.recurrent_layers (one flag per layer) or else
// full_attention_interval (default 4: every 4th layer is full attention).
#include "../errors.h"
#include "../moe.h"
#include "families.h"

namespace pocket {

void configure_qwen35(const GgufKeys& k, DecoderConfig& c) {
  // block_count includes the multi-token-prediction blocks (nextn); they
  // follow the trunk and are not run (no MTP drafting here).
  if (auto nextn = k.num("nextn_predict_layers")) {
    if (*nextn < 0 || int(*nextn) >= c.num_layers) throw load_error("qwen35: bad nextn_predict_layers");
    c.num_layers -= int(*nextn);
  }
  c.rope_traditional = false;
  c.qk_norm = true;
  c.attn_output_gate = true;
  auto& lc = c.linear_attn;
  lc.conv_kernel = int(k.required("ssm.conv_kernel"));
  lc.key_head_dim = lc.value_head_dim = int(k.required("ssm.state_size"));
  lc.key_heads = int(k.required("ssm.group_count"));
  lc.value_heads = int(k.required("ssm.time_step_rank"));
  lc.tiled_heads = true;
  int inner = int(k.required("ssm.inner_size"));
  if (lc.value_heads <= 0 || inner != lc.value_heads * lc.value_head_dim)
    throw load_error("qwen35: ssm.inner_size must be ssm.time_step_rank x ssm.state_size");
  auto flags = k.nums("attention.recurrent_layers");
  if (!flags.empty()) {
    if (int(flags.size()) < c.num_layers) throw load_error("qwen35: attention.recurrent_layers is shorter than the layers");
    for (int i = 0; i < c.num_layers; ++i) c.layer_linear.push_back(flags[i] != 0);
  } else {
    int every = int(k.num("full_attention_interval").value_or(4));
    if (every < 1) throw load_error("qwen35: full_attention_interval must be at least 1");
    for (int i = 0; i < c.num_layers; ++i) c.layer_linear.push_back((i + 1) % every != 0);
  }
  read_moe_keys(k, c);
  if (k.arch() == "qwen35moe") {
    if (c.moe.num_experts == 0) check_moe_config(c.moe);  // qwen35moe without experts
    c.moe.shared_intermediate_size =
        int(k.num("expert_shared_feed_forward_length").value_or(float(c.intermediate_size)));
  }
}

}  // namespace pocket
