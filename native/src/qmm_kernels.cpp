// Kernels + thread pool for pocket_qmm (see qmm.h). AVX2/FMA code lives in functions
// with __attribute__((target("avx2,fma,f16c"))) and is only called after a runtime CPU
// check, so the addon itself is built for the baseline ISA.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POCKET_QMM_X86 1
#endif

#include "qmm.h"
#include "qmm_q8.h"

namespace pocket::qmm {
namespace {

inline void cpu_relax() {
#ifdef POCKET_QMM_X86
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// ---------------------------------------------------------------- thread pool
// Persistent pool: run(fn) calls fn on the caller and on every worker that shows up
// while the job is open. fn must claim its work through a shared atomic counter and
// return once nothing is left, so the caller never waits for a worker that has not
// started (the machine is small and shared; a descheduled worker must not stall the
// stream thread). Workers spin briefly between jobs (decode issues many small matmuls
// back to back), then sleep on a condition variable.
class Pool {
 public:
  explicit Pool(int n) : n_(std::max(1, n)) {
    const char* e = std::getenv("POCKET_QMM_SPIN_US");
    spin_us_ = e ? std::atoi(e) : 100;
    for (int i = 1; i < n_; ++i) workers_.emplace_back([this, i] { loop(i); });
  }
  int size() const { return n_; }

  void run(const std::function<void(int)>& fn) {
    if (n_ == 1) return fn(0);
    std::lock_guard<std::mutex> submit(submit_mu_);
    job_ = &fn;
    closed_.store(false);
    {
      std::lock_guard<std::mutex> lk(mu_);
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    fn(0);  // returns when every work item has been claimed
    closed_.store(true);
    // Only workers that joined before the close may still be running fn.
    for (int spins = 0; joined_.load() != 0; ++spins)
      if (spins < 4096) cpu_relax(); else std::this_thread::yield();
    job_ = nullptr;
  }

 private:
  void loop(int idx) {
    uint64_t seen = 0;
    for (;;) {
      auto t0 = std::chrono::steady_clock::now();
      for (int spins = 0; gen_.load(std::memory_order_acquire) == seen; ++spins) {
        if ((spins & 63) == 63 && std::chrono::steady_clock::now() - t0 >
                                      std::chrono::microseconds(spin_us_)) {
          std::unique_lock<std::mutex> lk(mu_);
          cv_.wait(lk, [&] { return gen_.load(std::memory_order_acquire) != seen; });
        } else {
          cpu_relax();
        }
      }
      // seq_cst join/close handshake (Dekker): either run() sees us joined and waits,
      // or we see the job closed and leave job_ alone.
      joined_.fetch_add(1);
      seen = gen_.load();
      if (!closed_.load()) (*job_)(idx);
      joined_.fetch_sub(1);
    }
  }

  int n_;
  int spin_us_;
  std::vector<std::thread> workers_;
  std::mutex submit_mu_, mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> joined_{0};
  std::atomic<bool> closed_{true};
  const std::function<void(int)>* job_ = nullptr;
};

Pool& pool() {
  // Leaked on purpose: workers must outlive static destruction (Node exits with
  // them blocked on the condition variable).
  static Pool* p = new Pool(num_threads());
  return *p;
}

std::atomic<int> g_small_m_max{-1};

// ---------------------------------------------------------------- scalar path
inline uint32_t qval(const uint32_t* wr, int64_t k, int bits) {
  const int per = 32 / bits;
  return (wr[k / per] >> (bits * (k % per))) & ((1u << bits) - 1);
}

void scalar_cols(const Args& a, int64_t n0, int64_t n1) {
  const int64_t G = a.K / a.gs, rw = a.K * a.bits / 32;
  for (int64_t n = n0; n < n1; ++n) {
    const uint32_t* wr = a.w + n * rw;
    for (int64_t m = 0; m < a.M; ++m) {
      const float* x = a.x + m * a.K;
      float acc = 0.f;
      for (int64_t g = 0; g < G; ++g) {
        float d = 0.f, sx = 0.f;
        for (int64_t k = g * a.gs; k < (g + 1) * a.gs; ++k) {
          d += float(qval(wr, k, a.bits)) * x[k];
          sx += x[k];
        }
        acc += d * a.scales[n * G + g] + sx * a.biases[n * G + g];
      }
      a.y[m * a.N + n] = acc;
    }
  }
}

#ifdef POCKET_QMM_X86
// ---------------------------------------------------------------- AVX2 path
// 4-bit layout: a 32-element chunk is 16 bytes; byte i holds elements 2i (low
// nibble) and 2i+1 (high nibble). We never interleave nibbles: instead x is permuted
// once per call so that chunk position p holds x[perm(p)], matching the order
// [lo bytes 0-7 | lo bytes 8-15 | hi bytes 0-7 | hi bytes 8-15].
inline int perm4(int p) { return ((p >> 3) & 1) * 16 + 2 * (p & 7) + (p >> 4); }

// Weight rows per gemv pass: one, measured (two or four rows interleave their
// streams and left 40% of the memory bandwidth unused on the 8-bit LM head).
#ifndef GEMV_R
#define GEMV_R 1
#endif
#define AVX2 __attribute__((target("avx2,fma,f16c"), always_inline)) inline

AVX2 float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

AVX2 __m256 u8x8_to_ps(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }

// Loads the 32 quantized values of chunk `c` (4 x 8 floats, in the chunk's x order).
template <int BITS>
AVX2 void load_chunk(const uint8_t* p, __m256 q[4]) {
  if constexpr (BITS == 4) {
    // Widen bytes 0-7 / 8-15 to dwords (one shuffle each), then split the nibbles.
    const __m256i m = _mm256_set1_epi32(0x0F);
    const __m256i e0 = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    const __m256i e1 =
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8)));
    q[0] = _mm256_cvtepi32_ps(_mm256_and_si256(e0, m));
    q[1] = _mm256_cvtepi32_ps(_mm256_and_si256(e1, m));
    q[2] = _mm256_cvtepi32_ps(_mm256_srli_epi32(e0, 4));
    q[3] = _mm256_cvtepi32_ps(_mm256_srli_epi32(e1, 4));
  } else {
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i)
      q[i] = u8x8_to_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8 * i)));
  }
}

