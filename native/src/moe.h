// Sparse mixture-of-experts feed-forward block (Qwen3-MoE, Mixtral, gpt-oss),
// as in mlx-lm's SwitchGLU: a router picks k of E experts per row, each
// picked expert runs a gated MLP, and the outputs are summed with the
// router's weights.
//
//   logits = router(x)                              [T, E] (+ bias: gpt-oss)
//   softmax_topk:  p = softmax(logits); keep the top k; renormalize when
//                  norm_topk_prob (Qwen3-MoE's flag; Mixtral always does,
//                  which equals softmax over the top-k logits)
//   topk_softmax:  softmax over the top-k logits (gpt-oss)
//   y = sum_j w_j * down_e(act(gate_e(x), up_e(x)))  over the k experts e
//
// Experts are stacked 3-D weights [E, out, in]: MLX-quantized (affine or
// mxfp4, via mx::gather_qmm) or float (mx::gather_mm), optionally with a
// per-expert bias [E, out]. Rows of a batch (continuous batching packs
// many) are sorted by expert once there are enough of them, so each
// expert's weights are read once per step (sorted_indices). Only MLX ops:
// the same graph runs on the CPU and the GPU.
#pragma once

#include <mlx/mlx.h>

#include <string>
#include <vector>

#include "config.h"
#include "layers.h"

namespace pocket {

// One projection of every expert: weight [E, out, in] (dense) or packed
// [E, out, in * bits / 32] with scales [E, out, in / group] (+ biases).
struct ExpertLinear {
  mx::array weight = mx::array(0.0f);
  std::optional<mx::array> scales, biases;
  std::optional<mx::array> bias;  // [E, out]
  int bits = 0;
  int group = 0;
  std::string mode = "affine";

  int num_experts() const { return weight.shape(0); }
  int out_features() const { return weight.shape(1); }
  int in_features() const { return bits ? scales->shape(-1) * group : weight.shape(2); }
  // x [R, in], indices [R, k] (uint32) -> [R, k, out]: row r through
  // expert indices[r, j]. Our CPU kernels where they apply (moe_qmm.h),
  // else mx::gather_qmm / mx::gather_mm, with the pairs sorted by expert
  // once there are enough of them (sorted_indices).
  mx::array operator()(const mx::array& x, const mx::array& indices) const;
};

struct SparseMoe {
  MoeConfig cfg;
  Linear router;  // [E, hidden] (+ bias)
  ExpertLinear gate, up, down;

  // x [..., hidden] -> [..., hidden]
  mx::array operator()(const mx::array& x) const;
  // Router weights and expert choice per row: ([T, k] float32, [T, k] int32).
  std::pair<mx::array, mx::array> route(const mx::array& x2d) const;
  void append_parameters(std::vector<mx::array>& out) const;
};

// Throws a load error unless 0 < experts_per_token <= num_experts.
void check_moe_config(const MoeConfig& c);

// Loads "<router>" and the three stacked expert projections; checks their
// shapes against the configuration (hidden size, expert count, widths).
// group = 0 infers GGUF's 32. Every name is a prefix for .weight/.scales/...
struct MoeNames {
  std::string router, gate, up, down;
};
SparseMoe load_moe(WeightMap& w, const MoeNames& names, const MoeConfig& cfg, int hidden, int group);

// llama.cpp's names: blk.N.ffn_gate_inp, blk.N.ffn_{gate,up,down}_exps;
// early Mixtral files' per-expert tensors (blk.N.ffn_gate.E) are stacked
// into those names in the map first.
MoeNames gguf_moe_names(WeightMap& w, int layer, int num_experts);
// HF names under "<prefix>layers.N." for a model type: mlx-lm's stacked
// switch_mlp (Qwen3-MoE: mlp.*, Mixtral: block_sparse_moe.*) or gpt-oss's
// mlp.router / mlp.experts.*. Per-expert tensors of HF checkpoints
// (mlp.experts.E.gate_proj, block_sparse_moe.experts.E.w1, ...) are stacked
// into those names in the map first.
MoeNames hf_moe_names(WeightMap& w, const std::string& layer_prefix, const std::string& arch, int num_experts);

}  // namespace pocket
