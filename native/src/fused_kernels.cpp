// Kernels for pocket_rms_norm / pocket_rope / pocket_swiglu / pocket_geglu_tanh (see fused.h). AVX2/FMA
// code lives in functions with __attribute__((target("avx2,fma"))) and is only called
// after the runtime CPU check in qmm::cpu_has_avx2_fma(), so the addon itself is built
// for the baseline ISA.
//
// Work is split into fixed-size chunks (rows or elements) independent of the thread
// count; every output element is produced by exactly one chunk with the same
// arithmetic, so results are identical for any POCKET_NUM_THREADS.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POCKET_FUSED_X86 1
#endif

#include "fused.h"
#include "qmm.h"

namespace pocket::fused {
namespace {

constexpr int64_t kParallelMin = 32768;  // elements; below this one thread does it all

bool use_simd() {
#ifdef POCKET_FUSED_X86
  static const bool s = qmm::cpu_has_avx2_fma();
  return s;
#else
  return false;
#endif
}

// Calls f(i0, i1) for chunks [i0, i1) of [0, n); chunk boundaries never depend on the
// thread count.
template <class F>
void for_chunks(int64_t n, int64_t chunk, bool parallel, const F& f) {
  const int64_t nch = (n + chunk - 1) / chunk;
  if (!parallel || nch < 2 || qmm::num_threads() < 2) {
    for (int64_t c = 0; c < nch; ++c) f(c * chunk, std::min(n, (c + 1) * chunk));
    return;
  }
  std::atomic<int64_t> next{0};
  qmm::parallel([&](int) {
    for (int64_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < nch;)
      f(c * chunk, std::min(n, (c + 1) * chunk));
  });
}

// ---------------------------------------------------------------- scalar path
void norm_row_scalar(const NormArgs& a, const float* x, int64_t xs, float* y) {
  float ss = 0.f;
  for (int64_t c = 0; c < a.D; ++c) ss += x[c * xs] * x[c * xs];
  const float inv = 1.0f / std::sqrt(ss / float(a.D) + a.eps);
  for (int64_t c = 0; c < a.D; ++c) y[c] = (x[c * xs] * inv) * a.w[c * a.ws];
}

void rope_row_scalar(const RopeArgs& a, const float* x, int64_t xs, const float* t, float* y) {
  const int half = a.dims / 2;
  if (a.table->traditional) {
    for (int i = 0; i < half; ++i) {
      const float x1 = x[(2 * i) * xs], x2 = x[(2 * i + 1) * xs];
      const float c = t[2 * i], s = t[2 * half + 2 * i + 1];
      y[2 * i] = x1 * c - x2 * s;
      y[2 * i + 1] = x2 * c + x1 * s;
    }
  } else {
    for (int i = 0; i < half; ++i) {
      const float x1 = x[i * xs], x2 = x[(half + i) * xs];
      const float c = t[i], s = t[half + i];
      y[i] = x1 * c - x2 * s;
      y[half + i] = x2 * c + x1 * s;
    }
  }
  for (int64_t c = a.dims; c < a.D; ++c) y[c] = x[c * xs];
}

// Both gate activations are g * sigmoid(-t) = g / (1 + e^t): silu's t is -g;
// gelu_tanh(g) = g * sigmoid(2z) has t = -2z = g * (c1 + c3 g^2) with
// c1 = -2 sqrt(2/pi), c3 = 0.044715 c1.
constexpr float kGeluC1 = -1.5957691216057308f, kGeluC3 = -0.0713548162726f;

template <GateAct A>
inline float gate_mul_scalar(float g, float u) {
  const float t = A == GateAct::silu ? -g : g * (kGeluC1 + kGeluC3 * (g * g));
  return g / (1.0f + std::exp(t)) * u;
}

#ifdef POCKET_FUSED_X86
// ---------------------------------------------------------------- AVX2 path
#define AVX2 __attribute__((target("avx2,fma"), always_inline)) inline

AVX2 float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// e^t for t in [-87, 88] (clamped outside). t = n ln2 + r with |r| <= ln2/2 (Cody-Waite,
// two-part ln2), e^r by its degree-7 Taylor polynomial (truncation < 6e-9 relative),
// 2^n through the exponent bits. ~2 ulp overall.
AVX2 __m256 exp_avx2(__m256 t) {
  t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(t, _mm256_set1_ps(1.4426950408889634f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), t);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

// The gate activation of 8 lanes, the scalar path's arithmetic.
template <GateAct A>
AVX2 __m256 gate_avx2(__m256 gv) {
  const __m256 t =
      A == GateAct::silu
          ? _mm256_sub_ps(_mm256_setzero_ps(), gv)
          : _mm256_mul_ps(gv, _mm256_add_ps(_mm256_set1_ps(kGeluC1),
                                            _mm256_mul_ps(_mm256_set1_ps(kGeluC3), _mm256_mul_ps(gv, gv))));
  return _mm256_div_ps(gv, _mm256_add_ps(_mm256_set1_ps(1.0f), exp_avx2(t)));
}

template <GateAct A>
__attribute__((target("avx2,fma"))) void gated_avx2(const float* g, const float* u, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_mul_ps(gate_avx2<A>(_mm256_loadu_ps(g + i)), _mm256_loadu_ps(u + i)));
  if (i < n) {  // tail through a padded vector: same arithmetic as the body
    alignas(32) float gb[8] = {}, ub[8] = {}, yb[8];
    std::memcpy(gb, g + i, size_t(n - i) * sizeof(float));
    std::memcpy(ub, u + i, size_t(n - i) * sizeof(float));
    _mm256_store_ps(yb, _mm256_mul_ps(gate_avx2<A>(_mm256_load_ps(gb)), _mm256_load_ps(ub)));
    std::memcpy(y + i, yb, size_t(n - i) * sizeof(float));
  }
}

__attribute__((target("avx2,fma"))) void norm_row_avx2(const NormArgs& a, const float* x,
                                                       float* y) {
  const int64_t D = a.D;
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t c = 0;
  for (; c + 32 <= D; c += 32)
    for (int k = 0; k < 4; ++k) {
      const __m256 v = _mm256_loadu_ps(x + c + 8 * k);
      acc[k] = _mm256_fmadd_ps(v, v, acc[k]);
    }
  for (; c + 8 <= D; c += 8) {
    const __m256 v = _mm256_loadu_ps(x + c);
    acc[0] = _mm256_fmadd_ps(v, v, acc[0]);
  }
  float ss = hsum8(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; c < D; ++c) ss += x[c] * x[c];
  const float inv = 1.0f / std::sqrt(ss / float(D) + a.eps);
  const __m256 iv = _mm256_set1_ps(inv);
  c = 0;
  if (a.ws == 1) {
    for (; c + 8 <= D; c += 8)
      _mm256_storeu_ps(y + c, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + c), iv),
                                            _mm256_loadu_ps(a.w + c)));
  }
  for (; c < D; ++c) y[c] = (x[c] * inv) * a.w[c * a.ws];
}

