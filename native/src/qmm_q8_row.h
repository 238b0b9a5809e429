// The quantized activation row of the integer-dot kernels (qmm_q8.cpp), shared
// with the per-instruction-set files (qmm_q8_neon.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "qmm.h"

namespace pocket::qmm {

// One activation row quantized to 8 bits per 32-element chunk (plain scalar
// code: the same values whatever the instruction set).
struct QRow {
  std::vector<int8_t> q;      // K, kernel order within each 32-chunk
  std::vector<float> d;       // K / 32 block scales
  std::vector<float> xsum;    // K / gs exact group sums, zero-padded to a multiple of 8
  std::vector<int32_t> q128;  // 8-bit weights: 128 * (sum of xq over each lane's 4 values)
};

// 8-bit weights whose biases are exactly -128 * scales (Q8_0): no bias term.
inline bool zero_point_128(const Args& a) { return a.bits == 8 && a.zero128; }

// Calls cols.template operator()<BITS, H16, Z128>() for a's weight layout:
// 4 or 8 bits, float16 copies of the group constants or not, Q8_0 zero point
// or not (the template arguments every path's kernels take).
template <class F>
void dispatch_layout(const Args& a, F&& cols) {
  const bool h16 = a.scales16 && a.biases16;
  if (a.bits == 4) h16 ? cols.template operator()<4, true, false>() : cols.template operator()<4, false, false>();
  else if (zero_point_128(a)) h16 ? cols.template operator()<8, true, true>() : cols.template operator()<8, false, true>();
  else h16 ? cols.template operator()<8, true, false>() : cols.template operator()<8, false, false>();
}

// Outputs (m, n) for every activation row m and weight rows [n0, n1), in the
// canonical order of qmm_q8.cpp (reference_row).
void cols_neon(const Args& a, const QRow* rows, int64_t n0, int64_t n1);

// Whether this build has the NEON dot-product path and the CPU runs it.
bool cpu_neon_dotprod();

}  // namespace pocket::qmm