// M == 1: y[n] = sum_g s[n,g] * dot(q[n,g,:], x[g,:]) + sum_g b[n,g] * xsum[g].
// R rows are processed together (shared x loads, independent dependency chains); the
// per-row summation order does not depend on R.
// Group scale/bias g of row n: float32, or float16 (H16: the same values, half the bytes).
template <bool H16>
AVX2 float scale_at(const Args& a, int64_t i) {
  if constexpr (H16) return _cvtsh_ss(a.scales16[i]);
  return a.scales[i];
}

template <bool H16>
AVX2 __m256 biases8(const Args& a, int64_t i) {
  if constexpr (H16) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.biases16 + i)));
  return _mm256_loadu_ps(a.biases + i);
}

// How far ahead of the group being read each weight row prefetches (bytes).
static const int kGemvAhead = [] {
  const char* e = std::getenv("POCKET_GEMV_AHEAD");
  return e ? std::atoi(e) : 2048;
}();

// Group g of rows n .. n + R - 1 into acc[r] (fma with the group's scale).
template <int BITS, int GS, int R, bool H16>
AVX2 void gemv_group(const Args& a, const float* xp, const uint8_t* wr, int64_t rb, int64_t sr, int64_t G,
                     int64_t g, __m256* acc) {
  constexpr int CB = 32 * BITS / 8;  // bytes per 32-element chunk
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
    _mm_prefetch(reinterpret_cast<const char*>(wr + r * rb + g * GS / 32 * CB) + kGemvAhead, _MM_HINT_T0);
  __m256 d0[R], d1[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) d0[r] = d1[r] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int c = 0; c < GS / 32; ++c) {
    const float* xc = xp + g * GS + c * 32;
    const __m256 x0 = _mm256_loadu_ps(xc), x1 = _mm256_loadu_ps(xc + 8), x2 = _mm256_loadu_ps(xc + 16),
                 x3 = _mm256_loadu_ps(xc + 24);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      __m256 q[4];
      load_chunk<BITS>(wr + r * rb + (g * GS / 32 + c) * CB, q);
      d0[r] = _mm256_fmadd_ps(q[0], x0, d0[r]);
      d1[r] = _mm256_fmadd_ps(q[1], x1, d1[r]);
      d0[r] = _mm256_fmadd_ps(q[2], x2, d0[r]);
      d1[r] = _mm256_fmadd_ps(q[3], x3, d1[r]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
    acc[r] = _mm256_fmadd_ps(_mm256_add_ps(d0[r], d1[r]), _mm256_set1_ps(scale_at<H16>(a, sr + r * G + g)), acc[r]);
}

template <int BITS, int GS, int R, bool H16 = false>
AVX2 void gemv_rows(const Args& a, const float* xp, const float* xsum, int64_t n) {
  const int64_t K = a.K, G = K / GS, rb = K * BITS / 8;
  const uint8_t* wr = reinterpret_cast<const uint8_t*>(a.w) + n * rb;
  const int64_t sr = n * G;
  // Even and odd groups accumulate separately; the loop runs over pairs so
  // both stay in registers (indexing them by g & 1 put them on the stack,
  // and the store-to-load round trip bounded the whole kernel).
  __m256 even[R], odd[R];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) even[r] = odd[r] = _mm256_setzero_ps();
  int64_t g = 0;
  for (; g + 2 <= G; g += 2) {
    gemv_group<BITS, GS, R, H16>(a, xp, wr, rb, sr, G, g, even);
    gemv_group<BITS, GS, R, H16>(a, xp, wr, rb, sr, G, g + 1, odd);
  }
  if (g < G) gemv_group<BITS, GS, R, H16>(a, xp, wr, rb, sr, G, g, even);
  __m256 acc[R][2];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) acc[r][0] = even[r], acc[r][1] = odd[r];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    const int64_t br = (n + r) * G;
    __m256 bv = _mm256_setzero_ps();
    int64_t g = 0;
    for (; g + 8 <= G; g += 8)
      bv = _mm256_fmadd_ps(biases8<H16>(a, br + g), _mm256_loadu_ps(xsum + g), bv);
    float bs = hsum8(bv);
    for (; g < G; ++g) {
      if constexpr (H16) bs += _cvtsh_ss(a.biases16[br + g]) * xsum[g];
      else bs += a.biases[br + g] * xsum[g];
    }
    a.y[n + r] = hsum8(_mm256_add_ps(acc[r][0], acc[r][1])) + bs;
  }
}

