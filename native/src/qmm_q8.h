// Integer-dot one-row kernels for pocket_qmm (8-bit activations; see
// qmm_q8.cpp for the exact arithmetic every instruction set reproduces).
#pragma once

#include "qmm.h"

namespace pocket::qmm {

enum class Isa { scalar, avx2, avx512, neon };

// The path the integer-dot kernels take: POCKET_CPU_ISA (scalar | avx2 |
// avx512 | neon | auto) or the best the CPU has. A path the CPU lacks falls back to
// the best it has; all give bit-identical results.
Isa active_isa();
const char* isa_name(Isa isa);

// Whether one-row products built on this thread quantize their activations
// (decode steps of non-verified streams set this; POCKET_QMM_ACT=f32 keeps
// float32 activations everywhere, q8-all quantizes every one-row product).
bool q8_decode();
// Whether the LM head's product built on this thread quantizes its
// activations: decodeActivations 'int8-head' (the default) quantizes only the
// head's input in decode steps, so the hidden states and KV cache stay
// exactly those of float32 while the largest product (the vocabulary-sized
// head) takes the integer-dot kernel. Decoder::logits opens a scope with it.
bool q8_head();
// all: every product of this thread's decode step; head: the LM head's only.
class Q8DecodeScope {
 public:
  explicit Q8DecodeScope(bool all, bool head = false);
  ~Q8DecodeScope();
  Q8DecodeScope(const Q8DecodeScope&) = delete;
  Q8DecodeScope& operator=(const Q8DecodeScope&) = delete;

 private:
  bool prev_, prev_head_;
};

// Products with up to this many activation rows (a batched decode step's
// streams) take the integer-dot kernels when q8 is set; every output (m, n)
// is then bit-identical to the same row decoded alone.
constexpr int64_t kQ8MaxRows = 64;

bool q8_supported(const Args& a);
void run_q8(const Args& a, int nthreads);

}  // namespace pocket::qmm
