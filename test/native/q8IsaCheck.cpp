// Driver for test/model/engine/cpuIsaNeon.test.ts: runs the integer-dot
// kernels of native/src/qmm_q8.cpp (and qmm_q8_neon.cpp) on a fixed set of
// pseudo-random products — 4- and 8-bit weights, with and without the Q8_0
// zero point, float32 and float16 group constants, group sizes 32/64/128,
// 1 to 5 activation rows — on one thread, and writes every output float's
// bits to stdout. The path is POCKET_CPU_ISA's (or the best the CPU has);
// its name goes to stderr. Built for x86-64 and (cross-compiled) aarch64, so
// the test compares the scalar, AVX2 and NEON paths of two architectures.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <vector>

#include "qmm.h"
#include "qmm_q8.h"
#include "xorshift.h"

namespace pocket::qmm {
// Single-threaded stand-ins for the worker pool of qmm_kernels.cpp.
void parallel(const std::function<void(int)>& fn) { fn(0); }
int64_t row_piece(int64_t N, int) { return N; }
}  // namespace pocket::qmm

namespace {

pocket::testing::Xorshift64 rng{0x9E3779B97F4A7C15ull};
uint32_t next_u32() { return rng.next_u32(); }
float next_float(float lo, float hi) { return lo + (hi - lo) * float(next_u32() % 1000003) / 1000003.f; }

// float16 bits of a small power-of-two-times-integer value (exact in both).
uint16_t half_of(int mantissa, int exp) {  // mantissa in [1, 1023], value = (1024 + m) * 2^(exp - 25)
  return uint16_t(((exp & 31) << 10) | (mantissa & 1023));
}
float half_value(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  return float(1024 + m) * std::ldexp(1.f, e - 25);
}

}  // namespace

int main() {
  using pocket::qmm::Args;
  std::vector<float> out;
  for (int bits : {4, 8})
    for (int zero128 : {0, 1})
      for (int h16 : {0, 1})
        for (int gs : {32, 64, 128})
          for (int M : {1, 3, 5}) {
            if (zero128 && bits != 8) continue;
            const int64_t K = gs * (1 + next_u32() % 5) * (gs == 32 ? 2 : 1);
            const int64_t N = 1 + next_u32() % 37, G = K / gs;
            std::vector<uint32_t> w(size_t(N * K * bits / 32));
            // (Each call sequenced on its own line: the order in which a
            // compiler evaluates operands or arguments is unspecified.)
            for (auto& v : w) {
              const uint32_t hi = next_u32();
              v = next_u32() ^ (hi << 16);
            }
            std::vector<uint16_t> s16(size_t(N * G)), b16(size_t(N * G));
            std::vector<float> s(size_t(N * G)), b(size_t(N * G)), x(size_t(M * K)), y(size_t(M * N));
            for (size_t i = 0; i < s.size(); ++i) {
              const int sm = int(next_u32() % 1023) + 1, se = 8 + int(next_u32() % 6);
              const int bm = int(next_u32() % 1023) + 1, be = 10 + int(next_u32() % 6);
              s16[i] = half_of(sm, se);
              b16[i] = uint16_t(half_of(bm, be) | 0x8000);
              s[i] = half_value(s16[i]);
              b[i] = zero128 ? -128.f * s[i] : -half_value(uint16_t(b16[i] & 0x7FFF));
            }
            for (auto& v : x) {
              const float f = next_float(-4.f, 4.f);
              v = f * (next_u32() % 11 == 0 ? 25.f : 1.f);
            }
            Args a{x.data(), w.data(), s.data(), b.data(), y.data(), M, N, K, gs, bits};
            if (h16) {  // (the Q8_0 case never reads its biases)
              a.scales16 = s16.data();
              a.biases16 = b16.data();
            }
            a.q8 = true;
            a.zero128 = zero128 != 0;
            if (!pocket::qmm::q8_supported(a)) return 2;
            pocket::qmm::run_q8(a, 1);
            out.insert(out.end(), y.begin(), y.end());
          }
  std::fwrite(out.data(), sizeof(float), out.size(), stdout);
  std::fprintf(stderr, "%s %zu\n", pocket::qmm::isa_name(pocket::qmm::active_isa()), out.size());
  return 0;
}
