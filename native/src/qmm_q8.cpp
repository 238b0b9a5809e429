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
#include "qmm_q8_row.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POCKET_Q8_X86 1
#endif

namespace pocket::qmm {
namespace {

thread_local bool t_q8_decode = false;
thread_local bool t_q8_head = false;

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


// Quantizes activation row m of x.
void quantize_row(const Args& a, int64_t m, QRow& r) {
  const int64_t K = a.K, C = K / 32, G = K / a.gs;
  const float* xm = a.x + m * K;
  r.q.resize(size_t(K));
  r.d.resize(size_t(C));
  r.xsum.assign(size_t((G + 7) / 8 * 8), 0.f);
  for (int64_t c = 0; c < C; ++c) {
    const float* x = xm + c * 32;
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
    for (int i = 0; i < a.gs; ++i) s += xm[g * a.gs + i];
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

// The definition every path must reproduce bit for bit: output (m, n) from
// activation row m (quantized as r) and weight row n. It does not depend on
// how many activation rows the product has.
void reference_row(const Args& a, const QRow& r, int64_t m, int64_t n) {
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
  a.y[m * a.N + n] = hsum8_ref(t);
}

#ifdef POCKET_Q8_X86
#define Q8_AVX2 __attribute__((target("avx2,fma,f16c"), always_inline)) inline

Q8_AVX2 float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Weight chunk at wc, ready for dot(): 4-bit: the 32 nibbles (low nibbles,
// then high ones: kernel order); 8-bit: q - 128 as signed bytes.
template <int BITS>
Q8_AVX2 __m256i load_weights(const uint8_t* wc) {
  if constexpr (BITS == 4) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(wc));
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
  } else {
    return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(wc)), _mm256_set1_epi8(char(0x80)));
  }
}

// 8 int32 lanes of a chunk: lane j = sum of kernel positions 4j..4j+3 of
// w * xq (8-bit: |w| and sign(xq, w) keep each int16 pair sum in range).
template <int BITS>
Q8_AVX2 __m256i dot(__m256i w, __m256i aw, __m256i xq) {
  const __m256i ones = _mm256_set1_epi16(1);
  if constexpr (BITS == 4) return _mm256_madd_epi16(_mm256_maddubs_epi16(w, xq), ones);
  else return _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(xq, w)), ones);
}

// How far ahead of the chunk being read the weight stream prefetches (bytes).
static const int kAhead = [] {
  const char* e = std::getenv("POCKET_Q8_AHEAD");
  return e ? std::atoi(e) : 1024;
}();

// The per-chunk float factors s[n, group of c] * xd_m[c] of chunks c0 .. c0 + 7
// for MB activation rows (the same products the scalar path forms one by one).
template <int MB, bool H16>
Q8_AVX2 void chunk_factors(const Args& a, const QRow* rows, int64_t n, int64_t c0, int64_t C, int64_t G,
                           int gshift, float (*sx)[8]) {
  if (gshift == 0 && c0 + 8 <= C) {
    const int64_t at = n * G + c0;
    const __m256 s = H16 ? _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.scales16 + at)))
                         : _mm256_loadu_ps(a.scales + at);
#pragma GCC unroll 4
    for (int m = 0; m < MB; ++m) _mm256_store_ps(sx[m], _mm256_mul_ps(s, _mm256_loadu_ps(rows[m].d.data() + c0)));
    return;
  }
  for (int64_t k = 0; k < 8 && c0 + k < C; ++k) {
    const int64_t at = n * G + ((c0 + k) >> gshift);
    const float s = H16 ? _cvtsh_ss(a.scales16[at]) : a.scales[at];
    for (int m = 0; m < MB; ++m) sx[m][k] = s * rows[m].d[size_t(c0 + k)];
  }
}

