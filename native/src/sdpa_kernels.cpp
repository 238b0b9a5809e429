// Kernels for pocket_sdpa (see sdpa.h). AVX2/FMA code lives in functions with
// __attribute__((target("avx2,fma"))) and is only called after the runtime CPU check
// in qmm::cpu_has_avx2_fma(), so the addon itself is built for the baseline ISA.
//
// Task = (batch b, kv head kh, query rows [i0, i1)). Its R = G * (i1 - i0) rows are
// the query rows of all G = Hq / Hkv query heads reading kv head kh, ordered (i, g) so
// rows with the same causal limit are adjacent. Keys are walked in fixed blocks of
// kNk (absolute positions 0, kNk, 2 kNk, ...): each block of K is packed transposed
// ([D][kNk]) once and shared by all R rows, then for groups of up to kMR rows:
//   S = (q * scale * log2 e) K^T      (register-blocked, vectorized over 16 keys)
//   online softmax in the exp2 domain (running max m, running sum l)
//   O = O * exp2(m_old - m_new) + P V  (register-blocked, vectorized over D)
// and finally o = O / l. Every output element is summed in a fixed order that only
// depends on (Lk, causal limit), never on the thread count.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POCKET_SDPA_X86 1
#endif

#include "qmm.h"
#include "sdpa.h"

namespace pocket::sdpa {
namespace {

constexpr int kNk = 64;  // keys per block (multiple of 16)
constexpr int kMR = 6;   // query rows per register block
constexpr int kRowsPerTask = 48;
constexpr float kLog2e = 1.4426950408889634f;

struct Task {
  int64_t b, kh, i0, i1;
};

inline int64_t causal_limit(const Args& a, int64_t i) {
  // Number of keys query row i may read.
  return a.causal ? std::min<int64_t>(a.Lk, i + (a.Lk - a.Lq) + 1) : a.Lk;
}

// ---------------------------------------------------------------- scalar path
// Whole-row softmax with std::exp; used when AVX2/FMA is unavailable.
void scalar_task(const Args& a, const Task& t) {
  const int64_t G = a.Hq / a.Hkv, D = a.D;
  thread_local std::vector<float> s, acc;
  s.resize(size_t(a.Lk));
  acc.resize(size_t(D));
  const float* kb = a.k + t.b * a.ks[0] + t.kh * a.ks[1];
  const float* vb = a.v + t.b * a.vs[0] + t.kh * a.vs[1];
  for (int64_t i = t.i0; i < t.i1; ++i)
    for (int64_t g = 0; g < G; ++g) {
      const int64_t h = t.kh * G + g, lim = causal_limit(a, i);
      const float* q = a.q + t.b * a.qs[0] + h * a.qs[1] + i * a.qs[2];
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < lim; ++j) {
        const float* kr = kb + j * a.ks[2];
        float d = 0.f;
        for (int64_t c = 0; c < D; ++c) d += (q[c * a.qs[3]] * a.scale) * kr[c * a.ks[3]];
        s[j] = d;
        m = std::max(m, d);
      }
      float l = 0.f;
      std::fill(acc.begin(), acc.end(), 0.f);
      for (int64_t j = 0; j < lim; ++j) {
        const float p = std::exp(s[j] - m);
        l += p;
        const float* vr = vb + j * a.vs[2];
        for (int64_t c = 0; c < D; ++c) acc[c] += p * vr[c * a.vs[3]];
      }
      float* o = a.o + ((t.b * a.Hq + h) * a.Lq + i) * D;
      for (int64_t c = 0; c < D; ++c) o[c] = acc[c] / l;
    }
}

#ifdef POCKET_SDPA_X86
// ---------------------------------------------------------------- AVX2 path
#define AVX2 __attribute__((target("avx2,fma"), always_inline)) inline

AVX2 float hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

AVX2 float hmax8(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 2^x for x <= 0. x = n + f, f in [-1/2, 1/2]; 2^f = e^(f ln2) by its degree-7 Taylor
// polynomial (truncation < 6e-9 relative), 2^n through the exponent bits. Inputs below
// -126 (including -inf) give exactly 0 (the true value is < 1.2e-38).
AVX2 __m256 exp2_neg(__m256 x) {
  constexpr double L = 0.6931471805599453;
  const __m256 lo = _mm256_set1_ps(-126.f);
  const __m256 keep = _mm256_cmp_ps(x, lo, _CMP_GE_OQ);
  x = _mm256_max_ps(x, lo);
  const __m256 n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 f = _mm256_sub_ps(x, n);
  __m256 p = _mm256_set1_ps(float(L * L * L * L * L * L * L / 5040.0));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(float(L * L * L * L * L * L / 720.0)));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(float(L * L * L * L * L / 120.0)));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(float(L * L * L * L / 24.0)));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(float(L * L * L / 6.0)));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(float(L * L / 2.0)));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(float(L)));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.f));
  const __m256i e = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), keep);
}

