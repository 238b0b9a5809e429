// Integer-dot one-row (decode) kernels for pocket_qmm: the activation row is
// quantized to 8 bits per 32-element block (as llama.cpp's Q8 activations)
// and each 32-weight chunk is reduced with integer dot products (AVX2
// maddubs/madd, AVX-VNNI / AVX-512-VNNI vpdpbusd where built and present,
// NEON sdot on ARM). The integer parts are exact, and the float parts run in
// one fixed order on every instruction set (see `reference_row`), so every
// path gives bit-identical outputs. POCKET_CPU_ISA=scalar|avx2|avx512 forces
// a path (the best one available is the default).
//
// Canonical result for output row n (off = 128 for 8-bit weights whose
// biases are exactly -128 * scales, i.e. Q8_0 (zero128), else 0):
//   p[c][j]  = sum_{t<4} (q[n, e] - off) * xq[e], e = element 4j+t of chunk c
//              in kernel order (8-bit: identity; 4-bit: even elements, then odd)
//   acc[c&1][j] = fma(float(p[c][j]), s[n, c*32/gs] * xd[c], acc[c&1][j])
//   bacc[g%8]   = fma(b[n, g], xsum[g], bacc[g%8])   (none when zero128)
//   y[n] = hsum8((acc[0] + acc[1]) + bacc)   (pairs j, j+4; then 0+2, 1+3)
// with xq, xd the 8-bit row and its block scales, xsum the exact group sums.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "qmm.h"
#include "qmm_q8.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POCKET_Q8_X86 1
#endif
#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>
#define POCKET_Q8_NEON 1
#endif

namespace pocket::qmm {
namespace {

thread_local bool t_q8_decode = false;

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  uint32_t bits;
  if (e == 0) {
    if (m == 0) {
      bits = sign;
    } else {  // subnormal: exact as a float
      float f = std::ldexp(float(m), -24);
      std::memcpy(&bits, &f, 4);
      bits |= sign;
    }
  } else if (e == 31) {
    bits = sign | 0x7f800000u | (m << 13);
  } else {
    bits = sign | ((e + 112) << 23) | (m << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float scale_of(const Args& a, int64_t i) { return a.scales16 ? half_to_float(a.scales16[i]) : a.scales[i]; }
inline float bias_of(const Args& a, int64_t i) { return a.biases16 ? half_to_float(a.biases16[i]) : a.biases[i]; }

// Kernel-order position p of a 32-element chunk -> element index.
inline int order4(int p) { return p < 16 ? 2 * p : 2 * (p - 16) + 1; }

// The quantized activation row, shared by every path (plain scalar code: the
// same values whatever the instruction set).
struct QRow {
  std::vector<int8_t> q;     // K, kernel order within each 32-chunk
  std::vector<float> d;      // K / 32 block scales
  std::vector<float> xsum;   // K / gs exact group sums, zero-padded to a multiple of 8
  std::vector<int32_t> q128; // 8-bit weights: 128 * (sum of xq over each lane's 4 values)
};

void quantize_row(const Args& a, QRow& r) {
  const int64_t K = a.K, C = K / 32, G = K / a.gs;
  r.q.resize(size_t(K));
  r.d.resize(size_t(C));
  r.xsum.assign(size_t((G + 7) / 8 * 8), 0.f);
  for (int64_t c = 0; c < C; ++c) {
    const float* x = a.x + c * 32;
    float amax = 0.f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.f, id = d != 0.f ? 1.f / d : 0.f;
    r.d[size_t(c)] = d;
    for (int p = 0; p < 32; ++p) {
      const int e = a.bits == 4 ? order4(p) : p;
      r.q[size_t(c * 32 + p)] = int8_t(std::nearbyint(x[e] * id));
    }
  }
  for (int64_t g = 0; g < G; ++g) {
    float s = 0.f;
    for (int i = 0; i < a.gs; ++i) s += a.x[g * a.gs + i];
    r.xsum[size_t(g)] = s;
  }
  // SIMD 8-bit dots are taken on q - 128 (int16 pair sums must not
  // saturate); adding these back gives the exact sum of q * xq.
  r.q128.resize(size_t(C * 8));
  for (int64_t i = 0; i < C * 8; ++i) {
    const int8_t* v = r.q.data() + i * 4;
    r.q128[size_t(i)] = 128 * (int(v[0]) + v[1] + v[2] + v[3]);
  }
}

inline bool zero_point_128(const Args& a) { return a.bits == 8 && a.zero128; }

// Quantized weight of chunk c, kernel position p, minus the offset.
inline int wq(const uint8_t* row, int bits, bool zero128, int64_t c, int p) {
  if (bits == 8) return int(row[c * 32 + p]) - (zero128 ? 128 : 0);
  const uint8_t b = row[c * 16 + (p & 15)];
  return p < 16 ? (b & 15) : (b >> 4);
}

inline float hsum8_ref(const float t[8]) {
  const float u0 = t[0] + t[4], u1 = t[1] + t[5], u2 = t[2] + t[6], u3 = t[3] + t[7];
  return (u0 + u2) + (u1 + u3);
}

void bias_lanes(const Args& a, const QRow& r, int64_t n, float bacc[8]) {
  const int64_t G = a.K / a.gs;
  for (int j = 0; j < 8; ++j) bacc[j] = 0.f;
  if (zero_point_128(a)) return;  // b == -128 s: folded into the integer dots
  for (int64_t g = 0; g < G; ++g)
    bacc[g % 8] = std::fma(bias_of(a, n * G + g), r.xsum[size_t(g)], bacc[g % 8]);
}

// The definition every path must reproduce bit for bit.
void reference_row(const Args& a, const QRow& r, int64_t n) {
  const int64_t C = a.K / 32, G = a.K / a.gs;
  const uint8_t* row = reinterpret_cast<const uint8_t*>(a.w) + n * (a.K * a.bits / 8);
  float acc[2][8] = {};
  for (int64_t c = 0; c < C; ++c) {
    const float dc = scale_of(a, n * G + c * 32 / a.gs) * r.d[size_t(c)];
    for (int j = 0; j < 8; ++j) {
      int p = 0;
      for (int t = 0; t < 4; ++t) p += wq(row, a.bits, a.zero128, c, 4 * j + t) * r.q[size_t(c * 32 + 4 * j + t)];
      acc[c & 1][j] = std::fma(float(p), dc, acc[c & 1][j]);
    }
  }
  float bacc[8], t[8];
  bias_lanes(a, r, n, bacc);
  for (int j = 0; j < 8; ++j) t[j] = (acc[0][j] + acc[1][j]) + bacc[j];
  a.y[n] = hsum8_ref(t);
}

#ifdef POCKET_Q8_X86
#define Q8_AVX2 __attribute__((target("avx2,fma,f16c"), always_inline)) inline

Q8_AVX2 float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 8 int32 lanes of chunk c: lane j = sum of kernel positions 4j..4j+3.
template <int BITS>
Q8_AVX2 __m256i chunk_dot(const uint8_t* wc, __m256i xq) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (BITS == 4) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wc));
    const __m256i w = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, xq), ones);
  } else {
    // q - 128 in [-128, 127]: |a| * sign(x, a) keeps each pair sum within int16.
    const __m256i w = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wc)),
                                       _mm256_set1_epi8(char(0x80)));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xq, w)), ones);
  }
}