template <int BITS, int GS, bool H16 = false>
__attribute__((target("avx2,fma,f16c"))) void gemv_avx2(const Args& a, const float* xp,
                                                   const float* xsum, int64_t n0,
                                                   int64_t n1) {
  int64_t n = n0;
  for (; n + GEMV_R <= n1; n += GEMV_R) gemv_rows<BITS, GS, GEMV_R, H16>(a, xp, xsum, n);
  for (; n < n1; ++n) gemv_rows<BITS, GS, 1, H16>(a, xp, xsum, n);
}

// 2 <= M <= small_m_max(): no dequantized copy of the weights. A block of R weight
// rows x MB x rows keeps its R*MB 8-lane accumulators in registers for the whole K
// loop; each 8-element weight vector is unpacked and dequantized (q * s + b) once per
// block and FMA'd against the MB x rows (x is M*K floats, L1/L2 resident). Every
// output (n, m) is accumulated over the vectors in K order and reduced with hsum8, so
// the result does not depend on R, MB, the m-blocking or the thread count.

// Quantized values of vector i (0..3) of a 32-element chunk, in the chunk's x order.
template <int BITS>
AVX2 __m256 qvec(const uint8_t* p, int i) {
  if constexpr (BITS == 4) {
    const __m256i e =
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8 * (i & 1))));
    return _mm256_cvtepi32_ps(i < 2 ? _mm256_and_si256(e, _mm256_set1_epi32(0x0F))
                                    : _mm256_srli_epi32(e, 4));
  } else {
    return u8x8_to_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + 8 * i)));
  }
}

