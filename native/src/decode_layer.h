// A whole decoder layer for one decode step (one new token per sequence) as
// a single custom MLX primitive:
//
//   rms_norm -> q, k, v (+ bias, q/k norm) -> rope -> KV-cache append ->
//   attention -> o -> residual -> rms_norm -> gate, up -> swiglu -> down -> residual
//
// It calls the kernels the op graph would call (qmm::run, fused::rms_norm,
// fused::rope, fused::swiglu, sdpa::run) on the same data in the same order,
// so its output is bit-identical to LlamaModel's graph path; what it saves is
// ~25 graph nodes per layer, the per-node scheduling that dominates decode of
// a small model on a CPU. Each sequence's new key/value rows are written in
// place into its KV cache's buffers (KVCache::reserve() made room), which is
// why this is a primitive with side effects and is never shared or merged.
// Applies to quantized layers pocket_qmm supports and float KV caches; the
// caller checks decode_layer_supported() and otherwise builds the graph.
#pragma once

#include <vector>

#include <mlx/mlx.h>

#include "config.h"
#include "kv_cache.h"
#include "llama.h"

namespace pocket {

bool decode_layer_supported(const DecoderLayer& l);

// h [1, B, hidden] row-contiguous (e.g. mx::contiguous, or the previous
// layer's output): one row per sequence; caches[b] holds sequence b, with
// room for one more position (reserve()); returns the layer's output [1, B, hidden].
mx::array pocket_decode_layer(const mx::array& h, const DecoderLayer& l, const DecoderConfig& c, int layer,
                              const std::vector<KVCache*>& caches, std::optional<float> rope_base, float rope_scale,
                              const std::optional<mx::array>& rope_freqs);

}  // namespace pocket