// Chunk c of R rows into acc (one of the two chunk-parity accumulators).
template <int BITS, int R, bool H16>
Q8_AVX2 void chunk_rows(const Args& a, const QRow& r, const uint8_t* w0, int64_t n, int64_t c, int64_t rb,
                        __m256* acc) {
  constexpr int CB = 32 * BITS / 8;
  const int64_t G = a.K / a.gs, gi = c * 32 / a.gs;
  const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.q.data() + c * 32));
  const float xd = r.d[size_t(c)];
#pragma GCC unroll 4
  for (int i = 0; i < R; ++i) {
    const float s = H16 ? _cvtsh_ss(a.scales16[(n + i) * G + gi]) : a.scales[(n + i) * G + gi];
    __m256i pi = chunk_dot<BITS>(w0 + i * rb + c * CB, xq);
    if (BITS == 8 && !a.zero128)  // back from q - 128 to q (exact integers)
      pi = _mm256_add_epi32(pi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r.q128.data() + c * 8)));
    const __m256 p = _mm256_cvtepi32_ps(pi);
    acc[i] = _mm256_fmadd_ps(p, _mm256_set1_ps(s * xd), acc[i]);
  }
}

static const int kAhead = [] {
  const char* e = std::getenv("POCKET_Q8_AHEAD");
  return e ? std::atoi(e) : 512;
}();

template <int BITS, int R, bool H16>
Q8_AVX2 void rows_avx2(const Args& a, const QRow& r, int64_t n) {
  const int64_t C = a.K / 32, G = a.K / a.gs, rb = a.K * BITS / 8;
  const uint8_t* w0 = reinterpret_cast<const uint8_t*>(a.w) + n * rb;
  // Even and odd chunks in separate accumulators (the canonical order), kept
  // in registers: the chunk loop is unrolled by two instead of indexing c & 1.
  __m256 even[R], odd[R];
#pragma GCC unroll 4
  for (int i = 0; i < R; ++i) even[i] = odd[i] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 2 <= C; c += 2) {
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) _mm_prefetch(reinterpret_cast<const char*>(w0 + i * rb + c * 4 * BITS) + kAhead, _MM_HINT_T0);
    chunk_rows<BITS, R, H16>(a, r, w0, n, c, rb, even);
    chunk_rows<BITS, R, H16>(a, r, w0, n, c + 1, rb, odd);
  }
  if (c < C) chunk_rows<BITS, R, H16>(a, r, w0, n, c, rb, even);
