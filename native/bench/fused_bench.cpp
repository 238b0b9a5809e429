// Correctness + speed check for pocket_rms_norm / pocket_rope / pocket_swiglu against
// mx::fast::rms_norm, mx::fast::rope and x * sigmoid(x) * up.
//
// Build (from the repo root):
//   MLX=~/.cache/pocketcloudmlx/mlx/0.32.4/mlx
//   g++ -std=c++20 -O3 -I$MLX/include -Inative/src native/bench/fused_bench.cpp
//       native/src/fused.cpp native/src/fused_kernels.cpp native/src/qmm.cpp
//       native/src/qmm_kernels.cpp -L$MLX/lib -lmlx -Wl,-rpath,$MLX/lib -lpthread
//       -o /tmp/fused_bench
// Run:  /tmp/fused_bench [--quick]      (POCKET_NUM_THREADS=1|2 to pin threads,
//                                        POCKET_QMM_SCALAR=1 forces the scalar path)
// Inputs are laid out as in the model: rope inputs are transposes of [B, L, H, D]
// projections. Prints per case max |ours - ref| / max |ref|, best-of-N ms for both
// (one op per eval, as in the decoder's graph), and an output hash (compare hashes
// across POCKET_NUM_THREADS values to check thread-independence).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "fused.h"
#include "qmm.h"

namespace mx = mlx::core;
using pocket::pocket_rms_norm;
using pocket::pocket_rope;
using pocket::pocket_swiglu;

static double time_ms(const std::function<mx::array()>& f, double budget_ms = 250) {
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
  } while (total < budget_ms && reps < 3000);
  return best;
}