// Chunk c of weight row w against MB activation rows, into acc (one of the
// two chunk-parity accumulators of each row).
template <int BITS, int MB, bool Z128>
Q8_AVX2 void chunk_rows(const QRow* rows, const uint8_t* w, int64_t c, const float (*sx)[8], __m256* acc) {
  const __m256i wv = load_weights<BITS>(w + c * (32 * BITS / 8));
  const __m256i aw = BITS == 8 ? _mm256_sign_epi8(wv, wv) : wv;
#pragma GCC unroll 4
  for (int m = 0; m < MB; ++m) {
    const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[m].q.data() + c * 32));
    __m256i pi = dot<BITS>(wv, aw, xq);
    if (BITS == 8 && !Z128)  // back from q - 128 to q (exact integers)
      pi = _mm256_add_epi32(pi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[m].q128.data() + c * 8)));
    acc[m] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(pi), _mm256_broadcast_ss(&sx[m][c & 7]), acc[m]);
  }
}

// Outputs (m0 .. m0 + MB - 1, n): weight row n is read once for all MB rows.
template <int BITS, int MB, bool H16, bool Z128>
Q8_AVX2 void row_avx2(const Args& a, const QRow* rows, int64_t m0, int64_t n, int gshift) {
  const int64_t C = a.K / 32, G = a.K / a.gs;
  const uint8_t* w = reinterpret_cast<const uint8_t*>(a.w) + n * (a.K * BITS / 8);
  // Even and odd chunks in separate accumulators (the canonical order), kept
  // in registers: the chunk loop is unrolled by two instead of indexing c & 1.
  __m256 even[MB], odd[MB];
  alignas(32) float sx[MB][8];
#pragma GCC unroll 4
  for (int m = 0; m < MB; ++m) even[m] = odd[m] = _mm256_setzero_ps();
  for (int64_t c0 = 0; c0 < C; c0 += 8) {
    chunk_factors<MB, H16>(a, rows, n, c0, C, G, gshift, sx);
    const int64_t c1 = std::min(C, c0 + 8);
    int64_t c = c0;
    for (; c + 2 <= c1; c += 2) {
      _mm_prefetch(reinterpret_cast<const char*>(w + c * 4 * BITS) + kAhead, _MM_HINT_T0);
      chunk_rows<BITS, MB, Z128>(rows, w, c, sx, even);
      chunk_rows<BITS, MB, Z128>(rows, w, c + 1, sx, odd);
    }
    if (c < c1) chunk_rows<BITS, MB, Z128>(rows, w, c, sx, even);  // C odd: its last chunk is even
  }
  const int64_t br = n * G;
#pragma GCC unroll 4
  for (int m = 0; m < MB; ++m) {
    __m256 bacc = _mm256_setzero_ps();
    for (int64_t g = 0; g < (Z128 ? 0 : G); g += 8) {
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
      bacc = _mm256_fmadd_ps(b, _mm256_loadu_ps(rows[m].xsum.data() + g), bacc);
    }
    a.y[(m0 + m) * a.N + n] = hsum8(_mm256_add_ps(_mm256_add_ps(even[m], odd[m]), bacc));
  }
}

// Weight rows [n0, n1) against every activation row, up to 4 at a time.
template <int BITS, bool H16, bool Z128>
__attribute__((target("avx2,fma,f16c"))) void cols_avx2(const Args& a, const QRow* rows, int64_t n0, int64_t n1) {
  const int gshift = __builtin_ctz(unsigned(a.gs / 32));
  for (int64_t n = n0; n < n1; ++n) {
    int64_t m = 0;
    for (; m + 4 <= a.M; m += 4) row_avx2<BITS, 4, H16, Z128>(a, rows + m, m, n, gshift);
    switch (a.M - m) {
      case 3: row_avx2<BITS, 3, H16, Z128>(a, rows + m, m, n, gshift); break;
      case 2: row_avx2<BITS, 2, H16, Z128>(a, rows + m, m, n, gshift); break;
      case 1: row_avx2<BITS, 1, H16, Z128>(a, rows + m, m, n, gshift); break;
      default: break;
    }
  }
}
#endif  // POCKET_Q8_X86

