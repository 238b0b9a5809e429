// Teacher-forced evaluation: one prefill pass over a token sequence that
// returns, per position, what the model predicts next. Used for reference
// comparisons (llama.cpp logits) and for receipt audits at prefill cost.
#pragma once

#include <functional>
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

// Runs the sequence through the model in prefill chunks and calls `rows` with
// host logits [n, vocab] and hidden [n, hidden] for positions first..first+n-1
// (only positions >= from). Validates ids and length.
using RowsCallback = std::function<void(int first, int n, const float* logits, const float* hidden)>;
void teacher_force(LoadedModel& model, const std::vector<int>& tokens, int from, const RowsCallback& rows);

} // namespace pocket
