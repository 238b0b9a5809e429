// Fast float32 matmuls for the encoders. The mlx-cpu wheel links the
// reference (netlib) BLAS, about 1 GFLOP/s here; this is an AVX2+FMA,
// register-blocked kernel as an MLX primitive, run on the shared qmm pool.
//
//   pocket_matmul_nt(a [..., M, K], b [..., N, K]) = a @ swapaxes(b, -1, -2)
//
// Batch dims of a and b must be equal (or b 2-D, shared by every batch).
// Each output is summed in a fixed order, independent of the thread count.
#pragma once

#include <mlx/mlx.h>

#include "layers.h"

namespace pocket {

mx::array pocket_matmul_nt(const mx::array& a, const mx::array& b);

// A dense Linear through pocket_matmul_nt (+ bias); quantized layers keep
// their own kernel.
mx::array dense(const Linear& l, const mx::array& x);

// Softmax attention for encoders: q, k, v [B, H, L, D]; bias broadcastable
// to [B, H, Lq, Lk] (additive) or none.
mx::array encoder_attention(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                            const std::optional<mx::array>& bias);

} // namespace pocket