// In-register 8x8 transpose.
AVX2 void transpose8(__m256 r[8]) {
  __m256 t[8], s[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    s[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
  }
}

// Kt[d * kNk + c] = k[j0 + c, d] for c < nk; columns [nk, ncp) zeroed.
AVX2 void pack_kt(const Args& a, const float* kbase, int64_t j0, int nk, int ncp, float* Kt) {
  const int64_t D = a.D, s2 = a.ks[2], s3 = a.ks[3];
  int c = 0;
  if (s3 == 1 && D % 8 == 0) {
    for (; c + 8 <= nk; c += 8)
      for (int64_t d = 0; d < D; d += 8) {
        __m256 r[8];
        for (int u = 0; u < 8; ++u) r[u] = _mm256_loadu_ps(kbase + (j0 + c + u) * s2 + d);
        transpose8(r);
        for (int u = 0; u < 8; ++u) _mm256_storeu_ps(Kt + (d + u) * kNk + c, r[u]);
      }
  }
  for (; c < nk; ++c) {
    const float* kr = kbase + (j0 + c) * s2;
    for (int64_t d = 0; d < D; ++d) Kt[d * kNk + c] = kr[d * s3];
  }
  for (int64_t d = 0; d < D; ++d)
    for (int cc = nk; cc < ncp; ++cc) Kt[d * kNk + cc] = 0.f;
}

// P[r][c0 .. c0+16) for r < MR, c0 < ncp: dot over D of Qp rows and Kt columns, summed
// sequentially over d.
template <int MR>
AVX2 void qk_block(const float* Qp, int64_t D, const float* Kt, int ncp, float* P) {
  for (int c0 = 0; c0 < ncp; c0 += 16) {
    __m256 acc[MR][2];
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    const float* kt = Kt + c0;
    for (int64_t d = 0; d < D; ++d) {
      const __m256 k0 = _mm256_loadu_ps(kt + d * kNk), k1 = _mm256_loadu_ps(kt + d * kNk + 8);
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r) {
        const __m256 qb = _mm256_broadcast_ss(Qp + r * D + d);
        acc[r][0] = _mm256_fmadd_ps(qb, k0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(qb, k1, acc[r][1]);
      }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      _mm256_storeu_ps(P + r * kNk + c0, acc[r][0]);
      _mm256_storeu_ps(P + r * kNk + c0 + 8, acc[r][1]);
    }
  }
}

// O[r] = O[r] * corr[r] + sum_{j < nk} P[r][j] * V[j]   (V rows: stride ldv, Dp floats)
template <int MR>
AVX2 void pv_block(const float* P, const float* corr, const float* V, int64_t ldv, int nk,
                   int64_t Dp, float* O) {
  int64_t d0 = 0;
  for (; d0 + 16 <= Dp; d0 += 16) {
    __m256 acc[MR][2];
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      const __m256 cr = _mm256_set1_ps(corr[r]);
      acc[r][0] = _mm256_mul_ps(_mm256_loadu_ps(O + r * Dp + d0), cr);
      acc[r][1] = _mm256_mul_ps(_mm256_loadu_ps(O + r * Dp + d0 + 8), cr);
    }
    for (int j = 0; j < nk; ++j) {
      const __m256 v0 = _mm256_loadu_ps(V + j * ldv + d0), v1 = _mm256_loadu_ps(V + j * ldv + d0 + 8);
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r) {
        const __m256 pb = _mm256_broadcast_ss(P + r * kNk + j);
        acc[r][0] = _mm256_fmadd_ps(pb, v0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(pb, v1, acc[r][1]);
      }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) {
      _mm256_storeu_ps(O + r * Dp + d0, acc[r][0]);
      _mm256_storeu_ps(O + r * Dp + d0 + 8, acc[r][1]);
    }
  }
  if (d0 < Dp) {  // one trailing 8-wide chunk
    __m256 acc[MR];
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r)
      acc[r] = _mm256_mul_ps(_mm256_loadu_ps(O + r * Dp + d0), _mm256_set1_ps(corr[r]));
    for (int j = 0; j < nk; ++j) {
      const __m256 v0 = _mm256_loadu_ps(V + j * ldv + d0);
#pragma GCC unroll 6
      for (int r = 0; r < MR; ++r)
        acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(P + r * kNk + j), v0, acc[r]);
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; ++r) _mm256_storeu_ps(O + r * Dp + d0, acc[r]);
  }
}

