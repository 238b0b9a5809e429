#include "sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "errors.h"

namespace pocket {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

void check(bool ok, const char* param, const char* msg) {
  if (!ok) throw invalid_arg(std::string(param) + ": " + msg);
}

} // namespace

void validate_sampling(const SamplingParams& p, int vocab) {
  check(std::isfinite(p.temperature) && p.temperature >= 0 && p.temperature <= 100, "temperature",
        "must be between 0 and 100");
  check(p.top_k >= 0, "top_k", "must be >= 0");
  check(std::isfinite(p.top_p) && p.top_p > 0 && p.top_p <= 1, "top_p", "must be in (0, 1]");
  check(std::isfinite(p.min_p) && p.min_p >= 0 && p.min_p <= 1, "min_p", "must be in [0, 1]");
  check(std::isfinite(p.repetition_penalty) && p.repetition_penalty > 0, "repeat_penalty", "must be > 0");
  check(std::isfinite(p.presence_penalty) && std::fabs(p.presence_penalty) <= 2, "presence_penalty",
        "must be between -2 and 2");
  check(std::isfinite(p.frequency_penalty) && std::fabs(p.frequency_penalty) <= 2, "frequency_penalty",
        "must be between -2 and 2");
  check(p.top_logprobs >= 0 && p.top_logprobs <= 20, "top_logprobs", "must be between 0 and 20");
  for (auto& [tok, bias] : p.logit_bias) {
    check(tok >= 0 && tok < vocab, "logit_bias", "token id out of vocabulary range");
    check(std::isfinite(bias) && std::fabs(bias) <= 100, "logit_bias", "bias must be between -100 and 100");
  }
}

void apply_penalties(std::vector<float>& logits, const SamplingParams& p, std::span<const int> context,
                     std::span<const int> completion) {
  for (auto& [tok, bias] : p.logit_bias) logits[tok] += bias;
  if (p.repetition_penalty != 1.0f && p.repetition_context > 0) {
    size_t start = context.size() > size_t(p.repetition_context) ? context.size() - p.repetition_context : 0;
    std::vector<int> seen(context.begin() + start, context.end());
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    for (int t : seen) {
      if (t < 0 || size_t(t) >= logits.size()) continue;
      logits[t] = logits[t] > 0 ? logits[t] / p.repetition_penalty : logits[t] * p.repetition_penalty;
    }
  }
  if (p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f) {
    std::unordered_map<int, int> counts;
    for (int t : completion) counts[t]++;
    for (auto& [t, n] : counts) {
      if (t < 0 || size_t(t) >= logits.size()) continue;
      logits[t] -= p.presence_penalty + p.frequency_penalty * float(n);
    }
  }
}

int argmax(const std::vector<float>& logits) {
  return int(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

std::vector<std::pair<int, double>> candidate_distribution(const std::vector<float>& logits,
                                                           const SamplingParams& p) {
  if (p.temperature == 0.0f) return {};
  int n = int(logits.size());
  auto by_logit = [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  float maxl = *std::max_element(logits.begin(), logits.end());
  auto weight = [&](int i) { return std::exp((double(logits[i]) - maxl) / p.temperature); };
  bool truncating = (p.top_k > 0 && p.top_k < n) || p.top_p < 1.0f || p.min_p > 0.0f;
  std::vector<std::pair<int, double>> out;
  if (!truncating) {
    double sum = 0;
    out.reserve(n);
    for (int i = 0; i < n; ++i) sum += (out.emplace_back(i, weight(i))).second;
    for (auto& e : out) e.second /= sum;
    return out;  // already ordered by id
  }
  // Only a prefix sorted by logit is needed: grow it until top-k/top-p/min-p
  // are decided (exact; avoids sorting the whole vocabulary every token).
  int limit = (p.top_k > 0 && p.top_k < n) ? p.top_k : n;
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  double total = 0;  // normalizer of the top-k set
  if (limit < n) {
    std::partial_sort(order.begin(), order.begin() + limit, order.end(), by_logit);
    for (int i = 0; i < limit; ++i) total += weight(order[i]);
  } else {
    for (int i = 0; i < n; ++i) total += weight(i);
  }
  int sorted = 0, m = std::min(limit, 64);
  size_t keep = 0;
  while (true) {
    if (limit == n) std::partial_sort(order.begin() + sorted, order.begin() + m, order.end(), by_logit);
    sorted = m;
    double cum = 0, top = weight(order[0]) / total;
    keep = 0;
    bool decided = false;
    for (int i = 0; i < sorted; ++i) {
      double pr = weight(order[i]) / total;
      if (p.min_p > 0.0f && i > 0 && pr < top * p.min_p) {
        decided = true;
        break;
      }
      cum += pr;
      keep = i + 1;
      if (p.top_p < 1.0f && cum >= p.top_p) {
        decided = true;
        break;
      }
    }
    if (decided || sorted == limit) break;
    m = std::min(limit, m * 4);
  }
  double kept = 0;
  for (size_t i = 0; i < keep; ++i) kept += weight(order[i]);
  for (size_t i = 0; i < keep; ++i) out.emplace_back(order[i], weight(order[i]) / kept);
  std::sort(out.begin(), out.end());
  return out;
}

double counter_uniform(uint64_t seed, uint64_t position) {
  uint64_t x = splitmix64(seed ^ splitmix64(position + 0x632BE59BD9B4E019ull));
  return double(x >> 11) * (1.0 / 9007199254740992.0);
}

SampleResult sample_token(const std::vector<float>& logits, const SamplingParams& p, uint64_t position) {
  SampleResult r;
  if (p.temperature == 0.0f) {
    r.token = argmax(logits);
  } else {
    auto dist = candidate_distribution(logits, p);
    double u = counter_uniform(p.seed, position);
    double cum = 0;
    r.token = dist.back().first;
    for (auto& [tok, prob] : dist) {
      cum += prob;
      if (u < cum) {
        r.token = tok;
        break;
      }
    }
  }
  // Log-softmax of the processed logits for logprobs.
  if (!p.logprob && p.top_logprobs <= 0) return r;
  float maxl = *std::max_element(logits.begin(), logits.end());
  double lse = 0;
  for (float l : logits) lse += std::exp(double(l - maxl));
  double log_z = maxl + std::log(lse);
  r.logprob = float(logits[r.token] - log_z);
  if (p.top_logprobs > 0) {
    int k = std::min<int>(p.top_logprobs, int(logits.size()));
    std::vector<int> idx(logits.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
    for (int i = 0; i < k; ++i) r.top.emplace_back(idx[i], float(logits[idx[i]] - log_z));
  }
  return r;
}

} // namespace pocket
