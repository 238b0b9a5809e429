// Correctness + speed check for pocket_sdpa against mx::fast::scaled_dot_product_attention.
//
// Build (from the repo root):
//   MLX=~/.cache/pocketcloudmlx/mlx/0.32.4/mlx
//   g++ -std=c++20 -O3 -I$MLX/include -Inative/src native/bench/sdpa_bench.cpp
//       native/src/sdpa.cpp native/src/sdpa_kernels.cpp native/src/qmm.cpp
//       native/src/qmm_kernels.cpp -L$MLX/lib -lmlx -Wl,-rpath,$MLX/lib -lpthread
//       -o /tmp/sdpa_bench
// Run:  /tmp/sdpa_bench [--quick]       (POCKET_NUM_THREADS=1|2 to pin threads,
//                                        POCKET_QMM_SCALAR=1 forces the scalar path)
// Inputs are laid out as in the model: q is a transpose of [B, Lq, Hq, D], k/v are
// slices [:, :, :Lk] of [B, Hkv, Lk + 256, D] cache buffers. Prints per case
// max |ours - ref| / max |ref|, best-of-N ms for both, and an output hash (compare
// hashes across POCKET_NUM_THREADS values to check thread-independence).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "qmm.h"
#include "sdpa.h"

namespace mx = mlx::core;
using pocket::pocket_sdpa;

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

struct Inputs {
  mx::array q, k, v;
};

// q: transpose of [B, Lq, Hq, D]; k, v: slices of [B, Hkv, Lk + 256, D] buffers.
static Inputs make(int B, int Hq, int Hkv, int Lq, int Lk, int D, bool views = true) {
  if (!views) {
    Inputs in{mx::random::normal({B, Hq, Lq, D}), mx::random::normal({B, Hkv, Lk, D}),
              mx::random::normal({B, Hkv, Lk, D})};
    mx::eval(in.q, in.k, in.v);
    return in;
  }
  auto q = mx::transpose(mx::random::normal({B, Lq, Hq, D}), {0, 2, 1, 3});
  auto kb = mx::random::normal({B, Hkv, Lk + 256, D});
  auto vb = mx::random::normal({B, Hkv, Lk + 256, D});
  auto k = mx::slice(kb, {0, 0, 0, 0}, {B, Hkv, Lk, D});
  auto v = mx::slice(vb, {0, 0, 0, 0}, {B, Hkv, Lk, D});
  mx::eval(q, k, v);
  return {q, k, v};
}

