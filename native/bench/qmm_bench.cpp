// Correctness + speed check for pocket_qmm against mx::quantized_matmul.
//
// Build (from the repo root):
//   MLX=~/.cache/pocketcloudmlx/mlx/0.32.4/mlx
//   g++ -std=c++20 -O3 -I$MLX/include -Inative/src native/bench/qmm_bench.cpp
//       native/src/qmm.cpp native/src/qmm_kernels.cpp -L$MLX/lib -lmlx
//       -Wl,-rpath,$MLX/lib -lpthread -o /tmp/qmm_bench
// Run:  /tmp/qmm_bench [--quick]        (POCKET_NUM_THREADS=1|2 to pin threads,
//                                         POCKET_QMM_SCALAR=1 forces the scalar path,
//                                         POCKET_QMM_SMALL_M=n small-M cut-over,
//                                         QMM_BENCH_NO_MLX=1 skips the mlx timings)
// Prints per shape/M: max |ours - ref| / max |ref|, ms for both, and an output hash
// (compare hashes across POCKET_NUM_THREADS values to check thread-independence).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "qmm.h"

namespace mx = mlx::core;
using pocket::pocket_qmm;

// Best-of-N wall time of building + evaluating the op (the machine is shared, so the
// minimum is the most stable number).
static double time_ms(const std::function<mx::array()>& f, double budget_ms = 300) {
  mx::eval(f());  // warm-up
  int reps = 0;
  double best = 1e30, total = 0;
  do {
    auto t0 = std::chrono::steady_clock::now();
    mx::eval(f());
    double el =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, el);
    total += el;
    ++reps;
  } while (total < budget_ms && reps < 2000);
  return best;
}

static uint64_t hash(const mx::array& a) {
  const float* p = a.data<float>();
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < a.size(); ++i) {
    uint32_t u;
    std::memcpy(&u, p + i, 4);
    h = (h ^ u) * 1099511628211ull;
  }
  return h;
}

static double rel_err(const mx::array& ours, const mx::array& ref) {
  auto d = mx::max(mx::abs(mx::subtract(ours, ref)));
  auto s = mx::max(mx::abs(ref));
  mx::eval(d, s);
  return d.item<float>() / std::max(s.item<float>(), 1e-30f);
}

