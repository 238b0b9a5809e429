// NEON `sdot` path of the integer-dot one-row kernels (ARMv8.2 dot product:
// Apple M-series and A13+, recent Cortex-A / Neoverse). It reproduces the
// canonical order of qmm_q8.cpp (reference_row) bit for bit:
//   - vdotq_s32 sums bytes 4j..4j+3 of two 16-byte vectors into lane j: with
//     the chunk's 32 kernel positions as two vectors, lane j of the pair is
//     positions 4j..4j+3, exactly the integer lanes of the AVX2 path;
//   - the float parts are the same fused multiply-adds, in the same order,
//     on lanes 0-3 and 4-7 held in two float32x4 registers;
//   - the final reduction is the same tree: (t[j] + t[j+4]), then
//     (u0 + u2) + (u1 + u3).
// test/model/engine/cpuIsaNeon.test.ts cross-compiles it and compares it
// with the scalar path under qemu-aarch64.
#include "qmm_q8_row.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#if defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif
#endif

#include <algorithm>
#include <cstring>

namespace pocket::qmm {

#if defined(__aarch64__)
namespace {

#define Q8_NEON __attribute__((target("arch=armv8.2-a+dotprod"), always_inline)) inline

struct Acc {
  float32x4_t lo, hi;  // lanes 0-3, 4-7
};

// Integer lanes of chunk c of weight row w against activation row r.
template <int BITS, bool Z128>
Q8_NEON void chunk_lanes(const uint8_t* w, const QRow& r, int64_t c, int32x4_t& lo, int32x4_t& hi) {
  const int8x16_t x0 = vld1q_s8(r.q.data() + c * 32), x1 = vld1q_s8(r.q.data() + c * 32 + 16);
  const int32x4_t z = vdupq_n_s32(0);
  if constexpr (BITS == 4) {
    // Kernel order: the 16 low nibbles, then the 16 high ones (values 0..15).
    const uint8x16_t raw = vld1q_u8(w + c * 16);
    lo = vdotq_s32(z, vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0x0F))), x0);
    hi = vdotq_s32(z, vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), x1);
  } else {
    // q - 128 as signed bytes; without the Q8_0 zero point, 128 * sum(xq) of
    // each lane is added back (exact integers).
    const uint8x16_t flip = vdupq_n_u8(0x80);
    const int8x16_t w0 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(w + c * 32), flip));
    const int8x16_t w1 = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(w + c * 32 + 16), flip));
    lo = vdotq_s32(z, w0, x0);
    hi = vdotq_s32(z, w1, x1);
    if constexpr (!Z128) {
      lo = vaddq_s32(lo, vld1q_s32(r.q128.data() + c * 8));
      hi = vaddq_s32(hi, vld1q_s32(r.q128.data() + c * 8 + 4));
    }
  }
}

inline float half_bits_to_float(uint16_t h) {
  __fp16 v;
  std::memcpy(&v, &h, 2);
  return float(v);  // exact
}

template <bool H16>
inline float scale_at(const Args& a, int64_t i) {
  return H16 ? half_bits_to_float(a.scales16[i]) : a.scales[i];
}

template <bool H16>
inline float bias_at(const Args& a, int64_t i) {
  return H16 ? half_bits_to_float(a.biases16[i]) : a.biases[i];
}

// Output (m, n).
template <int BITS, bool H16, bool Z128>
Q8_NEON void row_neon(const Args& a, const QRow& r, int64_t m, int64_t n, int gshift) {
  const int64_t C = a.K / 32, G = a.K / a.gs;
  const uint8_t* w = reinterpret_cast<const uint8_t*>(a.w) + n * (a.K * BITS / 8);
  Acc acc[2] = {{vdupq_n_f32(0.f), vdupq_n_f32(0.f)}, {vdupq_n_f32(0.f), vdupq_n_f32(0.f)}};
  for (int64_t c = 0; c < C; ++c) {
    int32x4_t lo, hi;
    chunk_lanes<BITS, Z128>(w, r, c, lo, hi);
    const float32x4_t f = vdupq_n_f32(scale_at<H16>(a, n * G + (c >> gshift)) * r.d[size_t(c)]);
    Acc& t = acc[c & 1];
    t.lo = vfmaq_f32(t.lo, vcvtq_f32_s32(lo), f);
    t.hi = vfmaq_f32(t.hi, vcvtq_f32_s32(hi), f);
  }
  float32x4_t blo = vdupq_n_f32(0.f), bhi = vdupq_n_f32(0.f);
  if (!Z128) {
    for (int64_t g = 0; g < G; g += 8) {
      // xsum is zero-padded to a multiple of 8; the biases past the row read 0.
      float b[8] = {};
      for (int k = 0; k < 8 && g + k < G; ++k) b[k] = bias_at<H16>(a, n * G + g + k);
      blo = vfmaq_f32(blo, vld1q_f32(b), vld1q_f32(r.xsum.data() + g));
      bhi = vfmaq_f32(bhi, vld1q_f32(b + 4), vld1q_f32(r.xsum.data() + g + 4));
    }
  }
  const float32x4_t tlo = vaddq_f32(vaddq_f32(acc[0].lo, acc[1].lo), blo);
  const float32x4_t thi = vaddq_f32(vaddq_f32(acc[0].hi, acc[1].hi), bhi);
  const float32x4_t u = vaddq_f32(tlo, thi);                        // t[j] + t[j + 4]
  const float32x2_t v = vadd_f32(vget_low_f32(u), vget_high_f32(u));  // u0 + u2, u1 + u3
  a.y[m * a.N + n] = vget_lane_f32(v, 0) + vget_lane_f32(v, 1);
}

template <int BITS, bool H16, bool Z128>
__attribute__((target("arch=armv8.2-a+dotprod"))) void cols(const Args& a, const QRow* rows, int64_t n0, int64_t n1) {
  const int gshift = __builtin_ctz(unsigned(a.gs / 32));
  for (int64_t n = n0; n < n1; ++n)
    for (int64_t m = 0; m < a.M; ++m) row_neon<BITS, H16, Z128>(a, rows[m], m, n, gshift);
}

}  // namespace

void cols_neon(const Args& a, const QRow* rows, int64_t n0, int64_t n1) {
  dispatch_layout(a, [&]<int BITS, bool H16, bool Z128>() { cols<BITS, H16, Z128>(a, rows, n0, n1); });
}

bool cpu_neon_dotprod() {
#if defined(__APPLE__)
  return true;  // every Apple arm64 CPU that runs macOS 11+ has it
#elif defined(__linux__) && defined(HWCAP_ASIMDDP)
  return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
  return false;
#endif
}

#else  // not aarch64

void cols_neon(const Args&, const QRow*, int64_t, int64_t) {}
bool cpu_neon_dotprod() { return false; }

#endif

}  // namespace pocket::qmm