#pragma GCC unroll 4
  for (int i = 0; i < R; ++i) {
    const int64_t br = (n + i) * G;
    __m256 bacc = _mm256_setzero_ps();
    for (int64_t g = 0; g < (zero_point_128(a) ? 0 : G); g += 8) {
      // The last block of 8 may run past the row: masked lanes read 0 (xsum is zero-padded).
      const int left = int(std::min<int64_t>(8, G - g));
      __m256 b;
      if (left == 8) {
        if constexpr (H16) b = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.biases16 + br + g)));
        else b = _mm256_loadu_ps(a.biases + br + g);
      } else {
        alignas(32) float bv[8] = {};
        for (int k = 0; k < left; ++k) bv[k] = H16 ? _cvtsh_ss(a.biases16[br + g + k]) : a.biases[br + g + k];
        b = _mm256_load_ps(bv);
      }
      bacc = _mm256_fmadd_ps(b, _mm256_loadu_ps(r.xsum.data() + g), bacc);
    }
    a.y[n + i] = hsum8(_mm256_add_ps(_mm256_add_ps(even[i], odd[i]), bacc));
  }
}

template <int BITS, bool H16>
__attribute__((target("avx2,fma,f16c"))) void cols_avx2(const Args& a, const QRow& r, int64_t n0, int64_t n1) {
  int64_t n = n0;
  static const int rows = [] {
    const char* e = std::getenv("POCKET_Q8_R");
    return e ? std::atoi(e) : 4;
  }();
  if (rows == 2)
    for (; n + 2 <= n1; n += 2) rows_avx2<BITS, 2, H16>(a, r, n);
  else if (rows == 4)
    for (; n + 4 <= n1; n += 4) rows_avx2<BITS, 4, H16>(a, r, n);
  for (; n < n1; ++n) rows_avx2<BITS, 1, H16>(a, r, n);
}
#endif  // POCKET_Q8_X86

void cols_scalar(const Args& a, const QRow& r, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; ++n) reference_row(a, r, n);
}

bool cpu_avx2() {
#ifdef POCKET_Q8_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

Isa resolve_isa() {
  const char* e = std::getenv("POCKET_CPU_ISA");
  const std::string want = e ? e : "";
  if (want == "scalar") return Isa::scalar;
  if (want == "avx2" || want == "avx512") {
    // A wider path than the CPU has runs the best one it does have (the
    // results are the same by construction); tests check active_isa().
    return cpu_avx2() ? Isa::avx2 : Isa::scalar;
  }
  if (!want.empty() && want != "auto")
    throw std::invalid_argument("[pocket_qmm] POCKET_CPU_ISA must be scalar, avx2, avx512 or auto, not " + want);
  return cpu_avx2() ? Isa::avx2 : Isa::scalar;
}

// POCKET_QMM_ACT: unset (8-bit activations in decode steps), f32 (never),
// q8-all (every one-row product, prefill chunks of one row included: how
// bench/decodeQuality.ts scores the decode arithmetic with evaluate()).
const std::string& act_mode() {
  static const std::string mode = [] {
    const char* e = std::getenv("POCKET_QMM_ACT");
    std::string m = e ? e : "";
    if (!m.empty() && m != "f32" && m != "q8" && m != "q8-all")
      throw std::invalid_argument("[pocket_qmm] POCKET_QMM_ACT must be f32, q8 or q8-all, not " + m);
    return m;
  }();
  return mode;
}

bool q8_enabled() { return act_mode() != "f32"; }

}  // namespace

Isa active_isa() {
  static const Isa isa = resolve_isa();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx2: return "avx2";
    case Isa::avx512: return "avx512";
    default: return "scalar";
  }
}

bool q8_decode() { return t_q8_decode || act_mode() == "q8-all"; }

Q8DecodeScope::Q8DecodeScope(bool on) : prev_(t_q8_decode) { t_q8_decode = on && q8_enabled(); }
Q8DecodeScope::~Q8DecodeScope() { t_q8_decode = prev_; }

bool q8_supported(const Args& a) {
  return a.M == 1 && (a.bits == 4 || a.bits == 8) && a.K % 32 == 0 && a.K % a.gs == 0 && a.gs % 32 == 0;
}

void run_q8(const Args& a, int nthreads) {
  thread_local QRow scratch;
  QRow& row = scratch;  // the workers read the caller's row, not their own
  quantize_row(a, row);
  const Isa isa = active_isa();
  const bool h16 = a.scales16 && a.biases16;
  std::atomic<int64_t> next{0};
  const int64_t chunk = 16;
  auto work = [&](int) {
    for (int64_t n0; (n0 = next.fetch_add(chunk, std::memory_order_relaxed)) < a.N;) {
      const int64_t n1 = std::min(a.N, n0 + chunk);
#ifdef POCKET_Q8_X86
      if (isa == Isa::avx2) {
        if (a.bits == 4) h16 ? cols_avx2<4, true>(a, row, n0, n1) : cols_avx2<4, false>(a, row, n0, n1);
        else h16 ? cols_avx2<8, true>(a, row, n0, n1) : cols_avx2<8, false>(a, row, n0, n1);
        continue;
      }
#endif
      cols_scalar(a, row, n0, n1);
    }
  };
  if (nthreads > 1) parallel(work);
  else work(0);
}

}  // namespace pocket::qmm