template <int MR>
__attribute__((target("avx2,fma"))) void group_mr(const float* Qp, int64_t D, const float* Kt,
                                                  int ncp, float* P, const float* V, int64_t ldv,
                                                  int nk, int64_t Dp, float* O, float* m,
                                                  float* l, const int64_t* lim, int64_t j0) {
  qk_block<MR>(Qp, D, Kt, ncp, P);
  float corr[MR];
  const __m256 ninf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  for (int r = 0; r < MR; ++r) {
    float* s = P + r * kNk;
    const int valid = int(std::clamp<int64_t>(lim[r] - j0, 0, nk));
    if (valid == 0) {  // row already past its causal limit: contributes nothing
      corr[r] = 1.f;
      for (int c = 0; c < ncp; c += 8) _mm256_storeu_ps(s + c, _mm256_setzero_ps());
      continue;
    }
    for (int c = valid; c < ncp; ++c) s[c] = -std::numeric_limits<float>::infinity();
    __m256 mv = ninf;
    for (int c = 0; c < ncp; c += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(s + c));
    const float mnew = std::max(m[r], hmax8(mv));
    corr[r] = std::exp2(m[r] - mnew);  // 0 on the first block (m = -inf)
    m[r] = mnew;
    const __m256 mb = _mm256_set1_ps(mnew);
    __m256 sum = _mm256_setzero_ps();
    for (int c = 0; c < ncp; c += 8) {
      const __m256 p = exp2_neg(_mm256_sub_ps(_mm256_loadu_ps(s + c), mb));
      _mm256_storeu_ps(s + c, p);
      sum = _mm256_add_ps(sum, p);
    }
    l[r] = l[r] * corr[r] + hsum8(sum);
  }
  pv_block<MR>(P, corr, V, ldv, nk, Dp, O);
}

using GroupFn = void (*)(const float*, int64_t, const float*, int, float*, const float*, int64_t,
                         int, int64_t, float*, float*, float*, const int64_t*, int64_t);
constexpr GroupFn kGroup[kMR + 1] = {nullptr,       group_mr<1>, group_mr<2>, group_mr<3>,
                                     group_mr<4>, group_mr<5>, group_mr<6>};

