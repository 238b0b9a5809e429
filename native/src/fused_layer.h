// A whole decoder layer for one step of a (packed) batch as a single custom
// MLX primitive: rms_norm -> q, k, v (+ bias, q/k norm) -> rope -> KV-cache
// append -> attention per sequence (causal within a prompt chunk) -> o
// (-> post-attention rms_norm) -> residual -> rms_norm -> gate, up -> swiglu
// or geglu -> down (-> post-MLP rms_norm) -> residual. The post norms and
// GeGLU are Gemma's. A sliding-window layer attends to the keys its window
// shows (the cache may have dropped older rows: row = position - start);
// a prompt chunk wider than the window takes the graph (Decoder::fused_step).
//
// It calls the kernels the op graph would call (qmm::run, fused::rms_norm,
// fused::rope, fused::swiglu, sdpa::run) on the same data in the same order,
// so its output is bit-identical to the Decoder's graph path; what it saves is
// ~25 graph nodes per layer (plus ~10 per extra sequence), the scheduling that
// dominates a small model's decode step on a CPU. Each sequence's new
// key/value rows are written in place into its KV cache's buffers
// (KVCache::reserve() made room), which is why the primitive is never shared
// or merged. Applies to quantized layers pocket_qmm supports and float KV
// caches; the caller checks fused_layer_supported() and otherwise builds the graph.
#pragma once

#include <vector>

#include <mlx/mlx.h>

#include "config.h"
#include "fused.h"
#include "kv_cache.h"
#include "decoder.h"

namespace pocket {

bool fused_layer_supported(const DecoderLayer& l);

// Rows [sum of earlier lengths, + length) of the packed input belong to `cache`.
struct FusedSegment {
  KVCache* cache;
  int length;
};

// h [1, T, hidden] row-contiguous (e.g. mx::contiguous, or the previous
// layer's output), T = sum of the lengths; each cache has room for its rows
// (reserve()); rope_table covers every new position (fused::rope_table_for).
// Returns the layer's output [1, T, hidden].
mx::array pocket_fused_layer(const mx::array& h, const DecoderLayer& l, const DecoderConfig& c, int layer,
                             const std::vector<FusedSegment>& segs,
                             std::shared_ptr<const fused::RopeTable> rope_table);

}  // namespace pocket
