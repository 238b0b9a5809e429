// Fused CPU elementwise/row primitives for the decoder, as custom MLX primitives.
//
//   pocket_rms_norm(x, w, eps)        == mx::fast::rms_norm(x, w, eps)
//       y = x * rsqrt(mean(x^2, -1) + eps) * w, any leading shape, w [D].
//   pocket_rope(x, dims, traditional, base, scale, offset, freqs)
//                                     == mx::fast::rope(x, dims, traditional, base, scale,
//                                                       offset, freqs)   (int offset)
//       x [B, H, L, D] (or [N, L, D]); position p = offset + l. The cos/sin table is
//       cached per (dims, traditional, base | freqs values, scale) and grown by
//       position, so nothing trigonometric is recomputed per call. Angles are formed
//       exactly as MLX does (float32 position * float32 inverse frequency, the
//       inverse frequencies computed by MLX's own ops once per table), cos/sin in
//       double. `freqs` are periods (inv_freq = 1 / freqs[i]), as in MLX.
//       dims < D passes the tail through unchanged.
//   pocket_swiglu(gate, up)           == silu(gate) * up = gate * sigmoid(gate) * up
//       vectorized exp (Cody-Waite reduction + degree-7 polynomial, ~2 ulp).
//   pocket_geglu_tanh(gate, up)       == gelu_tanh(gate) * up (Gemma's gelu_pytorch_tanh)
//       gelu_tanh(g) = 0.5 g (1 + tanh(z)) = g * sigmoid(2z), z = sqrt(2/pi) (g + 0.044715 g^3);
//       the sigmoid form, with the same vectorized exp (no cancellation near z = 0).
//
// Fast path: CPU stream, float32 (all inputs). Inputs may be arbitrary strided views
// (read through the strides on the stream thread); outputs are row-contiguous. AVX2/FMA
// when the CPU supports it (runtime check, scalar fallback); large inputs are split by
// rows over the qmm thread pool. Each output element is computed by exactly one task
// in a fixed order, so results do not depend on the thread count.
// Everything else falls back to the MLX op / composition.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <mlx/mlx.h>

namespace pocket {

namespace mx = mlx::core;

mx::array pocket_rms_norm(const mx::array& x, const mx::array& weight, float eps,
                          mx::StreamOrDevice s = {});

mx::array pocket_rope(const mx::array& x, int dims, bool traditional, std::optional<float> base,
                      float scale, int offset, const std::optional<mx::array>& freqs,
                      mx::StreamOrDevice s = {});

// Rope with one position per row along axis -2 (packed sequences of a
// batch, each at its own cache offset): positions.size() == x.shape(-2).
mx::array pocket_rope_positions(const mx::array& x, int dims, bool traditional, std::optional<float> base,
                                float scale, std::vector<int32_t> positions, const std::optional<mx::array>& freqs,
                                mx::StreamOrDevice s = {});

mx::array pocket_swiglu(const mx::array& gate, const mx::array& up, mx::StreamOrDevice s = {});

mx::array pocket_geglu_tanh(const mx::array& gate, const mx::array& up, mx::StreamOrDevice s = {});

namespace fused {

// Strided view of a float array, up to 8 dims (element strides). Row r of an array
// whose last axis has length D is the r-th row in row-major order of the leading dims.
struct View {
  const float* p;
  int nd;
  int64_t shape[8];
  int64_t strides[8];
  // Element offset of row r (leading dims only).
  int64_t row_offset(int64_t r) const {
    int64_t off = 0;
    for (int d = nd - 2; d >= 0; --d) {
      const int64_t i = r % shape[d];
      r /= shape[d];
      off += i * strides[d];
    }
    return off;
  }
  int64_t last_stride() const { return strides[nd - 1]; }
};

struct NormArgs {
  View x;
  const float* w;  // [D], stride ws
  int64_t ws;
  float* y;  // [rows, D] contiguous
  int64_t rows, D;
  float eps;
};
void rms_norm(const NormArgs& a);

// Cos/sin table for one rope configuration, positions [0, npos).
// Non-traditional rows: [cos_0 .. cos_{h-1}, sin_0 .. sin_{h-1}]      (2h floats)
// Traditional rows:     [c0 c0 c1 c1 ..., -s0 s0 -s1 s1 ...]          (4h floats)
struct RopeTable {
  int dims;
  bool traditional;
  int64_t npos;
  int64_t row;  // floats per position
  std::vector<float> data;
};

struct RopeArgs {
  View x;  // [N, L, D] (leading dims flattened by row_offset), L = shape[nd - 2]
  float* y;
  int64_t rows, L, D;
  int dims;
  int64_t offset;
  const RopeTable* table;
  const int32_t* positions = nullptr;  // when set: row l's position, instead of offset + l
};
void rope(const RopeArgs& a);

// The gate's activation: silu (SwiGLU) or GELU's tanh approximation (GeGLU).
enum class GateAct { silu, gelu_tanh };

struct SwigluArgs {
  const float* g;  // contiguous
  const float* u;  // contiguous
  float* y;
  int64_t n;
  GateAct act = GateAct::silu;
};
// act(g) * u, split over the qmm pool when large.
void swiglu(const SwigluArgs& a);

// Vectorized act(g) * u on n contiguous floats, on the calling thread.
void gated_range(const float* g, const float* u, float* y, int64_t n, GateAct act);

// The cached cos/sin table pocket_rope uses for this configuration, covering
// at least [0, npos); nullptr when the custom kernel does not apply.
std::shared_ptr<const RopeTable> rope_table_for(int dims, bool traditional, std::optional<float> base,
                                                float scale, const std::optional<mx::array>& freqs, int64_t npos);

}  // namespace fused

}  // namespace pocket