struct Q {
  mx::array w, s, b;
};
static Q make_q(int N, int K, int gs, int bits) {
  auto wf = mx::random::normal({N, K}, mx::float32);
  auto q = mx::quantize(wf, gs, bits);
  mx::eval(q);
  return {q[0], q[1], q[2]};
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  mx::random::seed(1234);
  std::printf("threads=%d avx2+fma=%d\n", pocket::qmm::num_threads(),
              int(pocket::qmm::cpu_has_avx2_fma()));
  bool ok = true;
  auto check = [&](const char* what, double err) {
    bool pass = err < 1e-4;
    ok = ok && pass;
    std::printf("  %-44s rel err %.2e %s\n", what, err, pass ? "ok" : "FAIL");
  };

  // ---- correctness of the less common configurations and graph integration
  std::printf("correctness:\n");
  for (int bits : {4, 8})
    for (int gs : {32, 64})
      for (int M : {1, 2, 3, 5, 8, 16, 33}) {
        auto q = make_q(150, 448, gs, bits);
        auto x = mx::random::normal({M, 448});
        auto ref = mx::quantized_matmul(x, q.w, q.s, q.b, true, gs, bits);
        auto y = pocket_qmm(x, q.w, q.s, q.b, gs, bits);
        char buf[96];
        std::snprintf(buf, sizeof buf, "bits=%d gs=%d N=150 K=448 M=%d", bits, gs, M);
        check(buf, rel_err(y, ref));
      }
  {
    auto q = make_q(576, 576, 32, 4);
    // batched 3-D x, non-contiguous x, lazy chain evaluated asynchronously in one graph
    auto x3 = mx::random::normal({2, 5, 576});
    check("3-D x [2,5,576]", rel_err(pocket_qmm(x3, q.w, q.s, q.b, 32, 4),
                                      mx::quantized_matmul(x3, q.w, q.s, q.b, true, 32, 4)));
    auto xt = mx::transpose(mx::random::normal({576, 9}));
    check("non-contiguous x (transposed)",
          rel_err(pocket_qmm(xt, q.w, q.s, q.b, 32, 4),
                  mx::quantized_matmul(xt, q.w, q.s, q.b, true, 32, 4)));
    auto ws = mx::slice(make_q(1152, 576, 32, 4).w, {0, 0}, {1152, 72}, {2, 1});
    auto ss = mx::slice(make_q(1152, 576, 32, 4).s, {0, 0}, {1152, 18}, {2, 1});
    check("non-contiguous w/scales (strided rows)",
          rel_err(pocket_qmm(xt, ws, ss, q.b, 32, 4),
                  mx::quantized_matmul(xt, ws, ss, q.b, true, 32, 4)));
    auto x = mx::random::normal({4, 576});
    auto h = x, r = x;
    for (int i = 0; i < 6; ++i) {
      h = mx::multiply(pocket_qmm(mx::sin(h), q.w, q.s, q.b, 32, 4), mx::array(0.05f));
      r = mx::multiply(mx::quantized_matmul(mx::sin(r), q.w, q.s, q.b, true, 32, 4),
                       mx::array(0.05f));
    }
    mx::async_eval({h});
    check("6 chained lazy layers (async_eval)", rel_err(h, r));
    auto y1 = pocket_qmm(x, q.w, q.s, q.b, 32, 4), y2 = pocket_qmm(x, q.w, q.s, q.b, 32, 4);
    mx::eval(y1, y2);
    bool same = hash(y1) == hash(y2);
    ok = ok && same;
    std::printf("  %-44s %s\n", "repeat is bit-identical", same ? "ok" : "FAIL");
    auto q128 = make_q(64, 512, 128, 4);
    auto x512 = mx::random::normal({3, 512});
    auto fb = pocket_qmm(x512, q128.w, q128.s, q128.b, 128, 4);  // fallback path
    check("gs=128 falls back to mx::quantized_matmul",
          rel_err(fb, mx::quantized_matmul(x512, q128.w, q128.s, q128.b, true, 128, 4)));
  }

  // ---- small-M (continuous-batching decode) correctness on the model shapes
  const int shapes[][2] = {{576, 576}, {1536, 576}, {576, 1536}, {49152, 576}};
  std::printf("\nsmall-M kernel vs mx::quantized_matmul (Q4 gs=32):\n");
  for (auto& sh : shapes) {
    int N = sh[0], K = sh[1];
    auto q = make_q(N, K, 32, 4);
    for (int M : {2, 3, 4, 7, 8, 12, 16}) {
      auto x = mx::random::normal({M, K});
      char buf[96];
      std::snprintf(buf, sizeof buf, "%dx%d M=%d", N, K, M);
      check(buf, rel_err(pocket_qmm(x, q.w, q.s, q.b, 32, 4),
                         mx::quantized_matmul(x, q.w, q.s, q.b, true, 32, 4)));
    }
  }

  // ---- speed: small-M kernel ("new") vs the dequantized-tile GEMM ("tile", the
  // path M > 1 took before) vs M x the M = 1 GEMV time (the ideal ratio)
  const bool skip_mlx = std::getenv("QMM_BENCH_NO_MLX") != nullptr;
  std::printf("\n%-12s %4s %10s %10s %10s %10s %8s %10s %18s\n", "shape NxK", "M", "new ms",
              "tile ms", "M*gemv ms", "mlx ms", "tile/new", "rel err", "hash");
  for (auto& sh : shapes) {
    int N = sh[0], K = sh[1];
    auto q = make_q(N, K, 32, 4);
    double t1 = 0;
    for (int M : {1, 2, 4, 8, 12, 16, 32, 128}) {
      if (quick && M > 16) continue;
      auto x = mx::random::normal({M, K});
      mx::eval(x);
      auto y = pocket_qmm(x, q.w, q.s, q.b, 32, 4);
      auto ref = mx::quantized_matmul(x, q.w, q.s, q.b, true, 32, 4);
      mx::eval(y, ref);
      double err = rel_err(y, ref);
      ok = ok && err < 1e-4;
      auto ours = [&] { return pocket_qmm(x, q.w, q.s, q.b, 32, 4); };
      double t_new = time_ms(ours);
      double t_tile = t_new;
      if (M > 1 && M <= pocket::qmm::kSmallMMax) {
        pocket::qmm::set_small_m_max(1);  // force the tile GEMM
        auto yt = ours();
        mx::eval(yt);
        double e2 = rel_err(yt, ref);
        ok = ok && e2 < 1e-4;
        t_tile = time_ms(ours);
        pocket::qmm::set_small_m_max(-1);
      }
      if (M == 1) t1 = t_new;
      double t_ref = -1;
      if (!skip_mlx) {
        double budget = (N == 49152 && M >= 32) ? 1 : 300;  // mlx: a single rep is seconds
        t_ref = time_ms([&] { return mx::quantized_matmul(x, q.w, q.s, q.b, true, 32, 4); },
                        budget);
      }
      std::printf("%5dx%-6d %4d %10.4f %10.4f %10.4f %10.3f %7.2fx %10.2e %018llx\n", N, K, M,
                  t_new, t_tile, t1 * M, t_ref, t_tile / t_new, err,
                  (unsigned long long)hash(y));
    }
  }
  std::printf("\n%s\n", ok ? "ALL OK" : "SOME CHECKS FAILED");
  return ok ? 0 : 1;
}