__attribute__((target("avx2,fma"))) void rope_row_avx2(const RopeArgs& a, const float* x,
                                                       const float* t, float* y) {
  const int half = a.dims / 2;
  if (a.table->traditional) {
    const float* cd = t;
    const float* sd = t + 2 * half;
    for (int j = 0; j < a.dims; j += 8) {
      const __m256 xv = _mm256_loadu_ps(x + j);
      const __m256 xs = _mm256_permute_ps(xv, 0xB1);  // swap within pairs
      _mm256_storeu_ps(y + j, _mm256_fmadd_ps(xv, _mm256_loadu_ps(cd + j),
                                              _mm256_mul_ps(xs, _mm256_loadu_ps(sd + j))));
    }
  } else {
    for (int i = 0; i < half; i += 8) {
      const __m256 x1 = _mm256_loadu_ps(x + i), x2 = _mm256_loadu_ps(x + half + i);
      const __m256 c = _mm256_loadu_ps(t + i), s = _mm256_loadu_ps(t + half + i);
      _mm256_storeu_ps(y + i, _mm256_fmsub_ps(x1, c, _mm256_mul_ps(x2, s)));
      _mm256_storeu_ps(y + half + i, _mm256_fmadd_ps(x2, c, _mm256_mul_ps(x1, s)));
    }
  }
  if (a.D > a.dims) std::memcpy(y + a.dims, x + a.dims, size_t(a.D - a.dims) * sizeof(float));
}
#endif  // POCKET_FUSED_X86

}  // namespace

void rms_norm(const NormArgs& a) {
  const bool simd = use_simd() && a.x.last_stride() == 1;
  const int64_t chunk = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, a.D));
  for_chunks(a.rows, chunk, a.rows * a.D >= kParallelMin, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = a.x.p + a.x.row_offset(r);
      float* y = a.y + r * a.D;
#ifdef POCKET_FUSED_X86
      if (simd) {
        norm_row_avx2(a, x, y);
        continue;
      }
#endif
      norm_row_scalar(a, x, a.x.last_stride(), y);
    }
  });
  (void)simd;
}

void rope(const RopeArgs& a) {
  const int half = a.dims / 2;
  const bool simd = use_simd() && a.x.last_stride() == 1 &&
                    (a.table->traditional ? a.dims % 8 == 0 : half % 8 == 0);
  const int64_t chunk = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, a.D));
  for_chunks(a.rows, chunk, a.rows * a.D >= kParallelMin, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t pos = a.positions ? a.positions[r % a.L] : a.offset + r % a.L;
      const float* t = a.table->data.data() + pos * a.table->row;
      const float* x = a.x.p + a.x.row_offset(r);
      float* y = a.y + r * a.D;
#ifdef POCKET_FUSED_X86
      if (simd) {
        rope_row_avx2(a, x, t, y);
        continue;
      }
#endif
      rope_row_scalar(a, x, a.x.last_stride(), t, y);
    }
  });
  (void)half;
  (void)simd;
}

void gated_range(const float* g, const float* u, float* y, int64_t n, GateAct act) {
  const bool gelu = act == GateAct::gelu_tanh;
#ifdef POCKET_FUSED_X86
  if (use_simd()) return gelu ? gated_avx2<GateAct::gelu_tanh>(g, u, y, n) : gated_avx2<GateAct::silu>(g, u, y, n);
#endif
  for (int64_t i = 0; i < n; ++i)
    y[i] = gelu ? gate_mul_scalar<GateAct::gelu_tanh>(g[i], u[i]) : gate_mul_scalar<GateAct::silu>(g[i], u[i]);
}

void swiglu(const SwigluArgs& a) {
  for_chunks(a.n, 8192, a.n >= kParallelMin,
             [&](int64_t i0, int64_t i1) { gated_range(a.g + i0, a.u + i0, a.y + i0, i1 - i0, a.act); });
}

}  // namespace pocket::fused
