// Speculative decoding: a draft model of the same vocabulary proposes tokens
// greedily, the model reads [token, drafts...] in one forward (run_batch,
// shared with other streams) and keeps the drafts its own sampler agrees
// with, plus its own choice at the first disagreement. The sampler is
// counter-based, so the tokens are the ones plain decoding would produce.
#include <algorithm>
#include <unordered_map>

#include "generation.h"
#include "qmm_q8.h"

namespace pocket {

int Generation::draft_budget() const {
  int k = opts_.num_draft;
  if (opts_.max_tokens > 0) k = std::min(k, opts_.max_tokens - int(completion_.size()));
  // The verifying forward feeds k + 1 tokens after the current context.
  int used = int(cache_tokens_.size());
  k = std::min(k, model_->context_length - 2 - used);
  if (opts_.draft) k = std::min(k, opts_.draft->context_length - 2 - used);
  return std::max(k, 0);
}

std::vector<int> Generation::lookup_draft(int token, int budget) const {
  // The latest earlier occurrence of the context's last n tokens (longest n
  // first); what followed it is the proposal.
  constexpr int kMaxNgram = 4, kMinNgram = 2;
  std::vector<int> ctx = cache_tokens_;
  ctx.push_back(token);
  int size = int(ctx.size());
  for (int n = std::min(kMaxNgram, size - 1); n >= kMinNgram; --n) {
    auto tail = ctx.end() - n;
    for (int start = size - n - 1; start >= 0; --start) {
      if (!std::equal(tail, ctx.end(), ctx.begin() + start)) continue;
      int from = start + n, count = std::min(budget, size - from);
      return std::vector<int>(ctx.begin() + from, ctx.begin() + from + count);
    }
  }
  return {};
}

std::vector<int> Generation::draft_catch_up(int token) {
  auto& d = *opts_.draft;
  if (!draft_cache_) {  // first step: reuse the draft's idle cache with the longest shared prefix
    auto [best, it] = find_idle(d, cache_tokens_, opts_.prompt_cache);
    if (it != d.idle.end() && best > 0) {
      draft_cache_ = std::move(it->cache);
      draft_tokens_ = std::move(it->tokens);
      d.idle.erase(it);
    } else {
      draft_cache_ = d.new_cache();
      draft_tokens_.clear();
    }
  }
  // Keep what the draft read of the context; it reads the rest plus `token`.
  size_t n = std::mismatch(draft_tokens_.begin(), draft_tokens_.end(), cache_tokens_.begin(), cache_tokens_.end())
                 .first - draft_tokens_.begin();
  if (!draft_cache_->can_trim_to(int(n))) {  // a sliding window dropped rows: read the context again
    draft_cache_ = d.new_cache();
    n = 0;
  }
  draft_cache_->trim_to(int(n));
  draft_tokens_.resize(n);
  std::vector<int> missing(cache_tokens_.begin() + n, cache_tokens_.end());
  missing.push_back(token);
  // A long catch-up (the prompt, on the first step) is read in prefill chunks.
  while (int(missing.size()) > d.prefill_chunk) {
    std::vector<int> chunk(missing.begin(), missing.begin() + d.prefill_chunk);
    d.llm->forward(mx::array(chunk.data(), {1, int(chunk.size())}, mx::int32), *draft_cache_);
    mx::eval(draft_cache_->state());
    draft_tokens_.insert(draft_tokens_.end(), chunk.begin(), chunk.end());
    missing.erase(missing.begin(), missing.begin() + chunk.size());
  }
  return missing;
}

std::vector<std::vector<int>> Generation::draft_batch(const std::vector<std::pair<Generation*, int>>& spec) {
  std::vector<std::vector<int>> proposals(spec.size()), feeds(spec.size());
  std::vector<int> budgets(spec.size(), 0);
  std::unordered_map<LoadedModel*, std::vector<size_t>> groups;
  for (size_t i = 0; i < spec.size(); ++i) {
    auto [g, token] = spec[i];
    proposals[i] = {token};
    g->guarded([&] {
      budgets[i] = g->draft_budget();
      if (budgets[i] <= 0) return;
      if (g->opts_.prompt_lookup) {
        auto found = g->lookup_draft(token, budgets[i]);
        proposals[i].insert(proposals[i].end(), found.begin(), found.end());
        budgets[i] = 0;
      } else {
        feeds[i] = g->draft_catch_up(token);
      }
    });
    if (!g->finished() && budgets[i] > 0) groups[g->opts_.draft.get()].push_back(i);
  }
  // Round r feeds each live stream's pending tokens to the draft and takes its argmax.
  for (auto& [draft, members] : groups) {
    auto& llm = *draft->llm;
    auto live = members;
    // The draft decodes with its own decodeActivations, as it would alone.
    qmm::Q8DecodeScope q8(draft->q8_decode, draft->q8_head);
    try {
      while (!live.empty()) {
        std::vector<CausalLM::Segment> segs;
        std::vector<int> last;
        int rows = 0;
        for (size_t i : live) {
          auto& f = feeds[i];
          segs.push_back(llm.token_segment(f, spec[i].first->draft_cache_.get()));
          rows += int(f.size());
          last.push_back(rows - 1);
        }
        auto hidden = llm.forward_segments(segs);
        auto picked = mx::take(hidden, mx::array(last.data(), {int(last.size())}, mx::int32), 1);
        auto next = mx::astype(mx::argmax(mx::reshape(llm.logits(picked), {int(last.size()), -1}), -1), mx::int32);
        std::vector<mx::array> outs{next};
        for (auto& s : segs)
          for (auto& a : s.cache->state()) outs.push_back(a);
        mx::eval(outs);
        std::vector<size_t> still;
        for (size_t j = 0; j < live.size(); ++j) {
          size_t i = live[j];
          auto* g = spec[i].first;
          g->draft_tokens_.insert(g->draft_tokens_.end(), feeds[i].begin(), feeds[i].end());
          int d = next.data<int32_t>()[j];
          proposals[i].push_back(d);
          feeds[i] = {d};
          if (int(proposals[i].size()) - 1 < budgets[i] && !g->is_stop(d)) still.push_back(i);
        }
        live = std::move(still);
      }
    } catch (const std::exception& e) {
      for (size_t i : members) spec[i].first->abort(std::string("draft model: ") + e.what());
    }
  }
  return proposals;
}

void Generation::verify(const std::vector<int>& tokens, const float* logits, const float* hidden) {
  auto& cfg = model_->llm->config();
  size_t V = cfg.vocab_size, D = cfg.hidden_size;
  int k = int(tokens.size()) - 1;
  auto take_row = [&](int i) {  // tokens[i] is now read; row i predicts what follows it
    logits_.assign(logits + i * V, logits + (i + 1) * V);
    if (hidden)
      hidden_.assign(hidden + i * D, hidden + (i + 1) * D);
    else
      hidden_.clear();
    device_pick_.reset();
    cache_tokens_.push_back(tokens[i]);
  };
  take_row(0);
  // Counted before emit(): a stop inside emit() reports the stats at once.
  stats_.draft_total += k;
  stats_.draft_ignored += k;  // until accepted or rejected
  for (int j = 1; j <= k; ++j) {
    auto r = choose();
    if (r.token != tokens[j]) {  // the next sample() picks r again from these logits
      int rest = k - j + 1;
      stats_.draft_ignored -= rest;
      stats_.draft_rejected += rest;
      break;
    }
    --stats_.draft_ignored;
    ++stats_.draft_accepted;
    emit(r);
    if (finished_) break;
    take_row(j);
  }
  if (cache_) cache_->trim_to(int(cache_tokens_.size()));  // drop the rows of rejected drafts
}

} // namespace pocket
