// Integer-dot one-row kernels for pocket_qmm (8-bit activations; see
// qmm_q8.cpp for the exact arithmetic every instruction set reproduces).
#pragma once

#include "qmm.h"

namespace pocket::qmm {

enum class Isa { scalar, avx2, avx512 };

// The path the integer-dot kernels take: POCKET_CPU_ISA (scalar | avx2 |
// avx512 | auto) or the best the CPU has. A path the CPU lacks falls back to
// the best it has; all give bit-identical results.
Isa active_isa();
const char* isa_name(Isa isa);

// Whether one-row products built on this thread quantize their activations
// (decode steps of non-verified streams set this; POCKET_QMM_ACT=f32 keeps
// float32 activations everywhere, q8-all quantizes every one-row product).
bool q8_decode();
class Q8DecodeScope {
 public:
  explicit Q8DecodeScope(bool on);
  ~Q8DecodeScope();
  Q8DecodeScope(const Q8DecodeScope&) = delete;
  Q8DecodeScope& operator=(const Q8DecodeScope&) = delete;

 private:
  bool prev_;
};

bool q8_supported(const Args& a);
void run_q8(const Args& a, int nthreads);

}  // namespace pocket::qmm
