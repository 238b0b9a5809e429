// Teacher-forced evaluation: one prefill pass over a token sequence that
// returns, per position, what the model predicts next. Used for reference
// comparisons (llama.cpp logits) and for receipt audits at prefill cost.
#pragma once

#include <vector>

#include "engine.h"

namespace pocket {

struct EvaluateOptions {
  std::vector<int> tokens;
  int from = 0;          // first position reported (row r = position from + r)
  int top_k = 5;
  bool full_logits = false;
  bool hidden = false;   // final hidden states of the reported positions
};

struct EvaluateResult {
  int rows = 0, vocab = 0, hidden_size = 0, top_k = 0;
  std::vector<int> top_ids;        // rows * top_k
  std::vector<float> top_logits;   // rows * top_k
  std::vector<float> logsumexp;    // rows
  std::vector<float> logits;       // rows * vocab when full_logits
  std::vector<float> hidden;       // rows * hidden_size when hidden
};

EvaluateResult evaluate_tokens(LoadedModel& model, const EvaluateOptions& opts);

} // namespace pocket