void cols_scalar(const Args& a, const QRow* rows, int64_t n0, int64_t n1) {
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t m = 0; m < a.M; ++m) reference_row(a, rows[m], m, n);
}

bool cpu_avx2() {
#ifdef POCKET_Q8_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

Isa best_isa() {
  if (cpu_avx2()) return Isa::avx2;
  if (cpu_neon_dotprod()) return Isa::neon;
  return Isa::scalar;
}

Isa resolve_isa() {
  const char* e = std::getenv("POCKET_CPU_ISA");
  const std::string want = e ? e : "";
  if (want == "scalar") return Isa::scalar;
  if (!want.empty() && want != "auto" && want != "avx2" && want != "avx512" && want != "neon")
    throw std::invalid_argument("[pocket_qmm] POCKET_CPU_ISA must be scalar, avx2, avx512, neon or auto, not " + want);
  // A wider path than the CPU has runs the best one it does have (the
  // results are the same by construction); tests check active_isa().
  return best_isa();
}

// POCKET_QMM_ACT: unset (8-bit activations in decode steps, as the model's
// decodeActivations says), f32 (never), q8-all (every one-row product, prefill
// chunks of one row included: how bench/decodeQuality.ts scores the decode
// arithmetic with evaluate()), q8-head (every LM head product of up to
// kQ8MaxRows rows: the same for the default, int8-head).
const std::string& act_mode() {
  static const std::string mode = [] {
    const char* e = std::getenv("POCKET_QMM_ACT");
    std::string m = e ? e : "";
    if (!m.empty() && m != "f32" && m != "q8" && m != "q8-all" && m != "q8-head")
      throw std::invalid_argument("[pocket_qmm] POCKET_QMM_ACT must be f32, q8, q8-all or q8-head, not " + m);
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
    case Isa::neon: return "neon";
    default: return "scalar";
  }
}

bool q8_decode() { return t_q8_decode || act_mode() == "q8-all"; }

bool q8_head() { return t_q8_head || q8_decode() || act_mode() == "q8-head"; }

Q8DecodeScope::Q8DecodeScope(bool all, bool head) : prev_(t_q8_decode), prev_head_(t_q8_head) {
  t_q8_decode = all && q8_enabled();
  t_q8_head = head && q8_enabled();
}
Q8DecodeScope::~Q8DecodeScope() {
  t_q8_decode = prev_;
  t_q8_head = prev_head_;
}

bool q8_supported(const Args& a) {
  return a.M >= 1 && a.M <= kQ8MaxRows && (a.bits == 4 || a.bits == 8) && a.K % 32 == 0 && a.K % a.gs == 0 && a.gs % 32 == 0 &&
         (a.gs & (a.gs - 1)) == 0;
}

void run_q8(const Args& a, int nthreads) {
  thread_local std::vector<QRow> scratch;
  if (scratch.size() < size_t(a.M)) scratch.resize(size_t(a.M));
  const QRow* rows = scratch.data();  // the workers read the caller's rows, not their own
  for (int64_t m = 0; m < a.M; ++m) quantize_row(a, m, scratch[size_t(m)]);
  const Isa isa = active_isa();
  std::atomic<int64_t> next{0};
  const int64_t chunk = row_piece(a.N, nthreads);
  auto work = [&](int) {
    for (int64_t n0; (n0 = next.fetch_add(chunk, std::memory_order_relaxed)) < a.N;) {
      const int64_t n1 = std::min(a.N, n0 + chunk);
#ifdef POCKET_Q8_X86
      if (isa == Isa::avx2) {
        dispatch_layout(a, [&]<int BITS, bool H16, bool Z128>() { cols_avx2<BITS, H16, Z128>(a, rows, n0, n1); });
        continue;
      }
#endif
      if (isa == Isa::neon) {
        cols_neon(a, rows, n0, n1);
        continue;
      }
      cols_scalar(a, rows, n0, n1);
    }
  };
  if (nthreads > 1) parallel(work);
  else work(0);
}

}  // namespace pocket::qmm