static uint64_t hash(const mx::array& a0) {
  auto a = mx::contiguous(a0);
  mx::eval(a);
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

// Llama 3 frequency scaling (periods), as the decoder builds them.
static mx::array llama3_freqs(int dims, float theta) {
  const float factor = 32.f, lo = 1.f, hi = 4.f, orig = 8192.f;
  std::vector<float> f(size_t(dims / 2));
  for (int i = 0; i < dims / 2; ++i) {
    float p = std::pow(theta, (2.0f * i) / dims);
    float wl = 2.0f * float(M_PI) * p;
    if (wl > orig / lo) {
      p *= factor;
    } else if (wl >= orig / hi) {
      float smooth = (orig / wl - lo) / (hi - lo);
      p = p / ((1 - smooth) / factor + smooth);
    }
    f[size_t(i)] = p;
  }
  return mx::array(f.data(), {dims / 2}, mx::float32);
}

// Double-precision rope reference (exact angles) for a contiguous copy of x.
static mx::array rope_exact(const mx::array& x0, int dims, bool trad, float base, float scale,
                            int offset, const std::vector<float>* periods) {
  auto x = mx::contiguous(x0);
  mx::eval(x);
  const int64_t D = x.shape(-1), L = x.shape(-2), rows = int64_t(x.size()) / D;
  std::vector<float> y(x.size());
  const float* p = x.data<float>();
  const int half = dims / 2;
  for (int64_t r = 0; r < rows; ++r) {
    const double pos = double(offset + r % L) * scale;
    for (int i = 0; i < half; ++i) {
      double inv = periods ? 1.0 / (*periods)[size_t(i)] : std::pow(double(base), -2.0 * i / dims);
      double c = std::cos(pos * inv), s = std::sin(pos * inv);
      int64_t a = trad ? 2 * i : i, b = trad ? 2 * i + 1 : half + i;
      double x1 = p[r * D + a], x2 = p[r * D + b];
      y[size_t(r * D + a)] = float(x1 * c - x2 * s);
      y[size_t(r * D + b)] = float(x2 * c + x1 * s);
    }
    for (int64_t c = dims; c < D; ++c) y[size_t(r * D + c)] = p[r * D + c];
  }
  return mx::array(y.data(), x.shape(), mx::float32);
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  mx::random::seed(1234);
  std::printf("threads=%d avx2+fma=%d\n", pocket::qmm::num_threads(),
              int(pocket::qmm::cpu_has_avx2_fma()));
  bool ok = true;
  const double tol = 1e-5;
  std::printf("\n%-44s %10s %10s %8s %10s %18s\n", "case", "ours ms", "mlx ms", "speedup",
              "rel err", "hash");
  auto row = [&](const std::string& what, const std::function<mx::array()>& ours,
                 const std::function<mx::array()>& ref, double extra_err = -1) {
    auto y = ours(), r = ref();
    mx::eval(y, r);
    double err = rel_err(y, r);
    bool pass = err < tol;
    ok = ok && pass;
    double to = quick ? 0 : time_ms(ours), tr = quick ? 0 : time_ms(ref);
    std::printf("%-44s %10.4f %10.4f %7.1fx %10.2e %018llx %s", what.c_str(), to, tr,
                to > 0 ? tr / to : 0.0, err, (unsigned long long)hash(y), pass ? "ok" : "FAIL");
    if (extra_err >= 0) std::printf("  (vs exact: %.1e)", extra_err);
    std::printf("\n");
  };

  // ---------------------------------------------------------------- rms_norm
  struct N {
    mx::Shape x;
    int wd;
    const char* what;
  };
  const N norms[] = {
      {{1, 1, 576}, 576, "decode"},           {{8, 1, 576}, 576, "batched decode"},
      {{1, 512, 576}, 576, "prefill 512"},    {{1, 1, 9, 64}, 64, "q-norm decode"},
      {{1, 512, 9, 64}, 64, "q-norm prefill"}, {{1, 7, 3, 100}, 100, "odd D=100"},
  };
  for (auto& n : norms) {
    auto x = mx::random::normal(n.x);
    auto w = mx::add(mx::random::normal({n.wd}), mx::array(1.f));
    mx::eval(x, w);
    std::string what = std::string("rms_norm ") + n.what + " [";
    for (size_t i = 0; i < n.x.size(); ++i) what += (i ? "," : "") + std::to_string(n.x[i]);
    what += "]";
    row(what, [&] { return pocket_rms_norm(x, w, 1e-5f); },
        [&] { return mx::fast::rms_norm(x, w, 1e-5f); });
  }
  {  // strided input (transposed view) and large magnitudes
    auto x = mx::transpose(mx::multiply(mx::random::normal({1, 9, 33, 64}), mx::array(300.f)),
                           {0, 2, 1, 3});
    auto w = mx::random::normal({64});
    mx::eval(x, w);
    row("rms_norm transposed view [1,33,9,64] x300", [&] { return pocket_rms_norm(x, w, 1e-6f); },
        [&] { return mx::fast::rms_norm(x, w, 1e-6f); });
  }

  // ---------------------------------------------------------------- rope
  auto l3 = llama3_freqs(64, 500000.f);
  mx::eval(l3);
  std::vector<float> l3v(l3.data<float>(), l3.data<float>() + 32);
  struct R {
    int H, L, D, dims;
  };
  const R ropes[] = {{9, 1, 64, 64}, {3, 1, 64, 64}, {9, 512, 64, 64}, {3, 512, 64, 64},
                     {4, 5, 96, 64}, {2, 3, 24, 24}, {2, 17, 40, 12}};
  for (auto& rc : ropes)
    for (int offset : {0, 1000})
      for (bool trad : {false, true})
        for (bool fr : {false, true}) {
          if (fr && rc.dims != 64) continue;
          if (quick && rc.L == 512 && fr) continue;
          auto x = mx::transpose(mx::random::normal({1, rc.L, rc.H, rc.D}), {0, 2, 1, 3});
          mx::eval(x);
          std::optional<float> base = fr ? std::nullopt : std::optional<float>(10000.f);
          std::optional<mx::array> freqs = fr ? std::optional<mx::array>(l3) : std::nullopt;
          char buf[128];
          std::snprintf(buf, sizeof buf, "rope [1,%d,%d,%d] dims=%d off=%d %s%s", rc.H, rc.L, rc.D,
                        rc.dims, offset, trad ? "trad" : "half", fr ? " llama3" : "");
          auto ours = [&] { return pocket_rope(x, rc.dims, trad, base, 1.0f, offset, freqs); };
          auto ex = rope_exact(x, rc.dims, trad, 10000.f, 1.0f, offset, fr ? &l3v : nullptr);
          double e_exact = rel_err(ours(), ex);
          row(buf, ours,
              [&] { return mx::fast::rope(x, rc.dims, trad, base, 1.0f, offset, freqs); },
              e_exact);
        }
  {  // linear scaling + a table that has to grow by a lot
    auto x = mx::random::normal({1, 2, 3, 64});
    mx::eval(x);
    for (int offset : {5, 40000})
      row("rope scale=0.25 off=" + std::to_string(offset),
          [&] { return pocket_rope(x, 64, false, 10000.f, 0.25f, offset, std::nullopt); },
          [&] { return mx::fast::rope(x, 64, false, 10000.f, 0.25f, offset, std::nullopt); });
  }

  // ---------------------------------------------------------------- swiglu
  const mx::Shape sw[] = {{1, 1, 1536}, {8, 1, 1536}, {1, 512, 1536}, {3, 1001}};
  for (auto& sh : sw) {
    auto g = mx::multiply(mx::random::normal(sh), mx::array(4.f));
    auto u = mx::random::normal(sh);
    mx::eval(g, u);
    std::string what = "swiglu [";
    for (size_t i = 0; i < sh.size(); ++i) what += (i ? "," : "") + std::to_string(sh[i]);
    what += "]";
    row(what, [&] { return pocket_swiglu(g, u); },
        [&] { return mx::multiply(mx::multiply(g, mx::sigmoid(g)), u); });
  }
  {  // extreme gates, strided gate
    std::vector<float> gv = {-200.f, -100.f, -88.5f, -87.f, -30.f, -1e-3f, 0.f, 1e-3f,
                             1.f,    20.f,   88.f,   89.f,  100.f, 200.f,  -5.f, 5.f};
    auto g = mx::array(gv.data(), {16}, mx::float32);
    auto u = mx::ones({16});
    row("swiglu extreme gates", [&] { return pocket_swiglu(g, u); },
        [&] { return mx::multiply(mx::multiply(g, mx::sigmoid(g)), u); });
    auto gt = mx::transpose(mx::multiply(mx::random::normal({1536, 7}), mx::array(3.f)));
    auto ut = mx::random::normal({7, 1536});
    mx::eval(gt, ut);
    row("swiglu transposed gate [7,1536]", [&] { return pocket_swiglu(gt, ut); },
        [&] { return mx::multiply(mx::multiply(gt, mx::sigmoid(gt)), ut); });
  }

  // ---------------------------------------------------------------- graph integration
  {
    auto x = mx::random::normal({1, 16, 576});
    auto w = mx::random::normal({576});
    mx::eval(x, w);
    auto a = pocket_rope(mx::reshape(pocket_swiglu(pocket_rms_norm(x, w, 1e-5f), x), {1, 16, 9, 64}),
                         64, false, 10000.f, 1.f, 3, std::nullopt);
    auto xb = mx::fast::rms_norm(x, w, 1e-5f);
    auto b = mx::fast::rope(mx::reshape(mx::multiply(mx::multiply(xb, mx::sigmoid(xb)), x),
                                        {1, 16, 9, 64}),
                            64, false, 10000.f, 1.f, 3);
    mx::async_eval({a});
    double e = rel_err(a, b);
    bool pass = e < tol;
    ok = ok && pass;
    std::printf("%-44s %10s %10s %8s %10.2e %18s %s\n", "chained lazy norm->swiglu->rope (async)",
                "", "", "", e, "", pass ? "ok" : "FAIL");
    auto f16 = mx::astype(x, mx::float16);
    auto y16 = mx::astype(pocket_rms_norm(f16, mx::astype(w, mx::float16), 1e-5f), mx::float32);
    auto r16 = mx::astype(mx::fast::rms_norm(f16, mx::astype(w, mx::float16), 1e-5f), mx::float32);
    e = rel_err(y16, r16);
    std::printf("%-44s %10s %10s %8s %10.2e %18s %s\n", "float16 falls back to mx::fast", "", "", "",
                e, "", e == 0 ? "ok" : "FAIL");
    ok = ok && e == 0;
  }
  std::printf("\n%s\n", ok ? "ALL OK" : "SOME CHECKS FAILED");
  return ok ? 0 : 1;
}