__attribute__((target("avx2,fma"))) void avx2_task(const Args& a, const Task& t) {
  const int64_t G = a.Hq / a.Hkv, D = a.D, Dp = (D + 7) / 8 * 8;
  const int64_t R = G * (t.i1 - t.i0);
  thread_local std::vector<float> Qp, Kt, Vp, P, O, m, l;
  thread_local std::vector<int64_t> lim;
  Qp.resize(size_t(R * D));
  Kt.resize(size_t(D * kNk));
  P.resize(size_t(kMR * kNk));
  O.assign(size_t(R * Dp), 0.f);
  m.assign(size_t(R), -std::numeric_limits<float>::infinity());
  l.assign(size_t(R), 0.f);
  lim.resize(size_t(R));

  // Pack q rows (scaled into the log2 domain), row r = (i - i0) * G + g.
  const float qscale = a.scale * kLog2e;
  for (int64_t i = t.i0; i < t.i1; ++i)
    for (int64_t g = 0; g < G; ++g) {
      const int64_t r = (i - t.i0) * G + g;
      const float* q = a.q + t.b * a.qs[0] + (t.kh * G + g) * a.qs[1] + i * a.qs[2];
      float* dst = Qp.data() + r * D;
      if (a.qs[3] == 1)
        for (int64_t c = 0; c < D; ++c) dst[c] = q[c] * qscale;
      else
        for (int64_t c = 0; c < D; ++c) dst[c] = q[c * a.qs[3]] * qscale;
      lim[r] = causal_limit(a, i);
    }

  const float* kbase = a.k + t.b * a.ks[0] + t.kh * a.ks[1];
  const float* vbase = a.v + t.b * a.vs[0] + t.kh * a.vs[1];
  // V rows are read in place when they are unit-stride and D is a multiple of 8.
  const bool v_direct = a.vs[3] == 1 && Dp == D;
  if (!v_direct) Vp.assign(size_t(kNk * Dp), 0.f);
  const int64_t maxlim = lim[R - 1];
  for (int64_t j0 = 0; j0 < maxlim; j0 += kNk) {
    const int nk = int(std::min<int64_t>(kNk, maxlim - j0));
    const int ncp = (nk + 15) / 16 * 16;
    pack_kt(a, kbase, j0, nk, ncp, Kt.data());
    const float* V;
    int64_t ldv;
    if (v_direct) {
      V = vbase + j0 * a.vs[2];
      ldv = a.vs[2];
    } else {
      for (int j = 0; j < nk; ++j) {
        const float* vr = vbase + (j0 + j) * a.vs[2];
        for (int64_t c = 0; c < D; ++c) Vp[j * Dp + c] = vr[c * a.vs[3]];
      }
      V = Vp.data();
      ldv = Dp;
    }
    for (int64_t r0 = 0; r0 < R; r0 += kMR) {
      const int mr = int(std::min<int64_t>(kMR, R - r0));
      const int64_t glim = lim[r0 + mr - 1];  // rows are sorted by limit
      if (glim <= j0) continue;
      const int gnk = int(std::min<int64_t>(nk, glim - j0));
      const int gncp = (gnk + 15) / 16 * 16;
      kGroup[mr](Qp.data() + r0 * D, D, Kt.data(), gncp, P.data(), V, ldv, gnk, Dp,
                 O.data() + r0 * Dp, m.data() + r0, l.data() + r0, lim.data() + r0, j0);
    }
  }

  for (int64_t i = t.i0; i < t.i1; ++i)
    for (int64_t g = 0; g < G; ++g) {
      const int64_t r = (i - t.i0) * G + g;
      float* o = a.o + ((t.b * a.Hq + t.kh * G + g) * a.Lq + i) * D;
      const float* src = O.data() + r * Dp;
      const float inv = l[r];
      for (int64_t c = 0; c < D; ++c) o[c] = src[c] / inv;
    }
}
#endif  // POCKET_SDPA_X86

}  // namespace

void run(const Args& a) { run_many(&a, 1); }

void run_many(const Args* calls, size_t n) {
  // Every call's tasks, numbered one after the other (buffers kept per
  // thread: this runs for every attention of every step). The workers read
  // them through these references: a thread_local named in the lambda would
  // be each worker's own.
  thread_local std::vector<int64_t> t_first, t_nqb, t_qb;
  auto &first = t_first, &nqb = t_nqb, &qb = t_qb;
  first.assign(n + 1, 0);
  nqb.resize(n);
  qb.resize(n);
  double flops = 0;
  for (size_t c = 0; c < n; ++c) {
    const Args& a = calls[c];
    qb[c] = std::max<int64_t>(1, kRowsPerTask / (a.Hq / a.Hkv));  // query rows per task
    nqb[c] = (a.Lq + qb[c] - 1) / qb[c];
    first[c + 1] = first[c] + nqb[c] * a.B * a.Hkv;
    flops += double(a.B) * a.Hq * a.Lq * a.Lk * a.D * (a.causal ? 0.5 : 1.0);
  }
  const int64_t ntasks = first[n];
  // Within a call, later query blocks have more keys under a causal mask: hand them out first.
  auto task = [&](size_t c, int64_t t) {
    const Args& a = calls[c];
    const int64_t nbh = a.B * a.Hkv, blk = nqb[c] - 1 - t / nbh, bh = t % nbh;
    return Task{bh / a.Hkv, bh % a.Hkv, blk * qb[c], std::min(a.Lq, (blk + 1) * qb[c])};
  };
#ifdef POCKET_SDPA_X86
  const bool simd = qmm::cpu_has_avx2_fma();
#else
  const bool simd = false;
#endif
  std::atomic<int64_t> next{0};
  auto work = [&](int) {
    size_t c = 0;
    for (int64_t t; (t = next.fetch_add(1, std::memory_order_relaxed)) < ntasks;) {
      while (t >= first[c + 1]) ++c;  // tasks are claimed in increasing order
      const Task tk = task(c, t - first[c]);
#ifdef POCKET_SDPA_X86
      if (simd) {
        avx2_task(calls[c], tk);
        continue;
      }
#endif
      scalar_task(calls[c], tk);
    }
  };
  if (ntasks > 1 && flops >= double(1 << 17) && qmm::num_threads() > 1)
    qmm::parallel(work);
  else
    work(0);
  (void)simd;
}

}  // namespace pocket::sdpa
