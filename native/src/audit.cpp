#include "audit.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "errors.h"
#include "evaluate.h"

namespace pocket {

namespace {

// A token the sampler's truncation (top-k/top-p/min-p) excluded: the mass
// ranked above it in the full tempered softmax, the k-th logit, and its
// interval had the kept set been extended down to it (id order, as the
// sampler lays candidates out), so the auditor can say how far it was.
void outside_candidates(const std::vector<float>& logits, const SamplingParams& p, TokenCheck& check) {
  int n = int(logits.size()), tok = check.token;
  float t = logits[tok], maxl = check.max_logit;
  auto above = [&](int i) { return logits[i] > t || (logits[i] == t && i < tok); };
  std::vector<double> w(n);
  double total = 0, mass_above = 0;
  for (int i = 0; i < n; ++i) {
    w[i] = std::exp((double(logits[i]) - maxl) / p.temperature);
    total += w[i];
    if (above(i)) mass_above += w[i];
  }
  check.above = mass_above / total;
  if (p.top_k > 0 && p.top_k < n) {
    std::vector<float> sorted(logits);
    std::nth_element(sorted.begin(), sorted.begin() + (p.top_k - 1), sorted.end(), std::greater<float>());
    check.kth_logit = sorted[p.top_k - 1];
  }
  double kept = mass_above + w[tok], cum = 0;
  for (int i = 0; i < tok; ++i)
    if (above(i)) cum += w[i];
  check.low = cum / kept;
  check.high = (cum + w[tok]) / kept;
}

}  // namespace

AuditResult audit_completion(LoadedModel& model, const AuditOptions& o) {
  auto& cfg = model.llm->config();
  if (o.prompt.empty()) throw invalid_arg("promptTokens: must not be empty");
  if (o.completion.empty()) throw invalid_arg("completionTokens: must not be empty");
  validate_sampling(o.sampling, cfg.vocab_size);
  if (o.sampling.temperature > 0 && o.sampling.seed == 0)
    throw invalid_arg("seed: auditing a sampled completion requires its seed");
  int P = int(o.prompt.size());
  int n = int(o.completion.size());
  // Feed prompt + completion[:-1]; position P-1+i produced completion[i].
  std::vector<int> seq(o.prompt);
  seq.insert(seq.end(), o.completion.begin(), o.completion.end() - 1);
  AuditResult r;
  r.checks.resize(n);
  std::vector<int> wanted(o.commit_indices);
  std::sort(wanted.begin(), wanted.end());
  for (int c : wanted)
    if (c < 0 || c >= n) throw invalid_arg("commitments: index out of range of the completion");
  std::vector<std::pair<int, ChunkCommitment>> recomputed;
  teacher_force(model, seq, P - 1, [&](int first, int rows, const float* L, const float* H) {
    for (int j = 0; j < rows; ++j) {
      int i = first + j - (P - 1);  // completion index
      std::vector<float> logits(L + size_t(j) * cfg.vocab_size, L + size_t(j + 1) * cfg.vocab_size);
      // Views, not copies: the context is the sequence up to this position.
      apply_penalties(logits, o.sampling, std::span<const int>(seq.data(), size_t(P + i)),
                      std::span<const int>(o.completion.data(), size_t(i)));
      auto& check = r.checks[i];
      check.index = i;
      check.token = o.completion[i];
      check.max_logit = *std::max_element(logits.begin(), logits.end());
      bool in_vocab = check.token >= 0 && check.token < cfg.vocab_size;
      if (in_vocab) {
        check.logit = logits[check.token];
        check.gap = check.max_logit - check.logit;
      }
      if (!in_vocab) {
        check.ok = false;
      } else if (o.sampling.temperature == 0.0f) {
        check.ok = check.gap <= o.greedy_tolerance;
      } else {
        auto dist = candidate_distribution(logits, o.sampling);
        check.u = counter_uniform(o.sampling.seed, uint64_t(i));
        double cum = 0;
        bool found = false;
        for (auto& [tok, p] : dist) {
          if (tok == check.token) {
            check.low = cum;
            check.high = cum + p;
            found = true;
            break;
          }
          cum += p;
        }
        check.candidate = found;
        if (!found) outside_candidates(logits, o.sampling, check);
        check.ok = found && check.u >= check.low - o.interval_tolerance &&
                   check.u < check.high + o.interval_tolerance;
      }
      if (!check.ok) r.failures++;
      if (std::binary_search(wanted.begin(), wanted.end(), i) && o.commit_top_k > 0)
        recomputed.emplace_back(i, top_k_commitment(i, H + size_t(j) * cfg.hidden_size, cfg.hidden_size,
                                                    o.commit_top_k));
    }
  });
  for (auto& [i, c] : recomputed) r.commitments.push_back(std::move(c));
  return r;
}

} // namespace pocket
