#include "evaluate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "errors.h"

namespace pocket {

void teacher_force(LoadedModel& model, const std::vector<int>& tokens, int from, const RowsCallback& rows) {
  auto& llm = *model.llm;
  auto& cfg = llm.config();
  int n = int(tokens.size());
  if (n == 0) throw invalid_arg("tokens: must not be empty");
  if (n > model.context_length)
    throw context_overflow("Prompt has " + std::to_string(n) + " tokens but the context length is " +
                           std::to_string(model.context_length) + ".");
  for (int t : tokens)
    if (t < 0 || t >= cfg.vocab_size) throw invalid_arg("tokens: token id " + std::to_string(t) + " out of range");
  if (from < 0 || from >= n) throw invalid_arg("from: must index a token of the sequence");
  auto cache_ptr = model.new_cache();
  auto& cache = *cache_ptr;
  // Same chunking as generation's prefill, so numerics match verified runs.
  for (int start = 0; start < n; start += model.prefill_chunk) {
    int end = std::min(n, start + model.prefill_chunk);
    std::vector<int> chunk(tokens.begin() + start, tokens.begin() + end);
    auto ids = mx::array(chunk.data(), {1, end - start}, mx::int32);
    auto h = llm.forward(ids, cache);
    int a = std::max(start, from);
    if (a >= end) {
      // h too: fused layers write the cache in place, so the cache's arrays
      // alone do not make them run (chunks before `from` were skipped).
      auto state = cache.state();
      state.push_back(h);
      mx::eval(state);
      continue;
    }
    auto sel = mx::slice(h, {0, a - start, 0}, {1, end - start, h.shape(2)});
    auto logits = mx::reshape(llm.logits(sel), {end - a, cfg.vocab_size});
    auto hid = mx::reshape(mx::astype(sel, mx::float32), {end - a, cfg.hidden_size});
    auto state = cache.state();
    state.push_back(logits);
    state.push_back(hid);
    mx::eval(state);
    rows(a, end - a, logits.data<float>(), hid.data<float>());
  }
}

EvaluateResult evaluate_tokens(LoadedModel& model, const EvaluateOptions& o) {
  auto& cfg = model.llm->config();
  if (o.top_k < 1 || o.top_k > 64) throw invalid_arg("topK: must be between 1 and 64");
  EvaluateResult r;
  r.vocab = cfg.vocab_size;
  r.hidden_size = cfg.hidden_size;
  r.top_k = o.top_k;
  teacher_force(model, o.tokens, o.from, [&](int, int n, const float* L, const float* H) {
    for (int i = 0; i < n; ++i) {
      const float* row = L + size_t(i) * cfg.vocab_size;
      std::vector<int> idx(cfg.vocab_size);
      std::iota(idx.begin(), idx.end(), 0);
      std::partial_sort(idx.begin(), idx.begin() + o.top_k, idx.end(),
                        [&](int x, int y) { return row[x] > row[y] || (row[x] == row[y] && x < y); });
      double m = row[idx[0]], s = 0;
      for (int v = 0; v < cfg.vocab_size; ++v) s += std::exp(double(row[v]) - m);
      r.logsumexp.push_back(float(m + std::log(s)));
      for (int k = 0; k < o.top_k; ++k) {
        r.top_ids.push_back(idx[k]);
        r.top_logits.push_back(row[idx[k]]);
      }
      if (o.full_logits) r.logits.insert(r.logits.end(), row, row + cfg.vocab_size);
    }
    if (o.hidden) r.hidden.insert(r.hidden.end(), H, H + size_t(n) * cfg.hidden_size);
    r.rows += n;
  });
  return r;
}

} // namespace pocket
