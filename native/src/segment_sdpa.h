// Attention for the packed sequences of a shared forward (continuous
// batching), as one custom MLX primitive instead of a slice/transpose/sdpa
// chain per sequence:
//
//   o = pocket_segment_sdpa(q, kvs, lengths, scale)
//
// q [1, Hq, T, D] float32 (any strides, e.g. a transposed projection) holds
// the query rows of all sequences, T = sum(lengths); kvs = {k_0, v_0, k_1,
// v_1, ...} with k_i/v_i [1, Hkv, Lk_i, D] the keys/values of sequence i (its
// cache, new rows included). Query row l of sequence i attends causally
// (bottom-right aligned) when lengths[i] > 1, like pocket_sdpa. The output is
// [1, T, Hq * D] row-contiguous, ready for the output projection. Each
// sequence runs pocket_sdpa's kernel, so every row equals pocket_sdpa on that
// sequence alone. Anything but CPU float32 falls back to MLX ops.
#pragma once

#include <vector>

#include <mlx/mlx.h>

namespace pocket {

namespace mx = mlx::core;

mx::array pocket_segment_sdpa(const mx::array& q, const std::vector<mx::array>& kvs, std::vector<int> lengths,
                              float scale, mx::StreamOrDevice s = {});

}  // namespace pocket
