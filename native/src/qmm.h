// Fast CPU quantized matmul (MLX affine quantization) as a custom MLX primitive.
//
//   y = pocket_qmm(x, w, scales, biases, group_size, bits)
//
// computes the same thing as
//   mx::quantized_matmul(x, w, scales, biases, /*transpose=*/true, group_size, bits)
// i.e. y[..., n] = sum_k x[..., k] * (q[n, k] * scales[n, k / gs] + biases[n, k / gs]).
//
// Fast path: CPU stream, x float32 [..., K], w uint32 [N, K * bits / 32],
// scales/biases float32 [N, K / gs], bits in {4, 8}, gs in {32, 64}. Uses AVX2+FMA
// when the CPU supports it (scalar fallback otherwise) and a small persistent thread
// pool (POCKET_NUM_THREADS, default hardware_concurrency) splitting output columns.
// Every other case falls back to mx::quantized_matmul.
//
// Determinism: each output element is summed in a fixed order that does not depend
// on the thread count. Note M == 1 (decode) and M > 1 (prefill) use different
// (equally accurate) summation orders, so the same row can differ in the last bits
// between the two paths.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include <mlx/mlx.h>

namespace pocket {

namespace mx = mlx::core;

// half: optional float16 copies of scales and biases holding exactly the same
// values (Linear::scales16/biases16); a one-row x then reads those.
mx::array pocket_qmm(const mx::array& x, const mx::array& w, const mx::array& scales,
                     const mx::array& biases, int group_size, int bits,
                     mx::StreamOrDevice s = {},
                     const std::optional<std::pair<mx::array, mx::array>>& half = std::nullopt,
                     bool zero128 = false);

// True if pocket_qmm would take the custom kernel for this configuration.
bool pocket_qmm_supported(int group_size, int bits);

namespace qmm {

struct Args {
  const float* x;       // [M, K] row-major
  const uint32_t* w;    // [N, K * bits / 32]
  const float* scales;  // [N, K / gs]
  const float* biases;  // [N, K / gs]
  float* y;             // [M, N]
  int64_t M, N, K;
  int gs, bits;
  // Optional float16 copies of scales/biases (exactly the same values, e.g. GGUF's
  // own half-precision group constants): M == 1 reads these, 25% fewer bytes.
  const uint16_t* scales16 = nullptr;
  const uint16_t* biases16 = nullptr;
  // M <= kQ8MaxRows: quantize each x row to 8 bits per 32-block and take the
  // integer-dot kernels (qmm_q8.h). Set from qmm::q8_decode() when the product
  // is built (decode steps).
  bool q8 = false;
  // 8-bit weights whose biases are exactly -128 * scales (Q8_0): the q8
  // kernels skip the biases (their term is exactly zero).
  bool zero128 = false;
};

// Runs the kernel synchronously on the calling thread + the worker pool.
void run(const Args& a);

// Kernels (qmm_kernels.cpp). Work on output columns [n0, n1).
bool cpu_has_avx2_fma();
int num_threads();

// 2 <= M <= small_m_max() (continuous-batching decode) takes the small-M kernel: each
// weight chunk is unpacked once and applied to all M x rows. Larger M dequantizes
// tiles of weight rows and runs a register-blocked GEMM. Default kSmallMDefault,
// POCKET_QMM_SMALL_M overrides it (1 disables the small-M kernel); set_small_m_max()
// changes it at runtime (benchmarks; -1 restores the default/env value).
constexpr int kSmallMMax = 16;
// Measured with the row pieces of row_piece() (2026-12-04, SmolLM2/Gemma 3
// shapes): the small-M kernel wins or ties up to M = 8 (an 8-stream decode
// step 5-10% faster), the tile GEMM ties or wins at 16.
constexpr int kSmallMDefault = 8;
int small_m_max();

// Rows per work item when a one-row or small-M product splits its N output
// rows between `nthreads` threads: about two contiguous pieces per thread, a
// multiple of 16. Each thread then streams long runs of weight rows, which the
// hardware prefetchers follow (16-row pieces interleaved between two threads
// left a third of the memory bandwidth unused); two pieces rather than one let
// a thread that starts late hand work to the other. POCKET_QMM_PIECES
// overrides the pieces per thread.
int64_t row_piece(int64_t N, int nthreads);
void set_small_m_max(int m);

// Shared persistent worker pool (also used by pocket_sdpa). Calls fn(worker_index) on
// the calling thread and on every pool worker that joins while the job is open; fn
// must claim its work items through a shared atomic counter and return once none are
// left (the caller never waits for a worker that has not started). Not reentrant:
// do not call parallel() from inside fn.
void parallel(const std::function<void(int)>& fn);
}  // namespace qmm

}  // namespace pocket
