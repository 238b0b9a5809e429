// Token sampler on host logits. Deterministic given the seed: the uniform for
// completion position i is a counter-based hash of (seed, i), so an auditor
// can recompute it without replaying any PRNG state.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace pocket {

struct SamplingParams {
  float temperature = 0.8f;  // 0 = greedy
  int top_k = 0;
  float top_p = 1.0f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;
  int repetition_context = 64;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::vector<std::pair<int, float>> logit_bias;
  uint64_t seed = 0;
  int top_logprobs = 0;
  // Whether the picked token's logprob is wanted: a log-softmax over the whole
  // vocabulary (262k exp() calls a token on Gemma 3) is skipped otherwise.
  bool logprob = true;
};

struct SampleResult {
  int token = -1;
  float logprob = 0.0f;  // log-softmax of the processed logits (0 unless SamplingParams::logprob)
  std::vector<std::pair<int, float>> top;
};

// Throws invalid_arg naming the parameter when a value is out of range.
void validate_sampling(const SamplingParams& p, int vocab_size);

// In-place: logit bias, repetition (llama.cpp style over the last
// repetition_context tokens of `context`), presence/frequency over `completion`.
void apply_penalties(std::vector<float>& logits, const SamplingParams& p,
                     std::span<const int> context, std::span<const int> completion);

// Truncated, renormalized distribution (temperature, top-k, top-p, min-p),
// ordered by token id. Empty for greedy.
std::vector<std::pair<int, double>> candidate_distribution(const std::vector<float>& logits,
                                                           const SamplingParams& p);

// Uniform in [0, 1) from (seed, position): SplitMix64 finalizer of the pair.
double counter_uniform(uint64_t seed, uint64_t position);

// Picks a token from processed logits (penalties already applied).
SampleResult sample_token(const std::vector<float>& logits, const SamplingParams& p, uint64_t position);

int argmax(const std::vector<float>& logits);

} // namespace pocket
