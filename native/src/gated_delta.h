// Gated DeltaNet linear attention (Qwen3.5 / Qwen3-Next), as llama.cpp's
// qwen35 graph and HF's Qwen3_5GatedDeltaNet compute it:
//
//   [q | k | v] = silu(causal_conv1d(in_proj_qkv(x)))   kernel K, per channel
//   q, k = l2norm(q), l2norm(k);  q *= 1/sqrt(key_head_dim)
//   beta = sigmoid(in_proj_b(x));  g = softplus(in_proj_a(x) + dt_bias) * a
//   per token, per value head (state S [value_head_dim, key_head_dim]):
//     S = S * exp(g);  S += beta * (v - S k) k^T;  o = S q
//   y = out_proj(rms_norm(o) * silu(in_proj_z(x)))
//
// a = -exp(A_log) (GGUF stores it so). The conv's last K - 1 inputs and S are
// the sequence's recurrent state, kept in its KVCache (set_recurrent), so
// prompt chunks, decode steps and batched sequences continue exactly.
#pragma once

#include <mlx/mlx.h>

#include "config.h"
#include "kv_cache.h"
#include "layers.h"

namespace pocket {

struct GatedDeltaNet {
  LinearAttnConfig cfg;
  float eps = 1e-6f;
  Linear qkv, z, beta, alpha, out;
  mx::array conv = mx::array(0.0f);     // [channels, K]
  mx::array dt_bias = mx::array(0.0f);  // [value_heads]
  mx::array a = mx::array(0.0f);        // [value_heads], negative
  mx::array norm = mx::array(0.0f);     // [value_head_dim]

  // x [1, L, hidden] (normed) of one sequence; reads and replaces the
  // layer's state in `cache`. -> [1, L, hidden]
  mx::array operator()(const mx::array& x, KVCache& cache, int layer) const;
  void append_parameters(std::vector<mx::array>& out) const;
};

// GGUF (llama.cpp names: blk.N.attn_qkv, attn_gate, ssm_beta, ssm_alpha,
// ssm_conv1d, ssm_dt.bias, ssm_a, ssm_norm, ssm_out) or HF
// (<prefix>layers.N.linear_attn.in_proj_qkv, in_proj_z, in_proj_b,
// in_proj_a, conv1d, dt_bias, A_log, norm, out_proj). Shapes are checked.
GatedDeltaNet load_gated_delta(WeightMap& w, const DecoderConfig& c, int layer, bool gguf, int group);

}  // namespace pocket