template <int BITS, int GS, int R, int MB>
AVX2 void smallm_block(const Args& a, const float* xp, int64_t n, int64_t m0) {
  const int64_t K = a.K, G = K / GS, rb = K * BITS / 8;
  constexpr int CB = 32 * BITS / 8;
  const uint8_t* wr = reinterpret_cast<const uint8_t*>(a.w) + n * rb;
  const float* xb = xp + m0 * K;
  __m256 acc[R][MB];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int j = 0; j < MB; ++j) acc[r][j] = _mm256_setzero_ps();
  for (int64_t g = 0; g < G; ++g) {
    const float* sg = a.scales + n * G + g;
    const float* bg = a.biases + n * G + g;
    for (int c = 0; c < GS / 32; ++c) {
      const int64_t k0 = g * GS + c * 32;
      const uint8_t* wc = wr + (k0 / 32) * CB;
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        __m256 w[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r)  // scale/bias re-broadcast from L1: saves 2R registers
          w[r] = _mm256_fmadd_ps(qvec<BITS>(wc + r * rb, i), _mm256_broadcast_ss(sg + r * G),
                                 _mm256_broadcast_ss(bg + r * G));
#pragma GCC unroll 8
        for (int j = 0; j < MB; ++j) {
          const __m256 xv = _mm256_loadu_ps(xb + j * K + k0 + 8 * i);
#pragma GCC unroll 8
          for (int r = 0; r < R; ++r) acc[r][j] = _mm256_fmadd_ps(w[r], xv, acc[r][j]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int j = 0; j < MB; ++j) a.y[(m0 + j) * a.N + n + r] = hsum8(acc[r][j]);
}

// Rows [n0, n1) for x rows [m0, m0 + MB): R rows at a time, single-row tail.
template <int BITS, int GS, int R, int MB>
AVX2 void smallm_rows(const Args& a, const float* xp, int64_t n0, int64_t n1, int64_t m0) {
  int64_t n = n0;
  for (; n + R <= n1; n += R) smallm_block<BITS, GS, R, MB>(a, xp, n, m0);
  for (; n < n1; ++n) smallm_block<BITS, GS, 1, MB>(a, xp, n, m0);
}

template <int BITS, int GS>
__attribute__((target("avx2,fma,f16c"))) void smallm_avx2(const Args& a, const float* xp,
                                                     int64_t n0, int64_t n1) {
  // m-blocks of <= 8 rows; R * MB <= 8 accumulators (16 ymm registers: acc, R weight
  // vectors, one x vector, broadcasts).
  for (int64_t m0 = 0; m0 < a.M;) {
    const int64_t left = a.M - m0;
    const int mb = int(left <= 8 ? left : (left <= 12 ? left - 4 : 8));
    switch (mb) {
      case 1: smallm_rows<BITS, GS, 4, 1>(a, xp, n0, n1, m0); break;
      case 2: smallm_rows<BITS, GS, 3, 2>(a, xp, n0, n1, m0); break;
      case 3: smallm_rows<BITS, GS, 2, 3>(a, xp, n0, n1, m0); break;
      case 4: smallm_rows<BITS, GS, 2, 4>(a, xp, n0, n1, m0); break;
      case 5: smallm_rows<BITS, GS, 1, 5>(a, xp, n0, n1, m0); break;
      case 6: smallm_rows<BITS, GS, 1, 6>(a, xp, n0, n1, m0); break;
      case 7: smallm_rows<BITS, GS, 1, 7>(a, xp, n0, n1, m0); break;
      default: smallm_rows<BITS, GS, 1, 8>(a, xp, n0, n1, m0); break;
    }
    m0 += mb;
  }
}

// Dequantizes rows [n0, n0 + nr) into wd (row stride K, chunk order as for x).
template <int BITS, int GS>
AVX2 void dequant_rows(const Args& a, int64_t n0, int64_t nr, float* wd) {
  const int64_t K = a.K, G = K / GS, rb = K * BITS / 8;
  constexpr int CB = 32 * BITS / 8;
  for (int64_t r = 0; r < nr; ++r) {
    const uint8_t* wr = reinterpret_cast<const uint8_t*>(a.w) + (n0 + r) * rb;
    for (int64_t g = 0; g < G; ++g) {
      const __m256 s = _mm256_set1_ps(a.scales[(n0 + r) * G + g]);
      const __m256 b = _mm256_set1_ps(a.biases[(n0 + r) * G + g]);
      for (int c = 0; c < GS / 32; ++c) {
        __m256 q[4];
        load_chunk<BITS>(wr + (g * GS / 32 + c) * CB, q);
        float* o = wd + r * K + g * GS + c * 32;
#pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) _mm256_storeu_ps(o + 8 * i, _mm256_fmadd_ps(q[i], s, b));
      }
    }
  }
}

// MR x NR register block: y[i, j] = dot(x_i, w_j) over K (8 lanes, then hsum8), so
// every output element is summed in the same order whatever the block shape.
template <int MR, int NR>
AVX2 void micro(const float* x, const float* w, int64_t K, float* y, int64_t ldy) {
  __m256 acc[MR][NR];
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; k += 8) {
    __m256 wv[NR];
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) wv[j] = _mm256_loadu_ps(w + j * K + k);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
      const __m256 xv = _mm256_loadu_ps(x + i * K + k);
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) y[i * ldy + j] = hsum8(acc[i][j]);
}

