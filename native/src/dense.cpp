#include "dense.h"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <atomic>
#include <vector>

#include <mlx/backend/cpu/encoder.h>
#include <mlx/primitives.h>

#include "backend.h"
#include "qmm.h"

namespace pocket {
namespace {

struct Gemm {
  const float* a;  // [batch, M, K]
  const float* b;  // [batch or 1, N, K]
  float* c;        // [batch, M, N]
  int64_t batch, M, N, K;
  bool shared_b;
};

float dot_scalar(const float* x, const float* y, int64_t k) {
  float s = 0;
  for (int64_t i = 0; i < k; ++i) s += x[i] * y[i];
  return s;
}

__attribute__((target("avx2,fma"))) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// C[m0:m1, n0:n1] for one batch; 4 rows of A x 3 rows of B per step.
__attribute__((target("avx2,fma"))) void block_avx2(const Gemm& g, const float* A, const float* B, float* C,
                                                    int64_t n0, int64_t n1) {
  const int64_t K = g.K, K8 = K & ~int64_t(7), N = g.N;
  for (int64_t n = n0; n < n1; n += 3) {
    const int nb = int(std::min<int64_t>(3, n1 - n));
    const float* b0 = B + n * K;
    const float* b1 = nb > 1 ? b0 + K : b0;
    const float* b2 = nb > 2 ? b0 + 2 * K : b0;
    for (int64_t m = 0; m < g.M; m += 4) {
      const int mb = int(std::min<int64_t>(4, g.M - m));
      const float* ar[4];
      for (int i = 0; i < 4; ++i) ar[i] = A + (m + std::min(i, mb - 1)) * K;
      __m256 acc[4][3];
      for (auto& r : acc)
        for (auto& x : r) x = _mm256_setzero_ps();
      for (int64_t k = 0; k < K8; k += 8) {
        __m256 v0 = _mm256_loadu_ps(b0 + k), v1 = _mm256_loadu_ps(b1 + k), v2 = _mm256_loadu_ps(b2 + k);
        for (int i = 0; i < 4; ++i) {
          __m256 x = _mm256_loadu_ps(ar[i] + k);
          acc[i][0] = _mm256_fmadd_ps(x, v0, acc[i][0]);
          acc[i][1] = _mm256_fmadd_ps(x, v1, acc[i][1]);
          acc[i][2] = _mm256_fmadd_ps(x, v2, acc[i][2]);
        }
      }
      const float* bs[3] = {b0, b1, b2};
      for (int i = 0; i < mb; ++i)
        for (int j = 0; j < nb; ++j)
          C[(m + i) * N + n + j] = hsum(acc[i][j]) + dot_scalar(ar[i] + K8, bs[j] + K8, K - K8);
    }
  }
}

void block_scalar(const Gemm& g, const float* A, const float* B, float* C, int64_t n0, int64_t n1) {
  for (int64_t m = 0; m < g.M; ++m)
    for (int64_t n = n0; n < n1; ++n) C[m * g.N + n] = dot_scalar(A + m * g.K, B + n * g.K, g.K);
}

bool has_avx2() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

// Work items are (batch, 48-column block) pairs, claimed through an atomic
// counter by the caller and the shared qmm worker pool.
// Products below this many multiply-adds run on the calling thread: 5e4
// (measured: MiniLM at batch 1 has 12 x 384 x 384 products, 1.8M; with them
// threaded it embeds 116 sentences/s, 84-112 without) (env
// POCKET_DENSE_PAR_MIN to experiment).
static const double kParallelMin = [] {
  const char* e = std::getenv("POCKET_DENSE_PAR_MIN");
  return e ? std::atof(e) : 5e4;
}();

void run_gemm(const Gemm& g) {
  constexpr int64_t kCols = 48;
  const int64_t col_blocks = (g.N + kCols - 1) / kCols, items = g.batch * col_blocks;
  auto item = [&](int64_t i) {
    int64_t bi = i / col_blocks, n0 = (i % col_blocks) * kCols, n1 = std::min(g.N, n0 + kCols);
    const float* A = g.a + bi * g.M * g.K;
    const float* B = g.shared_b ? g.b : g.b + bi * g.N * g.K;
    float* C = g.c + bi * g.M * g.N;
    has_avx2() ? block_avx2(g, A, B, C, n0, n1) : block_scalar(g, A, B, C, n0, n1);
  };
  if (double(g.batch) * g.M * g.N * g.K < kParallelMin || items == 1) {
    for (int64_t i = 0; i < items; ++i) item(i);
    return;
  }
  std::atomic<int64_t> next{0};
  qmm::parallel([&](int) {
    for (int64_t i = next.fetch_add(1); i < items; i = next.fetch_add(1)) item(i);
  });
}

class MatmulNT : public mx::UnaryPrimitive {
 public:
  explicit MatmulNT(mx::Stream s) : mx::UnaryPrimitive(s) {}
  void eval_cpu(const std::vector<mx::array>& in, mx::array& out) override {
    out.set_data(mx::allocator::malloc(out.nbytes()));
    auto& enc = mx::cpu::get_command_encoder(stream());
    enc.set_input_array(in[0]);
    enc.set_input_array(in[1]);
    enc.set_output_array(out);
    const auto& a = in[0];
    const auto& b = in[1];
    Gemm g{a.data<float>(), b.data<float>(), out.data<float>(), 0, a.shape(-2), b.shape(-2), a.shape(-1),
           b.ndim() == 2};
    g.batch = g.M * g.K ? int64_t(a.size()) / (g.M * g.K) : 0;
    if (g.shared_b) g.M *= g.batch, g.batch = 1;  // one tall matmul blocks better
    if (out.size() == 0) return;
    enc.dispatch([g] { run_gemm(g); });
  }
  void eval_gpu(const std::vector<mx::array>&, mx::array&) override {
    throw std::runtime_error("MatmulNT has no GPU implementation");
  }
  const char* name() const override { return "PocketMatmulNT"; }
  bool is_equivalent(const mx::Primitive& other) const override {
    return dynamic_cast<const MatmulNT*>(&other) != nullptr;
  }
  std::vector<mx::Shape> output_shapes(const std::vector<mx::array>& in) override {
    mx::Shape sh = in[0].shape();
    sh.back() = in[1].shape(-2);
    return {sh};
  }
};

} // namespace

mx::array pocket_matmul_nt(const mx::array& a, const mx::array& b) {
  auto stream = mx::to_stream({});
  bool batch_ok = b.ndim() == 2 ||
                  (a.ndim() == b.ndim() && std::equal(a.shape().begin(), a.shape().end() - 2, b.shape().begin()));
  if (!custom_kernels(stream) || a.dtype() != mx::float32 ||
      b.dtype() != mx::float32 || a.ndim() < 2 || b.ndim() < 2 || a.shape(-1) != b.shape(-1) || !batch_ok)
    return mx::matmul(a, mx::swapaxes(b, -1, -2));
  auto ac = mx::contiguous(a), bc = mx::contiguous(b);
  mx::Shape sh = a.shape();
  sh.back() = b.shape(-2);
  return mx::array(sh, mx::float32, std::make_shared<MatmulNT>(stream), {ac, bc});
}

mx::array dense(const Linear& l, const mx::array& x) {
  if (l.bits) return l(x);
  auto y = pocket_matmul_nt(x, *l.weight);
  return l.bias ? mx::add(y, *l.bias) : y;
}

mx::array encoder_attention(const mx::array& q, const mx::array& k, const mx::array& v, float scale,
                            const std::optional<mx::array>& bias) {
  auto scores = mx::multiply(pocket_matmul_nt(q, k), mx::array(scale));
  if (bias) scores = mx::add(scores, *bias);
  auto p = mx::softmax(scores, -1, true);
  // p [.., Lq, Lk] @ v [.., Lk, D] = matmul_nt(p, v^T).
  return pocket_matmul_nt(p, mx::swapaxes(v, -1, -2));
}

} // namespace pocket