static mx::array ref_sdpa(const Inputs& in, float scale, bool causal) {
  return mx::fast::scaled_dot_product_attention(in.q, in.k, in.v, scale, causal ? "causal" : "");
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  mx::random::seed(1234);
  std::printf("threads=%d avx2+fma=%d\n", pocket::qmm::num_threads(),
              int(pocket::qmm::cpu_has_avx2_fma()));
  bool ok = true;
  auto check = [&](const std::string& what, double err) {
    bool pass = err < 1e-4;
    ok = ok && pass;
    std::printf("  %-56s rel err %.2e %s\n", what.c_str(), err, pass ? "ok" : "FAIL");
  };

  // ---- correctness of less common configurations and graph integration
  std::printf("correctness:\n");
  struct C {
    int B, Hq, Hkv, Lq, Lk, D;
    bool views;
  };
  const C cases[] = {
      {2, 6, 2, 5, 9, 40, true},    {1, 4, 1, 33, 33, 24, true},  {1, 2, 2, 70, 200, 13, true},
      {3, 8, 8, 1, 130, 64, true},  {1, 9, 3, 17, 17, 64, false}, {1, 2, 1, 129, 129, 128, true},
      {1, 3, 3, 3, 1, 8, true},     {1, 4, 2, 65, 300, 80, false},
  };
  for (auto& c : cases)
    for (bool causal : {false, true}) {
      if (causal && c.Lq > c.Lk) continue;
      auto in = make(c.B, c.Hq, c.Hkv, c.Lq, c.Lk, c.D, c.views);
      float scale = 1.f / std::sqrt(float(c.D));
      char buf[128];
      std::snprintf(buf, sizeof buf, "B=%d Hq=%d Hkv=%d Lq=%d Lk=%d D=%d %s%s", c.B, c.Hq, c.Hkv,
                    c.Lq, c.Lk, c.D, causal ? "causal" : "full", c.views ? " views" : "");
      check(buf, rel_err(pocket_sdpa(in.q, in.k, in.v, scale, causal), ref_sdpa(in, scale, causal)));
    }
  {
    // strided last dim (k/v transposed twice -> d stride != 1), large-magnitude scores
    auto kt = mx::swapaxes(mx::random::normal({1, 3, 64, 90}), 2, 3);  // [1,3,90,64] d-stride 90
    auto vt = mx::swapaxes(mx::random::normal({1, 3, 64, 90}), 2, 3);
    auto q = mx::multiply(mx::random::normal({1, 9, 20, 64}), mx::array(4.f));
    mx::eval(kt, vt, q);
    check("d-strided k/v, large scores (|s| ~ 30)",
          rel_err(pocket_sdpa(q, kt, vt, 0.125f, true),
                  mx::fast::scaled_dot_product_attention(q, kt, vt, 0.125f, "causal")));
    // chained lazy graph evaluated asynchronously
    auto in = make(1, 9, 3, 32, 132, 64);
    auto h = in.q, r = in.q;
    for (int i = 0; i < 4; ++i) {
      h = mx::sin(pocket_sdpa(h, in.k, in.v, 0.125f, true));
      r = mx::sin(mx::fast::scaled_dot_product_attention(r, in.k, in.v, 0.125f, "causal"));
    }
    mx::async_eval({h});
    check("4 chained lazy attentions (async_eval)", rel_err(h, r));
    auto y1 = pocket_sdpa(in.q, in.k, in.v, 0.125f, true),
         y2 = pocket_sdpa(in.q, in.k, in.v, 0.125f, true);
    mx::eval(y1, y2);
    bool same = hash(y1) == hash(y2);
    ok = ok && same;
    std::printf("  %-56s %s\n", "repeat is bit-identical", same ? "ok" : "FAIL");
    // fallbacks: float16, causal with Lq > Lk
    auto q16 = mx::astype(in.q, mx::float16), k16 = mx::astype(in.k, mx::float16),
         v16 = mx::astype(in.v, mx::float16);
    auto f16 = mx::astype(pocket_sdpa(q16, k16, v16, 0.125f, true), mx::float32);
    auto r16 = mx::astype(
        mx::fast::scaled_dot_product_attention(q16, k16, v16, 0.125f, "causal"), mx::float32);
    check("float16 falls back to mx::fast", rel_err(f16, r16));
    bool fb = !pocket::pocket_sdpa_supported(q16, k16, v16, true) &&
              !pocket::pocket_sdpa_supported(in.q, mx::slice(in.k, {0, 0, 0, 0}, {1, 3, 5, 64}),
                                             mx::slice(in.v, {0, 0, 0, 0}, {1, 3, 5, 64}), true);
    ok = ok && fb;
    std::printf("  %-56s %s\n", "fallback detection (f16, causal Lq > Lk)", fb ? "ok" : "FAIL");
  }

  // ---- speed (model shapes)
  std::printf("\n%-18s %5s %5s %7s %10s %10s %8s %10s %18s\n", "Hq/Hkv/D", "Lq", "Lk", "mask",
              "ours ms", "mlx ms", "speedup", "rel err", "hash");
  const int cfgs[][3] = {{9, 3, 64}, {4, 4, 128}};
  for (auto& cf : cfgs)
    for (int Lq : {1, 7, 32, 256, 512})
      for (int off : {0, 100}) {
        if (quick && Lq == 256) continue;
        int Lk = Lq + off;
        bool causal = Lq > 1;  // as in the model
        auto in = make(1, cf[0], cf[1], Lq, Lk, cf[2]);
        float scale = 1.f / std::sqrt(float(cf[2]));
        auto y = pocket_sdpa(in.q, in.k, in.v, scale, causal);
        auto ref = ref_sdpa(in, scale, causal);
        mx::eval(y, ref);
        double err = rel_err(y, ref);
        ok = ok && err < 1e-4;
        double t_ours = time_ms([&] { return pocket_sdpa(in.q, in.k, in.v, scale, causal); });
        double t_ref = time_ms([&] { return ref_sdpa(in, scale, causal); });
        char sh[32];
        std::snprintf(sh, sizeof sh, "%d/%d/%d", cf[0], cf[1], cf[2]);
        std::printf("%-18s %5d %5d %7s %10.4f %10.3f %7.1fx %10.2e %018llx\n", sh, Lq, Lk,
                    causal ? "causal" : "none", t_ours, t_ref, t_ref / t_ours, err,
                    (unsigned long long)hash(y));
      }
  std::printf("\n%s\n", ok ? "ALL OK" : "SOME CHECKS FAILED");
  return ok ? 0 : 1;
}
