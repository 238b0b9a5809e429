// Driver for test/model/engine/sdpaBatch.test.ts: sdpa::run_many (one pool
// dispatch for several independent attention calls, as a batched decode
// step makes them) must give every call exactly the bits sdpa::run gives it
// alone. Pseudo-random calls in the fused layer's layout (q rows packed
// [Hq, T, D] per step, keys/values in cache buffers [Hkv, capacity, D] read
// from a window offset): decode rows and causal prompt chunks, GQA groups of
// 1 to 4, head dims 64/80/256, on the real worker pool (POCKET_NUM_THREADS).
// Prints "ok <floats compared>" or the first mismatch, and exits 0 or 1.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sdpa.h"
#include "xorshift.h"

namespace pocket {
// The custom kernels' stream check (backend.cpp); the driver has no MLX stream.
bool custom_kernels(const mlx::core::Stream&) { return true; }
}  // namespace pocket

namespace {

pocket::testing::Xorshift64 rng{0x243F6A8885A308D3ull};
uint32_t next_u32() { return rng.next_u32(); }
float next_float() { return float(int(next_u32() % 2001) - 1000) / 250.0f; }
int next_int(int lo, int hi) { return lo + int(next_u32() % uint32_t(hi - lo + 1)); }

struct Call {
  std::vector<float> q, k, v;
  pocket::sdpa::Args args;
};

}  // namespace

int main() {
  using pocket::sdpa::Args;
  long compared = 0;
  for (int round = 0; round < 24; ++round) {
    const int dims[3] = {64, 80, 256};
    const int64_t D = dims[round % 3], Hkv = next_int(1, 3), Hq = Hkv * next_int(1, 4);
    const int n = next_int(1, 9);
    std::vector<Call> calls(static_cast<size_t>(n));
    for (auto& c : calls) {
      Args& a = c.args;
      const bool chunk = next_u32() % 4 == 0;
      const int64_t L = chunk ? next_int(2, 40) : 1, seen = next_int(0, 30), cap = seen + next_int(L, 600);
      const int64_t Lk = next_int(L, int(cap - seen));
      c.q.resize(size_t(Hq * L * D));
      c.k.resize(size_t(Hkv * cap * D));
      c.v.resize(size_t(Hkv * cap * D));
      for (auto* buf : {&c.q, &c.k, &c.v})
        for (auto& x : *buf) x = next_float();
      a = Args{};
      a.B = 1;
      a.Hq = Hq;
      a.Hkv = Hkv;
      a.Lq = L;
      a.Lk = Lk;
      a.D = D;
      a.scale = 1.0f / float(next_int(4, 16));
      a.causal = L > 1;
      const int64_t qs[4] = {Hq * L * D, L * D, D, 1}, ks[4] = {Hkv * cap * D, cap * D, D, 1};
      std::memcpy(a.qs, qs, sizeof qs);
      std::memcpy(a.ks, ks, sizeof ks);
      std::memcpy(a.vs, ks, sizeof ks);
      a.q = c.q.data();
      a.k = c.k.data() + seen * D;
      a.v = c.v.data() + seen * D;
    }
    std::vector<std::vector<float>> alone(calls.size()), together(calls.size());
    std::vector<Args> batch;
    for (size_t i = 0; i < calls.size(); ++i) {
      const Args& a = calls[i].args;
      const size_t out = size_t(a.Hq * a.Lq * a.D);
      alone[i].assign(out, -1.0f);
      together[i].assign(out, -2.0f);
      Args one = a;
      one.o = alone[i].data();
      pocket::sdpa::run(one);
      batch.push_back(a);
      batch.back().o = together[i].data();
    }
    pocket::sdpa::run_many(batch.data(), batch.size());
    for (size_t i = 0; i < calls.size(); ++i) {
      if (std::memcmp(alone[i].data(), together[i].data(), alone[i].size() * sizeof(float)) != 0) {
        std::printf("mismatch: round %d, call %zu of %zu (Lq %lld, Lk %lld, D %lld)\n", round, i, calls.size(),
                    (long long)calls[i].args.Lq, (long long)calls[i].args.Lk, (long long)D);
        return 1;
      }
      compared += long(alone[i].size());
    }
  }
  std::printf("ok %ld\n", compared);
  return 0;
}