template <int MR>
AVX2 void micro_nr(int nr, const float* x, const float* w, int64_t K, float* y, int64_t ldy) {
  if (nr == 3) micro<MR, 3>(x, w, K, y, ldy);
  else if (nr == 2) micro<MR, 2>(x, w, K, y, ldy);
  else micro<MR, 1>(x, w, K, y, ldy);
}

constexpr int kMR = 4, kNR = 3;

// M > 1: dequantize a tile of weight rows once, then a small GEMM over all x rows.
template <int BITS, int GS>
__attribute__((target("avx2,fma,f16c"))) void gemm_tile_avx2(const Args& a, const float* xp,
                                                        int64_t n0, int64_t nr, float* wd) {
  dequant_rows<BITS, GS>(a, n0, nr, wd);
  const int64_t K = a.K, M = a.M;
  for (int64_t m = 0; m < M; m += kMR) {
    const int mr = int(std::min<int64_t>(kMR, M - m));
    for (int64_t r = 0; r < nr; r += kNR) {
      const int nn = int(std::min<int64_t>(kNR, nr - r));
      const float* x = xp + m * K;
      const float* w = wd + r * K;
      float* y = a.y + m * a.N + n0 + r;
      switch (mr) {
        case 4: micro_nr<4>(nn, x, w, K, y, a.N); break;
        case 3: micro_nr<3>(nn, x, w, K, y, a.N); break;
        case 2: micro_nr<2>(nn, x, w, K, y, a.N); break;
        default: micro_nr<1>(nn, x, w, K, y, a.N); break;
      }
    }
  }
}

using GemvFn = void (*)(const Args&, const float*, const float*, int64_t, int64_t);
using TileFn = void (*)(const Args&, const float*, int64_t, int64_t, float*);

template <int BITS, int GS>
void run_avx2(const Args& a, Pool& p, int nthreads) {
  const int64_t M = a.M, N = a.N, K = a.K;
  // x in kernel order (permuted within 32-element chunks for 4-bit).
  std::vector<float> xbuf;
  const float* xp = a.x;
  if (BITS == 4) {
    xbuf.resize(size_t(M * K));
    for (int64_t m = 0; m < M; ++m)
      for (int64_t c = 0; c < K; c += 32)
        for (int i = 0; i < 32; ++i) xbuf[m * K + c + i] = a.x[m * K + c + perm4(i)];
    xp = xbuf.data();
  }
  std::atomic<int64_t> next{0};
  if (M == 1) {
    const int64_t G = K / GS;
    std::vector<float> xsum(static_cast<size_t>(G));
    for (int64_t g = 0; g < G; ++g) {
      float s = 0.f;
      for (int i = 0; i < GS; ++i) s += a.x[g * GS + i];
      xsum[g] = s;
    }
    const int64_t chunk = row_piece(N, nthreads);
    const bool h16 = a.scales16 && a.biases16;
    auto work = [&](int) {
      for (int64_t n0; (n0 = next.fetch_add(chunk, std::memory_order_relaxed)) < N;) {
        if (h16) gemv_avx2<BITS, GS, true>(a, xp, xsum.data(), n0, std::min(N, n0 + chunk));
        else gemv_avx2<BITS, GS>(a, xp, xsum.data(), n0, std::min(N, n0 + chunk));
      }
    };
    if (nthreads > 1) p.run(work); else work(0);
    return;
  }
  if (M <= small_m_max()) {
    const int64_t chunk = row_piece(N, nthreads);
    auto work = [&](int) {
      for (int64_t n0; (n0 = next.fetch_add(chunk, std::memory_order_relaxed)) < N;)
        smallm_avx2<BITS, GS>(a, xp, n0, std::min(N, n0 + chunk));
    };
    if (nthreads > 1) p.run(work); else work(0);
    return;
  }
  // Tile height: multiple of kNR, dequantized tile <= ~48 KB so it stays close by.
  const int64_t nb = std::max<int64_t>(kNR, (48 * 1024 / (K * 4)) / kNR * kNR);
  auto work = [&](int) {
    thread_local std::vector<float> wd;
    if (wd.size() < size_t(nb * K)) wd.resize(size_t(nb * K));
    for (int64_t n0; (n0 = next.fetch_add(nb, std::memory_order_relaxed)) < N;)
      gemm_tile_avx2<BITS, GS>(a, xp, n0, std::min(nb, N - n0), wd.data());
  };
  if (nthreads > 1) p.run(work); else work(0);
}
#endif  // POCKET_QMM_X86

}  // namespace

