// Fast CPU scaled dot-product attention as a custom MLX primitive.
//
//   o = pocket_sdpa(q, k, v, scale, causal)
//
// computes the same thing as
//   mx::fast::scaled_dot_product_attention(q, k, v, scale, causal ? "causal" : "")
// for q [B, Hq, Lq, D], k/v [B, Hkv, Lk, D] float32 with Hq % Hkv == 0 (GQA: query
// head h reads kv head h / (Hq / Hkv)). Causal is bottom-right aligned: query i
// attends keys j <= i + (Lk - Lq). Output [B, Hq, Lq, D] float32, row-contiguous.
//
// Fast path: CPU stream, float32, 4-D, Lk >= 1, (causal => Lq <= Lk). Inputs may be
// arbitrary strided views (KV-cache slices, transposed q): the kernel reads through
// the strides, nothing is copied up front. Flash-attention style: per task
// (batch, kv head, block of query rows for every query head of that kv head), key
// blocks of 64 are packed once and shared by all rows; online (running max) softmax
// in the exp2 domain; AVX2/FMA when available (runtime check, scalar fallback),
// tasks spread over the qmm thread pool (POCKET_NUM_THREADS).
// Everything else falls back to mx::fast::scaled_dot_product_attention.
//
// Determinism: each output row is computed by one task with a fixed key-block
// partition and fixed summation order, so results do not depend on the thread count.
#pragma once

#include <cstdint>

#include <mlx/mlx.h>

namespace pocket {

namespace mx = mlx::core;

mx::array pocket_sdpa(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                      bool causal, mx::StreamOrDevice s = {});

// True if pocket_sdpa would take the custom kernel for these inputs.
bool pocket_sdpa_supported(const mx::array& q, const mx::array& k, const mx::array& v,
                           bool causal, mx::StreamOrDevice s = {});

namespace sdpa {

struct Args {
  const float* q;  // [B, Hq, Lq, D] with element strides qs
  const float* k;  // [B, Hkv, Lk, D] with element strides ks
  const float* v;  // [B, Hkv, Lk, D] with element strides vs
  float* o;        // [B, Hq, Lq, D] row-contiguous
  int64_t B, Hq, Hkv, Lq, Lk, D;
  int64_t qs[4], ks[4], vs[4];
  float scale;
  bool causal;
};

// Runs synchronously on the calling thread + the shared worker pool.
void run(const Args& a);
// n independent calls (e.g. each sequence of a batched decode step) as one
// pool dispatch; every output is computed exactly as run() alone computes it.
void run_many(const Args* calls, size_t n);

}  // namespace sdpa

}  // namespace pocket
