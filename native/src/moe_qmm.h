// Experts' quantized matmul for MoE layers on the CPU, as a custom MLX
// primitive over our multi-threaded qmm kernels (MLX's CPU gather_qmm is
// single-threaded).
//
//   y = pocket_gather_qmm(x, w, scales, biases, indices, group_size, bits)
//
// x [R, K] float32, w [E, N, K * bits / 32] uint32, scales/biases
// [E, N, K / group_size] float32, indices [R, k] uint32 -> y [R, k, N]:
// y[r, j] = x[r] @ dequant(w[indices[r, j]])^T, the same as
// mx::gather_qmm(x[:, None, None, :], w, scales, biases, rhs_indices=indices)
// with the unit axis dropped. The (row, expert) pairs are bucketed by
// expert; each expert's rows are gathered into one block and multiplied by
// qmm::run (so each expert's weights are read once per step), and the results
// are scattered back. As in pocket_qmm, a block of one row and a block of
// several sum in different (equally accurate) orders.
//
// Only for what pocket_qmm_supported() covers (affine 4/8-bit, groups
// 32/64) on a CPU stream; moe_qmm_supported() says so, callers use
// mx::gather_qmm otherwise.
#pragma once

#include <mlx/mlx.h>

namespace pocket {

namespace mx = mlx::core;

bool moe_qmm_supported(const mx::array& w, const mx::array& scales, const std::optional<mx::array>& biases,
                       int group_size, int bits, const std::string& mode);

mx::array pocket_gather_qmm(const mx::array& x, const mx::array& w, const mx::array& scales,
                            const mx::array& biases, const mx::array& indices, int group_size, int bits);

}  // namespace pocket