bool cpu_has_avx2_fma() {
#ifdef POCKET_QMM_X86
  static const bool ok = [] {
    if (const char* e = std::getenv("POCKET_QMM_SCALAR"); e && *e == '1') return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
  }();
  return ok;
#else
  return false;
#endif
}

int num_threads() {
  static const int n = [] {
    if (const char* e = std::getenv("POCKET_NUM_THREADS"); e && std::atoi(e) > 0)
      return std::atoi(e);
    return int(std::max(1u, std::thread::hardware_concurrency()));
  }();
  return n;
}

void parallel(const std::function<void(int)>& fn) { pool().run(fn); }

int64_t row_piece(int64_t N, int nthreads) {
  static const int64_t pieces = [] {
    const char* e = std::getenv("POCKET_QMM_PIECES");
    return e && std::atoll(e) > 0 ? std::atoll(e) : 2ll;
  }();
  const int64_t parts = pieces * std::max(1, nthreads);
  return std::max<int64_t>(16, ((N + parts - 1) / parts + 15) / 16 * 16);
}

int small_m_max() {
  int v = g_small_m_max.load(std::memory_order_relaxed);
  if (v >= 0) return v;
  v = kSmallMDefault;
  if (const char* e = std::getenv("POCKET_QMM_SMALL_M"); e && *e) v = std::atoi(e);
  v = std::clamp(v, 1, kSmallMMax);
  g_small_m_max.store(v, std::memory_order_relaxed);
  return v;
}

void set_small_m_max(int m) {
  g_small_m_max.store(m < 0 ? -1 : std::clamp(m, 1, kSmallMMax), std::memory_order_relaxed);
}

void run(const Args& a) {
  Pool& p = pool();
  // Tiny problems are not worth waking the workers.
  const int nthreads = (a.M * a.N * a.K < (1 << 16)) ? 1 : p.size();
  if (a.q8 && q8_supported(a)) return run_q8(a, nthreads);
#ifdef POCKET_QMM_X86
  if (cpu_has_avx2_fma()) {
    if (a.bits == 4 && a.gs == 32) return run_avx2<4, 32>(a, p, nthreads);
    if (a.bits == 4 && a.gs == 64) return run_avx2<4, 64>(a, p, nthreads);
    if (a.bits == 8 && a.gs == 32) return run_avx2<8, 32>(a, p, nthreads);
    if (a.bits == 8 && a.gs == 64) return run_avx2<8, 64>(a, p, nthreads);
  }
#endif
  std::atomic<int64_t> next{0};
  auto work = [&](int) {
    for (int64_t n0; (n0 = next.fetch_add(16, std::memory_order_relaxed)) < a.N;)
      scalar_cols(a, n0, std::min<int64_t>(a.N, n0 + 16));
  };
  if (nthreads > 1) p.run(work); else work(0);
}

}  // namespace pocket::qmm
