// Receipt audit at prefill cost: one teacher-forced pass over prompt +
// claimed completion that re-derives every token with the seeded sampler and
// recomputes the activation commitment (DESIGN §4, verification).
#pragma once

#include <vector>

#include "engine.h"
#include "generation.h"
#include "sampler.h"

namespace pocket {

struct AuditOptions {
  std::vector<int> prompt;
  std::vector<int> completion;
  SamplingParams sampling;  // seed as the generation saw it (internal form)
  std::vector<int> commit_indices;  // completion indices the claim committed to
  int commit_top_k = 0;
  float greedy_tolerance = 0.05f;    // logits: max - chosen must be <= this
  double interval_tolerance = 1e-3;  // probability band around the token's interval
};

struct TokenCheck {
  int index = 0;
  int token = 0;
  bool ok = false;
  float gap = 0;           // greedy: max logit - token logit (processed)
  float max_logit = 0;     // processed logits: the row's max and the token's
  float logit = 0;         // (the auditor's tolerance scales with them)
  double u = 0, low = 0, high = 0;  // sampled: uniform and token interval
  // Sampled, a token outside the candidates: [low, high) is its interval in
  // the kept set extended down to it; `above` the full softmax mass ranked
  // above it; `kth_logit` the top-k cutoff (top-k only).
  bool candidate = true;
  double above = 0;
  float kth_logit = 0;
};

struct AuditResult {
  std::vector<TokenCheck> checks;
  std::vector<ChunkCommitment> commitments;  // recomputed at commit_indices
  int failures = 0;
};

AuditResult audit_completion(LoadedModel& model, const AuditOptions& opts);

} // namespace pocket
