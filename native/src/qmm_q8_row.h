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

// Outputs (m, n) for every activation row m and weight rows [n0, n1), in the
// canonical order of qmm_q8.cpp (reference_row).
void cols_neon(const Args& a, const QRow* rows, int64_t n0, int64_t n1);

// Whether this build has the NEON dot-product path and the CPU runs it.
bool cpu_neon_dotprod();

}  // namespace pocket::qmm
