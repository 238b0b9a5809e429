// Continuous batching: one forward for prompt chunks, decoded tokens and
// speculative drafts of several generations of the same model.
#include <algorithm>

#include "generation.h"
#include "qmm_q8.h"

namespace pocket {

void Generation::run_batch(const std::vector<Work>& batch) {
  if (batch.empty()) return;
  auto& llm = *batch[0].g->model_->llm;
  std::vector<CausalLM::Segment> segs;
  std::vector<int> rows;     // packed row indices whose logits are needed
  std::vector<int> counts;   // per work item, how many of those rows
  int offset = 0;
  for (auto& w : batch) {
    int n = int(w.tokens.size());
    segs.push_back(llm.token_segment(w.tokens, w.g->cache_.get()));
    int want = 1;  // a decoded token: the next-token row
    if (w.g->prefilling_) want = w.g->prefill_pos_ + n == int(w.g->opts_.prompt.size()) ? 1 : 0;
    else if (n > 1) want = n;  // speculative: every row verifies a draft
    for (int i = n - want; i < n; ++i) rows.push_back(offset + i);
    counts.push_back(want);
    offset += n;
  }
  // On the graph path (GPU) only what the host needs leaves the device:
  // greedy streams get the device's pick, others their logits rows, and the
  // hidden states only when a stream commits to them.
  std::vector<bool> device(batch.size());
  bool any_device = false, all_device = true, hidden_needed = false;
  for (size_t i = 0; i < batch.size(); ++i) {
    device[i] = counts[i] == 1 && batch[i].g->device_sampling();
    if (counts[i] == 0) continue;
    any_device = any_device || device[i];
    all_device = all_device && device[i];
    hidden_needed = hidden_needed || batch[i].g->host_hidden();
  }
  // A decode-only step of non-verified streams takes 8-bit activations (qmm_q8.h).
  bool decode = true;
  for (auto& w : batch) decode = decode && !w.g->prefilling_ && !w.g->opts_.verified;
  qmm::Q8DecodeScope q8_scope(decode && batch[0].g->model_->q8_decode, decode && batch[0].g->model_->q8_head);
  try {
    auto hidden = llm.forward_segments(segs);
    std::vector<mx::array> outs;
    std::optional<mx::array> logits, hid;
    std::optional<std::pair<mx::array, mx::array>> picks;
    if (!rows.empty()) {
      auto picked = mx::take(hidden, mx::array(rows.data(), {int(rows.size())}, mx::int32), 1);
      logits = mx::reshape(llm.logits(picked), {int(rows.size()), -1});
      if (any_device) {
        picks = device_greedy(*logits);
        outs.push_back(picks->first);
        outs.push_back(picks->second);
      }
      if (!all_device) outs.push_back(*logits);
      if (hidden_needed) {
        hid = mx::reshape(mx::astype(picked, mx::float32), {int(rows.size()), -1});
        outs.push_back(*hid);
      }
    }
    for (auto& s : segs)
      for (auto& a : s.cache->state()) outs.push_back(a);
    mx::eval(outs);
    int V = logits ? logits->shape(1) : 0, D = hid ? hid->shape(1) : 0;
    int row = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      auto& w = batch[i];
      const float* l = logits && !all_device ? logits->data<float>() + size_t(row) * V : nullptr;
      const float* h = hid ? hid->data<float>() + size_t(row) * D : nullptr;
      std::optional<SampleResult> pick;
      if (device[i] && picks)
        pick = SampleResult{picks->first.data<int32_t>()[row], picks->second.data<float>()[row], {}};
      w.g->guarded([&] { w.g->absorb(w.tokens, l, h, counts[i], pick ? &*pick : nullptr); });
      row += counts[i];
    }
  } catch (const std::exception& e) {
    for (auto& w : batch) w.g->abort(e.what());
  }
}

void Generation::absorb(const std::vector<int>& tokens, const float* logits, const float* hidden, int rows,
                        const SampleResult* pick) {
  if (prefilling_) {
    cache_tokens_.insert(cache_tokens_.end(), tokens.begin(), tokens.end());
    prefill_pos_ += int(tokens.size());
    report_prefill();
    if (prefill_pos_ == int(opts_.prompt.size())) {
      prefilling_ = false;
      take_next(logits, hidden, pick);
    }
    return;
  }
  if (rows > 1) {
    verify(tokens, logits, hidden);
    return;
  }
  take_next(logits, hidden, pick);
  cache_tokens_.push_back(tokens[0]);
}

} // namespace pocket
